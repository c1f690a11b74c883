package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

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
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			for range 2 { // scheduling twice keeps one job
				if err := sqlstore.Schedule(ctx, tx, "test.tick", "k1", clock.Now().Add(time.Hour), map[string]string{"a": "b"}); err != nil {
					return err
				}
			}
			return sqlstore.Schedule(ctx, tx, "test.fail", "k2", clock.Now(), nil)
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
		clock.Set(clock.Now().Add(time.Hour))
		if n, err := r.RunDue(ctx, 0); n != 2 || err != nil { // the tick, and the retry of the failure
			t.Fatalf("RunDue at the hour = %d, %v; want 2", n, err)
		}
		clock.Set(clock.Now().Add(24 * time.Hour))
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

// TestKeyCacheRevocation: verified keys are cached per replica; a key
// revoked on the same replica stops at once, one revoked on another replica
// stops within CacheTTL, and the default TTL keeps that bound at most 5 s.
func TestKeyCacheRevocation(t *testing.T) {
	if sqlstore.DefaultKeyCacheTTL > 5*time.Second || sqlstore.NewKeyService(nil).CacheTTL != sqlstore.DefaultKeyCacheTTL {
		t.Fatalf("default key cache TTL %v: a revoked key must stop within 5 s on every replica", sqlstore.DefaultKeyCacheTTL)
	}
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := sqlstore.NewKeyService(db), sqlstore.NewKeyService(db) // two replicas
		const ttl = 300 * time.Millisecond
		a.CacheTTL, b.CacheTTL = ttl, ttl
		key, actor, err := a.CreateKey(ctx, "ops", anxin.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		for _, ks := range []*sqlstore.KeyService{a, b} {
			if got, err := ks.Authenticate(ctx, key); err != nil || got.KeyID != actor.KeyID {
				t.Fatalf("Authenticate = %+v, %v", got, err)
			}
		}
		// A wrong secret for a cached key id is still refused.
		if _, err := b.Authenticate(ctx, "ak_"+actor.KeyID+"_wrong"); anxin.KindOf(err) != anxin.Unauthorized {
			t.Fatalf("Authenticate(wrong secret) = %v; want Unauthorized", err)
		}
		revoked := time.Now()
		if err := a.RevokeKey(ctx, actor.KeyID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, key); anxin.KindOf(err) != anxin.Unauthorized {
			t.Fatalf("Authenticate on the revoking replica = %v; want Unauthorized at once", err)
		}
		for {
			_, err := b.Authenticate(ctx, key)
			if anxin.KindOf(err) == anxin.Unauthorized {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(revoked) > ttl+200*time.Millisecond {
				t.Fatalf("key revoked on another replica still works after %v (CacheTTL %v)", time.Since(revoked), ttl)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// With the cache off every request reads the database.
		c := sqlstore.NewKeyService(db)
		c.CacheTTL = 0
		key2, actor2, err := c.CreateKey(ctx, "ops2", anxin.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Authenticate(ctx, key2); err != nil {
			t.Fatal(err)
		}
		if err := a.RevokeKey(ctx, actor2.KeyID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Authenticate(ctx, key2); anxin.KindOf(err) != anxin.Unauthorized {
			t.Fatalf("Authenticate without cache after revocation = %v; want Unauthorized", err)
		}
	})
}

// Replicas starting together on a fresh PostgreSQL database each ask what is
// pending and then migrate; none may fail on the other's first table.
func TestReplicasMigrateFreshDatabaseTogether(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	ctx := context.Background()
	const n = 3
	dbs := make([]*sqlstore.DB, n)
	for i := range dbs {
		db, err := sqlstore.Open(ctx, dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	start := make(chan struct{})
	errs := make(chan error, n)
	for _, db := range dbs {
		go func() {
			<-start
			if _, err := db.Pending(ctx); err != nil {
				errs <- err
				return
			}
			_, err := db.Migrate(ctx)
			errs <- err
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a replica's migration = %v; want nil", err)
		}
	}
	if err := dbs[0].CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after the replicas migrated = %v", err)
	}
}
