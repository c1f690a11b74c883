package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"anxin"
)

type ctxKey int

const reqIDKey ctxKey = 0

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(reqIDKey).(string)
	return s
}

// withRequestID gives every request an id (or keeps a sane X-Request-Id from
// the caller) and echoes it in the response.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if anxin.ValidateID("id", id) != nil || len(id) > 64 {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reqIDKey, id)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withLogging logs each request at debug level (warn for 5xx). It never logs
// bodies, query strings or headers, which may hold personal data or keys.
func (s *Server) withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		lvl := slog.LevelDebug
		if sw.status >= 500 {
			lvl = slog.LevelWarn
		}
		s.Logger.Log(r.Context(), lvl, "http", "req", requestID(r.Context()), "method", r.Method, "route", r.Pattern,
			"status", sw.status, "dur_ms", time.Since(start).Milliseconds())
	})
}

func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.Error("panic", "req", requestID(r.Context()), "route", r.Pattern, "panic", p)
				s.Error(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// instrument counts requests and their latency per route pattern.
func (s *Server) instrument(pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = 200
		}
		s.reqs.WithLabelValues(pattern, strconv.Itoa(sw.status/100)+"xx").Inc()
		s.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
	})
}

// api wraps a JSON handler: it authenticates the API key (Authorization:
// Bearer <key>), applies the per-principal rate limit, bounds the body and
// renders any error.
func (s *Server) api(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.tooManyFailures(w, r) {
			return
		}
		actor, err := s.authenticate(r)
		if err != nil {
			if anxin.KindOf(err) == anxin.Unauthorized && r.Header.Get("Authorization") != "" {
				s.badKeys.fail(clientIP(r), s.now())
			}
			s.Error(w, r, err)
			return
		}
		if !s.limiter.allow(actor.KeyID, s.now()) {
			s.Error(w, r, anxin.Errorf(anxin.RateLimited, "Too many requests; slow down."))
			return
		}
		if err := gate(r, actor.Role); err != nil {
			s.Error(w, r, err)
			return
		}
		if err := refuseBody(r); err != nil {
			s.Error(w, r, err)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
		}
		r = r.WithContext(anxin.NewContextWithActor(r.Context(), *actor))
		if err := f(w, r); err != nil {
			s.Error(w, r, err)
		}
	})
}

// public wraps a handler that needs no key (health, OpenAPI), still
// rate-limited per client address.
func (s *Server) public(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.limiter.allow("ip:"+clientIP(r), s.now()) {
			s.Error(w, r, anxin.Errorf(anxin.RateLimited, "Too many requests; slow down."))
			return
		}
		if err := f(w, r); err != nil {
			s.Error(w, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (*anxin.Actor, error) {
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || key == "" {
		return nil, anxin.Errorf(anxin.Unauthorized, "An API key is required: send \"Authorization: Bearer <key>\".")
	}
	if s.Keys == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Authentication is not configured.")
	}
	return s.Keys.Authenticate(r.Context(), strings.TrimSpace(key))
}

// readJSON reads the whole (bounded) body and decodes it strictly into v.
// An oversized body is TooLarge; malformed JSON, unknown fields and invalid
// UTF-8 are Invalid.
func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return anxin.Errorf(anxin.TooLarge, "The body is larger than %d bytes.", mbe.Limit)
		}
		return anxin.Errorf(anxin.Invalid, "The body could not be read.")
	}
	return anxin.DecodeJSON(body, v)
}

// limiter is a token bucket per principal. Buckets idle for a minute are
// dropped so the map cannot grow without bound.
type limiter struct {
	rate  float64
	burst float64
	mu    sync.Mutex
	b     map[string]*bucket
	sweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		rate = 5000
	}
	return &limiter{rate: rate, burst: 2 * rate, b: map[string]*bucket{}}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, b := range l.b {
			if now.Sub(b.last) > time.Minute {
				delete(l.b, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.b[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.b[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
