package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// fillIndex inserts n blind-index rows with pseudo-random digests, 500 to
// a statement and 100,000 to a transaction, and returns the digests of a
// few of them.
func fillIndex(tb testing.TB, db *sqlstore.DB, n int) []string {
	tb.Helper()
	ctx := context.Background()
	var probes []string
	const batch, perTx = 500, 100_000
	for chunk := 0; chunk < n; chunk += perTx {
		err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			for start := chunk; start < min(chunk+perTx, n); start += batch {
				end := min(start+batch, n)
				var q strings.Builder
				q.WriteString(`INSERT INTO vault_index (kind, digest, record_id, order_id, merchant_id) VALUES `)
				args := make([]any, 0, 5*(end-start))
				for i := start; i < end; i++ {
					if i > start {
						q.WriteByte(',')
					}
					q.WriteString(`(?, ?, ?, ?, ?)`)
					var b [8]byte
					binary.BigEndian.PutUint64(b[:], uint64(i))
					sum := sha256.Sum256(b[:])
					d := hex.EncodeToString(sum[:16])
					if i%(n/16+1) == 0 {
						probes = append(probes, d)
					}
					args = append(args, "phone", d, "pii_"+strconv.Itoa(i), "o_"+strconv.Itoa(i), "m_"+strconv.Itoa(i%500))
				}
				if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return probes
}

// TestBlindIndexPlan checks that a blind-index lookup, with and without the
// merchant scope, is an index search and not a table scan, on both
// databases (PostgreSQL after ANALYZE on 20,000 rows).
func TestBlindIndexPlan(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		explain := `EXPLAIN QUERY PLAN `
		n := 2000
		if db.Dialect == sqlstore.Postgres {
			explain, n = `EXPLAIN `, 20000
		}
		fillIndex(t, db, n)
		if db.Dialect == sqlstore.Postgres {
			if _, err := db.ExecContext(ctx, `ANALYZE vault_index`); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []string{
			`SELECT record_id FROM vault_index WHERE kind = ? AND digest = ?`,
			`SELECT record_id FROM vault_index WHERE kind = ? AND digest = ? AND merchant_id = ?`,
		} {
			args := []any{"phone", "ab"}
			if strings.Contains(q, "merchant_id") {
				args = append(args, "m_1")
			}
			rows, err := db.QueryContext(ctx, explain+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			var plan strings.Builder
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				rows.Scan(ptrs...)
				plan.WriteString(fmt.Sprint(vals[len(vals)-1]) + "\n")
			}
			rows.Close()
			p := plan.String()
			if !strings.Contains(p, "USING INDEX") && !strings.Contains(p, "USING COVERING INDEX") && !strings.Contains(p, "Index Scan") && !strings.Contains(p, "Index Only Scan") && !strings.Contains(p, "Bitmap Index Scan") {
				t.Errorf("plan for %q is not an index search:\n%s", q, p)
			}
		}
	})
}

// BenchmarkBlindIndexLookup looks up a digest among ANXIN_BENCH_ROWS rows
// (default 1,000,000) through the index, against the same query forced to
// scan the table (NOT INDEXED), in the same run on SQLite.
//
//	go test ./sqlstore/ -run XXX -bench BlindIndex -benchtime=1s
func BenchmarkBlindIndexLookup(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ANXIN_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	db := sqltest.OpenSQLite(b, nil)
	probes := fillIndex(b, db, n)
	ctx := context.Background()
	lookup := func(b *testing.B, q string) {
		i := 0
		for b.Loop() {
			var id string
			if err := db.QueryRowContext(ctx, q, "phone", probes[i%len(probes)]).Scan(&id); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.Run("index", func(b *testing.B) {
		lookup(b, `SELECT record_id FROM vault_index WHERE kind = ? AND digest = ?`)
	})
	b.Run("table_scan", func(b *testing.B) {
		lookup(b, `SELECT record_id FROM vault_index NOT INDEXED WHERE kind = ? AND digest = ?`)
	})
}
