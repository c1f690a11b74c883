package sqlstore

import (
	"context"

	"anxin/enforcement"
)

// Decisions and their rule hits are written in batches: a group commit of
// checks queues its rows on the transaction and writes them with one
// multi-row INSERT per table (decisions, rule hits, review cases, in that
// order: a case refers to its decision; then the outbox messages the
// checks sent) just before COMMIT, so every decision is stored in the same
// transaction as its effects, at a fraction of the statements.
var (
	decisionInsert = batch{head: `INSERT INTO gov_decisions (id, subject_type, subject_id, kind, merchant_id, stream_id, seq, stage, outcome,
	labels, reasons, evidence, rules, actions, reason_code, cut_stream, case_id, statement_id, shadow_outcome, policy_version, lexicon_version, snapshot, created_at)`, cols: 23, whole: true}
	decisionRuleInsert = batch{head: `INSERT INTO gov_decision_rules (decision_id, rule_id, outcome, shadow, created_at)`, tail: `ON CONFLICT DO NOTHING`, cols: 5, whole: true}
	caseInsert         = batch{head: `INSERT INTO gov_cases (id, decision_id, subject_type, subject_id, kind, merchant_id, stage, priority, status,
		labels, reasons, rule_ids, evidence, created_at)`, cols: 14, whole: true}
	outboxInsert = batch{head: `INSERT INTO outbox (id, type, subject_id, payload, created_at)`, tail: `ON CONFLICT (id) DO NOTHING`, cols: 5, whole: true}
)

// decisionBatch holds a transaction's decision rows not yet written, the
// outbox messages its checks send (see Enqueue), and the point totals of
// the merchants it has read (totals), so that adding a violation does not
// read them back.
type decisionBatch struct {
	decisions, rules, cases, outbox [][]any
	totals                          map[string]enforcement.Totals
}

// pendingDecisions holds a transaction's check decisions waiting for the
// batched insert.
var pendingDecisions = &txState[*decisionBatch]{name: "check decisions"}

// decisionsOf returns the transaction's decision batch, nil if it has none.
func decisionsOf(tx *Tx) *decisionBatch {
	b, _ := pendingDecisions.get(tx)
	return b
}

// checkBatch returns the transaction's decision batch, creating it and
// registering its flush before COMMIT the first time.
func (tx *Tx) checkBatch(ctx context.Context) *decisionBatch {
	b := decisionsOf(tx)
	if b == nil {
		b = &decisionBatch{totals: map[string]enforcement.Totals{}}
		pendingDecisions.set(tx, b)
		tx.onCommit(func() error { return tx.flushDecisions(context.WithoutCancel(ctx)) })
	}
	return b
}

// queueDecision queues one gov_decisions row.
func (tx *Tx) queueDecision(ctx context.Context, row []any) {
	b := tx.checkBatch(ctx)
	b.decisions = append(b.decisions, row)
}

// notePoints adds a violation just inserted at tx.Now to the merchant's
// cached totals, if they were read in this transaction (both the cycle and
// the window contain tx.Now).
func (tx *Tx) notePoints(merchantID, track string, points int, counterfeit bool) {
	b := decisionsOf(tx)
	if b == nil {
		return
	}
	if t, ok := b.totals[merchantID]; ok {
		addViolations(&t, track, points, counterfeit, 1, true, true)
		b.totals[merchantID] = t
	}
}

// forgetTotals drops the cached totals (violations were reversed).
func (tx *Tx) forgetTotals() {
	if b := decisionsOf(tx); b != nil {
		clear(b.totals)
	}
}

// queueCase queues one gov_cases row, after its decision's.
func (tx *Tx) queueCase(row []any) {
	b := decisionsOf(tx)
	b.cases = append(b.cases, row)
}

// flushDecisions writes the queued decisions, rule hits, cases and outbox
// messages.
func (tx *Tx) flushDecisions(ctx context.Context) error {
	b := decisionsOf(tx)
	if b == nil {
		return nil
	}
	if n := len(b.decisions); n > 0 {
		if err := decisionInsert.exec(ctx, tx, n, func(args []any, i int) []any { return append(args, b.decisions[i]...) }); err != nil {
			return err
		}
	}
	if n := len(b.rules); n > 0 {
		if err := decisionRuleInsert.exec(ctx, tx, n, func(args []any, i int) []any { return append(args, b.rules[i]...) }); err != nil {
			return err
		}
	}
	if n := len(b.cases); n > 0 {
		if err := caseInsert.exec(ctx, tx, n, func(args []any, i int) []any { return append(args, b.cases[i]...) }); err != nil {
			return err
		}
	}
	if n := len(b.outbox); n > 0 {
		if err := outboxInsert.exec(ctx, tx, n, func(args []any, i int) []any { return append(args, b.outbox[i]...) }); err != nil {
			return err
		}
	}
	b.decisions, b.rules, b.cases, b.outbox = b.decisions[:0], b.rules[:0], b.cases[:0], b.outbox[:0]
	return nil
}
