package http_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// protectionServer returns a test server on real SQLite services, with keys
// per role, and an order o1 (buyer b1, merchant m1, 5000 fen) paid through
// the event API so the protection hook records its coverage.
func protectionServer(t *testing.T) (*testserver.Server, map[string]string, *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	db := sqltest.OpenSQLite(t, anxintest.NewClock(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)))
	ts := testserver.New(t, db, testserver.Protection)
	keys := map[string]string{}
	for _, r := range []anxin.Role{anxin.RolePlatform, anxin.RoleReviewer, anxin.RoleFinance, anxin.MerchantRole("m1"), anxin.MerchantRole("m2")} {
		keys[string(r)] = ts.Key(r)
	}
	platform := anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "p", Role: anxin.RolePlatform})
	var events []*anxin.Event
	for i, e := range []struct{ typ, data string }{
		{anxin.EventOrderCreated, `{"id":"o1","merchant_id":"m1","buyer_id":"b1","items":[{"listing_id":"l1","quantity":1,"unit_price_fen":5000}]}`},
		{anxin.EventOrderPaid, `{"order_id":"o1"}`},
	} {
		events = append(events, &anxin.Event{ID: "e" + string(rune('0'+i)), Type: e.typ, OccurredAt: db.Clock.Now(), Data: json.RawMessage(e.data)})
	}
	if _, err := sqlstore.NewEventService(db).IngestEvents(platform, events); err != nil {
		t.Fatal(err)
	}
	return ts, keys, db
}

func call(t *testing.T, ts *testserver.Server, key, method, path, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func TestClaimsAPI(t *testing.T) {
	ts, keys, db := protectionServer(t)
	p, m1, m2 := keys["platform"], keys["merchant:m1"], keys["merchant:m2"]
	body := `{"order_id":"o1","buyer_id":"b1","programme_id":"instant_refund","type":"unshipped_refund"}`
	code, c := call(t, ts, p, "POST", "/v1/claims", body, "Idempotency-Key", "idem-1")
	if code != 201 || c["status"] != "approved" {
		t.Fatalf("POST /v1/claims = %d %v; want 201 approved", code, c)
	}
	code, again := call(t, ts, p, "POST", "/v1/claims", body, "Idempotency-Key", "idem-1")
	if code != 200 || again["id"] != c["id"] {
		t.Fatalf("retried POST = %d %v; want 200 with the same claim", code, again["id"])
	}
	id := c["id"].(string)
	payout := c["payout"].(map[string]any)
	tests := []struct {
		name, key, method, path, body string
		want                          int
		msg                           string
	}{
		{"header and key differ", p, "POST", "/v1/claims", `{"key":"other","order_id":"o1","buyer_id":"b1","programme_id":"instant_refund","type":"unshipped_refund"}`, 400, "differ"},
		{"wrong buyer", p, "POST", "/v1/claims", `{"order_id":"o1","buyer_id":"b9","programme_id":"damage_return","type":"damaged"}`, 400, "not placed by buyer"},
		{"unknown field", p, "POST", "/v1/claims", `{"amount":1}`, 400, "unknown field"},
		{"merchant files", m1, "POST", "/v1/claims", `{"order_id":"o1","buyer_id":"b1","programme_id":"instant_refund","type":"unshipped_refund"}`, 403, ""},
		{"other merchant reads", m2, "GET", "/v1/claims/" + id, "", 404, "Claim not found"},
		{"fractional amount", keys["reviewer"], "POST", "/v1/claims/" + id + "/decision", `{"outcome":"approve","reason":"x","amount_fen":1.5}`, 400, "amount_fen"},
		{"overflowing amount", keys["reviewer"], "POST", "/v1/claims/" + id + "/decision", `{"outcome":"approve","reason":"x","amount_fen":1e30}`, 400, "amount_fen"},
		{"negative amount", keys["reviewer"], "POST", "/v1/claims/" + id + "/decision", `{"outcome":"approve","reason":"x","amount_fen":-5}`, 400, "negative"},
		{"decide an approved claim", keys["reviewer"], "POST", "/v1/claims/" + id + "/decision", `{"outcome":"deny","reason":"x"}`, 409, "only escalated or appealed"},
		{"platform decides", p, "POST", "/v1/claims/" + id + "/decision", `{"outcome":"deny","reason":"x"}`, 403, ""},
		{"evidence not its type", p, "POST", "/v1/claims/" + id + "/evidence", `{"kind":"photo_item","content_type":"image/jpeg","data":"` + base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00 not a jpeg")) + `"}`, 400, "declared as image/jpeg"},
		{"unknown currency", keys["finance"], "POST", "/v1/ledger/fundings", `{"key":"f1","account":"guarantee_fund","amount_fen":100,"currency":"ABC"}`, 400, "currency"},
		{"zero funding", keys["finance"], "POST", "/v1/ledger/fundings", `{"key":"f2","account":"guarantee_fund","amount_fen":0}`, 400, "positive"},
		{"fractional funding", keys["finance"], "POST", "/v1/ledger/fundings", `{"key":"f3","account":"guarantee_fund","amount_fen":10.5}`, 400, "amount_fen"},
		{"over-paying programme", keys["finance"], "POST", "/v1/programmes", `{}`, 403, ""},
		{"merchant reads other money", m1, "GET", "/v1/ledger/merchants/m2", "", 404, ""},
		{"bad limit", p, "GET", "/v1/claims?limit=0", "", 400, "limit"},
		{"ack unknown payout", p, "POST", "/v1/payouts/pay_x/ack", `{"status":"paid","posting_id":"pst_x","amount_fen":1}`, 404, ""},
	}
	for _, tt := range tests {
		code, out := call(t, ts, tt.key, tt.method, tt.path, tt.body, "Idempotency-Key", "idem-"+tt.name[:4])
		msg, _ := json.Marshal(out)
		if code != tt.want || !strings.Contains(string(msg), tt.msg) {
			t.Errorf("%s: %s %s = %d %s; want %d containing %q", tt.name, tt.method, tt.path, code, msg, tt.want, tt.msg)
		}
	}
	if code, out := call(t, ts, m1, "GET", "/v1/claims/"+id, ""); code != 200 || out["id"] != id {
		t.Errorf("merchant m1 GET own claim = %d", code)
	}
	if code, out := call(t, ts, m2, "GET", "/v1/claims", ""); code != 200 || len(out["claims"].([]any)) != 0 {
		t.Errorf("merchant m2 list = %d %v; want empty", code, out)
	}
	ack := `{"status":"paid","posting_id":"` + payout["posting_id"].(string) + `","amount_fen":5000}`
	for i := 0; i < 2; i++ {
		if code, out := call(t, ts, p, "POST", "/v1/payouts/"+payout["id"].(string)+"/ack", ack); code != 200 || out["status"] != "paid" {
			t.Fatalf("ack #%d = %d %v", i, code, out)
		}
	}
	if code, out := call(t, ts, keys["finance"], "GET", "/v1/ledger/reconciliation", ""); code != 200 || out["paid"].(float64) != 1 {
		t.Errorf("reconciliation = %d %v", code, out)
	}
	if check, err := db.VerifyLedger(context.Background()); err != nil || !check.OK() || check.Payouts != 1 {
		t.Fatalf("VerifyLedger = %+v, %v", check, err)
	}
}

func TestProgrammesAPI(t *testing.T) {
	ts, keys, _ := protectionServer(t)
	code, out := call(t, ts, keys["platform"], "GET", "/v1/programmes", "")
	if code != 200 || len(out["programmes"].([]any)) != 10 {
		t.Fatalf("GET /v1/programmes = %d, %d programmes; want 10", code, len(out["programmes"].([]any)))
	}
	if code, out := call(t, ts, keys["merchant:m1"], "POST", "/v1/enrolments", `{"merchant_id":"m1","programme_id":"anxingou"}`); code != 200 || len(out["enrolments"].([]any)) != 4 {
		t.Errorf("self-enrolment in the bundle = %d %v; want 4 enrolments", code, out)
	}
	if code, _ := call(t, ts, keys["merchant:m1"], "POST", "/v1/enrolments", `{"merchant_id":"m2","programme_id":"anxingou"}`); code != 404 {
		t.Errorf("enrolling another merchant = %d; want 404", code)
	}
	if code, _ := call(t, ts, keys["merchant:m1"], "DELETE", "/v1/enrolments/m1/anxingou", ""); code != 204 {
		t.Errorf("leaving the bundle = %d; want 204", code)
	}
}
