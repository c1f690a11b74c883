package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"anxin"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

type govServer struct {
	t    testing.TB
	url  string
	keys map[string]string
	db   *sqlstore.DB
}

func newGovServer(t testing.TB) *govServer {
	t.Helper()
	db := sqltest.OpenSQLite(t, nil)
	gov := sqlstore.NewGovernanceService(db)
	if err := gov.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := anxinhttp.NewServer()
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.RateLimit = 1e6
	ks := sqlstore.NewKeyService(db)
	s.Keys = ks
	s.Governance, s.Reviews, s.Enforcement = gov, gov, gov
	s.Evals = sqlstore.EvalService{DB: db, Governance: gov}
	s.Backtests = gov
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	g := &govServer{t: t, url: ts.URL, keys: map[string]string{}, db: db}
	for _, r := range []anxin.Role{anxin.RolePlatform, anxin.RoleOperator, anxin.RoleReviewer, anxin.MerchantRole("m1"), anxin.MerchantRole("m2")} {
		k, _, err := ks.CreateKey(context.Background(), string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		g.keys[string(r)] = k
	}
	return g
}

// do sends a request as role and decodes the JSON answer into out (if not
// nil); it returns the status.
func (g *govServer) do(role, method, path, body string, out any) int {
	g.t.Helper()
	req, _ := http.NewRequest(method, g.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+g.keys[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			g.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

type decision struct {
	ID            string   `json:"id"`
	Outcome       string   `json:"outcome"`
	Labels        []string `json:"labels"`
	Reasons       []string `json:"reasons"`
	PolicyVersion int      `json:"policy_version"`
	StatementID   string   `json:"statement_id"`
	CaseID        string   `json:"case_id"`
	ReasonCode    string   `json:"reason_code"`
	Evidence      []struct {
		Quote      string `json:"quote"`
		Start, End int
	} `json:"evidence"`
}

func TestGovernanceHTTPChecks(t *testing.T) {
	g := newGovServer(t)
	var d decision
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"髙 仿 LV 包","merchant_id":"m1"}`, &d); code != 200 {
		t.Fatalf("check = %d", code)
	}
	if d.ID != "l1" || d.Outcome != "block" || d.PolicyVersion != 1 || d.StatementID == "" || len(d.Evidence) == 0 || len(d.Reasons) == 0 {
		t.Fatalf("decision = %+v", d)
	}
	title := "髙 仿 LV 包"
	if e := d.Evidence[0]; title[e.Start:e.End] != e.Quote {
		t.Errorf("evidence %+v does not quote the title", e)
	}
	var batch struct{ Items []decision }
	code := g.do("platform", "POST", "/v1/content:check", `{"items":[
		{"id":"c1","kind":"comment","text":"质量很好，物流很快"},
		{"id":"c2","kind":"comment","text":"加微信 领红包"},
		{"id":"v1","kind":"video","text":"全网最低价"}]}`, &batch)
	if code != 200 || len(batch.Items) != 3 {
		t.Fatalf("batch = %d %+v", code, batch)
	}
	if got := []string{batch.Items[0].Outcome, batch.Items[1].Outcome, batch.Items[2].Outcome}; strings.Join(got, ",") != "allow,block,review" {
		t.Errorf("batch outcomes = %v; want allow,block,review", got)
	}

	// Bad input: clear 4xx, nothing stored.
	bad := []struct {
		body string
		want int
	}{
		{`{"id":"x","title":"a\u0000b"}`, 400},
		{`{"id":"x","title":` + string([]byte{'"', 0xff, '"'}) + `}`, 400},
		{`{"id":"x","nope":1}`, 400},
		{`{"items":[]}`, 400},
		{`{"id":"x","description":"` + strings.Repeat("a", anxin.MaxTextLen+1) + `"}`, 400},
		{`{"items":[` + strings.Repeat(`{"id":"a"},`, 1000) + `{"id":"b"}]}`, 413},
		{`[1,2`, 400},
	}
	for _, b := range bad {
		var e struct {
			Error struct{ Code, Message string }
		}
		if code := g.do("platform", "POST", "/v1/listings:check", b.body, &e); code != b.want || e.Error.Message == "" {
			t.Errorf("bad body %.40q = %d %+v; want %d with a message", b.body, code, e, b.want)
		}
	}
	if code := g.do("merchant:m1", "POST", "/v1/listings:check", `{"id":"x"}`, nil); code != 403 {
		t.Errorf("check as merchant = %d; want 403", code)
	}
	var n int
	g.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM gov_decisions`).Scan(&n)
	if n != 4 {
		t.Errorf("decisions stored = %d; want 4 (none from bad requests)", n)
	}

	// The merchant sees its record and appeals; the other merchant sees nothing.
	var rec struct {
		General    int `json:"general"`
		Statements []struct{ ID string }
	}
	if code := g.do("merchant:m1", "GET", "/v1/merchants/m1/enforcement", "", &rec); code != 200 || len(rec.Statements) != 2 { // the block and the serious:12 node it reached
		t.Fatalf("own record = %d %+v", code, rec)
	}
	if code := g.do("merchant:m2", "GET", "/v1/merchants/m1/enforcement", "", nil); code != 404 {
		t.Errorf("other merchant's record = %d; want 404", code)
	}
	if code := g.do("merchant:m2", "POST", "/v1/statements/"+d.StatementID+"/appeals", `{"text":"x"}`, nil); code != 404 {
		t.Errorf("appeal on another's statement = %d; want 404", code)
	}
	var a struct{ ID, Status string }
	if code := g.do("merchant:m1", "POST", "/v1/statements/"+d.StatementID+"/appeals", `{"text":"It is a genuine bag."}`, &a); code != 201 || a.Status != "open" {
		t.Fatalf("appeal = %d %+v", code, a)
	}
	if code := g.do("reviewer", "POST", "/v1/appeals/"+a.ID+"/decide", `{"resolution":"uphold","note":"replica wording is clear"}`, &a); code != 200 || a.Status != "upheld" {
		t.Fatalf("decide appeal = %d %+v", code, a)
	}
}

func TestGovernanceHTTPEditorAndQueue(t *testing.T) {
	g := newGovServer(t)
	var e struct {
		Error struct {
			Message string
			Details []struct{ ID, Message string }
		}
	}
	code := g.do("operator", "POST", "/v1/policies", `{"name":"bad","rules":[{"id":"r1","when":"hits.total > ","outcome":"block","reason":"x"}]}`, &e)
	if code != 400 || !strings.Contains(e.Error.Message, "rule r1: line 1, column") {
		t.Fatalf("bad policy = %d %+v; want 400 naming the rule and position", code, e)
	}
	if code := g.do("reviewer", "POST", "/v1/policies", `{"rules":[]}`, nil); code != 403 {
		t.Errorf("policy by reviewer = %d; want 403", code)
	}
	var lex struct{ Version int }
	if code := g.do("operator", "PUT", "/v1/lexicons/shop_local", `{"terms":[{"pattern":"暗号甲","category":"counterfeit_hard","severity":5}]}`, &lex); code != 200 || lex.Version != 1 {
		t.Fatalf("put lexicon = %d %+v", code, lex)
	}
	var test struct {
		Outcome string
		Rules   []struct {
			RuleID string `json:"rule_id"`
		}
	}
	if code := g.do("operator", "POST", "/v1/lexicons:test", `{"kind":"listing","text":"暗 号 甲 款"}`, &test); code != 200 || test.Outcome != "block" {
		t.Fatalf("test box = %d %+v", code, test)
	}
	var d decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l9","title":"外贸原单 衬衫","merchant_id":"m1"}`, &d)
	if d.Outcome != "review" || d.CaseID == "" {
		t.Fatalf("review decision = %+v", d)
	}
	var q struct {
		Cases []struct {
			ID       string
			Priority int
		}
	}
	if code := g.do("reviewer", "GET", "/v1/cases", "", &q); code != 200 || len(q.Cases) != 1 {
		t.Fatalf("queue = %d %+v", code, q)
	}
	var bulk struct {
		Results []struct{ ID, Status, Error string }
	}
	if code := g.do("reviewer", "POST", "/v1/cases:bulk", `{"ids":["`+d.CaseID+`","case_nope"],"action":"overturn","note":"fine"}`, &bulk); code != 200 {
		t.Fatalf("bulk = %d", code)
	}
	if bulk.Results[0].Status != "decided" || bulk.Results[1].Error == "" {
		t.Errorf("bulk results = %+v", bulk.Results)
	}
	var prec struct {
		Rules []struct {
			RuleID     string `json:"rule_id"`
			Overturned int
		}
	}
	g.do("operator", "GET", "/v1/rules/precision", "", &prec)
	found := false
	for _, r := range prec.Rules {
		found = found || (r.RuleID == "listing.counterfeit.origin" && r.Overturned == 1)
	}
	if !found {
		t.Errorf("precision = %+v; want the origin rule overturned once", prec.Rules)
	}
}

// The governance lists refuse a limit they cannot honour instead of
// silently using the default, like every other list in the API.
func TestGovernanceListsRefuseBadPages(t *testing.T) {
	g := newGovServer(t)
	for _, path := range []string{"/v1/cases", "/v1/statements", "/v1/appeals"} {
		for _, q := range []string{"limit=abc", "limit=0", "limit=-3", "limit=501", "limit=1e3", "cursor=" + strings.Repeat("x", 600)} {
			var e struct {
				Error struct{ Code, Message string }
			}
			if code := g.do("operator", "GET", path+"?"+q, "", &e); code != http.StatusBadRequest || e.Error.Code != "invalid" {
				t.Errorf("GET %s?%.20s = %d %+v; want 400 invalid", path, q, code, e)
			}
		}
		if code := g.do("operator", "GET", path+"?limit=500", "", nil); code != http.StatusOK {
			t.Errorf("GET %s?limit=500 = %d; want 200", path, code)
		}
	}
}
