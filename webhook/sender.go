// Package webhook delivers outbox messages to the marketplace's endpoints as
// signed HTTP POSTs, retried with exponential backoff and jitter until they
// succeed or go dead, and gives receivers Verify to check them.
//
// A Sender fans new outbox messages out into deliveries (one per webhook
// whose type filter wants the message), claims due deliveries under a lease
// so that several replicas never send the same attempt at once, and records
// every attempt. Each POST carries the JSON envelope
//
//	{"id": "msg_…", "type": "listing.delist", "subject_id": "l_1",
//	 "created_at": "2026-03-03T09:00:00Z", "payload": {…}}
//
// and the headers Anxin-Webhook-Id (the message id, the same on every
// attempt: receivers dedupe on it, which makes every action exactly-once at
// the receiver), Anxin-Timestamp and Anxin-Signature
// ("t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>"), and the Standard
// Webhooks headers webhook-id, webhook-timestamp and webhook-signature
// ("v1,<base64 HMAC-SHA256(key, "<id>.<ts>.<body>")>", the key being the
// base64-decoded part of the "whsec_…" secret), so that receivers can use
// any Standard Webhooks library (VerifyStandard is ours).
//
// A receiver checks a delivery like this:
//
//	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//	err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), webhook.DefaultTolerance)
//	if err != nil { http.Error(w, "bad signature", 401); return }
//	if seen(r.Header.Get(webhook.HeaderID)) { w.WriteHeader(200); return } // already done
//
// Threat (SSRF): the sender POSTs to whatever URL an operator configured,
// from inside the deployment. Only operators may manage webhooks, URLs must
// be http or https with a host and no credentials, redirects are never
// followed, and response bodies are discarded rather than stored or shown.
// Restrict egress where internal services must stay unreachable.
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

// Store is the storage a Sender needs; sqlstore.WebhookService implements
// it. ClaimDeliveries must lease each returned delivery until LeaseUntil
// and count the attempt; RecordAttempt must return an error and record
// nothing when the lease was lost.
type Store interface {
	FanOut(ctx context.Context, max int) (int, error)
	ClaimDeliveries(ctx context.Context, max int, lease time.Duration) ([]*anxin.DeliveryAttempt, error)
	RecordAttempt(ctx context.Context, worker string, a *anxin.DeliveryAttempt, res anxin.DeliveryResult) error
	DeliveryCounts(ctx context.Context) (map[string]int64, error)
}

// Envelope is the JSON body of every delivery.
type Envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	SubjectID string          `json:"subject_id"`
	CreatedAt time.Time       `json:"created_at"`
	Payload   json.RawMessage `json:"payload"`
}

// Defaults for the Sender's zero fields.
const (
	DefaultMaxAttempts = 8
	DefaultBackoffBase = 10 * time.Second
	DefaultBackoffCap  = time.Hour
	DefaultTimeout     = 10 * time.Second
	DefaultPoll        = time.Second
	DefaultConcurrency = 4
)

// Sender delivers webhooks. Set Store, optionally tune the other fields, and
// call Run; fields must not change once it runs. Run and Tick are safe to
// call from several goroutines and several processes on one PostgreSQL
// database. A Sender is a prometheus.Collector of its own metrics.
type Sender struct {
	Store  Store
	Clock  anxin.Clock  // signs timestamps; default anxin.SystemClock
	Client *http.Client // default: Timeout per attempt, never follows redirects
	Logger *slog.Logger
	Worker string // recorded with each attempt; default a random id

	Poll        time.Duration // how often to look for work when idle
	Concurrency int           // deliveries claimed and sent at once
	MaxAttempts int           // attempts before a delivery is dead
	BackoffBase time.Duration // delay after the first failed attempt
	BackoffCap  time.Duration // longest delay between attempts
	Timeout     time.Duration // per attempt, connection to last response byte
	// Lease is how long a claimed delivery stays reserved for this sender;
	// default Timeout+30s. It must outlast an attempt, or another replica
	// may send the same attempt again.
	Lease time.Duration
	// Rand draws the backoff jitter; default seeded from crypto/rand. Tests
	// set a seeded one.
	Rand *mrand.Rand

	initOnce sync.Once
	mu       sync.Mutex // guards Rand
	attempts *prometheus.CounterVec
	duration prometheus.Histogram
	latency  prometheus.Histogram
	states   *prometheus.Desc
}

func (s *Sender) init() {
	s.initOnce.Do(func() {
		if s.Worker == "" {
			s.Worker = anxin.NewID("ws")
		}
		if s.Rand == nil {
			var seed [16]byte
			rand.Read(seed[:])
			s.Rand = mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
		}
		s.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "anxin_webhook_attempts_total", Help: "Webhook delivery attempts by result (delivered, failed, dead).",
		}, []string{"result"})
		s.duration = prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "anxin_webhook_attempt_seconds", Help: "Duration of one webhook POST, connection to response.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		})
		s.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "anxin_webhook_delivery_latency_seconds", Help: "Time from an outbox message's creation to its successful delivery.",
			Buckets: []float64{.1, .5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600},
		})
		s.states = prometheus.NewDesc("anxin_webhook_deliveries", "Webhook deliveries by state.", []string{"state"}, nil)
	})
}

func (s *Sender) clock() anxin.Clock {
	if s.Clock == nil {
		return anxin.SystemClock{}
	}
	return s.Clock
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (s *Sender) timeout() time.Duration { return orDefault(s.Timeout, DefaultTimeout) }

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{
		Timeout: s.timeout(),
		// A receiver must not bounce the sender to another address (SSRF):
		// a redirect is an answer, and not a 2xx one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Backoff returns the delay after failed try n (from 1): the exponential
// step min(cap, base·2^(n-1)) with "equal jitter", uniformly within its upper
// half, so receivers recovering from an outage are not hit by every sender
// in the same instant.
func (s *Sender) Backoff(n int) time.Duration {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return Backoff(orDefault(s.BackoffBase, DefaultBackoffBase), orDefault(s.BackoffCap, DefaultBackoffCap), n, s.Rand)
}

// Backoff returns the delay after failed attempt n (from 1) of any retried
// call: base doubled per earlier failure, capped at limit, then drawn
// uniformly from its upper half with r, so that callers recovering from one
// outage do not call in the same instant. r is not safe for concurrent use;
// the caller guards it.
func Backoff(base, limit time.Duration, n int, r *mrand.Rand) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + time.Duration(r.Int64N(int64(d-half)+1))
}

// Run delivers until ctx is done. On cancellation it stops claiming work,
// lets the attempts in flight finish (each bounded by Timeout) and records
// them, then returns.
func (s *Sender) Run(ctx context.Context) {
	s.init()
	poll := orDefault(s.Poll, DefaultPoll)
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
			s.logger().Warn("webhook sender", "worker", s.Worker, "err", err)
		}
		if n > 0 && err == nil {
			t.Reset(0) // there may be more
		} else {
			t.Reset(poll)
		}
	}
}

// Tick does one round of work: it fans out new outbox messages, then claims
// up to Concurrency due deliveries and sends them in parallel, waiting for
// every attempt to be recorded. It returns how many messages and attempts it
// handled. Attempts already claimed complete even when ctx is cancelled.
func (s *Sender) Tick(ctx context.Context) (int, error) {
	s.init()
	fanned, err := s.Store.FanOut(ctx, 500)
	if err != nil {
		return 0, err
	}
	lease := s.Lease
	if lease <= 0 {
		lease = s.timeout() + 30*time.Second
	}
	batch, err := s.Store.ClaimDeliveries(ctx, orDefault(s.Concurrency, DefaultConcurrency), lease)
	if err != nil {
		return fanned, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(batch))
	for i, a := range batch {
		wg.Go(func() { errs[i] = s.attempt(ctx, a) })
	}
	wg.Wait()
	return fanned + len(batch), errors.Join(errs...)
}

// attempt sends one claimed delivery and records the result. It detaches
// from ctx's cancellation so that shutdown finishes the attempt in flight
// instead of abandoning it half-sent.
func (s *Sender) attempt(ctx context.Context, a *anxin.DeliveryAttempt) error {
	ctx = context.WithoutCancel(ctx)
	res := s.send(ctx, a)
	switch {
	case res.State == anxin.DeliveryDelivered:
		s.attempts.WithLabelValues("delivered").Inc()
		s.latency.Observe(s.clock().Now().Sub(a.Message.CreatedAt).Seconds())
	case a.Try >= orDefault(s.MaxAttempts, DefaultMaxAttempts) || res.State == anxin.DeliveryDead:
		res.State = anxin.DeliveryDead
		s.attempts.WithLabelValues("dead").Inc()
		// The URL and the secret are never logged; ids are enough to find it.
		s.logger().Warn("webhook delivery dead", "delivery", a.ID, "webhook", a.WebhookID, "message", a.MessageID, "attempts", a.Attempts, "status", res.Status)
	default:
		res.State = anxin.DeliveryPending
		res.RetryIn = s.Backoff(a.Try)
		s.attempts.WithLabelValues("failed").Inc()
	}
	s.duration.Observe(res.Duration.Seconds())
	return s.Store.RecordAttempt(ctx, s.Worker, a, res)
}

// send POSTs the delivery and classifies the answer: 2xx is delivered,
// anything else (another status, a transport error, a timeout) is a failure
// to retry. A body that cannot be built is dead at once: retrying cannot fix
// it.
func (s *Sender) send(ctx context.Context, a *anxin.DeliveryAttempt) anxin.DeliveryResult {
	body, err := json.Marshal(Envelope{
		ID: a.Message.ID, Type: a.Message.Type, SubjectID: a.Message.SubjectID,
		CreatedAt: a.Message.CreatedAt.UTC(), Payload: a.Message.Payload,
	})
	if err != nil {
		return anxin.DeliveryResult{State: anxin.DeliveryDead, Error: "the message payload is not valid JSON"}
	}
	ts := s.clock().Now().Unix()
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL, bytes.NewReader(body))
	if err != nil {
		return anxin.DeliveryResult{State: anxin.DeliveryDead, Error: "the webhook URL is not usable"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Anxin-Webhook/"+anxin.Version)
	req.Header.Set(HeaderID, a.Message.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(a.Secret, ts, body))
	req.Header.Set(HeaderAttempt, strconv.Itoa(a.Try))
	// Secrets Anxin issued are always in the whsec_ form; one that is not
	// (set by hand in the database) gets only the Anxin headers.
	if sig, err := SignStandard(a.Secret, a.Message.ID, ts, body); err == nil {
		req.Header.Set(HeaderStandardID, a.Message.ID)
		req.Header.Set(HeaderStandardTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderStandardSignature, sig)
	}
	start := time.Now()
	resp, err := s.client().Do(req)
	res := anxin.DeliveryResult{State: anxin.DeliveryPending}
	if err != nil {
		res.Duration = time.Since(start)
		res.Error = TransportError(err)
		return res
	}
	// Drain a little so the connection can be reused; the body itself is
	// neither stored nor shown (it may echo anything).
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res.Duration = time.Since(start)
	res.Status = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		res.State = anxin.DeliveryDelivered
		return res
	}
	res.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	return res
}

// TransportError describes a failed request without its URL, which may
// carry tokens in its query string.
func TransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}

// Describe implements prometheus.Collector.
func (s *Sender) Describe(ch chan<- *prometheus.Desc) {
	s.init()
	s.attempts.Describe(ch)
	s.duration.Describe(ch)
	s.latency.Describe(ch)
	ch <- s.states
}

// Collect implements prometheus.Collector. The per-state delivery counts are
// read from the store at scrape time, so every replica reports the shared
// truth.
func (s *Sender) Collect(ch chan<- prometheus.Metric) {
	s.init()
	s.attempts.Collect(ch)
	s.duration.Collect(ch)
	s.latency.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := s.Store.DeliveryCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.states, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(s.states, prometheus.GaugeValue, float64(n), state)
	}
}
