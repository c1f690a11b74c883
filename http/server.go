// Package http serves Anxin's JSON API under /v1/, the OpenAPI document, the
// health, readiness and metrics endpoints, and the server-rendered operator
// console under /console/.
//
// Its dependencies are exported fields typed as domain interfaces; cmd/anxin
// assigns them. Handlers return error and one adapter (Server.Error) turns an
// error into a status and body.
//
//	s := http.NewServer()
//	s.Keys = sqlstore.NewKeyService(db)
//	s.Ready = db.Ping
//	err := s.ListenAndServe(ctx, "127.0.0.1:8080")
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

// Server is Anxin's HTTP server. Set its fields, then call Handler or
// ListenAndServe. It is safe for concurrent use once serving.
type Server struct {
	Keys        anxin.KeyService
	Marketplace anxin.MarketplaceService
	Events      anxin.EventService
	Webhooks    anxin.WebhookService
	Reports     anxin.ReportService
	Stats       anxin.StatsService
	Protection  anxin.ProtectionService
	Ledger      anxin.LedgerService
	Privacy     anxin.PrivacyService
	Care        anxin.CareService
	Sampling    anxin.SamplingService
	Quality     anxin.QualityService
	Governance  anxin.GovernanceService
	Reviews     anxin.ReviewService
	Enforcement anxin.EnforcementService
	// Sanctions is the one enforcement model; when set, merchants and
	// listings carry Anxin's own view beside the marketplace's.
	Sanctions anxin.SanctionService
	Jobs      anxin.JobService
	// Streams lists the outbox publishers' cursors (sqlstore.DB);
	// EventStream, when set, describes this replica's event consumer.
	Streams     streamCursors
	EventStream func(ctx context.Context) *anxin.EventStream
	IP          anxin.IPService
	HashBank    anxin.HashBankService
	HashLists   anxin.HashListService
	Counterfeit anxin.CounterfeitService
	// ContentModels stores the content classifier's versions (optional).
	ContentModels anxin.ContentModelService
	Relations     RelationNetwork
	// Evals runs and keeps evaluations on labelled sets (the console's
	// evaluation page).
	Evals EvalStore
	// Submissions lists statements' submissions to the DSA Transparency
	// Database and retries dead letters.
	Submissions anxin.DSASubmissionService
	// DSAEndpoint is where the submitter sends statements, shown on the
	// console's submissions page; "" when submission is off.
	DSAEndpoint string
	// Backtests runs edited policies over stored items (the policy
	// editor's backtest button; optional).
	Backtests PolicyBacktester

	// Ready reports whether the server's dependencies (database, broker) are
	// healthy; /readyz answers 503 when it returns an error.
	Ready func(ctx context.Context) error

	// ClassifyError, when set, gives an error that carries no kind one
	// (cmd/anxin sets sqlstore.MapError), so a driver error reporting a
	// lost database answers 503 Unavailable rather than 500.
	ClassifyError func(error) error

	Clock   anxin.Clock
	Logger  *slog.Logger
	Metrics *prometheus.Registry

	// MaxBodyBytes bounds every request body (default anxin.MaxBodyBytes).
	MaxBodyBytes int64
	// RateLimit is the sustained requests per second allowed per principal
	// (API key or client address), with bursts of twice that (default 5000).
	RateLimit float64
	// MaxInFlight bounds the API requests served at once (default 1024);
	// one that finds no room within QueueWait (default 200 ms) answers 503
	// with Retry-After instead of queueing without bound.
	MaxInFlight int
	QueueWait   time.Duration
	// BodyTimeout bounds how long an API request may take to send its
	// body (default 10 s); its first MiB is read before it takes a slot
	// (see withShedding).
	BodyTimeout time.Duration
	// BadKeyLimit is how many failed authentications (unknown or revoked API
	// keys, failed console sign-ins) one client address may make a minute
	// before it is answered 429 (default 20).
	BadKeyLimit float64
	// SecureCookies marks console cookies Secure; on by default, off for the
	// plain-HTTP demo on loopback.
	SecureCookies bool
	// TLSCertFile and TLSKeyFile, when both set, make Serve speak HTTPS
	// (TLS 1.2 or later) with that certificate chain and key.
	TLSCertFile, TLSKeyFile string

	mux      *http.ServeMux
	routes   []string // every registered pattern, for the OpenAPI check
	limiter  *limiter
	inflight chan struct{} // MaxInFlight slots
	shed     prometheus.Counter
	badKeys  *failureLimiter
	reqs     *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *eventMetrics // POST /v1/events counters by event type
	initOnce sync.Once
	handler  http.Handler
	draining chan struct{}
	privacy  *privacyMetrics

	careOps *prometheus.CounterVec // care, sampling and quality operations by kind and outcome

	govMetrics        governanceMetrics
	counterfeitScores *prometheus.CounterVec
	notices           *prometheus.CounterVec
}

// NewServer returns a Server with defaults.
func NewServer() *Server {
	return &Server{
		Clock:         anxin.SystemClock{},
		Logger:        slog.Default(),
		Metrics:       prometheus.NewRegistry(),
		MaxBodyBytes:  anxin.MaxBodyBytes,
		RateLimit:     5000,
		SecureCookies: true,
		draining:      make(chan struct{}),
	}
}

// Handler returns the server's root handler, building the routes on first use.
func (s *Server) Handler() http.Handler {
	s.initOnce.Do(s.init)
	return s.handler
}

// Routes returns every registered route pattern, sorted.
func (s *Server) Routes() []string {
	s.initOnce.Do(s.init)
	r := append([]string(nil), s.routes...)
	sort.Strings(r)
	return r
}

func (s *Server) init() {
	s.mux = http.NewServeMux()
	s.limiter = newLimiter(s.RateLimit)
	s.badKeys = newFailureLimiter(s.BadKeyLimit)
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anxin_http_requests_total", Help: "HTTP requests by route and status class.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "anxin_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	s.initShedding()
	s.Metrics.MustRegister(s.reqs, s.latency, s.shed, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))

	s.registerSystemRoutes()
	s.registerCapabilityRoutes()
	s.registerConsoleRoutes()

	s.handler = s.withRecover(s.withRequestID(s.withLogging(s.withShedding(s.withRouteErrors(s.mux)))))
}

// handle registers a route and records its pattern.
func (s *Server) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.instrument(pattern, h))
}

// ListenAndServe serves on addr until ctx is done, then drains: it stops
// accepting connections and waits up to 20 s for in-flight requests.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready chan<- net.Addr) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln, ready)
}

// Serve is ListenAndServe on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener, ready chan<- net.Addr) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready <- ln.Addr()
	}
	errc := make(chan error, 1)
	if s.TLSCertFile != "" && s.TLSKeyFile != "" {
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		go func() { errc <- hs.ServeTLS(ln, s.TLSCertFile, s.TLSKeyFile) }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	close(s.draining)
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) isDraining() bool {
	select {
	case <-s.draining:
		return true
	default:
		return false
	}
}

func (s *Server) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now()
}
