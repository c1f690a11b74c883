package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"anxin"
)

// TestBenchFloor checks that the floor answers what the server's check
// answers for a valid listing, refuses what the server refuses (no key,
// malformed or invalid bodies, unknown fields), and that --compare runs
// both sides in one run and reports their ratio and CPU per item.
func TestBenchFloor(t *testing.T) {
	srv := httptest.NewServer(floorHandler())
	defer srv.Close()
	post := func(path, key, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		path, key, body string
		want            int
	}{
		{"/v1/listings:check", "k", `{"id":"l1","title":"毛巾","merchant_id":"m1"}`, 200},
		{"/v1/listings:check", "", `{"id":"l1","title":"毛巾"}`, 401},
		{"/v1/listings:check", "k", `{"id":"l1",`, 400},
		{"/v1/listings:check", "k", `{"id":"l1","nope":1}`, 400},
		{"/v1/listings:check", "k", `{"id":""}`, 400},
		{"/v1/listings:check", "k", `{"id":"l1"} {}`, 400},
		{"/v1/events", "k", `{"events":[{"id":"e1","type":"order.paid","occurred_at":"2026-03-01T10:00:00Z","data":{"order_id":"o1"}}]}`, 200},
		{"/v1/events", "k", `{"events":[{"id":"e1","type":"nope","occurred_at":"2026-03-01T10:00:00Z","data":{}}]}`, 400},
	} {
		if got := post(c.path, c.key, c.body); got != c.want {
			t.Errorf("POST %s %s = %d; want %d", c.path, c.body, got, c.want)
		}
	}

	// The floor against itself: both sides succeed, the ratio is near 1.
	c := benchConfig{target: "check", addr: srv.URL, key: "k", compare: srv.URL, clients: 2, duration: 4 * time.Second,
		timeout: 10 * time.Second, batch: 1000, pid: os.Getpid(), comparePid: os.Getpid()}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	out := string(captureStdout(t, func() error { return benchCompare(context.Background(), c, false) }))
	if !strings.Contains(out, "server / floor:") || !strings.Contains(out, "CPU per item:") || strings.Contains(out, "errors 1") {
		t.Errorf("compare output:\n%s", out)
	}

	for _, args := range [][]string{
		{"check", "--addr", srv.URL, "--key", "k", "--compare", "ftp://x"},
		{"claims", "--addr", srv.URL, "--key", "k", "--compare", srv.URL},
		{"check", "--addr", srv.URL, "--key", "k", "--compare", srv.URL, "--duration", "2s"},
		{"check", "--addr", srv.URL, "--key", "k", "--pid", "12"},
		{"check", "--addr", srv.URL, "--key", "k", "--compare", srv.URL, "--pid", "-1"},
	} {
		if err := runBench(context.Background(), args); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("bench %v = %v; want Invalid", args, err)
		}
	}
}
