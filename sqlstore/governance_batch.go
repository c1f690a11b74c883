package sqlstore

import (
	"context"

	"anxin"
	"anxin/enforcement"
)

// Decisions and what follows them are written in batches: a group commit
// of checks queues its rows on the transaction and writes them with one
// multi-row INSERT per table just before COMMIT, so every decision is
// stored in the same transaction as its effects, at a fraction of the
// statements. The tables are written in this order, each after the one its
// rows refer to: decisions, rule hits, review cases (a case refers to its
// decision), statements of reasons, enforcement rows (each refers to its
// statement), outbox messages.
var (
	decisionInsert = batch{head: `INSERT INTO gov_decisions (id, subject_type, subject_id, kind, merchant_id, stream_id, seq, stage, outcome,
	labels, reasons, evidence, rules, actions, reason_code, cut_stream, case_id, statement_id, shadow_outcome, policy_version, lexicon_version, snapshot, created_at)`, cols: 23, whole: true}
	decisionRuleInsert = batch{head: `INSERT INTO gov_decision_rules (decision_id, rule_id, outcome, shadow, created_at)`, tail: `ON CONFLICT DO NOTHING`, cols: 5, whole: true}
	caseInsert         = batch{head: `INSERT INTO gov_cases (id, decision_id, subject_type, subject_id, kind, merchant_id, stage, priority, status,
		labels, reasons, rule_ids, evidence, created_at)`, cols: 14, whole: true}
	statementInsert = batch{head: `INSERT INTO gov_statements (id, version, previous_id, merchant_id, target_type, target_id, outcome, appeal_deadline,
		body, created_at)`, cols: 10, whole: true}
	enforcementInsert = batch{head: `INSERT INTO gov_enforcements (id, statement_id, merchant_id, target_type, target_id, action, stage, cause, status,
		starts_at, ends_at, created_at)`, cols: 12, whole: true}
	outboxInsert = batch{head: `INSERT INTO outbox (id, type, subject_id, payload, created_at)`, tail: `ON CONFLICT (id) DO NOTHING`, cols: 5, whole: true}
)

// decisionBatch holds a transaction's decision rows not yet written with
// the statements, enforcement rows and outbox messages its checks issue
// (see insertRow), and the point totals of the merchants it has read
// (totals), so that adding a violation does not read them back.
type decisionBatch struct {
	decisions, rules, cases, statements, enforcements, outbox [][]any
	totals                                                    map[string]enforcement.Totals
}

// insertRow writes one row of table ins: in a transaction of checks (one
// with a decision batch) it is queued on the list queue picks, to be
// written with the batch in the order queued; elsewhere at once.
func (tx *Tx) insertRow(ctx context.Context, ins batch, row []any, queue func(*decisionBatch) *[][]any) error {
	if b := decisionsOf(tx); b != nil {
		q := queue(b)
		*q = append(*q, row)
		return nil
	}
	ins.whole = false // a single statement of a transaction that may go on after it fails
	return ins.exec(ctx, tx, 1, func(args []any, _ int) []any { return append(args, row...) })
}

// insertStatement writes a statement of reasons (see insertRow).
func (tx *Tx) insertStatement(ctx context.Context, st *anxin.Statement) error {
	return tx.insertRow(ctx, statementInsert, []any{st.ID, st.Version, st.PreviousID, st.MerchantID, st.TargetType, st.TargetID, int(st.Outcome),
		msPtr(st.AppealDeadline), govJSON(st), ms(tx.Now)}, func(b *decisionBatch) *[][]any { return &b.statements })
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

// flushDecisions writes the queued rows, table by table in the order above.
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
	for _, q := range []struct {
		ins  batch
		rows *[][]any
	}{{statementInsert, &b.statements}, {enforcementInsert, &b.enforcements}, {outboxInsert, &b.outbox}} {
		rows := *q.rows
		if n := len(rows); n > 0 {
			if err := q.ins.exec(ctx, tx, n, func(args []any, i int) []any { return append(args, rows[i]...) }); err != nil {
				return err
			}
		}
		*q.rows = rows[:0]
	}
	b.decisions, b.rules, b.cases = b.decisions[:0], b.rules[:0], b.cases[:0]
	return nil
}
