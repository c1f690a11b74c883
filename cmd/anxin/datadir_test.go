package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
)

// TestReadOnlyCommandsCreateNothing runs each command that only reads on a
// data dir that does not exist and on an empty one: each says there is no
// database, and neither a directory nor a database file appears.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{filepath.Join(t.TempDir(), "mistyped"), t.TempDir()} {
		for _, args := range [][]string{
			{"report"},
			{"ledger", "verify"},
			{"audit", "verify"},
			{"vault", "status"},
			{"check", "listings"},
			{"keys", "list"},
		} {
			full := append(append([]string{}, args...), "--data", dir)
			err := dispatch(ctx, full)
			if anxin.KindOf(err) != anxin.NotFound || !strings.Contains(anxin.MessageOf(err), "no Anxin database") {
				t.Errorf("%v: %v; want NotFound naming the missing database", full, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "anxin.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%v created a database (stat: %v)", full, err)
			}
		}
		if strings.HasSuffix(dir, "mistyped") {
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a read-only command created the data dir %s", dir)
			}
		}
	}
}

// TestServeMigratesFreshDatabase opens a brand-new data dir the way serve
// does, without --migrate: the schema is created whole. A database that is
// merely behind is still refused (TestMigrateAndSchemaCheck in sqlstore
// covers CheckSchema itself).
func TestServeMigratesFreshDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	f := dbFlags{data: dir}
	dsn, err := f.dsn()
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain()
	m.Config.DSN, m.Config.Addr, m.Config.NoJobs = dsn, "127.0.0.1:0", true
	if err := m.Open(ctx); err != nil {
		m.Close()
		t.Fatalf("open a fresh database without --migrate: %v", err)
	}
	if p, err := m.DB.Pending(ctx); err != nil || len(p) != 0 {
		t.Errorf("pending after open: %v, %v; want none", p, err)
	}
	m.Close()

	// Behind: forget the newest migration; open must refuse without --migrate.
	db, err := (&dbFlags{data: dir}).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := db.Migrations()
	if _, err := db.SQL.ExecContext(ctx, `DELETE FROM schema_migrations WHERE name = ?`, names[len(names)-1]); err != nil {
		t.Fatal(err)
	}
	db.Close()
	m = NewMain()
	m.Config.DSN, m.Config.Addr, m.Config.NoJobs = dsn, "127.0.0.1:0", true
	err = m.Open(ctx)
	m.Close()
	if anxin.KindOf(err) != anxin.Conflict {
		t.Errorf("open a database one migration behind: %v; want Conflict", err)
	}
}
