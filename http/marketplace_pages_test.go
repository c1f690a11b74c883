package http_test

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"anxin"

	"github.com/google/go-cmp/cmp"
)

// page fetches a console page as a session of role and returns the status
// and body.
func (e *apiEnv) page(role anxin.Role, path string) (int, string) {
	e.t.Helper()
	return e.ts.Page(e.keys[role], "GET", path, nil)
}

// attrValues returns the values of a data attribute on the page, in order:
// rows are marked data-order="o_1", data-source="scan", ….
func attrValues(body, attr string) []string {
	var out []string
	for _, m := range regexp.MustCompile(attr+`="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestMarketplacePages(t *testing.T) {
	env := newAPIEnv(t, nil, nil)
	env.do(anxin.RolePlatform, "POST", "/v1/merchants", mustJSON(map[string]any{"items": []map[string]any{{"id": "m_0", "name": "<b>Zero</b>"}, {"id": "m_1", "name": "One"}}}))
	env.do(anxin.RolePlatform, "POST", "/v1/listings", mustJSON(map[string]any{"items": []map[string]any{{"id": "l_0", "merchant_id": "m_0", "title": "Tea"}, {"id": "l_1", "merchant_id": "m_1", "title": "Rice"}}}))
	code, body := env.do(anxin.RolePlatform, "POST", "/v1/events", batchBody(
		eventJSON("e_1", "order.created", t0, `{"id":"o_0","merchant_id":"m_0","buyer_id":"b_1","items":[{"listing_id":"l_0","quantity":1,"unit_price_fen":100}]}`),
		eventJSON("e_2", "order.paid", t0.Add(time.Minute), `{"order_id":"o_0"}`),
		eventJSON("e_3", "shipment.scanned", t0.Add(time.Hour), `{"order_id":"o_0","shipment_id":"s_0","code":"pickup","location":"杭州"}`),
		eventJSON("e_4", "order.created", t0, `{"id":"o_1","merchant_id":"m_1","buyer_id":"b_2"}`),
		eventJSON("e_5", "order.cancelled", t0.Add(time.Minute), `{"order_id":"o_1"}`),
	))
	if code != 200 {
		t.Fatalf("seed events = %d %s", code, body)
	}
	m0 := anxin.MerchantRole("m_0")
	tests := []struct {
		name      string
		role      anxin.Role
		path      string
		want      int
		attr      string
		wantAttrs []string
	}{
		{"orders", anxin.RoleOperator, "/console/orders", 200, "data-order", []string{"o_0", "o_1"}},
		{"orders by status", anxin.RoleReviewer, "/console/orders?status=cancelled", 200, "data-order", []string{"o_1"}},
		{"orders by merchant", anxin.RoleOperator, "/console/orders?merchant_id=m_0", 200, "data-order", []string{"o_0"}},
		{"merchant sees own orders", m0, "/console/orders", 200, "data-order", []string{"o_0"}},
		{"merchant filter for another", m0, "/console/orders?merchant_id=m_1", 200, "data-order", nil},
		{"order timeline", anxin.RoleOperator, "/console/orders/o_0", 200, "data-source", []string{"event", "event", "event", "scan"}},
		{"merchant's own order", m0, "/console/orders/o_0", 200, "data-source", []string{"event", "event", "event", "scan"}},
		{"merchant's other order", m0, "/console/orders/o_1", 404, "", nil},
		{"absent order", anxin.RoleOperator, "/console/orders/o_9", 404, "", nil},
		{"merchants", anxin.RoleOperator, "/console/merchants", 200, "data-merchant", []string{"m_0", "m_1"}},
		{"merchant sees itself", m0, "/console/merchants", 200, "data-merchant", []string{"m_0"}},
		{"merchant detail", anxin.RoleOperator, "/console/merchants/m_0", 200, "data-listing", []string{"l_0"}},
		{"merchant detail orders", anxin.RoleOperator, "/console/merchants/m_1", 200, "data-order", []string{"o_1"}},
		{"other merchant detail", m0, "/console/merchants/m_1", 404, "", nil},
		{"listings", anxin.RoleOperator, "/console/listings", 200, "data-listing", []string{"l_0", "l_1"}},
		{"merchant listings", m0, "/console/listings", 200, "data-listing", []string{"l_0"}},
		{"listing detail", anxin.RoleOperator, "/console/listings/l_1", 200, "", nil},
		{"other merchant's listing", m0, "/console/listings/l_1", 404, "", nil},
		{"bad filter", anxin.RoleOperator, "/console/orders?merchant_id=%3Cscript%3E", 400, "", nil},
		{"bad cursor", anxin.RoleOperator, "/console/orders?cursor=!!", 400, "", nil},
		{"rights holder", anxin.RightsHolderRole("r_1"), "/console/orders", 403, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := env.page(tt.role, tt.path)
			if code != tt.want {
				t.Fatalf("GET %s as %s = %d; want %d\n%.500s", tt.path, tt.role, code, tt.want, body)
			}
			if tt.attr == "" {
				return
			}
			if diff := cmp.Diff(tt.wantAttrs, attrValues(body, tt.attr)); diff != "" {
				t.Errorf("GET %s as %s: %s mismatch (-want +got):\n%s", tt.path, tt.role, tt.attr, diff)
			}
		})
	}
	// Names are escaped, and the nav offers the mirror's pages.
	_, page := env.page(anxin.RoleOperator, "/console/merchants")
	if slices.Contains(attrValues(page, "data-merchant"), "") || !regexp.MustCompile(`&lt;b&gt;Zero&lt;/b&gt;`).MatchString(page) {
		t.Errorf("merchant names are not escaped")
	}
	for _, link := range []string{"/console/merchants", "/console/listings", "/console/orders"} {
		if !slices.Contains(attrValues(page, "href"), link) {
			t.Errorf("nav lacks %s", link)
		}
	}
}

// TestMerchantSearchPage finds merchants by id prefix and by name, keeps
// the search in the form and refuses an oversized search.
func TestMerchantSearchPage(t *testing.T) {
	env := newAPIEnv(t, nil, nil)
	env.do(anxin.RolePlatform, "POST", "/v1/merchants", mustJSON(map[string]any{"items": []map[string]any{{"id": "m_tea", "name": "Tea House"}, {"id": "m_rice", "name": "Rice Co"}, {"id": "shop_9", "name": "Green Tea Garden"}}}))
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"m_", []string{"m_rice", "m_tea"}},
		{"tea", []string{"m_tea", "shop_9"}},
		{"Rice", []string{"m_rice"}},
	} {
		code, body := env.page(anxin.RoleOperator, "/console/merchants?q="+c.q)
		if got := attrValues(body, "data-merchant"); code != 200 || !slices.Equal(got, c.want) {
			t.Errorf("merchants?q=%s = %d %v; want %v", c.q, code, got, c.want)
		}
		if !regexp.MustCompile(`id="q" value="` + c.q + `"`).MatchString(body) {
			t.Errorf("merchants?q=%s: the search box lost the search", c.q)
		}
	}
	long := make([]byte, 201)
	for i := range long {
		long[i] = 'a'
	}
	if code, _ := env.page(anxin.RoleOperator, "/console/merchants?q="+string(long)); code != 400 {
		t.Errorf("an oversized search = %d; want 400", code)
	}
}
