package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestScaleReplicas measures how ingestion grows from one replica to three:
// for each, it fills a fresh stream with the whole life of ANXIN_TEST_SCALE_ORDERS
// orders (default 10,000, five events each: created, paid, shipped, picked
// up, delivered), starts the replicas and times how fast they drain it into
// a fresh PostgreSQL schema, while listing checks arrive at 100/s round
// robin. It reports events/s (end to end, and steady from 10 % to 90 %
// stored), events per busy CPU-second of the whole machine (the replicas,
// PostgreSQL and NATS share its cores), the replicas' own share of the CPU,
// and the checks' p50/p99 under that load. It asserts only correctness
// (every event stored once, every check answered), not speed. It needs the
// same services as TestFailover:
//
//	ANXIN_TEST_FAILOVER=1 ANXIN_TEST_POSTGRES=… go test -count=1 -run Scale -v ./cmd/anxin/
//
// ANXIN_TEST_SCALE_MIX=created publishes only order.created events (five per
// order, so the same count), which touch the mirror and not the ledger.
func TestScaleReplicas(t *testing.T) {
	failoverEnv(t)
	orders := 10_000
	if s := os.Getenv("ANXIN_TEST_SCALE_ORDERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("ANXIN_TEST_SCALE_ORDERS = %q", s)
		}
		orders = n
	}
	var rs []scaleResult
	for _, k := range []int{1, 3} {
		t.Run(fmt.Sprintf("replicas=%d", k), func(t *testing.T) { rs = append(rs, runScale(t, k, orders)) })
	}
	if len(rs) == 2 {
		t.Logf("1 → 3 replicas: steady %.2f×, end to end %.2f×, per busy CPU-second %.2f×",
			rs[1].steady/rs[0].steady, rs[1].endToEnd/rs[0].endToEnd, rs[1].perCPU/rs[0].perCPU)
	}
}

type scaleResult struct {
	steady, endToEnd, perCPU float64
}

func runScale(t *testing.T, k, orders int) scaleResult {
	c := newCluster(t)
	ctx := context.Background()
	key := c.createKey("platform")
	nc, js := c.connect()
	defer nc.Close()
	msgs := lifecycle(c.run, orders)
	wantOrders := orders
	if os.Getenv("ANXIN_TEST_SCALE_MIX") == "created" {
		msgs = msgs[:0]
		for i := range 5 * orders {
			msgs = append(msgs, failoverOrder(c.run, i))
		}
		wantOrders = 5 * orders
	}
	total := len(msgs)
	pub := time.Now()
	if err := c.publishAll(ctx, js, msgs); err != nil {
		t.Fatal(err)
	}
	t.Logf("published %d events in %v", total, time.Since(pub).Round(time.Millisecond))

	start, busy0 := time.Now(), cpuBusy()
	for i := range k {
		c.start(i)
	}
	cctx, stopChecks := context.WithCancel(ctx)
	checkDone := make(chan *checkLoad, 1)
	go func() { checkDone <- c.runChecks(cctx, key, 100*600, 100) }()

	var t10, t90 time.Time
	var b10, b90, cpu10, cpu90 time.Duration
	deadline := start.Add(10 * time.Minute)
	var done time.Time
	for {
		// Progress comes from the broker (acknowledged = committed), which
		// costs the database nothing; the table is counted at the end.
		lag, err := c.lag(ctx, js)
		if err != nil {
			lag = total
		}
		got := total - lag
		now := time.Now()
		if t10.IsZero() && got >= total/10 {
			t10, b10, cpu10 = now, cpuBusy(), c.replicaCPU()
		}
		if t90.IsZero() && got >= total*9/10 {
			t90, b90, cpu90 = now, cpuBusy(), c.replicaCPU()
		}
		if got == total {
			done = now
			break
		}
		if now.After(deadline) {
			t.Fatalf("only %d of %d events stored after 10 minutes", got, total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	busy := cpuBusy() - busy0
	stopChecks()
	cl := <-checkDone
	c.waitStored(ctx, js, total, time.Minute)
	if got := c.count(ctx, `SELECT COUNT(*) FROM orders`); got != wantOrders {
		t.Errorf("orders = %d; want %d", got, wantOrders)
	}
	if len(cl.failures) > 0 {
		t.Errorf("%d listing checks failed; first: %s", len(cl.failures), cl.failures[0])
	}
	window := t90.Sub(t10).Seconds()
	r := scaleResult{
		steady:   float64(total*8/10) / window,
		endToEnd: float64(total) / done.Sub(start).Seconds(),
		perCPU:   float64(total*8/10) / (b90 - b10).Seconds(),
	}
	p50, p99, n := cl.percentiles(start, done)
	t.Logf("%d replica(s), %d events: %.0f events/s steady (10%%→90%%), %.0f events/s end to end including start-up (%v); %.0f events per busy CPU-second (machine busy %.0f%% of %d cores in the window, replicas %.0f%% of the busy time; %v busy overall); listing checks at 100/s: p50 %s p99 %s over %d",
		k, total, r.steady, r.endToEnd, done.Sub(start).Round(time.Millisecond), r.perCPU,
		100*(b90-b10).Seconds()/window/float64(numCPU()), numCPU(), 100*(cpu90-cpu10).Seconds()/(b90-b10).Seconds(), busy.Round(time.Millisecond),
		ms(p50), ms(p99), n)
	return r
}
