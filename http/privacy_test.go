package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
	"anxin/vault"
)

type privacyEnv struct {
	t     *testing.T
	srv   *testserver.Server
	db    *sqlstore.DB
	path  string
	logs  *bytes.Buffer
	keys  map[string]string // role → key
	clock *anxintest.Clock
}

func newPrivacyEnv(t *testing.T) *privacyEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "anxin.db")
	// Office hours in the marketplace's zone (10:00 in Shanghai) of the
	// last day that has had them: on the wall clock, a run at night would
	// raise odd-hours alerts of its own. Tests write grant expiries from
	// the wall clock, so the clock stays within a day before it.
	now := time.Now().UTC()
	office := now.Truncate(24 * time.Hour).Add(2 * time.Hour)
	if office.After(now) {
		office = office.Add(-24 * time.Hour)
	}
	clock := anxintest.NewClock(office)
	db, err := sqlstore.Open(context.Background(), path, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := new(bytes.Buffer)
	srv := testserver.New(t, db, testserver.Clock(clock), testserver.Logs(logs), testserver.Privacy)
	e := &privacyEnv{t: t, srv: srv, db: db, path: path, logs: logs, keys: map[string]string{}, clock: clock}
	for _, role := range []anxin.Role{anxin.RolePlatform, anxin.RolePrivacy, anxin.RoleCare, anxin.RoleAuditor, anxin.MerchantRole("m1"), anxin.MerchantRole("m2"),
		anxin.RoleOperator, anxin.RoleAdmin} {
		e.keys[string(role)] = srv.Key(role)
	}
	// A second privacy officer: the other person of the two-person rule.
	e.keys["privacy2"] = srv.NamedKey("privacy2", anxin.RolePrivacy)
	return e
}

// grant requests a grant with the privacy key and approves it with the
// second one, returning the approved grant.
func (e *privacyEnv) grant(g map[string]any) anxin.PIIGrant {
	e.t.Helper()
	code, body := e.do("privacy", "POST", "/v1/pii/grants", g)
	var out anxin.PIIGrant
	if code != 201 || json.Unmarshal(body, &out) != nil || out.Status != "pending" {
		e.t.Fatalf("POST grant = %d %s; want 201 pending", code, body)
	}
	code, body = e.do("privacy2", "POST", "/v1/pii/grants/"+out.ID+"/approve", nil)
	if code != 200 || json.Unmarshal(body, &out) != nil || out.Status != "active" {
		e.t.Fatalf("approve grant = %d %s; want 200 active", code, body)
	}
	return out
}

func (e *privacyEnv) do(role, method, path string, body any) (int, []byte) {
	e.t.Helper()
	if body == nil {
		return e.srv.Call(e.keys[role], method, path, nil)
	}
	b, _ := json.Marshal(body)
	return e.srv.Call(e.keys[role], method, path, b)
}

func (e *privacyEnv) order(id, merchant, status string) {
	e.t.Helper()
	paid := e.clock.Now().Add(-72 * time.Hour).UnixMilli() // paid days ago, still open
	if _, err := e.db.ExecContext(context.Background(), `INSERT INTO orders (id, merchant_id, buyer_id, status, created_at, paid_at, updated_at) VALUES (?, ?, 'b', ?, ?, ?, ?)`,
		id, merchant, status, paid, paid, paid); err != nil {
		e.t.Fatal(err)
	}
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂")
	places   = []string{"浙江省杭州市西湖区", "上海市浦东新区", "广东省深圳市南山区", "北京市朝阳区", "四川省成都市武侯区"}
)

// genPII makes synthetic buyers: 2- and 3-character names, mobile numbers
// and addresses, from a seed.
func genPII(seed uint64, n int) []anxin.PIIInput {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]anxin.PIIInput, n)
	for i := range out {
		name := string(surnames[rng.IntN(len(surnames))])
		for range 1 + rng.IntN(2) {
			name += string(given[rng.IntN(len(given))])
		}
		phone := fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1_000_000_000))
		out[i] = anxin.PIIInput{Name: name, Phone: phone, Address: fmt.Sprintf("%s幸福路%d号%d室", places[rng.IntN(len(places))], 1+rng.IntN(999), 100+rng.IntN(900))}
	}
	return out
}

// TestNoPlaintextAnywhere seals generated personal data through the API,
// runs traffic (masked views, waybills, searches, decrypts, refusals, call
// routing, an exfiltration alert), then scans the database file and its WAL,
// the captured logs, the outbox (webhook payloads) and /metrics for every
// phone number and name used: none may appear.
func TestNoPlaintextAnywhere(t *testing.T) {
	e := newPrivacyEnv(t)
	people := genPII(42, 60)
	for i, p := range people {
		merchant := "m1"
		if i%2 == 1 {
			merchant = "m2"
		}
		id := fmt.Sprintf("o%d", i)
		e.order(id, merchant, anxin.OrderPaid)
		code, body := e.do("platform", "PUT", "/v1/orders/"+id+"/pii", p)
		if code != 200 {
			t.Fatalf("PUT pii %s = %d %s", id, code, body)
		}
		var m anxin.MaskedPII
		json.Unmarshal(body, &m)
		if m.Phone != vault.MaskPhone(p.Phone) || m.Name != vault.MaskName(p.Name) || strings.Contains(string(body), p.Phone) {
			t.Fatalf("PUT pii response = %s", body)
		}
	}
	// Traffic.
	e.grant(map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": "*", "expires_at": e.clock.Now().Add(time.Hour)})
	var waybill anxin.Waybill
	for i := 0; i < 40; i += 2 {
		id := fmt.Sprintf("o%d", i)
		if code, body := e.do("merchant:m1", "GET", "/v1/orders/"+id+"/pii", nil); code != 200 || strings.Contains(string(body), people[i].Phone) {
			t.Fatalf("GET pii = %d %s", code, body)
		}
		code, body := e.do("merchant:m1", "GET", "/v1/orders/"+id+"/waybill", nil)
		if code != 200 || strings.Contains(string(body), people[i].Phone) || strings.Contains(string(body), people[i].Name) {
			t.Fatalf("GET waybill = %d %s", code, body)
		}
		json.Unmarshal(body, &waybill)
		if code, body := e.do("merchant:m1", "GET", "/v1/orders/o1/pii", nil); code != 404 {
			t.Fatalf("GET other merchant's pii = %d %s; want 404", code, body)
		}
		e.do("care", "GET", "/v1/pii/search?phone="+people[i].Phone, nil)
	}
	code, body := e.do("merchant:m1", "POST", "/v1/orders/o0/pii:decrypt", map[string]any{"purpose": "ship"})
	var rev anxin.RevealedPII
	json.Unmarshal(body, &rev)
	if code != 200 || rev.Phone != people[0].Phone {
		t.Fatalf("decrypt = %d %s", code, body)
	}
	code, body = e.do("platform", "POST", "/v1/virtual-numbers/"+waybill.VirtualNumber+":route", map[string]string{"extension": waybill.Extension})
	if code != 200 || !strings.Contains(string(body), people[38].Phone) {
		t.Fatalf("route = %d %s", code, body)
	}
	// Bulk decrypts by m1 raise an alert and are refused.
	var last int
	for i := 2; i < 60; i += 2 {
		last, _ = e.do("merchant:m1", "POST", fmt.Sprintf("/v1/orders/o%d/pii:decrypt", i), map[string]any{"purpose": "ship"})
	}
	if last != 429 {
		t.Fatalf("the last bulk decrypt = %d; want 429", last)
	}
	if code, body := e.do("privacy", "GET", "/v1/privacy/alerts?status=open", nil); code != 200 || !strings.Contains(string(body), "decrypts_exceed_orders") {
		t.Fatalf("alerts = %d %s", code, body)
	}
	// Refusals: bad input never echoed.
	for _, bad := range []anxin.PIIInput{{Name: "某某", Phone: "99912345678", Address: people[0].Address}, {Name: people[1].Name, Phone: people[1].Phone, Address: "无效地址"}} {
		code, body := e.do("platform", "PUT", "/v1/orders/o3/pii", bad)
		if code != 400 || strings.Contains(string(body), bad.Phone) || strings.Contains(string(body), bad.Name) {
			t.Fatalf("PUT bad pii = %d %s", code, body)
		}
	}
	_, metrics := e.do("", "GET", "/metrics", nil)
	if !strings.Contains(string(metrics), `anxin_pii_decrypts_total{outcome="allowed",purpose="ship"}`) {
		t.Fatalf("/metrics lacks the decrypt counter")
	}
	if code, body := e.do("auditor", "GET", "/v1/privacy/audit/verify", nil); code != 200 || !strings.Contains(string(body), `"ok":true`) {
		t.Fatalf("verify = %d %s", code, body)
	}

	// Scan.
	var outbox bytes.Buffer
	msgs, _ := e.db.OutboxMessages(context.Background(), "", 1000)
	for _, m := range msgs {
		outbox.Write(m.Payload)
	}
	if len(msgs) == 0 {
		t.Fatal("no outbox message to scan; the alert should have written one")
	}
	e.srv.Close()
	var files [][]byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(e.path + suffix); err == nil {
			files = append(files, b)
		}
	}
	e.db.Close()
	if b, err := os.ReadFile(e.path); err == nil {
		files = append(files, b) // after the checkpoint on close
	}
	haystacks := map[string][]byte{"logs": e.logs.Bytes(), "outbox": outbox.Bytes(), "metrics": metrics}
	for i, f := range files {
		haystacks[fmt.Sprintf("db file %d", i)] = f
	}
	if len(e.logs.Bytes()) == 0 {
		t.Fatal("no logs captured")
	}
	for name, h := range haystacks {
		for _, p := range people {
			detail := p.Address[strings.Index(p.Address, "幸福路"):]
			for _, secret := range []string{p.Phone, p.Name, p.Address, detail} {
				if len([]rune(secret)) < 2 {
					continue
				}
				if bytes.Contains(h, []byte(secret)) {
					t.Errorf("%s contains the plaintext %q", name, secret)
				}
			}
		}
	}
}

func TestPrivacyHTTPRefusals(t *testing.T) {
	e := newPrivacyEnv(t)
	e.order("o1", "m1", anxin.OrderPaid)
	p := anxin.PIIInput{Name: "张小三", Phone: "13812345678", Address: "浙江省杭州市西湖区文三路100号"}
	if code, body := e.do("platform", "PUT", "/v1/orders/o1/pii", p); code != 200 {
		t.Fatalf("PUT = %d %s", code, body)
	}
	tests := []struct {
		name, role, method, path string
		body                     any
		want                     int
	}{
		{"no key", "", "GET", "/v1/orders/o1/pii", nil, 401},
		{"merchant seals", "merchant:m1", "PUT", "/v1/orders/o1/pii", p, 403},
		{"unknown field", "platform", "PUT", "/v1/orders/o1/pii", map[string]any{"name": "x", "ssn": "1"}, 400},
		{"no grant", "merchant:m1", "POST", "/v1/orders/o1/pii:decrypt", map[string]any{"purpose": "ship"}, 403},
		{"other merchant", "merchant:m2", "POST", "/v1/orders/o1/pii:decrypt", map[string]any{"purpose": "ship"}, 404},
		{"bad purpose", "merchant:m1", "POST", "/v1/orders/o1/pii:decrypt", map[string]any{"purpose": "fun"}, 400},
		{"auditor decrypts", "auditor", "POST", "/v1/orders/o1/pii:decrypt", map[string]any{"purpose": "legal"}, 403},
		{"expired grant", "privacy", "POST", "/v1/pii/grants", map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": "o1", "expires_at": e.clock.Now().Add(-time.Hour)}, 400},
		{"grant wrong purpose", "privacy", "POST", "/v1/pii/grants", map[string]any{"role": "merchant:m1", "purpose": "legal", "order_id": "o1", "expires_at": e.clock.Now().Add(time.Hour)}, 400},
		{"merchant grants", "merchant:m1", "POST", "/v1/pii/grants", map[string]any{"role": "merchant:m1", "purpose": "ship", "order_id": "o1", "expires_at": e.clock.Now().Add(time.Hour)}, 403},
		{"search two keys", "care", "GET", "/v1/pii/search?phone=13812345678&last4=5678", nil, 400},
		{"search bad phone", "care", "GET", "/v1/pii/search?phone=12", nil, 400},
		{"route no suffix", "platform", "POST", "/v1/virtual-numbers/17000000001", map[string]string{"extension": "1"}, 404},
		{"route unbound", "platform", "POST", "/v1/virtual-numbers/17000000001:route", map[string]string{"extension": "0000"}, 404},
		{"audit as merchant", "merchant:m1", "GET", "/v1/privacy/audit", nil, 403},
		{"audit bad limit", "auditor", "GET", "/v1/privacy/audit?limit=0", nil, 400},
		{"resolve unknown", "privacy", "POST", "/v1/privacy/alerts/pal_x/resolve", map[string]string{"resolution": "confirmed"}, 404},
		{"resolve bad", "privacy", "POST", "/v1/privacy/alerts/pal_x/resolve", map[string]string{"resolution": "meh"}, 400},
		{"vault status merchant", "merchant:m1", "GET", "/v1/vault/status", nil, 403},
	}
	for _, tt := range tests {
		code, body := e.do(tt.role, tt.method, tt.path, tt.body)
		if code != tt.want {
			t.Errorf("%s: %s %s = %d %s; want %d", tt.name, tt.method, tt.path, code, body, tt.want)
		}
		if strings.Contains(string(body), "13812345678") || strings.Contains(string(body), "张小三") {
			t.Errorf("%s: the response reveals personal data: %s", tt.name, body)
		}
	}
	code, body := e.do("auditor", "GET", "/v1/privacy/audit?limit=1000", nil)
	var page struct{ Events []anxin.AuditEvent }
	json.Unmarshal(body, &page)
	refusals := 0
	for _, ev := range page.Events {
		if ev.Action == "decrypt" && ev.Outcome != "allowed" {
			refusals++
		}
	}
	if code != 200 || refusals < 4 {
		t.Fatalf("audit = %d, %d decrypt refusals; want at least 4 audited", code, refusals)
	}
	if code, body := e.do("auditor", "GET", "/v1/vault/status", nil); code != 200 || !strings.Contains(string(body), `"current_version":1`) {
		t.Fatalf("vault status = %d %s", code, body)
	}
}

// page fetches a console page with a session for role; a non-nil form is
// posted with the session's CSRF token.
func (e *privacyEnv) page(role, method, path string, form url.Values) (int, string) {
	e.t.Helper()
	return e.srv.Page(e.keys[role], method, path, form)
}

func TestPrivacyConsole(t *testing.T) {
	e := newPrivacyEnv(t)
	e.order("o1", "m1", anxin.OrderPaid)
	e.do("platform", "PUT", "/v1/orders/o1/pii", anxin.PIIInput{Name: "张小三", Phone: "13812345678", Address: "浙江省杭州市西湖区文三路100号"})

	code, body := e.page("privacy", "POST", "/console/privacy/grants", url.Values{"role": {"merchant:m1"}, "purpose": {"ship"}, "order_id": {"o1"}, "hours": {"2"}, "note": {"ticket 42"}})
	if code != 200 || !strings.Contains(body, `class="flash"`) || !strings.Contains(body, `data-grant="grt_`) {
		t.Fatalf("grant form = %d\n%s", code, body)
	}
	if code, body := e.page("privacy", "POST", "/console/privacy/grants", url.Values{"role": {"merchant:m1"}, "purpose": {"legal"}, "order_id": {"o1"}, "hours": {"2"}}); code != 400 || !strings.Contains(body, `id="grant-error"`) || !strings.Contains(body, `id="grant-role" value="merchant:m1"`) {
		t.Fatalf("bad grant form = %d", code)
	}
	e.do("merchant:m1", "POST", "/v1/orders/o1/pii:decrypt", map[string]any{"purpose": "ship"})
	code, body = e.page("privacy", "GET", "/console/privacy/alerts", nil)
	for _, want := range []string{`id="chain-status"`, `badge ok">intact`, `id="alerts"`, `id="kek-versions"`, `id="vault-status"`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("privacy page = %d lacks %s\n%s", code, want, body)
		}
	}
	code, body = e.page("auditor", "GET", "/console/privacy/audit", nil)
	if code != 200 || !strings.Contains(body, `data-seq="1"`) || !strings.Contains(body, "decrypt") || strings.Contains(body, "13812345678") || strings.Contains(body, "张小三") {
		t.Fatalf("audit page = %d\n%s", code, body)
	}
	if code, _ := e.page("auditor", "GET", "/console/privacy/grants", nil); code != 403 {
		t.Fatalf("grants page as auditor = %d; want 403", code)
	}
	if code, _ := e.page("merchant:m1", "GET", "/console/privacy/alerts", nil); code != 403 {
		t.Fatalf("privacy page as merchant = %d; want 403", code)
	}
	// An edited audit row shows as a broken chain.
	e.db.ExecContext(context.Background(), `UPDATE privacy_audit SET outcome = 'allowed' WHERE seq = 1`)
	e.db.ExecContext(context.Background(), `UPDATE privacy_audit SET purpose = 'legal' WHERE seq = 2`)
	if _, body := e.page("auditor", "GET", "/console/privacy/audit", nil); !strings.Contains(body, "chain broken at row 2") {
		t.Fatalf("audit page after an edit lacks the broken chain:\n%s", body)
	}
}
