package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"anxin"
	"anxin/enforcement"
)

var _ anxin.SanctionService = (*GovernanceService)(nil)

// FindSanctions lists sanctions newest first, filtered by subject, source,
// type and whether they are in force now. Merchant keys see only their own
// (the filter's merchant is forced). Invalid for an unknown source or type
// or a cursor this list did not return. Role: platform, operator, reviewer,
// auditor, merchant.
func (s *GovernanceService) FindSanctions(ctx context.Context, f anxin.SanctionFilter) ([]*anxin.Sanction, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadSanctions); err != nil {
		return nil, "", err
	}
	if err := checkSanctionFilter(ctx, &f); err != nil {
		return nil, "", err
	}
	at, after, err := sanctionCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var out []*anxin.Sanction
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		where, args := sanctionWhere(f, ms(tx.Now))
		add := func(cond string, v ...any) { where, args = append(where, cond), append(args, v...) }
		if f.Cursor != "" {
			add("(created_at < ? OR (created_at = ? AND id > ?))", at, at, after)
		}
		q := "WHERE 1 = 1"
		if len(where) > 0 {
			q = "WHERE " + strings.Join(where, " AND ")
		}
		var err error
		out, err = loadSanctions(ctx, tx, q+" ORDER BY created_at DESC, id LIMIT ?", append(args, limit+1)...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = strconv.FormatInt(ms(last.CreatedAt), 10) + "." + last.ID
	}
	return out, next, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// FindSanction returns one sanction. NotFound if absent or, for a merchant,
// another subject's.
func (s *GovernanceService) FindSanction(ctx context.Context, id string) (*anxin.Sanction, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadSanctions); err != nil {
		return nil, err
	}
	var sc *anxin.Sanction
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		sc, err = findSanction(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if scope := anxin.MerchantScope(ctx); scope != "" && (sc.SubjectID != scope || sc.SubjectType != anxin.SubjectMerchant) {
		return nil, anxin.Errorf(anxin.NotFound, "Sanction not found.")
	}
	return sc, nil
}

// MerchantEnforcement returns Anxin's view of a merchant: its state
// (enforcement.State), points this cycle and the sanctions in force or
// queued. A merchant with no record is in good standing. Merchants see only
// their own (others are NotFound).
func (s *GovernanceService) MerchantEnforcement(ctx context.Context, merchantID string) (*anxin.Enforcement, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadSanctions); err != nil {
		return nil, err
	}
	if !govVisible(ctx, merchantID) || anxin.ValidateID("id", merchantID) != nil {
		return nil, anxin.Errorf(anxin.NotFound, "Merchant not found.")
	}
	var e *anxin.Enforcement
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		e, err = merchantEnforcement(ctx, tx, merchantID)
		return err
	})
	return e, err
}

func merchantEnforcement(ctx context.Context, tx *Tx, merchantID string) (*anxin.Enforcement, error) {
	t, err := pointTotals(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	ss, err := standingSanctions(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	var mine []*anxin.Sanction
	for _, sc := range ss {
		if sc.SubjectType == anxin.SubjectMerchant {
			mine = append(mine, sc)
		}
	}
	if mine == nil {
		mine = []*anxin.Sanction{}
	}
	return &anxin.Enforcement{State: enforcement.State(mine, t.Points(), tx.Now), Points: t.Points(), Sanctions: mine}, nil
}

// IssueSanction issues a manual sanction with its statement of reasons and
// webhook. Invalid for an unknown type, source or subject, a source other
// than manual (the other sources issue their own), missing facts or a
// period out of range; Conflict when the subject already has an active
// manual sanction of the type that overlaps it. Nothing is stored then.
// Role: operator.
func (s *GovernanceService) IssueSanction(ctx context.Context, r anxin.SanctionRequest) (*anxin.Sanction, error) {
	if err := anxin.Authorize(ctx, anxin.ActionIssueSanctions); err != nil {
		return nil, err
	}
	if r.SubjectType == "" {
		r.SubjectType = anxin.SubjectMerchant
	}
	if r.Source == "" {
		r.Source = anxin.SourceManual
	}
	if r.Source != anxin.SourceManual {
		if !contains(enforcement.Sources, r.Source) {
			return nil, anxin.Errorf(anxin.Invalid, "source %q is not a sanction source (%s).", r.Source, strings.Join(enforcement.Sources, ", "))
		}
		return nil, anxin.Errorf(anxin.Invalid, "Only manual sanctions are issued by hand; %s sanctions come from their own decisions.", r.Source)
	}
	if r.Days < 0 || r.Days > enforcement.MaxDays {
		return nil, anxin.Errorf(anxin.Invalid, "days must be 0 (open-ended) to %d.", enforcement.MaxDays)
	}
	if strings.TrimSpace(r.Facts) == "" {
		return nil, anxin.Errorf(anxin.Invalid, "facts are required: a statement of reasons says what happened.")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"facts", r.Facts, 4000}, {"terms_ground", r.TermsGround, 400}, {"legal_ground", r.LegalGround, 400}} {
		if err := anxin.ValidateText(f.name, f.v, f.max); err != nil {
			return nil, err
		}
	}
	actor := anxin.ActorFromContext(ctx)
	terms := r.TermsGround
	if terms == "" && r.LegalGround == "" {
		terms = "Marketplace terms of service"
	}
	var out *anxin.Sanction
	err := s.db.Transact(ctx, func(tx *Tx) error {
		in := sanctionIssue{subjectType: r.SubjectType, subjectID: r.SubjectID, typ: r.Type, source: anxin.SourceManual,
			originType: "manual", originID: anxin.NewID("man"), cause: "operator:" + actor.KeyID, days: r.Days, reason: r.Facts,
			windowDays: s.AppealWindowDays, mode: enforcement.Refuse, decidedBy: actor.KeyID, // who may not decide its appeal
			explain: enforcement.Explanation{Facts: r.Facts, Automation: "not", TermsGround: terms, LegalGround: r.LegalGround}}
		sc, err := planSanction(ctx, tx, in)
		if err != nil {
			return err
		}
		if err := storeSanction(ctx, tx, sc, in, true); err != nil {
			return err
		}
		out = sc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FileSanctionAppeal opens the merchant's appeal against one of its
// sanctions. NotFound for another merchant's; Conflict when the sanction
// is no longer in force (lifted, reversed, expired), its window has
// closed, or an appeal against it or its statement was already filed.
// Role: merchant:<id>.
func (s *GovernanceService) FileSanctionAppeal(ctx context.Context, sanctionID, text string) (*anxin.Appeal, error) {
	if err := anxin.Authorize(ctx, anxin.ActionFileAppeal); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("text", text, 4000); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, anxin.Errorf(anxin.Invalid, "text is required: say why the sanction is wrong.")
	}
	var a *anxin.Appeal
	err := s.db.Transact(ctx, func(tx *Tx) error {
		sc, err := findSanction(ctx, tx, sanctionID)
		if err != nil {
			return err
		}
		if !govVisible(ctx, sc.SubjectID) || sc.SubjectType != anxin.SubjectMerchant {
			return anxin.Errorf(anxin.NotFound, "Sanction not found.")
		}
		if err := enforcement.CanAppeal(sc, tx.Now); err != nil {
			return err
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM gov_appeals WHERE sanction_id = ? OR (statement_id = ? AND sanction_id = '')`,
			sc.ID, sc.StatementID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return anxin.Errorf(anxin.Conflict, "An appeal against this sanction was already filed.")
		}
		a = &anxin.Appeal{ID: anxin.NewID("apl"), StatementID: sc.StatementID, SanctionID: sc.ID, MerchantID: sc.SubjectID, Text: text,
			Status: anxin.AppealOpen, CreatedAt: tx.Now}
		_, err = tx.ExecContext(ctx, `INSERT INTO gov_appeals (id, statement_id, sanction_id, merchant_id, text, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.StatementID, a.SanctionID, a.MerchantID, a.Text, a.Status, ms(tx.Now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// decideSanctionAppeal decides an appeal against one sanction: overturn
// lifts exactly it (when still in force) and tells the marketplace; both
// outcomes issue a new statement version. Runs in DecideAppeal's tx after
// its checks.
func (s *GovernanceService) decideSanctionAppeal(ctx context.Context, tx *Tx, a *anxin.Appeal, st *anxin.Statement, resolution, note string) error {
	actor := anxin.ActorFromContext(ctx)
	sc, err := findSanction(ctx, tx, a.SanctionID)
	if err != nil {
		return err
	}
	lift, err := enforcement.AppealOutcome([]*anxin.Sanction{sc}, sc.ID, resolution, tx.Now)
	if err != nil && anxin.KindOf(err) != anxin.Conflict {
		return err
	}
	// Conflict: the sanction ended while the appeal waited; the decision is
	// still recorded, with nothing left to lift.
	a.Status = anxin.AppealUpheld
	reason := "Your appeal against sanction " + sc.ID + " was reviewed and the sanction stands. " + note
	if resolution == anxin.ResOverturn {
		a.Status = anxin.AppealOverturned
		reason = "Your appeal against sanction " + sc.ID + " was upheld: that sanction is lifted. " + note
		if len(lift.IDs) > 0 {
			if _, err := endSanctions(ctx, tx, []*anxin.Sanction{sc}, lift.Status, lift.Reason); err != nil {
				return err
			}
		}
	}
	now := tx.Now
	a.DecidedBy, a.Note, a.DecidedAt = actor.KeyID, note, &now
	if _, err := tx.ExecContext(ctx, `UPDATE gov_appeals SET status = ?, decided_by = ?, note = ?, decided_at = ? WHERE id = ?`,
		a.Status, a.DecidedBy, a.Note, ms(tx.Now), a.ID); err != nil {
		return err
	}
	_, err = s.issue(ctx, tx, statementInput{merchantID: st.MerchantID, targetType: st.TargetType, targetID: st.TargetID,
		stage: anxin.StagePostPublish, outcome: st.Outcome, reasons: []string{strings.TrimSpace(reason)}, automation: "not",
		decidedBy: actor.KeyID, previous: st, appealStatus: a.Status, policyVersion: st.PolicyVersion})
	return err
}

// ListingStatuses returns Anxin's own status of each listing
// (enforcement.ListingStatus) with the deciding decision, for at most 500
// ids. Listings Anxin never decided on are allowed. Merchants get the
// statuses of any id they pass, which tell nothing beyond their own
// listings' ids: callers pass only listings the actor may see.
func (s *GovernanceService) ListingStatuses(ctx context.Context, ids []string) (map[string]anxin.ListingStatus, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadMarketplace); err != nil {
		return nil, err
	}
	if len(ids) > 500 {
		return nil, anxin.Errorf(anxin.TooLarge, "At most 500 listings at a time.")
	}
	out := make(map[string]anxin.ListingStatus, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	facts := make(map[string]*enforcement.ListingFacts, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		facts[id], args[i] = &enforcement.ListingFacts{}, id
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		caseOf := map[string]string{}
		rows, err := tx.QueryContext(ctx, `SELECT subject_id, id, outcome, stage, case_id FROM gov_decisions
			WHERE subject_type = 'listing' AND subject_id IN `+in+` ORDER BY created_at DESC, id DESC`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sid, id, stage, caseID string
			var outcome int
			if err := rows.Scan(&sid, &id, &outcome, &stage, &caseID); err != nil {
				rows.Close()
				return err
			}
			if f := facts[sid]; f != nil && f.DecisionID == "" {
				f.DecisionID, f.Outcome, f.Stage = id, anxin.Outcome(outcome), stage
				if caseID != "" {
					caseOf[caseID] = sid
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		more := []struct {
			q   string
			set func(f *enforcement.ListingFacts, v string)
		}{
			{`SELECT target_id, action FROM gov_enforcements WHERE target_type = 'listing' AND status = 'active' AND target_id IN ` + in,
				func(f *enforcement.ListingFacts, v string) { f.Actions = append(f.Actions, v) }},
			{`SELECT listing_id, 'sampling' FROM sampling_interceptions WHERE restored_at IS NULL AND listing_id IN ` + in,
				func(f *enforcement.ListingFacts, _ string) { f.TakenDown = true }},
			{`SELECT listing_id, 'notice' FROM notices WHERE state IN ('taken_down', 'upheld') AND listing_id IN ` + in,
				func(f *enforcement.ListingFacts, _ string) { f.TakenDown = true }},
		}
		for _, m := range more {
			rows, err := tx.QueryContext(ctx, m.q, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id, v string
				if err := rows.Scan(&id, &v); err != nil {
					rows.Close()
					return err
				}
				if f := facts[id]; f != nil {
					m.set(f, v)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for caseID, sid := range caseOf {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM gov_cases WHERE id = ?`, caseID).Scan(&status); err == nil {
				facts[sid].CaseOpen = status != anxin.CaseDecided
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, f := range facts {
		out[id] = anxin.ListingStatus{Status: enforcement.ListingStatus(*f), DecisionID: f.DecisionID}
	}
	return out, nil
}
