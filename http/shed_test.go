package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestOverloadSheds fills every slot with requests that block, then checks
// that one more API request is refused quickly with 503, Retry-After and
// the error shape, that health checks still pass, and that a slot freed
// in time admits the waiting request.
func TestOverloadSheds(t *testing.T) {
	s := &Server{MaxInFlight: 2, QueueWait: 50 * time.Millisecond, Metrics: prometheus.NewRegistry()}
	s.initShedding()
	release := make(chan struct{})
	var entered sync.WaitGroup
	h := s.withShedding(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/slow" {
			entered.Done()
			<-release
		}
		w.WriteHeader(http.StatusOK)
	}))
	entered.Add(2)
	var done sync.WaitGroup
	for range 2 {
		done.Add(1)
		go func() {
			defer done.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/slow", nil))
		}()
	}
	entered.Wait()

	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/listings:check", nil))
	var body errorBody
	json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" || body.Error.Code != "unavailable" || body.Error.Message == "" {
		t.Fatalf("over capacity: %d, Retry-After %q, body %s; want 503, 1 and the error shape", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("shedding took %v; want about the 50 ms queue wait", d)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Errorf("healthz at capacity = %d; want 200 (never shed)", rec.Code)
	}

	// A request that arrives while full but gets a slot within the wait
	// is served (a long wait here, so a loaded machine cannot make the
	// slot come too late).
	s.QueueWait = 10 * time.Second
	got := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/x", nil))
		got <- rec.Code
	}()
	time.Sleep(10 * time.Millisecond)
	release <- struct{}{}
	if code := <-got; code != 200 {
		t.Errorf("request admitted when a slot freed = %d; want 200", code)
	}
	close(release)
	done.Wait()
}
