package sqlstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

var protT0 = time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)

func protRole(role anxin.Role) context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "key_" + string(role), Role: role})
}

var (
	protPlatformCtx = protRole(anxin.RolePlatform)
	protReviewerCtx = protRole(anxin.RoleReviewer)
	protFinanceCtx  = protRole(anxin.RoleFinance)
	protOperatorCtx = protRole(anxin.RoleOperator)
)

// pngBytes and pdfBytes are minimal files that sniff as their types.
var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	pdfBytes = []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
)

// order is a test order mirrored by direct SQL (the mirror's own store is
// another capability's).
type order struct {
	id, buyer, merchant, category string
	total                         int64
	flags                         map[string]string
	promised                      *time.Time
}

func mirror(t *testing.T, db *sqlstore.DB, o order) {
	t.Helper()
	ctx := context.Background()
	now := sqlstore.MS(protT0)
	attrs, _ := json.Marshal(o.flags)
	if o.flags == nil {
		attrs = []byte("{}")
	}
	items, _ := json.Marshal([]anxin.OrderItem{{ListingID: "l_" + o.id, Quantity: 1, UnitPriceFen: o.total}})
	var promised any
	if o.promised != nil {
		promised = sqlstore.MS(*o.promised)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO merchants (id, name, categories, onboarded_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			[]any{o.merchant, "Shop", `["` + o.category + `"]`, now, now}},
		{`INSERT INTO buyers (id, standing, updated_at) VALUES (?, 'good', ?) ON CONFLICT (id) DO NOTHING`, []any{o.buyer, now}},
		{`INSERT INTO listings (id, merchant_id, title, category, price_fen, attributes, created_at, updated_at) VALUES (?, ?, 'Item', ?, ?, ?, ?, ?)`,
			[]any{"l_" + o.id, o.merchant, o.category, o.total, string(attrs), now, now}},
		{`INSERT INTO orders (id, merchant_id, buyer_id, items, total_fen, status, promised_ship_at, created_at, paid_at, updated_at) VALUES (?, ?, ?, ?, ?, 'paid', ?, ?, ?, ?)`,
			[]any{o.id, o.merchant, o.buyer, string(items), o.total, promised, now, now, now}},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("mirror: %v", err)
		}
	}
}

// event runs the protection hook for one event, as the events store does
// inside its ingest transaction, after applying it to the mirror.
func event(t *testing.T, db *sqlstore.DB, s *sqlstore.ProtectionService, typ string, data any) {
	t.Helper()
	ctx := context.Background()
	b, _ := json.Marshal(data)
	e := &anxin.Event{ID: anxin.NewID("evt"), Type: typ, OccurredAt: db.Clock.Now(), Data: b}
	if err := e.Validate(); err != nil {
		t.Fatalf("event: %v", err)
	}
	err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
		now := sqlstore.MS(tx.Now)
		switch typ {
		case anxin.EventOrderDelivered:
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET delivered_at = ?, status = 'delivered' WHERE id = ?`, now, e.OrderRef.OrderID); err != nil {
				return err
			}
		case anxin.EventShipmentScanned:
			if _, err := tx.ExecContext(ctx, `INSERT INTO shipments (id, order_id, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`, e.Scan.ShipmentID, e.Scan.OrderID, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO shipment_scans (shipment_id, seq, code, at) VALUES (?, (SELECT COUNT(*) FROM shipment_scans WHERE shipment_id = ?), ?, ?)`,
				e.Scan.ShipmentID, e.Scan.ShipmentID, e.Scan.Code, now); err != nil {
				return err
			}
			if e.Scan.Code == "delivered" {
				if _, err := tx.ExecContext(ctx, `UPDATE orders SET delivered_at = ? WHERE id = ?`, now, e.Scan.OrderID); err != nil {
					return err
				}
			}
		}
		return s.OnEvents(ctx, tx, []*anxin.Event{e})
	})
	if err != nil {
		t.Fatalf("OnEvents(%s): %v", typ, err)
	}
}

func newProtection(t *testing.T, db *sqlstore.DB) *sqlstore.ProtectionService {
	t.Helper()
	if c, ok := db.Clock.(*anxintest.Clock); ok {
		c.Set(protT0) // sqltest.Run shares one clock between the sqlite and postgres subtests
	}
	s := sqlstore.NewProtectionService(db)
	if err := s.InstallDefaultProgrammes(context.Background()); err != nil {
		t.Fatalf("InstallDefaultProgrammes: %v", err)
	}
	return s
}

func verify(t *testing.T, db *sqlstore.DB) *sqlstore.LedgerCheck {
	t.Helper()
	c, err := db.VerifyLedger(context.Background())
	if err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	if !c.OK() {
		t.Fatalf("VerifyLedger problems: %q", c.Problems)
	}
	return c
}

func count(t *testing.T, db *sqlstore.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", q, err)
	}
	return n
}

func balanceOf(t *testing.T, db *sqlstore.DB, account string) int64 {
	t.Helper()
	return count(t, db, `SELECT COALESCE(SUM(balance_fen), 0) FROM ledger_balances WHERE account = ?`, account)
}

func wantKind(t *testing.T, err error, kind anxin.Kind, msg string) {
	t.Helper()
	if anxin.KindOf(err) != kind || !strings.Contains(anxin.MessageOf(err), msg) {
		t.Fatalf("error = %v; want %s containing %q", err, kind, msg)
	}
}

func TestDamageClaimLifecycle(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		clock := db.Clock.(*anxintest.Clock)
		s := newProtection(t, db)
		mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "home", total: 20000})
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})
		clock.Advance(time.Hour)
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s1", "order_id": "o1", "code": "pickup"})
		clock.Advance(24 * time.Hour)
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s1", "order_id": "o1", "code": "delivered"})
		event(t, db, s, anxin.EventOrderDelivered, map[string]string{"order_id": "o1"})
		if got := balanceOf(t, db, "merchant_pending:m1"); got != 20000 {
			t.Fatalf("merchant_pending after delivery = %d; want 20000", got)
		}
		clock.Advance(2 * time.Hour)
		in := anxin.ClaimInput{Key: "k1", OrderID: "o1", BuyerID: "b1", ProgrammeID: "damage_return", Type: "damaged"}
		c, created, err := s.FileClaim(protPlatformCtx, in)
		if err != nil || !created {
			t.Fatalf("FileClaim = %v, %v", created, err)
		}
		if c.Status != anxin.ClaimOpen || c.Reason != "evidence_required" {
			t.Fatalf("claim = %s/%s; want open/evidence_required", c.Status, c.Reason)
		}
		again, created, err := s.FileClaim(protPlatformCtx, in)
		if err != nil || created || again.ID != c.ID {
			t.Fatalf("retried FileClaim = %v, %v, %v; want the same claim", again.ID, created, err)
		}
		for _, k := range []string{"photo_outer_package", "photo_item", "photo_waybill"} {
			b := append(append([]byte{}, pngBytes...), k...)
			if c, err = s.AddEvidence(protPlatformCtx, c.ID, k, "image/png", b); err != nil {
				t.Fatalf("AddEvidence(%s): %v", k, err)
			}
		}
		if c.Reason != "awaiting_merchant" || c.MerchantDeadline == nil {
			t.Fatalf("claim reason = %s; want awaiting_merchant", c.Reason)
		}
		merchantCtx := protRole(anxin.MerchantRole("m1"))
		if _, err := s.RespondClaim(protRole(anxin.MerchantRole("m2")), c.ID, "reject", ""); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("another merchant's response = %v; want NotFound", err)
		}
		if c, err = s.RespondClaim(merchantCtx, c.ID, "reject", "the box was fine"); err != nil {
			t.Fatal(err)
		}
		if c.Status != anxin.ClaimEscalated {
			t.Fatalf("after rejection status = %s; want escalated", c.Status)
		}
		_, err = s.DecideClaim(protReviewerCtx, c.ID, "approve", "photos show a crushed box", 20001)
		wantKind(t, err, anxin.Invalid, "above what programme")
		if c, err = s.DecideClaim(protReviewerCtx, c.ID, "approve", "photos show a crushed box", 0); err != nil {
			t.Fatal(err)
		}
		if c.Status != anxin.ClaimApproved || c.Payout == nil || c.Payout.AmountFen != 20000 || len(c.Decisions) != 2 {
			t.Fatalf("claim = %+v; want approved with a 20000 payout and two decisions", c)
		}
		if !strings.Contains(c.Decisions[1].Statement, "damage_return") {
			t.Errorf("statement %q does not name the programme", c.Decisions[1].Statement)
		}
		if got := balanceOf(t, db, "buyer_payout:b1"); got != 20000 {
			t.Errorf("buyer paid %d; want 20000", got)
		}
		if got := balanceOf(t, db, "merchant_pending:m1"); got != 0 {
			t.Errorf("merchant_pending = %d; want 0 (recovered)", got)
		}
		msgs, _ := db.OutboxMessages(context.Background(), anxin.MessagePayBuyer, 10)
		if len(msgs) != 1 || !strings.Contains(string(msgs[0].Payload), c.Payout.PostingID) {
			t.Fatalf("payout webhooks = %v; want one carrying the posting id", msgs)
		}
		// The merchant appeals once; the same reviewer may not decide it.
		if _, err := s.AppealClaim(protPlatformCtx, c.ID, "x"); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("buyer appeal of an approved claim = %v; want Invalid", err)
		}
		if c, err = s.AppealClaim(merchantCtx, c.ID, "the photos are of another parcel"); err != nil || c.Status != anxin.ClaimAppealed {
			t.Fatalf("AppealClaim = %v, %v", c, err)
		}
		_, err = s.AppealClaim(merchantCtx, c.ID, "again")
		wantKind(t, err, anxin.Conflict, "once")
		_, err = s.DecideClaim(protReviewerCtx, c.ID, "deny", "x", 0)
		wantKind(t, err, anxin.Forbidden, "other than the original")
		if c, err = s.DecideClaim(protOperatorCtx, c.ID, "deny", "waybill number differs", 0); err != nil {
			t.Fatal(err)
		}
		if c.Status != anxin.ClaimDenied || c.Appeal.Status != "overturned" {
			t.Fatalf("after overturn: %s / %s", c.Status, c.Appeal.Status)
		}
		if got := balanceOf(t, db, "merchant_pending:m1"); got != 20000 {
			t.Errorf("merchant_pending after overturn = %d; want 20000 returned", got)
		}
		if got := balanceOf(t, db, "guarantee_fund"); got != -20000 {
			t.Errorf("guarantee_fund after overturn = %d; want -20000 (the fund bears it)", got)
		}
		verify(t, db)
	})
}

func TestFileClaimRefusals(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		clock := db.Clock.(*anxintest.Clock)
		s := newProtection(t, db)
		mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "fresh", total: 5000})
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s1", "order_id": "o1", "code": "delivered"})
		clock.Advance(25 * time.Hour) // past the 24 h fresh-produce window
		postings := count(t, db, `SELECT COUNT(*) FROM ledger_postings`)
		tests := []struct {
			name string
			in   anxin.ClaimInput
			kind anxin.Kind
			msg  string
		}{
			{"fresh window", anxin.ClaimInput{Key: "a", OrderID: "o1", BuyerID: "b1", ProgrammeID: "damage_return", Type: "damaged"}, anxin.Invalid, "(24 h from signed)"},
			{"wrong buyer", anxin.ClaimInput{Key: "b", OrderID: "o1", BuyerID: "b2", ProgrammeID: "damage_return", Type: "damaged"}, anxin.Invalid, "was not placed by buyer"},
			{"not covered", anxin.ClaimInput{Key: "c", OrderID: "o1", BuyerID: "b1", ProgrammeID: "no_reason_return", Type: "no_reason"}, anxin.Invalid, "not covered"},
			{"unknown programme", anxin.ClaimInput{Key: "d", OrderID: "o1", BuyerID: "b1", ProgrammeID: "nope", Type: "damaged"}, anxin.NotFound, "Programme nope"},
			{"unknown order", anxin.ClaimInput{Key: "e", OrderID: "o9", BuyerID: "b1", ProgrammeID: "damage_return", Type: "damaged"}, anxin.NotFound, "Order not found"},
			{"bad key", anxin.ClaimInput{Key: "", OrderID: "o1", BuyerID: "b1", ProgrammeID: "damage_return", Type: "damaged"}, anxin.Invalid, "key is required"},
			{"wrong type", anxin.ClaimInput{Key: "f", OrderID: "o1", BuyerID: "b1", ProgrammeID: "instant_refund", Type: "damaged"}, anxin.Invalid, "does not cover"},
		}
		for _, tt := range tests {
			_, _, err := s.FileClaim(protPlatformCtx, tt.in)
			if anxin.KindOf(err) != tt.kind || !strings.Contains(anxin.MessageOf(err), tt.msg) {
				t.Errorf("%s: FileClaim = %v; want %s containing %q", tt.name, err, tt.kind, tt.msg)
			}
		}
		if _, _, err := s.FileClaim(protRole(anxin.RoleReviewer), tests[0].in); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("reviewer FileClaim = %v; want Forbidden", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM claims`); n != 0 {
			t.Errorf("claims stored = %d; want 0", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger_postings`); n != postings {
			t.Errorf("postings = %d; want %d (nothing booked)", n, postings)
		}
		// A key reused for a different claim is a conflict.
		clock.Advance(-2 * time.Hour)
		in := anxin.ClaimInput{Key: "g", OrderID: "o1", BuyerID: "b1", ProgrammeID: "instant_refund", Type: "return_refund"}
		if _, _, err := s.FileClaim(protPlatformCtx, in); err != nil {
			t.Fatal(err)
		}
		in.Type = "unshipped_refund"
		_, _, err := s.FileClaim(protPlatformCtx, in)
		wantKind(t, err, anxin.Conflict, "already used")
		in.Key = "h"
		_, _, err = s.FileClaim(protPlatformCtx, in)
		wantKind(t, err, anxin.Conflict, "already has claim")
		verify(t, db)
	})
}

func TestEvidenceMustMatchItsBytes(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		s := newProtection(t, db)
		mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "home", total: 5000})
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s1", "order_id": "o1", "code": "delivered"})
		c, _, err := s.FileClaim(protPlatformCtx, anxin.ClaimInput{Key: "k", OrderID: "o1", BuyerID: "b1", ProgrammeID: "damage_return", Type: "damaged"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.AddEvidence(protPlatformCtx, c.ID, "photo_item", "image/png", []byte("<script>alert(1)</script>"))
		wantKind(t, err, anxin.Invalid, "declared as image/png but its bytes are text/html")
		_, err = s.AddEvidence(protPlatformCtx, c.ID, "photo_item", "application/pdf", pdfBytes)
		wantKind(t, err, anxin.Invalid, "must be one of")
		_, err = s.AddEvidence(protPlatformCtx, c.ID, "selfie", "image/png", pngBytes)
		wantKind(t, err, anxin.Invalid, "not known")
		if n := count(t, db, `SELECT COUNT(*) FROM claim_evidence`); n != 0 {
			t.Errorf("evidence stored = %d; want 0", n)
		}
		if _, err := s.AddEvidence(protPlatformCtx, c.ID, "photo_item", "image/png", pngBytes); err != nil {
			t.Fatal(err)
		}
		_, err = s.AddEvidence(protPlatformCtx, c.ID, "photo_item", "image/png", pngBytes)
		wantKind(t, err, anxin.Conflict, "already attached")
		// The same bytes on another buyer's claim are escalated as duplicate evidence.
		mirror(t, db, order{id: "o2", buyer: "b2", merchant: "m1", category: "home", total: 5000})
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o2"})
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s2", "order_id": "o2", "code": "delivered"})
		c2, _, err := s.FileClaim(protPlatformCtx, anxin.ClaimInput{Key: "k2", OrderID: "o2", BuyerID: "b2", ProgrammeID: "damage_return", Type: "damaged"})
		if err != nil {
			t.Fatal(err)
		}
		if c2, err = s.AddEvidence(protPlatformCtx, c2.ID, "photo_item", "image/png", pngBytes); err != nil {
			t.Fatal(err)
		}
		if c2.Status != anxin.ClaimEscalated || c2.Reason != "duplicate_evidence" {
			t.Errorf("duplicate evidence: claim %s/%s; want escalated/duplicate_evidence", c2.Status, c2.Reason)
		}
	})
}

func TestConcurrentClaimsPayOnce(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		s := newProtection(t, db)
		mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "home", total: 9900})
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := "k" + string(rune('a'+i%4)) // four keys, each retried twice
				_, _, errs[i] = s.FileClaim(protPlatformCtx, anxin.ClaimInput{Key: key, OrderID: "o1", BuyerID: "b1", ProgrammeID: "instant_refund", Type: "unshipped_refund"})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && anxin.KindOf(err) != anxin.Conflict {
				t.Errorf("concurrent FileClaim: %v", err)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM payouts`); n != 1 {
			t.Fatalf("payouts = %d; want 1", n)
		}
		if got := balanceOf(t, db, "buyer_payout:b1"); got != 9900 {
			t.Errorf("buyer paid %d; want 9900", got)
		}
		if got := balanceOf(t, db, "order_escrow:o1"); got != 0 {
			t.Errorf("escrow = %d; want 0 (refund funded by escrow)", got)
		}
		verify(t, db)
	})
}
