package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFailoverDrain sends SIGTERM to the only replica while it ingests and
// answers listing checks: it must stop taking work, finish what it holds and
// exit 0, leaving no message fetched but unacknowledged (nothing waits for
// redelivery) and no accepted request unanswered; a new replica then takes
// the rest, and every event is stored exactly once.
func TestFailoverDrain(t *testing.T) {
	c := newCluster(t)
	n := failoverEvents(t, 200_000) / 5
	ctx := context.Background()
	c.start(0)
	key := c.createKey("platform")
	nc, js := c.connect()
	defer nc.Close()
	if err := c.publish(ctx, js, 0, n); err != nil {
		t.Fatal(err)
	}
	checkDone := make(chan *checkLoad, 1)
	cctx, stopChecks := context.WithCancel(ctx)
	defer stopChecks()
	go func() { checkDone <- c.runChecks(cctx, key, 100*60, 100) }()
	c.waitEvents(ctx, n/3, 5*time.Minute)
	r := c.replicas[0]
	sent := time.Now()
	r.stop()
	took := time.Since(sent)
	if code := r.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("replica exited with %d after SIGTERM; want 0:\n%s", code, r.logs())
	}
	stored := c.count(ctx, `SELECT COUNT(*) FROM events`)
	cons, err := js.Consumer(ctx, c.stream, "anxin")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGTERM: exited in %v with %d of %d events stored; %d fetched but unacknowledged, %d pending",
		took.Round(time.Millisecond), stored, n, info.NumAckPending, info.NumPending)
	if info.NumAckPending != 0 {
		t.Errorf("%d messages were fetched but not acknowledged by the drained replica", info.NumAckPending)
	}
	if int(info.NumPending) != n-stored {
		t.Errorf("pending %d; want %d (every stored event acknowledged, nothing else)", info.NumPending, n-stored)
	}
	stopChecks()
	cl := <-checkDone
	// Requests refused after the listener closed are a balancer's business
	// (runChecks sends them elsewhere; here there is nowhere, so they are
	// not failures); an accepted request must have been answered.
	for _, f := range cl.failures {
		if !strings.Contains(f, "no replica took it") {
			t.Errorf("listing check failed during the drain: %s", f)
		}
	}
	c.start(0)
	c.waitStored(ctx, js, n, 5*time.Minute)
	c.assertOnce(ctx, n, n, 0)
}
