package sqlstore_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"

	"github.com/jackc/pgx/v5/pgconn"
)

// What the driver reports when the database goes away maps to Unavailable;
// constraint errors keep their kinds; a caller's own cancellation and
// unknown errors stay unclassified (500).
func TestMapErrorLostDatabase(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want anxin.Kind
	}{
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, anxin.Unavailable},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, anxin.Unavailable},
		{&pgconn.PgError{Code: "08006"}, anxin.Unavailable},
		{&pgconn.PgError{Code: "08P01"}, anxin.Unavailable},
		{&pgconn.PgError{Code: "53300", Message: "too many connections"}, anxin.Unavailable},
		{fmt.Errorf("scan: %w", io.ErrUnexpectedEOF), anxin.Unavailable}, // the server was killed mid-query
		{driver.ErrBadConn, anxin.Unavailable},
		{&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, anxin.Unavailable},
		{pgconn.ErrConnClosed, anxin.Unavailable},
		{&pgconn.PgError{Code: "23505"}, anxin.Conflict},
		{&pgconn.PgError{Code: "23503"}, anxin.Invalid},
		{&pgconn.PgError{Code: "42P01"}, anxin.Internal},
		{context.Canceled, anxin.Internal},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), anxin.Internal},
		{errors.New("boom"), anxin.Internal},
	} {
		got := sqlstore.MapError(tc.err)
		if k := anxin.KindOf(got); k != tc.want {
			t.Errorf("MapError(%v) kind %q; want %q", tc.err, k, tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("MapError(%v) lost the cause from the chain", tc.err)
		}
	}
	if sqlstore.MapError(nil) != nil {
		t.Error("MapError(nil) != nil")
	}
}

// A server that accepts the connection and never answers (a hung or
// unreachable database behind a proxy) makes Open fail with Unavailable
// after the connect timeout, not after the 10 s ping bound; a DSN's own
// connect_timeout wins.
func TestOpenSilentPostgresTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	// A connect that runs out of connect_timeout is the database being
	// unavailable (503), not an internal error, though the driver reports
	// it through a context deadline.
	_, cerr := pgconn.Connect(context.Background(), "postgres://anxin@127.0.0.1:"+port+"/anxin?sslmode=disable&connect_timeout=1")
	if k := anxin.KindOf(sqlstore.MapError(cerr)); cerr == nil || k != anxin.Unavailable {
		t.Errorf("MapError(connect timeout %v) kind %q; want unavailable", cerr, k)
	}
	for _, tc := range []struct {
		dsn  string
		want time.Duration
	}{
		{"postgres://anxin@127.0.0.1:" + port + "/anxin?sslmode=disable", sqlstore.DefaultConnectTimeout},
		{"postgres://anxin@127.0.0.1:" + port + "/anxin?sslmode=disable&connect_timeout=1", time.Second},
	} {
		start := time.Now()
		db, err := sqlstore.Open(context.Background(), tc.dsn, nil)
		took := time.Since(start)
		if err == nil {
			db.Close()
			t.Fatalf("Open on a silent server succeeded")
		}
		if anxin.KindOf(err) != anxin.Unavailable {
			t.Errorf("Open on a silent server = %v; want Unavailable", err)
		}
		if took < tc.want-100*time.Millisecond || took > tc.want+2*time.Second {
			t.Errorf("Open on a silent server failed after %v; want about %v", took, tc.want)
		}
	}
}

// A connection the server terminates (as a restart does) reports
// Unavailable on its next use, and the pool replaces it by itself.
func TestPostgresTerminatedConnection(t *testing.T) {
	db := sqltest.OpenPostgres(t, nil)
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	var ok bool
	if err := db.SQL.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate backend: %v %v", ok, err)
	}
	// The backend is gone once it no longer shows in pg_stat_activity.
	for deadline := time.Now().Add(5 * time.Second); ; {
		var n int
		db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&n)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated backend is still there")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var one int
	err = conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
	if err == nil {
		t.Fatal("query on a terminated connection succeeded")
	}
	if k := anxin.KindOf(sqlstore.MapError(err)); k != anxin.Unavailable {
		t.Errorf("query on a terminated connection: %v → kind %q; want Unavailable", err, k)
	}
	conn.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
		t.Errorf("the pool did not recover: %v", err)
	}
}

// A SQLite writer that waits out its busy timeout behind another writer
// gets Unavailable (503 with Retry-After), not an internal error: nothing
// was written and the request can be sent again.
func TestMapErrorSQLiteBusy(t *testing.T) {
	ctx := context.Background()
	db := sqltest.OpenSQLite(t, nil)
	holder, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer holder.ExecContext(ctx, `ROLLBACK`)
	waiter, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	if _, err := waiter.ExecContext(ctx, `PRAGMA busy_timeout = 20`); err != nil {
		t.Fatal(err)
	}
	_, err = waiter.ExecContext(ctx, `BEGIN IMMEDIATE`)
	if err == nil {
		t.Fatal("a second writer got the lock")
	}
	if k := anxin.KindOf(sqlstore.MapError(err)); k != anxin.Unavailable {
		t.Errorf("MapError(%v) kind %q; want unavailable", err, k)
	}
}
