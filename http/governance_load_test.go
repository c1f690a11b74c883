package http_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGovernanceCheckLoad drives POST /v1/listings:check on loopback at a
// fixed rate (ANXIN_LOAD_RPS, default 5000) for ANXIN_LOAD_SECONDS (default
// 2) against a server on SQLite, and reports the latency percentiles. It
// runs only when ANXIN_LOAD is set (it is a measurement, not a check of this
// machine's speed):
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
	g := newGovServer(t)
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	titles := []string{"纯棉短袖T恤 男 夏季", "高仿 女包 专柜品质", "外贸原单 衬衫", "仿真植物 绿萝", "全网最低 毛巾"}
	desc := strings.Repeat("精选面料，亲肤透气，做工精细，多色可选。", 8)
	n := rps * secs
	lat := make([]time.Duration, n)
	var failed int
	var mu sync.Mutex
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
				body := fmt.Sprintf(`{"id":"l%d","title":%q,"description":%q,"merchant_id":"m%d"}`, i, titles[i%len(titles)], desc, i%50)
				req, _ := http.NewRequest("POST", g.url+"/v1/listings:check", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+g.keys["platform"])
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat[i] = time.Since(at)
				if err != nil || resp.StatusCode != 200 {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(n-1, int(float64(n)*p))] }
	t.Logf("%d checks at %d/s scheduled: achieved %.0f/s, failed %d; latency p50 %v p90 %v p99 %v max %v",
		n, rps, float64(n)/elapsed.Seconds(), failed, pct(0.50), pct(0.90), pct(0.99), lat[n-1])
	if failed > 0 {
		t.Errorf("%d requests failed", failed)
	}
}
