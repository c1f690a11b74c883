package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/dsa"
	"anxin/sqlstore"
)

const dsaTestToken = "dsa-secret-token-0123456789"

// transparencyDB stands in for the DSA Transparency Database's batch
// endpoint: it checks the bearer token, answers 503 to the first call, then
// creates each puid once (422 with existing_puids for one it holds).
type transparencyDB struct {
	mu      sync.Mutex
	calls   int
	created map[string]int
	bad     []string // Authorization headers that were not the token
}

func (f *transparencyDB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if r.Header.Get("Authorization") != "Bearer "+dsaTestToken {
		f.bad = append(f.bad, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if f.calls == 1 {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var in struct{ Statements []dsa.Submission }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Statements) == 0 || len(in.Statements) > 100 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	var held []string
	for _, s := range in.Statements {
		if f.created[s.PUID] > 0 {
			held = append(held, s.PUID)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if len(held) > 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]any{"message": "taken", "errors": map[string]any{"existing_puids": held}})
		return
	}
	var out []map[string]string
	for _, s := range in.Statements {
		f.created[s.PUID]++
		out = append(out, map[string]string{"puid": s.PUID, "uuid": "uuid-" + s.PUID})
	}
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"statements": out})
}

func (f *transparencyDB) count(puid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.created[puid]
}

// runDSAMain opens and runs the wired program on dsn with cfg, logging to
// logs; stop cancels it and waits for Run to return.
func runDSAMain(t *testing.T, dsn string, cfg DSAConfig, logs *bytes.Buffer) (m *Main, stop func()) {
	t.Helper()
	m = NewMain()
	m.Config.DSN, m.Config.Addr, m.Config.Migrate, m.Config.DSA = dsn, "127.0.0.1:0", true, cfg
	m.Logger = slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		cancel()
		m.Close()
		t.Fatal(err)
	}
	if m.Submitter != nil {
		m.Submitter.Poll, m.Submitter.BackoffBase, m.Submitter.BackoffCap = 20*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond
	}
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, ready) }()
	<-ready
	return m, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		m.Close()
	}
}

// blockListing checks a counterfeit listing through the wired governance
// service and returns its statement's puid.
func blockListing(t *testing.T, m *Main, id string) string {
	t.Helper()
	ctx := anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k", Role: anxin.RolePlatform})
	ds, err := m.HTTPServer.Governance.CheckListings(ctx, []*anxin.ListingCheck{{ID: id, MerchantID: "m_" + id, Title: "高仿 LV 包 " + id}})
	if err != nil || ds[0].StatementID == "" {
		t.Fatalf("CheckListings(%s) = %+v, %v; want a block with a statement", id, ds, err)
	}
	st, err := m.HTTPServer.Enforcement.FindStatement(ctx, ds[0].StatementID)
	if err != nil {
		t.Fatal(err)
	}
	return dsa.PUID(st)
}

// metricValue returns the value of the sample named (with labels) name,
// or -1.
func metricValue(metrics, name string) float64 {
	for line := range strings.SplitSeq(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func grepLines(text, prefix string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// scrape returns m's /metrics page.
func scrape(t *testing.T, m *Main) string {
	t.Helper()
	resp, err := http.Get("http://" + m.Addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func waitCreated(t *testing.T, f *transparencyDB, puid string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.count(puid) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the database never received %s", puid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeSubmitsStatements runs the wired submitter against a local
// stand-in for the database: a statement issued before the submitter was
// first turned on is not filed; one issued while it runs is, after a 503;
// one issued while the server is down is filed after the restart (the
// since instant is stored, not taken from each start). Each puid is
// created once, with the token, which never reaches the log.
func TestServeSubmitsStatements(t *testing.T) {
	fake := &transparencyDB{created: map[string]int{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dsn := filepath.Join(t.TempDir(), "anxin.db")
	cfg := DSAConfig{Endpoint: srv.URL + "/api/v1/statements", Token: dsaTestToken}
	var logs bytes.Buffer

	m, stop := runDSAMain(t, dsn, DSAConfig{}, &logs) // submission off
	if m.Submitter != nil {
		t.Fatal("a submitter runs without --dsa-endpoint")
	}
	before := blockListing(t, m, "l_before")
	stop()
	time.Sleep(5 * time.Millisecond)

	m, stop = runDSAMain(t, dsn, cfg, &logs)
	during := blockListing(t, m, "l_during")
	waitCreated(t, fake, during)
	var metrics string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if metrics = scrape(t, m); strings.Contains(metrics, `anxin_dsa_submission_states{state="submitted"} 1`) {
			break // recorded after the database answered
		}
	}
	stop()
	// Every statement of the block went in the first batch: answered 503
	// (retried), then 201 (submitted).
	submitted := metricValue(metrics, `anxin_dsa_submission_states{state="submitted"}`)
	if submitted < 1 || metricValue(metrics, `anxin_dsa_submissions_total{result="submitted"}`) != submitted ||
		metricValue(metrics, `anxin_dsa_submissions_total{result="retried"}`) != submitted ||
		metricValue(metrics, `anxin_dsa_statements_queued_total{path="new"}`)+metricValue(metrics, `anxin_dsa_statements_queued_total{path="sweep"}`) != submitted ||
		metricValue(metrics, `anxin_dsa_queue_depth`) != 0 {
		t.Errorf("/metrics after one retried batch:\n%s", grepLines(metrics, "anxin_dsa_"))
	}

	m, stop = runDSAMain(t, dsn, DSAConfig{}, &logs) // down for DSA: an outage
	outage := blockListing(t, m, "l_outage")
	stop()

	m, stop = runDSAMain(t, dsn, cfg, &logs)
	waitCreated(t, fake, outage)
	ctx := anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k", Role: anxin.RoleOperator})
	subs, _, err := m.HTTPServer.Submissions.FindDSASubmissions(ctx, "", anxin.Page{Limit: 50})
	stop()
	if err != nil {
		t.Fatal(err)
	}

	if n := fake.count(before); n != 0 {
		t.Errorf("statement from before --dsa-endpoint was first given created %d times; want 0", n)
	}
	for _, p := range []string{during, outage} {
		if n := fake.count(p); n != 1 {
			t.Errorf("%s created %d times; want 1", p, n)
		}
	}
	if len(fake.bad) > 0 {
		t.Errorf("calls without the token: %q", fake.bad)
	}
	states := map[string]string{}
	for _, s := range subs {
		states[s.PUID] = s.State
	}
	if states[during] != anxin.SubmissionSubmitted || states[outage] != anxin.SubmissionSubmitted || states[before] != "" {
		t.Errorf("submission states = %v; want during and outage submitted, before not queued", states)
	}
	if strings.Contains(logs.String(), dsaTestToken) {
		t.Error("the token was logged")
	}
}

// TestServeRefusesBadDSAConfig: Open refuses each configuration with a
// message naming the flag, before a database is created, and never repeats
// the token.
func TestServeRefusesBadDSAConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  DSAConfig
		want string
	}{
		{"no token", DSAConfig{Endpoint: "https://db.example/api/v1/statements"}, "token is empty"},
		{"plain http", DSAConfig{Endpoint: "http://db.example/api/v1/statements", Token: dsaTestToken}, "must use https"},
		{"bad since", DSAConfig{Endpoint: "https://db.example/api/v1/statements", Token: dsaTestToken, Since: "yesterday"}, "--dsa-since must be"},
		{"batch too big", DSAConfig{Endpoint: "https://db.example/api/v1/statements", Token: dsaTestToken, Batch: 500}, "between 1 and 100"},
		{"since without endpoint", DSAConfig{Since: "all"}, "give --dsa-endpoint"},
		{"bad scope", DSAConfig{Endpoint: "https://db.example/api/v1/statements", Token: dsaTestToken, Scope: "XX"}, "territorial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMain()
			m.Config.DSN, m.Config.Migrate, m.Config.DSA = filepath.Join(t.TempDir(), "anxin.db"), true, tt.cfg
			err := m.Open(context.Background())
			m.Close()
			if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(strings.ToLower(anxin.MessageOf(err)), strings.ToLower(tt.want)) {
				t.Fatalf("Open = %v; want Invalid containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), dsaTestToken) {
				t.Errorf("Open = %v; the error repeats the token", err)
			}
			if m.DB != nil {
				t.Error("Open opened the database before refusing the configuration")
			}
		})
	}
}

func TestDSASince(t *testing.T) {
	tests := []struct {
		in   string
		set  bool
		want time.Time
	}{
		{"", false, time.Time{}},
		{"all", true, time.Time{}},
		{"2026-03-01", true, time.Date(2026, 3, 1, 0, 0, 0, 0, anxin.MarketplaceTZ)},
		{"2026-03-01T10:00:00Z", true, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, set, err := DSAConfig{Since: tt.in}.since()
		if err != nil || set != tt.set || !got.Equal(tt.want) {
			t.Errorf("since(%q) = %v, %v, %v; want %v, %v", tt.in, got, set, err, tt.want, tt.set)
		}
	}
}

// TestServeAuditsRetry: in the wired program (the vault configured), an
// operator's retry of a dead letter over the API is in the audit chain
// with the operator's key and the note.
func TestServeAuditsRetry(t *testing.T) {
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer refuse.Close()
	var logs bytes.Buffer
	m, stop := runDSAMain(t, filepath.Join(t.TempDir(), "anxin.db"), DSAConfig{Endpoint: refuse.URL + "/api/v1/statements", Token: dsaTestToken, Since: "all"}, &logs)
	defer stop()
	puid := blockListing(t, m, "l_audit")
	ctx := anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k", Role: anxin.RoleOperator})
	var dead *anxin.DSASubmission
	for deadline := time.Now().Add(10 * time.Second); dead == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the refused statement never became a dead letter")
		}
		subs, _, err := m.HTTPServer.Submissions.FindDSASubmissions(ctx, anxin.SubmissionDead, anxin.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			if s.PUID == puid {
				dead = s
			}
		}
	}
	keys := sqlstore.NewKeyService(m.DB)
	opKey, op, err := keys.CreateKey(context.Background(), "Ops Olga", anxin.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "http://"+m.Addr.String()+"/v1/statements/submissions/"+dead.StatementID+"/retry", strings.NewReader(`{"note":"registered the platform"}`))
	req.Header.Set("Authorization", "Bearer "+opKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("retry = %d; want 200", resp.StatusCode)
	}
	actx := anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "a", Role: anxin.RoleAuditor})
	events, err := m.HTTPServer.Privacy.FindAudit(actx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		if e.Action == "dsa_retry" && e.ActorKey == op.KeyID && strings.Contains(e.Detail, dead.StatementID) && strings.Contains(e.Detail, "registered the platform") {
			found = true
		}
	}
	if !found {
		t.Errorf("no dsa_retry audit event by %s with the statement and note in %d events", op.KeyID, len(events))
	}
}
