package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"anxin"
	"anxin/enforcement"
	"anxin/rules"
)

// JobSanctionEnd is the job kind that ends a timed sanction (reinstatement).
const JobSanctionEnd = "governance.sanction_end"

// outboxType maps an action to the webhook type the marketplace receives.
var outboxType = map[string]string{
	rules.ActInterceptPublish:   anxin.MessageInterceptListing,
	rules.ActBanListing:         anxin.MessageBanListing,
	rules.ActDelist:             anxin.MessageDelistListing,
	rules.ActRestrictListing:    anxin.MessageRestrictMerchant,
	rules.ActShieldShop:         anxin.MessageShieldShop,
	rules.ActFreezePayout:       anxin.MessageFreezePayout,
	rules.ActDeductDeposit:      anxin.MessageDeductDeposit,
	rules.ActClearOut:           anxin.MessageClearOutMerchant,
	rules.ActPenaliseInfluencer: anxin.MessagePenaliseInfluencer,
	rules.ActCutStream:          anxin.MessageCutStream,
	rules.ActRemoveFromCart:     anxin.MessageRemoveFromCart,
	rules.ActHideContent:        anxin.MessageHideContent,
}

type statementInput struct {
	merchantID, targetType, targetID, stage string
	outcome                                 anxin.Outcome
	actions                                 []enforcement.Target
	fired                                   []rules.Fired
	reasons, labels                         []string
	evidence                                []anxin.Evidence
	decisionID                              string
	policyVersion                           int
	automation                              string // fully, partially, not
	decidedBy                               string
	cause                                   string
	points                                  *anxin.RulePoints
	previous                                *anxin.Statement
	appealStatus                            string
	contentDate                             *time.Time
	id                                      string // the statement's id, when chosen beforehand
	caseID                                  string // the review case that decided, when a person did
	origin                                  string // the node statement's id, when the statement is for a points node
}

// issue writes a statement of reasons and applies its actions: one
// gov_enforcements row, one outbox message and, for timed merchant
// sanctions, one reinstatement job per action.
func (s *GovernanceService) issue(ctx context.Context, tx *Tx, in statementInput) (*anxin.Statement, error) {
	if in.id == "" {
		in.id = anxin.NewTimeID("sor", tx.Now)
	}
	st := &anxin.Statement{
		ID: in.id, Version: 1, MerchantID: in.merchantID, TargetType: in.targetType, TargetID: in.targetID,
		Outcome: in.outcome, Actions: []anxin.StatementAction{}, DecisionGround: "incompatible_with_terms", PolicyVersion: in.policyVersion,
		RuleIDs: []string{}, Category: enforcement.DSACategory(in.labels), Reason: strings.Join(in.reasons, " "), Evidence: in.evidence,
		Source: "own_initiative", Automation: in.automation, DecisionID: in.decisionID, ContentDate: in.contentDate,
		AppealStatus: "none", DecidedBy: in.decidedBy, Points: in.points, CreatedAt: tx.Now,
	}
	if st.Evidence == nil {
		st.Evidence = []anxin.Evidence{}
	}
	if in.previous != nil {
		p := in.previous
		st.Version, st.PreviousID = p.Version+1, p.ID
		st.DecisionGround, st.LegalGround, st.Category, st.RuleIDs, st.Facts = p.DecisionGround, p.LegalGround, p.Category, p.RuleIDs, p.Facts
		st.Evidence, st.DecisionID, st.ContentDate, st.Points = p.Evidence, p.DecisionID, p.ContentDate, p.Points
		if in.appealStatus != "" {
			st.AppealStatus = in.appealStatus
		}
	}
	var legal []string
	for _, f := range in.fired {
		st.RuleIDs = append(st.RuleIDs, f.RuleID)
		if f.Ground == "illegal_content" {
			st.DecisionGround = "illegal_content"
			if !slices.Contains(legal, f.LegalGround) {
				legal = append(legal, f.LegalGround)
			}
		}
	}
	if len(legal) > 0 {
		st.LegalGround = strings.Join(legal, "; ")
	}
	if in.previous == nil {
		st.Facts = enforcement.Facts(in.evidence, in.cause)
	}
	if st.Reason == "" && in.previous != nil {
		st.Reason = in.previous.Reason
	}
	if in.outcome != anxin.OutcomeAllow && in.previous == nil {
		dl := tx.Now.Add(time.Duration(s.AppealWindowDays) * 24 * time.Hour)
		st.AppealDeadline = &dl
		st.HowToAppeal = fmt.Sprintf("File an appeal within %d days: POST /v1/statements/%s/appeals, or from the enforcement record in the console.", s.AppealWindowDays, st.ID)
	}
	// Sanctions on the merchant or influencer go through the one model:
	// the engine places each beside the subject's standing sanctions (one
	// of the same type from governance is served first; one already
	// covered by an open-ended sanction is left out and said so).
	type planned struct {
		t  enforcement.Target
		sc *anxin.Sanction
		in sanctionIssue
		id string // gov_enforcements id, for actions on a record
	}
	var plans []planned
	for _, a := range in.actions {
		p := planned{t: a}
		sa := anxin.StatementAction{Type: a.Type, StartsAt: tx.Now}
		if a.Days > 0 {
			end := tx.Now.Add(time.Duration(a.Days) * 24 * time.Hour)
			sa.EndsAt = &end
		}
		if a.Sanction() {
			p.in = sanctionIssue{subjectType: a.TargetType, subjectID: a.TargetID, typ: enforcement.SanctionType(a.Type), source: anxin.SourceGovernance,
				originType: "decision", originID: in.decisionID, cause: in.cause, days: a.Days, reason: st.Reason, statementID: st.ID,
				windowDays: s.AppealWindowDays, mode: enforcement.Queue,
				explain: enforcement.Explanation{Facts: st.Facts, Automation: in.automation, LegalGround: st.LegalGround}}
			switch {
			case in.origin != "":
				p.in.originType, p.in.originID = "points_node", in.origin
			case in.caseID != "":
				p.in.originType, p.in.originID = "case", in.caseID
			case in.decisionID == "":
				p.in.originType, p.in.originID = "statement", st.ID
			}
			sc, err := planSanction(ctx, tx, p.in)
			if enforcement.Covered(err) {
				st.Facts = strings.TrimSpace(st.Facts + " " + a.Type + " is already in force with no end; not issued again.")
				continue
			}
			if err != nil {
				return nil, err
			}
			p.sc = sc
			sa.StartsAt, sa.EndsAt = sc.StartsAt, sc.EndsAt
		} else {
			p.id = anxin.NewTimeID("enf", tx.Now)
		}
		st.Actions = append(st.Actions, sa)
		plans = append(plans, p)
	}
	_, err := tx.execCached(ctx, `INSERT INTO gov_statements (id, version, previous_id, merchant_id, target_type, target_id, outcome, appeal_deadline, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, st.ID, st.Version, st.PreviousID, st.MerchantID, st.TargetType, st.TargetID, int(st.Outcome),
		msPtr(st.AppealDeadline), govJSON(st), ms(tx.Now))
	if err != nil {
		return nil, err
	}
	for i, p := range plans {
		if p.sc != nil {
			if err := storeSanction(ctx, tx, p.sc, p.in, false); err != nil {
				return nil, err
			}
			continue
		}
		sa := st.Actions[i]
		if _, err := tx.execCached(ctx, `INSERT INTO gov_enforcements (id, statement_id, merchant_id, target_type, target_id, action, stage, cause, status, starts_at, ends_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`, p.id, st.ID, in.merchantID, p.t.TargetType, p.t.TargetID, p.t.Type, in.stage, in.cause,
			ms(sa.StartsAt), msPtr(sa.EndsAt), ms(tx.Now)); err != nil {
			return nil, err
		}
		payload := map[string]any{"statement_id": st.ID, "action": p.t.Type, "target_type": p.t.TargetType, "target_id": p.t.TargetID,
			"merchant_id": in.merchantID, "starts_at": sa.StartsAt, "ends_at": sa.EndsAt, "reason": st.Reason, "decision_id": in.decisionID}
		if _, err := Enqueue(ctx, tx, outboxType[p.t.Type], p.t.TargetID, p.id, payload); err != nil {
			return nil, err
		}
	}
	if len(in.actions) == 0 {
		if _, err := Enqueue(ctx, tx, anxin.MessageNotify, in.targetID, "statement:"+st.ID, map[string]any{
			"statement_id": st.ID, "merchant_id": in.merchantID, "kind": "statement", "reason": st.Reason, "appeal_status": st.AppealStatus}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// addPoints records the points of the fired block rules on the merchant's
// record and fires any node the new totals reach.
func (s *GovernanceService) addPoints(ctx context.Context, tx *Tx, merchantID string, fired []rules.Fired, decisionID, statementID string) error {
	if merchantID == "" {
		return nil
	}
	added := false
	for _, f := range fired {
		// Only the rules that decided the outcome count: a review rule that
		// also fired under a block adds its points only if a reviewer
		// upholds it on its own case.
		if f.Outcome != anxin.OutcomeBlock || f.Points == nil || (f.Points.Points == 0 && !f.Points.Counterfeit) {
			continue
		}
		tx.touchEnforcement(ctx, merchantID, false)
		if _, err := tx.execCached(ctx, `INSERT INTO gov_violations (id, merchant_id, track, points, counterfeit, rule_id, decision_id, statement_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, anxin.NewTimeID("vio", tx.Now), merchantID, f.Points.Track, f.Points.Points, govBool(f.Points.Counterfeit),
			f.RuleID, decisionID, statementID, ms(tx.Now)); err != nil {
			return err
		}
		tx.notePoints(merchantID, f.Points.Track, f.Points.Points, f.Points.Counterfeit)
		added = true
	}
	if !added {
		return nil
	}
	return s.fireNodes(ctx, tx, merchantID)
}

// fireNodes issues the sanctions of every node the merchant's totals have
// reached (enforcement.NodesReached) and that has not fired this cycle.
func (s *GovernanceService) fireNodes(ctx context.Context, tx *Tx, merchantID string) error {
	t, err := pointTotals(ctx, tx, merchantID)
	if err != nil {
		return err
	}
	cycle := enforcement.CycleKey(tx.Now)
	for _, n := range enforcement.NodesReached(t, nil) {
		// Claim the node first: of two checks reaching it at once (on two
		// replicas), the second waits for the first to commit and then
		// claims nothing, instead of failing on the key.
		key := nodeKey{merchantID, n.Track, cycle, n.Node.At}
		if tx.nodeClaimed(key) {
			continue // fired already this cycle (known without asking)
		}
		stID := anxin.NewTimeID("sor", tx.Now)
		r, err := tx.execCached(ctx, `INSERT INTO gov_nodes (merchant_id, track, cycle, node, statement_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (merchant_id, track, cycle, node) DO NOTHING`, merchantID, n.Track, cycle, n.Node.At, stID, ms(tx.Now))
		if err != nil {
			return err
		}
		tx.noteClaim(key)
		if k, err := r.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			continue // fired already this cycle
		}
		var acts []enforcement.Target
		for _, a := range n.Node.Actions {
			acts = append(acts, enforcement.Target{EnforcementAction: a, TargetType: anxin.SubjectMerchant, TargetID: merchantID})
		}
		if _, err := s.issue(ctx, tx, statementInput{merchantID: merchantID, targetType: "merchant", targetID: merchantID,
			stage: anxin.StagePostPublish, outcome: anxin.OutcomeBlock, actions: acts, reasons: []string{n.Reason},
			labels: []string{"points_node"}, automation: "fully", cause: n.Cause, origin: stID, id: stID}); err != nil {
			return err
		}
	}
	return nil
}

// HandleSanctionEnd is the JobSanctionEnd handler: it marks a timed
// sanction expired and tells the marketplace the subject is reinstated for
// that sanction.
func (s *GovernanceService) HandleSanctionEnd(ctx context.Context, tx *Tx, job *anxin.Job) error {
	var p struct {
		EnforcementID string `json:"enforcement_id"`
	}
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	var subject, typ, statementID, source string
	err := tx.QueryRowContext(ctx, `SELECT subject_id, type, statement_id, source FROM sanctions WHERE id = ? AND status = 'active'`, p.EnforcementID).
		Scan(&subject, &typ, &statementID, &source)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // lifted or reversed already
	}
	if err != nil {
		return err
	}
	tx.touchEnforcement(ctx, subject, true)
	if _, err := tx.ExecContext(ctx, `UPDATE sanctions SET status = 'expired', ended_at = ?, end_reason = 'ended' WHERE id = ?`, ms(tx.Now), p.EnforcementID); err != nil {
		return err
	}
	_, err = Enqueue(ctx, tx, anxin.MessageReinstateMerchant, subject, "end:"+p.EnforcementID, map[string]any{
		"merchant_id": subject, "action": typ, "statement_id": statementID, "enforcement_id": p.EnforcementID, "sanction_id": p.EnforcementID, "source": source})
	return err
}

// reverseStatement reverses everything a statement applied: its actions
// (restoring listings), its points, and the node sanctions whose totals no
// longer hold. Used when an appeal is overturned.
func (s *GovernanceService) reverseStatement(ctx context.Context, tx *Tx, st *anxin.Statement) error {
	if err := reverseEnforcements(ctx, tx, st.ID, "reversed"); err != nil {
		return err
	}
	tx.touchEnforcement(ctx, "", true) // the statement's violations: their merchants are not read here
	if _, err := tx.ExecContext(ctx, `UPDATE gov_violations SET reversed = 1 WHERE statement_id = ?`, st.ID); err != nil {
		return err
	}
	tx.forgetTotals()
	if st.MerchantID == "" {
		return nil
	}
	t, err := pointTotals(ctx, tx, st.MerchantID)
	if err != nil {
		return err
	}
	cycle := enforcement.CycleKey(tx.Now)
	rows, err := tx.QueryContext(ctx, `SELECT track, node, statement_id FROM gov_nodes WHERE merchant_id = ? AND cycle = ?`, st.MerchantID, cycle)
	if err != nil {
		return err
	}
	var fired []enforcement.FiredNode
	for rows.Next() {
		var n enforcement.FiredNode
		if err := rows.Scan(&n.Track, &n.At, &n.StatementID); err != nil {
			rows.Close()
			return err
		}
		fired = append(fired, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range enforcement.NodesToLift(t, fired) {
		if err := reverseEnforcements(ctx, tx, n.StatementID, "lifted"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM gov_nodes WHERE merchant_id = ? AND track = ? AND cycle = ? AND node = ?`,
			st.MerchantID, n.Track, cycle, n.At); err != nil {
			return err
		}
	}
	return nil
}

// reverseEnforcements marks a statement's active actions and sanctions
// reversed (or lifted), cancels their reinstatement jobs and tells the
// marketplace.
func reverseEnforcements(ctx context.Context, tx *Tx, statementID, status string) error {
	ss, err := loadSanctions(ctx, tx, `WHERE statement_id = ? AND status = 'active' ORDER BY created_at, id`, statementID)
	if err != nil {
		return err
	}
	reason := "decision_overturned"
	if status == anxin.SanctionLifted {
		reason = "points_below_node"
	}
	if _, err := endSanctions(ctx, tx, ss, status, reason); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, merchant_id, target_type, target_id, action FROM gov_enforcements WHERE statement_id = ? AND status = 'active'`, statementID)
	if err != nil {
		return err
	}
	type row struct{ id, merchant, ttype, tid, action string }
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.merchant, &r.ttype, &r.tid, &r.action); err != nil {
			rows.Close()
			return err
		}
		rs = append(rs, r)
	}
	rows.Close()
	for _, r := range rs {
		if _, err := tx.ExecContext(ctx, `UPDATE gov_enforcements SET status = ?, reversed_at = ? WHERE id = ?`, status, ms(tx.Now), r.id); err != nil {
			return err
		}
		if err := CancelJob(ctx, tx, JobSanctionEnd, r.id); err != nil {
			return err
		}
		typ := anxin.MessageReverseEnforcement
		if r.ttype == "listing" {
			typ = anxin.MessageRestoreListing
		}
		if _, err := Enqueue(ctx, tx, typ, r.tid, "reverse:"+r.id, map[string]any{"statement_id": statementID, "action": r.action,
			"target_type": r.ttype, "target_id": r.tid, "merchant_id": r.merchant, "enforcement_id": r.id, "status": status}); err != nil {
			return err
		}
	}
	return nil
}

func findStatement(ctx context.Context, tx *Tx, id string) (*anxin.Statement, error) {
	var body string
	err := tx.QueryRowContext(ctx, `SELECT body FROM gov_statements WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Statement not found.")
	}
	if err != nil {
		return nil, err
	}
	st := new(anxin.Statement)
	if err := json.Unmarshal([]byte(body), st); err != nil {
		return nil, err
	}
	var status string
	err = tx.QueryRowContext(ctx, `SELECT status FROM gov_appeals WHERE statement_id = ? ORDER BY created_at DESC LIMIT 1`, id).Scan(&status)
	if err == nil {
		st.AppealStatus = status
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return st, nil
}

// govVisible reports whether the actor in ctx may see a merchant's records:
// merchants only their own.
func govVisible(ctx context.Context, merchantID string) bool {
	scope := anxin.MerchantScope(ctx)
	return scope == "" || scope == merchantID
}

// FindStatement returns a statement of reasons. NotFound if absent or, for
// a merchant, another merchant's.
func (s *GovernanceService) FindStatement(ctx context.Context, id string) (*anxin.Statement, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadEnforcement); err != nil {
		return nil, err
	}
	var st *anxin.Statement
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		st, err = findStatement(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !govVisible(ctx, st.MerchantID) {
		return nil, anxin.Errorf(anxin.NotFound, "Statement not found.")
	}
	return st, nil
}

// FindStatements lists statements, newest first, for one merchant or ("")
// all. Merchants always see only their own.
func (s *GovernanceService) FindStatements(ctx context.Context, merchantID string, page anxin.Page) ([]*anxin.Statement, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadEnforcement); err != nil {
		return nil, "", err
	}
	if scope := anxin.MerchantScope(ctx); scope != "" {
		merchantID = scope
	} else if err := anxin.Authorize(ctx, anxin.ActionReadStatements); err != nil {
		return nil, "", err
	}
	limit, offset := govPage(page)
	var out []*anxin.Statement
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		var err error
		out, err = statementsWhere(ctx, tx, `WHERE (? = '' OR merchant_id = ?) ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
			merchantID, merchantID, limit+1, offset)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := govPageNext(out, limit, offset)
	return out, next, nil
}

// statementsWhere returns the statements a WHERE/ORDER/LIMIT clause selects.
func statementsWhere(ctx context.Context, tx *Tx, where string, args ...any) ([]*anxin.Statement, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM gov_statements `+where, args...)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []*anxin.Statement{}
	for _, id := range ids {
		st, err := findStatement(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// govPage turns a Page into a limit and offset; the cursor is the
// offset, opaque to callers.
func govPage(p anxin.Page) (int, int) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	offset, _ := strconv.Atoi(p.Cursor)
	return limit, max(offset, 0)
}

func govPageNext[T any](items []T, limit, offset int) ([]T, string) {
	if len(items) > limit {
		return items[:limit], strconv.Itoa(offset + limit)
	}
	return items, ""
}

// MerchantRecord returns a merchant's enforcement record: points this
// cycle, counterfeit findings, sanctions, violations, statements and
// appeals (the latest 100 of each). NotFound for another merchant's record
// or a merchant Anxin knows nothing about.
func (s *GovernanceService) MerchantRecord(ctx context.Context, merchantID string) (*anxin.EnforcementRecord, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadEnforcement); err != nil {
		return nil, err
	}
	notFound := anxin.Errorf(anxin.NotFound, "Merchant not found.")
	if !govVisible(ctx, merchantID) || anxin.ValidateID("id", merchantID) != nil {
		return nil, notFound
	}
	rec := &anxin.EnforcementRecord{MerchantID: merchantID, Sanctions: []*anxin.Sanction{}, Violations: []*anxin.Violation{}, Statements: []*anxin.Statement{}, Appeals: []*anxin.Appeal{}}
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		t, err := pointTotals(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		rec.General, rec.Serious, rec.Counterfeit = t.General, t.Serious, t.Counterfeit
		if rec.Sanctions, err = loadSanctions(ctx, tx, `WHERE subject_id = ? AND subject_type = 'merchant' ORDER BY created_at DESC, id LIMIT 100`, merchantID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, merchant_id, track, points, counterfeit, rule_id, decision_id, statement_id, reversed, created_at
			FROM gov_violations WHERE merchant_id = ? ORDER BY created_at DESC LIMIT 100`, merchantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			v := new(anxin.Violation)
			var cf, rev int
			var at int64
			if err := rows.Scan(&v.ID, &v.MerchantID, &v.Track, &v.Points, &cf, &v.RuleID, &v.DecisionID, &v.StatementID, &rev, &at); err != nil {
				rows.Close()
				return err
			}
			v.Counterfeit, v.Reversed, v.CreatedAt = cf == 1, rev == 1, fromMS(at)
			rec.Violations = append(rec.Violations, v)
		}
		rows.Close()
		if rec.Statements, err = statementsWhere(ctx, tx, `WHERE merchant_id = ? ORDER BY created_at DESC LIMIT 100`, merchantID); err != nil {
			return err
		}
		if rec.Appeals, err = queryAppeals(ctx, tx, `WHERE merchant_id = ? ORDER BY created_at DESC LIMIT 100`, merchantID); err != nil {
			return err
		}
		if len(rec.Statements) == 0 && len(rec.Violations) == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM merchants WHERE id = ?`, merchantID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return notFound
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}
