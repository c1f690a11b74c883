// Package submit sends statements of reasons to the DSA Transparency
// Database's batch endpoint as they are issued, so that a platform meets
// its duty to report every one without exporting by hand.
//
// A Submitter queues every new statement, claims due ones under a lease
// (replicas on one PostgreSQL database take disjoint batches), maps them
// with package dsa, and POSTs up to BatchSize at a time as
// {"statements": [...]} with the platform's bearer token. The database
// accepts a batch whole or not at all, so the answer is read per statement:
//
//   - 201: every statement in the batch is submitted, with the database's id;
//   - 422 naming puids the database already holds: those are submitted (an
//     earlier attempt reached it, and its answer was lost), the others go
//     back to the queue uncharged;
//   - 422 naming statements by their position: those fail permanently and
//     are dead letters with the database's messages, the others go back to
//     the queue uncharged;
//   - 5xx, 408, 429, 401, 403, a network error or a timeout: the batch is
//     retried with exponential backoff and jitter, and goes dead after
//     MaxAttempts;
//   - any other 4xx: the batch is dead.
//
// A submitted statement is never claimed again, so no puid is sent twice
// after the database took it; operators send dead letters again through
// the API or the console.
//
//	s := &submit.Submitter{Store: sqlstore.NewDSASubmissionService(db), Endpoint: url, Token: token}
//	if err := s.Check(); err != nil { … } // at startup: https, a token, a batch size the database takes
//	go s.Run(ctx)
//
// Threat: the token lets anyone file statements in the platform's name. It
// is never logged, never put in an error and sent only over https (plain
// http is accepted for a loopback test endpoint only); redirects are never
// followed, so the token cannot be bounced to another host.
package submit

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"anxin"
	"anxin/dsa"
	"anxin/webhook"

	"github.com/prometheus/client_golang/prometheus"
)

// Store is the storage a Submitter needs; sqlstore.DSASubmissionService
// implements it. Enqueue queues new statements created since since
// (looking only at recent ones), EnqueueMissed any not yet queued (looking
// at all), each statement once; ClaimSubmissions must lease each returned
// submission; RecordSubmissions must record nothing for a result whose
// lease was lost.
type Store interface {
	Enqueue(ctx context.Context, since time.Time, max int) (int, error)
	EnqueueMissed(ctx context.Context, since time.Time, max int) (int, error)
	ClaimSubmissions(ctx context.Context, max int, lease time.Duration) ([]*anxin.SubmissionClaim, error)
	RecordSubmissions(ctx context.Context, results []anxin.SubmissionResult) error
	SubmissionCounts(ctx context.Context) (map[string]int64, error)
}

// MaxBatch is the most statements the database takes in one call.
const MaxBatch = 100

// Defaults for the Submitter's zero fields.
const (
	DefaultBatchSize   = MaxBatch
	DefaultMaxAttempts = 10
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffCap  = 6 * time.Hour
	DefaultTimeout     = 30 * time.Second
	DefaultPoll        = 5 * time.Second
	DefaultSweepEvery  = time.Hour
)

// enqueueBatch is how many statements one Enqueue call queues at most.
const enqueueBatch = 1000

// Submitter sends statements to the database. Set Store, Endpoint and
// Token, optionally tune the rest, call Check, then Run; fields must not
// change once it runs. Run and Tick are safe for concurrent use, from
// several processes on one database. A Submitter is a
// prometheus.Collector of its own metrics.
type Submitter struct {
	Store    Store
	Endpoint string      // the batch endpoint, https://…/api/v1/statements
	Token    string      // the platform's API token, sent as a bearer token
	Options  dsa.Options // the platform's settings for the mapping
	// Since is the oldest statement creation time submitted; the zero time
	// submits every statement (sqlstore's Since stores it).
	Since  time.Time
	Client *http.Client
	Logger *slog.Logger

	BatchSize   int           // statements per call, 1 to MaxBatch
	MaxAttempts int           // attempts before a statement is dead
	BackoffBase time.Duration // delay after the first failed attempt
	BackoffCap  time.Duration // longest delay between attempts
	Timeout     time.Duration // per call, connection to last response byte
	Poll        time.Duration // how often to look for new statements when idle
	// SweepEvery is how often every statement since Since is checked for
	// one not yet queued (it committed long after its timestamp); the
	// first Tick always sweeps. Default DefaultSweepEvery.
	SweepEvery time.Duration
	// Lease is how long a claimed batch stays reserved; default
	// Timeout+30s. It must outlast a call, or another replica may send the
	// same statements while the first call is still in flight (the
	// database then answers with their puids, and nothing is filed twice).
	Lease time.Duration
	// Rand draws the backoff jitter; default seeded from crypto/rand.
	Rand *mrand.Rand

	initOnce sync.Once
	mu       sync.Mutex // guards Rand and swept
	swept    time.Time  // when the last sweep finished
	results  *prometheus.CounterVec
	queued   *prometheus.CounterVec
	batch    *prometheus.HistogramVec
	states   *prometheus.Desc
	depth    *prometheus.Desc
}

// Check refuses a configuration the submitter cannot work with: an
// endpoint that is not an absolute https URL (http only on a loopback
// host, for tests), one with credentials in it, an empty token, or a batch
// size the database does not take. Its errors never contain the token.
func (s *Submitter) Check() error {
	if s.Token == "" {
		return anxin.Errorf(anxin.Invalid, "The DSA Transparency Database token is empty: put it in the file named by --dsa-token-file or in ANXIN_DSA_TOKEN.")
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return anxin.Errorf(anxin.Invalid, "--dsa-endpoint must be an absolute URL without credentials, such as https://HOST/api/v1/statements.")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return anxin.Errorf(anxin.Invalid, "--dsa-endpoint must use https: the token may not cross a network in the clear (plain http is allowed for a loopback test endpoint only).")
		}
	default:
		return anxin.Errorf(anxin.Invalid, "--dsa-endpoint must be an https URL.")
	}
	if s.BatchSize < 0 || s.BatchSize > MaxBatch {
		return anxin.Errorf(anxin.Invalid, "--dsa-batch must be between 1 and %d, the most the database takes in one call.", MaxBatch)
	}
	return dsa.ValidateOptions(s.Options)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Submitter) init() {
	s.initOnce.Do(func() {
		if s.Rand == nil {
			var seed [16]byte
			rand.Read(seed[:])
			s.Rand = mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
		}
		s.results = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "anxin_dsa_submissions_total",
			Help: "Statements of reasons per submission attempt outcome: submitted, duplicate (the database already held the puid), retried (a transient failure, sent again after backoff), dead (a dead letter), skipped, requeued (sent back uncharged).",
		}, []string{"result"})
		s.queued = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "anxin_dsa_statements_queued_total",
			Help: "Statements of reasons queued for submission by this process, by how they were found: new (recent statements) or sweep (the periodic check of every statement since --dsa-since).",
		}, []string{"path"})
		s.batch = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "anxin_dsa_batch_seconds", Help: "Duration of one batch call to the DSA Transparency Database, by outcome (ok, refused, error).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"outcome"})
		s.states = prometheus.NewDesc("anxin_dsa_submission_states", "Statements of reasons by submission state.", []string{"state"}, nil)
		s.depth = prometheus.NewDesc("anxin_dsa_queue_depth", "Statements of reasons waiting to be sent (pending or failed), across every replica.", nil, nil)
	})
}

func or[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (s *Submitter) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func (s *Submitter) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{
		Timeout:       or(s.Timeout, DefaultTimeout),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Backoff returns the delay after failed attempt n (from 1): base doubled
// per earlier failure, capped, then drawn uniformly from its upper half so
// that replicas recovering from one outage do not call in the same instant.
func (s *Submitter) Backoff(n int) time.Duration {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return webhook.Backoff(or(s.BackoffBase, DefaultBackoffBase), or(s.BackoffCap, DefaultBackoffCap), n, s.Rand)
}

// Run submits until ctx is done. A batch in flight when ctx ends is
// finished and recorded.
func (s *Submitter) Run(ctx context.Context) {
	s.init()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger().Warn("dsa submitter", "err", err)
		}
		if n > 0 && err == nil {
			t.Reset(0)
		} else {
			t.Reset(or(s.Poll, DefaultPoll))
		}
	}
}

// Tick queues new statements (and, every SweepEvery, any missed ones),
// claims one batch of due ones, sends it and records the outcome. It
// returns how many statements it claimed.
func (s *Submitter) Tick(ctx context.Context) (int, error) {
	s.init()
	if err := s.sweep(ctx); err != nil {
		return 0, err
	}
	n, err := s.Store.Enqueue(ctx, s.Since, enqueueBatch)
	if err != nil {
		return 0, err
	}
	s.queued.WithLabelValues("new").Add(float64(n))
	lease := s.Lease
	if lease <= 0 {
		lease = or(s.Timeout, DefaultTimeout) + 30*time.Second
	}
	claims, err := s.Store.ClaimSubmissions(ctx, or(s.BatchSize, DefaultBatchSize), lease)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	// The batch is sent and recorded even if ctx ends meanwhile.
	results := s.submit(context.WithoutCancel(ctx), claims)
	for _, r := range results {
		s.results.WithLabelValues(resultLabel(r)).Inc()
	}
	return len(claims), s.Store.RecordSubmissions(context.WithoutCancel(ctx), results)
}

// sweep queues every statement since Since that is not queued yet, when
// the last sweep is SweepEvery old. The fast Enqueue looks only a margin
// behind the newest queued statement; a statement that committed later
// than that behind its own timestamp is found here, so none is missed.
func (s *Submitter) sweep(ctx context.Context) error {
	s.mu.Lock()
	due := s.swept.IsZero() || time.Since(s.swept) >= or(s.SweepEvery, DefaultSweepEvery)
	s.mu.Unlock()
	if !due {
		return nil
	}
	for {
		n, err := s.Store.EnqueueMissed(ctx, s.Since, enqueueBatch)
		if err != nil {
			return err
		}
		s.queued.WithLabelValues("sweep").Add(float64(n))
		if n < enqueueBatch {
			break
		}
	}
	s.mu.Lock()
	s.swept = time.Now()
	s.mu.Unlock()
	return nil
}

func resultLabel(r anxin.SubmissionResult) string {
	switch {
	case r.State == anxin.SubmissionSubmitted && r.Status == http.StatusUnprocessableEntity:
		return "duplicate"
	case !r.Counted && r.State == anxin.SubmissionPending:
		return "requeued"
	case r.State == anxin.SubmissionFailed:
		return "retried"
	}
	return r.State
}

// Describe implements prometheus.Collector.
func (s *Submitter) Describe(ch chan<- *prometheus.Desc) {
	s.init()
	s.results.Describe(ch)
	s.queued.Describe(ch)
	s.batch.Describe(ch)
	ch <- s.states
	ch <- s.depth
}

// Collect implements prometheus.Collector; the per-state counts are read
// from the store at scrape time, so every replica reports the shared queue.
func (s *Submitter) Collect(ch chan<- prometheus.Metric) {
	s.init()
	s.results.Collect(ch)
	s.queued.Collect(ch)
	s.batch.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := s.Store.SubmissionCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.states, err)
		ch <- prometheus.NewInvalidMetric(s.depth, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(s.states, prometheus.GaugeValue, float64(n), state)
	}
	ch <- prometheus.MustNewConstMetric(s.depth, prometheus.GaugeValue, float64(counts[anxin.SubmissionPending]+counts[anxin.SubmissionFailed]))
}
