package http_test

import (
	"anxin/anxintest/testserver"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"anxin"
)

func newSanctionServer(t *testing.T) *govServer {
	t.Helper()
	return newGovernanceServer(t, []anxin.Role{anxin.RolePlatform, anxin.RoleOperator, anxin.RoleReviewer, anxin.MerchantRole("m1"), anxin.MerchantRole("m2")},
		testserver.Governance)
}

func TestSanctionsAPI(t *testing.T) {
	g := newSanctionServer(t)
	if code := g.do("platform", "POST", "/v1/merchants", `{"items":[{"id":"m1","name":"One"},{"id":"m2","name":"Two"}]}`, nil); code != 200 {
		t.Fatalf("upsert merchants = %d", code)
	}
	if code := g.do("platform", "POST", "/v1/listings", `{"items":[{"id":"l1","merchant_id":"m1","title":"纯棉毛巾","price_fen":100,"currency":"CNY","status":"live"}]}`, nil); code != 200 {
		t.Fatalf("upsert listings = %d", code)
	}
	// Bad input: clear errors, nothing stored.
	for _, tt := range []struct{ body, want string }{
		{`{"subject_id":"m1","type":"ban","facts":"x"}`, `type \"ban\" is not a sanction type`},
		{`{"subject_id":"m1","type":"restrict_listing","source":"gossip","facts":"x"}`, `source \"gossip\"`},
		{`{"subject_id":"m1","type":"restrict_listing","days":7}`, "facts are required"},
		{`{"subject_id":"m1","type":"restrict_listing","facts":"x","extra":1}`, ""},
	} {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if code := g.do("operator", "POST", "/v1/sanctions", tt.body, &e); code != 400 || !strings.Contains(e.Error.Message, strings.ReplaceAll(tt.want, `\"`, `"`)) {
			t.Errorf("POST /v1/sanctions %s = %d %q; want 400 containing %q", tt.body, code, e.Error.Message, tt.want)
		}
	}
	var sc anxin.Sanction
	if code := g.do("operator", "POST", "/v1/sanctions", `{"subject_id":"m1","type":"restrict_listing","days":7,"facts":"Empty parcels shipped."}`, &sc); code != 201 || sc.ID == "" {
		t.Fatalf("issue = %d %+v", code, sc)
	}
	if code := g.do("operator", "POST", "/v1/sanctions", `{"subject_id":"m1","type":"restrict_listing","days":3,"facts":"again"}`, nil); code != 409 {
		t.Errorf("overlapping sanction = %d; want 409", code)
	}
	if code := g.do("merchant:m1", "POST", "/v1/sanctions", `{"subject_id":"m2","type":"clear_out","facts":"x"}`, nil); code != 403 {
		t.Errorf("merchant issuing = %d; want 403", code)
	}

	type page struct {
		Items      []anxin.Sanction `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	var p page
	if code := g.do("merchant:m1", "GET", "/v1/sanctions?active=true", "", &p); code != 200 || len(p.Items) != 1 || p.Items[0].Reasons.Facts != "Empty parcels shipped." {
		t.Errorf("m1's sanctions = %d %+v", code, p)
	}
	if code := g.do("merchant:m2", "GET", "/v1/sanctions?merchant_id=m1", "", &p); code != 200 || len(p.Items) != 0 {
		t.Errorf("m2 listing m1's sanctions = %d %d items; want its own (none)", code, len(p.Items))
	}
	if code := g.do("merchant:m2", "GET", "/v1/sanctions/"+sc.ID, "", nil); code != 404 {
		t.Errorf("m2 reading m1's sanction = %d; want 404", code)
	}
	for _, q := range []string{"?source=gossip", "?type=ban", "?active=maybe", "?limit=0", "?cursor=nope"} {
		if code := g.do("operator", "GET", "/v1/sanctions"+q, "", nil); code != 400 {
			t.Errorf("GET /v1/sanctions%s = %d; want 400", q, code)
		}
	}

	// The merchant carries Anxin's view beside the marketplace's status.
	var mv struct {
		Status      string             `json:"status"`
		Enforcement *anxin.Enforcement `json:"enforcement"`
	}
	if code := g.do("merchant:m1", "GET", "/v1/merchants/m1", "", &mv); code != 200 || mv.Status != "active" || mv.Enforcement == nil ||
		mv.Enforcement.State != anxin.StateRestricted || len(mv.Enforcement.Sanctions) != 1 {
		t.Fatalf("GET /v1/merchants/m1 = %d %+v", code, mv)
	}
	// A publish while restricted is blocked; the listing shows it.
	var checks struct {
		Items []struct {
			DecisionID string `json:"decision_id"`
			ReasonCode string `json:"reason_code"`
		} `json:"items"`
	}
	if code := g.do("platform", "POST", "/v1/listings:check", `{"items":[{"id":"l1","title":"纯棉毛巾","merchant_id":"m1"}]}`, &checks); code != 200 ||
		len(checks.Items) != 1 || checks.Items[0].ReasonCode != anxin.ReasonPenaltyRestricted {
		t.Fatalf("check = %d %+v", code, checks)
	}
	var lv struct {
		Status      string `json:"status"`
		AnxinStatus string `json:"anxin_status"`
		DecisionID  string `json:"anxin_decision_id"`
	}
	if code := g.do("merchant:m1", "GET", "/v1/listings/l1", "", &lv); code != 200 || lv.Status != "live" || lv.AnxinStatus != anxin.ListingBlocked ||
		lv.DecisionID != checks.Items[0].DecisionID {
		t.Errorf("GET /v1/listings/l1 = %d %+v; want live / blocked by %s", code, lv, checks.Items[0].DecisionID)
	}
	var ll struct {
		Items []struct {
			AnxinStatus string `json:"anxin_status"`
		} `json:"items"`
	}
	if code := g.do("platform", "GET", "/v1/listings", "", &ll); code != 200 || len(ll.Items) != 1 || ll.Items[0].AnxinStatus != anxin.ListingBlocked {
		t.Errorf("GET /v1/listings = %d %+v", code, ll)
	}

	// Appeal: m2 cannot, m1 can; a reviewer overturns; the sanction is lifted.
	if code := g.do("merchant:m2", "POST", "/v1/sanctions/"+sc.ID+"/appeals", `{"text":"x"}`, nil); code != 404 {
		t.Errorf("m2 appealing = %d; want 404", code)
	}
	var a anxin.Appeal
	if code := g.do("merchant:m1", "POST", "/v1/sanctions/"+sc.ID+"/appeals", `{"text":"Carrier lost them."}`, &a); code != 201 || a.SanctionID != sc.ID {
		t.Fatalf("appeal = %d %+v", code, a)
	}
	if code := g.do("reviewer", "POST", "/v1/appeals/"+a.ID+"/decide", `{"resolution":"overturn","note":"carrier report"}`, nil); code != http.StatusOK {
		t.Fatalf("decide = %d", code)
	}
	if code := g.do("merchant:m1", "POST", "/v1/sanctions/"+sc.ID+"/appeals", `{"text":"again"}`, nil); code != 409 {
		t.Errorf("appeal of a lifted sanction = %d; want 409", code)
	}
	if code := g.do("merchant:m1", "GET", "/v1/merchants/m1", "", &mv); code != 200 || mv.Enforcement.State != anxin.StateGoodStanding {
		t.Errorf("state after the lift = %+v", mv.Enforcement)
	}
}

// pageAs fetches a console page as a session of role.
func (g *govServer) pageAs(role, path string) (int, string) {
	g.t.Helper()
	return g.ts.Page(g.keys[role], "GET", path, nil)
}

// byID returns the text inside the element with the given id (one level:
// up to its first closing tag).
func byID(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestSanctionPages(t *testing.T) {
	g := newSanctionServer(t)
	g.do("platform", "POST", "/v1/merchants", `{"items":[{"id":"m1","name":"One"},{"id":"m2","name":"Two"}]}`, nil)
	g.do("platform", "POST", "/v1/listings", `{"items":[{"id":"l1","merchant_id":"m1","title":"纯棉毛巾","price_fen":100,"currency":"CNY","status":"live"}]}`, nil)
	var sc, co anxin.Sanction
	if code := g.do("operator", "POST", "/v1/sanctions", `{"subject_id":"m1","type":"shield_shop","days":7,"facts":"Counterfeit bags, third finding."}`, &sc); code != 201 {
		t.Fatalf("issue = %d", code)
	}
	if code := g.do("operator", "POST", "/v1/sanctions", `{"subject_id":"m2","type":"clear_out","facts":"Fraud ring."}`, &co); code != 201 {
		t.Fatalf("issue = %d", code)
	}
	g.do("platform", "POST", "/v1/listings:check", `{"items":[{"id":"l1","title":"纯棉毛巾","merchant_id":"m1","stage":"post_publish"}]}`, nil)

	code, body := g.pageAs("operator", "/console/merchants/m1")
	if code != 200 {
		t.Fatalf("merchant page = %d", code)
	}
	if got := byID(body, "enforcement-state"); got != anxin.StateShielded {
		t.Errorf("enforcement state badge = %q; want shielded", got)
	}
	if got := byID(body, "marketplace-status"); got != "active" {
		t.Errorf("marketplace status = %q; want active, beside Anxin's", got)
	}
	if got := attrValues(body, "data-sanction"); !slices.Equal(got, []string{sc.ID}) {
		t.Errorf("sanctions on the page = %v; want %s", got, sc.ID)
	}
	if strings.Index(body, `id="enforcement"`) > strings.Index(body, `id="merchant"`) {
		t.Errorf("Anxin's enforcement is not shown before the marketplace record")
	}
	if code, body := g.pageAs("merchant:m2", "/console/merchants/m2"); code != 200 || byID(body, "enforcement-state") != anxin.StateClearedOut {
		t.Errorf("m2's own page = %d, state %q", code, byID(body, "enforcement-state"))
	}
	if code, _ := g.pageAs("merchant:m2", "/console/merchants/m1"); code != 404 {
		t.Errorf("m2 viewing m1 = %d; want 404", code)
	}
	if code, body := g.pageAs("operator", "/console/listings/l1"); code != 200 || byID(body, "anxin-status") != anxin.ListingAllowed {
		t.Errorf("listing page = %d, anxin status %q", code, byID(body, "anxin-status"))
	}

	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/console/sanctions", []string{co.ID, sc.ID}},
		{"/console/sanctions?type=clear_out&active=all", []string{co.ID}},
		{"/console/sanctions?source=manual&merchant_id=m1", []string{sc.ID}},
		{"/console/sanctions?source=ip", nil},
	} {
		code, body := g.pageAs("operator", tt.path)
		// Newest first; two sanctions issued in the same millisecond may
		// come in either order, so the page's set is what is compared.
		got := attrValues(body, "data-sanction")
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if code != 200 || !slices.Equal(got, want) {
			t.Errorf("%s = %d %v; want %v", tt.path, code, got, tt.want)
		}
	}
	if code, body := g.pageAs("merchant:m1", "/console/sanctions"); code != 200 || !slices.Equal(attrValues(body, "data-sanction"), []string{sc.ID}) {
		t.Errorf("m1's sanctions page = %d %v; want its own", code, attrValues(body, "data-sanction"))
	}
	if code, _ := g.pageAs("operator", "/console/sanctions?source=gossip"); code != 400 {
		t.Errorf("bad filter = %d; want 400", code)
	}
}
