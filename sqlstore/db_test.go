package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

func TestMigrationListsMatch(t *testing.T) {
	s, _ := (&sqlstore.DB{Dialect: sqlstore.SQLite}).Migrations()
	p, _ := (&sqlstore.DB{Dialect: sqlstore.Postgres}).Migrations()
	if !slices.Equal(s, p) {
		t.Fatalf("migrations differ:\nsqlite   %v\npostgres %v", s, p)
	}
	if len(s) == 0 {
		t.Fatal("no migrations embedded")
	}
}

func TestMigrateAndSchemaCheck(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after migrate = %v; want nil", err)
		}
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM schema_migrations`); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("CheckSchema on old schema = %v; want Conflict", err)
		}
	})
}

func TestJobsRunOnceAndRetry(t *testing.T) {
	clock := &fixedClock{t: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)}
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			for range 2 { // scheduling twice keeps one job
				if err := sqlstore.Schedule(ctx, tx, "test.tick", "k1", clock.t.Add(time.Hour), map[string]string{"a": "b"}); err != nil {
					return err
				}
			}
			return sqlstore.Schedule(ctx, tx, "test.fail", "k2", clock.t, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		var ticks, fails int
		r := &sqlstore.JobRunner{DB: db, MaxAttempts: 2}
		r.Handle("test.tick", func(ctx context.Context, tx *sqlstore.Tx, j *anxin.Job) error {
			ticks++
			_, err := tx.ExecContext(ctx, `INSERT INTO buyers (id, standing, updated_at) VALUES (?, 'good', ?)`, "b_"+j.Key, sqlstore.MS(tx.Now))
			return err
		})
		r.Handle("test.fail", func(ctx context.Context, tx *sqlstore.Tx, j *anxin.Job) error {
			fails++
			// this write must be rolled back with the failure
			if _, err := tx.ExecContext(ctx, `INSERT INTO buyers (id, standing, updated_at) VALUES ('b_fail', 'good', 0)`); err != nil {
				return err
			}
			return anxin.Errorf(anxin.Internal, "boom")
		})
		if n, err := r.RunDue(ctx, 0); n != 1 || err != nil {
			t.Fatalf("RunDue before the tick is due = %d, %v; want 1 (the failing job)", n, err)
		}
		clock.t = clock.t.Add(time.Hour)
		if n, err := r.RunDue(ctx, 0); n != 2 || err != nil { // the tick, and the retry of the failure
			t.Fatalf("RunDue at the hour = %d, %v; want 2", n, err)
		}
		clock.t = clock.t.Add(24 * time.Hour)
		if n, _ := r.RunDue(ctx, 0); n != 0 {
			t.Fatalf("RunDue after everything finished = %d; want 0", n)
		}
		if ticks != 1 || fails != 2 {
			t.Fatalf("ticks, fails = %d, %d; want 1, 2", ticks, fails)
		}
		var n int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM buyers WHERE id = 'b_fail'`).Scan(&n)
		if n != 0 {
			t.Fatalf("a failed job's write was kept")
		}
		counts, _ := db.JobCounts(ctx)
		if counts["done"] != 1 || counts["dead"] != 1 {
			t.Fatalf("JobCounts = %v; want done 1, dead 1", counts)
		}
	})
}

func TestKeys(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ks := sqlstore.NewKeyService(db)
		if _, _, err := ks.CreateKey(ctx, "x", "boss"); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("CreateKey(role boss) = %v; want Invalid", err)
		}
		key, actor, err := ks.CreateKey(ctx, "ops", anxin.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ks.Authenticate(ctx, key)
		if err != nil || got.Role != anxin.RoleOperator || got.KeyID != actor.KeyID {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
		for _, bad := range []string{"", "ak_", key + "x", "ak_" + actor.KeyID + "_wrong", "' OR 1=1 --"} {
			if _, err := ks.Authenticate(ctx, bad); anxin.KindOf(err) != anxin.Unauthorized {
				t.Errorf("Authenticate(%q) = %v; want Unauthorized", bad, err)
			}
		}
		if err := ks.RevokeKey(ctx, actor.KeyID); err != nil {
			t.Fatal(err)
		}
		if _, err := ks.Authenticate(ctx, key); anxin.KindOf(err) != anxin.Unauthorized {
			t.Fatalf("Authenticate(revoked) = %v; want Unauthorized", err)
		}
	})
}
