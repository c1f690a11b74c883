package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func TestLateShipmentAndLostParcelTriggers(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		clock := db.Clock.(*anxintest.Clock)
		s := newProtection(t, db)
		runner := &sqlstore.JobRunner{DB: db}
		s.RegisterJobs(runner)
		if _, err := s.Enrol(protOperatorCtx, "m1", "anxingou"); err != nil {
			t.Fatal(err)
		}
		promised := protT0.Add(24 * time.Hour)
		mirror(t, db, order{id: "late", buyer: "b1", merchant: "m1", category: "home", total: 9900, promised: &promised})
		mirror(t, db, order{id: "ontime", buyer: "b1", merchant: "m1", category: "home", total: 9900, promised: &promised})
		mirror(t, db, order{id: "lost", buyer: "b2", merchant: "m1", category: "home", total: 4000, promised: &promised})
		for _, id := range []string{"late", "ontime", "lost"} {
			event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": id})
			event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": id}) // replayed: still once
		}
		clock.Advance(2 * time.Hour)
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s_ontime", "order_id": "ontime", "code": "pickup"})
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s_lost", "order_id": "lost", "code": "pickup"})
		t.Logf("pickup scans %d", count(t, db, `SELECT COUNT(*) FROM shipment_scans sc JOIN shipments sh ON sh.id = sc.shipment_id WHERE sc.code = 'pickup'`))
		clock.Advance(23 * time.Hour) // past the promise
		if _, err := runner.RunDue(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		claims, _, err := s.FindClaims(protOperatorCtx, anxin.ClaimFilter{ProgrammeID: "late_shipment"})
		if err != nil || len(claims) != 1 || claims[0].OrderID != "late" || claims[0].Status != anxin.ClaimApproved || claims[0].AmountFen != 495 {
			for _, c := range claims {
				t.Logf("claim %s %s %d", c.OrderID, c.Status, c.AmountFen)
			}
			t.Fatalf("late-shipment claims = %+v, %v; want one approved 495 fen on order late", claims, err)
		}
		if claims[0].Source != "event" || !claims[0].Automated {
			t.Errorf("late claim source %s automated %v", claims[0].Source, claims[0].Automated)
		}
		// Lost: no scan for 7 days after the pickup (the on-time order arrives).
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s_ontime", "order_id": "ontime", "code": "delivered"})
		clock.Advance(7 * 24 * time.Hour)
		if _, err := runner.RunDue(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := runner.RunDue(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		lost, _, _ := s.FindClaims(protOperatorCtx, anxin.ClaimFilter{ProgrammeID: "lost_parcel"})
		if len(lost) != 1 || lost[0].OrderID != "lost" || lost[0].AmountFen != 4000 {
			t.Fatalf("lost-parcel claims = %+v; want one of 4000 on order lost", lost)
		}
		// The late order was never picked up either, but a "lost" scan on an
		// order already claimed changes nothing.
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s_lost", "order_id": "lost", "code": "lost"})
		if got := balanceOf(t, db, "logistics_pool"); got != -4000 {
			t.Errorf("logistics_pool = %d; want -4000", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM payouts`); n != 2 {
			t.Errorf("payouts = %d; want 2", n)
		}
		verify(t, db)
		got := protectionReport(t, db)
		want := map[string]float64{"order_coverage_rate": 1, "merchants_enrolled": 1, "claims_total": 2, "claims_auto_decided_rate": 1,
			"refund_time_p50_s": 0, "refund_time_p90_s": 0, "fund_paid_fen": 0, "fund_recovered_fen": 0, "logistics_pool_paid_fen": 4000}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("report protection.%s = %v (present %v); want %v", k, g, ok, v)
			}
		}
	})
}

func TestCounterfeitAdvanceCompensationAndDeposit(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		s := newProtection(t, db)
		ls := sqlstore.NewLedgerService(db)
		if _, err := s.Enrol(protRole(anxin.MerchantRole("m1")), "m1", "anxingou"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enrol(protRole(anxin.MerchantRole("m1")), "m2", "anxingou"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("enrolling another merchant = %v; want NotFound", err)
		}
		mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "beauty", total: 20000}) // deposits need a known merchant
		if _, err := ls.Fund(protFinanceCtx, anxin.Funding{Key: "dep1", Account: "merchant_deposit:m1", AmountFen: 1000000}); err != nil {
			t.Fatal(err)
		}
		if _, err := ls.Fund(protFinanceCtx, anxin.Funding{Key: "gf", Account: "guarantee_fund", AmountFen: 10000000}); err != nil {
			t.Fatal(err)
		}
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s1", "order_id": "o1", "code": "delivered"})
		c, _, err := s.FileClaim(protPlatformCtx, anxin.ClaimInput{Key: "cf", OrderID: "o1", BuyerID: "b1", ProgrammeID: "counterfeit", Type: "counterfeit"})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = s.AddEvidence(protPlatformCtx, c.ID, "appraisal_report", "application/pdf", pdfBytes); err != nil {
			t.Fatal(err)
		}
		if c, err = s.RespondClaim(protRole(anxin.MerchantRole("m1")), c.ID, "accept", ""); err != nil {
			t.Fatal(err)
		}
		if c.Status != anxin.ClaimApproved || c.AmountFen != 80000 {
			t.Fatalf("counterfeit claim %s %d; want approved 80000 (3× plus refund)", c.Status, c.AmountFen)
		}
		// Recovery: escrow 20000, deposit 60000 → the deposit falls below the
		// regulated floor of 1,000,000 and publishing is restricted.
		if got := balanceOf(t, db, "guarantee_fund"); got != 10000000 {
			t.Errorf("guarantee_fund = %d; want it made whole by recovery", got)
		}
		if got := balanceOf(t, db, "merchant_deposit:m1"); got != 940000 {
			t.Errorf("deposit = %d; want 940000", got)
		}
		money, err := ls.MerchantMoney(protRole(anxin.MerchantRole("m1")), "m1")
		if err != nil || !money.Restricted || money.DepositFloor != 1000000 {
			t.Fatalf("MerchantMoney = %+v, %v; want restricted under the regulated floor", money, err)
		}
		if msgs, _ := db.OutboxMessages(context.Background(), anxin.MessageRestrictMerchant, 10); len(msgs) != 1 {
			t.Fatalf("merchant.restrict messages = %d; want 1", len(msgs))
		}
		if _, err := ls.MerchantMoney(protRole(anxin.MerchantRole("m2")), "m1"); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("another merchant's money = %v; want NotFound", err)
		}
		gov := sqlstore.NewGovernanceService(db)
		dep, _, err := gov.FindSanctions(govOperator, anxin.SanctionFilter{MerchantID: "m1", Source: anxin.SourceDeposit, Active: true})
		if err != nil || len(dep) != 1 || dep[0].EndsAt != nil || !strings.Contains(dep[0].Reasons.Restriction, "topped up") {
			t.Fatalf("deposit sanctions = %+v, %v; want one open-ended restrict_listing until topped up", dep, err)
		}
		if _, err := ls.Fund(protFinanceCtx, anxin.Funding{Key: "dep2", Account: "merchant_deposit:m1", AmountFen: 60000}); err != nil {
			t.Fatal(err)
		}
		if money, _ = ls.MerchantMoney(protFinanceCtx, "m1"); money.Restricted {
			t.Errorf("still restricted after top-up: %+v", money)
		}
		if sc, err := gov.FindSanction(govOperator, dep[0].ID); err != nil || sc.Status != anxin.SanctionLifted || sc.EndReason != "deposit_topped_up" {
			t.Errorf("deposit sanction after the top-up = %+v, %v; want lifted", sc, err)
		}
		_, err = ls.Fund(protFinanceCtx, anxin.Funding{Key: "dep2", Account: "merchant_deposit:m1", AmountFen: 1})
		wantKind(t, err, anxin.Conflict, "already used")
		if got := protectionReport(t, db); got["fund_paid_fen"] != 80000 || got["fund_recovered_fen"] != 80000 {
			t.Errorf("report fund paid %v recovered %v; want 80000 and 80000", got["fund_paid_fen"], got["fund_recovered_fen"])
		}
		for _, f := range []anxin.Funding{
			{Key: "x1", Account: "guarantee_fund", AmountFen: -5},
			{Key: "x2", Account: "guarantee_fund", AmountFen: 0},
			{Key: "x3", Account: "guarantee_fund", AmountFen: 1 << 60},
			{Key: "x4", Account: "guarantee_fund", AmountFen: 5, Currency: "XXX"},
			{Key: "x5", Account: "buyer_payout:b1", AmountFen: 5},
			{Key: "x6", Account: "cash", AmountFen: 5},
		} {
			if _, err := ls.Fund(protFinanceCtx, f); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("Fund(%+v) = %v; want Invalid", f, err)
			}
		}
		verify(t, db)
	})
}

func TestAckPayoutAndReconcile(t *testing.T) {
	clock := anxintest.NewClock(protT0)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(protT0)
		s := newProtection(t, db)
		ls := sqlstore.NewLedgerService(db)
		mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "home", total: 3000})
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})
		c, _, err := s.FileClaim(protPlatformCtx, anxin.ClaimInput{Key: "k", OrderID: "o1", BuyerID: "b1", ProgrammeID: "instant_refund", Type: "unshipped_refund"})
		if err != nil || c.Payout == nil {
			t.Fatalf("FileClaim = %+v, %v", c, err)
		}
		// Decided at filing, but unpaid until the marketplace confirms it.
		if got := protectionReport(t, db)["refund_time_p50_s"]; got != 0 {
			t.Errorf("refund time before the payout is confirmed = %v; want 0 (none refunded)", got)
		}
		clock.Advance(45 * time.Minute)
		ack := anxin.PayoutAck{Status: "paid", PostingID: c.Payout.PostingID, AmountFen: 3000}
		for i := 0; i < 2; i++ { // the webhook was delivered twice
			p, err := s.AckPayout(protPlatformCtx, c.Payout.ID, ack)
			if err != nil || p.Status != "paid" {
				t.Fatalf("AckPayout #%d = %+v, %v", i, p, err)
			}
		}
		_, err = s.AckPayout(protPlatformCtx, c.Payout.ID, anxin.PayoutAck{Status: "failed", PostingID: c.Payout.PostingID})
		wantKind(t, err, anxin.Conflict, "already acknowledged")
		_, err = s.AckPayout(protPlatformCtx, "pay_nope", ack)
		wantKind(t, err, anxin.NotFound, "Payout not found")
		r, err := ls.Reconcile(protFinanceCtx)
		if err != nil || r.Payouts != 1 || r.Paid != 1 || len(r.Mismatches) != 0 {
			t.Fatalf("Reconcile = %+v, %v", r, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM payouts`); n != 1 {
			t.Errorf("payouts = %d; want 1", n)
		}
		if got := protectionReport(t, db)["refund_time_p50_s"]; got != 45*60 {
			t.Errorf("refund time = %v s; want 2700 (filed to confirmed paid)", got)
		}
		verify(t, db)
	})
}

func TestSaveProgrammeRejectsOverpaying(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		s := newProtection(t, db)
		cfg := `{"id":"greedy","name":"Greedy","kind":"damage_return","trigger":{"type":"claim","claim_types":["damaged"]},
			"window":{"start":"signed","hours":72},"payout":{"kind":"percentage","rate_bp":15000},"funding":"merchant","auto":{"approve_max_fen":100}}`
		_, err := s.SaveProgramme(protOperatorCtx, []byte(cfg))
		wantKind(t, err, anxin.Invalid, "could pay more than the order")
		_, err = s.SaveProgramme(protOperatorCtx, []byte(`{"id":"x","bogus":1}`))
		wantKind(t, err, anxin.Invalid, "bogus")
		_, err = s.SaveProgramme(protReviewerCtx, []byte(cfg))
		wantKind(t, err, anxin.Forbidden, "")
		ok := strings.Replace(cfg, `"rate_bp":15000`, `"rate_bp":5000`, 1)
		p, err := s.SaveProgramme(protOperatorCtx, []byte(ok))
		if err != nil || p.Version != 1 {
			t.Fatalf("SaveProgramme = %+v, %v", p, err)
		}
		if p, err = s.SaveProgramme(protOperatorCtx, []byte(ok)); err != nil || p.Version != 2 {
			t.Fatalf("second SaveProgramme version = %+v, %v; want 2", p, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM protection_programmes WHERE id = 'greedy'`); n != 2 {
			t.Errorf("greedy versions = %d; want 2", n)
		}
	})
}

func protectionReport(t *testing.T, db *sqlstore.DB) map[string]float64 {
	t.Helper()
	rep, err := sqlstore.NewReportService(db).Report(context.Background(), anxin.Period{From: protT0.Add(-time.Hour), To: protT0.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, sec := range rep.Sections {
		if sec.Key == "protection" {
			for _, m := range sec.Metrics {
				got[m.Name] = m.Value
			}
		}
	}
	return got
}

func TestRefundOnReturnPickupAndReconcileMismatch(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		s := newProtection(t, db)
		ls := sqlstore.NewLedgerService(db)
		mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "home", total: 12000})
		event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})
		event(t, db, s, anxin.EventShipmentScanned, map[string]string{"shipment_id": "s1", "order_id": "o1", "code": "pickup"})
		c, _, err := s.FileClaim(protPlatformCtx, anxin.ClaimInput{Key: "r1", OrderID: "o1", BuyerID: "b1", ProgrammeID: "instant_refund", Type: "return_refund"})
		if err != nil || c.Status != anxin.ClaimOpen || c.Reason != "awaiting_return_pickup" {
			t.Fatalf("return refund = %+v, %v; want open awaiting_return_pickup", c, err)
		}
		event(t, db, s, anxin.EventAfterSaleReturned, map[string]any{"id": "as1", "order_id": "o1", "buyer_id": "b1", "kind": "return_refund", "amount_fen": 12000})
		if c, err = s.FindClaim(protPlatformCtx, c.ID); err != nil || c.Status != anxin.ClaimApproved || c.Payout == nil || c.Payout.AmountFen != 12000 {
			t.Fatalf("after the return pickup: %+v, %v; want approved and paid 12000", c, err)
		}
		if _, err := s.AckPayout(protPlatformCtx, c.Payout.ID, anxin.PayoutAck{Status: "paid", PostingID: c.Payout.PostingID, AmountFen: 11000}); err != nil {
			t.Fatal(err)
		}
		r, err := ls.Reconcile(protFinanceCtx)
		if err != nil || len(r.Mismatches) != 1 || !strings.Contains(r.Mismatches[0].Problem, "acknowledged 11000 fen, booked 12000 fen") {
			t.Fatalf("Reconcile = %+v, %v; want the amount mismatch", r, err)
		}
		verify(t, db)
	})
}
