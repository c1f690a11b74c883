package sqlstore_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/vault"
)

func asKey(role anxin.Role) context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "key_" + strings.ReplaceAll(string(role), ":", "_"), Role: role})
}

func newVaultService(t *testing.T, db *sqlstore.DB) *sqlstore.VaultService {
	t.Helper()
	kek, err := vault.OpenFileKEK(filepath.Join(t.TempDir(), "vault.kek"))
	if err != nil {
		t.Fatal(err)
	}
	return sqlstore.NewVaultService(db, vault.New(kek), sqlstore.PrivacyConfig{VirtualNumbers: []string{"17000000001", "17000000002"}})
}

func addOrder(t *testing.T, db *sqlstore.DB, id, merchant, status string, at time.Time) {
	t.Helper()
	var paid any
	if status != anxin.OrderCreated {
		paid = sqlstore.MS(at)
	}
	if _, err := db.ExecContext(context.Background(), `INSERT INTO orders (id, merchant_id, buyer_id, status, created_at, paid_at, updated_at) VALUES (?, ?, 'b1', ?, ?, ?, ?)`,
		id, merchant, status, sqlstore.MS(at), paid, sqlstore.MS(at)); err != nil {
		t.Fatal(err)
	}
}

var samplePII = anxin.PIIInput{Name: "张小三", Phone: "+86 138-1234-5678", Address: "浙江省杭州市西湖区文三路100号3幢201室"}

// asPrivacyOfficer is a privacy key with its own id: the second person of
// the two-person rule.
func asPrivacyOfficer(id string) context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: id, Role: anxin.RolePrivacy})
}

// requestGrant requests a grant with the privacy key "key_privacy"; it is
// pending until another privacy key approves it.
func requestGrant(t *testing.T, s *sqlstore.VaultService, role anxin.Role, purpose, order string, exp time.Time) *anxin.PIIGrant {
	t.Helper()
	g := &anxin.PIIGrant{Role: role, Purpose: purpose, OrderID: order, ExpiresAt: exp}
	if err := s.CreateGrant(asKey(anxin.RolePrivacy), g); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	return g
}

// grantFor requests a grant with "key_privacy" and approves it with a second
// privacy key, "key_privacy_2": the two-person flow.
func grantFor(t *testing.T, s *sqlstore.VaultService, role anxin.Role, purpose, order string, exp time.Time) *anxin.PIIGrant {
	t.Helper()
	g := requestGrant(t, s, role, purpose, order, exp)
	ag, err := s.ApproveGrant(asPrivacyOfficer("key_privacy_2"), g.ID)
	if err != nil {
		t.Fatalf("ApproveGrant: %v", err)
	}
	return ag
}

func TestVaultSealSearchDecrypt(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(t0)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		s := newVaultService(t, db)
		platform, m1 := asKey(anxin.RolePlatform), asKey(anxin.MerchantRole("m1"))
		addOrder(t, db, "o1", "m1", anxin.OrderPaid, t0)
		addOrder(t, db, "o2", "m2", anxin.OrderPaid, t0)
		addOrder(t, db, "o3", "m1", anxin.OrderCancelled, t0)

		// Bad input: refused, audited, nothing stored.
		for _, bad := range []anxin.PIIInput{
			{Name: "张三", Phone: "12345", Address: samplePII.Address},
			{Name: "张三", Phone: "13812345678", Address: "somewhere"},
			{Name: "", Phone: "13812345678", Address: samplePII.Address},
		} {
			if _, err := s.SealPII(platform, "o1", &bad); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("SealPII(%+v) = %v; want Invalid", bad, err)
			}
		}
		if _, err := s.SealPII(platform, "nope", &samplePII); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("SealPII(unknown order) = %v; want NotFound", err)
		}
		if _, err := s.MaskedPII(platform, "o1"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("MaskedPII before sealing = %v; want NotFound", err)
		}
		if _, err := s.SealPII(m1, "o1", &samplePII); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("SealPII as merchant = %v; want Forbidden", err)
		}

		m, err := s.SealPII(platform, "o1", &samplePII)
		if err != nil {
			t.Fatal(err)
		}
		want := anxin.MaskedPII{OrderID: "o1", PIIRef: m.PIIRef, Name: "张*三", Phone: "138****5678", Address: "浙江省杭州市西湖区****", UpdatedAt: t0}
		if *m != want {
			t.Fatalf("SealPII = %+v; want %+v", *m, want)
		}
		var ref string
		db.QueryRowContext(context.Background(), `SELECT pii_ref FROM orders WHERE id = 'o1'`).Scan(&ref)
		if ref != m.PIIRef || !strings.HasPrefix(ref, "pii_") {
			t.Fatalf("orders.pii_ref = %q; want %q", ref, m.PIIRef)
		}
		if _, err := s.SealPII(platform, "o2", &anxin.PIIInput{Name: "李四", Phone: "13900001111", Address: "上海市浦东新区世纪大道1号"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SealPII(platform, "o3", &anxin.PIIInput{Name: "王五", Phone: "13812345678", Address: "北京市朝阳区建国路8号"}); err != nil {
			t.Fatal(err)
		}

		// Masked view: merchants only their own.
		if _, err := s.MaskedPII(m1, "o2"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("MaskedPII(other merchant's order) = %v; want NotFound", err)
		}

		// Blind-index search.
		care := asKey(anxin.RoleCare)
		for _, q := range []anxin.PIISearch{{Phone: "13812345678"}, {Last4: "5678"}} {
			got, err := s.SearchPII(care, q)
			if err != nil || len(got) != 2 || got[0].OrderID != "o1" || got[1].OrderID != "o3" {
				t.Errorf("SearchPII(%+v) as care = %v, %v; want o1, o3", q, got, err)
			}
		}
		if got, err := s.SearchPII(care, anxin.PIISearch{Name: "张 小三"}); err != nil || len(got) != 1 || got[0].OrderID != "o1" {
			t.Errorf("SearchPII(name) = %v, %v; want o1", got, err)
		}
		if got, err := s.SearchPII(asKey(anxin.MerchantRole("m2")), anxin.PIISearch{Last4: "5678"}); err != nil || len(got) != 0 {
			t.Errorf("SearchPII as m2 = %v, %v; want nothing (other merchant's)", got, err)
		}
		for _, q := range []anxin.PIISearch{{}, {Phone: "1", Last4: "1234"}, {Last4: "12a4"}, {Phone: "12345"}} {
			if _, err := s.SearchPII(care, q); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("SearchPII(%+v) = %v; want Invalid", q, err)
			}
		}

		// Decrypt: refusals first.
		req := anxin.DecryptRequest{Purpose: anxin.PurposeShip}
		if _, err := s.DecryptPII(m1, "o1", req); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("DecryptPII without a grant = %v; want Forbidden", err)
		}
		g := grantFor(t, s, anxin.MerchantRole("m1"), anxin.PurposeShip, "*", t0.Add(time.Hour))
		if _, err := s.DecryptPII(m1, "o2", req); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("DecryptPII(other merchant's order) = %v; want NotFound", err)
		}
		if _, err := s.DecryptPII(m1, "o3", req); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("DecryptPII(cancelled order) = %v; want Forbidden", err)
		}
		if _, err := s.DecryptPII(m1, "o1", anxin.DecryptRequest{Purpose: anxin.PurposeLegal}); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("DecryptPII(merchant, legal) = %v; want Forbidden", err)
		}
		if _, err := s.DecryptPII(m1, "o1", anxin.DecryptRequest{Purpose: "curiosity"}); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("DecryptPII(bad purpose) = %v; want Invalid", err)
		}
		got, err := s.DecryptPII(m1, "o1", req)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "张小三" || got.Phone != "13812345678" || got.Address != "浙江省杭州市西湖区文三路100号3幢201室" || got.AuditSeq == 0 {
			t.Fatalf("DecryptPII = %+v", got)
		}
		// An expired grant stops working.
		clock.Set(t0.Add(2 * time.Hour))
		if _, err := s.DecryptPII(m1, "o1", req); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("DecryptPII after the grant expired = %v; want Forbidden", err)
		}
		grantFor(t, s, anxin.MerchantRole("m1"), anxin.PurposeShip, "o1", clock.Now().Add(time.Hour))
		if err := s.RevokeGrant(asKey(anxin.RolePrivacy), g.ID); err != nil {
			t.Fatal(err)
		}
		// Per-minute limit.
		s.Config.DecryptsPerMinute = 3
		var limited error
		for i := 0; i < 5 && limited == nil; i++ {
			_, limited = s.DecryptPII(m1, "o1", req)
		}
		if anxin.KindOf(limited) != anxin.RateLimited {
			t.Fatalf("DecryptPII over the limit = %v; want RateLimited", limited)
		}
		clock.Set(clock.Now().Add(2 * time.Minute))

		// A ciphertext moved from another record (SQL access to the table)
		// fails to open and is refused as tampered.
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `UPDATE vault_records SET phone_sealed = (SELECT phone_sealed FROM vault_records WHERE order_id = 'o2') WHERE order_id = 'o1'`); err != nil {
			t.Fatal(err)
		}
		if r, err := s.DecryptPII(m1, "o1", req); anxin.KindOf(err) != anxin.Invalid || r != nil {
			t.Fatalf("DecryptPII(moved ciphertext) = %+v, %v; want Invalid and nothing", r, err)
		} else if strings.Contains(err.Error(), "1390000") {
			t.Fatal("the refusal reveals the phone")
		}
		if r, err := s.DecryptPII(m1, "o1", anxin.DecryptRequest{Purpose: anxin.PurposeShip, Fields: []string{"name"}}); err != nil || r.Name != "张小三" {
			t.Fatalf("DecryptPII(name only) after the phone was tampered = %+v, %v", r, err)
		}

		// Every refusal is in the audit log, and the chain verifies.
		auditor := asKey(anxin.RoleAuditor)
		events, err := s.FindAudit(auditor, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]int{}
		for _, e := range events {
			outcomes[e.Action+":"+e.Outcome]++
			for _, secret := range []string{"13812345678", "张小三", "文三路"} {
				if strings.Contains(e.Detail, secret) {
					t.Fatalf("audit event %d detail %q holds personal data", e.Seq, e.Detail)
				}
			}
		}
		for _, k := range []string{"seal:invalid", "seal:not_found", "seal:allowed", "decrypt:forbidden", "decrypt:not_found", "decrypt:invalid", "decrypt:rate_limited", "decrypt:tampered", "decrypt:allowed", "grant:requested", "approve_grant:allowed", "revoke_grant:allowed", "search:allowed"} {
			if outcomes[k] == 0 {
				t.Errorf("no audit event %s; have %v", k, outcomes)
			}
		}
		v, err := s.VerifyAudit(auditor)
		if err != nil || !v.OK || v.Rows != int64(len(events)) {
			t.Fatalf("VerifyAudit = %+v, %v", v, err)
		}
		if _, err := s.VerifyAudit(m1); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("VerifyAudit as merchant = %v; want Forbidden", err)
		}
	})
}

func TestAuditChainDetectsTampering(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		s := newVaultService(t, db)
		ctx := context.Background()
		addOrder(t, db, "o1", "m1", anxin.OrderPaid, time.Now())
		for i := 0; i < 6; i++ {
			grantFor(t, s, anxin.RoleCare, anxin.PurposeCare, "o1", time.Now().Add(time.Hour))
		}
		check := func(name string, wantBad int64) {
			t.Helper()
			v, err := s.VerifyAuditChain(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if wantBad == 0 && !v.OK || wantBad != 0 && (v.OK || v.FirstBadSeq != wantBad) {
				t.Fatalf("%s: VerifyAuditChain = %+v; want first bad row %d", name, v, wantBad)
			}
		}
		check("intact", 0)
		exec := func(q string) {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		exec(`UPDATE privacy_audit SET detail = 'role=auditor' WHERE seq = 3`)
		check("edited", 3)
		exec(`DELETE FROM privacy_audit WHERE seq = 5`)
		check("edited and removed", 3)
	})
}

func TestAuditChainRemovalAndReorder(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		s := newVaultService(t, db)
		ctx := context.Background()
		for i := 0; i < 6; i++ {
			grantFor(t, s, anxin.RoleCare, anxin.PurposeCare, "*", time.Now().Add(time.Hour))
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM privacy_audit WHERE seq = 4`); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.VerifyAuditChain(ctx, nil); v.OK || v.FirstBadSeq != 4 {
			t.Fatalf("after removing row 4 VerifyAuditChain = %+v; want first bad 4", v)
		}
		// Reorder: swap rows 2 and 3 by renumbering.
		if _, err := db.ExecContext(ctx, `UPDATE privacy_audit SET seq = 100 WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		db.ExecContext(ctx, `UPDATE privacy_audit SET seq = 2 WHERE seq = 3`)
		db.ExecContext(ctx, `UPDATE privacy_audit SET seq = 3 WHERE seq = 100`)
		if v, _ := s.VerifyAuditChain(ctx, nil); v.OK || v.FirstBadSeq != 2 {
			t.Fatalf("after swapping rows 2 and 3 VerifyAuditChain = %+v; want first bad 2", v)
		}
		// Removing the newest row is caught by the head.
		db2 := sqltest.OpenSQLite(t, nil)
		s2 := newVaultService(t, db2)
		for i := 0; i < 3; i++ {
			grantFor(t, s2, anxin.RoleCare, anxin.PurposeCare, "*", time.Now().Add(time.Hour))
		}
		db2.ExecContext(ctx, `DELETE FROM privacy_audit WHERE seq = 3`)
		if v, _ := s2.VerifyAuditChain(ctx, nil); v.OK || v.FirstBadSeq != 3 {
			t.Fatalf("after removing the newest row VerifyAuditChain = %+v; want first bad 3", v)
		}
	})
}

func TestWaybillAndVirtualNumbers(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(t0)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		s := newVaultService(t, db)
		platform := asKey(anxin.RolePlatform)
		addOrder(t, db, "o1", "m1", anxin.OrderPaid, t0)
		addOrder(t, db, "o2", "m1", anxin.OrderCreated, t0)
		if _, err := s.SealPII(platform, "o1", &samplePII); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Waybill(asKey(anxin.MerchantRole("m2")), "o1"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("Waybill(other merchant) = %v; want NotFound", err)
		}
		if _, err := s.Waybill(platform, "o2"); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("Waybill(unpaid) = %v; want Conflict", err)
		}
		w, err := s.Waybill(asKey(anxin.MerchantRole("m1")), "o1")
		if err != nil {
			t.Fatal(err)
		}
		if w.RecipientName != "张*三" || w.PhoneMode != "virtual" || len(w.Extension) != 6 || w.VirtualNumber == "" ||
			w.Address != "浙江省杭州市西湖区文三路100号3幢201室" || strings.Contains(w.Phone, "12345678") || !strings.Contains(w.QRPayload, w.RevealRef) {
			t.Fatalf("Waybill = %+v", w)
		}
		b, _ := json.Marshal(w)
		if strings.Contains(string(b), "13812345678") || strings.Contains(string(b), "张小三") {
			t.Fatalf("waybill JSON holds the real phone or name: %s", b)
		}
		w2, _ := s.Waybill(platform, "o1")
		if w2.VirtualNumber != w.VirtualNumber || w2.Extension != w.Extension {
			t.Fatalf("a reprint got a new binding: %+v vs %+v", w2, w)
		}
		if _, err := s.RouteCall(asKey(anxin.MerchantRole("m1")), w.VirtualNumber, w.Extension); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("RouteCall as merchant = %v; want Forbidden", err)
		}
		r, err := s.RouteCall(platform, w.VirtualNumber, w.Extension)
		if err != nil || r.Target != "13812345678" {
			t.Fatalf("RouteCall = %+v, %v", r, err)
		}
		if _, err := s.RouteCall(platform, w.VirtualNumber, "99999"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("RouteCall(wrong extension) = %v; want NotFound", err)
		}
		for _, bad := range [][2]string{{"abc", "1"}, {"17000000001", ""}, {"17000000001", "1234567"}} {
			if _, err := s.RouteCall(platform, bad[0], bad[1]); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("RouteCall(%q, %q) = %v; want Invalid", bad[0], bad[1], err)
			}
		}
		// The courier app reveals through an audited decrypt with the reference.
		grantFor(t, s, anxin.RolePlatform, anxin.PurposeDelivery, "*", t0.Add(24*time.Hour))
		if _, err := s.DecryptPII(platform, "o1", anxin.DecryptRequest{Purpose: anxin.PurposeDelivery, RevealRef: "rv_wrong"}); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("delivery reveal with a wrong ref = %v; want Forbidden", err)
		}
		if p, err := s.DecryptPII(platform, "o1", anxin.DecryptRequest{Purpose: anxin.PurposeDelivery, RevealRef: w.RevealRef, Fields: []string{"phone"}}); err != nil || p.Phone != "13812345678" {
			t.Fatalf("delivery reveal = %+v, %v", p, err)
		}
		// Delivered: the binding lives 30 more days, then the call goes nowhere.
		delivered := t0.Add(48 * time.Hour)
		db.ExecContext(context.Background(), `UPDATE orders SET status = 'delivered', delivered_at = ? WHERE id = 'o1'`, sqlstore.MS(delivered))
		clock.Set(delivered.Add(29 * 24 * time.Hour))
		if _, err := s.RouteCall(platform, w.VirtualNumber, w.Extension); err != nil {
			t.Fatalf("RouteCall 29 days after delivery = %v; want routed", err)
		}
		clock.Set(delivered.Add(30*24*time.Hour + time.Second))
		if r, err := s.RouteCall(platform, w.VirtualNumber, w.Extension); anxin.KindOf(err) != anxin.NotFound || r != nil {
			t.Fatalf("RouteCall after expiry = %+v, %v; want NotFound", r, err)
		}
		if _, err := s.Waybill(platform, "o1"); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("Waybill(delivered) = %v; want Conflict", err)
		}
	})
}

func TestExfiltrationDetection(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC) // 14:00 in Shanghai
	clock := anxintest.NewClock(t0)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		s := newVaultService(t, db)
		s.Config.DecryptsPerMinute = 1000
		s.Config.Detect.BulkFloor = 1000 // isolate the orders rule
		platform, m1 := asKey(anxin.RolePlatform), asKey(anxin.MerchantRole("m1"))
		old := t0.Add(-10 * 24 * time.Hour) // paid long ago: not "orders it ships" today
		for i := 0; i < 30; i++ {
			id := "o" + itoa(i)
			addOrder(t, db, id, "m1", anxin.OrderPaid, old)
			if _, err := s.SealPII(platform, id, &samplePII); err != nil {
				t.Fatal(err)
			}
		}
		grantFor(t, s, anxin.MerchantRole("m1"), anxin.PurposeShip, "*", t0.Add(24*time.Hour))
		var refused error
		n := 0
		for i := 0; i < 30 && refused == nil; i++ {
			_, refused = s.DecryptPII(m1, "o"+itoa(i), anxin.DecryptRequest{Purpose: anxin.PurposeShip})
			n++
		}
		if anxin.KindOf(refused) != anxin.RateLimited || n != 21 {
			t.Fatalf("bulk decrypt: refused at %d with %v; want RateLimited at 21 (20 slack, no orders shipped)", n, refused)
		}
		alerts, err := s.FindAlerts(asKey(anxin.RolePrivacy), "open")
		if err != nil || len(alerts) != 1 || alerts[0].Kind != "decrypts_exceed_orders" || alerts[0].Principal != "key_merchant_m1" {
			t.Fatalf("FindAlerts = %+v, %v", alerts, err)
		}
		var ev map[string]float64
		json.Unmarshal(alerts[0].Evidence, &ev)
		if ev["orders_decrypted_24h"] != 21 || ev["orders_paid_or_shipped_24h"] != 0 {
			t.Fatalf("evidence = %v", ev)
		}
		// Throttled until resolved; a case is open and the marketplace notified.
		if _, err := s.DecryptPII(m1, "o0", anxin.DecryptRequest{Purpose: anxin.PurposeShip}); anxin.KindOf(err) != anxin.RateLimited {
			t.Fatalf("DecryptPII while throttled = %v; want RateLimited", err)
		}
		msgs, _ := db.OutboxMessages(context.Background(), anxin.MessageNotify, 10)
		if len(msgs) != 1 || !strings.Contains(string(msgs[0].Payload), alerts[0].CaseID) || strings.Contains(string(msgs[0].Payload), "138") {
			t.Fatalf("outbox = %+v", msgs)
		}
		if err := s.ResolveAlert(asKey(anxin.RolePrivacy), alerts[0].ID, "false_positive", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.ResolveAlert(asKey(anxin.RolePrivacy), alerts[0].ID, "false_positive", ""); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("ResolveAlert twice = %v; want NotFound", err)
		}

		// A care agent sweeping phone numbers.
		care := asKey(anxin.RoleCare)
		var sweep error
		for i := 0; i < 40 && sweep == nil; i++ {
			_, sweep = s.SearchPII(care, anxin.PIISearch{Last4: "00" + itoa(10+i)})
		}
		if anxin.KindOf(sweep) != anxin.RateLimited {
			t.Fatalf("lookup sweep = %v; want RateLimited", sweep)
		}

		// Odd hours: a key never used at night decrypting at 02:00 Shanghai.
		clock.Set(time.Date(2026, 3, 4, 18, 0, 0, 0, time.UTC)) // 02:00 on the 5th in Shanghai
		grantFor(t, s, anxin.RoleCare, anxin.PurposeCare, "*", clock.Now().Add(time.Hour))
		s.Config.Detect.OrderSlack = 1000
		for i := 0; i < 2; i++ { // no legal grant yet: refused, but the attempts count
			if _, err := s.DecryptPII(asKey(anxin.RolePrivacy), "o1", anxin.DecryptRequest{Purpose: anxin.PurposeLegal}); anxin.KindOf(err) != anxin.Forbidden {
				t.Fatalf("DecryptPII(legal, no grant) = %v; want Forbidden", err)
			}
		}
		// A legal grant for the privacy role, requested and approved by two
		// other privacy keys (it never serves the key that requested it).
		legal := &anxin.PIIGrant{Role: anxin.RolePrivacy, Purpose: anxin.PurposeLegal, OrderID: "*", ExpiresAt: clock.Now().Add(time.Hour)}
		if err := s.CreateGrant(asPrivacyOfficer("key_privacy_2"), legal); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApproveGrant(asPrivacyOfficer("key_privacy_3"), legal.ID); err != nil {
			t.Fatal(err)
		}
		_, odd := s.DecryptPII(asKey(anxin.RolePrivacy), "o1", anxin.DecryptRequest{Purpose: anxin.PurposeLegal})
		if anxin.KindOf(odd) != anxin.RateLimited {
			t.Fatalf("odd-hours access = %v; want RateLimited", odd)
		}
		kinds := map[string]bool{}
		all, _ := s.FindAlerts(asKey(anxin.RoleAuditor), "")
		for _, a := range all {
			kinds[a.Kind] = true
		}
		if !kinds["lookup_sweep"] || !kinds["odd_hours"] || !kinds["decrypts_exceed_orders"] {
			t.Fatalf("alert kinds = %v", kinds)
		}
		if v, _ := s.VerifyAuditChain(context.Background(), nil); !v.OK {
			t.Fatalf("audit chain broken: %+v", v)
		}
	})
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestVaultRotateRetire(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		s := newVaultService(t, db)
		ctx := context.Background()
		platform := asKey(anxin.RolePlatform)
		for i := 0; i < 5; i++ {
			addOrder(t, db, "o"+itoa(i), "m1", anxin.OrderPaid, time.Now())
			if _, err := s.SealPII(platform, "o"+itoa(i), &samplePII); err != nil {
				t.Fatal(err)
			}
		}
		var before string
		db.QueryRowContext(ctx, `SELECT phone_sealed FROM vault_records WHERE order_id = 'o1'`).Scan(&before)
		res, err := s.Rotate(ctx, true)
		if err != nil || res.NewVersion != 2 || res.Rewrapped != 7 { // 5 records, the index key and the audit key
			t.Fatalf("Rotate = %+v, %v; want version 2, 7 re-wrapped", res, err)
		}
		var after string
		db.QueryRowContext(ctx, `SELECT phone_sealed FROM vault_records WHERE order_id = 'o1'`).Scan(&after)
		if after != before {
			t.Fatal("rotation rewrote a sealed field; it must only re-wrap data keys")
		}
		st, err := s.VaultStatus(asKey(anxin.RoleAuditor))
		if err != nil || st.CurrentVersion != 2 || st.StaleDataKeys != 0 || st.Records != 5 {
			t.Fatalf("VaultStatus = %+v, %v", st, err)
		}
		retired, inUse, err := s.Retire(ctx)
		if err != nil || len(retired) != 1 || retired[0] != 1 || len(inUse) != 0 {
			t.Fatalf("Retire = %v, %v, %v; want [1]", retired, inUse, err)
		}
		// Still readable with version 1 gone (and a cold cache).
		s2 := sqlstore.NewVaultService(db, vault.New(s.Vault().KEK()), sqlstore.PrivacyConfig{})
		grantFor(t, s2, anxin.MerchantRole("m1"), anxin.PurposeShip, "*", time.Now().Add(time.Hour))
		if p, err := s2.DecryptPII(asKey(anxin.MerchantRole("m1")), "o1", anxin.DecryptRequest{Purpose: anxin.PurposeShip}); err != nil || p.Phone != "13812345678" {
			t.Fatalf("DecryptPII after rotate and retire = %+v, %v", p, err)
		}
		if got, err := s2.SearchPII(asKey(anxin.RoleCare), anxin.PIISearch{Phone: "13812345678"}); err != nil || len(got) != 5 {
			t.Fatalf("SearchPII after rotation = %d results, %v; want 5", len(got), err)
		}
	})
}

func TestPrivacyReportSection(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(t0)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		s := newVaultService(t, db)
		platform := asKey(anxin.RolePlatform)
		for _, id := range []string{"o1", "o2", "o3", "o4"} {
			addOrder(t, db, id, "m1", anxin.OrderPaid, t0)
		}
		for _, id := range []string{"o1", "o2", "o3"} {
			if _, err := s.SealPII(platform, id, &samplePII); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Waybill(platform, "o1"); err != nil {
			t.Fatal(err)
		}
		db.ExecContext(context.Background(), `UPDATE orders SET status = 'shipped', shipped_at = ? WHERE id IN ('o1', 'o2')`, sqlstore.MS(t0))
		grantFor(t, s, anxin.RoleCare, anxin.PurposeCare, "*", t0.Add(time.Hour))
		s.DecryptPII(asKey(anxin.RoleCare), "o1", anxin.DecryptRequest{Purpose: anxin.PurposeCare})
		s.DecryptPII(asKey(anxin.RoleCare), "o2", anxin.DecryptRequest{Purpose: anxin.PurposeShip}) // refused
		r, err := sqlstore.NewReportService(db).Report(context.Background(), anxin.Period{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var sec *anxin.Section
		for i := range r.Sections {
			if r.Sections[i].Key == "privacy" {
				sec = &r.Sections[i]
			}
		}
		if sec == nil {
			t.Fatal("no privacy section")
		}
		got := map[string]float64{}
		for _, m := range sec.Metrics {
			got[m.Name] = m.Value
		}
		want := map[string]float64{"masked_waybill_rate": 0.5, "sealed_field_rate": 0.75, "decrypts_total": 1, "decrypt_refusals": 1,
			"decrypts_by_purpose_care": 1, "decrypts_by_purpose_ship": 0, "alerts_total": 0, "virtual_number_rate": 1}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v; want %v", k, got[k], v)
			}
		}
		if len(sec.Charts) != 1 || sec.Charts[0].Name != "decrypts_by_purpose" {
			t.Errorf("charts = %+v", sec.Charts)
		}
	})
}

// TestAuditConcurrentAppends appends from many goroutines at once: the chain
// head serialises them into one unbroken chain on both databases.
func TestAuditConcurrentAppends(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		s := newVaultService(t, db)
		const workers, each = 6, 5
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			go func() {
				for i := 0; i < each; i++ {
					errs <- s.CreateGrant(asKey(anxin.RolePrivacy), &anxin.PIIGrant{Role: anxin.RoleCare, Purpose: anxin.PurposeCare, OrderID: "*", ExpiresAt: time.Now().Add(time.Hour)})
				}
			}()
		}
		for i := 0; i < workers*each; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		v, err := s.VerifyAuditChain(context.Background(), nil)
		if err != nil || !v.OK || v.Rows != workers*each || v.HeadSeq != workers*each {
			t.Fatalf("VerifyAuditChain after concurrent appends = %+v, %v", v, err)
		}
	})
}
