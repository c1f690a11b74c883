package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"anxin"
	"anxin/anxintest/testserver"
	"anxin/dsa/submit"
	"anxin/sqlstore"

	"github.com/google/go-cmp/cmp"
)

// newSubmissionServer is a governance server with submissions wired, and
// two statements sent to a stand-in database: the first statement's batch
// is refused with a 400 (dead letters), then, once the stand-in accepts,
// the next statement is submitted. It returns the dead and submitted ids.
func newSubmissionServer(t *testing.T) (g *govServer, dead []string, submitted string) {
	t.Helper()
	ctx := context.Background()
	g = newGovernanceServer(t, []anxin.Role{anxin.RolePlatform, anxin.RoleOperator, anxin.RoleAuditor, anxin.MerchantRole("m1")},
		testserver.Governance, func(s *testserver.Server) { s.API.Submissions = sqlstore.NewDSASubmissionService(s.DB) })
	store := g.ts.API.Submissions.(*sqlstore.DSASubmissionService)

	status := http.StatusBadRequest
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		if status == http.StatusCreated {
			io.WriteString(w, `{"statements":[]}`)
		} else {
			io.WriteString(w, `{"message":"The batch is malformed."}`)
		}
	}))
	t.Cleanup(endpoint.Close)
	sub := &submit.Submitter{Store: store, Endpoint: endpoint.URL + "/api/v1/statements", Token: "t0ken"}
	tick := func() {
		for range 10 {
			if n, err := sub.Tick(ctx); err != nil {
				t.Fatal(err)
			} else if n == 0 {
				return
			}
		}
	}
	var d decision
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"高仿 LV 包","merchant_id":"m1"}`, &d); code != 200 || d.StatementID == "" {
		t.Fatalf("check = %d %+v; want a block with a statement", code, d)
	}
	tick()
	status = http.StatusCreated
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"l2","title":"高仿 LV 包 二","merchant_id":"m1"}`, &d); code != 200 || d.StatementID == "" {
		t.Fatalf("check = %d %+v; want a block with a statement", code, d)
	}
	tick()
	var list submissionList
	g.do("operator", "GET", "/v1/statements/submissions", "", &list)
	for _, s := range list.Submissions {
		switch s.State {
		case anxin.SubmissionDead:
			dead = append(dead, s.StatementID)
		case anxin.SubmissionSubmitted:
			submitted = s.StatementID
		}
	}
	if len(dead) == 0 || submitted == "" {
		t.Fatalf("submissions = %+v; want dead letters and a submitted statement", list.Submissions)
	}
	return g, dead, submitted
}

type submissionList struct {
	Submissions []*anxin.DSASubmission `json:"submissions"`
	NextCursor  string                 `json:"next_cursor"`
}

func (g *govServer) submission(id string) *anxin.DSASubmission {
	g.t.Helper()
	var list submissionList
	if code := g.do("operator", "GET", "/v1/statements/submissions?limit=500", "", &list); code != 200 {
		g.t.Fatalf("list = %d", code)
	}
	for _, s := range list.Submissions {
		if s.StatementID == id {
			return s
		}
	}
	g.t.Fatalf("no submission for %s", id)
	return nil
}

func TestSubmissionRoutes(t *testing.T) {
	g, dead, submitted := newSubmissionServer(t)

	// Listing: the dead letters carry the database's answer; state filters.
	var deadList submissionList
	if code := g.do("auditor", "GET", "/v1/statements/submissions?state=dead", "", &deadList); code != 200 || len(deadList.Submissions) != len(dead) {
		t.Fatalf("list dead = %d, %d items; want 200 and the %d dead letters", code, len(deadList.Submissions), len(dead))
	}
	for _, s := range deadList.Submissions {
		if s.State != anxin.SubmissionDead || s.LastStatus != 400 || !strings.Contains(s.LastError, "The batch is malformed.") || s.Attempts != 1 {
			t.Errorf("dead letter %+v; want state dead, status 400 with the database's message, 1 attempt", s)
		}
	}
	// Paging one at a time gives every submission once.
	seen, cursor := map[string]bool{}, ""
	for range 20 {
		var p submissionList
		if code := g.do("platform", "GET", "/v1/statements/submissions?limit=1&cursor="+cursor, "", &p); code != 200 {
			t.Fatalf("page = %d", code)
		}
		for _, s := range p.Submissions {
			seen[s.StatementID] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	var all submissionList
	g.do("operator", "GET", "/v1/statements/submissions?limit=500", "", &all)
	if len(seen) != len(all.Submissions) {
		t.Errorf("paging one at a time saw %d submissions; want the %d of one page", len(seen), len(all.Submissions))
	}

	before := g.submission(dead[0])
	bad := []struct {
		name, role, method, path, body string
		want                           int
	}{
		{"unknown state", "operator", "GET", "/v1/statements/submissions?state=lost", "", 400},
		{"bad cursor", "operator", "GET", "/v1/statements/submissions?cursor=abc", "", 400},
		{"bad limit", "operator", "GET", "/v1/statements/submissions?limit=0", "", 400},
		{"merchant lists", "merchant:m1", "GET", "/v1/statements/submissions", "", 403},
		{"unknown statement", "operator", "POST", "/v1/statements/submissions/sor_nope/retry", `{"note":"fixed"}`, 404},
		{"not dead", "operator", "POST", "/v1/statements/submissions/" + submitted + "/retry", `{"note":"again"}`, 409},
		{"no note", "operator", "POST", "/v1/statements/submissions/" + dead[0] + "/retry", `{"note":"  "}`, 400},
		{"note too long", "operator", "POST", "/v1/statements/submissions/" + dead[0] + "/retry", `{"note":"` + strings.Repeat("x", anxin.MaxRetryNote+1) + `"}`, 400},
		{"malformed body", "operator", "POST", "/v1/statements/submissions/" + dead[0] + "/retry", `{"note":`, 400},
		{"unknown field", "operator", "POST", "/v1/statements/submissions/" + dead[0] + "/retry", `{"note":"x","state":"submitted"}`, 400},
		{"platform retries", "platform", "POST", "/v1/statements/submissions/" + dead[0] + "/retry", `{"note":"x"}`, 403},
		{"auditor retries", "auditor", "POST", "/v1/statements/submissions/" + dead[0] + "/retry", `{"note":"x"}`, 403},
	}
	for _, tt := range bad {
		var e struct {
			Error struct{ Kind, Message string }
		}
		if code := g.do(tt.role, tt.method, tt.path, tt.body, &e); code != tt.want || e.Error.Message == "" {
			t.Errorf("%s: %s %s = %d %+v; want %d with a message", tt.name, tt.method, tt.path, code, e, tt.want)
		}
	}
	if diff := cmp.Diff(before, g.submission(dead[0])); diff != "" {
		t.Errorf("refused retries changed the dead letter (-before +after):\n%s", diff)
	}
	if s := g.submission(submitted); s.State != anxin.SubmissionSubmitted || s.RetryNote != "" {
		t.Errorf("the submitted statement after a refused retry: %+v", s)
	}

	// Retrying a dead letter re-queues it with the actor and note.
	var got anxin.DSASubmission
	if code := g.do("operator", "POST", "/v1/statements/submissions/"+dead[0]+"/retry", `{"note":"endpoint fixed by the platform team"}`, &got); code != 200 {
		t.Fatalf("retry = %d", code)
	}
	if got.State != anxin.SubmissionPending || got.Attempts != 0 || got.RetriedBy != string(anxin.RoleOperator) ||
		got.RetryNote != "endpoint fixed by the platform team" || got.RetriedAt == nil {
		t.Errorf("retried = %+v; want pending, attempts reset, the operator and the note", got)
	}
	if code := g.do("operator", "POST", "/v1/statements/submissions/"+dead[0]+"/retry", `{"note":"again"}`, nil); code != 409 {
		t.Errorf("second retry = %d; want 409: it is no longer dead", code)
	}
}
