package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
)

// privatePostgres is a PostgreSQL server of the test's own, in a temporary
// directory on a free loopback port, so the outage test can stop and start
// it without touching the shared server others use.
type privatePostgres struct {
	bin   string // the directory holding initdb, pg_ctl
	dir   string // owned by the server's OS user: data/, the socket, the log
	port  int
	asPG  bool // run the binaries as the postgres OS user (the test runs as root)
	DSN   string
	admin string // DSN of the postgres database, for CREATE DATABASE
}

// startPrivatePostgres initialises and starts a private server, or skips
// the test when the PostgreSQL server binaries are not installed. It stops
// the server and removes its directory when the test ends.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin to run a private server")
	}
	// The newest version: compare the version directories numerically.
	sort.Slice(bins, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(bins[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(bins[j]))))
		return vi < vj
	})
	pg := &privatePostgres{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "anxin-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the server runs as postgres.
		if _, err := exec.LookPath("runuser"); err != nil {
			t.Skip("runuser is not available to run PostgreSQL as the postgres user")
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("no postgres OS user to run a private PostgreSQL server")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.asPG = true
	}
	if out, err := pg.command("initdb", "-D", pg.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	t.Cleanup(func() {
		pg.command("pg_ctl", "-D", pg.data(), "stop", "-m", "immediate", "-w").Run()
	})
	if err := pg.start(); err != nil {
		t.Fatal(err)
	}
	pg.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
	pg.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/anxin?sslmode=disable", pg.port)
	db, err := sql.Open("pgx", pg.admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE anxin`); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return pg
}

func (pg *privatePostgres) data() string { return filepath.Join(pg.dir, "data") }

// command runs a server binary, as the postgres user when the test is root.
func (pg *privatePostgres) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if pg.asPG {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// start starts the server and waits until it accepts connections.
func (pg *privatePostgres) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c fsync=off -c listen_addresses=127.0.0.1 -c max_connections=200", pg.port, pg.dir)
	out, err := pg.command("pg_ctl", "-D", pg.data(), "-l", filepath.Join(pg.dir, "log"), "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return nil
}

// stop stops the server the hard way (every backend killed, crash recovery
// on the next start), as a crash or a failover would.
func (pg *privatePostgres) stop() error {
	out, err := pg.command("pg_ctl", "-D", pg.data(), "stop", "-m", "immediate", "-w").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// outageCall is one HTTP request made during the outage test.
type outageCall struct {
	replica string
	route   string
	start   time.Time
	took    time.Duration
	status  int    // 0 when the request failed without an answer
	code    string // error.code of a JSON error body
	err     error
}

// outageLoad sends HTTP traffic to the replicas while the test runs: event
// batches (each retried until some replica answers 200, so every batch ends
// up stored) and reads of orders already acknowledged.
type outageLoad struct {
	c      *cluster
	key    string
	client *http.Client

	mu      sync.Mutex
	calls   []outageCall
	batches int      // event batches started (every one is retried to success)
	stored  []string // orders acknowledged, for the reads
}

const outageBatch = 50

func (l *outageLoad) record(c outageCall) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

// do sends one request to replica r and records the answer.
func (l *outageLoad) do(r *replica, method, route, path string, body []byte) int {
	call := outageCall{replica: r.name, route: route, start: time.Now()}
	req, _ := http.NewRequest(method, "http://"+r.addr+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+l.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err == nil {
		call.status = resp.StatusCode
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			var eb struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if json.Unmarshal(b, &eb) == nil {
				call.code = eb.Error.Code
			}
			if call.code == "" {
				call.err = fmt.Errorf("no JSON error body: %.200s", b)
			}
		}
	} else {
		call.err = err
	}
	call.took = time.Since(call.start)
	l.record(call)
	return call.status
}

// writer posts event batches until stop is closed, then finishes the batch
// in hand.
func (l *outageLoad) writer(w int, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		l.mu.Lock()
		b := l.batches
		l.batches++
		l.mu.Unlock()
		var batch anxin.EventBatch
		var orders []string
		for i := b * outageBatch; i < (b+1)*outageBatch; i++ {
			var e anxin.Event
			json.Unmarshal(failoverOrder(l.c.run+"h", i), &e)
			batch.Events = append(batch.Events, &e)
			orders = append(orders, fmt.Sprintf("o_%sh_%07d", l.c.run, i))
		}
		body, _ := json.Marshal(batch)
		for try := 0; ; try++ {
			r := l.c.replicas[(b+try)%len(l.c.replicas)]
			if l.do(r, "POST", "POST /v1/events", "/v1/events", body) == http.StatusOK {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		l.mu.Lock()
		l.stored = append(l.stored, orders...)
		l.mu.Unlock()
		time.Sleep(time.Duration(20+w*7) * time.Millisecond)
	}
}

// reader reads acknowledged orders until stop is closed.
func (l *outageLoad) reader(stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		l.mu.Lock()
		var id string
		if len(l.stored) > 0 {
			id = l.stored[(i*7919)%len(l.stored)]
		}
		l.mu.Unlock()
		if id != "" {
			l.do(l.c.replicas[i%len(l.c.replicas)], "GET", "GET /v1/orders/{id}", "/v1/orders/"+id, nil)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// readyz returns the status of r's /readyz and how long it took.
func readyz(client *http.Client, r *replica) (int, time.Duration, error) {
	start := time.Now()
	resp, err := client.Get("http://" + r.addr + "/readyz")
	if err != nil {
		return 0, time.Since(start), err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

// TestFailoverDatabaseOutage restarts PostgreSQL (a private server of the
// test's own) while three replicas ingest order events from NATS and answer
// HTTP traffic. While the database is down every request must fail fast
// with 503 and the JSON error body, and /readyz must answer 503; once it is
// back the replicas must recover by themselves, and every event must be
// stored and applied exactly once, every job run once, the ledger balanced.
//
// It needs ANXIN_TEST_FAILOVER, NATS with JetStream (ANXIN_TEST_NATS) and
// the PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql;
// as root also runuser and a postgres OS user); the shared PostgreSQL server
// is not used. It publishes 60,000 order events (three tenths of
// ANXIN_TEST_FAILOVER_EVENTS when set) and stops the database for 5 s once
// a third are stored:
//
//	ANXIN_TEST_FAILOVER=1 go test -count=1 -run TestFailoverDatabaseOutage -v ./cmd/anxin/
func TestFailoverDatabaseOutage(t *testing.T) {
	if os.Getenv("ANXIN_TEST_FAILOVER") == "" {
		t.Skip("ANXIN_TEST_FAILOVER is not set")
	}
	natsURL := envOr("ANXIN_TEST_NATS", "nats://127.0.0.1:4222")
	pg := startPrivatePostgres(t)
	c := newClusterOn(t, natsURL, pg.DSN)
	n := failoverEvents(t, 200_000) * 3 / 10 // 60,000 by default
	const jobs = 500
	const downFor = 5 * time.Second
	const fast = 2 * time.Second
	ctx := context.Background()
	key, _, err := sqlstore.NewKeyService(c.db).CreateKey(ctx, "outage", anxin.RolePlatform)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c.start(i)
	}
	// Timers due over the whole run, so some fall due while the database is
	// down.
	c.scheduleJobs(ctx, jobs, 30*time.Second)
	nc, js := c.connect()
	defer nc.Close()

	// The client's own timeout is far above the bound asserted, so a hung
	// request shows as slow rather than as a client error.
	load := &outageLoad{c: c, key: key, client: &http.Client{Timeout: 30 * time.Second}}
	stopLoad := make(chan struct{})
	var loadWG sync.WaitGroup
	for w := range 2 {
		loadWG.Add(1)
		go func() { defer loadWG.Done(); load.writer(w, stopLoad) }()
	}
	loadWG.Add(1)
	go func() { defer loadWG.Done(); load.reader(stopLoad) }()
	stopped := false
	defer func() {
		if !stopped {
			close(stopLoad)
		}
	}()

	start := time.Now()
	pubErr := make(chan error, 1)
	go func() { pubErr <- c.publish(ctx, js, 0, n) }()
	c.waitEvents(ctx, n/3, 5*time.Minute)
	before := c.count(ctx, `SELECT COUNT(*) FROM events`)
	c.db.SQL.SetMaxIdleConns(0) // the test's own pool: no stale connections after the restart
	if err := pg.stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	t.Logf("stopped PostgreSQL (immediate) at %v with %d events stored", down.Sub(start).Round(time.Millisecond), before)

	// While the database is down: /readyz answers 503 on every replica,
	// fast. (The load's requests are checked below.)
	var readyDown []time.Duration
	for time.Since(down) < downFor {
		for _, r := range c.replicas {
			code, took, err := readyz(load.client, r)
			if err != nil || code != http.StatusServiceUnavailable || took > fast {
				t.Errorf("%s /readyz with the database down = %d in %v (%v); want 503 within %v", r.name, code, took, err, fast)
			}
			readyDown = append(readyDown, took)
		}
		time.Sleep(200 * time.Millisecond)
	}
	upAt := time.Now()
	if err := pg.start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	t.Logf("PostgreSQL was down for %v; its restart (crash recovery) took %v", upAt.Sub(down).Round(time.Millisecond), up.Sub(upAt).Round(time.Millisecond))

	// The replicas recover by themselves: /readyz 200 on every one.
	var recovered time.Duration
	for _, r := range c.replicas {
		for {
			code, _, _ := readyz(load.client, r)
			if code == http.StatusOK {
				break
			}
			if time.Since(up) > time.Minute {
				t.Fatalf("%s /readyz not 200 a minute after PostgreSQL came back", r.name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		recovered = max(recovered, time.Since(up))
	}
	c.db.SQL.SetMaxIdleConns(2)
	t.Logf("every replica ready again %v after PostgreSQL accepted connections (%v after it was started)",
		recovered.Round(time.Millisecond), (recovered + up.Sub(upAt)).Round(time.Millisecond))

	// Ingestion resumes: keep the HTTP load going a little, then stop it and
	// let the stream drain.
	time.Sleep(3 * time.Second)
	close(stopLoad)
	stopped = true
	loadWG.Wait()
	if err := <-pubErr; err != nil {
		t.Fatalf("publish: %v", err)
	}
	total := n + load.batches*outageBatch
	c.waitStored(ctx, js, total, 5*time.Minute)
	t.Logf("%d events (%d from NATS, %d over HTTP in %d batches) stored in %v", total, n, total-n, load.batches, time.Since(start).Round(time.Millisecond))

	// Requests during the outage: 503 with the JSON error body, fast.
	// Around it: 200 or 503, never a 500 or a hang.
	var inOutage, firstOK []time.Duration
	var slowest time.Duration
	okAfter := map[string]time.Duration{}
	for _, call := range load.calls {
		during := call.start.After(down) && call.start.Before(upAt)
		if during {
			inOutage = append(inOutage, call.took)
			slowest = max(slowest, call.took)
			if call.status != http.StatusServiceUnavailable || call.code != "unavailable" || call.took > fast {
				t.Errorf("%s %s during the outage: status %d code %q in %v (%v); want 503 unavailable within %v",
					call.replica, call.route, call.status, call.code, call.took.Round(time.Millisecond), call.err, fast)
			}
			continue
		}
		if call.status != http.StatusOK && (call.status != http.StatusServiceUnavailable || call.code != "unavailable") {
			t.Errorf("%s %s at %v from the stop: status %d code %q in %v (%v); want 200 or 503 unavailable",
				call.replica, call.route, call.start.Sub(down).Round(time.Millisecond), call.status, call.code, call.took.Round(time.Millisecond), call.err)
		}
		if call.status == http.StatusOK && call.start.After(up) {
			if _, ok := okAfter[call.replica]; !ok {
				okAfter[call.replica] = call.start.Add(call.took).Sub(up)
			}
		}
	}
	for _, d := range okAfter {
		firstOK = append(firstOK, d)
	}
	if len(inOutage) == 0 {
		t.Error("no HTTP request was made while the database was down")
	}
	for _, r := range c.replicas {
		if _, ok := okAfter[r.name]; !ok {
			t.Errorf("%s answered no request with 200 after PostgreSQL came back", r.name)
		}
	}
	t.Logf("during the outage: %d requests, all 503 (median %v, slowest %v); /readyz %d probes (median %v, slowest %v); first 200 per replica after the restart: %v",
		len(inOutage), median(inOutage), slowest.Round(time.Millisecond), len(readyDown), median(readyDown), slowestOf(readyDown), roundAll(firstOK))

	// The outage reached the stream consumers: they put back the batches
	// they could not store.
	retried := 0
	for _, r := range c.replicas {
		retried += metricSum(t, r, `anxin_stream_messages_total{outcome="retry"`)
	}
	if retried == 0 {
		t.Error("no stream message was put back for retry: the outage missed the consumers")
	}
	t.Logf("stream messages put back for retry during the outage: %d", retried)

	// Nothing lost, doubled or half-written.
	c.waitJobs(ctx, time.Minute)
	c.assertOnce(ctx, total, total, jobs)
	if got := c.count(ctx, `SELECT COUNT(*) FROM orders WHERE id LIKE 'o\_`+c.run+`h\_%'`); got != load.batches*outageBatch {
		t.Errorf("orders from HTTP batches = %d; want %d", got, load.batches*outageBatch)
	}
	out, err := exec.Command(c.bin, "ledger", "verify", "--db", pg.DSN).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Errorf("anxin ledger verify: %v\n%s", err, out)
	}
	for _, r := range c.replicas {
		select {
		case <-r.done:
			t.Errorf("%s exited during the outage:\n%s", r.name, r.logs())
		default:
		}
	}
}

// metricSum sums the samples on r's /metrics whose line starts with prefix.
func metricSum(t *testing.T, r *replica, prefix string) int {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		t.Fatalf("%s /metrics: %v", r.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Millisecond)
}

func slowestOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m.Round(time.Millisecond)
}

func roundAll(ds []time.Duration) []time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	for i := range ds {
		ds[i] = ds[i].Round(time.Millisecond)
	}
	return ds
}
