package webhook_test

import (
	"context"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"anxin"
	"anxin/webhook"
)

// memStore is an in-memory webhook.Store with the same lease rules as
// sqlstore, on the bubble's clock, for timing tests under synctest.
type memStore struct {
	mu      sync.Mutex
	ds      []*memDelivery
	results []anxin.DeliveryResult
}

type memDelivery struct {
	a           anxin.DeliveryAttempt
	next, lease time.Time
	base        int
}

var _ webhook.Store = (*memStore)(nil)

func (m *memStore) add(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := &memDelivery{next: time.Now()}
	d.a.ID, d.a.State, d.a.URL, d.a.Secret = id, anxin.DeliveryPending, "http://receiver.test/hook", "whsec_mem"
	d.a.MessageID = "msg_" + id
	d.a.Message = anxin.OutboxMessage{ID: d.a.MessageID, Type: anxin.MessageNotify, Payload: []byte(`{}`), CreatedAt: time.Now()}
	m.ds = append(m.ds, d)
}

func (m *memStore) FanOut(context.Context, int) (int, error) { return 0, nil }

func (m *memStore) ClaimDeliveries(_ context.Context, max int, lease time.Duration) ([]*anxin.DeliveryAttempt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var out []*anxin.DeliveryAttempt
	for _, d := range m.ds {
		if len(out) == max || d.a.State != anxin.DeliveryPending || d.next.After(now) || d.lease.After(now) {
			continue
		}
		d.a.Attempts++
		d.a.Try = d.a.Attempts - d.base
		d.lease = now.Add(lease)
		a := d.a
		out = append(out, &a)
	}
	return out, nil
}

func (m *memStore) RecordAttempt(_ context.Context, _ string, a *anxin.DeliveryAttempt, res anxin.DeliveryResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.ds {
		if d.a.ID == a.ID && d.a.Attempts == a.Attempts && d.a.State == anxin.DeliveryPending {
			d.a.State, d.a.LastStatus, d.a.LastError = res.State, res.Status, res.Error
			d.next, d.lease = time.Now().Add(res.RetryIn), time.Time{}
			m.results = append(m.results, res)
			return nil
		}
	}
	return anxin.Errorf(anxin.Conflict, "lease lost")
}

func (m *memStore) DeliveryCounts(context.Context) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int64{}
	for _, d := range m.ds {
		out[d.a.State]++
	}
	return out, nil
}

func (m *memStore) state(id string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.ds {
		if d.a.ID == id {
			return d.a.State
		}
	}
	return ""
}

// fakeReceiver answers in-process (synctest cannot see through real
// sockets), after an optional delay on the bubble's clock.
type fakeReceiver struct {
	mu     sync.Mutex
	times  []time.Time
	status func(n int) int
	delay  time.Duration
}

func (f *fakeReceiver) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.times = append(f.times, time.Now())
	n := len(f.times)
	f.mu.Unlock()
	if err := webhook.Verify("whsec_mem", r.Header.Get(webhook.HeaderSignature), body, time.Now(), time.Minute); err != nil {
		return nil, err
	}
	select {
	case <-time.After(f.delay):
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return &http.Response{StatusCode: f.status(n), Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
}

func (f *fakeReceiver) gaps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(f.times); i++ {
		out = append(out, f.times[i].Sub(f.times[i-1]))
	}
	return out
}

func TestBackoffTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memStore{}
		store.add("d1")
		rc := &fakeReceiver{status: func(n int) int {
			if n <= 4 {
				return http.StatusBadGateway
			}
			return http.StatusOK
		}}
		const poll = 100 * time.Millisecond
		s := &webhook.Sender{
			Store: store, Client: &http.Client{Transport: rc}, Poll: poll,
			BackoffBase: 10 * time.Second, BackoffCap: 30 * time.Second, MaxAttempts: 6,
			Rand: mrand.New(mrand.NewPCG(7, 7)),
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		time.Sleep(5 * time.Minute)
		cancel()
		<-done
		if st := store.state("d1"); st != anxin.DeliveryDelivered {
			t.Fatalf("state = %s; want delivered on the 5th attempt", st)
		}
		// Each gap is the backoff, within [step/2, step], plus up to one
		// poll interval; steps double from 10s and stop at the 30s cap.
		steps := []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second, 30 * time.Second}
		gaps := rc.gaps()
		if len(gaps) != len(steps) {
			t.Fatalf("attempt gaps = %v; want %d", gaps, len(steps))
		}
		for i, g := range gaps {
			if g < steps[i]/2 || g > steps[i]+poll {
				t.Errorf("gap after try %d = %v; want within [%v, %v]", i+1, g, steps[i]/2, steps[i]+poll)
			}
		}
	})
}

func TestBackoffBounds(t *testing.T) {
	s := &webhook.Sender{BackoffBase: time.Second, BackoffCap: time.Minute, Rand: mrand.New(mrand.NewPCG(1, 1))}
	for n := 1; n <= 100; n++ {
		step := min(time.Minute, time.Second<<min(n-1, 20))
		for range 20 {
			if d := s.Backoff(n); d < step/2 || d > step {
				t.Fatalf("Backoff(%d) = %v; want within [%v, %v]", n, d, step/2, step)
			}
		}
	}
	// Jitter spreads senders: 100 draws for one try are not all equal.
	seen := map[time.Duration]bool{}
	for range 100 {
		seen[s.Backoff(3)] = true
	}
	if len(seen) < 50 {
		t.Fatalf("Backoff(3) took only %d distinct values in 100 draws", len(seen))
	}
}

func TestRunFinishesInFlightAttemptOnShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memStore{}
		store.add("d1")
		rc := &fakeReceiver{delay: 3 * time.Second, status: func(int) int { return http.StatusOK }}
		s := &webhook.Sender{Store: store, Client: &http.Client{Transport: rc}, Poll: time.Second}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		time.Sleep(time.Second) // the attempt is in flight
		cancel()
		<-done
		if st := store.state("d1"); st != anxin.DeliveryDelivered {
			t.Fatalf("state after shutdown = %q; want delivered (the in-flight attempt finishes)", st)
		}
		if d := time.Since(rc.times[0]); d != 3*time.Second {
			t.Fatalf("Run returned %v after the attempt started; want when it finished (3s)", d)
		}
	})
}

func TestAttemptTimeoutIsAFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memStore{}
		store.add("d1")
		rc := &fakeReceiver{delay: time.Hour, status: func(int) int { return http.StatusOK }}
		s := &webhook.Sender{Store: store, Timeout: 2 * time.Second, Client: &http.Client{Transport: rc}}
		if _, err := s.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		if len(store.results) != 1 || store.results[0].State != anxin.DeliveryPending || store.results[0].Error != "timed out" {
			t.Fatalf("results = %+v; want one pending retry with \"timed out\"", store.results)
		}
	})
}
