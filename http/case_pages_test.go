package http_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"anxin"
)

func TestCasePage(t *testing.T) {
	g := newGovServer(t)
	var d decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"外贸原单 <b>T恤</b>","merchant_id":"m1"}`, &d)
	if d.CaseID == "" {
		t.Fatalf("check = %+v; want a review case", d)
	}

	code, body := g.page(anxin.RoleReviewer, "GET", "/console/governance/queue", nil)
	if code != 200 || !strings.Contains(body, `href="/console/governance/cases/`+d.CaseID+`"`) || strings.Contains(body, "bytes ") {
		t.Fatalf("queue = %d; want a link to the case and no byte offsets", code)
	}
	code, body = g.page(anxin.RoleReviewer, "GET", "/console/governance/cases/"+d.CaseID, nil)
	if code != 200 || !hasElement(body, "checked") || !hasElement(body, "decide-form") || !hasElement(body, "rules") {
		t.Fatalf("case page = %d; want the checked text, rules and the decide form", code)
	}
	marked := regexp.MustCompile(`<td class="checked" lang="zh"><mark title="[^"]*">外贸原单</mark> &lt;b&gt;T恤&lt;/b&gt;</td>`)
	if !marked.MatchString(body) {
		t.Errorf("case page does not mark the evidence in the escaped title:\n%s", body)
	}
	if !strings.Contains(body, `href="/console/listings/l1"`) || !strings.Contains(body, `href="/console/merchants/m1"`) {
		t.Errorf("case page does not link the listing and the merchant")
	}
	if code, _ := g.page(anxin.RoleReviewer, "GET", "/console/governance/cases/case_nope", nil); code != 404 {
		t.Errorf("unknown case = %d; want 404", code)
	}
	if code, _ := g.page(anxin.MerchantRole("m1"), "GET", "/console/governance/cases/"+d.CaseID, nil); code != 403 {
		t.Errorf("case page as a merchant = %d; want 403", code)
	}
	tok := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(body)
	if tok == nil {
		t.Fatal("no form token on the decide form")
	}

	decide := "/console/governance/cases/" + d.CaseID + "/decide"
	for _, bad := range []url.Values{
		{"resolution": {"uphold"}, "note": {"  "}, "form_token": {tok[1]}},
		{"resolution": {"ban"}, "note": {"x"}, "form_token": {tok[1]}},
		{"resolution": {"uphold"}, "note": {strings.Repeat("x", 4001)}, "form_token": {tok[1]}},
	} {
		if code, body := g.page(anxin.RoleReviewer, "POST", decide, bad); code != 400 || !hasElement(body, "decide-problem") || !hasElement(body, "decide-form") {
			t.Errorf("decide %v = %d; want 400 with the problem above the form", bad, code)
		}
	}
	var c anxin.Case
	if g.do("reviewer", "GET", "/v1/cases/"+d.CaseID, "", &c); c.Status == anxin.CaseDecided {
		t.Fatalf("a refused form decided the case: %+v", c)
	}

	form := url.Values{"resolution": {"uphold"}, "note": {"replica wording"}, "form_token": {tok[1]}}
	code, loc := g.redirect(anxin.RoleReviewer, decide, form)
	if code != 303 || loc != "/console/governance/queue?decided="+d.CaseID {
		t.Fatalf("decide = %d to %q; want a redirect to the queue", code, loc)
	}
	code, loc = g.redirect(anxin.RoleReviewer, decide, url.Values{"resolution": {"overturn"}, "note": {"again"}, "form_token": {tok[1]}})
	if code != 303 || !strings.Contains(loc, "again=1") {
		t.Fatalf("second post = %d to %q; want a redirect saying it was sent already", code, loc)
	}
	g.do("reviewer", "GET", "/v1/cases/"+d.CaseID, "", &c)
	if c.Status != anxin.CaseDecided || c.Resolution != anxin.ResUphold || len(c.Notes) != 1 {
		t.Fatalf("case after two posts = %s %s with %d notes; want upheld once", c.Status, c.Resolution, len(c.Notes))
	}
	code, body = g.page(anxin.RoleReviewer, "GET", "/console/governance/queue?decided="+d.CaseID, nil)
	if code != 200 || !strings.Contains(body, `<p class="flash">Case `+d.CaseID) || !strings.Contains(body, "blocked (upheld)") {
		t.Errorf("queue after deciding = %d; want the flash naming the case", code)
	}
	if _, body := g.page(anxin.RoleReviewer, "GET", "/console/governance/queue?decided=case_nope", nil); strings.Contains(body, `class="flash"`) {
		t.Errorf("a made-up decided= shows a flash")
	}
	// Without the token the store still refuses to decide a decided case.
	if code, _ := g.page(anxin.RoleReviewer, "POST", decide, url.Values{"resolution": {"overturn"}, "note": {"again"}}); code != 409 {
		t.Errorf("deciding a decided case = %d; want 409", code)
	}

	// A later check of the same listing shows the case as earlier history.
	var d2 decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"外贸原单 衬衫","merchant_id":"m1"}`, &d2)
	_, body = g.page(anxin.RoleReviewer, "GET", "/console/governance/cases/"+d2.CaseID, nil)
	// Key ids (k_…) must not show; form values (random CSRF tokens, which
	// may hold "k_") are left out of that look.
	shown := regexp.MustCompile(`value="[^"]*"`).ReplaceAllString(body, "")
	if strings.Count(body, `<tr data-decision="`) != 1 || !strings.Contains(body, "reviewer (reviewer)") || strings.Contains(shown, "k_") {
		t.Errorf("second case page does not show the first decision and its reviewer")
	}
}

// redirect posts form as role and returns the status and the Location.
func (g *govServer) redirect(role anxin.Role, path string, form url.Values) (int, string) {
	g.t.Helper()
	return g.ts.Redirect(g.keys[string(role)], path, form)
}

func TestListingDecisionHistory(t *testing.T) {
	g := newSanctionServer(t)
	g.do("platform", "POST", "/v1/merchants", `{"items":[{"id":"m1","name":"Tea House"}]}`, nil)
	g.do("platform", "POST", "/v1/listings", `{"items":[{"id":"l1","merchant_id":"m1","title":"外贸原单 T恤","price_fen":100,"currency":"CNY","status":"live"}]}`, nil)
	var d decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"外贸原单 T恤","merchant_id":"m1"}`, &d)
	if code, loc := g.redirect(anxin.RoleReviewer, "/console/governance/cases/"+d.CaseID+"/decide", url.Values{"resolution": {"uphold"}, "note": {"replica"}}); code != 303 {
		t.Fatalf("decide = %d %s", code, loc)
	}
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"纯棉 T恤","merchant_id":"m1"}`, nil)

	code, body := g.pageAs("operator", "/console/listings/l1")
	if code != 200 || !hasElement(body, "decisions") {
		t.Fatalf("listing page = %d; want the decision history", code)
	}
	if got := strings.Count(body, `<tr data-decision="`); got != 2 {
		t.Errorf("history rows = %d; want 2", got)
	}
	if !regexp.MustCompile(`<mark title="[^"]*">外贸原单</mark> T恤`).MatchString(body) {
		t.Errorf("history does not mark the evidence in the checked title")
	}
	if !strings.Contains(body, "reviewer (reviewer)") || !strings.Contains(body, "Anxin (automatic)") || !strings.Contains(body, `<span class="badge block">block</span>`) {
		t.Errorf("history does not name the reviewer, the automatic decision and the upheld outcome:\n%s", body)
	}
	if !strings.Contains(body, `id="marketplace-status">live<`) || !strings.Contains(body, `id="anxin-status">`) || !strings.Contains(body, ">Tea House</a>") {
		t.Errorf("listing page lacks both statuses or the merchant's name")
	}
	if !strings.Contains(body, "UTC+8") {
		t.Errorf("decision times are not in the marketplace zone")
	}
	// A merchant sees its listing but not Anxin's internal decision history.
	if code, body := g.pageAs("merchant:m1", "/console/listings/l1"); code != 200 || hasElement(body, "decisions") {
		t.Errorf("merchant's listing page = %d, history shown %v; want the page without it", code, hasElement(body, "decisions"))
	}
}
