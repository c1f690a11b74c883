package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
)

// TestBenchAgainstServer drives a real server on SQLite with each target
// for a second, closed and open loop, and checks that every request
// succeeded and the figures hang together; then that nonsensical flags are
// refused before anything is sent.
func TestBenchAgainstServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := NewMain()
	m.Config.DSN, m.Config.Addr, m.Config.Migrate, m.Config.NoJobs = filepath.Join(t.TempDir(), "anxin.db"), "127.0.0.1:0", true, true
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx, ready) }()
	defer func() { stop(); <-done }()
	addr := "http://" + (<-ready).String()
	key, _, err := sqlstore.NewKeyService(m.DB).CreateKey(ctx, "bench", anxin.RolePlatform)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []benchConfig{
		{target: "check", clients: 4},
		{target: "check", rate: 200},
		{target: "events", clients: 2, batch: 100},
		{target: "claims", rate: 100},
	} {
		c.addr, c.key, c.duration, c.timeout = addr, key, time.Second, 30*time.Second
		if c.batch == 0 {
			c.batch = 1000
		}
		if err := c.validate(); err != nil {
			t.Fatal(err)
		}
		r, err := bench(ctx, c)
		if err != nil {
			t.Fatalf("%s: %v", c.target, err)
		}
		t.Logf("%s %s: %d ok, %.0f/s, p50 %.2f ms, p99 %.2f ms", c.target, r.Mode, r.OK, r.Throughput, r.P50ms, r.P99ms)
		if r.OK == 0 || r.OK != r.Requests || len(r.Errors) != 0 {
			t.Errorf("%s: %d requests, %d ok, errors %v; want all ok", c.target, r.Requests, r.OK, r.Errors)
		}
		if !(r.P50ms > 0 && r.P50ms <= r.P90ms && r.P90ms <= r.P99ms && r.P99ms <= r.P999ms && r.P999ms <= r.MaxMs) {
			t.Errorf("%s: percentiles out of order: %+v", c.target, r)
		}
		if c.rate > 0 && (r.Requests < c.rate*8/10 || r.Requests > c.rate+1) {
			t.Errorf("%s open loop at %d/s for 1s sent %d", c.target, c.rate, r.Requests)
		}
		if c.target == "events" && r.Items != r.OK*100 {
			t.Errorf("events: %d items for %d requests of 100", r.Items, r.OK)
		}
	}
	var n int
	if err := m.DB.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM claims`).Scan(&n); err != nil || n == 0 {
		t.Errorf("claims stored: %d, %v; want the bench's", n, err)
	}

	for _, args := range [][]string{
		{"check", "--addr", addr},                                                 // no key
		{"check", "--addr", "ftp://x", "--key", "k"},                              // bad url
		{"check", "--addr", addr, "--key", "k", "--rate", "10", "--clients", "2"}, // both modes
		{"check", "--addr", addr, "--key", "k", "--rate", "-5"},
		{"check", "--addr", addr, "--key", "k", "--duration", "0s"},
		{"events", "--addr", addr, "--key", "k", "--batch", "6000"},
		{"claims", "--addr", addr, "--key", "k", "--orders", "-1"},
	} {
		if err := runBench(ctx, args); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("bench %v = %v; want Invalid", args, err)
		}
	}
}
