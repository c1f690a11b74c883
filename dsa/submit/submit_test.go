package submit_test

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/dsa"
	"anxin/dsa/submit"
	"anxin/rules"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

const token = "test-token-0123456789"

// fakeDatabase implements the batch endpoint as the Transparency Database
// documents it: a bearer token, 1 to 100 statements, the whole batch
// refused with 422 when a statement is invalid (errors keyed statement_N)
// or a puid is already held (errors.existing_puids), and 201 with the
// created statements otherwise. fail lets a test inject answers first.
type fakeDatabase struct {
	mu      sync.Mutex
	held    map[string]string // puid -> uuid
	created map[string]int    // puid -> times created (must stay 1)
	calls   int
	tokens  []string
	batches [][]string
	invalid map[string]bool // puids whose statement the database finds invalid
	// fail answers the next calls before the real logic: a status, or -1
	// to accept the batch and then hang past the client's timeout.
	fail []int
}

func newFake() *fakeDatabase {
	return &fakeDatabase{held: map[string]string{}, created: map[string]int{}, invalid: map[string]bool{}}
}

func (f *fakeDatabase) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	f.tokens = append(f.tokens, r.Header.Get("Authorization"))
	var in struct {
		Statements []dsa.Submission `json:"statements"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/statements" {
		f.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		f.mu.Unlock()
		writeJSON(w, 401, map[string]any{"message": "Unauthenticated."})
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Statements) < 1 || len(in.Statements) > 100 {
		f.mu.Unlock()
		writeJSON(w, 422, map[string]any{"message": "The statements field must have between 1 and 100 items.", "errors": map[string]any{"statements": []string{"between 1 and 100"}}})
		return
	}
	var puids []string
	for _, s := range in.Statements {
		puids = append(puids, s.PUID)
	}
	f.batches = append(f.batches, puids)
	hang := false
	if len(f.fail) > 0 {
		st := f.fail[0]
		f.fail = f.fail[1:]
		if st > 0 {
			f.mu.Unlock()
			writeJSON(w, st, map[string]any{"message": "Server Error"})
			return
		}
		hang = true
	}
	errs := map[string]any{}
	for i, s := range in.Statements {
		if f.invalid[s.PUID] {
			errs[fmt.Sprintf("statement_%d", i)] = map[string][]string{"decision_ground": {"The selected decision ground is invalid."}}
		} else if err := dsa.Validate(s); err != nil {
			errs[fmt.Sprintf("statement_%d", i)] = map[string][]string{"statement": {anxin.MessageOf(err)}}
		}
	}
	if len(errs) > 0 {
		f.mu.Unlock()
		writeJSON(w, 422, map[string]any{"errors": errs})
		return
	}
	var existing []string
	for _, p := range puids {
		if _, ok := f.held[p]; ok {
			existing = append(existing, p)
		}
	}
	if len(existing) > 0 {
		f.mu.Unlock()
		msg := "The platform identifier(s) are not all unique within this call."
		writeJSON(w, 422, map[string]any{"message": msg, "errors": map[string]any{"puid": []string{msg}, "existing_puids": existing}})
		return
	}
	var out []map[string]string
	for _, p := range puids {
		f.held[p] = "uuid-" + p
		f.created[p]++
		out = append(out, map[string]string{"puid": p, "uuid": "uuid-" + p})
	}
	f.mu.Unlock()
	if hang {
		<-r.Context().Done() // the batch is stored, but the answer never arrives
		return
	}
	writeJSON(w, 201, map[string]any{"statements": out})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// addStatements stores n block statements, one second apart.
func addStatements(t *testing.T, db *sqlstore.DB, start time.Time, ids ...string) {
	t.Helper()
	for i, id := range ids {
		st := anxin.Statement{ID: id, Version: 1, TargetType: "listing", TargetID: "l_" + id, Outcome: anxin.OutcomeBlock,
			Actions: []anxin.StatementAction{{Type: rules.ActInterceptPublish, StartsAt: start}}, DecisionGround: "incompatible_with_terms",
			RuleIDs: []string{"counterfeit_terms"}, Category: "intellectual_property_infringements", Reason: "The title offers replicas.",
			Source: "own_initiative", Automation: "fully", CreatedAt: start.Add(time.Duration(i) * time.Second)}
		if strings.HasPrefix(id, "allow") {
			st.Outcome, st.Actions = anxin.OutcomeAllow, nil
		}
		body, _ := json.Marshal(st)
		_, err := db.ExecContext(context.Background(), `INSERT INTO gov_statements (id, version, target_type, target_id, outcome, body, created_at)
			VALUES (?, 1, 'listing', ?, ?, ?, ?)`, id, st.TargetID, int(st.Outcome), string(body), sqlstore.MS(st.CreatedAt))
		if err != nil {
			t.Fatal(err)
		}
	}
}

type rig struct {
	db    *sqlstore.DB
	store *sqlstore.DSASubmissionService
	fake  *fakeDatabase
	sub   *submit.Submitter
	clock *anxintest.Clock

	endpoint string
}

func newRig(t *testing.T, db *sqlstore.DB, clock *anxintest.Clock) *rig {
	fake := newFake()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	store := sqlstore.NewDSASubmissionService(db)
	r := &rig{db: db, store: store, fake: fake, clock: clock, endpoint: srv.URL + "/api/v1/statements"}
	r.sub = r.submitter(store, 1)
	if err := r.sub.Check(); err != nil {
		t.Fatal(err)
	}
	return r
}

// submitter returns a submitter for the fake database on store.
func (r *rig) submitter(store submit.Store, seed uint64) *submit.Submitter {
	return &submit.Submitter{Store: store, Endpoint: r.endpoint, Token: token,
		BatchSize: 3, MaxAttempts: 3, BackoffBase: time.Minute, Timeout: 300 * time.Millisecond,
		Rand: mrand.New(mrand.NewPCG(seed, 2))}
}

// drain ticks until nothing is due.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	for range 50 {
		n, err := r.sub.Tick(context.Background())
		if err != nil {
			t.Fatalf("Tick: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("Tick never ran out of due statements")
}

func (r *rig) states(t *testing.T) map[string]*anxin.DSASubmission {
	t.Helper()
	subs, _, err := r.store.FindDSASubmissions(anxintest.As(context.Background(), anxin.RoleOperator), "", anxin.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*anxin.DSASubmission{}
	for _, s := range subs {
		out[s.StatementID] = s
	}
	return out
}

func wantState(t *testing.T, got map[string]*anxin.DSASubmission, id, state string) *anxin.DSASubmission {
	t.Helper()
	s, ok := got[id]
	if !ok {
		t.Fatalf("no submission for %s", id)
	}
	if s.State != state {
		t.Errorf("submission %s state = %s (error %q); want %s", id, s.State, s.LastError, state)
	}
	return s
}

func (f *fakeDatabase) exactlyOnce(t *testing.T, puids ...string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range puids {
		if f.created[p] != 1 {
			t.Errorf("database created %s %d times; want exactly once", p, f.created[p])
		}
	}
	for _, tok := range f.tokens {
		if tok != "Bearer "+token {
			t.Errorf("Authorization = %q; want the bearer token", tok)
		}
	}
}

func TestSubmitBatches(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db, clock)
		addStatements(t, db, clock.Now().Add(-time.Hour), "sor_a", "sor_b", "sor_c", "sor_d", "allow_e", "sor_f", "sor_g")
		r.fake.invalid["sor_c"] = true // the database refuses it: the whole batch is sent back
		r.drain(t)

		got := r.states(t)
		for _, id := range []string{"sor_a", "sor_b", "sor_d", "sor_f", "sor_g"} {
			s := wantState(t, got, id, anxin.SubmissionSubmitted)
			if s.RemoteUUID != "uuid-"+id || s.SubmittedAt == nil || s.Attempts != 1 {
				t.Errorf("%s: uuid %q, submitted_at %v, attempts %d; want the database's uuid, a time, 1 attempt (sent-back batches are not charged)", id, s.RemoteUUID, s.SubmittedAt, s.Attempts)
			}
		}
		dead := wantState(t, got, "sor_c", anxin.SubmissionDead)
		if !strings.Contains(dead.LastError, "decision_ground: The selected decision ground is invalid.") || dead.LastStatus != 422 {
			t.Errorf("dead letter error = %d %q; want the database's field message", dead.LastStatus, dead.LastError)
		}
		wantState(t, got, "allow_e", anxin.SubmissionSkipped)
		r.fake.exactlyOnce(t, "sor_a", "sor_b", "sor_d", "sor_f", "sor_g")
		for _, b := range r.fake.batches {
			if len(b) > 3 {
				t.Errorf("batch of %d; want at most BatchSize 3", len(b))
			}
		}
		// Order: the first batch holds the three oldest statements.
		if first := strings.Join(r.fake.batches[0], ","); first != "sor_a,sor_b,sor_c" {
			t.Errorf("first batch = %s; want the oldest three", first)
		}

		// Later ticks send nothing again.
		calls := r.fake.calls
		r.clock.Advance(24 * time.Hour)
		r.drain(t)
		if r.fake.calls != calls {
			t.Errorf("%d calls after everything was settled; want none", r.fake.calls-calls)
		}

		// Retrying the dead letter after the cause is fixed submits it once.
		ctx := anxintest.As(context.Background(), anxin.RoleOperator)
		if _, err := r.store.RetryDSASubmission(ctx, "sor_a", "try again"); anxin.KindOf(err) != anxin.Conflict {
			t.Errorf("RetryDSASubmission(submitted) = %v; want Conflict", err)
		}
		r.fake.mu.Lock()
		delete(r.fake.invalid, "sor_c")
		r.fake.mu.Unlock()
		if s, err := r.store.RetryDSASubmission(ctx, "sor_c", "decision ground fixed"); err != nil || s.State != anxin.SubmissionPending || s.Attempts != 0 {
			t.Fatalf("RetryDSASubmission(dead) = %+v, %v; want pending with attempts reset", s, err)
		}
		r.drain(t)
		wantState(t, r.states(t), "sor_c", anxin.SubmissionSubmitted)
		r.fake.exactlyOnce(t, "sor_a", "sor_b", "sor_c", "sor_d", "sor_f", "sor_g")
	})
}

func TestSubmitRetriesAndDuplicates(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db, clock)
		addStatements(t, db, clock.Now().Add(-time.Hour), "sor_1", "sor_2")
		// A 500, then a call the database stores but whose answer is lost
		// to the timeout, then the real answer.
		r.fake.fail = []int{500, -1}
		if _, err := r.sub.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		s := wantState(t, r.states(t), "sor_1", anxin.SubmissionFailed)
		if s.Attempts != 1 || s.LastStatus != 500 || !s.NextAt.After(clock.Now().Add(29*time.Second)) {
			t.Errorf("after a 500: attempts %d, status %d, next %v; want 1, 500, backoff of at least half the base", s.Attempts, s.LastStatus, s.NextAt)
		}
		if n, _ := r.sub.Tick(context.Background()); n != 0 {
			t.Errorf("Tick during backoff claimed %d; want 0", n)
		}
		clock.Advance(time.Minute)
		if _, err := r.sub.Tick(context.Background()); err != nil { // times out after the database stored the batch
			t.Fatal(err)
		}
		s = wantState(t, r.states(t), "sor_2", anxin.SubmissionFailed)
		if s.LastError != "timed out" {
			t.Errorf("after a timeout: error %q; want timed out", s.LastError)
		}
		clock.Advance(2 * time.Minute)
		r.drain(t)
		got := r.states(t)
		for _, id := range []string{"sor_1", "sor_2"} {
			s := wantState(t, got, id, anxin.SubmissionSubmitted)
			if s.LastStatus != 422 || s.Attempts != 3 {
				t.Errorf("%s: status %d, attempts %d; want the duplicate answer (422) on the third attempt", id, s.LastStatus, s.Attempts)
			}
		}
		r.fake.exactlyOnce(t, "sor_1", "sor_2")
	})
}

func TestSubmitGivesUp(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db, clock)
		addStatements(t, db, clock.Now().Add(-time.Hour), "sor_x")
		r.fake.fail = []int{503, 503, 503}
		for range 3 {
			if _, err := r.sub.Tick(context.Background()); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Hour)
		}
		s := wantState(t, r.states(t), "sor_x", anxin.SubmissionDead)
		if s.Attempts != 3 || !strings.Contains(s.LastError, "gave up after 3 attempts") {
			t.Errorf("dead letter: attempts %d, error %q; want 3 and the reason", s.Attempts, s.LastError)
		}
		ctx := anxintest.As(context.Background(), anxin.RoleOperator)
		if n, err := r.store.RetryDeadDSASubmissions(ctx); n != 1 || err != nil {
			t.Fatalf("RetryDeadDSASubmissions = %d, %v; want 1", n, err)
		}
		r.drain(t)
		wantState(t, r.states(t), "sor_x", anxin.SubmissionSubmitted)
		r.fake.exactlyOnce(t, "sor_x")
	})
}

// TestSubmitFindsLateStatements covers the statements a lookback window
// would miss: one committed with a timestamp well behind the newest queued
// statement (a long transaction, a replica whose clock is behind) is
// queued by the periodic sweep, once; one created before Since never is.
func TestSubmitFindsLateStatements(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db, clock)
		r.sub.Since = clock.Now().Add(-2 * time.Hour)
		r.sub.SweepEvery = time.Millisecond
		addStatements(t, db, clock.Now().Add(-3*time.Hour), "old_1") // before Since
		addStatements(t, db, clock.Now().Add(-time.Hour), "sor_new")
		r.drain(t)
		got := r.states(t)
		wantState(t, got, "sor_new", anxin.SubmissionSubmitted)
		if _, ok := got["old_1"]; ok {
			t.Errorf("old_1, created before Since, was queued")
		}

		// A statement stamped 90 minutes back commits only now: behind the
		// newest queued statement by more than the fast path's margin.
		addStatements(t, db, clock.Now().Add(-90*time.Minute), "sor_late")
		if n, err := r.store.Enqueue(context.Background(), r.sub.Since, 100); n != 0 || err != nil {
			t.Fatalf("Enqueue = %d, %v; want the fast path to miss the late statement (0) — the case the sweep exists for", n, err)
		}
		time.Sleep(2 * time.Millisecond) // SweepEvery has passed
		r.drain(t)
		got = r.states(t)
		wantState(t, got, "sor_late", anxin.SubmissionSubmitted)
		if _, ok := got["old_1"]; ok {
			t.Errorf("old_1, created before Since, was queued by the sweep")
		}
		r.fake.exactlyOnce(t, "sor_new", "sor_late")
	})
}

// TestSince: the first start stores now, later starts keep it, and an
// explicit value (the zero time for all) replaces it.
func TestSince(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		store := sqlstore.NewDSASubmissionService(db)
		ctx := context.Background()
		first := clock.Now()
		steps := []struct {
			name string
			want time.Time
			set  bool
			then time.Time
		}{
			{"first start stores now", time.Time{}, false, first},
			{"a later start keeps it", time.Time{}, false, first},
			{"an explicit day replaces it", first.Add(-48 * time.Hour), true, first.Add(-48 * time.Hour)},
			{"all", time.Time{}, true, time.Time{}},
			{"all is kept", time.Time{}, false, time.Time{}},
		}
		for _, st := range steps {
			got, err := store.Since(ctx, st.want, st.set)
			if err != nil || !got.Equal(st.then) {
				t.Errorf("%s: Since(%v, %v) = %v, %v; want %v", st.name, st.want, st.set, got, err, st.then)
			}
			clock.Advance(time.Hour)
		}
	})
}

// TestSubmitReplicas runs three submitters, each on its own pool as three
// replicas would, over 40 statements: each is created in the database
// exactly once.
func TestSubmitReplicas(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.RunReplicas(t, clock, 3, func(t *testing.T, dbs []*sqlstore.DB) {
		r := newRig(t, dbs[0], clock)
		var ids []string
		for i := range 40 {
			ids = append(ids, fmt.Sprintf("sor_%02d", i))
		}
		addStatements(t, dbs[0], clock.Now().Add(-time.Hour), ids...)
		var wg sync.WaitGroup
		for i, db := range dbs {
			s := r.submitter(sqlstore.NewDSASubmissionService(db), uint64(i))
			wg.Go(func() {
				for range 40 {
					if _, err := s.Tick(context.Background()); err != nil && anxin.KindOf(err) != anxin.Conflict {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		got := r.states(t)
		for _, id := range ids {
			wantState(t, got, id, anxin.SubmissionSubmitted)
		}
		r.fake.exactlyOnce(t, ids...)
	})
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, endpoint, token string
		batch                 int
		want                  string // part of the message; "" for ok
	}{
		{"https", "https://db.example/api/v1/statements", "t", 0, ""},
		{"loopback http", "http://127.0.0.1:9/api/v1/statements", "t", 100, ""},
		{"localhost http", "http://localhost:9/api/v1/statements", "t", 0, ""},
		{"plain http elsewhere", "http://db.example/api/v1/statements", "t", 0, "must use https"},
		{"empty token", "https://db.example/api/v1/statements", "", 0, "token is empty"},
		{"credentials in URL", "https://u:p@db.example/api/v1/statements", "t", 0, "without credentials"},
		{"relative", "/api/v1/statements", "t", 0, "absolute URL"},
		{"other scheme", "ftp://db.example/x", "t", 0, "https URL"},
		{"batch too big", "https://db.example/api/v1/statements", "t", 101, "between 1 and 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&submit.Submitter{Endpoint: tt.endpoint, Token: tt.token, BatchSize: tt.batch}).Check()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check() = %v; want nil", err)
			case tt.want != "" && (anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.want)):
				t.Errorf("Check() = %v; want Invalid containing %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "u:p"):
				t.Errorf("Check() = %v; the error repeats the credentials", err)
			}
		})
	}
}
