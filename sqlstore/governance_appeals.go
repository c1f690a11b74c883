package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"anxin"
)

// Appeals against statements of reasons and against single sanctions: a
// merchant files, a person other than the decider decides (see
// decideSanctionAppeal in sanction_service.go for one sanction).

func queryAppeals(ctx context.Context, tx *Tx, where string, args ...any) ([]*anxin.Appeal, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, statement_id, sanction_id, merchant_id, text, status, decided_by, note, created_at, decided_at FROM gov_appeals `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*anxin.Appeal{}
	for rows.Next() {
		a := new(anxin.Appeal)
		var at int64
		var dec sql.NullInt64
		if err := rows.Scan(&a.ID, &a.StatementID, &a.SanctionID, &a.MerchantID, &a.Text, &a.Status, &a.DecidedBy, &a.Note, &at, &dec); err != nil {
			return nil, err
		}
		a.CreatedAt, a.DecidedAt = fromMS(at), fromNullMS(dec)
		out = append(out, a)
	}
	return out, rows.Err()
}

// FileAppeal opens the merchant's appeal against one of its statements.
// NotFound for another merchant's statement; Conflict when the window has
// closed, the statement carries no appealable action, or an appeal was
// already filed (there is no second internal appeal). Role: merchant:<id>.
func (s *GovernanceService) FileAppeal(ctx context.Context, statementID, text string) (*anxin.Appeal, error) {
	if err := anxin.Authorize(ctx, anxin.ActionFileAppeal); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("text", text, 4000); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, anxin.Errorf(anxin.Invalid, "text is required: say why the decision is wrong.")
	}
	var a *anxin.Appeal
	err := s.db.Transact(ctx, func(tx *Tx) error {
		st, err := findStatement(ctx, tx, statementID)
		if err != nil {
			return err
		}
		if !govVisible(ctx, st.MerchantID) || st.MerchantID == "" {
			return anxin.Errorf(anxin.NotFound, "Statement not found.")
		}
		if st.AppealDeadline == nil {
			return anxin.Errorf(anxin.Conflict, "This statement cannot be appealed.")
		}
		if tx.Now.After(*st.AppealDeadline) {
			return anxin.Errorf(anxin.Conflict, "The appeal window closed on %s.", st.AppealDeadline.In(anxin.MarketplaceTZ).Format("2006-01-02"))
		}
		if st.AppealStatus != "none" {
			return anxin.Errorf(anxin.Conflict, "An appeal against this statement was already filed.")
		}
		a = &anxin.Appeal{ID: anxin.NewID("apl"), StatementID: st.ID, MerchantID: st.MerchantID, Text: text, Status: anxin.AppealOpen, CreatedAt: tx.Now}
		_, err = tx.ExecContext(ctx, `INSERT INTO gov_appeals (id, statement_id, merchant_id, text, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			a.ID, a.StatementID, a.MerchantID, a.Text, a.Status, ms(tx.Now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FindAppeals lists appeals by status ("" for all), oldest first. Merchants
// see only their own; everyone else needs the decide-appeal permission.
func (s *GovernanceService) FindAppeals(ctx context.Context, status string, page anxin.Page) ([]*anxin.Appeal, string, error) {
	scope := anxin.MerchantScope(ctx)
	if scope != "" {
		if err := anxin.Authorize(ctx, anxin.ActionFileAppeal); err != nil {
			return nil, "", err
		}
	} else if err := anxin.Authorize(ctx, anxin.ActionDecideAppeal); err != nil {
		return nil, "", err
	}
	switch status {
	case "", anxin.AppealOpen, anxin.AppealUpheld, anxin.AppealOverturned:
	default:
		return nil, "", anxin.Errorf(anxin.Invalid, "status must be open, upheld or overturned.")
	}
	limit, offset := govPage(page)
	var out []*anxin.Appeal
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		out, err = queryAppeals(ctx, tx, `WHERE (? = '' OR status = ?) AND (? = '' OR merchant_id = ?) ORDER BY created_at, id LIMIT ? OFFSET ?`,
			status, status, scope, scope, limit+1, offset)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := govPageNext(out, limit, offset)
	return out, next, nil
}

// DecideAppeal decides an open appeal: uphold keeps the actions and issues
// a new statement version. For an appeal against one sanction, overturn
// lifts exactly that sanction (enforcement.AppealOutcome) and tells the
// marketplace; for an appeal against a statement, overturn reverses the
// actions, removes the
// points, lifts node sanctions the totals no longer reach, restores
// listings, issues a new statement version and notifies the marketplace.
// The reviewer may not be the person who made the original decision
// (Forbidden). Conflict if the appeal is already decided. Role: reviewer,
// operator.
func (s *GovernanceService) DecideAppeal(ctx context.Context, id, resolution, note string) (*anxin.Appeal, error) {
	if err := anxin.Authorize(ctx, anxin.ActionDecideAppeal); err != nil {
		return nil, err
	}
	if resolution != anxin.ResUphold && resolution != anxin.ResOverturn {
		return nil, anxin.Errorf(anxin.Invalid, "resolution must be uphold or overturn.")
	}
	if err := anxin.ValidateText("note", note, 4000); err != nil {
		return nil, err
	}
	actor := anxin.ActorFromContext(ctx)
	var a *anxin.Appeal
	err := s.db.Transact(ctx, func(tx *Tx) error {
		as, err := queryAppeals(ctx, tx, `WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return anxin.Errorf(anxin.NotFound, "Appeal not found.")
		}
		a = as[0]
		if a.Status != anxin.AppealOpen {
			return anxin.Errorf(anxin.Conflict, "The appeal was already decided.")
		}
		st, err := findStatement(ctx, tx, a.StatementID)
		if err != nil {
			return err
		}
		if st.DecidedBy != "" && st.DecidedBy == actor.KeyID {
			return anxin.Errorf(anxin.Forbidden, "An appeal must be decided by someone other than the original decider.")
		}
		if a.SanctionID != "" {
			return s.decideSanctionAppeal(ctx, tx, a, st, resolution, note)
		}
		a.Status = anxin.AppealUpheld
		label := "upheld"
		if resolution == anxin.ResOverturn {
			a.Status, label = anxin.AppealOverturned, "overturned"
			if err := s.reverseStatement(ctx, tx, st); err != nil {
				return err
			}
		}
		a.DecidedBy, a.Note, a.DecidedAt = actor.KeyID, note, &tx.Now
		if _, err := tx.ExecContext(ctx, `UPDATE gov_appeals SET status = ?, decided_by = ?, note = ?, decided_at = ? WHERE id = ?`,
			a.Status, a.DecidedBy, a.Note, ms(tx.Now), a.ID); err != nil {
			return err
		}
		reason := "Your appeal was reviewed and the decision stands. " + note
		if resolution == anxin.ResOverturn {
			reason = "Your appeal was upheld: the decision is reversed, its points removed and its restrictions lifted. " + note
		}
		if _, err := s.issue(ctx, tx, statementInput{merchantID: st.MerchantID, targetType: st.TargetType, targetID: st.TargetID,
			stage: anxin.StagePostPublish, outcome: st.Outcome, reasons: []string{strings.TrimSpace(reason)}, automation: "not",
			decidedBy: actor.KeyID, previous: st, appealStatus: a.Status, policyVersion: st.PolicyVersion}); err != nil {
			return err
		}
		for _, r := range st.RuleIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO gov_rule_labels (rule_id, decision_id, label, source, created_at) VALUES (?, ?, ?, 'appeal', ?)`,
				r, st.DecisionID, label, ms(tx.Now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
