package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"

	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// fillIndex inserts n blind-index rows with pseudo-random digests and
// returns the digests of a few of them.
func fillIndex(tb testing.TB, db *sqlstore.DB, n int) []string {
	tb.Helper()
	ctx := context.Background()
	var probes []string
	const batch, perTx = 500, 100_000
	tx, commit := beginFill(tb, db)
	for start := 0; start < n; start += batch {
		if start > 0 && start%perTx == 0 {
			commit()
			tx, commit = beginFill(tb, db)
		}
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
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil { // SQLite only: ? placeholders as they are
			tb.Fatal(err)
		}
	}
	commit()
	return probes
}

// beginFill opens a raw transaction for bulk loading (one commit per
// 100,000 rows instead of one per statement).
func beginFill(tb testing.TB, db *sqlstore.DB) (*sql.Tx, func()) {
	tx, err := db.SQL.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	return tx, func() {
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestBlindIndexPlan checks that a blind-index lookup, with and without the
// merchant scope, is an index search and not a table scan.
func TestBlindIndexPlan(t *testing.T) {
	db := sqltest.OpenSQLite(t, nil)
	fillIndex(t, db, 2000)
	for _, q := range []string{
		`SELECT record_id FROM vault_index WHERE kind = ? AND digest = ?`,
		`SELECT record_id FROM vault_index WHERE kind = ? AND digest = ? AND merchant_id = ?`,
	} {
		rows, err := db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+q, "phone", "ab", "m_1")
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan.WriteString(detail + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), "USING INDEX") && !strings.Contains(plan.String(), "USING COVERING INDEX") {
			t.Errorf("plan for %q is not an index search:\n%s", q, plan.String())
		}
	}
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
