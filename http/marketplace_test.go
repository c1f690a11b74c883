package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"anxin"
	"anxin/anxintest"
	"anxin/anxintest/testserver"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

var t0 = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)

// apiEnv is a real server on SQLite with one key per role.
type apiEnv struct {
	t    testing.TB
	db   *sqlstore.DB
	srv  *anxinhttp.Server
	ts   *testserver.Server
	url  string
	keys map[anxin.Role]string
}

func newAPIEnv(t testing.TB, db *sqlstore.DB, configure func(*anxinhttp.Server)) *apiEnv {
	t.Helper()
	if db == nil {
		db = sqltest.OpenSQLite(t, anxintest.NewClock(t0))
	}
	ts := testserver.New(t, db, testserver.Marketplace, func(s *testserver.Server) {
		if configure != nil {
			configure(s.API)
		}
	})
	env := &apiEnv{t: t, db: db, srv: ts.API, ts: ts, url: ts.URL, keys: map[anxin.Role]string{}}
	for _, role := range []anxin.Role{anxin.RolePlatform, anxin.RoleOperator, anxin.RoleReviewer, anxin.MerchantRole("m_0"), anxin.RightsHolderRole("r_1")} {
		env.keys[role] = ts.NamedKey(string(role.Base()), role)
	}
	return env
}

// do sends a request with the key of role ("" for none) and returns the
// status and body.
func (e *apiEnv) do(role anxin.Role, method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	return e.doKey(e.keys[role], method, path, body)
}

func (e *apiEnv) doKey(key, method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	return e.ts.Call(key, method, path, body)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

type errBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Details []anxin.ItemError `json:"details"`
	} `json:"error"`
}

// counts returns the row counts of the mirror and event tables.
func (e *apiEnv) counts() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"merchants", "influencers", "buyers", "listings", "content_items", "orders", "shipments", "shipment_scans", "aftersales", "events"} {
		var n int
		if err := e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestMarketplaceAPI(t *testing.T) {
	env := newAPIEnv(t, nil, nil)
	var merchants []map[string]any
	for i := range 5 {
		merchants = append(merchants, map[string]any{"id": fmt.Sprintf("m_%d", i), "name": fmt.Sprintf("Shop %d", i)})
	}
	if code, body := env.do(anxin.RolePlatform, "POST", "/v1/merchants", mustJSON(map[string]any{"items": merchants})); code != 200 || !strings.Contains(string(body), `"upserted":5`) {
		t.Fatalf("POST /v1/merchants = %d %s; want 200 upserted 5", code, body)
	}
	orders := map[string]any{"items": []map[string]any{
		{"id": "o_1", "merchant_id": "m_0", "buyer_id": "b_1", "items": []map[string]any{{"listing_id": "l_1", "quantity": 2, "unit_price_fen": 150}}},
		{"id": "o_2", "merchant_id": "m_1", "buyer_id": "b_2"},
	}}
	if code, body := env.do(anxin.RolePlatform, "POST", "/v1/orders", mustJSON(orders)); code != 200 {
		t.Fatalf("POST /v1/orders = %d %s", code, body)
	}
	for path, items := range map[string]any{
		"/v1/listings":    []map[string]any{{"id": "l_1", "merchant_id": "m_0", "title": "Tea", "price_fen": 150}},
		"/v1/influencers": []map[string]any{{"id": "i_1", "name": "Streamer", "followers": 10}},
		"/v1/buyers":      []map[string]any{{"id": "b_1"}},
		"/v1/content":     []map[string]any{{"id": "c_1", "kind": "comment", "text": "nice"}},
		"/v1/shipments":   []map[string]any{{"id": "s_1", "order_id": "o_1", "carrier": "SF", "events": []map[string]any{{"code": "pickup", "at": t0}}}},
		"/v1/aftersales":  []map[string]any{{"id": "a_1", "order_id": "o_1", "kind": "refund_only", "amount_fen": 300}},
	} {
		if code, body := env.do(anxin.RolePlatform, "POST", path, mustJSON(map[string]any{"items": items})); code != 200 {
			t.Errorf("POST %s = %d %s; want 200", path, code, body)
		}
	}

	// Page through merchants two at a time.
	var ids []string
	path := "/v1/merchants?limit=2"
	for range 5 {
		code, body := env.do(anxin.RoleOperator, "GET", path, nil)
		if code != 200 {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		var page struct {
			Items []anxin.Merchant `json:"items"`
			Next  string           `json:"next_cursor"`
		}
		json.Unmarshal(body, &page)
		for _, m := range page.Items {
			ids = append(ids, m.ID)
		}
		if page.Next == "" {
			break
		}
		path = "/v1/merchants?limit=2&cursor=" + page.Next
	}
	if diff := cmp.Diff([]string{"m_0", "m_1", "m_2", "m_3", "m_4"}, ids); diff != "" {
		t.Errorf("paged merchants mismatch (-want +got):\n%s", diff)
	}

	tests := []struct {
		role anxin.Role
		path string
		want int
		has  string
	}{
		{anxin.RoleOperator, "/v1/orders/o_1", 200, `"total_fen":300`},
		{anxin.RoleOperator, "/v1/orders/o_404", 404, `"not_found"`},
		{anxin.RoleOperator, "/v1/listings/l_1", 200, `"title":"Tea"`},
		{anxin.RoleOperator, "/v1/merchants/m_3", 200, `"Shop 3"`},
		{anxin.RoleOperator, "/v1/shipments/s_1", 200, `"status":"pickup"`},
		{anxin.RoleOperator, "/v1/orders?merchant_id=m_1", 200, `"o_2"`},
		{anxin.RoleOperator, "/v1/listings?status=live", 200, `"l_1"`},
		{anxin.RoleOperator, "/v1/orders?limit=x", 400, `"invalid"`},
		{anxin.RoleOperator, "/v1/orders?cursor=%27%3B--", 400, `"invalid"`},
		{anxin.RoleOperator, "/v1/orders?merchant_id=%27%20OR%201%3D1", 400, `"invalid"`},
		{anxin.MerchantRole("m_0"), "/v1/orders/o_1", 200, `"o_1"`},
		{anxin.MerchantRole("m_0"), "/v1/orders/o_2", 404, `"not_found"`},
		{anxin.MerchantRole("m_0"), "/v1/merchants/m_1", 404, `"not_found"`},
		{anxin.MerchantRole("m_0"), "/v1/shipments/s_1", 200, `"s_1"`},
		{anxin.MerchantRole("m_0"), "/v1/orders", 200, `{"items":[{"id":"o_1"`},
		{anxin.MerchantRole("m_0"), "/v1/orders?merchant_id=m_1", 200, `{"items":[],"next_cursor":""}`},
		{anxin.RightsHolderRole("r_1"), "/v1/orders", 403, `"forbidden"`},
		{"", "/v1/orders", 401, `"unauthorized"`},
	}
	for _, tt := range tests {
		code, body := env.do(tt.role, "GET", tt.path, nil)
		if code != tt.want || !strings.Contains(string(body), tt.has) {
			t.Errorf("GET %s as %q = %d %s; want %d containing %s", tt.path, tt.role, code, body, tt.want, tt.has)
		}
	}
}

// TestHostileStringsStoredVerbatim puts SQL metacharacters in every string
// field of every entity and checks they come back unchanged and nothing
// else changed.
func TestHostileStringsStoredVerbatim(t *testing.T) {
	env := newAPIEnv(t, nil, nil)
	const h = `Robert'); DROP TABLE merchants;-- "x" ? $1 \' OR '1'='1 /* 中 */`
	merchant := map[string]any{"id": "m_0", "name": h, "categories": []string{h}, "attributes": map[string]string{h: h}}
	listing := map[string]any{"id": "l_1", "merchant_id": "m_0", "title": h, "description": h, "category": h, "brand": h, "attributes": map[string]string{"k": h}}
	order := map[string]any{"id": "o_1", "merchant_id": "m_0", "buyer_id": "b_1"}
	shipment := map[string]any{"id": "s_1", "order_id": "o_1", "carrier": h, "tracking_no": h, "events": []map[string]any{{"code": "pickup", "at": t0, "location": h}}}
	for path, item := range map[string]any{"/v1/merchants": merchant, "/v1/listings": listing, "/v1/orders": order, "/v1/shipments": shipment,
		"/v1/influencers": map[string]any{"id": "i_1", "name": h, "attributes": map[string]string{"k": h}},
		"/v1/content":     map[string]any{"id": "c_1", "kind": "comment", "text": h},
		"/v1/aftersales":  map[string]any{"id": "a_1", "order_id": "o_1", "kind": "exchange", "reason": h},
	} {
		if code, body := env.do(anxin.RolePlatform, "POST", path, mustJSON(map[string]any{"items": []any{item}})); code != 200 {
			t.Fatalf("POST %s = %d %s", path, code, body)
		}
	}
	events := []map[string]any{
		{"id": "e_1", "type": "order.cancelled", "occurred_at": t0, "data": map[string]any{"order_id": "o_1", "reason": h}},
		{"id": "e_2", "type": "shipment.scanned", "occurred_at": t0, "data": map[string]any{"order_id": "o_1", "shipment_id": "s_1", "code": "in_transit", "carrier": h, "location": h}},
	}
	if code, body := env.do(anxin.RolePlatform, "POST", "/v1/events", mustJSON(map[string]any{"events": events})); code != 200 {
		t.Fatalf("POST /v1/events = %d %s", code, body)
	}
	want := map[string]int{"merchants": 1, "influencers": 1, "buyers": 0, "listings": 1, "content_items": 1, "orders": 1, "shipments": 1, "shipment_scans": 2, "aftersales": 1, "events": 2}
	if diff := cmp.Diff(want, env.counts()); diff != "" {
		t.Errorf("row counts mismatch (-want +got):\n%s", diff)
	}
	_, body := env.do(anxin.RoleOperator, "GET", "/v1/merchants/m_0", nil)
	var m anxin.Merchant
	json.Unmarshal(body, &m)
	if m.Name != h || m.Categories[0] != h || m.Attributes[h] != h {
		t.Errorf("merchant came back as %+v; want the hostile strings verbatim", m)
	}
	_, body = env.do(anxin.RoleOperator, "GET", "/v1/listings/l_1", nil)
	var l anxin.Listing
	json.Unmarshal(body, &l)
	if l.Title != h || l.Description != h || l.Category != h || l.Brand != h || l.Attributes["k"] != h {
		t.Errorf("listing came back as %+v; want the hostile strings verbatim", l)
	}
	_, body = env.do(anxin.RoleOperator, "GET", "/v1/shipments/s_1", nil)
	var s anxin.Shipment
	json.Unmarshal(body, &s)
	if s.Carrier != h || s.TrackingNo != h || len(s.Events) != 2 || s.Events[0].Location != h || s.Events[1].Location != h {
		t.Errorf("shipment came back as %+v; want the hostile strings verbatim", s)
	}
	var data string
	env.db.QueryRowContext(context.Background(), `SELECT data FROM events WHERE id = 'e_1'`).Scan(&data)
	if !strings.Contains(data, "DROP TABLE merchants") {
		t.Errorf("event data = %s; want it stored as sent", data)
	}
}
