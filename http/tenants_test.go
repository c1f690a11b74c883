package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// seedTenants gives the env two merchants (m_a, m_b) with a listing and an
// order each (m_b has two orders), and two rights holders' brands, each
// with authorised sellers.
func seedTenants(t *testing.T, e *fullEnv) {
	t.Helper()
	steps := []struct {
		role       anxin.Role
		path, body string
	}{
		{anxin.RolePlatform, "/v1/merchants", `{"items":[{"id":"m_a","name":"A"},{"id":"m_b","name":"B"}]}`},
		{anxin.RolePlatform, "/v1/listings", `{"items":[{"id":"l_a","merchant_id":"m_a","title":"Tea"},{"id":"l_b","merchant_id":"m_b","title":"Rice"}]}`},
		{anxin.RolePlatform, "/v1/orders", `{"items":[{"id":"o_a","merchant_id":"m_a","buyer_id":"b_1","status":"paid"},{"id":"o_b","merchant_id":"m_b","buyer_id":"b_2","status":"paid"},{"id":"o_b2","merchant_id":"m_b","buyer_id":"b_3"}]}`},
		{anxin.RoleOperator, "/v1/brands", `{"id":"br_a","name":"Alpha","rights_holder_id":"a","registration_ref":"TM-A","authorised_sellers":["m_a","m_x"]}`},
		{anxin.RoleOperator, "/v1/brands", `{"id":"br_b","name":"Beta","rights_holder_id":"b","registration_ref":"TM-B","authorised_sellers":["m_b","m_y"]}`},
	}
	for _, s := range steps {
		if code, body := e.as(s.role, "POST", s.path, s.body); code >= 300 {
			t.Fatalf("POST %s = %d %s", s.path, code, body)
		}
	}
}

// page fetches a console page with a session of role.
func (e *fullEnv) page(role anxin.Role, path string) (int, string) {
	e.t.Helper()
	return e.ts.Page(e.key(role), "GET", path, nil)
}

var statCard = regexp.MustCompile(`data-stat="([a-z_]+)"><div class="n">(\d+)<`)

func dashboard(t *testing.T, e *fullEnv, role anxin.Role) map[string]string {
	t.Helper()
	code, body := e.page(role, "/console/")
	if code != 200 {
		t.Fatalf("GET /console/ as %s = %d", role, code)
	}
	out := map[string]string{}
	for _, m := range statCard.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestTenantIsolation: merchant A on merchant B's records and rights holder
// A on brand B get 404 (never a hint the record exists), lists hold only
// their own records, and the console dashboard counts only their own.
func TestTenantIsolation(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newFullEnv(t, db)
		seedTenants(t, e)
		ma, rha := anxin.MerchantRole("m_a"), anxin.RightsHolderRole("a")

		for _, p := range []string{"/v1/orders/o_b", "/v1/listings/l_b", "/v1/merchants/m_b", "/v1/merchants/m_b/enforcement",
			"/v1/ledger/merchants/m_b", "/v1/orders/o_b/pii", "/v1/orders/o_b/waybill"} {
			if code, body := e.as(ma, "GET", p, nil); code != 404 {
				t.Errorf("GET %s as merchant:m_a = %d %.200s; want 404", p, code, body)
			}
		}
		if code, body := e.as(ma, "GET", "/v1/orders/o_a", nil); code != 200 {
			t.Errorf("GET /v1/orders/o_a as its merchant = %d %s", code, body)
		}
		var orders struct{ Items []struct{ ID string } }
		_, b := e.as(ma, "GET", "/v1/orders?merchant_id=m_b", nil)
		json.Unmarshal(b, &orders)
		for _, o := range orders.Items {
			if o.ID != "o_a" {
				t.Errorf("GET /v1/orders?merchant_id=m_b as merchant:m_a lists %s", o.ID)
			}
		}

		if code, _ := e.as(rha, "GET", "/v1/brands/br_b", nil); code != 404 {
			t.Errorf("GET /v1/brands/br_b as rightsholder:a = %d; want 404", code)
		}
		var brands struct{ Items []anxin.Brand }
		_, b = e.as(rha, "GET", "/v1/brands", nil)
		json.Unmarshal(b, &brands)
		if len(brands.Items) != 1 || brands.Items[0].ID != "br_a" {
			t.Errorf("GET /v1/brands as rightsholder:a = %+v; want br_a only", brands.Items)
		}
		if code, body := e.as(rha, "POST", "/v1/notices", `{"brand_id":"br_b","listing_id":"l_b","reason":"counterfeit","statement":"x"}`); code != 400 {
			t.Errorf("POST /v1/notices on brand B as rightsholder:a = %d %.200s; want 400", code, body)
		}

		// Merchants see brands but not their authorised-seller lists: only
		// whether they are one themselves.
		brands.Items = nil
		_, b = e.as(ma, "GET", "/v1/brands", nil)
		json.Unmarshal(b, &brands)
		for _, br := range brands.Items {
			want := []string(nil)
			if br.ID == "br_a" {
				want = []string{"m_a"}
			}
			if !slices.Equal(br.AuthorisedSellers, want) {
				t.Errorf("GET /v1/brands as merchant:m_a: %s sellers %v; want %v", br.ID, br.AuthorisedSellers, want)
			}
		}
		var one anxin.Brand
		_, b = e.as(ma, "GET", "/v1/brands/br_b", nil)
		json.Unmarshal(b, &one)
		if len(one.AuthorisedSellers) != 0 {
			t.Errorf("GET /v1/brands/br_b as merchant:m_a shows sellers %v", one.AuthorisedSellers)
		}
		_, b = e.as(anxin.RoleOperator, "GET", "/v1/brands/br_b", nil)
		one = anxin.Brand{}
		json.Unmarshal(b, &one)
		if !slices.Equal(one.AuthorisedSellers, []string{"m_b", "m_y"}) {
			t.Errorf("GET /v1/brands/br_b as operator: sellers %v; want both", one.AuthorisedSellers)
		}

		// The console dashboard: a merchant's counts are its own.
		op, mine := dashboard(t, e, anxin.RoleOperator), dashboard(t, e, ma)
		if op["orders"] != "3" || op["merchants"] != "2" {
			t.Errorf("operator dashboard orders=%s merchants=%s; want 3 and 2", op["orders"], op["merchants"])
		}
		if mine["orders"] != "1" || mine["listings"] != "1" {
			t.Errorf("merchant:m_a dashboard orders=%s listings=%s; want 1 and 1 (its own)", mine["orders"], mine["listings"])
		}
		for _, global := range []string{"merchants", "events", "jobs_pending", "deliveries_dead", "pii_sealed", "privacy_alerts_open", "gov_cases_open"} {
			if v, ok := mine[global]; ok {
				t.Errorf("merchant:m_a dashboard shows the marketplace's %s = %s", global, v)
			}
		}
		if rh := dashboard(t, e, rha); len(rh) != 1 || rh["notices_open"] != "0" {
			t.Errorf("rightsholder:a dashboard = %v; want only its own notices", rh)
		}
	})
}

// TestTicketReferencesAndIdempotency: a ticket's order, claim and listing
// must exist and be the ticket merchant's (a merchant cannot tell another
// shop's record from a missing one), and Idempotency-Key makes creation
// idempotent per caller role.
func TestTicketReferencesAndIdempotency(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newFullEnv(t, db)
		seedTenants(t, e)
		ma := anxin.MerchantRole("m_a")
		count := func() int {
			var n int
			if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM care_tickets`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		ticket := func(fields string) string {
			return `{"requester_kind":"buyer","requester_id":"b_1","subject":"where is it","body":"not arrived"` + fields + `}`
		}
		var msgs []string
		for _, tt := range []struct {
			name string
			role anxin.Role
			body string
		}{
			{"merchant names another shop's order", ma, ticket(`,"order_id":"o_b"`)},
			{"merchant names a missing order", ma, ticket(`,"order_id":"o_zz"`)},
			{"platform: order of another merchant", anxin.RolePlatform, ticket(`,"merchant_id":"m_a","order_id":"o_b"`)},
			{"platform: missing order", anxin.RolePlatform, ticket(`,"order_id":"o_zz"`)},
			{"missing claim", anxin.RolePlatform, ticket(`,"merchant_id":"m_a","claim_id":"c_zz"`)},
			{"listing of another merchant", anxin.RolePlatform, ticket(`,"merchant_id":"m_a","listing_id":"l_b"`)},
			{"order and listing of different merchants", anxin.RolePlatform, ticket(`,"order_id":"o_a","listing_id":"l_b"`)},
		} {
			code, body := e.as(tt.role, "POST", "/v1/care/tickets", tt.body)
			if code != 400 {
				t.Errorf("%s: POST /v1/care/tickets = %d %.200s; want 400", tt.name, code, body)
			}
			_, msg := errorShape(t, tt.name, body)
			msgs = append(msgs, msg)
		}
		if strings.Replace(msgs[0], "o_b", "o_zz", 1) != msgs[1] {
			t.Errorf("a merchant can tell another shop's order from a missing one: %q vs %q", msgs[0], msgs[1])
		}
		if n := count(); n != 0 {
			t.Fatalf("refused tickets left %d rows", n)
		}

		// The platform names only the order: the ticket takes its merchant.
		var tk anxin.Ticket
		code, b := e.as(anxin.RolePlatform, "POST", "/v1/care/tickets", ticket(`,"order_id":"o_b","listing_id":"l_b"`))
		json.Unmarshal(b, &tk)
		if code != 201 || tk.MerchantID != "m_b" {
			t.Fatalf("POST ticket on o_b = %d merchant %q %s; want 201 for m_b", code, tk.MerchantID, b)
		}

		post := func(role anxin.Role, key, body string) (int, anxin.Ticket, []byte) {
			req, _ := http.NewRequest("POST", e.url+"/v1/care/tickets", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.key(role))
			req.Header.Set("Idempotency-Key", key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var out anxin.Ticket
			json.Unmarshal(raw, &out)
			return resp.StatusCode, out, raw
		}
		before := count()
		c1, t1, raw := post(ma, "retry-1", ticket(`,"order_id":"o_a"`))
		c2, t2, _ := post(ma, "retry-1", ticket(`,"order_id":"o_a"`))
		if c1 != 201 || c2 != 201 || t1.ID == "" || t1.ID != t2.ID || count() != before+1 {
			t.Fatalf("same Idempotency-Key twice = %d %s / %d %s, %d new rows; want one ticket (%s)", c1, t1.ID, c2, t2.ID, count()-before, raw)
		}
		if c, _, raw := post(ma, "retry-1", ticket(`,"order_id":"o_a","priority":"urgent"`)); c != 409 {
			t.Errorf("same key, different ticket = %d %s; want 409", c, raw)
		}
		if c, t3, _ := post(anxin.RolePlatform, "retry-1", ticket(`,"order_id":"o_a"`)); c != 201 || t3.ID == t1.ID {
			t.Errorf("another caller's same key = %d %s; want a ticket of its own", c, t3.ID)
		}
		if c, _, _ := post(ma, strings.Repeat("k", 300), ticket("")); c != 400 {
			t.Errorf("a 300-byte Idempotency-Key = %d; want 400", c)
		}
	})
}

// TestFundingUnknownMerchant: money is never booked to a merchant the
// mirror does not know; known merchants and pools are funded as before.
func TestFundingUnknownMerchant(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newFullEnv(t, db)
		seedTenants(t, e)
		fin := anxin.RoleFinance
		for _, acct := range []string{"merchant_deposit:m_ghost", "merchant_available:m_ghost"} {
			if code, body := e.as(fin, "POST", "/v1/ledger/fundings", `{"key":"f_`+acct[:9]+`","account":"`+acct+`","amount_fen":100}`); code != 404 {
				t.Errorf("funding %s = %d %.200s; want 404", acct, code, body)
			}
		}
		var n int
		db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM ledger_postings WHERE kind = 'topup'`).Scan(&n)
		if n != 0 {
			t.Fatalf("refused fundings left %d postings", n)
		}
		if code, body := e.as(fin, "POST", "/v1/ledger/fundings", `{"key":"f_ok","account":"merchant_deposit:m_a","amount_fen":100}`); code >= 300 {
			t.Errorf("funding m_a's deposit = %d %s", code, body)
		}
		if code, body := e.as(fin, "POST", "/v1/ledger/fundings", `{"key":"f_pool","account":"guarantee_fund","amount_fen":100}`); code >= 300 {
			t.Errorf("funding the guarantee fund = %d %s", code, body)
		}
	})
}

// TestPrivacyAuditFiltersByOrder: ?order_id= returns that order's events
// only; a malformed id is a 400.
func TestPrivacyAuditFiltersByOrder(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newFullEnv(t, db)
		seedTenants(t, e)
		for _, o := range []string{"o_a", "o_b", "o_b2"} {
			if code, body := e.as(anxin.RolePlatform, "PUT", "/v1/orders/"+o+"/pii", `{"name":"王小明","phone":"13812345678","address":"浙江省杭州市西湖区文三路1号"}`); code != 200 {
				t.Fatalf("seal %s = %d %s", o, code, body)
			}
		}
		var page struct {
			Events []anxin.AuditEvent `json:"events"`
		}
		_, b := e.as(anxin.RoleAuditor, "GET", "/v1/privacy/audit", nil)
		json.Unmarshal(b, &page)
		all := len(page.Events)
		page.Events = nil
		code, b := e.as(anxin.RoleAuditor, "GET", "/v1/privacy/audit?order_id=o_b", nil)
		json.Unmarshal(b, &page)
		if code != 200 || len(page.Events) == 0 || len(page.Events) >= all {
			t.Fatalf("audit?order_id=o_b = %d, %d of %d events; want some, not all", code, len(page.Events), all)
		}
		for _, ev := range page.Events {
			if ev.OrderID != "o_b" {
				t.Errorf("audit?order_id=o_b returned an event of %q", ev.OrderID)
			}
		}
		if code, _ := e.as(anxin.RoleAuditor, "GET", "/v1/privacy/audit?order_id=bad%20id", nil); code != 400 {
			t.Errorf("audit?order_id=bad id = %d; want 400", code)
		}
	})
}
