package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The failover tests run the real binary as three `anxin serve` processes
// on one PostgreSQL schema, consuming one NATS JetStream stream. They need
// ANXIN_TEST_FAILOVER, ANXIN_TEST_POSTGRES and a NATS server with JetStream
// (ANXIN_TEST_NATS, default nats://127.0.0.1:4222), and are skipped
// otherwise; CI runs them alone after the main suite:
//
//	ANXIN_TEST_FAILOVER=1 go test -count=1 -run 'Failover|Scale' -timeout 30m -v ./cmd/anxin/
//
// TestFailover publishes 200,000 order events with 20,000 listing checks
// alongside (TestFailoverBrokerOutage half as many events). On the 2-core
// development machine, otherwise quiet, the whole TestFailover took about
// 2.5 minutes: the checks, at 250/s, take most of the CPU the three replicas
// share with PostgreSQL. ANXIN_TEST_FAILOVER_EVENTS sets another number.

// failoverEnv returns the NATS URL and a fresh PostgreSQL schema DSN, or
// skips the test.
func failoverEnv(t *testing.T) (natsURL, dsn string) {
	t.Helper()
	if os.Getenv("ANXIN_TEST_FAILOVER") == "" {
		t.Skip("ANXIN_TEST_FAILOVER is not set")
	}
	if os.Getenv("ANXIN_TEST_POSTGRES") == "" {
		t.Fatal("ANXIN_TEST_FAILOVER needs ANXIN_TEST_POSTGRES")
	}
	natsURL = envOr("ANXIN_TEST_NATS", "nats://127.0.0.1:4222")
	return natsURL, sqltest.PostgresDSN(t)
}

func failoverEvents(t *testing.T, def int) int {
	if s := os.Getenv("ANXIN_TEST_FAILOVER_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("ANXIN_TEST_FAILOVER_EVENTS = %q", s)
		}
		return n
	}
	return def
}

// buildAnxin compiles the binary under test into a temporary directory.
func buildAnxin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "anxin")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// failoverKEK is the vault key every replica of a test run shares.
var failoverKEK = func() string {
	var k [32]byte
	rand.Read(k[:])
	return base64.StdEncoding.EncodeToString(k[:])
}()

// replica is one `anxin serve` subprocess.
type replica struct {
	name string
	cmd  *exec.Cmd
	addr string
	done chan struct{}

	mu   sync.Mutex
	tail []string // last log lines, printed when the test fails
}

func (r *replica) logLine(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tail = append(r.tail, s)
	if len(r.tail) > 40 {
		r.tail = r.tail[len(r.tail)-40:]
	}
}

func (r *replica) logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.tail, "\n")
}

// startReplica starts `anxin serve` on a random loopback port and waits until
// it serves and answers /readyz with 200.
func startReplica(t *testing.T, name, bin string, args ...string) *replica {
	t.Helper()
	r := &replica{name: name, done: make(chan struct{})}
	r.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--insecure-cookies"}, args...)...)
	// Every replica shares one vault key, as in production; the working
	// directory is the replica's own, so nothing is written to the source tree.
	r.cmd.Env = append(os.Environ(), "ANXIN_DECISIONS_SUBJECT=", "ANXIN_VAULT_KEK="+failoverKEK)
	r.cmd.Dir = t.TempDir()
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			r.logLine(line)
			if _, a, ok := strings.Cut(line, "serving on http://"); ok {
				a, _, _ = strings.Cut(a, " ")
				select {
				case addr <- a:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { r.cmd.Wait(); close(r.done) }()
	select {
	case r.addr = <-addr:
	case <-r.done:
		t.Fatalf("%s exited before serving:\n%s", name, r.logs())
	case <-time.After(60 * time.Second):
		r.kill()
		t.Fatalf("%s did not start serving:\n%s", name, r.logs())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + r.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			r.kill()
			t.Fatalf("%s never became ready (last: %v):\n%s", name, err, r.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (r *replica) kill() {
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// stop sends SIGTERM, waits for the drain and falls back to SIGKILL.
func (r *replica) stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(45 * time.Second):
		r.kill()
	}
}

// failoverOrder is an order.created event with a unique id and order.
func failoverOrder(run string, i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": fmt.Sprintf("fo_%s_%07d", run, i), "type": "order.created", "occurred_at": "2026-03-01T10:00:00Z",
		"data": map[string]any{"id": fmt.Sprintf("o_%s_%07d", run, i), "merchant_id": fmt.Sprintf("m%d", i%97), "buyer_id": fmt.Sprintf("b%d", i%5003),
			"items": []any{map[string]any{"listing_id": fmt.Sprintf("l%d", i%1009), "quantity": 1 + i%3, "unit_price_fen": 990 + i%5000}}},
	})
	return b
}

// cluster is the shared fixture: a built binary, a migrated schema, a
// JetStream stream of its own and a store handle for the assertions.
type cluster struct {
	t       *testing.T
	bin     string
	dsn     string
	natsURL string
	run     string // unique suffix for subject, stream and ids
	subject string
	stream  string
	db      *sqlstore.DB

	mu       sync.Mutex // guards replicas, which the check driver reads
	replicas []*replica
}

func newCluster(t *testing.T) *cluster {
	natsURL, dsn := failoverEnv(t)
	return newClusterOn(t, natsURL, dsn)
}

// newClusterOn is newCluster on the PostgreSQL database dsn.
func newClusterOn(t *testing.T, natsURL, dsn string) *cluster {
	var b [4]byte
	rand.Read(b[:])
	run := hex.EncodeToString(b[:])
	c := &cluster{t: t, natsURL: natsURL, dsn: dsn, run: run,
		subject: "anxin.failover." + run + ".events", stream: "ANXIN_FAILOVER_" + strings.ToUpper(run)}
	c.bin = buildAnxin(t)
	if out, err := exec.Command(c.bin, "migrate", "--db", dsn).CombinedOutput(); err != nil {
		t.Fatalf("anxin migrate: %v\n%s", err, out)
	}
	db, err := sqlstore.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.db = db
	t.Cleanup(func() { db.Close() })

	// Create the stream as Anxin would, so publishing can begin before the
	// replicas are up; Anxin uses an existing stream as it is.
	nc, js := c.connect()
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: c.stream, Subjects: []string{c.subject, c.subject + ".dlq"},
		Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute}); err != nil {
		t.Fatalf("create stream: %v", err)
	}
	// Cleanups run last-in first-out: replicas stop (registered later)
	// before the stream and the schema go.
	t.Cleanup(func() {
		nc, js := c.connect()
		defer nc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		js.DeleteStream(ctx, c.stream)
	})
	t.Cleanup(func() {
		for _, r := range c.replicas {
			r.stop()
		}
		if t.Failed() {
			for _, r := range c.replicas {
				t.Logf("%s log tail:\n%s", r.name, r.logs())
			}
		}
	})
	return c
}

func (c *cluster) connect() (*nats.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := nats.Connect(c.natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		c.t.Fatalf("connect NATS: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	return nc, js
}

// start starts replica i (replacing a dead one at the same index).
func (c *cluster) start(i int) {
	r := startReplica(c.t, fmt.Sprintf("replica-%d", i+1), c.bin, "--db", c.dsn,
		"--events", c.natsURL, "--events-subject", c.subject, "--events-stream", c.stream)
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < len(c.replicas) {
		c.replicas[i] = r
	} else {
		c.replicas = append(c.replicas, r)
	}
}

// publish publishes order.created events [from, to) (failoverOrder).
func (c *cluster) publish(ctx context.Context, js jetstream.JetStream, from, to int) error {
	msgs := make([][]byte, 0, to-from)
	for i := from; i < to; i++ {
		msgs = append(msgs, failoverOrder(c.run, i))
	}
	return c.publishAll(ctx, js, msgs)
}

// publishAll publishes msgs and returns once the broker has stored every
// one. A failed publish (the broker is away) is retried until it succeeds,
// so the stream may hold a message twice but never misses one.
func (c *cluster) publishAll(ctx context.Context, js jetstream.JetStream, msgs [][]byte) error {
	const chunk = 2000
	for lo := 0; lo < len(msgs); lo += chunk {
		hi := min(lo+chunk, len(msgs))
		pending := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			pending = append(pending, i)
		}
		for len(pending) > 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			futures := make(map[int]jetstream.PubAckFuture, len(pending))
			var failed []int
			for _, i := range pending {
				f, err := js.PublishAsync(c.subject, msgs[i])
				if err != nil {
					failed = append(failed, i)
					continue
				}
				futures[i] = f
			}
			timeout := time.After(10 * time.Second)
			for i, f := range futures {
				select {
				case <-f.Ok():
				case <-f.Err():
					failed = append(failed, i)
				case <-timeout:
					failed = append(failed, i)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			pending = failed
			if len(pending) > 0 {
				time.Sleep(250 * time.Millisecond)
			}
		}
	}
	return nil
}

func (c *cluster) count(ctx context.Context, q string) int {
	c.t.Helper()
	var n int
	if err := c.db.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// lag returns the durable consumer's pending plus unacknowledged messages.
func (c *cluster) lag(ctx context.Context, js jetstream.JetStream) (int, error) {
	cons, err := js.Consumer(ctx, c.stream, "anxin")
	if err != nil {
		return 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	return int(info.NumPending) + info.NumAckPending, nil
}

// waitStored waits until the events table holds n rows and the consumer lag
// is zero, and returns when the last event was stored.
func (c *cluster) waitStored(ctx context.Context, js jetstream.JetStream, n int, timeout time.Duration) time.Time {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var stored time.Time
	for {
		got := c.count(ctx, `SELECT COUNT(*) FROM events`)
		if got == n && stored.IsZero() {
			stored = time.Now()
		}
		if got > n {
			c.t.Fatalf("events = %d; want %d (stored twice?)", got, n)
		}
		lag, err := c.lag(ctx, js)
		if got == n && err == nil && lag == 0 {
			return stored
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("after %v: events = %d of %d, consumer lag = %d (%v)", timeout, got, n, lag, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitEvents waits until the events table holds at least n rows.
func (c *cluster) waitEvents(ctx context.Context, n int, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for c.count(ctx, `SELECT COUNT(*) FROM events`) < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("%d events were not stored within %v", n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitJobs waits until no sanction-end job is pending.
func (c *cluster) waitJobs(ctx context.Context, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for c.count(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'governance.sanction_end' AND job_key LIKE 'enf_failover_%' AND state = 'pending'`) > 0 {
		if time.Now().After(deadline) {
			c.t.Fatalf("jobs still pending after %v: %s", timeout, c.jobStates(ctx))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// jobStates summarises the jobs table for a failure message.
func (c *cluster) jobStates(ctx context.Context) string {
	rows, err := c.db.SQL.QueryContext(ctx, `SELECT kind, state, attempts, MIN(last_error), COUNT(*) FROM jobs GROUP BY kind, state, attempts ORDER BY kind, state, attempts`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind, state, lastErr string
		var attempts, n int
		rows.Scan(&kind, &state, &attempts, &lastErr, &n)
		fmt.Fprintf(&b, "\n  %s %s attempts=%d: %d (%.200s)", kind, state, attempts, n, lastErr)
	}
	return b.String()
}

// assertOnce checks that every published event is stored exactly once and
// applied to the mirror once (orders rows), that every sanction-end timer
// ran once and that no job of any kind ran twice or is left undone.
func (c *cluster) assertOnce(ctx context.Context, events, orders, jobs int) {
	c.t.Helper()
	if got := c.count(ctx, `SELECT COUNT(*) FROM events`); got != events {
		c.t.Errorf("events = %d; want %d", got, events)
	}
	if got := c.count(ctx, `SELECT COUNT(DISTINCT id) FROM events`); got != events {
		c.t.Errorf("distinct event ids = %d; want %d", got, events)
	}
	if got := c.count(ctx, `SELECT COUNT(*) FROM orders`); got != orders {
		c.t.Errorf("orders = %d; want %d (each order.created applied once)", got, orders)
	}
	overdue := time.Now().Add(-10 * time.Second).UnixMilli()
	if got := c.count(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM jobs WHERE (state = 'done' AND attempts <> 1) OR (state <> 'done' AND run_at < %d)`, overdue)); got != 0 {
		c.t.Errorf("%d jobs ran more than once or are overdue", got)
	}
	if jobs == 0 {
		return
	}
	if got := c.count(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'governance.sanction_end' AND job_key LIKE 'enf_failover_%' AND state = 'done' AND attempts = 1`); got != jobs {
		c.t.Errorf("jobs done exactly once = %d; want %d", got, jobs)
	}
	if got := c.count(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'governance.sanction_end' AND job_key LIKE 'enf_failover_%' AND (state <> 'done' OR attempts <> 1)`); got != 0 {
		c.t.Errorf("%d jobs not done exactly once", got)
	}
	rows, err := c.db.SQL.QueryContext(ctx, `SELECT done_by, COUNT(*) FROM jobs WHERE kind = 'governance.sanction_end' AND job_key LIKE 'enf_failover_%' GROUP BY done_by ORDER BY done_by`)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	var by []string
	for rows.Next() {
		var w string
		var n int
		rows.Scan(&w, &n)
		by = append(by, fmt.Sprintf("%s=%d", w, n))
	}
	c.t.Logf("jobs by worker: %s", strings.Join(by, " "))
}

// scheduleJobs inserts n sanction-end timers due over the next spread, each
// for an enforcement that does not exist (the handler then finishes without
// effects), so the test sees only whether each ran once.
func (c *cluster) scheduleJobs(ctx context.Context, n int, spread time.Duration) {
	c.t.Helper()
	err := c.db.Transact(ctx, func(tx *sqlstore.Tx) error {
		for i := range n {
			at := tx.Now.Add(time.Duration(i) * spread / time.Duration(n))
			key := fmt.Sprintf("enf_failover_%s_%05d", c.run, i)
			if err := sqlstore.Schedule(ctx, tx, sqlstore.JobSanctionEnd, key, at, map[string]string{"enforcement_id": key}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

// checkRate is the listing checks per second TestFailover sends across the
// replicas while they ingest: about what three replicas sharing two cores
// with PostgreSQL and NATS answer without queueing.
const checkRate = 250

// TestFailover runs three replicas under load and kills one: it publishes
// n order events (200,000 unless ANXIN_TEST_FAILOVER_EVENTS says otherwise)
// with the paid events of n/100 late and n/100 on-time orders mixed in,
// while n/10 listing checks go to the replicas round robin; it SIGKILLs
// replica 2 once half the events are stored and restarts it. Then every
// event is stored exactly once, every late order is compensated exactly
// once and no on-time order is, every job ran once, `anxin ledger verify`
// passes and the consumer lag is zero. Messages the killed replica had
// fetched but not acknowledged come back only after the consumer's AckWait,
// so the end-to-end time includes that wait; the held rate is also given up
// to the kill.
func TestFailover(t *testing.T) {
	c := newCluster(t)
	n := failoverEvents(t, 200_000)
	checks := n / 10
	late := newLateShipment(c.run, max(1, n/100))
	const jobs = 2000
	ctx := context.Background()
	c.scheduleJobs(ctx, jobs, 20*time.Second)
	for i := range 3 {
		c.start(i)
	}
	key := c.createKey("platform")
	nc, js := c.connect()
	defer nc.Close()

	// The late and on-time orders exist (and the on-time ones are picked
	// up) before the load; their paid events come during it.
	setup := late.setup()
	if err := c.publishAll(ctx, js, setup); err != nil {
		t.Fatal(err)
	}
	c.waitStored(ctx, js, len(setup), 2*time.Minute)
	bulk := make([][]byte, n)
	for i := range n {
		bulk[i] = failoverOrder(c.run, i)
	}
	msgs := interleave(bulk, late.paid())
	total := len(setup) + len(msgs)

	start := time.Now()
	busy0 := cpuBusy()
	pubErr := make(chan error, 1)
	go func() { pubErr <- c.publishAll(ctx, js, msgs) }()
	checkDone := make(chan *checkLoad, 1)
	go func() { checkDone <- c.runChecks(ctx, key, checks, checkRate) }()

	// Kill replica 2 once half the events are stored, then restart it.
	for c.count(ctx, `SELECT COUNT(*) FROM events`) < len(setup)+len(msgs)/2 {
		select {
		case err := <-pubErr:
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			pubErr <- nil
		default:
		}
		if time.Since(start) > 10*time.Minute {
			t.Fatal("half the events were not stored within 10 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	half := time.Since(start)
	halfBusy := cpuBusy() - busy0
	c.replicas[1].kill()
	t.Logf("SIGKILLed replica-2 at %v with %d events stored", half.Round(time.Millisecond), c.count(ctx, `SELECT COUNT(*) FROM events`))
	time.Sleep(time.Second)
	c.start(1)
	t.Logf("restarted replica-2 at %v", time.Since(start).Round(time.Millisecond))

	if err := <-pubErr; err != nil {
		t.Fatalf("publish: %v", err)
	}
	published := time.Since(start)
	stored := c.waitStored(ctx, js, total, 5*time.Minute)
	took := stored.Sub(start)
	cl := <-checkDone
	c.waitJobs(ctx, time.Minute)
	c.waitLateShipments(ctx, late, time.Minute)
	c.assertOnce(ctx, total, n+2*late.n, jobs)
	c.assertLateShipments(ctx, late)
	c.ledgerVerify()

	if len(cl.failures) > 0 {
		t.Errorf("%d of %d listing checks failed; first: %s", len(cl.failures), checks, cl.failures[0])
	}
	if got := c.count(ctx, `SELECT COUNT(*) FROM gov_decisions WHERE subject_type = 'listing'`); got < checks {
		t.Errorf("listing decisions stored = %d; want at least %d", got, checks)
	}
	p50, p99, during := cl.percentiles(start, stored)
	a50, a99, all := cl.percentiles(time.Time{}, time.Time{})
	t.Logf("%d events (%d order.created, %d paid of which %d late) over 3 replicas: published in %v (%.0f events/s); all stored once in %v: %.0f events/s end to end including the failover; %.0f events/s up to the kill (%.0f events per busy CPU-second on this %d-core machine)",
		len(msgs), n, 2*late.n, late.n, published.Round(time.Millisecond), float64(len(msgs))/published.Seconds(), took.Round(time.Millisecond),
		float64(len(msgs))/took.Seconds(), float64(len(msgs)/2)/half.Seconds(), float64(len(msgs)/2)/halfBusy.Seconds(), numCPU())
	t.Logf("%d listing checks at %d/s round robin, %d resent after a refused connection: p50 %s p99 %s over the %d sent while events were being ingested; p50 %s p99 %s over all %d",
		checks, checkRate, cl.retried.Load(), ms(p50), ms(p99), during, ms(a50), ms(a99), all)
}

// waitLateShipments waits until every late-shipment timer has run.
func (c *cluster) waitLateShipments(ctx context.Context, l *lateShipment, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		due := c.count(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'protection.late_shipment'`)
		open := c.count(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'protection.late_shipment' AND state <> 'done'`)
		if due == 2*l.n && open == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("late-shipment timers: %d scheduled (want %d), %d not done after %v: %s", due, 2*l.n, open, timeout, c.jobStates(ctx))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// assertLateShipments checks that each late order got exactly one
// late-shipment claim and payout, and no on-time order got any.
func (c *cluster) assertLateShipments(ctx context.Context, l *lateShipment) {
	c.t.Helper()
	lateLike := "'late_" + c.run + "_%'"
	onLike := "'ontime_" + c.run + "_%'"
	for _, q := range []struct {
		sql  string
		want int
	}{
		{`SELECT COUNT(*) FROM claims WHERE programme_id = 'late_shipment' AND order_id LIKE ` + lateLike, l.n},
		{`SELECT COUNT(DISTINCT order_id) FROM claims WHERE programme_id = 'late_shipment' AND order_id LIKE ` + lateLike, l.n},
		{`SELECT COUNT(*) FROM payouts WHERE programme_id = 'late_shipment' AND order_id LIKE ` + lateLike, l.n},
		{`SELECT COUNT(DISTINCT order_id) FROM payouts WHERE programme_id = 'late_shipment' AND order_id LIKE ` + lateLike, l.n},
		{`SELECT COUNT(*) FROM claims WHERE order_id LIKE ` + onLike, 0},
		{`SELECT COUNT(*) FROM order_coverage WHERE programme_id = 'late_shipment' AND (order_id LIKE ` + lateLike + ` OR order_id LIKE ` + onLike + `)`, 2 * l.n},
	} {
		if got := c.count(ctx, q.sql); got != q.want {
			c.t.Errorf("%s = %d; want %d", q.sql, got, q.want)
		}
	}
	var paid int64
	if err := c.db.SQL.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE programme_id = 'late_shipment'`).Scan(&paid); err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("late-shipment: %d late orders compensated once each (%d fen in all), %d on-time orders not at all", l.n, paid, l.n)
}

// TestFailoverBrokerOutage stops the NATS server for a few seconds while
// three replicas ingest, then starts it again: the replicas report the
// broker down on /readyz, reconnect by themselves, and every event is
// stored exactly once. It stops the machine's NATS server, so it runs only
// with ANXIN_TEST_FAILOVER, alone.
func TestFailoverBrokerOutage(t *testing.T) {
	c := newCluster(t)
	if _, err := exec.LookPath("start-stop-daemon"); err != nil {
		t.Skip("start-stop-daemon is not available to stop and start NATS")
	}
	if _, err := os.Stat(natsServer); err != nil {
		t.Skipf("%s is not installed", natsServer)
	}
	n := failoverEvents(t, 200_000) / 2
	ctx := context.Background()
	for i := range 3 {
		c.start(i)
	}
	// Whatever happens, NATS is running again when the test ends.
	t.Cleanup(func() { startNATS(t) })
	nc, js := c.connect()
	defer nc.Close()

	pubErr := make(chan error, 1)
	go func() { pubErr <- c.publish(ctx, js, 0, n) }()
	c.waitEvents(ctx, n/3, 5*time.Minute)
	before := c.count(ctx, `SELECT COUNT(*) FROM events`)
	if out, err := exec.Command("start-stop-daemon", "--stop", "--retry", "10", "--exec", natsServer).CombinedOutput(); err != nil {
		t.Fatalf("stop NATS: %v\n%s", err, out)
	}
	down := time.Now()
	t.Logf("stopped NATS with %d events stored", before)

	// While the broker is away each replica says so on /readyz.
	notReady := false
	for !notReady && time.Since(down) < 4*time.Second {
		resp, err := http.Get("http://" + c.replicas[0].addr + "/readyz")
		if err == nil {
			notReady = resp.StatusCode == http.StatusServiceUnavailable
			resp.Body.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !notReady {
		t.Error("/readyz did not report the broker outage")
	}
	time.Sleep(time.Until(down.Add(4 * time.Second)))
	startNATS(t)
	t.Logf("started NATS again after %v", time.Since(down).Round(time.Millisecond))

	if err := <-pubErr; err != nil {
		t.Fatalf("publish: %v", err)
	}
	c.waitStored(ctx, js, n, 5*time.Minute)
	c.assertOnce(ctx, n, n, 0)
	for _, r := range c.replicas {
		resp, err := http.Get("http://" + r.addr + "/readyz")
		if err != nil {
			t.Fatalf("%s /readyz: %v", r.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s /readyz = %d after the broker came back", r.name, resp.StatusCode)
		}
	}
}

// natsServer is the NATS server binary the outage test stops and starts.
const natsServer = "/usr/sbin/nats-server"

// startNATS starts the machine's NATS server with JetStream (a no-op when it
// runs) and waits until it accepts connections.
func startNATS(t *testing.T) {
	out, err := exec.Command("start-stop-daemon", "--start", "--oknodo", "--background", "--exec", natsServer, "--",
		"-a", "127.0.0.1", "-p", "4222", "-js", "-sd", "/var/lib/nats-server", "-l", "/var/log/nats-server.log").CombinedOutput()
	if err != nil {
		t.Errorf("start NATS: %v\n%s", err, out)
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(envOr("ANXIN_TEST_NATS", "nats://127.0.0.1:4222"), nats.Timeout(time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Error("NATS did not come back within 30 s")
}
