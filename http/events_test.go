package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"anxin"
	anxinhttp "anxin/http"

	"github.com/google/go-cmp/cmp"
)

func eventJSON(id, typ string, at time.Time, data string) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"occurred_at":%q,"data":%s}`, id, typ, at.Format(time.RFC3339Nano), data)
}

func batchBody(events ...string) []byte {
	return []byte(`{"events":[` + strings.Join(events, ",") + `]}`)
}

func TestPostEvents(t *testing.T) {
	env := newAPIEnv(t, nil, nil)
	body := batchBody(
		eventJSON("e_1", "order.created", t0, `{"id":"o_1","merchant_id":"m_0","buyer_id":"b_1","items":[{"listing_id":"l_1","quantity":1,"unit_price_fen":990}]}`),
		eventJSON("e_2", "order.paid", t0.Add(time.Minute), `{"order_id":"o_1"}`),
		eventJSON("e_3", "shipment.scanned", t0.Add(time.Hour), `{"order_id":"o_1","shipment_id":"s_1","code":"pickup"}`),
	)
	code, resp := env.do(anxin.RolePlatform, "POST", "/v1/events", body)
	if code != 200 || string(bytes.TrimSpace(resp)) != `{"received":3,"stored":3,"duplicates":0}` {
		t.Fatalf("POST /v1/events = %d %s; want 200 with 3 stored", code, resp)
	}
	before := env.counts()
	code, resp = env.do(anxin.RolePlatform, "POST", "/v1/events", body)
	if code != 200 || string(bytes.TrimSpace(resp)) != `{"received":3,"stored":0,"duplicates":3}` {
		t.Fatalf("second POST /v1/events = %d %s; want 200 with 3 duplicates", code, resp)
	}
	if diff := cmp.Diff(before, env.counts()); diff != "" {
		t.Errorf("a replayed batch changed row counts (-before +after):\n%s", diff)
	}
	_, o := env.do(anxin.RoleOperator, "GET", "/v1/orders/o_1", nil)
	if !strings.Contains(string(o), `"status":"paid"`) {
		t.Errorf("GET /v1/orders/o_1 = %s; want status paid", o)
	}
	// The counters saw it.
	code, metrics := env.do("", "GET", "/metrics", nil)
	for _, line := range []string{
		`anxin_events_received_total{type="order.created"} 2`,
		`anxin_events_stored_total{type="order.paid"} 1`,
		`anxin_events_duplicate_total{type="shipment.scanned"} 1`,
	} {
		if code != 200 || !strings.Contains(string(metrics), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// TestBadInputChangesNothing sends hostile and malformed requests to every
// write route and checks each gets the right status and code and that no
// row changed.
func TestBadInputChangesNothing(t *testing.T) {
	env := newAPIEnv(t, nil, func(s *anxinhttp.Server) { s.MaxBodyBytes = 1 << 20 })
	seed := batchBody(eventJSON("e_seed", "order.created", t0, `{"id":"o_seed","merchant_id":"m_0","buyer_id":"b_1"}`))
	if code, resp := env.do(anxin.RolePlatform, "POST", "/v1/events", seed); code != 200 {
		t.Fatalf("seed = %d %s", code, resp)
	}
	before := env.counts()
	good := eventJSON("e_good", "order.paid", t0, `{"order_id":"o_seed"}`)
	many := make([]string, anxin.MaxBatch+1)
	for i := range many {
		many[i] = eventJSON(fmt.Sprintf("e_%d", i), "order.paid", t0, `{"order_id":"o_1"}`)
	}
	huge := batchBody(good, eventJSON("e_big", "order.cancelled", t0, `{"order_id":"o_1","reason":"`+strings.Repeat("x", 2<<20)+`"}`))
	tests := []struct {
		name       string
		role       anxin.Role
		key        string // overrides role
		path       string
		body       []byte
		wantStatus int
		wantCode   string
		wantIdx    []int
	}{
		{"malformed json", anxin.RolePlatform, "", "/v1/events", []byte(`{"events":[`), 400, "invalid", nil},
		{"not an object", anxin.RolePlatform, "", "/v1/events", []byte(`[1,2]`), 400, "invalid", nil},
		{"events wrong type", anxin.RolePlatform, "", "/v1/events", []byte(`{"events":"lots"}`), 400, "invalid", nil},
		{"event id wrong type", anxin.RolePlatform, "", "/v1/events", []byte(`{"events":[{"id":7,"type":"order.paid"}]}`), 400, "invalid", nil},
		{"unknown top-level field", anxin.RolePlatform, "", "/v1/events", []byte(`{"events":[` + good + `],"drop":1}`), 400, "invalid", nil},
		{"trailing data", anxin.RolePlatform, "", "/v1/events", append(batchBody(good), []byte(` {"events":[]}`)...), 400, "invalid", nil},
		{"empty body", anxin.RolePlatform, "", "/v1/events", nil, 400, "invalid", nil},
		{"empty batch", anxin.RolePlatform, "", "/v1/events", []byte(`{"events":[]}`), 400, "invalid", nil},
		{"invalid utf-8", anxin.RolePlatform, "", "/v1/events", batchBody(good, eventJSON("e_u", "order.cancelled", t0, "{\"order_id\":\"o_1\",\"reason\":\"\xff\xfe\"}")), 400, "invalid", nil},
		{"escaped NUL", anxin.RolePlatform, "", "/v1/events", batchBody(good, eventJSON("e_n", "order.cancelled", t0, `{"order_id":"o_1","reason":"a\u0000b"}`)), 400, "invalid", []int{1}},
		{"unknown event type", anxin.RolePlatform, "", "/v1/events", batchBody(good, eventJSON("e_x", "order.exploded", t0, `{"order_id":"o_1"}`)), 400, "invalid", []int{1}},
		{"negative amount", anxin.RolePlatform, "", "/v1/events", batchBody(eventJSON("e_a", "aftersale.requested", t0, `{"id":"a_1","order_id":"o_1","kind":"refund_only","amount_fen":-1}`), good), 400, "invalid", []int{0}},
		{"overflowing amount", anxin.RolePlatform, "", "/v1/events", batchBody(good, eventJSON("e_a", "aftersale.requested", t0, `{"id":"a_1","order_id":"o_1","kind":"refund_only","amount_fen":99999999999999999999999}`)), 400, "invalid", []int{1}},
		{"amount over the cap", anxin.RolePlatform, "", "/v1/events", batchBody(good, eventJSON("e_a", "aftersale.requested", t0, `{"id":"a_1","order_id":"o_1","kind":"refund_only","amount_fen":9007199254740993}`)), 400, "invalid", []int{1}},
		{"fractional amount", anxin.RolePlatform, "", "/v1/events", batchBody(good, eventJSON("e_a", "aftersale.requested", t0, `{"id":"a_1","order_id":"o_1","kind":"refund_only","amount_fen":1.5}`)), 400, "invalid", []int{1}},
		{"duplicate ids", anxin.RolePlatform, "", "/v1/events", batchBody(good, good), 400, "invalid", []int{1}},
		{"sql in id", anxin.RolePlatform, "", "/v1/events", batchBody(good, eventJSON("e'; DROP TABLE events;--", "order.paid", t0, `{"order_id":"o_1"}`)), 400, "invalid", []int{1}},
		{"sql in order id", anxin.RolePlatform, "", "/v1/events", batchBody(eventJSON("e_q", "order.paid", t0, `{"order_id":"o' OR '1'='1"}`), good), 400, "invalid", []int{0}},
		{"bad time", anxin.RolePlatform, "", "/v1/events", []byte(`{"events":[{"id":"e_t","type":"order.paid","occurred_at":"yesterday","data":{"order_id":"o"}}]}`), 400, "invalid", nil},
		{"time out of range", anxin.RolePlatform, "", "/v1/events", batchBody(eventJSON("e_t", "order.paid", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), `{"order_id":"o"}`)), 400, "invalid", []int{0}},
		{"schema version", anxin.RolePlatform, "", "/v1/events", []byte(`{"events":[{"id":"e_v","type":"order.paid","schema_version":9,"occurred_at":"2026-03-03T09:00:00Z","data":{"order_id":"o"}}]}`), 400, "invalid", []int{0}},
		{"too many events", anxin.RolePlatform, "", "/v1/events", batchBody(many...), 413, "too_large", nil},
		{"oversized body", anxin.RolePlatform, "", "/v1/events", huge, 413, "too_large", nil},
		{"oversized upsert", anxin.RolePlatform, "", "/v1/merchants", []byte(`{"items":[{"id":"m_9","name":"` + strings.Repeat("y", 2<<20) + `"}]}`), 413, "too_large", nil},
		{"upsert wrong type", anxin.RolePlatform, "", "/v1/listings", []byte(`{"items":[{"id":"l_1","merchant_id":"m_0","price_fen":"12"}]}`), 400, "invalid", nil},
		{"upsert negative", anxin.RolePlatform, "", "/v1/listings", []byte(`{"items":[{"id":"l_1","merchant_id":"m_0","title":"ok"},{"id":"l_2","merchant_id":"m_0","price_fen":-100}]}`), 400, "invalid", []int{1}},
		{"upsert duplicate ids", anxin.RolePlatform, "", "/v1/merchants", []byte(`{"items":[{"id":"m_7"},{"id":"m_7"}]}`), 400, "invalid", []int{1}},
		{"upsert null item", anxin.RolePlatform, "", "/v1/buyers", []byte(`{"items":[{"id":"b_7"},null]}`), 400, "invalid", []int{1}},
		{"upsert unknown field", anxin.RolePlatform, "", "/v1/orders", []byte(`{"items":[{"id":"o_7","merchant_id":"m","buyer_id":"b","admin":true}]}`), 400, "invalid", nil},
		{"upsert bad utf-8", anxin.RolePlatform, "", "/v1/content", []byte("{\"items\":[{\"id\":\"c_7\",\"kind\":\"comment\",\"text\":\"\xc3\x28\"}]}"), 400, "invalid", nil},
		{"no key", "", "", "/v1/events", batchBody(good), 401, "unauthorized", nil},
		{"bad key", "", "ak_nope_nope", "/v1/events", batchBody(good), 401, "unauthorized", nil},
		{"sql as key", "", "' OR 1=1 --", "/v1/merchants", []byte(`{"items":[{"id":"m_8"}]}`), 401, "unauthorized", nil},
		{"operator may not post events", anxin.RoleOperator, "", "/v1/events", batchBody(good), 403, "forbidden", nil},
		{"reviewer may not upsert", anxin.RoleReviewer, "", "/v1/orders", []byte(`{"items":[{"id":"o_8","merchant_id":"m","buyer_id":"b"}]}`), 403, "forbidden", nil},
		{"merchant may not upsert", anxin.MerchantRole("m_0"), "", "/v1/listings", []byte(`{"items":[{"id":"l_8","merchant_id":"m_0"}]}`), 403, "forbidden", nil},
		{"merchant may not post events", anxin.MerchantRole("m_0"), "", "/v1/events", batchBody(good), 403, "forbidden", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := env.keys[tt.role]
			if tt.key != "" {
				key = tt.key
			}
			code, resp := env.doKey(key, "POST", tt.path, tt.body)
			var e errBody
			if err := json.Unmarshal(resp, &e); err != nil {
				t.Fatalf("POST %s = %d, body not the error shape: %.200s", tt.path, code, resp)
			}
			if code != tt.wantStatus || e.Error.Code != tt.wantCode || e.Error.Message == "" {
				t.Fatalf("POST %s = %d %s %q; want %d %s", tt.path, code, e.Error.Code, e.Error.Message, tt.wantStatus, tt.wantCode)
			}
			var idx []int
			for _, d := range e.Error.Details {
				idx = append(idx, d.Index)
			}
			if diff := cmp.Diff(tt.wantIdx, idx); diff != "" {
				t.Errorf("details mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(before, env.counts()); diff != "" {
		t.Errorf("bad requests changed row counts (-before +after):\n%s", diff)
	}
	_, metrics := env.do("", "GET", "/metrics", nil)
	if !strings.Contains(string(metrics), `anxin_events_rejected_total{type="unknown"} 1`) {
		t.Errorf("/metrics does not count the unknown-type event as rejected")
	}
}
