package http_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"anxin"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
)

// consoleGet and consolePost drive the console with a session for role.
func consoleSession(t *testing.T, db *sqlstore.DB, role anxin.Role) (token, csrf string) {
	t.Helper()
	ks := sqlstore.NewKeyService(db)
	_, actor, err := ks.CreateKey(context.Background(), "console "+string(role), role)
	if err != nil {
		t.Fatal(err)
	}
	token, csrf, err = ks.CreateSession(context.Background(), actor.KeyID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return token, csrf
}

func consoleDo(t *testing.T, ts *testserver.Server, token, method, path string, form url.Values) (int, string) {
	t.Helper()
	return ts.SessionPage(token, method, path, form)
}

// protHasElement reports whether html has an element with the given attribute
// and value (a selector check on the rendered markup).
func protHasElement(html, attr, value string) bool {
	return regexp.MustCompile(`<[a-z]+[^>]*\s` + regexp.QuoteMeta(attr) + `="` + regexp.QuoteMeta(value) + `"`).MatchString(html)
}

func TestProtectionConsole(t *testing.T) {
	ts, keys, db := protectionServer(t)
	platform, merchant := keys["platform"], keys["merchant:m1"]
	ev := `[{"id":"ev-d","type":"shipment.scanned","occurred_at":"2026-06-01T08:00:00Z","data":{"shipment_id":"s1","order_id":"o1","code":"delivered"}}]`
	var events []*anxin.Event
	json.Unmarshal([]byte(ev), &events)
	if _, err := sqlstore.NewEventService(db).IngestEvents(anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "p", Role: anxin.RolePlatform}), events); err != nil {
		t.Fatal(err)
	}
	code, c := call(t, ts, platform, "POST", "/v1/claims", `{"key":"dmg","order_id":"o1","buyer_id":"b1","programme_id":"damage_return","type":"damaged"}`)
	if code != 201 {
		t.Fatalf("file damage claim = %d %v", code, c)
	}
	id := c["id"].(string)
	png := base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...))
	for i, k := range []string{"photo_outer_package", "photo_item", "photo_waybill"} {
		data := base64.StdEncoding.EncodeToString(append(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...), byte(i)))
		if i == 0 {
			data = png
		}
		if code, out := call(t, ts, platform, "POST", "/v1/claims/"+id+"/evidence", `{"kind":"`+k+`","content_type":"image/png","data":"`+data+`"}`); code != 200 {
			t.Fatalf("evidence %s = %d %v", k, code, out)
		}
	}
	if code, out := call(t, ts, merchant, "POST", "/v1/claims/"+id+"/response", `{"response":"reject","note":"fine when sent"}`); code != 200 || out["status"] != "escalated" {
		t.Fatalf("merchant reject = %d %v", code, out)
	}

	rtok, rcsrf := consoleSession(t, db, anxin.RoleReviewer)
	code, body := consoleDo(t, ts, rtok, "GET", "/console/claims", nil)
	if code != 200 || !protHasElement(body, "data-claim", id) || !protHasElement(body, "href", "/console/claims") {
		t.Fatalf("claims queue = %d; want the escalated claim listed", code)
	}
	code, body = consoleDo(t, ts, rtok, "GET", "/console/claims/"+id, nil)
	if code != 200 || !protHasElement(body, "id", "timeline") || !protHasElement(body, "id", "decide") || !strings.Contains(body, "photo_waybill") {
		t.Fatalf("claim page = %d; want timeline, evidence and the decision form", code)
	}
	if code, _ := consoleDo(t, ts, rtok, "POST", "/console/claims/"+id+"/decide", url.Values{"outcome": {"approve"}, "reason": {"crushed"}}); code != 403 {
		t.Errorf("decide without csrf = %d; want 403", code)
	}
	code, body = consoleDo(t, ts, rtok, "POST", "/console/claims/"+id+"/decide", url.Values{"csrf": {rcsrf}, "outcome": {"approve"}, "reason": {"photos show a crushed box"}})
	if code != 200 || !strings.Contains(body, "Decision recorded.") || protHasElement(body, "id", "decide") {
		t.Fatalf("decide = %d; want the claim shown decided", code)
	}
	if code, _ := consoleDo(t, ts, rtok, "GET", "/console/money", nil); code != 403 {
		t.Errorf("reviewer money page = %d; want 403", code)
	}

	otok, ocsrf := consoleSession(t, db, anxin.RoleOperator)
	code, body = consoleDo(t, ts, otok, "GET", "/console/programmes?edit=late_shipment", nil)
	if code != 200 || !protHasElement(body, "data-programme", "anxingou") || !protHasElement(body, "id", "editor") {
		t.Fatalf("programme editor = %d", code)
	}
	if v, _ := inputValue(body, "p-rate"); v != "5" {
		t.Errorf("late_shipment rate in the form = %q; want 5 (%%, stored as 500 bp)", v)
	}
	if v, _ := inputValue(body, "p-max"); v != "30.00" {
		t.Errorf("late_shipment cap in the form = %q; want 30.00 (¥, stored as 3000 fen)", v)
	}
	greedy := url.Values{"csrf": {ocsrf}, "id": {"greedy"}, "name": {"Greedy"}, "kind": {"damage_return"}, "trigger_type": {"claim"}, "claim_types": {"damaged"},
		"window_start": {"signed"}, "window_hours": {"72"}, "payout_kind": {"fixed"}, "payout_fixed": {"1000"}, "form": {"cash"}, "funding": {"merchant"}, "approve_max": {"0.01"}}
	code, body = consoleDo(t, ts, otok, "POST", "/console/programmes", greedy)
	if code != 422 || !strings.Contains(fieldError(body, "p-formula"), "could pay more than the order") {
		t.Fatalf("over-paying programme = %d; want it refused beside the formula", code)
	}
	if v, _ := inputValue(body, "p-fixed"); v != "1000" {
		t.Errorf("fixed amount after the refusal = %q; want the typed 1000", v)
	}
	code, body = consoleDo(t, ts, otok, "GET", "/console/money?merchant=m1", nil)
	if code != 200 || !protHasElement(body, "id", "merchant-money") || !protHasElement(body, "id", "pools") {
		t.Fatalf("money page = %d", code)
	}
	mtok, _ := consoleSession(t, db, anxin.MerchantRole("m2"))
	if code, _ := consoleDo(t, ts, mtok, "GET", "/console/claims/"+id, nil); code != 404 {
		t.Errorf("another merchant's claim page = %d; want 404", code)
	}
}
