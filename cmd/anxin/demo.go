package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"anxin"
	"anxin/report"
	"anxin/sim"
	"anxin/sqlstore"
)

// The demo builds a synthetic marketplace (package sim), starts the real
// server on a fresh SQLite database, and feeds the marketplace through the
// real HTTP API with a platform key, as a marketplace would.
//
// Time. The simulated period lies wherever its start puts it, so the server
// runs on a demoClock that follows the simulated time. Entities dated before
// the period are upserted with the clock at the period's start. Then the
// period is played in windows of feedWindow (four simulated hours): the
// clock is set to the window's end, the entities dated in the window are
// upserted, its events are posted (in batches of at most 5,000), and every
// job due by then runs (JobRunner.RunDue). So events always arrive after they
// happen, and a timer runs at most one window after its due time, after the
// events of its window: handlers must decide by event timestamps (a pickup
// scan's occurred_at against the promised ship time), not by arrival order.
// Shorter windows would place timers more exactly but cost one round of
// requests and commits each; four hours keep the small demo to a few
// hundred requests.
// Between two settings the clock runs on at wall-clock speed, so rate
// limits and sessions behave as in production. The background workers (job
// runner, webhook sender) are off while the demo feeds and runs the steps,
// so that only the demo moves timers; they start when it serves the console.
//
// Before the period is fed, each capability's demo step runs (demoSteps)
// and queues its timed actions (env.at; see demo_schedule.go), which the
// feed runs as the simulated clock passes them: every capability's activity
// happens inside the period. After the feed each step's after function, if
// any, prints its summary and checks its outcome. The report is printed for
// exactly the simulated days, the first to the last, both included.

// demoStep is one capability's part of the demo. Capabilities register their
// steps in their own files (demo_<capability>.go):
//
//	func init() { demoSteps = append(demoSteps, demoStep{"governance", governanceDemo}) }
//
// Steps run in the order of registration (file-name order), before the
// simulated period is fed: run sets up and queues timed actions; after (may
// be nil) runs once the period has been fed. An error, from either or from
// a timed action, stops the demo.
type demoStep struct {
	name  string
	run   func(ctx context.Context, env *demoEnv) error
	after func(ctx context.Context, env *demoEnv) error
}

// demoSteps are the capabilities' demo steps.
var demoSteps []demoStep

// demoEnv is what a demo step gets: the running Main, the World with its
// ground truth, the clock, an API client with the platform and operator keys,
// and the progress writer. A step queues timed actions that call the API as
// a marketplace or an operator would:
//
//	env.at(env.settled(l.UpdatedAt), func(ctx context.Context) error {
//		var d decision
//		return env.post(ctx, env.Platform, "/v1/listings:check", l, &d)
//	})
//	k, err := env.key(ctx, anxin.Role("merchant:"+id))   // act as a merchant
//
// and its after function prints one progress line.
//
// Errors from the API come back as *anxin.Error with the server's kind.
type demoEnv struct {
	Main     *Main
	World    *sim.World
	Clock    *demoClock
	Platform string // API key with role platform (the marketplace)
	Operator string // API key with role operator
	BaseURL  string // http://host:port of the running server
	Out      io.Writer

	client  *http.Client
	queue   actionQueue // timed actions, earliest first
	seq     int         // actions queued so far
	jobsAt  time.Time   // when the timers last ran from runActions
	jobsRan int         // timers run from runActions
	actions int         // timed actions run
	loop    *marketLoop // the marketplace's webhook receiver (demo_loop.go)
	stepState
}

// demoClock is the demo's clock: set forward by the feeder, and running at
// wall-clock speed from the last setting. It never goes backwards. Safe for
// concurrent use.
type demoClock struct {
	mu   sync.Mutex
	base time.Time // the simulated time last set
	wall time.Time // the wall time it was set at
}

func newDemoClock(t time.Time) *demoClock { return &demoClock{base: t.UTC(), wall: time.Now()} }

// Now returns the simulated time.
func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.wall)).UTC()
}

// Set moves the clock to t; a t before Now is ignored.
func (c *demoClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.base.Add(time.Since(c.wall)); t.After(now) {
		c.base, c.wall = t.UTC(), time.Now()
	}
}

// feedWindow is the simulated time fed per round; see the comment at the
// top of the file.
const feedWindow = 4 * time.Hour

// demoMarker is the file that marks a data dir as the demo's, so --clear
// never deletes another database.
const demoMarker = "anxin-demo.json"

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", "demo [--scale small|medium|large] [--seed N] [--days N] [--data DIR] [--clear] [--addr HOST:PORT] [--no-serve]", `
Build a synthetic marketplace (deterministic for a seed), start the server on
a fresh SQLite database in DIR, feed the marketplace through the real API
with a platform key while the server's clock follows the simulated time, run
every capability's demo step, and print the consumer-protection report.
Then serve the console until interrupted (sign in with the operator key it
prints), unless --no-serve. DIR must not hold an earlier demo; --clear
replaces one (and only a demo). Scales: small (200 merchants, 2,000
listings, 10,000 orders), medium (x10), large (x100).`)
	scale := fs.String("scale", sim.Small, "`size` of the marketplace: small, medium or large")
	seed := fs.Int64("seed", 1, "random `seed`; the same seed gives the same marketplace")
	days := fs.Int("days", sim.DefaultDays, "length of the simulated period in `days`")
	data := fs.String("data", envOr("ANXIN_DATA", "anxin-data"), "data `dir` for the demo's database, the same default as every other command (env ANXIN_DATA)")
	clear := fs.Bool("clear", false, "replace an earlier demo in the data dir")
	addr := fs.String("addr", envOr("ANXIN_ADDR", "127.0.0.1:8080"), "listen `address` for the console (env ANXIN_ADDR)")
	noServe := fs.Bool("no-serve", false, "exit after printing the report instead of serving the console")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := sim.Config{Seed: *seed, Scale: *scale, Days: *days}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *days < 1 {
		return anxin.Errorf(anxin.Invalid, "days must be between 1 and 3660.")
	}
	if *noServe {
		*addr = "127.0.0.1:0"
	} else if ln, err := net.Listen("tcp", *addr); err != nil {
		// Fail before building anything when the console cannot be served.
		return anxin.Errorf(anxin.Unavailable, "cannot listen on %s: choose another --addr or pass --no-serve.", *addr)
	} else {
		ln.Close()
	}
	if err := prepareDemoDir(*data, *clear); err != nil {
		return err
	}
	err := demo(ctx, cfg, *data, *addr, *noServe, os.Stdout)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "anxin demo: interrupted")
		return nil
	}
	return err
}

// prepareDemoDir makes sure dir holds no database, removing an earlier demo's
// files when clear is set.
func prepareDemoDir(dir string, clear bool) error {
	db := filepath.Join(dir, "anxin.db")
	_, err := os.Stat(db)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case !clear:
		return anxin.Errorf(anxin.Conflict, "%s already holds a database; pass --clear to replace an earlier demo, or choose another --data dir.", dir)
	default:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return anxin.Errorf(anxin.Conflict, "%s holds a database that is not a demo's; --clear removes only demos.", dir)
		}
		for _, f := range []string{"anxin.db", "anxin.db-wal", "anxin.db-shm", demoMarker} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return os.MkdirAll(dir, 0o700)
}

// demoWorld builds the demo's World; a test may trim it to run faster.
var demoWorld = sim.Generate

// demo runs the demo; progress and the report go to out.
func demo(ctx context.Context, cfg sim.Config, dir, addr string, noServe bool, out io.Writer) error {
	t0 := time.Now()
	w := demoWorld(cfg)
	fmt.Fprintf(out, "anxin demo: %s marketplace, seed %d, %s (%d days)\n", w.Config.Scale, w.Config.Seed, report.FormatPeriod(w.Period), w.Config.Days)
	progress(out, "generated", len(w.Events), "events", t0)
	fmt.Fprintf(out, "%-28s %s\n", "planted", w.Summary())

	marker, _ := json.Marshal(map[string]any{"seed": w.Config.Seed, "scale": w.Config.Scale, "days": w.Config.Days})
	if err := os.WriteFile(filepath.Join(dir, demoMarker), append(marker, '\n'), 0o600); err != nil {
		return err
	}
	clock := newDemoClock(w.Period.From)
	m := NewMain()
	m.Clock = clock
	m.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m.Config.DSN, m.Config.Addr, m.Config.Migrate, m.Config.SecureCookies = filepath.Join(dir, "anxin.db"), addr, true, false
	// The demo runs due jobs itself, in step with the clock; the background
	// workers start only when it serves the console afterwards.
	m.Config.NoJobs = true
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()

	ks := sqlstore.NewKeyService(m.DB)
	platform, _, err := ks.CreateKey(ctx, "demo marketplace", anxin.RolePlatform)
	if err != nil {
		return err
	}
	operator, _, err := ks.CreateKey(ctx, "demo operator", anxin.RoleOperator)
	if err != nil {
		return err
	}
	t := time.Now()
	facts := w.Facts()
	rows := make([]sqlstore.TruthRow, len(facts))
	for i, f := range facts {
		rows[i] = sqlstore.TruthRow{Kind: f.Kind, ID: f.ID, Label: f.Label, Value: f.Value}
	}
	if err := m.DB.StoreGroundTruth(ctx, rows); err != nil {
		return err
	}
	progress(out, "ground truth stored", len(rows), "facts", t)

	// The server runs until stop; on every return it is stopped and
	// drained before the deferred Close shuts the database.
	sctx, stop := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	done := make(chan struct{})
	var runErr error
	go func() { runErr = m.Run(sctx, ready); close(done) }()
	defer func() { stop(); <-done }()
	var bound net.Addr
	select {
	case bound = <-ready:
	case <-done:
		return runErr
	}
	env := &demoEnv{
		Main: m, World: w, Clock: clock, Platform: platform, Operator: operator,
		BaseURL: "http://" + bound.String(), Out: out,
		client: &http.Client{Timeout: 5 * time.Minute},
	}
	if env.loop, err = startMarketLoop(ctx, env); err != nil {
		return err
	}
	defer env.loop.Close()
	for _, s := range demoSteps {
		if err := s.run(ctx, env); err != nil {
			return fmt.Errorf("demo step %s: %w", s.name, err)
		}
	}
	if err := env.feed(ctx); err != nil {
		return err
	}
	for _, s := range demoSteps {
		if s.after == nil {
			continue
		}
		if err := s.after(ctx, env); err != nil {
			return fmt.Errorf("demo step %s: %w", s.name, err)
		}
	}
	if err := env.loopAfter(ctx); err != nil {
		return err
	}

	// The report covers exactly the simulated days.
	last := w.Period.To.In(anxin.MarketplaceTZ).AddDate(0, 0, -1)
	from := w.Period.From.In(anxin.MarketplaceTZ)
	q := "/v1/report?format=md&from=" + from.Format(time.DateOnly) + "&to=" + last.Format(time.DateOnly)
	md, err := env.getRaw(ctx, operator, q)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo finished in %.1fs\n\n", time.Since(t0).Seconds())
	out.Write(md)
	if noServe {
		stop()
	} else {
		m.startWorkers(sctx)
		fmt.Fprintf(out, "\nConsole: %s/console/  (sign in with the operator key; Ctrl-C stops)\n", env.BaseURL)
		fmt.Fprintf(out, "OPERATOR_KEY=%s\nPLATFORM_KEY=%s\n", operator, platform)
	}
	<-done
	return runErr
}

// progress prints one line: what, how many, how long and the rate.
func progress(out io.Writer, what string, n int, unit string, since time.Time) {
	d := time.Since(since)
	rate := float64(n) / max(d.Seconds(), 1e-6)
	fmt.Fprintf(out, "%-28s %10d %-8s %6.1fs %10.0f/s\n", what, n, unit, d.Seconds(), rate)
}

// runJobs runs every job due by the clock and returns how many ran, then
// delivers the webhooks due to the marketplace.
func (e *demoEnv) runJobs(ctx context.Context) (int, error) {
	n, err := e.Main.Jobs.RunDue(ctx, 0)
	if err != nil {
		return n, err
	}
	_, err = e.deliver(ctx)
	return n, err
}

// The entity kinds the demo upserts, with their API paths.
var upsertPaths = []string{"merchants", "influencers", "buyers", "listings", "content"}

// timeline holds the World's entities grouped by when the marketplace would
// send them: before the period, or in one of its windows.
type timeline struct {
	before  map[string][]any           // path → entities dated before the period
	windows map[int64]map[string][]any // window index → path → entities
}

func (e *demoEnv) timeline(window time.Duration) timeline {
	w := e.World
	tl := timeline{before: map[string][]any{}, windows: map[int64]map[string][]any{}}
	place := func(path string, at time.Time, v any) {
		if at.Before(w.Period.From) {
			tl.before[path] = append(tl.before[path], v)
			return
		}
		// Anything dated at or after the period's end goes out in the
		// last window, so nothing is left unsent.
		i := min(int64(at.Sub(w.Period.From)/window), int64(w.Period.To.Sub(w.Period.From)/window)-1)
		if tl.windows[i] == nil {
			tl.windows[i] = map[string][]any{}
		}
		tl.windows[i][path] = append(tl.windows[i][path], v)
	}
	for _, m := range w.Merchants {
		place("merchants", m.OnboardedAt, m)
	}
	for _, in := range w.Influencers {
		place("influencers", in.UpdatedAt, in)
	}
	for _, b := range w.Buyers {
		place("buyers", b.UpdatedAt, b)
	}
	for _, l := range w.Listings {
		place("listings", l.UpdatedAt, l)
	}
	for _, c := range w.Content {
		place("content", c.UpdatedAt, c)
	}
	return tl
}

// feed plays the World through the API, window by window.
func (e *demoEnv) feed(ctx context.Context) error {
	const window = feedWindow
	w := e.World
	tl := e.timeline(window)
	t := time.Now()
	n, err := e.upsertAll(ctx, tl.before)
	if err != nil {
		return err
	}
	progress(e.Out, "entities before the period", n, "items", t)

	t = time.Now()
	var entities, events, jobs, stored, dups int
	next := 0
	dayStart, dayEvents := time.Now(), 0
	windows := int64(w.Period.To.Sub(w.Period.From) / window)
	for i := int64(0); i < windows; i++ {
		end := w.Period.From.Add(time.Duration(i+1) * window)
		acted, err := e.runActions(ctx, end)
		if err != nil {
			return err
		}
		e.actions += acted
		e.Clock.Set(end)
		n, err := e.upsertAll(ctx, tl.windows[i])
		if err != nil {
			return err
		}
		entities += n
		j := next
		for j < len(w.Events) && w.Events[j].OccurredAt.Before(end) {
			j++
		}
		err = postBatches(ctx, e, e.Platform, "/v1/events", "events", w.Events[next:j], func(b json.RawMessage) error {
			var res anxin.IngestResult
			if err := json.Unmarshal(b, &res); err != nil {
				return err
			}
			stored += res.Stored
			dups += res.Duplicates
			return nil
		})
		if err != nil {
			return err
		}
		events += j - next
		dayEvents += j - next
		next = j
		ran, err := e.runJobs(ctx)
		if err != nil {
			return err
		}
		jobs += ran
		if local := end.In(anxin.MarketplaceTZ); local.Hour() == 0 && local.Weekday() == time.Monday || i == windows-1 {
			progress(e.Out, "  to "+local.Format("2006-01-02 15:04"), dayEvents, "events", dayStart)
			dayStart, dayEvents = time.Now(), 0
		}
	}
	e.Clock.Set(w.Period.To)
	ran, err := e.runJobs(ctx)
	if err != nil {
		return err
	}
	jobs += ran
	progress(e.Out, "period fed", events, "events", t)
	fmt.Fprintf(e.Out, "%-28s %10d items\n", "entities during the period", entities)
	fmt.Fprintf(e.Out, "%-28s %10d stored, %d duplicates; %d timers ran\n", "events ingested", stored, dups, jobs+e.jobsRan)
	fmt.Fprintf(e.Out, "%-28s %10d actions in the period; %d fell after its end and did not run\n", "capability activity", e.actions, len(e.queue))
	if stored+dups != len(w.Events) {
		return fmt.Errorf("the server acknowledged %d of %d events", stored+dups, len(w.Events))
	}
	return e.checkMirror(ctx)
}

// checkMirror reads a sample of orders back through the API and compares
// them with the World's final state: the events must have left the mirror
// exactly where the marketplace is.
func (e *demoEnv) checkMirror(ctx context.Context) error {
	t := time.Now()
	orders := e.World.Orders
	step := max(len(orders)/200, 1)
	n := 0
	same := func(a, b *time.Time) bool {
		return (a == nil) == (b == nil) && (a == nil || a.UnixMilli() == b.UnixMilli())
	}
	for i := 0; i < len(orders); i += step {
		want := orders[i]
		var got anxin.Order
		if err := e.get(ctx, e.Platform, "/v1/orders/"+want.ID, &got); err != nil {
			return err
		}
		if got.Status != want.Status || got.TotalFen != want.TotalFen || !same(got.PaidAt, want.PaidAt) ||
			!same(got.ShippedAt, want.ShippedAt) || !same(got.DeliveredAt, want.DeliveredAt) || !same(got.CancelledAt, want.CancelledAt) {
			return fmt.Errorf("order %s in the mirror is %s (paid %v, shipped %v, delivered %v, cancelled %v); the marketplace has %s (paid %v, shipped %v, delivered %v, cancelled %v)",
				want.ID, got.Status, got.PaidAt, got.ShippedAt, got.DeliveredAt, got.CancelledAt,
				want.Status, want.PaidAt, want.ShippedAt, want.DeliveredAt, want.CancelledAt)
		}
		n++
	}
	progress(e.Out, "mirror checked", n, "orders", t)
	return nil
}

// upsertAll upserts entities by path, in the order of upsertPaths, in
// batches of at most MaxBatch, and returns how many it sent.
func (e *demoEnv) upsertAll(ctx context.Context, byPath map[string][]any) (int, error) {
	n := 0
	for _, path := range upsertPaths {
		items := e.loop.current(path, byPath[path])
		if err := postBatches(ctx, e, e.Platform, "/v1/"+path, "items", items, nil); err != nil {
			return n, fmt.Errorf("upsert %s: %w", path, err)
		}
		n += len(items)
	}
	return n, nil
}
