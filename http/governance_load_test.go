package http_test

import (
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGovernanceCheckLoad drives POST /v1/listings:check on loopback at a
// fixed rate (ANXIN_LOAD_RPS, default 5000) for ANXIN_LOAD_SECONDS (default
// 2) against a server wired as `anxin serve` wires it (API keys, governance
// with counterfeit signals) on SQLite and, when ANXIN_TEST_POSTGRES is set,
// on PostgreSQL, and reports the achieved throughput and the latency
// percentiles. It runs only when ANXIN_LOAD is set (it is a measurement, not
// a check of this machine's speed):
//
//	ANXIN_LOAD=1 go test ./http -run TestGovernanceCheckLoad -v
//
// Latency is measured from each request's scheduled send time, so a server
// that falls behind is charged for the queueing it causes.
func TestGovernanceCheckLoad(t *testing.T) {
	if os.Getenv("ANXIN_LOAD") == "" {
		t.Skip("set ANXIN_LOAD=1 to run the load measurement")
	}
	rps, secs := 5000, 2
	if v, err := strconv.Atoi(os.Getenv("ANXIN_LOAD_RPS")); err == nil && v > 0 {
		rps = v
	}
	if v, err := strconv.Atoi(os.Getenv("ANXIN_LOAD_SECONDS")); err == nil && v > 0 && v <= 60 {
		secs = v
	}
	for _, dbName := range []string{"sqlite", "postgres"} {
		t.Run(dbName, func(t *testing.T) {
			if dbName == "postgres" && os.Getenv("ANXIN_TEST_POSTGRES") == "" {
				t.Skip("ANXIN_TEST_POSTGRES is not set")
			}
			loadChecks(t, newCheckEnv(t, dbName), rps, secs)
		})
	}
}

func loadChecks(t *testing.T, e *checkEnv, rps, secs int) {
	for i := range 50 { // warm the pools, the engine and the caches
		if err := e.check("w", i, 50); err != nil {
			t.Fatal(err)
		}
	}
	n := rps * secs
	lat := make([]time.Duration, n)
	var failed atomic.Int64
	var firstErr atomic.Pointer[error]
	start := time.Now().Add(50 * time.Millisecond)
	interval := time.Second / time.Duration(rps)
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	var wg sync.WaitGroup
	for range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				at := start.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(at))
				err := e.check("r", i, 50)
				lat[i] = time.Since(at)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(n-1, int(float64(n)*p))] }
	t.Logf("%d checks at %d/s scheduled: achieved %.0f checks/s, failed %d; latency p50 %v p90 %v p99 %v max %v",
		n, rps, float64(n)/elapsed.Seconds(), failed.Load(), pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), lat[n-1].Round(time.Microsecond))
	if err := firstErr.Load(); err != nil {
		t.Errorf("%d requests failed; first: %v", failed.Load(), *err)
	}
}
