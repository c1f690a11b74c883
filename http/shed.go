package http

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"anxin"
)

// Overload: past MaxInFlight API requests at once, a request waits at most
// QueueWait for a slot and is then refused with 503 and Retry-After, so an
// overloaded server answers quickly instead of letting latency grow
// without bound. Health, readiness and metrics are never shed, so an
// orchestrator still sees the replica; the console is not shed either (a
// person, not a load).
const (
	defaultMaxInFlight = 1024
	defaultQueueWait   = 200 * time.Millisecond
)

func (s *Server) initShedding() {
	n := s.MaxInFlight
	if n <= 0 {
		n = defaultMaxInFlight
	}
	s.inflight = make(chan struct{}, n)
	if s.QueueWait <= 0 {
		s.QueueWait = defaultQueueWait
	}
	s.shed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anxin_http_shed_total", Help: "API requests refused with 503 because MaxInFlight were already being served.",
	})
}

func (s *Server) withShedding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case s.inflight <- struct{}{}:
		default:
			t := time.NewTimer(s.QueueWait)
			select {
			case s.inflight <- struct{}{}:
				t.Stop()
			case <-t.C:
				s.shed.Inc()
				// Not through Error: an overload must not also flood the log.
				var body errorBody
				body.Error.Code, body.Error.Message = anxin.Unavailable, "The server is at capacity; retry after a second."
				w.Header().Set("Retry-After", "1")
				writeJSON(w, http.StatusServiceUnavailable, body)
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-s.inflight }()
		next.ServeHTTP(w, r)
	})
}
