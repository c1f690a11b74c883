package http_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
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
			loadChecks(t, []*checkEnv{newCheckEnv(t, dbName)}, rps, secs)
		})
	}
}

// TestGovernanceCheckLoadReplicas is the check load against three replicas
// on one PostgreSQL database while each of them ingests order events
// (POST /v1/events, batches of 1000, back to back): the checks go round
// robin to the replicas and the test reports their latency and the events
// ingested meanwhile. It needs ANXIN_LOAD and ANXIN_TEST_POSTGRES:
//
//	ANXIN_LOAD=1 ANXIN_LOAD_RPS=1000 go test ./http -run TestGovernanceCheckLoadReplicas -v
func TestGovernanceCheckLoadReplicas(t *testing.T) {
	if os.Getenv("ANXIN_LOAD") == "" {
		t.Skip("set ANXIN_LOAD=1 to run the load measurement")
	}
	rps, secs := 1000, 4
	if v, err := strconv.Atoi(os.Getenv("ANXIN_LOAD_RPS")); err == nil && v > 0 {
		rps = v
	}
	if v, err := strconv.Atoi(os.Getenv("ANXIN_LOAD_SECONDS")); err == nil && v > 0 && v <= 60 {
		secs = v
	}
	dsn := sqltest.PostgresDSN(t)
	var envs []*checkEnv
	var first *sqlstore.DB
	for i := range 3 {
		db, err := sqlstore.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			first = db
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		envs = append(envs, &checkEnv{url: serveChecks(t, db), client: checkClient(t)})
	}
	key, _, err := sqlstore.NewKeyService(first).CreateKey(context.Background(), "platform", anxin.RolePlatform)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		e.key = key
	}
	var batches, events atomic.Int64
	stop := make(chan struct{})
	var ingest sync.WaitGroup
	for _, e := range envs {
		ingest.Add(1)
		go func() {
			defer ingest.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				body := benchBatch(int(batches.Add(1)), 1000)
				req, _ := http.NewRequest("POST", e.url+"/v1/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+e.key)
				resp, err := e.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("POST /v1/events = %d", resp.StatusCode)
					return
				}
				events.Add(1000)
			}
		}()
	}
	time.Sleep(time.Second) // ingestion under way before the checks start
	started, before := time.Now(), events.Load()
	loadChecks(t, envs, rps, secs)
	ingested := events.Load() - before
	close(stop)
	ingest.Wait()
	t.Logf("meanwhile the 3 replicas ingested %d events (%.0f events/s)", ingested, float64(ingested)/time.Since(started).Seconds())
}

// loadChecks sends rps checks a second for secs seconds, round robin over
// envs, and logs throughput and latency percentiles.
func loadChecks(t *testing.T, envs []*checkEnv, rps, secs int) {
	for i := range 50 { // warm the pools, the engine and the caches
		if err := envs[i%len(envs)].check("w", i, 50); err != nil {
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
				err := envs[i%len(envs)].check("r", i, 50)
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
