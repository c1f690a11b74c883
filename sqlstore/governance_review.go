package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"anxin"
	"anxin/enforcement"
	"anxin/rules"
)

// casePriority ranks a review case 1 (most urgent) to 5 from its evidence:
// the higher the severity hit, the sooner it is reviewed.
func casePriority(d *anxin.Decision) int {
	sev := 0
	for _, e := range d.Evidence {
		sev = max(sev, e.Severity)
	}
	return min(5, max(1, 6-sev))
}

// openCase queues the review case of decision d (written with the
// decisions, after them: it refers to its decision) and tells the
// marketplace.
func openCase(ctx context.Context, tx *Tx, d *anxin.Decision) error {
	ids := []string{}
	for _, r := range d.Rules {
		if !r.Shadow && r.Outcome == anxin.OutcomeReview {
			ids = append(ids, r.RuleID)
		}
	}
	tx.queueCase([]any{d.CaseID, d.ID, d.SubjectType, d.SubjectID, d.Kind, d.MerchantID, d.Stage, casePriority(d), "open",
		govJSON(d.Labels), govJSON(d.Reasons), govJSON(ids), govJSON(d.Evidence), ms(tx.Now)})
	_, err := Enqueue(ctx, tx, anxin.MessageCaseOpened, d.SubjectID, "case:"+d.CaseID, map[string]any{
		"case_id": d.CaseID, "decision_id": d.ID, "subject_type": d.SubjectType, "subject_id": d.SubjectID, "stage": d.Stage,
		"hold": d.Stage == anxin.StagePublish})
	return err
}

const caseSelect = `SELECT id, decision_id, subject_type, subject_id, kind, merchant_id, stage, priority, status, labels, reasons, rule_ids, evidence,
	claimed_by, resolution, decided_by, notes, statement_id, created_at, claimed_at, decided_at FROM gov_cases`

func scanCase(r govScanner, now int64) (*anxin.Case, string, error) {
	c := new(anxin.Case)
	var stage, labels, reasons, ids, evidence, notes string
	var at int64
	var claimed, decided sql.NullInt64
	if err := r.Scan(&c.ID, &c.DecisionID, &c.SubjectType, &c.SubjectID, &c.Kind, &c.MerchantID, &stage, &c.Priority, &c.Status,
		&labels, &reasons, &ids, &evidence, &c.ClaimedBy, &c.Resolution, &c.DecidedBy, &notes, &c.StatementID, &at, &claimed, &decided); err != nil {
		return nil, "", err
	}
	c.CreatedAt, c.ClaimedAt, c.DecidedAt = fromMS(at), fromNullMS(claimed), fromNullMS(decided)
	end := now
	if decided.Valid {
		end = decided.Int64
	}
	c.AgeSeconds = max(0, (end-at)/1000)
	for _, x := range []struct {
		s string
		v any
	}{{labels, &c.Labels}, {reasons, &c.Reasons}, {ids, &c.RuleIDs}, {evidence, &c.Evidence}, {notes, &c.Notes}} {
		if err := json.Unmarshal([]byte(x.s), x.v); err != nil {
			return nil, "", err
		}
	}
	return c, stage, nil
}

// FindCases lists the review queue: by default open and claimed cases, most
// urgent (priority) then oldest first. Role: reviewer, operator.
func (s *GovernanceService) FindCases(ctx context.Context, f anxin.CaseFilter) ([]*anxin.Case, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReview); err != nil {
		return nil, "", err
	}
	where, args := []string{}, []any{}
	switch f.Status {
	case "":
		where = append(where, "status IN ('open', 'claimed')")
	case anxin.CaseOpen, anxin.CaseClaimed, anxin.CaseDecided:
		where, args = append(where, "status = ?"), append(args, f.Status)
	case "all":
	default:
		return nil, "", anxin.Errorf(anxin.Invalid, "status must be open, claimed, decided or all.")
	}
	if f.MerchantID != "" {
		where, args = append(where, "merchant_id = ?"), append(args, f.MerchantID)
	}
	if f.RuleID != "" {
		where, args = append(where, "rule_ids LIKE ?"), append(args, `%"`+strings.NewReplacer("%", "", "_", "", `"`, "").Replace(f.RuleID)+`"%`)
	}
	q := caseSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit, offset := govPage(f.Page)
	q += " ORDER BY priority, created_at, id LIMIT ? OFFSET ?"
	args = append(args, limit+1, offset)
	var out []*anxin.Case
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = nil
		for rows.Next() {
			c, _, err := scanCase(rows, ms(tx.Now))
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := govPageNext(out, limit, offset)
	return out, next, nil
}

// FindCase returns one case. NotFound if absent.
func (s *GovernanceService) FindCase(ctx context.Context, id string) (*anxin.Case, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReview); err != nil {
		return nil, err
	}
	var c *anxin.Case
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		c, _, err = findCase(ctx, tx, id)
		return err
	})
	return c, err
}

func findCase(ctx context.Context, tx *Tx, id string) (*anxin.Case, string, error) {
	c, stage, err := scanCase(tx.QueryRowContext(ctx, caseSelect+` WHERE id = ?`, id), ms(tx.Now))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", anxin.Errorf(anxin.NotFound, "Case not found.")
	}
	return c, stage, err
}

// ClaimCase assigns an open case to the calling reviewer. Claiming one's own
// case again is a no-op; Conflict if another reviewer holds it or it is
// decided.
func (s *GovernanceService) ClaimCase(ctx context.Context, id string) (*anxin.Case, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReview); err != nil {
		return nil, err
	}
	me := anxin.ActorFromContext(ctx).KeyID
	var c *anxin.Case
	err := s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		if c, _, err = findCase(ctx, tx, id); err != nil {
			return err
		}
		if err := claimable(c, me); err != nil {
			return err
		}
		if c.Status == anxin.CaseClaimed {
			return nil
		}
		r, err := tx.ExecContext(ctx, `UPDATE gov_cases SET status = 'claimed', claimed_by = ?, claimed_at = ? WHERE id = ? AND status = 'open'`, me, ms(tx.Now), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return anxin.Errorf(anxin.Conflict, "Another reviewer claimed the case first.")
		}
		c.Status, c.ClaimedBy, c.ClaimedAt = anxin.CaseClaimed, me, &tx.Now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func claimable(c *anxin.Case, me string) error {
	switch {
	case c.Status == anxin.CaseDecided:
		return anxin.Errorf(anxin.Conflict, "The case is already decided.")
	case c.Status == anxin.CaseClaimed && c.ClaimedBy != me:
		return anxin.Errorf(anxin.Conflict, "Another reviewer holds the case.")
	}
	return nil
}

// AddCaseNote appends a reviewer's note (at most 4,000 bytes) to a case.
func (s *GovernanceService) AddCaseNote(ctx context.Context, id, text string) (*anxin.Case, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReview); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("text", text, 4000); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, anxin.Errorf(anxin.Invalid, "text is required.")
	}
	var c *anxin.Case
	err := s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		if c, _, err = findCase(ctx, tx, id); err != nil {
			return err
		}
		if len(c.Notes) >= 200 {
			return anxin.Errorf(anxin.Conflict, "The case has too many notes.")
		}
		c.Notes = append(c.Notes, anxin.CaseNote{By: anxin.ActorFromContext(ctx).KeyID, Text: text, At: tx.Now})
		_, err = tx.ExecContext(ctx, `UPDATE gov_cases SET notes = ? WHERE id = ?`, govJSON(c.Notes), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DecideCase decides a case. Uphold turns the review into a block: the
// subject is intercepted (held at publish), delisted (listing after
// publish), hidden (content) or removed from the cart (stream), the review
// rules' points are added and a statement of reasons is issued. Overturn
// releases the subject (listing.restore for a held listing). Both record
// the reviewer's outcome against each rule for its precision. Conflict if
// the case is decided or held by another reviewer.
func (s *GovernanceService) DecideCase(ctx context.Context, id, resolution, note string) (*anxin.Case, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReview); err != nil {
		return nil, err
	}
	if resolution != anxin.ResUphold && resolution != anxin.ResOverturn {
		return nil, anxin.Errorf(anxin.Invalid, "resolution must be uphold or overturn.")
	}
	if err := anxin.ValidateText("note", note, 4000); err != nil {
		return nil, err
	}
	me := anxin.ActorFromContext(ctx).KeyID
	var c *anxin.Case
	err := s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		var stage string
		if c, stage, err = findCase(ctx, tx, id); err != nil {
			return err
		}
		if err := claimable(c, me); err != nil {
			return err
		}
		d, snapshot, err := findDecision(ctx, tx, c.DecisionID)
		if err != nil {
			return err
		}
		label := "upheld"
		if resolution == anxin.ResUphold {
			fired, err := reviewRules(ctx, tx, d.PolicyVersion, c.RuleIDs)
			if err != nil {
				return err
			}
			var pts *anxin.RulePoints
			for _, f := range fired {
				if f.Points != nil && pts == nil {
					pts = f.Points
				}
			}
			d.Stage = stage
			acts := enforcement.StageActions(d, nil)
			st, err := s.issue(ctx, tx, statementInput{merchantID: d.MerchantID, targetType: enforcement.TargetOf(d), targetID: enforcement.TargetIDOf(d),
				stage: stage, outcome: anxin.OutcomeBlock, actions: enforcement.Targets(d, acts, ""), fired: fired, reasons: d.Reasons, caseID: c.ID,
				labels: d.Labels, evidence: d.Evidence, decisionID: d.ID, policyVersion: d.PolicyVersion, automation: "partially",
				decidedBy: me, points: pts, contentDate: &d.CreatedAt})
			if err != nil {
				return err
			}
			c.StatementID = st.ID
			if err := s.addPoints(ctx, tx, d.MerchantID, fired, d.ID, st.ID); err != nil {
				return err
			}
		} else {
			label = "overturned"
			typ, subject := anxin.MessageNotify, d.SubjectID
			if d.SubjectType == "listing" {
				typ = anxin.MessageRestoreListing
			}
			if _, err := Enqueue(ctx, tx, typ, subject, "release:"+c.ID, map[string]any{"case_id": c.ID, "decision_id": d.ID,
				"subject_type": d.SubjectType, "subject_id": d.SubjectID, "kind": "review_released"}); err != nil {
				return err
			}
		}
		if note != "" {
			c.Notes = append(c.Notes, anxin.CaseNote{By: me, Text: note, At: tx.Now})
		}
		c.Status, c.Resolution, c.DecidedBy, c.DecidedAt = anxin.CaseDecided, resolution, me, &tx.Now
		if c.ClaimedBy == "" {
			c.ClaimedBy, c.ClaimedAt = me, &tx.Now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE gov_cases SET status = 'decided', resolution = ?, decided_by = ?, decided_at = ?, claimed_by = ?,
			claimed_at = COALESCE(claimed_at, ?), notes = ?, statement_id = ? WHERE id = ?`,
			resolution, me, ms(tx.Now), c.ClaimedBy, ms(tx.Now), govJSON(c.Notes), c.StatementID, c.ID); err != nil {
			return err
		}
		if err := recordReviewExample(ctx, tx, c, d, snapshot, resolution); err != nil {
			return err
		}
		for _, r := range c.RuleIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO gov_rule_labels (rule_id, decision_id, label, source, created_at) VALUES (?, ?, ?, 'review', ?)`,
				r, d.ID, label, ms(tx.Now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// reviewRules returns the review rules of a policy version as fired rules,
// with their points and grounds, for an upheld case.
func reviewRules(ctx context.Context, tx *Tx, version int, ids []string) ([]rules.Fired, error) {
	p, err := scanPolicy(tx.QueryRowContext(ctx, policySelect+` WHERE version = ?`, version))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var out []rules.Fired
	for _, id := range ids {
		f := rules.Fired{RuleID: id, Outcome: anxin.OutcomeBlock}
		if p != nil {
			if i := slices.IndexFunc(p.Rules, func(r anxin.Rule) bool { return r.ID == id }); i >= 0 {
				r := p.Rules[i]
				f.Points, f.Ground, f.LegalGround, f.Labels = r.Points, r.Ground, r.LegalGround, r.Labels
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// RulePrecision returns, per rule, how often it fired and how reviewers and
// appeals judged it: precision = upheld ÷ (upheld + overturned), 0 when no
// outcome is known.
func (s *GovernanceService) RulePrecision(ctx context.Context) ([]anxin.RulePrecision, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	by := map[string]*anxin.RulePrecision{}
	get := func(id string) *anxin.RulePrecision {
		if by[id] == nil {
			by[id] = &anxin.RulePrecision{RuleID: id}
		}
		return by[id]
	}
	rows, err := s.db.QueryContext(ctx, `SELECT rule_id, COUNT(*) FROM gov_decision_rules WHERE shadow = 0 GROUP BY rule_id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		get(id).Fired = n
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT rule_id, label, COUNT(*) FROM gov_rule_labels GROUP BY rule_id, label`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, label string
		var n int64
		if err := rows.Scan(&id, &label, &n); err != nil {
			return nil, err
		}
		if label == "upheld" {
			get(id).Upheld += n
		} else {
			get(id).Overturned += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]anxin.RulePrecision, 0, len(by))
	for _, p := range by {
		if p.Upheld+p.Overturned > 0 {
			p.Precision = float64(p.Upheld) / float64(p.Upheld+p.Overturned)
		}
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b anxin.RulePrecision) int { return strings.Compare(a.RuleID, b.RuleID) })
	return out, nil
}
