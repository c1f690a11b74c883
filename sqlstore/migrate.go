package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"anxin"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// Migration numbering: each capability owns a range so that capabilities can
// add migrations independently — 0001–0099 foundation, 01xx governance,
// 02xx protection and ledger, 03xx care, sampling and quality, 04xx
// anti-counterfeit and IP, 05xx privacy, 06xx scale-out, 0700–0719 the one
// enforcement model (sanctions from every source). Files are applied in
// name order; the runner records each by name, so a migration added in a
// lower range after a higher one was applied is still applied once.

// Migrations returns the embedded migration names for the dialect, in order.
func (db *DB) Migrations() ([]string, error) {
	return migrationNames(db.Dialect)
}

func migrationNames(d Dialect) ([]string, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations/"+string(d))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, strings.TrimSuffix(e.Name(), ".sql"))
		}
	}
	sort.Strings(names)
	return names, nil
}

// Pending returns the migrations not yet applied. An empty database has all
// of them pending.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	all, err := db.Migrations()
	if err != nil {
		return nil, err
	}
	// Pending only reads: replicas starting together on a fresh PostgreSQL
	// database all ask it before one of them migrates, and creating the
	// table here raced (CREATE TABLE IF NOT EXISTS is not safe against a
	// concurrent create). Migrate creates it under its lock.
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if db.Dialect == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	var n int
	if err := db.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return nil, mapError(err)
	}
	if n == 0 {
		return all, nil
	}
	applied := map[string]bool{}
	rows, err := db.SQL.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		applied[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var pending []string
	for _, n := range all {
		if !applied[n] {
			pending = append(pending, n)
		}
	}
	return pending, nil
}

// IsEmpty reports whether no migration has ever been applied: a brand-new
// database.
func (db *DB) IsEmpty(ctx context.Context) (bool, error) {
	p, err := db.Pending(ctx)
	if err != nil {
		return false, err
	}
	all, err := db.Migrations()
	if err != nil {
		return false, err
	}
	return len(p) == len(all), nil
}

// CheckSchema returns a Conflict error naming the pending migrations if the
// schema is behind this binary, so serve can refuse to start.
func (db *DB) CheckSchema(ctx context.Context) error {
	p, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if len(p) > 0 {
		return anxin.Errorf(anxin.Conflict, "The database schema is behind this binary: %d migration(s) pending, first %s. Run \"anxin migrate\" or start with --migrate.", len(p), p[0])
	}
	return nil
}

// Migrate applies every pending migration in name order, each in its own
// transaction. On PostgreSQL it holds an advisory lock so replicas starting
// together migrate once.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	return db.MigrateTo(ctx, "")
}

// MigrateTo is Migrate stopping after the migration named last ("" for
// all): the later ones stay pending. Tests use it to write data in an older
// schema and check what a data migration makes of it.
func (db *DB) MigrateTo(ctx context.Context, last string) (applied []string, err error) {
	defer anxin.Wrap(&err, "migrate")
	if db.Dialect == Postgres {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return nil, mapError(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
			return nil, mapError(err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(727274)`)
	}
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, mapError(err)
	}
	pending, err := db.Pending(ctx)
	if err != nil {
		return nil, err
	}
	for _, name := range pending {
		if last != "" && name > last {
			break
		}
		body, err := migrationFS.ReadFile(path.Join("migrations", string(db.Dialect), name+".sql"))
		if err != nil {
			return applied, err
		}
		err = db.Transact(ctx, func(tx *Tx) error {
			if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, ms(tx.Now))
			return err
		})
		if err != nil {
			return applied, err
		}
		applied = append(applied, name)
	}
	return applied, nil
}
