package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"anxin"
)

const benchUsage = "bench check|claims|events --addr URL --key KEY [--rate N | --clients N] [--duration D] [--warmup D] [--batch N] [--orders N] [--compare URL [--pid N --compare-pid N]] [--json]"

// benchConfig is what one bench run does.
type benchConfig struct {
	target     string
	addr       string
	key        string
	rate       int // requests per second, open loop; 0 for closed loop
	clients    int // concurrent clients, closed loop
	duration   time.Duration
	warmup     time.Duration
	batch      int // events per request (events)
	orders     int // orders prepared for claims
	timeout    time.Duration
	compare    string // floor server measured in the same run (check, events)
	pid        int    // with compare: the local server's process, for CPU per item
	comparePid int    // and the floor's
}

func runBench(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "floor" {
		return runBenchFloor(ctx, args[1:])
	}
	if len(args) == 0 || !slices.Contains([]string{"check", "claims", "events"}, args[0]) {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: anxin " + benchUsage)
			return nil
		}
		fmt.Fprintln(os.Stderr, "Usage: anxin "+benchUsage)
		return errUsage
	}
	c := benchConfig{target: args[0]}
	fs := newFlagSet("bench "+c.target, benchUsage, `
Drive a running Anxin server with realistic requests and print throughput,
latency percentiles and errors, to size a deployment.

check   POST /v1/listings:check: listing titles of many categories, some
        violating, from 200 merchants.
claims  POST /v1/claims: instant-refund claims on orders the bench first
        creates and pays through the API (--orders of them; the key must be
        a platform key).
events  POST /v1/events: whole order lives (created, paid, shipped,
        delivered), --batch events per request.

--clients N runs N clients, each sending its next request when the last
answered (closed loop). --rate N sends N requests a second on a fixed
schedule whatever the answers (open loop); latency is measured from each
request's scheduled send time, so a slow server cannot hide its queueing.
Requests during --warmup are sent but not counted.

--compare URL measures a floor server (anxin bench floor) in the same run:
the floor and --addr take turns, a quarter of --duration each, twice, and
the ratio of their throughputs is printed, so a noisy machine drifts both
alike.`)
	fs.StringVar(&c.addr, "addr", envOr("ANXIN_BENCH_ADDR", "http://127.0.0.1:8080"), "server `url`")
	fs.StringVar(&c.key, "key", os.Getenv("ANXIN_BENCH_KEY"), "API `key` (platform role) (env ANXIN_BENCH_KEY)")
	fs.IntVar(&c.rate, "rate", 0, "open loop: `requests` per second")
	fs.IntVar(&c.clients, "clients", 0, "closed loop: concurrent `clients` (default 32 when --rate is not given)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured `duration`")
	fs.DurationVar(&c.warmup, "warmup", 0, "unmeasured `duration` before it")
	fs.IntVar(&c.batch, "batch", 1000, "events: `events` per request")
	fs.IntVar(&c.orders, "orders", 0, "claims: `orders` to prepare (default: enough for the run at --rate, else 20000)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "per-request `timeout`")
	fs.StringVar(&c.compare, "compare", "", "check, events: floor server `url` (anxin bench floor) measured in turns with --addr")
	fs.IntVar(&c.pid, "pid", 0, "with --compare: the local server's `process` id, to report CPU time per item")
	fs.IntVar(&c.comparePid, "compare-pid", 0, "with --compare: the local floor's `process` id")
	asJSON := fs.Bool("json", false, "print one JSON line instead of text")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if c.compare != "" {
		return benchCompare(ctx, c, *asJSON)
	}
	res, err := bench(ctx, c)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	res.print(os.Stdout)
	return nil
}

// validate refuses nonsensical flags.
func (c *benchConfig) validate() error {
	u, err := url.Parse(c.addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return anxin.Errorf(anxin.Invalid, "--addr must be an http or https URL such as http://127.0.0.1:8080.")
	}
	c.addr = strings.TrimRight(c.addr, "/")
	switch {
	case c.key == "":
		return anxin.Errorf(anxin.Invalid, "--key is required (a platform key).")
	case c.rate != 0 && c.clients != 0:
		return anxin.Errorf(anxin.Invalid, "give either --rate (open loop) or --clients (closed loop), not both.")
	case c.rate < 0 || c.rate > 1_000_000:
		return anxin.Errorf(anxin.Invalid, "--rate must be from 1 to 1,000,000 requests a second.")
	case c.clients < 0 || c.clients > 4096:
		return anxin.Errorf(anxin.Invalid, "--clients must be from 1 to 4,096.")
	case c.duration < time.Second || c.duration > 24*time.Hour:
		return anxin.Errorf(anxin.Invalid, "--duration must be from 1s to 24h.")
	case c.warmup < 0 || c.warmup > time.Hour:
		return anxin.Errorf(anxin.Invalid, "--warmup must be from 0 to 1h.")
	case c.batch < 1 || c.batch > anxin.MaxBatch:
		return anxin.Errorf(anxin.Invalid, "--batch must be from 1 to %d.", anxin.MaxBatch)
	case c.orders < 0 || c.orders > 10_000_000:
		return anxin.Errorf(anxin.Invalid, "--orders must be from 1 to 10,000,000.")
	case c.timeout <= 0 || c.timeout > 10*time.Minute:
		return anxin.Errorf(anxin.Invalid, "--timeout must be from 1ms to 10m.")
	}
	if c.compare != "" {
		u, err := url.Parse(c.compare)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return anxin.Errorf(anxin.Invalid, "--compare must be an http or https URL such as http://127.0.0.1:18090.")
		}
		if c.target == "claims" {
			return anxin.Errorf(anxin.Invalid, "--compare works with check and events (the floor serves no claims).")
		}
		if c.duration < 4*time.Second {
			return anxin.Errorf(anxin.Invalid, "--compare needs a --duration of at least 4s (four turns).")
		}
		c.compare = strings.TrimRight(c.compare, "/")
	}
	if c.pid < 0 || c.comparePid < 0 || (c.pid > 0 || c.comparePid > 0) && c.compare == "" {
		return anxin.Errorf(anxin.Invalid, "--pid and --compare-pid are process ids and go with --compare.")
	}
	if c.rate == 0 && c.clients == 0 {
		c.clients = 32
	}
	if c.target == "claims" && c.orders == 0 {
		c.orders = 20000
		if c.rate > 0 {
			c.orders = int(float64(c.rate)*(c.duration+c.warmup).Seconds()*1.1) + 100
		}
	}
	return nil
}

// loadResult is what one run measured.
type loadResult struct {
	Target     string         `json:"target"`
	Mode       string         `json:"mode"` // open or closed
	Rate       int            `json:"rate,omitempty"`
	Clients    int            `json:"clients,omitempty"`
	DurationS  float64        `json:"duration_s"`
	Requests   int            `json:"requests"`
	OK         int            `json:"ok"`
	Errors     map[string]int `json:"errors"` // by status code, or "transport"
	Items      int            `json:"items"`  // events or checks carried by the ok requests
	Throughput float64        `json:"throughput_per_s"`
	ItemsPerS  float64        `json:"items_per_s"`
	P50ms      float64        `json:"p50_ms"`
	P90ms      float64        `json:"p90_ms"`
	P99ms      float64        `json:"p99_ms"`
	P999ms     float64        `json:"p999_ms"`
	MaxMs      float64        `json:"max_ms"`
	Exhausted  bool           `json:"exhausted,omitempty"` // claims: the prepared orders ran out
}

func (r *loadResult) print(w io.Writer) {
	mode := fmt.Sprintf("%d clients (closed loop)", r.Clients)
	if r.Mode == "open" {
		mode = fmt.Sprintf("%d requests/s offered (open loop, latency from the scheduled send)", r.Rate)
	}
	fmt.Fprintf(w, "anxin bench %s: %.1f s, %s\n", r.Target, r.DurationS, mode)
	errs := make([]string, 0, len(r.Errors))
	total := 0
	for k, v := range r.Errors {
		errs = append(errs, fmt.Sprintf("%s: %d", k, v))
		total += v
	}
	sort.Strings(errs)
	fmt.Fprintf(w, "requests %d  ok %d  errors %d", r.Requests, r.OK, total)
	if len(errs) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(errs, ", "))
	}
	fmt.Fprintf(w, "\nthroughput %.1f requests/s", r.Throughput)
	if r.Items != r.OK {
		fmt.Fprintf(w, ", %.1f items/s", r.ItemsPerS)
	}
	fmt.Fprintf(w, "\nlatency p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms\n", r.P50ms, r.P90ms, r.P99ms, r.P999ms, r.MaxMs)
	if r.Exhausted {
		fmt.Fprintln(w, "note: the prepared orders ran out before the end; pass a larger --orders")
	}
}

// sample is one measured request.
type sample struct {
	latency time.Duration
	status  int // 0 for a transport error
	items   int
}

// bench prepares the target, runs it and summarises.
func bench(ctx context.Context, c benchConfig) (*loadResult, error) {
	client := &http.Client{Timeout: c.timeout, Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 90 * time.Second,
	}}
	defer client.CloseIdleConnections()
	gen, err := newBenchTarget(ctx, c, client)
	if err != nil {
		return nil, err
	}
	samples, elapsed, exhausted, err := runLoad(ctx, c, client, gen, 0)
	if err != nil {
		return nil, err
	}
	return summarise(c, samples, elapsed, exhausted), nil
}

// runLoad sends the load of c to c.addr, numbering requests from first,
// and returns the measured samples and the time from the first measured
// send to the last answer.
func runLoad(ctx context.Context, c benchConfig, client *http.Client, gen benchTarget, first int) ([]sample, time.Duration, bool, error) {
	var mu sync.Mutex
	var samples []sample
	start := time.Now()
	measureFrom := start.Add(c.warmup)
	end := measureFrom.Add(c.duration)
	send := func(i int, scheduled time.Time) bool {
		path, body, items, ok := gen.next(first + i)
		if !ok {
			return false
		}
		status := benchPost(ctx, client, c.addr+path, c.key, body)
		done := time.Now()
		if scheduled.Before(measureFrom) {
			return true
		}
		mu.Lock()
		samples = append(samples, sample{latency: done.Sub(scheduled), status: status, items: items})
		mu.Unlock()
		return true
	}
	exhausted := false
	var exOnce sync.Once
	stop := func() { exOnce.Do(func() { exhausted = true }) }
	var wg sync.WaitGroup
	if c.rate > 0 {
		// Open loop: request i is due at start + i/rate; at most 8192 are
		// in flight, and a request that waited for a slot still counts
		// its latency from when it was due.
		slots := make(chan struct{}, 8192)
		interval := time.Second / time.Duration(c.rate)
		n := int((c.warmup + c.duration) / interval)
	schedule:
		for i := 0; i < n && ctx.Err() == nil; i++ {
			due := start.Add(time.Duration(i) * interval)
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				break schedule
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				if !send(i, due) {
					stop()
				}
			}()
			if exhausted {
				break
			}
		}
	} else {
		var next int64
		var nmu sync.Mutex
		for range c.clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil && time.Now().Before(end) && !exhausted {
					nmu.Lock()
					i := int(next)
					next++
					nmu.Unlock()
					if !send(i, time.Now()) {
						stop()
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, 0, false, ctx.Err()
	}
	// From the first measured send to the last answer.
	return samples, time.Since(measureFrom), exhausted, nil
}

// summarise turns the samples into the result.
func summarise(c benchConfig, samples []sample, elapsed time.Duration, exhausted bool) *loadResult {
	r := &loadResult{Target: c.target, Mode: "closed", Clients: c.clients, DurationS: elapsed.Seconds(), Errors: map[string]int{}, Exhausted: exhausted}
	if c.rate > 0 {
		r.Mode, r.Rate, r.Clients = "open", c.rate, 0
	}
	lat := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		r.Requests++
		lat = append(lat, s.latency)
		switch {
		case s.status >= 200 && s.status < 300:
			r.OK++
			r.Items += s.items
		case s.status == 0:
			r.Errors["transport"]++
		default:
			r.Errors[strconv.Itoa(s.status)]++
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return float64(lat[max(i, 0)]) / float64(time.Millisecond)
	}
	r.P50ms, r.P90ms, r.P99ms, r.P999ms, r.MaxMs = pct(0.50), pct(0.90), pct(0.99), pct(0.999), pct(1)
	if secs := elapsed.Seconds(); secs > 0 {
		r.Throughput = float64(r.OK) / secs
		r.ItemsPerS = float64(r.Items) / secs
	}
	return r
}

// benchPost sends one request and returns its status (0 on a transport
// error); the body is read to the end so the connection is reused.
func benchPost(ctx context.Context, client *http.Client, u, key string, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
