package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestLateShipmentDueLookupUsesIndex checks that finding due late-shipment
// jobs among many pending timers is an index range scan on jobs_due
// (state, run_at), never a scan of every order or job: 50,000 pending
// timers are inserted and the runner's due query is explained on both
// databases.
func TestLateShipmentDueLookupUsesIndex(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		fill := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
			INSERT INTO jobs (id, kind, job_key, run_at, payload) SELECT 'job_' || i, 'protection.late_shipment', 'o' || i, 1700000000000 + i * 1000, '{}' FROM n`
		if _, err := db.ExecContext(ctx, fill); err != nil {
			t.Fatal(err)
		}
		q := `SELECT id, kind, job_key, run_at, payload, attempts FROM jobs
			WHERE state = 'pending' AND run_at <= ? AND kind IN (?) ORDER BY run_at, id LIMIT 1`
		p := queryPlan(t, db, "jobs", q, int64(1700000500000), "protection.late_shipment")
		t.Logf("plan: %s", p)
		if !strings.Contains(p, "jobs_due") || strings.Contains(p, "Seq Scan") || strings.Contains(p, "SCAN jobs ") {
			t.Errorf("the due lookup does not use jobs_due: %s", p)
		}
	})
}

// TestPayoutLookupsUseIndexes checks that the payout sums every automatic
// decision reads (refund-like payouts on the order, the buyer's quota
// used) are index lookups on payouts_order and payouts_buyer, not scans
// of every payout, on both databases.
func TestPayoutLookupsUseIndexes(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		// On PostgreSQL, 20,000 payouts of 2,000 buyers with their decisions, so the plans are
		// those of a table worth an index (the rows reference no claims:
		// foreign keys are not checked while they are inserted). SQLite
		// plans without statistics.
		fill := `INSERT INTO payouts (id, claim_id, trigger_key, decision_id, order_id, buyer_id, merchant_id, programme_id, amount_fen, currency,
			funding, form, posting_id, status, created_at)
			SELECT 'pay' || i, 'clm' || i, 'claim:clm' || i, 'dec' || i, 'o' || i, 'b' || (i % 2000), 'm1', 'instant_refund', 100, 'CNY',
			'guarantee_fund', 'refund', 'pst' || i, 'pending', 1700000000000 + i FROM `
		if db.Dialect == sqlstore.Postgres {
			err := db.Transact(context.Background(), func(tx *sqlstore.Tx) error {
				if _, err := tx.ExecContext(context.Background(), `SET LOCAL session_replication_role = replica`); err != nil {
					return err
				}
				if _, err := tx.ExecContext(context.Background(), fill+`generate_series(1, 20000) AS g(i)`); err != nil {
					return err
				}
				_, err := tx.ExecContext(context.Background(), `INSERT INTO claim_decisions (id, claim_id, seq, outcome, reason, statement, amount_fen, decided_by, automated, created_at)
					SELECT 'dec' || i, 'clm' || i, 1, 'approve', 'r', 's', 100, 'auto', 1, 1700000000000 + i FROM generate_series(1, 20000) AS g(i)`)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			index, q string
			args     []any
		}{
			{"payouts_order", `SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE order_id = ? AND refund_like = 1`, []any{"o1"}},
			{"payouts_buyer", `SELECT COALESCE(SUM(p.amount_fen), 0) FROM payouts p JOIN claim_decisions d ON d.id = p.decision_id
				WHERE p.buyer_id = ? AND p.programme_id = ? AND p.created_at >= ? AND d.automated = 1`, []any{"b1", "instant_refund", int64(0)}},
		} {
			p := queryPlan(t, db, "payouts, claim_decisions", c.q, c.args...)
			if !strings.Contains(p, c.index) {
				t.Errorf("%s: the plan does not use %s: %s", c.q, c.index, p)
			}
		}
	})
}

// queryPlan explains q on db (after ANALYZE of table on PostgreSQL) and
// returns the plan's text, its lines joined by " | ".
func queryPlan(t *testing.T, db *sqlstore.DB, table, q string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	var plan []string
	err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
		plan = nil
		q := q
		if db.Dialect == sqlstore.Postgres {
			if _, err := tx.ExecContext(ctx, `ANALYZE `+table); err != nil {
				return err
			}
			q = `EXPLAIN ` + q
		} else {
			q = `EXPLAIN QUERY PLAN ` + q
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			for _, v := range vals {
				switch s := v.(type) {
				case string:
					plan = append(plan, s)
				case []byte:
					plan = append(plan, string(s))
				}
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, " | ")
}
