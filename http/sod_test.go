package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"anxin"
)

// TestKeysNeverEscalate plays the attack of issue 13 over HTTP: an operator
// key tries to mint privacy, platform, finance, auditor, admin and
// merchant keys (all refused, nothing created), while an admin key may;
// every creation and revocation lands in the audit log naming the creator.
func TestKeysNeverEscalate(t *testing.T) {
	e := newPrivacyEnv(t)
	count := func() int {
		var n int
		e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM api_keys`).Scan(&n)
		return n
	}
	before := count()
	for _, tt := range []struct {
		role string
		body any
		want int
	}{
		{"operator", map[string]string{"name": "x", "role": "privacy"}, 403},
		{"operator", map[string]string{"name": "x", "role": "platform"}, 403},
		{"operator", map[string]string{"name": "x", "role": "finance"}, 403},
		{"operator", map[string]string{"name": "x", "role": "auditor"}, 403},
		{"operator", map[string]string{"name": "x", "role": "admin"}, 403},
		{"operator", map[string]string{"name": "x", "role": "care"}, 403},
		{"operator", map[string]string{"name": "x", "role": "merchant:m1"}, 403},
		{"operator", map[string]string{"name": "x", "role": "rightsholder:rh1"}, 403},
		{"operator", map[string]string{"name": "x", "role": "root"}, 400},
		{"operator", map[string]string{"name": "x", "role": "merchant:" + strings.Repeat("a", 10000)}, 400},
		{"operator", map[string]any{"name": "x", "role": []string{"admin"}}, 400},
		{"admin", map[string]string{"name": strings.Repeat("n", 5000), "role": "care"}, 400},
		{"privacy", map[string]string{"name": "x", "role": "privacy"}, 403},
		{"merchant:m1", map[string]string{"name": "x", "role": "merchant:m1"}, 403},
	} {
		code, body := e.do(tt.role, "POST", "/v1/keys", tt.body)
		if code != tt.want {
			t.Errorf("%s POST /v1/keys %v = %d %s; want %d", tt.role, tt.body, code, body, tt.want)
		}
		if len(body) > 1000 {
			t.Errorf("%s POST /v1/keys: error body is %d bytes", tt.role, len(body))
		}
	}
	if n := count(); n != before {
		t.Fatalf("refused requests created %d keys", n-before)
	}
	// What an operator may create: no more than itself.
	code, body := e.do("operator", "POST", "/v1/keys", map[string]string{"name": "night shift", "role": "reviewer"})
	if code != 201 {
		t.Fatalf("operator creates reviewer = %d %s", code, body)
	}
	code, body = e.do("admin", "POST", "/v1/keys", map[string]string{"name": "dpo", "role": "privacy"})
	var created struct{ ID, Key string }
	if code != 201 || json.Unmarshal(body, &created) != nil || created.ID == "" {
		t.Fatalf("admin creates privacy = %d %s", code, body)
	}
	// An operator may not revoke a privacy key (locking out the privacy officers).
	if code, body := e.do("operator", "DELETE", "/v1/keys/"+created.ID, nil); code != 403 {
		t.Fatalf("operator revokes privacy key = %d %s; want 403", code, body)
	}
	if code, body := e.do("admin", "DELETE", "/v1/keys/"+created.ID, nil); code != 204 {
		t.Fatalf("admin revokes privacy key = %d %s", code, body)
	}
	// The audit trail names the creator of each key event.
	admin, _ := sqlKeyID(e, "admin")
	operator, _ := sqlKeyID(e, "operator")
	code, body = e.do("auditor", "GET", "/v1/privacy/audit?limit=1000", nil)
	var page struct{ Events []anxin.AuditEvent }
	json.Unmarshal(body, &page)
	seen := map[string]string{}
	for _, ev := range page.Events {
		if strings.HasPrefix(ev.Action, "key_") {
			seen[ev.Action+" "+ev.Detail] = ev.ActorKey
		}
	}
	if code != 200 || seen["key_create key="+created.ID+" role=privacy"] != admin || seen["key_revoke key="+created.ID+" role=privacy"] != admin {
		t.Fatalf("key events in the audit log = %v; want creation and revocation by admin %s", seen, admin)
	}
	found := false
	for k, v := range seen {
		found = found || strings.HasSuffix(k, "role=reviewer") && v == operator
	}
	if !found {
		t.Fatalf("the reviewer key's creation by the operator is not audited: %v", seen)
	}
	if v, _ := e.do("auditor", "GET", "/v1/privacy/audit/verify", nil); v != 200 {
		t.Fatalf("verify = %d", v)
	}
}

func sqlKeyID(e *privacyEnv, role string) (string, error) {
	key := e.keys[role]
	id, _, _ := strings.Cut(strings.TrimPrefix(key, "ak_"), "_")
	return id, nil
}

// TestTwoPersonGrant: an operator cannot reach plaintext at all; a single
// privacy key cannot decrypt alone (its own grant is pending, it cannot
// approve it, and an approved grant never serves the key that requested
// it); a replayed approval is refused; hostile requests create nothing.
func TestTwoPersonGrant(t *testing.T) {
	e := newPrivacyEnv(t)
	e.order("o1", "m1", anxin.OrderPaid)
	pii := map[string]any{"name": "张小三", "phone": "13812345678", "address": "浙江省杭州市西湖区文三路100号", "extra": map[string]string{"id_number": "110101199003074514"}}
	if code, body := e.do("platform", "PUT", "/v1/orders/o1/pii", pii); code != 200 {
		t.Fatalf("PUT pii = %d %s", code, body)
	}
	if code, _ := e.do("operator", "POST", "/v1/orders/o1/pii:decrypt", map[string]any{"purpose": "legal"}); code != 403 {
		t.Fatalf("operator decrypt = %d; want 403", code)
	}
	if code, _ := e.do("operator", "POST", "/v1/pii/grants", map[string]any{"role": "operator", "purpose": "legal", "order_id": "*", "expires_at": e.clock.Now().Add(time.Hour)}); code != 403 {
		t.Fatalf("operator grant = %d; want 403", code)
	}
	// The privacy key grants its own role a wildcard legal decrypt.
	code, body := e.do("privacy", "POST", "/v1/pii/grants", map[string]any{"role": "privacy", "purpose": "legal", "order_id": "*", "expires_at": e.clock.Now().Add(time.Hour)})
	var g anxin.PIIGrant
	if code != 201 || json.Unmarshal(body, &g) != nil || g.Status != "pending" {
		t.Fatalf("POST grant = %d %s", code, body)
	}
	decrypt := func(role string, req map[string]any) (int, string) {
		code, body := e.do(role, "POST", "/v1/orders/o1/pii:decrypt", req)
		return code, string(body)
	}
	if code, body := decrypt("privacy", map[string]any{"purpose": "legal"}); code != 403 || !strings.Contains(body, "awaits") {
		t.Fatalf("decrypt with a pending grant = %d %s; want 403 awaiting approval", code, body)
	}
	if code, body := e.do("privacy", "POST", "/v1/pii/grants/"+g.ID+"/approve", nil); code != 403 {
		t.Fatalf("self-approval = %d %s; want 403", code, body)
	}
	if code, body := e.do("privacy2", "POST", "/v1/pii/grants/"+g.ID+"/approve", nil); code != 200 {
		t.Fatalf("approval = %d %s", code, body)
	}
	if code, body := e.do("privacy2", "POST", "/v1/pii/grants/"+g.ID+"/approve", nil); code != 409 {
		t.Fatalf("replayed approval = %d %s; want 409", code, body)
	}
	if code, body := decrypt("privacy", map[string]any{"purpose": "legal"}); code != 403 || !strings.Contains(body, "never serves") {
		t.Fatalf("requester decrypts with its own approved grant = %d %s; want 403", code, body)
	}
	if code, body := decrypt("privacy2", map[string]any{"purpose": "legal", "fields": []string{"name", "extra"}}); code != 200 || !strings.Contains(body, "110101199003074514") {
		t.Fatalf("approver decrypts for legal = %d %s", code, body)
	}
	// Shipping never reveals extra, even with a grant.
	e.grant(map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": "o1", "expires_at": e.clock.Now().Add(time.Hour)})
	if code, body := decrypt("merchant:m1", map[string]any{"purpose": "ship", "fields": []string{"extra"}}); code != 403 {
		t.Fatalf("ship decrypt of extra = %d %s; want 403", code, body)
	}
	if code, body := decrypt("merchant:m1", map[string]any{"purpose": "ship"}); code != 200 || strings.Contains(body, "110101199003074514") || !strings.Contains(body, "13812345678") {
		t.Fatalf("ship decrypt = %d %s; want name, phone and address only", code, body)
	}
	// Hostile grant and approval requests: clear 4xx, nothing created.
	var before int
	e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM pii_grants`).Scan(&before)
	for _, tt := range []struct {
		role, method, path string
		body               any
		want               int
	}{
		{"privacy", "POST", "/v1/pii/grants", map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": "*", "expires_at": e.clock.Now().Add(48 * time.Hour)}, 400},
		{"privacy", "POST", "/v1/pii/grants", map[string]any{"role": "god", "purpose": "ship", "order_id": "o1", "expires_at": e.clock.Now().Add(time.Hour)}, 400},
		{"privacy", "POST", "/v1/pii/grants", map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": strings.Repeat("o", 4000), "expires_at": e.clock.Now().Add(time.Hour)}, 400},
		{"privacy", "POST", "/v1/pii/grants", map[string]any{"role": "merchant:m1", "purpose": strings.Repeat("p", 4000), "order_id": "o1", "expires_at": e.clock.Now().Add(time.Hour)}, 400},
		{"privacy", "POST", "/v1/pii/grants", map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": "o1", "expires_at": e.clock.Now().Add(time.Hour), "approved_by": "k_me"}, 201},
		{"privacy2", "POST", "/v1/pii/grants/grt_nope/approve", nil, 404},
		{"privacy2", "POST", "/v1/pii/grants/" + strings.Repeat("x", 300) + "/approve", nil, 400},
		{"merchant:m1", "POST", "/v1/pii/grants/" + g.ID + "/approve", nil, 403},
		{"admin", "POST", "/v1/pii/grants/" + g.ID + "/approve", nil, 403},
	} {
		code, body := e.do(tt.role, tt.method, tt.path, tt.body)
		if code != tt.want {
			t.Errorf("%s %s %s = %d %s; want %d", tt.role, tt.method, tt.path, code, body, tt.want)
		}
		if tt.want == 201 {
			var ng anxin.PIIGrant
			if json.Unmarshal(body, &ng) != nil || ng.ApprovedBy != "" || ng.Status != "pending" {
				t.Errorf("a grant posted with approved_by came back %s; want it pending", body)
			}
		}
	}
	var after int
	e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM pii_grants`).Scan(&after)
	if after != before+1 {
		t.Fatalf("hostile grant requests created %d grants; want only the one valid request", after-before)
	}
}

// TestRouteSweepHTTP: the route answer carries no order id, and a sweep of
// guessed extensions is answered 429 with Retry-After from the sixth guess.
func TestRouteSweepHTTP(t *testing.T) {
	e := newPrivacyEnv(t)
	e.order("o1", "m1", anxin.OrderPaid)
	if code, body := e.do("platform", "PUT", "/v1/orders/o1/pii", anxin.PIIInput{Name: "张小三", Phone: "13812345678", Address: "浙江省杭州市西湖区文三路100号"}); code != 200 {
		t.Fatalf("PUT pii = %d %s", code, body)
	}
	code, body := e.do("platform", "GET", "/v1/orders/o1/waybill", nil)
	var w anxin.Waybill
	if code != 200 || json.Unmarshal(body, &w) != nil || w.VirtualNumber == "" {
		t.Fatalf("waybill = %d %s", code, body)
	}
	code, body = e.do("platform", "POST", "/v1/virtual-numbers/"+w.VirtualNumber+":route", map[string]string{"extension": w.Extension})
	if code != 200 || strings.Contains(string(body), "order_id") || strings.Contains(string(body), "o1") || !strings.Contains(string(body), "13812345678") {
		t.Fatalf("route = %d %s; want the target and no order id", code, body)
	}
	statuses := map[int]int{}
	retry := ""
	for i := 0; i < 200; i++ {
		ext := fmt.Sprintf("%06d", i)
		if ext == w.Extension {
			continue
		}
		b, _ := json.Marshal(map[string]string{"extension": ext})
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/virtual-numbers/"+w.VirtualNumber+":route", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+e.keys["platform"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		statuses[res.StatusCode]++
		if res.StatusCode == 429 && retry == "" {
			retry = res.Header.Get("Retry-After")
		}
	}
	if statuses[404] != 5 || statuses[429] < 194 || retry != "60" {
		t.Fatalf("200 guesses: statuses %v, first Retry-After %q; want 5 404s, the rest 429 with Retry-After 60", statuses, retry)
	}
	for _, bad := range []string{`{"extension": "12345678901"}`, `{"extension": "12a"}`, `{"extension": ""}`, `{"ext": "1"}`} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/virtual-numbers/"+w.VirtualNumber+":route", strings.NewReader(bad))
		req.Header.Set("Authorization", "Bearer "+e.keys["platform"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("route %s = %d; want 400", bad, res.StatusCode)
		}
	}
}

// TestKeyAndGrantConsole: the key page offers an operator only the roles it
// may create and refuses a privacy key posted anyway; the grants page shows
// wildcard grants prominently and offers approval only to the other
// privacy officer.
func TestKeyAndGrantConsole(t *testing.T) {
	e := newPrivacyEnv(t)
	code, body := e.page("operator", "GET", "/console/keys", nil)
	if code != 200 || !strings.Contains(body, `id="key-roles"`) || !strings.Contains(body, "<option>reviewer</option>") ||
		strings.Contains(body, "<option>privacy</option>") || strings.Contains(body, "<option>platform</option>") || strings.Contains(body, "<option>merchant</option>") {
		t.Fatalf("key page as operator = %d\n%s", code, body)
	}
	if code, body := e.page("operator", "POST", "/console/keys", url.Values{"name": {"x"}, "role": {"privacy"}}); code != 403 || strings.Contains(body, `id="new-key"`) {
		t.Fatalf("operator posts a privacy key = %d; want 403", code)
	}
	if code, body := e.page("admin", "GET", "/console/keys", nil); code != 200 || !strings.Contains(body, "<option>privacy</option>") || !strings.Contains(body, "<option>merchant</option>") {
		t.Fatalf("key page as admin = %d\n%s", code, body)
	}
	if code, body := e.page("admin", "POST", "/console/keys", url.Values{"name": {"shop"}, "role": {"merchant"}, "scope": {"m9"}}); code != 200 || !strings.Contains(body, `id="new-key"`) || !strings.Contains(body, "merchant:m9") {
		t.Fatalf("admin creates merchant:m9 = %d\n%s", code, body)
	}
	if code, _ := e.page("privacy", "GET", "/console/keys", nil); code != 403 {
		t.Fatalf("key page as privacy = %d; want 403", code)
	}

	if code, _ := e.page("privacy", "POST", "/console/privacy/grants", url.Values{"role": {"merchant:m1"}, "purpose": {"ship"}, "order_id": {"*"}, "hours": {"48"}}); code != 400 {
		t.Fatalf("48-hour wildcard grant form = %d; want 400", code)
	}
	code, body = e.page("privacy", "POST", "/console/privacy/grants", url.Values{"role": {"merchant:m1"}, "purpose": {"ship"}, "order_id": {"*"}, "hours": {"12"}})
	if code != 200 || !strings.Contains(body, `id="wildcard-grants"`) || !strings.Contains(body, `data-status="pending"`) || strings.Contains(body, "/approve") {
		t.Fatalf("grants page for the requester = %d; want the wildcard banner and no approve button\n%s", code, body)
	}
	code, body = e.page("privacy2", "GET", "/console/privacy/grants", nil)
	i := strings.Index(body, `action="/console/privacy/grants/grt_`)
	if code != 200 || !strings.Contains(body, "/approve") || i < 0 {
		t.Fatalf("grants page for the second officer = %d; want an approve button\n%s", code, body)
	}
	id := body[i+len(`action="/console/privacy/grants/`):]
	id = id[:strings.Index(id, "/")]
	if code, body := e.page("privacy2", "POST", "/console/privacy/grants/"+id+"/approve", url.Values{}); code != 200 || !strings.Contains(body, `data-status="active"`) {
		t.Fatalf("approve from the console = %d\n%s", code, body)
	}
}
