package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Load helpers shared by the failover and scale tests: the event mixes
// published to the stream, the listing checks sent to the replicas while
// they ingest, and CPU accounting from /proc.

// event encodes one stream message.
func event(id, typ string, at time.Time, data any) []byte {
	b, err := json.Marshal(map[string]any{"id": id, "type": typ, "occurred_at": at.UTC().Format(time.RFC3339Nano), "data": data})
	if err != nil {
		panic(err)
	}
	return b
}

// lateShipment lays out the orders whose late-shipment compensation the
// failover test checks: late orders are promised for t0+1h and never picked
// up; on-time orders are picked up at t0+30m. Both are created and (on-time)
// scanned before the load starts — the setup — and paid during it, so the
// paid events race the replicas' kill. The promise is long past, so each
// paid late order's timer is due at once.
type lateShipment struct {
	run  string
	n    int // late orders; as many on time
	t0   time.Time
	late func(i int) string
	on   func(i int) string
}

func newLateShipment(run string, n int) *lateShipment {
	return &lateShipment{run: run, n: n, t0: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		late: func(i int) string { return fmt.Sprintf("late_%s_%05d", run, i) },
		on:   func(i int) string { return fmt.Sprintf("ontime_%s_%05d", run, i) }}
}

func (l *lateShipment) order(id string, i int) map[string]any {
	return map[string]any{"id": id, "merchant_id": fmt.Sprintf("m%d", i%97), "buyer_id": fmt.Sprintf("b%d", i%5003),
		"promised_ship_at": l.t0.Add(time.Hour).Format(time.RFC3339),
		"items":            []any{map[string]any{"listing_id": fmt.Sprintf("l%d", i%1009), "quantity": 1, "unit_price_fen": 9900 + i%100}}}
}

// setup returns the events published before the load: every order created,
// and the on-time ones picked up.
func (l *lateShipment) setup() [][]byte {
	var out [][]byte
	for i := range l.n {
		out = append(out,
			event("ev_"+l.late(i)+"_created", "order.created", l.t0, l.order(l.late(i), i)),
			event("ev_"+l.on(i)+"_created", "order.created", l.t0, l.order(l.on(i), i)),
			event("ev_"+l.on(i)+"_pickup", "shipment.scanned", l.t0.Add(30*time.Minute),
				map[string]any{"shipment_id": "s_" + l.on(i), "order_id": l.on(i), "carrier": "sf", "code": "pickup"}))
	}
	return out
}

// paid returns the order.paid events, late and on time, sent during the load.
func (l *lateShipment) paid() [][]byte {
	var out [][]byte
	for i := range l.n {
		for _, id := range []string{l.late(i), l.on(i)} {
			out = append(out, event("ev_"+id+"_paid", "order.paid", l.t0.Add(5*time.Minute), map[string]any{"order_id": id}))
		}
	}
	return out
}

// interleave spreads extra evenly through bulk.
func interleave(bulk, extra [][]byte) [][]byte {
	out := make([][]byte, 0, len(bulk)+len(extra))
	every := max(1, len(bulk)/max(1, len(extra)))
	j := 0
	for i, m := range bulk {
		out = append(out, m)
		if i%every == every-1 && j < len(extra) {
			out = append(out, extra[j])
			j++
		}
	}
	return append(out, extra[j:]...)
}

// lifecycle returns the events of n orders through their whole life —
// created, paid, shipped, picked up, delivered, over the last three hours —
// a realistic mix for throughput: the paid and delivered events post to the
// ledger, and the timers they set (the ship-by promise, the lost-parcel
// check) fall due in the future, as in a live stream.
func lifecycle(run string, n int) [][]byte {
	t0 := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	out := make([][]byte, 0, 5*n)
	for i := range n {
		id := fmt.Sprintf("lc_%s_%07d", run, i)
		ship := "s_" + id
		out = append(out,
			event("ev_"+id+"_c", "order.created", t0, map[string]any{"id": id, "merchant_id": fmt.Sprintf("m%d", i%97), "buyer_id": fmt.Sprintf("b%d", i%5003),
				"promised_ship_at": t0.Add(48 * time.Hour).Format(time.RFC3339),
				"items":            []any{map[string]any{"listing_id": fmt.Sprintf("l%d", i%1009), "quantity": 1 + i%3, "unit_price_fen": 990 + i%5000}}}),
			event("ev_"+id+"_p", "order.paid", t0.Add(time.Minute), map[string]any{"order_id": id}),
			event("ev_"+id+"_s", "order.shipped", t0.Add(time.Hour), map[string]any{"order_id": id, "shipment_id": ship, "carrier": "sf", "tracking_no": "SF" + strconv.Itoa(i)}),
			event("ev_"+id+"_k", "shipment.scanned", t0.Add(2*time.Hour), map[string]any{"shipment_id": ship, "order_id": id, "carrier": "sf", "code": "pickup"}),
			event("ev_"+id+"_d", "order.delivered", t0.Add(150*time.Minute), map[string]any{"order_id": id}))
	}
	return out
}

// createKey makes an API key with the binary, as an operator would.
func (c *cluster) createKey(role string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, "keys", "create", "--role", role, "--name", "load test", "--db", c.dsn)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("anxin keys create: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// addrs returns the live replicas' addresses (a restarted replica replaces
// the killed one).
func (c *cluster) addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.replicas))
	for _, r := range c.replicas {
		select {
		case <-r.done:
		default:
			out = append(out, r.addr)
		}
	}
	return out
}

// checkLoad is what a run of listing checks saw.
type checkLoad struct {
	sent     time.Time
	lat      []time.Duration // per request, from its scheduled send time
	at       []time.Time     // scheduled send times
	retried  atomic.Int64    // sent again to another replica after a refused connection
	failures []string
}

// runChecks sends n POST /v1/listings:check at rps, round robin over the
// live replicas like a load balancer, from 64 workers. A request a replica
// refuses because it is gone goes to the next one (a balancer's retry);
// any other failure or non-200 answer is recorded.
func (c *cluster) runChecks(ctx context.Context, key string, n, rps int) *checkLoad {
	res := &checkLoad{lat: make([]time.Duration, n), at: make([]time.Time, n)}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	titles := []string{"纯棉短袖T恤 男 夏季", "高仿 女包 专柜品质", "外贸原单 衬衫", "仿真植物 绿萝", "全网最低 毛巾"}
	desc := strings.Repeat("精选面料，亲肤透气，做工精细，多色可选。", 8)
	res.sent = time.Now().Add(20 * time.Millisecond)
	interval := time.Second / time.Duration(rps)
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				at := res.sent.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(at))
				body := fmt.Sprintf(`{"id":"lst_%s_%06d","title":%q,"description":%q,"merchant_id":"m%d"}`, c.run, i, titles[i%len(titles)], desc, i%97)
				err := c.check(ctx, client, key, body, i, &res.retried)
				if ctx.Err() != nil {
					return // called off mid-request: not measured
				}
				res.at[i], res.lat[i] = at, time.Since(at)
				if err != nil {
					mu.Lock()
					res.failures = append(res.failures, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return res
}

func (c *cluster) check(ctx context.Context, client *http.Client, key, body string, i int, retried *atomic.Int64) error {
	for attempt := 0; ; attempt++ {
		addrs := c.addrs()
		if len(addrs) == 0 || attempt > 6 {
			return fmt.Errorf("check %d: no replica took it", i)
		}
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addrs[(i+attempt)%len(addrs)]+"/v1/listings:check", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil && ctx.Err() != nil {
			return nil // the run was called off: not a failure
		}
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || isNetClosed(err) {
				retried.Add(1) // the replica died under the request: the balancer tries another
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return fmt.Errorf("check %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("check %d: %d %s", i, resp.StatusCode, b)
		}
		var d struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
		}
		if err := json.Unmarshal(b, &d); err != nil || d.ID == "" || d.Outcome == "" {
			return fmt.Errorf("check %d: answer %s is not a decision", i, b)
		}
		return nil
	}
}

func isNetClosed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) || strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "EOF")
}

// percentiles returns p50 and p99 of the latencies of requests sent within
// [from, to) (all when to is zero), and how many there were.
func (l *checkLoad) percentiles(from, to time.Time) (p50, p99 time.Duration, n int) {
	var xs []time.Duration
	for i, d := range l.lat {
		if d == 0 || l.at[i].Before(from) || (!to.IsZero() && !l.at[i].Before(to)) {
			continue
		}
		xs = append(xs, d)
	}
	if len(xs) == 0 {
		return 0, 0, 0
	}
	slices.Sort(xs)
	return xs[len(xs)*50/100], xs[min(len(xs)-1, len(xs)*99/100)], len(xs)
}

// cpuBusy returns the machine's busy CPU time so far (all cores: user,
// nice, system, irq, softirq and steal; not idle or iowait), from /proc/stat.
func cpuBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i == 3 || i == 4 || i >= 8 { // idle, iowait, guest (already in user)
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

// procCPU returns a process's user plus system CPU time, from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100
}

// replicaCPU sums procCPU over the live replicas.
func (c *cluster) replicaCPU() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var d time.Duration
	for _, r := range c.replicas {
		d += procCPU(r.cmd.Process.Pid)
	}
	return d
}

// ledgerVerify runs `anxin ledger verify` on the cluster's database.
func (c *cluster) ledgerVerify() {
	c.t.Helper()
	out, err := exec.Command(c.bin, "ledger", "verify", "--db", c.dsn).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		c.t.Errorf("anxin ledger verify: %v\n%s", err, out)
		return
	}
	c.t.Logf("anxin ledger verify: %s", strings.TrimSpace(string(out)))
}

func numCPU() int { return runtime.NumCPU() }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
