// Package sqltest runs a storage test against every database Anxin supports:
// SQLite always, in a file under t.TempDir(), and PostgreSQL when
// ANXIN_TEST_POSTGRES holds a DSN, in a fresh schema dropped afterwards.
// When the variable is set and PostgreSQL cannot be reached the test fails
// rather than skips, so a broken database cannot turn CI green.
//
//	func TestOrders(t *testing.T) {
//		sqltest.Run(t, func(t *testing.T, db *sqlstore.DB) { ... })
//	}
package sqltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"anxin"
	"anxin/sqlstore"
)

// Run calls fn as a "sqlite" subtest and, when configured, a "postgres"
// subtest, each with a freshly migrated database whose clock is clock (the
// system clock when nil).
func Run(t *testing.T, clock anxin.Clock, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, OpenSQLite(t, clock))
	})
	if os.Getenv("ANXIN_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, OpenPostgres(t, clock))
		})
	}
}

// OpenSQLite returns a migrated SQLite database in t.TempDir().
func OpenSQLite(tb testing.TB, clock anxin.Clock) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(tb.TempDir(), "anxin.db"), clock)
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// PostgresDSN returns a DSN for a new, empty schema in the database named by
// ANXIN_TEST_POSTGRES, and registers its removal. It skips the test when the
// variable is unset and fails it when the database is unreachable.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("ANXIN_TEST_POSTGRES")
	if base == "" {
		tb.Skip("ANXIN_TEST_POSTGRES is not set")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sqlstore.Open(context.Background(), base, nil)
	if err != nil {
		tb.Fatalf("ANXIN_TEST_POSTGRES is set but PostgreSQL cannot be reached: %v", err)
	}
	if _, err := admin.SQL.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin.SQL.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("ANXIN_TEST_POSTGRES is not a URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres returns a migrated PostgreSQL database in a schema of its own.
func OpenPostgres(tb testing.TB, clock anxin.Clock) *sqlstore.DB {
	tb.Helper()
	dsn := PostgresDSN(tb)
	db, err := sqlstore.Open(context.Background(), dsn, clock)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate postgres: %v", err)
	}
	return db
}
