package http

import (
	"bytes"
	"io"
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
//
// Slow clients: a request's body is read before it takes a slot, up to
// readAheadBytes (a check or a small batch is then served from memory),
// and the whole body must arrive within BodyTimeout of admission, so a
// client that sends slowly (slowloris) waits outside the slots and is
// answered 408 when its time runs out; only a body larger than
// readAheadBytes streams into the handler, and then for at most
// BodyTimeout. Answers are written to the connection's buffer; a client
// that never reads one holds its handler only once the answer outgrows
// the socket's buffer, and then for at most the server's WriteTimeout.
const (
	defaultMaxInFlight = 1024
	defaultQueueWait   = 200 * time.Millisecond
	defaultBodyTimeout = 10 * time.Second
	readAheadBytes     = 1 << 20
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
	if s.BodyTimeout <= 0 {
		s.BodyTimeout = defaultBodyTimeout
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
		if !s.readAhead(w, r) {
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
				w.Header().Set("Retry-After", "1")
				writeErrorBody(w, http.StatusServiceUnavailable, anxin.Unavailable, "The server is at capacity; retry after a second.")
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

// readAhead reads the first readAheadBytes of r's body into memory, with
// the connection's read deadline at BodyTimeout from now, and puts them
// back in front of the rest. A body not sent in time is answered 408 and
// readAhead reports false.
func (s *Server) readAhead(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	// Not every ResponseWriter supports deadlines (tests' recorders); the
	// server's ReadTimeout still applies then.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.BodyTimeout))
	buf, err := io.ReadAll(io.LimitReader(r.Body, readAheadBytes))
	if err != nil {
		w.Header().Set("Connection", "close")
		writeErrorBody(w, http.StatusRequestTimeout, anxin.Invalid, "The request body was not sent in time.")
		return false
	}
	r.Body = readAheadBody{Reader: io.MultiReader(bytes.NewReader(buf), r.Body), Closer: r.Body}
	return true
}

// readAheadBody is a body whose first bytes were read ahead.
type readAheadBody struct {
	io.Reader
	io.Closer
}
