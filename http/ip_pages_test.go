package http_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"anxin"
	"anxin/sqlstore"
)

func (h *ipHarness) page(role anxin.Role, method, path string, form url.Values) (int, string) {
	h.t.Helper()
	return h.srv.Page(h.keys[string(role)], method, path, form)
}

func TestIPConsolePages(t *testing.T) {
	h := newIPHarness(t)
	ctx := anxin.NewContextWithActor(context.Background(), anxin.Actor{Role: anxin.RolePlatform})
	ms := sqlstore.NewMarketplaceService(h.db)
	ms.UpsertMerchants(ctx, []*anxin.Merchant{{ID: "m_bad", Name: "x"}, {ID: "m_old", Name: "<script>y</script>", Status: "cleared"}})
	ms.UpsertListings(ctx, []*anxin.Listing{{ID: "l1", MerchantID: "m_bad", Title: "Lumen 包", Brand: "Lumen"}})
	h.do("operator", "POST", "/v1/brands", "", []byte(`{"id":"b1","name":"Lumen","rights_holder_id":"rh1","registration_ref":"TM-1"}`))
	h.do("platform", "POST", "/v1/identity", "", []byte(`{"items":[{"kind":"merchant","id":"m_old","type":"device","value":"d<1>"},{"kind":"merchant","id":"m_bad","type":"device","value":"d<1>"}]}`))
	// a notice that needs a decision (zjdb is not immediate)
	h.do("rightsholder:rh1", "POST", "/v1/notices", "", []byte(`{"brand_id":"b1","listing_id":"l1","reason":"trademark.fake.zjdb","evidence":[{"kind":"images","ref":"img1"},{"kind":"text","ref":"logo differs"}]}`))

	code, body := h.page(anxin.RoleOperator, "GET", "/console/ip/graph?kind=merchant&id=m_bad", nil)
	if code != 200 {
		t.Fatalf("graph page = %d", code)
	}
	for _, want := range []string{`id="cluster-graph"`, `data-node="merchant:m_old"`, `id="reregistrations"`, `id="export-link"`} {
		if !strings.Contains(body, want) {
			t.Errorf("graph page lacks %s", want)
		}
	}
	if strings.Contains(body, "d<1>") || strings.Contains(body, "<script>y") {
		t.Error("graph page did not escape attribute values")
	}
	if n := len(regexp.MustCompile(`<tr><td><a href="/console/ip/graph\?kind=merchant`).FindAllString(body, -1)); n < 2 {
		t.Errorf("member rows = %d; want 2", n)
	}
	if code, _ := h.page(anxin.RoleCare, "GET", "/console/ip/graph", nil); code != 403 {
		t.Errorf("graph page as care = %d; want 403", code)
	}
	code, body = h.page(anxin.RoleOperator, "GET", "/console/ip/notices?state=filed", nil)
	m := regexp.MustCompile(`data-notice="(ntc_[a-z0-9]+)"`).FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("notices page = %d without a filed notice", code)
	}
	for _, want := range []string{"<td>Lumen</td>", "Genuine-vs-fake comparison", `href="/console/listings/l1"`, `href="/console/ip/notices/` + m[1] + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("notices page lacks %s", want)
		}
	}
	if !strings.Contains(body, `<a href="/console/listings/l1" lang="zh">Lumen 包</a>`) || !strings.Contains(body, `<a href="/console/merchants/m_bad">x</a>`) {
		t.Errorf("notices page does not name the listing and the merchant")
	}
	_, body = h.page(anxin.RoleOperator, "GET", "/console/ip/notices?brand=b1&reason=trademark.fake.zjdb", nil)
	if !strings.Contains(body, `href="/console/export/notices.csv?brand_id=b1&amp;reason=trademark.fake.zjdb"`) {
		t.Errorf("the CSV link does not keep the brand and reason filters")
	}
	if code, _ := h.do("operator", "GET", "/v1/notices?reason=trademark.nope", "", nil); code != 400 {
		t.Errorf("GET /v1/notices with an unknown reason = %d; want 400", code)
	}
	for q, want := range map[string]bool{"brand=b1&reason=trademark.fake.zjdb": true, "reason=copyright": false, "brand=b2": false} {
		_, body := h.page(anxin.RoleOperator, "GET", "/console/ip/notices?"+q, nil)
		if got := strings.Contains(body, `data-notice="`+m[1]+`"`); got != want {
			t.Errorf("notices?%s lists the notice = %v; want %v", q, got, want)
		}
	}
	for _, bad := range []string{"reason=trademark.nope", "state=lost", "brand=" + url.QueryEscape("b 1")} {
		if code, _ := h.page(anxin.RoleOperator, "GET", "/console/ip/notices?"+bad, nil); code != 400 {
			t.Errorf("notices?%s = %d; want 400", bad, code)
		}
	}
	code, body = h.page(anxin.RoleOperator, "GET", "/console/ip/notices/"+m[1], nil)
	if code != 200 || !strings.Contains(body, `id="notice-listing"`) || !strings.Contains(body, `id="notice-reject"`) {
		t.Fatalf("notice page = %d", code)
	}
	if code, _ := h.page(anxin.RoleOperator, "POST", "/console/ip/notices/"+m[1]+"/decide", url.Values{"accept": {"false"}, "reason": {" "}}); code != 400 {
		t.Errorf("a rejection without a reason = %d; want 400", code)
	}
	code, body = h.page(anxin.RoleOperator, "POST", "/console/ip/notices/"+m[1]+"/decide", url.Values{"accept": {"true"}})
	if code != 200 || !strings.Contains(body, "is now taken_down") {
		t.Fatalf("decide = %d", code)
	}
	// The same form posted again does not act twice.
	code, body = h.page(anxin.RoleOperator, "POST", "/console/ip/notices/"+m[1]+"/decide", url.Values{"accept": {"false"}, "reason": {"changed my mind"}})
	if code != 200 || !strings.Contains(body, "already decided (taken_down)") {
		t.Errorf("second decision = %d; want the notice shown as already decided", code)
	}
	if code, body := h.page(anxin.RoleOperator, "GET", "/console/ip/brands", nil); code != 200 || !strings.Contains(body, `id="rights-holders"`) {
		t.Errorf("brands page = %d", code)
	}
}
