package http

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestSlowBodyHoldsNoSlot sends a body slowly (slowloris) to a server with
// one slot: while it trickles, another request is served, and the slow
// one is answered 408 once BodyTimeout has passed.
func TestSlowBodyHoldsNoSlot(t *testing.T) {
	s := &Server{MaxInFlight: 1, QueueWait: 50 * time.Millisecond, BodyTimeout: 300 * time.Millisecond, Metrics: prometheus.NewRegistry()}
	s.initShedding()
	srv := httptest.NewServer(s.withShedding(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Write(b)
	})))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /v1/listings:check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":")
	time.Sleep(50 * time.Millisecond) // the slow request is in the server

	resp, err := http.Post(srv.URL+"/v1/listings:check", "application/json", strings.NewReader(`{"id":"l1"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"id":"l1"}` {
		t.Errorf("request beside a slow body = %d %s; want 200 and its body echoed (the slot must be free)", resp.StatusCode, b)
	}

	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	slow, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("slow body: no answer: %v", err)
	}
	slow.Body.Close()
	if d := time.Since(start); slow.StatusCode != http.StatusRequestTimeout || d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("slow body = %d after %v; want 408 after about the 300 ms BodyTimeout", slow.StatusCode, d)
	}
}

// TestBigBodyStreams checks that a body larger than what is read ahead
// still reaches the handler whole.
func TestBigBodyStreams(t *testing.T) {
	s := &Server{Metrics: prometheus.NewRegistry()}
	s.initShedding()
	var got int
	h := s.withShedding(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = len(b)
	}))
	body := strings.Repeat("x", readAheadBytes+12345)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/events", strings.NewReader(body)))
	if got != len(body) {
		t.Errorf("handler read %d bytes; want %d", got, len(body))
	}
}

// TestUnreadAnswerHoldsNoSlot has a client send a check and never read the
// answer, on a server with one slot: the answer goes to the connection's
// buffers, the handler returns, and the next request is served.
func TestUnreadAnswerHoldsNoSlot(t *testing.T) {
	s := &Server{MaxInFlight: 1, QueueWait: 50 * time.Millisecond, Metrics: prometheus.NewRegistry()}
	s.initShedding()
	answered := make(chan struct{}, 2)
	srv := httptest.NewServer(s.withShedding(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		writeJSON(w, http.StatusOK, map[string]string{"outcome": "allow", "reason": strings.Repeat("x", 2000)})
		answered <- struct{}{}
	})))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/listings:check HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not finish while its client read nothing")
	}
	resp, err := http.Post(srv.URL+"/v1/listings:check", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("request beside an unread answer = %d; want 200 (the slot must be free)", resp.StatusCode)
	}
}
