package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"anxin"
	"anxin/counterfeit"
	"anxin/enforcement"
	"anxin/governance"
	"anxin/rules"
)

// MaxCheckBatch is the most items one check request may carry.
const MaxCheckBatch = 1000

// CheckListings checks listings, stores each decision with its evidence and
// applies what follows: a block writes a statement of reasons, its actions,
// points and webhooks; a review opens a case. At stage publish a merchant
// under restrict_listing or clear_out is blocked with reason code
// PENALTY_RESTRICTED or MERCHANT_CLEARED and the sanction's statement.
// Invalid (with per-item details, nothing stored) if any item is invalid;
// TooLarge over MaxCheckBatch. Role: platform, operator.
func (s *GovernanceService) CheckListings(ctx context.Context, ls []*anxin.ListingCheck) ([]*anxin.Decision, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCheck); err != nil {
		return nil, err
	}
	if err := checkBatch(len(ls), func(i int) (string, error) {
		if ls[i] == nil {
			return "", anxin.Errorf(anxin.Invalid, "item is null.")
		}
		return ls[i].ID, ls[i].Validate()
	}); err != nil {
		return nil, err
	}
	eng, err := s.Engine(ctx)
	if err != nil {
		return nil, err
	}
	// Counterfeit signals (brand registry, relation network, history, text
	// model) are computed before the transaction: they read, and on SQLite
	// a read pool must not wait on the check's own write lock.
	scores := make([]*anxin.CounterfeitScore, len(ls))
	if s.Counterfeit != nil {
		for i, l := range ls {
			if l.MerchantID == "" {
				continue
			}
			sc, err := s.Counterfeit.score(ctx, anxin.ScoreInput{Listing: l.Listing()}, false)
			if err != nil {
				return nil, err
			}
			scores[i] = sc
		}
	}
	// The engine runs before the group commit too, on the merchant state
	// the cache holds now (see early); inside the group its answer is used
	// only if the state read there is the same.
	pre := make([]early, len(ls))
	for i, l := range ls {
		if scores[i] != nil {
			pre[i].signals = counterfeit.Signals(scores[i])
		}
		if m, ok := s.db.peekMerchant(l.MerchantID, s.db.Clock.Now().UTC()); ok {
			pre[i].m, pre[i].o, pre[i].ok = m, eng.CheckListing(l, m, pre[i].signals), true
		}
	}
	out := make([]*anxin.Decision, len(ls))
	err = s.groupTx(ctx, ls[0].MerchantID, func(tx *Tx) error {
		for i, l := range ls {
			m, sanctions, err := merchantState(ctx, tx, l.MerchantID)
			if err != nil {
				return err
			}
			o, ok := pre[i].take(m)
			if !ok {
				o = eng.CheckListing(l, m, pre[i].signals)
			}
			if sc := scores[i]; sc != nil {
				if err := s.counterfeitEvidence(ctx, tx, l.ID, sc, &o); err != nil {
					return err
				}
			}
			d := &anxin.Decision{SubjectType: "listing", SubjectID: l.ID, Kind: "listing", MerchantID: l.MerchantID, Stage: l.Stage}
			gate(d, &o, sanctions, tx.Now)
			if out[i], err = s.decide(ctx, tx, eng, d, o, l, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CheckContent checks content items like CheckListings. A livestream
// segment is checked together with the stream's WindowSegments previous
// segments (by seq), so coded language split across segments is caught; a
// block that orders the stream cut sets cut_stream and sends stream.cut.
func (s *GovernanceService) CheckContent(ctx context.Context, cs []*anxin.ContentItem) ([]*anxin.Decision, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCheck); err != nil {
		return nil, err
	}
	if err := checkBatch(len(cs), func(i int) (string, error) {
		if cs[i] == nil {
			return "", anxin.Errorf(anxin.Invalid, "item is null.")
		}
		return cs[i].ID, cs[i].Validate()
	}); err != nil {
		return nil, err
	}
	eng, err := s.Engine(ctx)
	if err != nil {
		return nil, err
	}
	// Counterfeit signals of the content (frame hashes against the hash
	// bank — known counterfeits, covered logos —, the author's links and
	// penalties), computed before the transaction as for listings.
	scores := make([]*anxin.CounterfeitScore, len(cs))
	if s.Counterfeit != nil {
		for i, c := range cs {
			sc, err := s.Counterfeit.score(ctx, anxin.ScoreInput{Content: c}, false)
			if err != nil {
				return nil, err
			}
			scores[i] = sc
		}
	}
	out := make([]*anxin.Decision, len(cs))
	err = s.groupTx(ctx, cs[0].AuthorID, func(tx *Tx) error {
		for i, c := range cs {
			m, sanctions, err := merchantState(ctx, tx, c.AuthorID)
			if err != nil {
				return err
			}
			var window []string
			stage := anxin.StagePostPublish
			if c.Kind == anxin.ContentLivestreamSegment {
				stage = anxin.StageStream
				if window, err = streamWindow(ctx, tx, c); err != nil {
					return err
				}
			}
			var signals map[string]float64
			if sc := scores[i]; sc != nil {
				signals = counterfeit.Signals(sc)
			}
			o := eng.CheckContent(c, window, m, signals)
			if sc := scores[i]; sc != nil && sc.Score >= s.Counterfeit.FlagThreshold {
				for _, sig := range sc.Signals {
					o.Evidence = append(o.Evidence, anxin.Evidence{Kind: "signal", Term: "counterfeit." + sig.Name, Category: "counterfeit_signals", Quote: sig.Detail})
				}
			}
			d := &anxin.Decision{SubjectType: "content", SubjectID: c.ID, Kind: c.Kind, MerchantID: c.AuthorID, StreamID: c.StreamID, Seq: c.Seq, Stage: stage}
			gate(d, &o, sanctions, tx.Now)
			if out[i], err = s.decide(ctx, tx, eng, d, o, c, c.AuthorID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// early is the engine's answer for one item computed before the group
// commit, on the merchant state m. The engine depends on nothing but the
// item, m and the signals, so the answer stands when the state read inside
// the group gives the same m; it is used once (the caller adds evidence to
// it, and a group that fails runs its jobs again).
type early struct {
	signals map[string]float64
	m       rules.Merchant
	o       governance.Output
	ok      bool
}

// take returns the early answer if it was computed on m.
func (e *early) take(m rules.Merchant) (governance.Output, bool) {
	if !e.ok || !e.m.Equal(m) {
		return governance.Output{}, false
	}
	e.ok = false
	return e.o, true
}

// checkBatch validates a batch, collecting one ItemError per bad item.
func checkBatch(n int, validate func(i int) (string, error)) error {
	if n == 0 {
		return anxin.Errorf(anxin.Invalid, "The batch is empty.")
	}
	if n > MaxCheckBatch {
		return anxin.Errorf(anxin.TooLarge, "A check batch has at most %d items.", MaxCheckBatch)
	}
	var details []anxin.ItemError
	for i := 0; i < n; i++ {
		id, err := validate(i)
		if err != nil {
			details = append(details, anxin.ItemError{Index: i, ID: id, Message: anxin.MessageOf(err)})
		}
	}
	if details != nil {
		return &anxin.Error{Kind: anxin.Invalid, Message: "The batch was rejected: an item is invalid; nothing was checked.", Details: details}
	}
	return nil
}

// gate blocks a publish or a stream segment by a subject under a sanction
// the engine says the stage must refuse, whatever its source: the decision
// carries the strictest refusal's reason code and statement, and every
// refusal's reason and evidence.
func gate(d *anxin.Decision, o *governance.Output, sanctions []*anxin.Sanction, now time.Time) {
	refusals := enforcement.Gate(d.Stage, sanctions, now)
	if len(refusals) == 0 {
		return
	}
	d.ReasonCode, d.StatementID = refusals[0].Code, refusals[0].Sanction.StatementID
	var reasons []string
	for _, r := range refusals {
		reasons = append(reasons, r.Reason)
		o.Evidence = append(o.Evidence, anxin.Evidence{Kind: "sanction", Category: r.Sanction.Type, Ref: r.Sanction.ID, Quote: r.Sanction.Source})
	}
	act := rules.ActInterceptPublish
	if d.Stage == anxin.StageStream {
		act = rules.ActCutStream
	}
	o.Result.Outcome = anxin.OutcomeBlock
	o.Result.Reasons = append(reasons, o.Result.Reasons...)
	o.Result.Labels = append([]string{"merchant_penalised"}, o.Result.Labels...)
	o.Result.Actions = rules.MergeActions(o.Result.Actions, []anxin.EnforcementAction{{Type: act}})
}

// decide fills d from the engine's output, stores it and applies its
// consequences, all in tx.
func (s *GovernanceService) decide(ctx context.Context, tx *Tx, eng *governance.Engine, d *anxin.Decision, o governance.Output, snapshot any, authorID string) (*anxin.Decision, error) {
	r := o.Result
	d.ID, d.CreatedAt = anxin.NewTimeID("dec", tx.Now), tx.Now
	d.Outcome, d.Labels, d.Reasons, d.Evidence = r.Outcome, govStrings(r.Labels), govStrings(r.Reasons), o.Evidence
	if d.Evidence == nil {
		d.Evidence = []anxin.Evidence{}
	}
	d.Rules = ruleHits(r)
	d.PolicyVersion, d.LexiconVersion = eng.PolicyVersion, eng.LexiconVersion
	if o.Shadow != nil {
		so := o.Shadow.Outcome
		d.ShadowOutcome = &so
	}
	if d.Outcome == anxin.OutcomeBlock {
		d.Actions = enforcement.StageActions(d, r.Actions)
		for _, a := range d.Actions {
			d.CutStream = d.CutStream || a.Type == rules.ActCutStream
		}
		if d.ReasonCode == "" {
			d.ReasonCode = anxin.ReasonPolicyViolation
		}
		if len(r.Fired) > 0 {
			st, err := s.issue(ctx, tx, statementInput{
				merchantID: d.MerchantID, targetType: enforcement.TargetOf(d), targetID: enforcement.TargetIDOf(d), stage: d.Stage,
				outcome: anxin.OutcomeBlock, actions: enforcement.Targets(d, d.Actions, authorID), fired: r.Fired,
				reasons: d.Reasons, labels: d.Labels, evidence: d.Evidence, decisionID: d.ID,
				policyVersion: d.PolicyVersion, automation: "fully", contentDate: &tx.Now,
			})
			if err != nil {
				return nil, err
			}
			d.StatementID = st.ID
			if err := s.addPoints(ctx, tx, d.MerchantID, r.Fired, d.ID, st.ID); err != nil {
				return nil, err
			}
		}
	}
	if d.Outcome == anxin.OutcomeReview {
		d.CaseID = anxin.NewTimeID("case", tx.Now)
	}
	snap, _ := json.Marshal(snapshot)
	tx.queueDecision(ctx, []any{
		d.ID, d.SubjectType, d.SubjectID, d.Kind, d.MerchantID, d.StreamID, d.Seq, d.Stage, int(d.Outcome),
		govJSON(d.Labels), govJSON(d.Reasons), govJSON(d.Evidence), govJSON(d.Rules), govJSON(d.Actions), d.ReasonCode, govBool(d.CutStream),
		d.CaseID, d.StatementID, shadowCol(d.ShadowOutcome), d.PolicyVersion, d.LexiconVersion, string(snap), ms(tx.Now)})
	for _, h := range d.Rules {
		batch := decisionsOf(tx)
		batch.rules = append(batch.rules, []any{d.ID, h.RuleID, int(h.Outcome), govBool(h.Shadow), ms(tx.Now)})
	}
	if err := recordShadowFlag(ctx, tx, d.ID, o.ShadowModel); err != nil {
		return nil, err
	}
	if d.Kind == anxin.ContentLivestreamSegment {
		if c, ok := snapshot.(*anxin.ContentItem); ok {
			if err := rememberSegment(ctx, tx, c); err != nil {
				return nil, err
			}
		}
	}
	if d.CaseID != "" {
		if err := openCase(ctx, tx, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func shadowCol(o *anxin.Outcome) any {
	if o == nil {
		return nil
	}
	return int(*o)
}

func govStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// merchantState returns a subject's enforcement state for the rules and
// the gate at tx.Now: its standing sanctions from every source, points this
// cycle, counterfeit findings and violations in the last 365 days (on the
// check path it runs inside the group commit, where every round trip holds
// up the whole group; on SQLite it is usually answered from memory, see
// stateCache). The returned sanctions are shared: the caller must not
// modify them.
func merchantState(ctx context.Context, tx *Tx, id string) (rules.Merchant, []*anxin.Sanction, error) {
	if id == "" {
		return rules.Merchant{}, nil, nil
	}
	e, err := tx.enforcementState(ctx, id)
	if err != nil {
		return rules.Merchant{ID: id}, nil, err
	}
	tx.checkBatch(ctx).totals[id] = e.totals
	return merchantOf(id, e, tx.Now), slices.Clip(e.sanctions), nil
}

// merchantOf is the rules' view of subject id's state e at now.
func merchantOf(id string, e *stateEntry, now time.Time) rules.Merchant {
	m := rules.Merchant{ID: id}
	for _, sc := range e.sanctions {
		if sc.ActiveAt(now) {
			m.Sanctions = append(m.Sanctions, sc.Type)
		}
	}
	t := e.totals
	m.General, m.Serious, m.Counterfeit, m.Violations = t.General, t.Serious, t.Counterfeit, t.Violations
	m.Known = len(e.sanctions) > 0 || t.Violations > 0
	return m
}

// violationCuts returns, in stored milliseconds, where now's points cycle
// starts, where the 365-day counterfeit window starts and the earlier of
// the two (what a totals query reads from). A violation at `at` counts in
// the window when it is not before now-365d (enforcement.Totals.Add); the
// window cut is rounded up to a whole millisecond so that `created_at >=
// window` says exactly that of a stored millisecond.
func violationCuts(now time.Time) (cycle, window, from int64) {
	w := now.Add(-enforcement.CounterfeitWindow)
	cycle, window = ms(enforcement.CycleStart(now)), ms(w)
	if time.UnixMilli(window).Before(w) {
		window++
	}
	return cycle, window, min(cycle, window)
}

// addViolations adds n violations on one track, summed to pts points, to
// t the way enforcement.Totals.Add adds them one by one: the points if
// they fall in the cycle, the violations and counterfeit findings if they
// fall in the window.
func addViolations(t *enforcement.Totals, track string, pts int, counterfeit bool, n int, inCycle, inWindow bool) {
	if inCycle {
		switch track {
		case "general":
			t.General += pts
		case "serious":
			t.Serious += pts
		}
	}
	if inWindow {
		t.Violations += n
		if counterfeit {
			t.Counterfeit += n
		}
	}
}

// pointTotals returns a merchant's point totals at tx.Now: from the
// transaction's cache when a check read them in it (kept current by
// notePoints and forgetTotals), else from the database.
func pointTotals(ctx context.Context, tx *Tx, merchantID string) (enforcement.Totals, error) {
	if b := decisionsOf(tx); b != nil {
		if t, ok := b.totals[merchantID]; ok {
			return t, nil
		}
	}
	var t enforcement.Totals
	cycle, window, from := violationCuts(tx.Now)
	rows, err := tx.queryCached(ctx, `SELECT track, SUM(points), counterfeit, CASE WHEN created_at >= ? THEN 1 ELSE 0 END,
			CASE WHEN created_at >= ? THEN 1 ELSE 0 END, COUNT(*)
		FROM gov_violations WHERE merchant_id = ? AND reversed = 0 AND created_at >= ?
		GROUP BY 1, 3, 4, 5`, cycle, window, merchantID, from)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var track string
		var pts, cf, inCycle, inWindow, n int
		if err := rows.Scan(&track, &pts, &cf, &inCycle, &inWindow, &n); err != nil {
			return t, err
		}
		addViolations(&t, track, pts, cf == 1, n, inCycle == 1, inWindow == 1)
	}
	return t, rows.Err()
}

// streamWindow returns the text of the stream's previous segments, oldest
// first.
func streamWindow(ctx context.Context, tx *Tx, c *anxin.ContentItem) ([]string, error) {
	rows, err := tx.queryCached(ctx, `SELECT text FROM gov_stream_segments WHERE stream_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
		c.StreamID, c.Seq, governance.WindowSegments)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var w []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		w = append([]string{s}, w...)
	}
	return w, rows.Err()
}

// rememberSegment keeps a segment's text for the window of later segments.
func rememberSegment(ctx context.Context, tx *Tx, c *anxin.ContentItem) error {
	text := c.Text
	if len(text) > 4096 {
		text = strings.ToValidUTF8(text[len(text)-4096:], "")
	}
	_, err := tx.execCached(ctx, `INSERT INTO gov_stream_segments (stream_id, seq, text, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (stream_id, seq) DO UPDATE SET text = excluded.text, created_at = excluded.created_at`, c.StreamID, c.Seq, text, ms(tx.Now))
	return err
}

// FindDecision returns a stored decision. NotFound if absent. Role:
// platform, operator, reviewer, auditor.
func (s *GovernanceService) FindDecision(ctx context.Context, id string) (*anxin.Decision, error) {
	if anxin.Authorize(ctx, anxin.ActionCheck) != nil {
		if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
			return nil, err
		}
	}
	var d *anxin.Decision
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		d, _, err = findDecision(ctx, tx, id)
		return err
	})
	return d, err
}

func findDecision(ctx context.Context, tx *Tx, id string) (*anxin.Decision, string, error) {
	d := new(anxin.Decision)
	var labels, reasons, evidence, rs, acts, snap string
	var outcome, cut int
	var shadow *int64
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT id, subject_type, subject_id, kind, merchant_id, stream_id, seq, stage, outcome, labels, reasons, evidence,
		rules, actions, reason_code, cut_stream, case_id, statement_id, shadow_outcome, policy_version, lexicon_version, snapshot, created_at
		FROM gov_decisions WHERE id = ?`, id).Scan(&d.ID, &d.SubjectType, &d.SubjectID, &d.Kind, &d.MerchantID, &d.StreamID, &d.Seq, &d.Stage,
		&outcome, &labels, &reasons, &evidence, &rs, &acts, &d.ReasonCode, &cut, &d.CaseID, &d.StatementID, &shadow, &d.PolicyVersion,
		&d.LexiconVersion, &snap, &at)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, "", anxin.Errorf(anxin.NotFound, "Decision not found.")
		}
		return nil, "", err
	}
	d.Outcome, d.CutStream, d.CreatedAt = anxin.Outcome(outcome), cut == 1, fromMS(at)
	if shadow != nil {
		o := anxin.Outcome(*shadow)
		d.ShadowOutcome = &o
	}
	for _, c := range []struct {
		s string
		v any
	}{{labels, &d.Labels}, {reasons, &d.Reasons}, {evidence, &d.Evidence}, {rs, &d.Rules}, {acts, &d.Actions}} {
		if err := json.Unmarshal([]byte(c.s), c.v); err != nil {
			return nil, "", err
		}
	}
	return d, snap, nil
}

// counterfeitEvidence cites the counterfeit signals when the policy fired a
// counterfeit rule, and records the listing as flagged by Anxin: by its
// signals when the score reached the flag threshold, by coded language when
// a counterfeit lexicon hit.
func (s *GovernanceService) counterfeitEvidence(ctx context.Context, tx *Tx, listingID string, sc *anxin.CounterfeitScore, o *governance.Output) error {
	coded := 0
	for _, e := range o.Evidence {
		if strings.HasPrefix(e.Category, "counterfeit") {
			coded++
		}
	}
	bySignals := sc.Score >= s.Counterfeit.FlagThreshold
	if bySignals {
		for _, sig := range sc.Signals {
			o.Evidence = append(o.Evidence, anxin.Evidence{Kind: "signal", Term: "counterfeit." + sig.Name, Category: "counterfeit_signals", Quote: sig.Detail})
		}
	}
	if !bySignals && coded == 0 {
		return nil
	}
	return recordFlag(ctx, tx, listingID, sc, bySignals, coded > 0)
}

// queryRowCached is QueryRowContext through the statement cache (see
// execCached), for fixed query texts on the hot paths: the check, the
// protection hook on ingest and the claim decision.
func (tx *Tx) queryRowCached(ctx context.Context, q string, args ...any) *sql.Row {
	if st := tx.cachedStmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}
