package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/webhook"
)

func newClock() *anxintest.Clock {
	return anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
}

var operator = anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k_op", Role: anxin.RoleOperator})

// receiver is a marketplace endpoint as the docs tell one to write it: it
// verifies the signature, dedupes on Anxin-Webhook-Id and applies each
// action once. Respond decides the status per request (after the action was
// applied, so a non-2xx can model a lost acknowledgement).
type receiver struct {
	clock   anxin.Clock
	secret  string
	delay   time.Duration
	respond func(n int, firstTime bool) int // n counts requests from 1

	mu       sync.Mutex
	requests []request
	applied  map[string]int // message id → times its action took effect
	badSigs  int
}

type request struct {
	header      http.Header
	id, attempt string
	env         webhook.Envelope
	body        []byte
	status      int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if rc.delay > 0 {
		time.Sleep(rc.delay)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := webhook.Verify(rc.secret, r.Header.Get(webhook.HeaderSignature), body, rc.clock.Now(), webhook.DefaultTolerance); err != nil {
		rc.badSigs++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	ts, _ := strconv.ParseInt(r.Header.Get(webhook.HeaderTimestamp), 10, 64)
	if webhook.Sign(rc.secret, ts, body) != r.Header.Get(webhook.HeaderSignature) ||
		webhook.VerifyStandard(rc.secret, r.Header.Get(webhook.HeaderStandardID), r.Header.Get(webhook.HeaderStandardTimestamp),
			r.Header.Get(webhook.HeaderStandardSignature), body, rc.clock.Now(), webhook.DefaultTolerance) != nil {
		rc.badSigs++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var env webhook.Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.ID != r.Header.Get(webhook.HeaderID) {
		rc.badSigs++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if rc.applied == nil {
		rc.applied = map[string]int{}
	}
	first := rc.applied[env.ID] == 0
	status := http.StatusOK
	if rc.respond != nil {
		status = rc.respond(len(rc.requests)+1, first)
	}
	if status >= 200 && status < 300 || status == 599 { // 599: applied, then the answer was lost
		if first {
			rc.applied[env.ID]++
		}
		if status == 599 {
			status = http.StatusGatewayTimeout
		}
	}
	rc.requests = append(rc.requests, request{header: r.Header.Clone(), id: r.Header.Get(webhook.HeaderID), attempt: r.Header.Get(webhook.HeaderAttempt), env: env, body: body, status: status})
	w.WriteHeader(status)
}

func (rc *receiver) snapshot() ([]request, map[string]int, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	applied := map[string]int{}
	for k, v := range rc.applied {
		applied[k] = v
	}
	return append([]request(nil), rc.requests...), applied, rc.badSigs
}

type fixture struct {
	db     *sqlstore.DB
	store  *sqlstore.WebhookService
	sender *webhook.Sender
	clock  *anxintest.Clock
}

func newFixture(t *testing.T, db *sqlstore.DB, clock *anxintest.Clock) *fixture {
	store := sqlstore.NewWebhookService(db)
	return &fixture{db: db, store: store, clock: clock, sender: &webhook.Sender{
		Store: store, Clock: clock, Worker: "w_test",
		MaxAttempts: 3, BackoffBase: time.Second, BackoffCap: 10 * time.Second, Timeout: 5 * time.Second,
		Rand: mrand.New(mrand.NewPCG(1, 2)),
	}}
}

// hook creates a webhook pointing at a new receiver.
func (f *fixture) hook(t *testing.T, types ...string) (*anxin.Webhook, *receiver) {
	t.Helper()
	rc := &receiver{clock: f.clock}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	w := &anxin.Webhook{URL: srv.URL + "/anxin?tenant=t1", Types: types}
	if err := f.store.CreateWebhook(operator, w); err != nil {
		t.Fatal(err)
	}
	rc.secret = w.Secret
	return w, rc
}

func (f *fixture) enqueue(t *testing.T, typ, key string) string {
	t.Helper()
	var id string
	err := f.db.Transact(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		id, err = sqlstore.Enqueue(context.Background(), tx, typ, "subj_"+key, key, map[string]string{"ref": key})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) tick(t *testing.T) int {
	t.Helper()
	n, err := f.sender.Tick(context.Background())
	if err != nil {
		t.Fatalf("Tick: %v", err)
	}
	return n
}

func (f *fixture) deliveries(t *testing.T, state string) []*anxin.Delivery {
	t.Helper()
	ds, _, err := f.store.FindDeliveries(operator, state, anxin.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestDeliverSigned(t *testing.T) {
	clock := newClock()
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, clock)
		_, rc := f.hook(t)
		id := f.enqueue(t, anxin.MessageDelistListing, "l_1")
		if n := f.tick(t); n != 2 { // one message fanned out, one attempt
			t.Fatalf("Tick = %d; want 2", n)
		}
		reqs, applied, bad := rc.snapshot()
		if bad != 0 || len(reqs) != 1 {
			t.Fatalf("receiver saw %d requests, %d bad; want 1 good", len(reqs), bad)
		}
		env := reqs[0].env
		if reqs[0].id != id || env.ID != id || env.Type != anxin.MessageDelistListing || env.SubjectID != "subj_l_1" ||
			!env.CreatedAt.Equal(clock.Now()) || string(env.Payload) != `{"ref":"l_1"}` || reqs[0].attempt != "1" || applied[id] != 1 {
			t.Fatalf("receiver got %+v; want message %s, listing.delist, subj_l_1, its payload, attempt 1", reqs[0], id)
		}
		checkGolden(t, "testdata/delivery.golden.json", reqs[0].body)
		ds := f.deliveries(t, anxin.DeliveryDelivered)
		if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].LastStatus != 200 || ds[0].DeliveredAt == nil {
			t.Fatalf("deliveries = %+v; want one delivered after 1 attempt", ds)
		}
		if n := f.tick(t); n != 0 {
			t.Fatalf("Tick with nothing due = %d; want 0", n)
		}
	})
}

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// checkGolden compares got with the golden file, or rewrites it with -update.
// The delivery body is a public contract: a diff here is an API change.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("delivery body differs from %s:\n got %s\nwant %s", path, got, want)
	}
}

func TestRetryKeepsOneIDAndReceiverDedupes(t *testing.T) {
	clock := newClock()
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, clock)
		_, rc := f.hook(t)
		// Request 1 fails before the action; request 2 applies it but the
		// answer is lost (504); request 3 is a duplicate the receiver
		// recognises and acknowledges without acting again.
		rc.respond = func(n int, first bool) int {
			switch n {
			case 1:
				return http.StatusInternalServerError
			case 2:
				return 599
			}
			return http.StatusOK
		}
		id := f.enqueue(t, anxin.MessagePayBuyer, "claim_7")
		f.tick(t)
		if n := f.tick(t); n != 0 {
			t.Fatalf("Tick before the backoff ended = %d; want 0", n)
		}
		clock.Advance(time.Second) // backoff after try 1 is within [0.5s, 1s]
		if n := f.tick(t); n != 1 {
			t.Fatalf("Tick after 1s = %d; want the second attempt", n)
		}
		clock.Advance(time.Second) // try 2's backoff is within [1s, 2s]: maybe not due yet
		f.tick(t)
		clock.Advance(time.Second)
		f.tick(t)
		reqs, applied, bad := rc.snapshot()
		if len(reqs) != 3 || bad != 0 {
			t.Fatalf("receiver saw %d requests (%d bad); want 3", len(reqs), bad)
		}
		for i, r := range reqs {
			if r.id != id || r.attempt != strconv.Itoa(i+1) {
				t.Errorf("request %d: id %s attempt %s; want id %s attempt %d", i+1, r.id, r.attempt, id, i+1)
			}
		}
		if applied[id] != 1 {
			t.Fatalf("the action took effect %d times; want exactly once", applied[id])
		}
		ds := f.deliveries(t, "")
		if len(ds) != 1 || ds[0].State != anxin.DeliveryDelivered || ds[0].Attempts != 3 {
			t.Fatalf("deliveries = %+v; want one delivered after 3 attempts", ds)
		}
		_, log, err := f.store.FindAttempts(operator, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var statuses []int
		for _, a := range log {
			statuses = append(statuses, a.Status)
			if a.Worker != "w_test" {
				t.Errorf("attempt %+v; want worker w_test", a)
			}
		}
		if len(statuses) != 3 || statuses[0] != 500 || statuses[1] != 504 || statuses[2] != 200 {
			t.Fatalf("attempt log statuses = %v; want [500 504 200]", statuses)
		}
	})
}

func TestPermanentFailureGoesDeadAndRedelivers(t *testing.T) {
	clock := newClock()
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, clock)
		_, rc := f.hook(t)
		down := true
		rc.respond = func(int, bool) int {
			if down {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		}
		id := f.enqueue(t, anxin.MessageRestrictMerchant, "m_9")
		for range 10 {
			f.tick(t)
			clock.Advance(10 * time.Second)
		}
		reqs, applied, _ := rc.snapshot()
		if len(reqs) != 3 || applied[id] != 0 {
			t.Fatalf("receiver saw %d requests; want MaxAttempts = 3", len(reqs))
		}
		dead := f.deliveries(t, anxin.DeliveryDead)
		if len(dead) != 1 || dead[0].Attempts != 3 || dead[0].LastStatus != 503 || dead[0].LastError != "HTTP 503" {
			t.Fatalf("dead = %+v; want one delivery dead after 3 attempts with HTTP 503", dead)
		}
		rc.mu.Lock()
		down = false
		rc.mu.Unlock()
		if err := f.store.Redeliver(operator, dead[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Redeliver(operator, dead[0].ID); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("Redeliver(pending) = %v; want NotFound", err)
		}
		f.tick(t)
		reqs, applied, _ = rc.snapshot()
		if len(reqs) != 4 || reqs[3].id != id || reqs[3].attempt != "1" || applied[id] != 1 {
			t.Fatalf("after redelivery the receiver saw %+v; want a 4th request for %s as try 1", reqs, id)
		}
		ds := f.deliveries(t, anxin.DeliveryDelivered)
		if len(ds) != 1 || ds[0].Attempts != 4 {
			t.Fatalf("delivered = %+v; want one, 4 attempts in all", ds)
		}
	})
}

func TestTypeFilter(t *testing.T) {
	clock := newClock()
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, clock)
		_, listings := f.hook(t, "listing.*")
		_, payouts := f.hook(t, anxin.MessagePayBuyer)
		_, all := f.hook(t, "*")
		delist := f.enqueue(t, anxin.MessageDelistListing, "l_1")
		ban := f.enqueue(t, anxin.MessageBanListing, "l_2")
		pay := f.enqueue(t, anxin.MessagePayBuyer, "c_1")
		notify := f.enqueue(t, anxin.MessageNotify, "n_1")
		for f.tick(t) > 0 {
		}
		for _, tt := range []struct {
			name string
			rc   *receiver
			want []string
		}{
			{"listing.*", listings, []string{delist, ban}},
			{"buyer.pay", payouts, []string{pay}},
			{"*", all, []string{delist, ban, pay, notify}},
		} {
			_, applied, _ := tt.rc.snapshot()
			if len(applied) != len(tt.want) {
				t.Errorf("webhook %s received %v; want %v", tt.name, applied, tt.want)
			}
			for _, id := range tt.want {
				if applied[id] != 1 {
					t.Errorf("webhook %s: %s applied %d times; want 1", tt.name, id, applied[id])
				}
			}
		}
	})
}

func TestTransportErrorsRetryWithoutLeakingURL(t *testing.T) {
	clock := newClock()
	db := sqltest.OpenSQLite(t, clock)
	f := newFixture(t, db, clock)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook?token=s3cr3t"
	srv.Close() // nothing listens there any more
	w := &anxin.Webhook{URL: url}
	if err := f.store.CreateWebhook(operator, w); err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, anxin.MessageNotify, "x")
	f.tick(t)
	ds := f.deliveries(t, anxin.DeliveryPending)
	if len(ds) != 1 || ds[0].LastStatus != 0 || ds[0].LastError == "" {
		t.Fatalf("deliveries = %+v; want one pending with a transport error", ds)
	}
	for _, secret := range []string{"s3cr3t", "/hook", w.Secret} {
		if contains(ds[0].LastError, secret) {
			t.Fatalf("recorded error %q reveals %q", ds[0].LastError, secret)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestTwoSendersDeliverExactlyOnce runs two senders, each on its own
// connection pool as two replicas would, against one database and counts
// what the receiver sees: every message once, no attempt sent twice.
func TestTwoSendersDeliverExactlyOnce(t *testing.T) {
	sqltest.RunReplicas(t, nil, 2, func(t *testing.T, dbs []*sqlstore.DB) {
		const messages = 300
		f := newFixture(t, dbs[0], nil)
		f.clock = nil
		_, rc := f.hook(t)
		rc.clock = anxin.SystemClock{}
		rc.delay = time.Millisecond
		for i := range messages {
			f.enqueue(t, anxin.MessageNotify, "n_"+strconv.Itoa(i))
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i, db := range dbs {
			s := &webhook.Sender{Store: sqlstore.NewWebhookService(db), Worker: "w" + strconv.Itoa(i), Poll: 5 * time.Millisecond, Concurrency: 4}
			wg.Go(func() { s.Run(ctx) })
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			counts, err := f.store.DeliveryCounts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if counts[anxin.DeliveryDelivered] == messages {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 60s: %v; want %d delivered", counts, messages)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		reqs, applied, bad := rc.snapshot()
		if len(reqs) != messages || len(applied) != messages || bad != 0 {
			t.Fatalf("receiver saw %d requests for %d messages (%d bad); want %d each", len(reqs), len(applied), bad, messages)
		}
		perID := map[string]int{}
		for _, r := range reqs {
			perID[r.id]++
		}
		for id, n := range perID {
			if n != 1 {
				t.Errorf("message %s was sent %d times", id, n)
			}
		}
		var workers int
		dbs[0].QueryRowContext(context.Background(), `SELECT COUNT(DISTINCT worker) FROM delivery_attempts`).Scan(&workers)
		t.Logf("%d deliveries shared by %d workers", messages, workers)
	})
}

func TestSenderMetrics(t *testing.T) {
	clock := newClock()
	db := sqltest.OpenSQLite(t, clock)
	f := newFixture(t, db, clock)
	_, rc := f.hook(t)
	rc.respond = func(n int, _ bool) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(f.sender)
	f.enqueue(t, anxin.MessageNotify, "a")
	f.tick(t)
	clock.Advance(time.Minute)
	f.tick(t)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			switch {
			case m.GetCounter() != nil:
				got[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[name] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				got[name] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		"anxin_webhook_attempts_total/failed":    1,
		"anxin_webhook_attempts_total/delivered": 1,
		"anxin_webhook_attempt_seconds":          2,
		"anxin_webhook_delivery_latency_seconds": 1,
		"anxin_webhook_deliveries/delivered":     1,
		"anxin_webhook_deliveries/pending":       0,
		"anxin_webhook_deliveries/dead":          0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("metric %s = %v; want %v", k, got[k], v)
		}
	}
}
