package sqltest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"anxin"
	"anxin/sqlstore"
)

// RunReplicas is Run for multi-replica tests: fn gets n handles, each with
// its own connection pool, on one freshly migrated database, as n `anxin
// serve` processes would have. SQLite always, PostgreSQL when configured.
func RunReplicas(t *testing.T, clock anxin.Clock, n int, fn func(t *testing.T, dbs []*sqlstore.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, openReplicas(t, filepath.Join(t.TempDir(), "anxin.db"), clock, n))
	})
	if os.Getenv("ANXIN_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, openReplicas(t, PostgresDSN(t), clock, n))
		})
	}
}

func openReplicas(tb testing.TB, dsn string, clock anxin.Clock, n int) []*sqlstore.DB {
	tb.Helper()
	dbs := make([]*sqlstore.DB, n)
	for i := range dbs {
		db, err := sqlstore.Open(context.Background(), dsn, clock)
		if err != nil {
			tb.Fatalf("open replica %d: %v", i, err)
		}
		tb.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if _, err := dbs[0].Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return dbs
}
