package http_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// checkEnv is a server wired for the check path as `anxin serve` wires it:
// API keys, governance with the counterfeit signals (brand registry,
// relation network, hash bank), on a real database behind a loopback
// listener.
type checkEnv struct {
	url    string
	key    string
	client *http.Client
	cpu    func() time.Duration // CPU of this process plus the PostgreSQL backends serving it
}

// newCheckEnv opens dbName ("sqlite" or "postgres"; postgres skips without
// ANXIN_TEST_POSTGRES) and starts the server.
func newCheckEnv(tb testing.TB, dbName string) *checkEnv {
	tb.Helper()
	var db *sqlstore.DB
	cpu := processCPU
	switch dbName {
	case "sqlite":
		db = sqltest.OpenSQLite(tb, nil)
	case "postgres":
		// A unique application_name finds this pool's backends, whose CPU
		// time /proc reports (the server must run on this machine).
		app := "anxin_check_" + strconv.FormatInt(time.Now().UnixNano(), 36)
		var err error
		if db, err = sqlstore.Open(context.Background(), sqltest.PostgresDSN(tb)+"&application_name="+app, nil); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			tb.Fatal(err)
		}
		admin, err := sqlstore.Open(context.Background(), os.Getenv("ANXIN_TEST_POSTGRES"), nil)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { admin.Close() })
		cpu = func() time.Duration {
			total := processCPU()
			rows, err := admin.QueryContext(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = ?`, app)
			if err != nil {
				return total
			}
			defer rows.Close()
			for rows.Next() {
				var pid int
				rows.Scan(&pid)
				if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
					f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
					ut, _ := strconv.ParseInt(f[11], 10, 64)
					st, _ := strconv.ParseInt(f[12], 10, 64)
					total += time.Duration(ut+st) * 10 * time.Millisecond
				}
			}
			return total
		}
	default:
		tb.Fatalf("unknown database %q", dbName)
	}
	url := serveChecks(tb, db)
	key, _, err := sqlstore.NewKeyService(db).CreateKey(context.Background(), "platform", anxin.RolePlatform)
	if err != nil {
		tb.Fatal(err)
	}
	return &checkEnv{url: url, key: key, client: checkClient(tb), cpu: cpu}
}

// serveChecks starts one replica on db: keys, governance with counterfeit
// signals, event ingestion; it returns its URL.
func serveChecks(tb testing.TB, db *sqlstore.DB) string {
	tb.Helper()
	ts := testserver.New(tb, db, testserver.Governance, testserver.Marketplace, func(s *testserver.Server) {
		gov := s.API.Governance.(*sqlstore.GovernanceService)
		gov.Counterfeit = sqlstore.NewCounterfeitService(db, sqlstore.NewRelationService(db), sqlstore.NewHashBankService(db))
		if v, err := strconv.Atoi(os.Getenv("ANXIN_BENCH_LANES")); err == nil {
			gov.GroupLanes = v
		}
	})
	return ts.URL
}

func checkClient(tb testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

var (
	checkTitles = []string{"纯棉短袖T恤 男 夏季", "高仿 女包 专柜品质", "外贸原单 衬衫", "仿真植物 绿萝", "全网最低 毛巾"}
	checkDesc   = strings.Repeat("精选面料，亲肤透气，做工精细，多色可选。", 8)
)

// check posts listing i for a publish-time check (one in five is a
// counterfeit block, which writes a statement, actions and points) and
// reports whether the answer was 200.
func (e *checkEnv) check(run string, i, merchants int) error {
	body := fmt.Sprintf(`{"id":"l%s_%d","title":%q,"description":%q,"merchant_id":"m%d","stage":"publish"}`,
		run, i, checkTitles[i%len(checkTitles)], checkDesc, i%merchants)
	req, _ := http.NewRequest("POST", e.url+"/v1/listings:check", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("POST /v1/listings:check = %d %s", resp.StatusCode, out)
	}
	return nil
}

// BenchmarkGovernanceCheckHTTP measures the publish-time listing check end
// to end: a client over loopback keeps `clients` requests in flight (closed
// loop) against the real handler, API-key authentication and store, wired
// as `anxin serve` wires it. It reports checks/s (wall clock), checks/cpu-s
// (CPU of this process, client included, plus on PostgreSQL the backends
// serving it — the figure that moves least with other people's load on a
// shared machine) and the p50/p99 latency in milliseconds.
//
//	go test -run '^$' -bench BenchmarkGovernanceCheckHTTP -benchtime 4000x ./http/
//
// With ANXIN_TEST_POSTGRES set it also runs on PostgreSQL. ANXIN_BENCH_LANES
// overrides GovernanceService.GroupLanes (to compare lane counts).
func BenchmarkGovernanceCheckHTTP(b *testing.B) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/clients%d", dbName, clients), func(b *testing.B) {
				e := newCheckEnv(b, dbName)
				run := strconv.FormatInt(time.Now().UnixNano(), 36)
				for i := range 50 { // warm the pools, the engine and the caches
					if err := e.check(run+"w", i, 500); err != nil {
						b.Fatal(err)
					}
				}
				lat := make([]time.Duration, b.N)
				var next atomic.Int64
				var failed atomic.Pointer[error]
				cpu0 := e.cpu()
				b.ResetTimer()
				var wg sync.WaitGroup
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1) - 1)
							if i >= b.N {
								return
							}
							t := time.Now()
							if err := e.check(run, i, 500); err != nil {
								failed.CompareAndSwap(nil, &err)
								return
							}
							lat[i] = time.Since(t)
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				if err := failed.Load(); err != nil {
					b.Fatal(*err)
				}
				spent := e.cpu() - cpu0
				slices.Sort(lat)
				pct := func(p float64) float64 { return float64(lat[min(b.N-1, int(float64(b.N)*p))]) / 1e6 }
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
				b.ReportMetric(float64(b.N)/spent.Seconds(), "checks/cpu-s")
				b.ReportMetric(pct(0.50), "p50-ms")
				b.ReportMetric(pct(0.99), "p99-ms")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
