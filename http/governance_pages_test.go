package http_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"anxin"
)

// page fetches a console page as role with a fresh session and returns the
// status and body; a form is posted with the session's CSRF token.
func (g *govServer) page(role anxin.Role, method, path string, form url.Values) (int, string) {
	g.t.Helper()
	return g.ts.Page(g.keys[string(role)], method, path, form)
}

// hasElement reports whether html has an element with the given id.
func hasElement(html, id string) bool {
	return regexp.MustCompile(`<[a-z]+[^>]*\sid="` + regexp.QuoteMeta(id) + `"`).MatchString(html)
}

func TestGovernanceConsole(t *testing.T) {
	g := newGovServer(t)
	var d decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"外贸原单 T恤","merchant_id":"m1"}`, &d)
	var blk decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l2","title":"高仿 包","merchant_id":"m1"}`, &blk)

	pages := []struct {
		role anxin.Role
		path string
		id   string
	}{
		{anxin.RoleReviewer, "/console/governance/queue", "cases"},
		{anxin.RoleReviewer, "/console/governance/appeals", "empty"},
		{anxin.RoleOperator, "/console/governance/lexicons", "lexicons"},
		{anxin.RoleOperator, "/console/governance/lexicons/counterfeit", "terms"},
		{anxin.RoleOperator, "/console/governance/policies", "edit-active"},
		{anxin.RoleOperator, "/console/governance/policies/1", "rules"},
		{anxin.RoleOperator, "/console/governance/precision", "precision"},
		{anxin.RoleOperator, "/console/governance/merchants?id=m1", "statements"},
		{anxin.MerchantRole("m1"), "/console/governance/merchants", "sanctions"},
	}
	for _, p := range pages {
		code, body := g.page(p.role, "GET", p.path, nil)
		if code != 200 || !hasElement(body, p.id) {
			t.Errorf("GET %s as %s = %d, #%s present %v", p.path, p.role, code, p.id, hasElement(body, p.id))
		}
	}
	if code, _ := g.page(anxin.MerchantRole("m2"), "GET", "/console/governance/queue", nil); code != 403 {
		t.Errorf("queue as a merchant = %d; want 403", code)
	}

	// The test box and a case decision through forms (the policy editor has
	// its own test).
	code, body := g.page(anxin.RoleOperator, "POST", "/console/governance/test", url.Values{"kind": {"listing"}, "text": {"髙仿 名牌包"}})
	if code != 200 || !hasElement(body, "outcome") || !strings.Contains(body, "block") {
		t.Errorf("test box = %d", code)
	}
	code, _ = g.page(anxin.RoleReviewer, "POST", "/console/governance/cases/"+d.CaseID, url.Values{"action": {"uphold"}, "note": {"confirmed"}})
	if code != 200 {
		t.Fatalf("uphold form = %d", code)
	}
	code, body = g.page(anxin.MerchantRole("m1"), "POST", "/console/governance/statements/"+blk.StatementID+"/appeal", url.Values{"text": {"genuine"}})
	if code != 200 || !strings.Contains(body, "filed") {
		t.Errorf("appeal form = %d", code)
	}
	code, body = g.page(anxin.RoleReviewer, "GET", "/console/governance/appeals", nil)
	if code != 200 || !hasElement(body, "appeals") {
		t.Errorf("appeals page = %d", code)
	}
	if code, _ := g.page(anxin.RoleReviewer, "POST", "/console/governance/cases/"+d.CaseID, url.Values{"action": {"claim"}}); code != 409 {
		t.Errorf("claiming a decided case = %d; want 409", code)
	}
}
