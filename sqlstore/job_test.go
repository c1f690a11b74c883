package sqlstore_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestJobRunnersRunEachJobOnce runs three job runners, each on its own
// connection pool as three replicas would, over 500 due jobs. Every handler
// records its effect in a table inside the job's transaction; each job must
// have exactly one effect, and its done_by must name the runner whose
// effect it is.
func TestJobRunnersRunEachJobOnce(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	const jobs = 500
	sqltest.RunReplicas(t, clock, 3, func(t *testing.T, dbs []*sqlstore.DB) {
		ctx := context.Background()
		db := dbs[0]
		if _, err := db.ExecContext(ctx, `CREATE TABLE test_job_effects (job_key TEXT NOT NULL, worker TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			for i := range jobs {
				if err := sqlstore.Schedule(ctx, tx, "test.effect", "k"+strconv.Itoa(i), clock.Now().Add(-time.Duration(i)*time.Second), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		ran := make([]int, len(dbs))
		errs := make([]error, len(dbs))
		for i, rdb := range dbs {
			worker := "w" + strconv.Itoa(i)
			r := &sqlstore.JobRunner{DB: rdb, Worker: worker, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			r.Handle("test.effect", func(ctx context.Context, tx *sqlstore.Tx, j *anxin.Job) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO test_job_effects (job_key, worker) VALUES (?, ?)`, j.Key, worker)
				return err
			})
			wg.Go(func() { ran[i], errs[i] = r.RunDue(ctx, 0) })
		}
		wg.Wait()
		total := 0
		for i := range dbs {
			if errs[i] != nil {
				t.Fatalf("runner %d: %v", i, errs[i])
			}
			total += ran[i]
		}
		var effects, distinct, mismatched int
		db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT job_key) FROM test_job_effects`).Scan(&effects, &distinct)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM test_job_effects e JOIN jobs j ON j.job_key = e.job_key AND j.kind = 'test.effect'
			WHERE j.done_by <> e.worker OR j.state <> 'done' OR j.attempts <> 1`).Scan(&mismatched)
		if total != jobs || effects != jobs || distinct != jobs || mismatched != 0 {
			t.Fatalf("runs %d (per runner %v), effects %d for %d jobs, %d not done by their effect's runner; want %d each and 0",
				total, ran, effects, distinct, mismatched, jobs)
		}
		t.Logf("jobs per runner: %v", ran)
	})
}
