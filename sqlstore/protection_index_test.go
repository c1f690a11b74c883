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
		var plan []string
		if db.Dialect == sqlstore.Postgres {
			if _, err := db.ExecContext(ctx, `ANALYZE jobs`); err != nil {
				t.Fatal(err)
			}
			q = `EXPLAIN ` + q
		} else {
			q = `EXPLAIN QUERY PLAN ` + q
		}
		rows, err := db.QueryContext(ctx, q, int64(1700000500000), "protection.late_shipment")
		if err != nil {
			t.Fatal(err)
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
				t.Fatal(err)
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
		p := strings.Join(plan, " | ")
		t.Logf("plan: %s", p)
		if !strings.Contains(p, "jobs_due") || strings.Contains(p, "Seq Scan") || strings.Contains(p, "SCAN jobs ") {
			t.Errorf("the due lookup does not use jobs_due: %s", p)
		}
	})
}
