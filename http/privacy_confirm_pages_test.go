package http_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"anxin"
)

// TestAlertResolveNeedsNote resolves an exfiltration alert from the
// console: without a note nothing changes; with one the alert closes and
// the note is in the audit log; the same form posted again changes nothing.
func TestAlertResolveNeedsNote(t *testing.T) {
	e := newPrivacyEnv(t)
	people := genPII(7, 30)
	for i, p := range people {
		id := fmt.Sprintf("o%d", i)
		e.order(id, "m1", anxin.OrderPaid)
		if code, body := e.do("platform", "PUT", "/v1/orders/"+id+"/pii", p); code != 200 {
			t.Fatalf("PUT pii = %d %s", code, body)
		}
	}
	e.grant(map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": "*", "expires_at": e.clock.Now().Add(time.Hour)})
	for i := range 30 {
		e.do("merchant:m1", "POST", fmt.Sprintf("/v1/orders/o%d/pii:decrypt", i), map[string]any{"purpose": "ship"})
	}
	_, body := e.page("privacy", "GET", "/console/privacy/alerts", nil)
	m := regexp.MustCompile(`data-alert="([a-z0-9_]+)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `class="resolve-note" required`) {
		t.Fatalf("alerts page lacks an open alert with a required note:\n%s", body)
	}
	id := m[1]
	path := "/console/privacy/alerts/" + id + "/resolve"
	if code, _ := e.page("privacy", "POST", path, url.Values{"resolution": {"confirmed"}, "note": {"  "}}); code != 400 {
		t.Errorf("resolve without a note = %d; want 400", code)
	}
	if _, body := e.page("privacy", "GET", "/console/privacy/alerts", nil); !strings.Contains(body, "open · throttled") {
		t.Fatal("a refused resolution closed the alert")
	}
	code, body := e.page("privacy", "POST", path, url.Values{"resolution": {"confirmed"}, "note": {"ticket 7: bulk export confirmed with the merchant"}})
	if code != 200 || !strings.Contains(body, "Alert resolved") {
		t.Fatalf("resolve = %d", code)
	}
	code, body = e.page("privacy", "POST", path, url.Values{"resolution": {"false_positive"}, "note": {"again"}})
	if code != 200 || !strings.Contains(body, "already resolved") || !strings.Contains(body, `<span class="badge">confirmed</span>`) {
		t.Errorf("second post = %d; want the alert shown as already resolved (confirmed)", code)
	}
	_, body = e.page("auditor", "GET", "/console/privacy/audit?action=resolve_alert", nil)
	if n := strings.Count(body, "data-seq="); n != 1 || !strings.Contains(body, "bulk export confirmed with the merchant") {
		t.Errorf("audit log has %d resolve_alert rows; want one with the note", n)
	}
}

// TestGrantFormKeepsValuesAndActsOnce posts a bad grant form (shown again
// with what was typed), then a good one twice with the same form token: one
// grant is requested.
func TestGrantFormKeepsValuesAndActsOnce(t *testing.T) {
	e := newPrivacyEnv(t)
	e.order("o1", "m1", anxin.OrderPaid)
	_, body := e.page("privacy", "GET", "/console/privacy/grants", nil)
	tok := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(body)
	if tok == nil {
		t.Fatal("the grant form has no form token")
	}
	for _, label := range []string{`<label for="grant-role">`, `<label for="grant-order">`, `<label for="grant-hours">`} {
		if !strings.Contains(body, label) {
			t.Errorf("grant form lacks %s", label)
		}
	}
	bad := url.Values{"role": {"care"}, "purpose": {"care"}, "order_id": {"o1"}, "hours": {"9999"}, "note": {"ticket 9"}, "form_token": {tok[1]}}
	code, body := e.page("privacy", "POST", "/console/privacy/grants", bad)
	if code != 400 || !strings.Contains(body, `id="grant-error"`) || !strings.Contains(body, `value="9999"`) || !strings.Contains(body, `id="grant-note" value="ticket 9"`) {
		t.Fatalf("bad grant form = %d; want 400 with the values kept", code)
	}
	good := url.Values{"role": {"care"}, "purpose": {"care"}, "order_id": {"o1"}, "hours": {"2"}, "note": {"ticket 9"}, "form_token": {tok[1]}}
	if code, body := e.page("privacy", "POST", "/console/privacy/grants", good); code != 200 || !strings.Contains(body, "requested") {
		t.Fatalf("grant form = %d", code)
	}
	code, body = e.page("privacy", "POST", "/console/privacy/grants", good)
	if code != 200 || !strings.Contains(body, "already submitted") {
		t.Errorf("second post = %d; want already submitted", code)
	}
	if n := strings.Count(body, `data-status="pending"`); n != 1 {
		t.Errorf("%d pending grants after posting the form twice; want 1", n)
	}
}
