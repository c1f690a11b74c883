// Package sqlstore implements Anxin's services on database/sql, for SQLite
// (the embedded default, pure Go) and PostgreSQL (production, through pgx).
//
// Every exported method owns one transaction (DB.Transact) and calls
// unexported functions that take *Tx, so a decision, its ledger postings and
// its outbox message commit together or not at all. SQL is written once with
// ? placeholders; on PostgreSQL they are rewritten to $n by rebind.
//
//	db, err := sqlstore.Open(ctx, "postgres://localhost/anxin", anxin.SystemClock{})
//	if err != nil { ... }
//	defer db.Close()
//	if err := db.Migrate(ctx); err != nil { ... }
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"anxin"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL dialect of a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a database handle with its dialect and clock. It is safe for
// concurrent use.
type DB struct {
	SQL     *sql.DB
	Dialect Dialect
	Clock   anxin.Clock

	// hooks run inside the transaction that stores new events.
	eventHooks []EventHook
	rebinds    sync.Map // query text → rebound text (PostgreSQL)
	stmts      sync.Map // query text → *sql.Stmt, nil while being prepared (see pooledStmt)
	programmes sync.Map // programmeKey → storedProgramme: versions never change once stored (programmeVersion)

	states          *stateCache   // SQLite: enforcement state by subject (enforcement_cache.go)
	stopCheckpoints chan struct{} // SQLite: closed by Close
	path            string        // SQLite: the database file
	walLimit        int64         // SQLite: WALLimit; smaller in tests
	closeOnce       sync.Once

	// audit supplies the keys of the privacy audit chain; set by
	// NewVaultService, which holds the KEK (see vault_audit.go).
	audit auditKeySource
}

// CheckpointInterval is how often a SQLite database copies its write-ahead
// log into the main file. SQLite's automatic checkpoint is off: it runs in
// the committing writer, whose fsyncs then hold up every transaction
// waiting for the write lock (the checks' group commit saw p99 latency
// several times its p50 from it). A passive checkpoint in the background
// blocks neither readers nor writers.
const CheckpointInterval = time.Second

// WALLimit bounds the SQLite write-ahead log. A passive checkpoint copies
// frames but never shrinks the file, and while readers keep old snapshots
// open the log can never restart from its beginning, so under steady load
// it only grows. When the file is over WALLimit and a passive checkpoint
// has copied every frame, a TRUNCATE checkpoint resets it to zero bytes;
// it waits at most walTruncateWait for readers (it holds the write lock
// meanwhile, so that is what a writer can be delayed) and is retried a few
// times a tick, each after a fresh passive checkpoint. Past twice WALLimit
// it truncates even when the last passive checkpoint left frames (those
// written since it), so the log stays bounded under load that never pauses. journal_size_limit applies the same bound
// whenever the log restarts by itself.
const WALLimit = 64 << 20

const (
	walTruncateWait  = 20 * time.Millisecond
	walTruncateTries = 10
	walTruncateGap   = 30 * time.Millisecond
)

func (db *DB) checkpoints(path string) {
	t := time.NewTicker(CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-db.stopCheckpoints:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			db.checkpoint(ctx, path) // best effort: the next tick tries again
			cancel()
		}
	}
}

// checkpoint runs one passive checkpoint and, when the log is over
// WALLimit, truncates it. It reports whether it truncated.
func (db *DB) checkpoint(ctx context.Context, path string) (truncated bool, err error) {
	var busy, logFrames, copied int64
	if err := db.SQL.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied); err != nil {
		return false, err
	}
	if logFrames <= 0 {
		return false, nil
	}
	st, err := os.Stat(path + "-wal")
	if err != nil || st.Size() <= db.walLimit {
		return false, nil
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, walTruncateWait.Milliseconds())); err != nil {
		return false, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA busy_timeout = 10000`)
	// A moment with no writer and no reader in the log is what TRUNCATE
	// needs; under load it is found by trying a few times. Each try first
	// copies what it can without any lock (PASSIVE) and truncates only when
	// that left nothing to copy, so the write lock is never held for a
	// long copy, only for at most walTruncateWait while readers finish.
	for try := range walTruncateTries {
		if try > 0 {
			time.Sleep(walTruncateGap)
			if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied); err != nil {
				return false, err
			}
		}
		// Past twice the limit, the log is truncated even if frames are
		// left to copy: those were written since the passive checkpoint
		// just before, so the copy under the write lock stays short.
		if copied < logFrames && st.Size() <= 2*db.walLimit {
			continue
		}
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &copied); err != nil {
			return false, err
		}
		if busy == 0 {
			return true, nil
		}
	}
	return false, nil
}

// IsPostgresDSN reports whether dsn selects PostgreSQL.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// or postgresql:// URL
// selects PostgreSQL; anything else is a SQLite file path (an optional
// "sqlite:" prefix is stripped). SQLite is opened in WAL mode with foreign
// keys on and a busy timeout. Open pings the database and returns an
// Unavailable error if it cannot be reached; the DSN is never included in the
// error because it may carry a password.
func Open(ctx context.Context, dsn string, clock anxin.Clock) (*DB, error) {
	if clock == nil {
		clock = anxin.SystemClock{}
	}
	db := &DB{Clock: clock}
	var err error
	if IsPostgresDSN(dsn) {
		db.Dialect = Postgres
		db.SQL, err = sql.Open("pgx", withConnectTimeout(dsn))
		if err != nil {
			return nil, anxin.Errorf(anxin.Invalid, "The PostgreSQL DSN is malformed.")
		}
		db.SQL.SetMaxOpenConns(16)
		db.SQL.SetMaxIdleConns(16)
		db.SQL.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		db.Dialect = SQLite
		path := strings.TrimPrefix(dsn, "sqlite:")
		db.path, db.walLimit = path, WALLimit
		if path == "" {
			return nil, anxin.Errorf(anxin.Invalid, "The SQLite path is empty.")
		}
		q := "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(67108864)&_pragma=cache_size(-16384)&_pragma=temp_store(memory)&_txlock=immediate"
		// synchronous=FULL: in WAL mode every COMMIT fsyncs the log before
		// it returns, so a decision acknowledged to a caller survives a
		// power loss, not only a crash of the process (NORMAL fsyncs only
		// at checkpoints and may lose the last commits). The check path
		// pays one fsync per group commit, not per check.
		// temp_store=memory: a group commit runs each body under a
		// savepoint, and SQLite copies every page a body changes first into
		// the savepoint's sub-journal, a temporary file once it passes
		// 64 KiB; a claim's body passes it, and those writes were a third
		// of the claims' body time. In memory they are copies. Temporary
		// tables and indices of large queries are held in memory too.
		db.SQL, err = sql.Open("sqlite", "file:"+path+q)
		if err != nil {
			return nil, err
		}
		// One writer at a time is all SQLite allows; a small pool keeps
		// readers concurrent under WAL without piling up busy writers.
		// Every connection stays open: database/sql keeps only two idle
		// by default, and a SQLite connection closed and reopened under
		// load re-reads the schema and re-prepares every cached statement
		// (a tenth of the check path's CPU before this was set).
		db.SQL.SetMaxOpenConns(4)
		db.SQL.SetMaxIdleConns(4)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.SQL.PingContext(pctx); err != nil {
		db.SQL.Close()
		return nil, &anxin.Error{Kind: anxin.Unavailable, Message: fmt.Sprintf("The %s database cannot be reached.", db.Dialect)}
	}
	if db.Dialect == SQLite {
		db.states = newStateCache()
		db.stopCheckpoints = make(chan struct{})
		go db.checkpoints(db.path)
	}
	return db, nil
}

// DefaultConnectTimeout bounds a new PostgreSQL connection (TCP, TLS and
// the startup handshake) when the DSN sets no connect_timeout, so a request
// that needs a new connection to a database that does not answer fails with
// Unavailable instead of hanging.
const DefaultConnectTimeout = 5 * time.Second

// withConnectTimeout adds connect_timeout to a postgres:// URL that has
// none.
func withConnectTimeout(dsn string) string {
	if strings.Contains(dsn, "connect_timeout=") {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "connect_timeout=" + strconv.Itoa(int(DefaultConnectTimeout/time.Second))
}

// Close closes the pool (SQLite checkpoints the log into the main file as
// the last connection closes).
func (db *DB) Close() error {
	if db == nil || db.SQL == nil {
		return nil
	}
	db.closeOnce.Do(func() {
		if db.stopCheckpoints != nil {
			close(db.stopCheckpoints)
		}
	})
	return db.SQL.Close()
}

// Ping checks the database, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return anxin.Errorf(anxin.Unavailable, "The database cannot be reached.")
	}
	return nil
}

// EventHook lets a capability react to newly stored events (late-shipment
// timers, claim triggers) in the transaction that stores them: it receives
// only the events that were new in this ingest, already applied to the
// mirror, and may write through tx (Schedule, Enqueue, its own tables).
// Returning an error rolls back the whole ingest, events included, so the
// marketplace's retry sees the batch as new again. Like any Transact body a
// hook may run more than once and must have no effects outside tx. Ledger
// balances that postings in a hook change are written once per account
// after the last hook (see deferBalances); read balances through balance(),
// which includes the pending changes, never from ledger_balances directly.
// Ingests run concurrently across replicas: a hook that locks rows should
// lock them in key order.
type EventHook func(ctx context.Context, tx *Tx, events []*anxin.Event) error

// AddEventHook registers a hook that runs inside the transaction storing new
// events, after the built-in mirror updates, in registration order. Call it
// during wiring, before serving; it is not safe for concurrent use with
// ingestion.
func (db *DB) AddEventHook(h EventHook) { db.eventHooks = append(db.eventHooks, h) }

// Tx is a transaction with the time it started. Every row written in one Tx
// shares Now.
type Tx struct {
	*sql.Tx
	db  *DB
	Now time.Time

	// state holds capabilities' working state for this transaction, each
	// under its own txState key (see txState).
	state        map[any]any
	beforeCommit []func() error
}

// txState names one capability's working state inside a transaction — a
// batch waiting for its insert, balance changes not yet written. The
// capability declares the key and its type beside the code that uses it;
// the transaction only carries the value, so Tx knows nothing of ledgers
// or decisions.
type txState[T any] struct{ name string }

// get returns the state in tx and whether there is any.
func (k *txState[T]) get(tx *Tx) (T, bool) {
	v, ok := tx.state[k]
	if !ok {
		var zero T
		return zero, false
	}
	return v.(T), true
}

// set stores v as the state in tx.
func (k *txState[T]) set(tx *Tx, v T) {
	if tx.state == nil {
		tx.state = map[any]any{}
	}
	tx.state[k] = v
}

// take returns the state in tx and removes it.
func (k *txState[T]) take(tx *Tx) (T, bool) {
	v, ok := k.get(tx)
	delete(tx.state, k)
	return v, ok
}

// onCommit registers fn to run in the transaction after its body succeeds
// and before COMMIT (batched writes); an error rolls the transaction back.
func (tx *Tx) onCommit(fn func() error) { tx.beforeCommit = append(tx.beforeCommit, fn) }

// DB returns the database the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Dialect returns the transaction's SQL dialect.
func (tx *Tx) Dialect() Dialect { return tx.db.Dialect }

// ExecContext runs a statement written with ? placeholders.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(ctx, tx.db.rebind(query), args...)
}

// QueryContext runs a query written with ? placeholders.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(ctx, tx.db.rebind(query), args...)
}

// QueryRowContext runs a one-row query written with ? placeholders.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(ctx, tx.db.rebind(query), args...)
}

// PrepareContext prepares a statement written with ? placeholders.
func (tx *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return tx.Tx.PrepareContext(ctx, tx.db.rebind(query))
}

// ExecContext runs a statement outside a transaction.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r, err := db.SQL.ExecContext(ctx, db.rebind(query), args...)
	return r, mapError(err)
}

// QueryContext runs a query outside a transaction.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r, err := db.SQL.QueryContext(ctx, db.rebind(query), args...)
	return r, mapError(err)
}

// QueryRowContext runs a one-row query outside a transaction.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return db.SQL.QueryRowContext(ctx, db.rebind(query), args...)
}

// TxOptions tune Transact.
type TxOptions struct {
	// Serializable runs the transaction at SERIALIZABLE on PostgreSQL (money
	// movements). SQLite transactions are always serializable.
	Serializable bool
	ReadOnly     bool
}

// Transact runs fn in a transaction and commits it if fn returns nil.
// On PostgreSQL a serialization failure (40001) or deadlock (40P01) makes
// Transact retry with jittered backoff, up to 8 attempts, so fn may run more
// than once: it must have no effects outside tx.
func (db *DB) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	return db.TransactOpts(ctx, TxOptions{}, fn)
}

// TransactOpts is Transact with options.
func (db *DB) TransactOpts(ctx context.Context, opts TxOptions, fn func(tx *Tx) error) error {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		err = db.transactOnce(ctx, opts, fn)
		if !isRetryable(err) {
			return err
		}
		d := time.Duration(1<<attempt)*5*time.Millisecond + time.Duration(rand.Int64N(int64(5*time.Millisecond)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	return err
}

func (db *DB) transactOnce(ctx context.Context, opts TxOptions, fn func(tx *Tx) error) (err error) {
	o := &sql.TxOptions{ReadOnly: opts.ReadOnly && db.Dialect == Postgres}
	if opts.Serializable && db.Dialect == Postgres {
		o.Isolation = sql.LevelSerializable
	}
	stx, err := db.SQL.BeginTx(ctx, o)
	if err != nil {
		return mapError(err)
	}
	tx := &Tx{Tx: stx, db: db, Now: db.Clock.Now().UTC()}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			db.endStates(tx, false)
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		stx.Rollback()
		db.endStates(tx, false)
		return mapError(err)
	}
	for _, f := range tx.beforeCommit {
		if err := f(); err != nil {
			stx.Rollback()
			db.endStates(tx, false)
			return mapError(err)
		}
	}
	err = stx.Commit()
	db.endStates(tx, err == nil)
	return mapError(err)
}

func isRetryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	return false
}

// MapError gives a database error its anxin kind, keeping the chain: unique
// violations become Conflict, a database that cannot be reached or a
// connection lost mid-query Unavailable (HTTP 503). Errors that already
// carry a kind, and errors it does not recognise, are returned as they are.
// The HTTP server applies it to errors without a kind, so a read that
// returns a driver error as it is still answers 503 when the database is
// down.
func MapError(err error) error { return mapError(err) }

// mapError is MapError.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var ae *anxin.Error
	if errors.As(err, &ae) {
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return &wrapped{kind: anxin.Conflict, msg: "The record already exists.", err: err}
		case "23503":
			return &wrapped{kind: anxin.Invalid, msg: "A referenced record does not exist.", err: err}
		}
		// Class 08: connection exceptions; 57P01-57P03: the server is
		// shutting down, crashed or starting up; 53300: too many connections.
		if strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" || pg.Code == "53300" {
			return &wrapped{kind: anxin.Unavailable, msg: "The database is unavailable.", err: err}
		}
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &wrapped{kind: anxin.Conflict, msg: "The record already exists.", err: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &wrapped{kind: anxin.Invalid, msg: "A referenced record does not exist.", err: err}
		}
		// The busy timeout ran out waiting for the single writer's lock:
		// nothing was written, and the same request can succeed later.
		if p := se.Code() & 0xff; p == sqlite3.SQLITE_BUSY || p == sqlite3.SQLITE_LOCKED {
			return &wrapped{kind: anxin.Unavailable, msg: "The database is busy; try again shortly.", err: err}
		}
		return err
	}
	if connLost(err) {
		return &wrapped{kind: anxin.Unavailable, msg: "The database is unavailable.", err: err}
	}
	return err
}

// connLost reports whether err means the database could not be reached or
// the connection broke: a failed connect, a connection the server closed
// (it was stopped or crashed: the driver reads an unexpected EOF), a network
// error, or a pool connection database/sql gave up on. A cancelled or timed
// out context is not a lost connection (the caller gave up), unless it
// ended a connect.
func connLost(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true // including a connect that ran out of connect_timeout
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	switch {
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, pgconn.ErrConnClosed),
		errors.As(err, &ne), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	// pgx reports a closed connection as "conn closed" without a typed error.
	msg := err.Error()
	return strings.HasSuffix(msg, "conn closed") || strings.Contains(msg, "connection refused")
}

// wrapped gives a driver error a kind while keeping it in the chain for logs.
type wrapped struct {
	kind anxin.Kind
	msg  string
	err  error
}

func (w *wrapped) Error() string { return w.msg + " (" + w.err.Error() + ")" }
func (w *wrapped) Unwrap() []error {
	return []error{&anxin.Error{Kind: w.kind, Message: w.msg}, w.err}
}

// scanIDs reads a one-column query of strings to the end, closing the rows
// (callers that write next must not hold a cursor open), and returns the
// query's or the scan's error.
func scanIDs(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
