package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"anxin"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
)

type ipHarness struct {
	t    *testing.T
	srv  *testserver.Server
	keys map[string]string
	db   *sqlstore.DB
}

func newIPHarness(t *testing.T) *ipHarness {
	srv := testserver.New(t, nil, testserver.IP)
	h := &ipHarness{t: t, srv: srv, keys: map[string]string{}, db: srv.DB}
	for _, r := range []anxin.Role{anxin.RolePlatform, anxin.RoleOperator, anxin.RightsHolderRole("rh1"), anxin.MerchantRole("m_bad"), anxin.RoleCare} {
		h.keys[string(r)] = srv.Key(r)
	}
	return h
}

func (h *ipHarness) do(role, method, path, ctype string, body []byte) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+h.keys[role])
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func TestIPAPI(t *testing.T) {
	h := newIPHarness(t)
	ctx := anxin.NewContextWithActor(context.Background(), anxin.Actor{Role: anxin.RolePlatform})
	ms := sqlstore.NewMarketplaceService(h.db)
	ms.UpsertMerchants(ctx, []*anxin.Merchant{{ID: "m_bad", Name: "x"}, {ID: "m_old", Name: "y", Status: "cleared"}})
	ms.UpsertListings(ctx, []*anxin.Listing{{ID: "l1", MerchantID: "m_bad", Title: "Lumen 包", Brand: "Lumen", Category: "bags", PriceFen: 100}})

	brand := `{"id":"b1","name":"Lumen","rights_holder_id":"rh1","registration_ref":"TM-1","ref_prices_fen":{"bags":200000},"authorised_sellers":["m_ok"]}`
	tests := []struct {
		name, role, method, path, ctype, body string
		want                                  int
	}{
		{"no key", "", "POST", "/v1/brands", "", brand, 401},
		{"care may not register brands", "care", "POST", "/v1/brands", "", brand, 403},
		{"malformed brand", "operator", "POST", "/v1/brands", "", `{"id":"b1",`, 400},
		{"unknown field", "operator", "POST", "/v1/brands", "", `{"id":"b1","nmae":"x"}`, 400},
		{"negative reference price", "operator", "POST", "/v1/brands", "", `{"id":"b1","name":"L","rights_holder_id":"rh1","registration_ref":"TM","ref_prices_fen":{"bags":-5}}`, 400},
		{"register", "operator", "POST", "/v1/brands", "", brand, 200},
		{"identity flood of a bad kind", "platform", "POST", "/v1/identity", "", `{"items":[{"kind":"planet","id":"x","type":"ip","value":"1"}]}`, 400},
		{"identity", "platform", "POST", "/v1/identity", "", `{"items":[{"kind":"merchant","id":"m_old","type":"bank_account","value":"h:1"},{"kind":"merchant","id":"m_bad","type":"bank_account","value":"h:1"}]}`, 200},
		{"cluster as merchant", "merchant:m_bad", "GET", "/v1/graph/merchant/m_bad", "", "", 403},
		{"cluster bad kind", "operator", "GET", "/v1/graph/planet/m_bad", "", "", 400},
		{"cluster", "operator", "GET", "/v1/graph/merchant/m_bad", "", "", 200},
		{"export", "operator", "GET", "/v1/graph/merchant/m_bad/export", "", "", 200},
		{"not an image", "operator", "POST", "/v1/images:hash", "image/png", "hello", 400},
		{"hash bank bad hash", "operator", "POST", "/v1/hashbank", "", `{"items":[{"pdq":"xyz","label":"counterfeit"}]}`, 400},
		{"hash bank search bad distance", "operator", "GET", "/v1/hashbank/search?pdq=" + strings.Repeat("0", 64) + "&distance=99", "", "", 400},
		{"score", "platform", "POST", "/v1/counterfeit:score", "", `{"listing":{"id":"l1","merchant_id":"m_bad","title":"Lumen 包","brand":"Lumen","category":"bags","price_fen":100}}`, 200},
		{"score nothing", "platform", "POST", "/v1/counterfeit:score", "", `{}`, 400},
		{"notice by a merchant", "merchant:m_bad", "POST", "/v1/notices", "", `{"brand_id":"b1","listing_id":"l1","reason":"trademark.fake.mxjh","evidence":[{"kind":"text","ref":"title"}]}`, 403},
		{"notice with SQL in ids", "rightsholder:rh1", "POST", "/v1/notices", "", `{"brand_id":"b1","listing_id":"l1' OR '1'='1","reason":"trademark.fake.mxjh","evidence":[{"kind":"text","ref":"title"}]}`, 400},
		{"notice", "rightsholder:rh1", "POST", "/v1/notices", "", `{"brand_id":"b1","listing_id":"l1","reason":"trademark.fake.mxjh","evidence":[{"kind":"text","ref":"title says 高仿"}]}`, 201},
		{"decide without accept", "operator", "POST", "/v1/notices/x/decide", "", `{}`, 400},
		{"train with too few outcomes", "operator", "POST", "/v1/models/train", "", `{"seed":1}`, 400},
	}
	for _, tt := range tests {
		code, body := h.do(tt.role, tt.method, tt.path, tt.ctype, []byte(tt.body))
		if code != tt.want {
			t.Errorf("%s: %s %s = %d %v; want %d", tt.name, tt.method, tt.path, code, body, tt.want)
		}
	}
	_, cl := h.do("operator", "GET", "/v1/graph/merchant/m_bad", "", nil)
	if members := cl["members"].([]any); len(members) != 2 {
		t.Errorf("cluster members = %v; want 2", members)
	}
	_, rr := h.do("operator", "GET", "/v1/graph/reregistrations", "", nil)
	if items := rr["items"].([]any); len(items) != 1 {
		t.Errorf("reregistrations = %v; want m_bad caught", rr)
	}
	_, sc := h.do("platform", "POST", "/v1/counterfeit:score", "", []byte(`{"listing":{"id":"l1","merchant_id":"m_bad","title":"Lumen 包","brand":"Lumen","category":"bags","price_fen":100}}`))
	if sc["score"].(float64) < 0.7 {
		t.Errorf("score = %v; want high (unauthorised, 0.05%% of reference, linked to a cleared shop)", sc)
	}
	// a real image hashes
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range 64 {
		img.Set(i, i, color.RGBA{255, 0, 0, 255})
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	code, hh := h.do("operator", "POST", "/v1/images:hash", "image/png", buf.Bytes())
	if code != 200 || len(hh["pdq"].(string)) != 64 {
		t.Errorf("images:hash = %d %v", code, hh)
	}
	// the rights holder sees its notice, taken down at once (mxjh is strong evidence)
	_, ns := h.do("rightsholder:rh1", "GET", "/v1/notices", "", nil)
	items := ns["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["state"] != "taken_down" {
		t.Fatalf("notices = %v", ns)
	}
	id := items[0].(map[string]any)["id"].(string)
	code, c := h.do("merchant:m_bad", "POST", "/v1/notices/"+id+"/counter", "", []byte(`{"statement":"genuine stock"}`))
	if code != 200 || c["state"] != "countered" {
		t.Errorf("counter = %d %v", code, c)
	}
}
