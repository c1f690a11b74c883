package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"anxin"
)

// The demo's client sends a request again after 503 or 429, with the same
// body, and gives up with the server's error after demoRetries retries.
func TestDemoClientRetriesBusy(t *testing.T) {
	var calls atomic.Int32
	var bodies []string
	busyFor := int32(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if calls.Add(1) <= busyFor {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":{"code":"unavailable","message":"The database is busy; try again shortly."}}`)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	e := &demoEnv{BaseURL: srv.URL, client: srv.Client()}
	var out struct{ OK bool }
	if err := e.post(context.Background(), "k", "/v1/x", map[string]int{"n": 1}, &out); err != nil || !out.OK {
		t.Fatalf("post = %v, %+v; want success after two 503s", err, out)
	}
	if len(bodies) != 3 || bodies[0] != `{"n":1}` || bodies[2] != bodies[0] {
		t.Errorf("bodies sent = %q; want the same body three times", bodies)
	}

	calls.Store(0)
	busyFor = 1 << 20
	err := e.get(context.Background(), "k", "/v1/y", nil)
	if anxin.KindOf(err) != anxin.Unavailable || int(calls.Load()) != demoRetries+1 {
		t.Errorf("always busy: err %v after %d calls; want unavailable after %d", err, calls.Load(), demoRetries+1)
	}
}
