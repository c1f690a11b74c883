package http_test

import (
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"anxin"
)

// policyForm is the edit form of p as the page fills it.
func policyForm(p *anxin.Policy) url.Values {
	v := url.Values{"name": {p.Name + " edited"}}
	for i, r := range p.Rules {
		k := strconv.Itoa(i)
		v.Set("id-"+k, r.ID)
		v.Set("when-"+k, r.When)
		v.Set("outcome-"+k, r.Outcome.String())
		v.Set("reason-"+k, r.Reason)
		v.Set("labels-"+k, strings.Join(r.Labels, ", "))
	}
	return v
}

// textareaValue returns the text of the textarea with the given id.
func textareaValue(page, id string) string {
	m := regexp.MustCompile(`(?s)<textarea[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestPolicyEditor(t *testing.T) {
	g := newGovServer(t)
	op := anxin.RoleOperator
	var blk decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l2","title":"高仿 包","merchant_id":"m1"}`, &blk)
	var p anxin.Policy
	if code := g.do("operator", "GET", "/v1/policies/1", "", &p); code != 200 || len(p.Rules) == 0 {
		t.Fatalf("policy 1 = %d", code)
	}

	// The view lists every rule with its expression as code, unescaped.
	code, page := g.page(anxin.RoleReviewer, "GET", "/console/governance/policies/1", nil)
	codes := regexp.MustCompile(`(?s)<pre class="expr"><code>(.*?)</code></pre>`).FindAllStringSubmatch(page, -1)
	if code != 200 || len(codes) != len(p.Rules) || html.UnescapeString(codes[0][1]) != p.Rules[0].When || strings.Contains(page, `\u003e`) {
		t.Fatalf("policy view = %d with %d expressions; want %d, the first %q", code, len(codes), len(p.Rules), p.Rules[0].When)
	}
	if hasElement(page, "edit-rules") {
		t.Errorf("a reviewer is offered the editor")
	}
	if code, _ := g.page(anxin.RoleReviewer, "POST", "/console/governance/policies/1/edit", policyForm(&p)); code != 403 {
		t.Errorf("edit as reviewer = %d; want 403", code)
	}

	// A syntax error on the second line names line and column; the typed
	// text (the browser sends CRLF) is kept and nothing is saved.
	f := policyForm(&p)
	typed := p.Rules[0].When + " &&\r\n  price_fen >"
	f.Set("when-0", typed)
	f.Set("action", "backtest")
	code, page = g.page(op, "POST", "/console/governance/policies/1/edit", f)
	errText := regexp.MustCompile(`id="error-0">([^<]*)<`).FindStringSubmatch(page)
	if code != 422 || errText == nil || !regexp.MustCompile(`^line 2, column \d+: `).MatchString(errText[1]) {
		t.Fatalf("syntax error = %d, error %v; want 422 with line 2, column …", code, errText)
	}
	t.Logf("compile error shown: %s", errText[1])
	if got := textareaValue(page, "when-0"); got != strings.ReplaceAll(typed, "\r\n", "\n") {
		t.Errorf("expression after the error = %q; want the typed text", got)
	}
	if hasElement(page, "backtest-result") {
		t.Errorf("a policy that does not compile was backtested")
	}
	cases := []struct {
		name, field, value, want string
	}{
		{"bad outcome", "outcome-1", "ban", "outcome must be"},
		{"method call", "when-1", `brand.Upper() == "x"`, "method calls are not allowed"},
		{"empty expression", "when-1", " ", "the expression is empty"},
		{"review without reason", "reason-1", "", "needs a user-facing reason"},
	}
	for _, tt := range cases {
		f := policyForm(&p)
		f.Set(tt.field, tt.value)
		f.Set("action", "check")
		code, page := g.page(op, "POST", "/console/governance/policies/1/edit", f)
		m := regexp.MustCompile(`id="error-1">([^<]*)<`).FindStringSubmatch(page)
		if code != 422 || m == nil || !strings.Contains(html.UnescapeString(m[1]), tt.want) {
			t.Errorf("%s: check = %d, error %v; want %q", tt.name, code, m, tt.want)
		}
	}
	f = policyForm(&p)
	f.Set("new-id", p.Rules[0].ID)
	f.Set("new-when", "true")
	f.Set("new-outcome", "allow")
	f.Set("action", "check")
	if code, page := g.page(op, "POST", "/console/governance/policies/1/edit", f); code != 422 || !strings.Contains(page, "used twice") {
		t.Errorf("a new rule with a taken id = %d; want 422 naming the duplicate", code)
	}

	// Fixed, the edited rules backtest over the stored decision: the
	// replica rule relaxed to review changes l2, before anything is saved.
	f = policyForm(&p)
	f.Set("when-0", p.Rules[0].When+" &&\r\n  price_fen >= 0")
	f.Set("outcome-0", "review")
	f.Set("action", "backtest")
	code, page = g.page(op, "POST", "/console/governance/policies/1/edit", f)
	if code != 200 || !hasElement(page, "backtest-result") || !regexp.MustCompile(`<tr><td>l2</td><td>listing</td><td><span class="badge block">block</span></td><td><span class="badge review">review</span>`).MatchString(page) {
		t.Fatalf("backtest = %d; want l2 listed as block → review", code)
	}
	var ps struct{ Policies []anxin.Policy }
	if g.do("operator", "GET", "/v1/policies", "", &ps); len(ps.Policies) != 1 {
		t.Errorf("policies after a backtest = %d; want 1 (nothing saved)", len(ps.Policies))
	}
	if got := textareaValue(page, "when-0"); got != p.Rules[0].When+" &&\n  price_fen >= 0" {
		t.Errorf("expression after the backtest = %q; want the edit kept", got)
	}

	// Save creates a draft with the edit (line breaks as \n) and a new rule.
	f.Set("action", "save")
	f.Set("new-id", "listing.test.new")
	f.Set("new-when", `brand == "acme"`)
	f.Set("new-outcome", "review")
	f.Set("new-reason", "brand under review")
	f.Set("remove-1", "on")
	code, page = g.page(op, "POST", "/console/governance/policies/1/edit", f)
	var saved anxin.Policy
	if code != 200 || !hasElement(page, "saved") || g.do("operator", "GET", "/v1/policies/2", "", &saved) != 200 {
		t.Fatalf("save = %d; want draft v2", code)
	}
	if saved.Status != "draft" || len(saved.Rules) != len(p.Rules) || saved.Rules[0].When != p.Rules[0].When+" &&\n  price_fen >= 0" ||
		saved.Rules[0].Outcome != anxin.OutcomeReview || saved.Rules[1].ID != p.Rules[2].ID || saved.Rules[len(saved.Rules)-1].ID != "listing.test.new" {
		t.Errorf("saved v2 = %s with %d rules, first %q → %s; want the edits", saved.Status, len(saved.Rules), saved.Rules[0].When, saved.Rules[0].Outcome)
	}
	f.Set("name", "")
	if code, page := g.page(op, "POST", "/console/governance/policies/1/edit", f); code != 422 || !strings.Contains(page, "needs a name") {
		t.Errorf("save without a name = %d", code)
	}

	// Activation changes live checks, so it needs the ticked confirmation.
	if _, page := g.page(op, "POST", "/console/governance/policies/2", url.Values{"status": {"active"}}); !hasElement(page, "problem") {
		t.Errorf("activate without confirmation shows no problem")
	}
	if g.do("operator", "GET", "/v1/policies/2", "", &saved); saved.Status != "draft" {
		t.Errorf("v2 after an unconfirmed activation = %s; want draft", saved.Status)
	}
	if code, _ := g.page(op, "POST", "/console/governance/policies/2", url.Values{"status": {"active"}, "confirm": {"yes"}}); code != 200 {
		t.Errorf("confirmed activation = %d", code)
	}
	if g.do("operator", "GET", "/v1/policies/2", "", &saved); saved.Status != "active" {
		t.Errorf("v2 after a confirmed activation = %s; want active", saved.Status)
	}
}
