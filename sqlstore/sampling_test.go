package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

var qualityCtx = asRole(anxin.RoleQuality, "q_1")

// seedMirror writes merchants, listings and orders straight into the
// mirror tables.
func seedMirror(t *testing.T, db *sqlstore.DB, now time.Time) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO merchants (id, name, onboarded_at, updated_at) VALUES ('m_old', 'Old', ?, ?), ('m_new', 'New', ?, ?)`,
		sqlstore.MS(now.Add(-400*24*time.Hour)), sqlstore.MS(now), sqlstore.MS(now.Add(-10*24*time.Hour)), sqlstore.MS(now))
	for i := 0; i < 40; i++ {
		m, cat, attrs := "m_old", "toys", "{}"
		if i%2 == 0 {
			cat = "fresh"
		}
		if i < 4 {
			m, cat, attrs = "m_new", "fresh", `{"product_id":"p_cray"}` // four listings of one product
		}
		exec(`INSERT INTO listings (id, merchant_id, title, category, attributes, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'live', ?, ?)`,
			fmt.Sprintf("l_%02d", i), m, fmt.Sprintf("item %d", i), cat, attrs, sqlstore.MS(now), sqlstore.MS(now))
	}
	exec(`INSERT INTO orders (id, merchant_id, buyer_id, items, created_at, updated_at) VALUES ('o_1', 'm_new', 'b_1', '[{"listing_id":"l_01","quantity":1,"unit_price_fen":100}]', ?, ?),
		('o_2', 'm_new', 'b_2', '[{"listing_id":"l_09","quantity":1,"unit_price_fen":100}]', ?, ?)`,
		sqlstore.MS(now.Add(-24*time.Hour)), sqlstore.MS(now), sqlstore.MS(now.Add(-24*time.Hour)), sqlstore.MS(now))
}

func outboxSubjects(t *testing.T, db *sqlstore.DB) map[string][]string {
	t.Helper()
	msgs, err := db.OutboxMessages(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range msgs {
		out[m.Type] = append(out[m.Type], m.SubjectID)
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func TestSamplingPlanValidation(t *testing.T) {
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	sqltest.Run(t, anxintest.NewClock(now), func(t *testing.T, db *sqlstore.DB) {
		svc := sqlstore.NewSamplingService(db)
		base := func() anxin.SamplingPlan {
			return anxin.SamplingPlan{Name: "Q2", BudgetFen: 1_000_000, From: now, To: now.Add(90 * 24 * time.Hour), Quotas: []anxin.CategoryQuota{{Category: "fresh", Quota: 10}}}
		}
		for _, tt := range []struct {
			name string
			mod  func(p *anxin.SamplingPlan)
			msg  string
		}{
			{"negative budget", func(p *anxin.SamplingPlan) { p.BudgetFen = -1 }, "negative"},
			{"zero quota", func(p *anxin.SamplingPlan) { p.Quotas[0].Quota = 0 }, "between 1"},
			{"quota beyond the budget", func(p *anxin.SamplingPlan) { p.BudgetFen = 5 }, "cannot buy"},
			{"duplicate category", func(p *anxin.SamplingPlan) { p.Quotas = append(p.Quotas, p.Quotas[0]) }, "twice"},
			{"inverted period", func(p *anxin.SamplingPlan) { p.To = p.From.Add(-time.Hour) }, "period"},
			{"bad tier", func(p *anxin.SamplingPlan) { p.Quotas[0].RiskTier = 7 }, "risk_tier"},
			{"bad share", func(p *anxin.SamplingPlan) { p.RandomShareBP = 20000 }, "random_share_bp"},
			{"no categories", func(p *anxin.SamplingPlan) { p.Quotas = nil }, "quotas"},
		} {
			p := base()
			tt.mod(&p)
			if err := svc.CreatePlan(qualityCtx, &p); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.msg) {
				t.Errorf("CreatePlan(%s) = %v; want Invalid mentioning %q", tt.name, err, tt.msg)
			}
		}
		if ps, _ := svc.FindPlans(qualityCtx); len(ps) != 0 {
			t.Fatalf("%d plans stored after rejected input", len(ps))
		}
		p := base()
		p.Quotas = append(p.Quotas, anxin.CategoryQuota{Category: "nothing-here", Quota: 1})
		if err := svc.CreatePlan(qualityCtx, &p); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Draw(qualityCtx, p.ID); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), "no live listings") {
			t.Fatalf("Draw over an empty category = %v; want Invalid", err)
		}
		if xs, _ := svc.FindSamples(qualityCtx, p.ID); len(xs) != 0 {
			t.Fatalf("%d samples stored by a rejected draw", len(xs))
		}
		lab := anxin.Lab{ID: "lab_x", Name: "X", Accreditations: []string{"ISO9001"}, Categories: []string{"fresh"}, Tests: []string{"t"}, Capacity: 1}
		if err := svc.PutLab(qualityCtx, &lab); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), "CMA") {
			t.Fatalf("PutLab(unaccredited) = %v", err)
		}
		if _, err := svc.RecordResult(qualityCtx, "smp_nope", anxin.LabResult{Results: []anxin.LabTest{{Test: "t", Pass: true}}, ReportRef: "r"}); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("RecordResult(unknown sample) = %v; want NotFound", err)
		}
		if err := svc.CreatePlan(asRole(anxin.RoleCare, "c"), &p); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("CreatePlan as care = %v; want Forbidden", err)
		}
	})
}

func TestSamplingLifecycle(t *testing.T) {
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(now)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(now)
		ctx := context.Background()
		seedMirror(t, db, now)
		svc := sqlstore.NewSamplingService(db)
		plan := anxin.SamplingPlan{Name: "fresh Q2", BudgetFen: 20_000, From: now, To: now.Add(90 * 24 * time.Hour), Seed: 99, RandomShareBP: 5000,
			Quotas: []anxin.CategoryQuota{{Category: "fresh", Quota: 25, RiskTier: 3}, {Category: "toys", Quota: 4}}}
		if err := svc.CreatePlan(qualityCtx, &plan); err != nil {
			t.Fatal(err)
		}
		res, err := svc.Draw(qualityCtx, plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		// fresh has 22 live listings (short by 3); toys gives its 4.
		if res.Selected != 26 || res.Shortfall["fresh"] != 3 {
			t.Fatalf("Draw = %d selected, shortfall %v", res.Selected, res.Shortfall)
		}
		if _, err := svc.Draw(qualityCtx, plan.ID); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("second Draw = %v; want Conflict", err)
		}
		// The same seed over the same listings draws the same toys.
		again := plan
		again.ID = ""
		svc.CreatePlan(qualityCtx, &again)
		svc.Draw(qualityCtx, again.ID)
		pick := func(id string) string {
			xs, _ := svc.FindSamples(qualityCtx, id)
			var ls []string
			for _, x := range xs {
				if x.Category == "toys" {
					ls = append(ls, x.ListingID+"/"+x.Stratum)
				}
			}
			sort.Strings(ls)
			return strings.Join(ls, ",")
		}
		if a, b := pick(plan.ID), pick(again.ID); a != b || a == "" {
			t.Fatalf("same seed drew %s then %s", a, b)
		}
		if n := len(outboxSubjects(t, db)[sqlstore.MsgSamplingPurchase]); n != 52 {
			t.Fatalf("purchase requests = %d; want 52", n)
		}
		for _, l := range []anxin.Lab{
			{ID: "lab_a", Name: "A", Accreditations: []string{"CMA", "CNAS"}, Categories: []string{"fresh", "toys"}, Tests: []string{"microbial", "heavy_metals"}, Capacity: 1, PriceFen: 300, Active: true},
			{ID: "lab_b", Name: "B", Accreditations: []string{"CNAS"}, Categories: []string{"fresh"}, Tests: []string{"microbial"}, Capacity: 5, PriceFen: 500, Active: true},
		} {
			if err := svc.PutLab(qualityCtx, &l); err != nil {
				t.Fatal(err)
			}
		}
		xs, _ := svc.FindSamples(qualityCtx, plan.ID)
		var target, other *anxin.Sample
		for _, x := range xs {
			if x.ListingID == "l_01" {
				target = x
			} else if other == nil && x.Category == "fresh" {
				other = x
			}
		}
		if target == nil {
			t.Fatalf("the high-risk new merchant's listing l_01 was not drawn: %v", xs)
		}
		if _, err := svc.RecordResult(qualityCtx, target.ID, anxin.LabResult{Results: []anxin.LabTest{{Test: "microbial"}}, ReportRef: "r"}); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("RecordResult before the lab = %v; want Conflict", err)
		}
		if _, err := svc.RecordPurchase(qualityCtx, target.ID, "o_myst1", 8000, 1000); err != nil {
			t.Fatal(err)
		}
		// Over budget: nothing booked.
		if _, err := svc.RecordPurchase(qualityCtx, other.ID, "o_myst2", 11_001, 0); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("over-budget purchase = %v; want Conflict", err)
		}
		if p, _ := svc.FindPlan(qualityCtx, plan.ID); p.SpentFen != 9000 {
			t.Fatalf("spent %d after a refused purchase; want 9000", p.SpentFen)
		}
		x, err := svc.AssignLab(qualityCtx, target.ID, "")
		if err != nil || x.LabID != "lab_a" || x.Status != anxin.SampleAssigned {
			t.Fatalf("AssignLab = %+v, %v; want the cheaper lab_a", x, err)
		}
		svc.RecordPurchase(qualityCtx, other.ID, "o_myst2", 100, 0)
		if x, err := svc.AssignLab(qualityCtx, other.ID, "lab_a"); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("AssignLab to a full lab = %+v, %v; want Conflict", x, err)
		}
		if x, _ := svc.AssignLab(qualityCtx, other.ID, ""); x.LabID != "lab_b" {
			t.Fatalf("AssignLab with lab_a full = %s; want lab_b", x.LabID)
		}
		if _, err := svc.Track(qualityCtx, target.ID, "shipped", ""); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("Track without a tracking number = %v", err)
		}
		svc.Track(qualityCtx, target.ID, "shipped", "SF123")
		if x, err = svc.Track(qualityCtx, target.ID, "received", ""); err != nil || x.Status != anxin.SampleAtLab {
			t.Fatalf("Track(received) = %+v, %v", x, err)
		}
		clock.Set(now.Add(48 * time.Hour))
		x, err = svc.RecordResult(qualityCtx, target.ID, anxin.LabResult{ReportRef: "CMA-2026-0042", Results: []anxin.LabTest{
			{Test: "microbial", Pass: false, Safety: true}, {Test: "heavy_metals", Pass: true}}})
		if err != nil || x.Status != anxin.SampleFailed {
			t.Fatalf("RecordResult = %+v, %v", x, err)
		}
		ob := outboxSubjects(t, db)
		if got := strings.Join(ob[anxin.MessageDelistListing], ","); got != "l_00,l_01,l_02,l_03" {
			t.Errorf("delisted %s; want the four listings of product p_cray", got)
		}
		if got := strings.Join(ob[anxin.MessageRestrictMerchant], ","); got != "m_new" {
			t.Errorf("restricted %q", got)
		}
		if got := strings.Join(ob[anxin.MessageNotify], ","); got != "b_1,m_new" {
			t.Errorf("notified %q; want buyer b_1 (bought l_01) and the merchant", got)
		}
		// The failure is a sanction in the one model: the publish gate
		// refuses m_new with it, whatever governance's own record says.
		gov := sqlstore.NewGovernanceService(db)
		if err := gov.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		sanctions, _, err := gov.FindSanctions(govOperator, anxin.SanctionFilter{MerchantID: "m_new", Source: anxin.SourceSampling, Active: true})
		if err != nil || len(sanctions) != 1 || sanctions[0].Type != anxin.SanctionRestrictListing || sanctions[0].OriginID != target.ID ||
			!strings.Contains(sanctions[0].Reasons.Facts, "CMA-2026-0042") {
			t.Fatalf("sampling sanctions = %+v, %v; want one restrict_listing citing the lab report", sanctions, err)
		}
		gated, err := gov.CheckListings(govPlatform, []*anxin.ListingCheck{{ID: "l_new", Title: "纯棉毛巾", MerchantID: "m_new"}})
		if err != nil || gated[0].Outcome != anxin.OutcomeBlock || gated[0].ReasonCode != anxin.ReasonPenaltyRestricted || gated[0].StatementID != sanctions[0].StatementID {
			t.Fatalf("publish by m_new after a failed sample = %+v, %v; want PENALTY_RESTRICTED with the sampling statement", gated, err)
		}
		var live int64
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM listings WHERE merchant_id = 'm_new' AND status = 'live'`).Scan(&live)
		if live != 0 {
			t.Errorf("%d of m_new's listings still live", live)
		}
		// Retest at the merchant's cost, at another lab; a pass restores.
		if _, err := svc.RequestRetest(asRole(anxin.MerchantRole("m_old"), "k"), target.ID); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("retest by another merchant = %v; want NotFound", err)
		}
		rt, err := svc.RequestRetest(asRole(anxin.MerchantRole("m_new"), "k"), target.ID)
		if err != nil || !rt.MerchantPays || rt.RetestOf != target.ID {
			t.Fatalf("RequestRetest = %+v, %v", rt, err)
		}
		if _, err := svc.RequestRetest(asRole(anxin.MerchantRole("m_new"), "k"), target.ID); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("second retest = %v; want Conflict", err)
		}
		spent := func() int64 { p, _ := svc.FindPlan(qualityCtx, plan.ID); return p.SpentFen }
		before := spent()
		if rt, err = svc.AssignLab(qualityCtx, rt.ID, ""); err != nil || rt.LabID != "lab_b" {
			t.Fatalf("retest lab = %+v, %v; want lab_b, not the first lab", rt, err)
		}
		if spent() != before {
			t.Fatalf("a merchant-paid retest booked %d fen against the budget", spent()-before)
		}
		svc.Track(qualityCtx, rt.ID, "shipped", "SF9")
		svc.Track(qualityCtx, rt.ID, "received", "")
		if _, err := svc.RecordResult(qualityCtx, rt.ID, anxin.LabResult{ReportRef: "CNAS-77", Results: []anxin.LabTest{{Test: "microbial", Pass: true}}}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(outboxSubjects(t, db)[anxin.MessageRestoreListing], ","); got != "l_00,l_01,l_02,l_03" {
			t.Errorf("restored %q", got)
		}
		if sc, err := gov.FindSanction(govOperator, sanctions[0].ID); err != nil || sc.Status != anxin.SanctionLifted || sc.EndReason != "retest_passed" {
			t.Errorf("sampling sanction after a passing retest = %+v, %v; want lifted", sc, err)
		}
		rates, err := svc.PassRates(qualityCtx, plan.ID)
		if err != nil || len(rates) != 1 || rates[0].Samples != 1 || rates[0].Passed != 0 {
			t.Fatalf("PassRates = %+v, %v (the retest does not count)", rates, err)
		}
	})
}

// runSample takes a drawn sample through purchase, lab and result.
func runSample(t *testing.T, svc *sqlstore.SamplingService, id string, pass bool) {
	t.Helper()
	steps := []func() error{
		func() error { _, err := svc.RecordPurchase(qualityCtx, id, "o_"+id, 500, 100); return err },
		func() error { _, err := svc.AssignLab(qualityCtx, id, ""); return err },
		func() error { _, err := svc.Track(qualityCtx, id, "shipped", "SF"+id); return err },
		func() error { _, err := svc.Track(qualityCtx, id, "received", ""); return err },
		func() error {
			_, err := svc.RecordResult(qualityCtx, id, anxin.LabResult{ReportRef: "R-" + id, Results: []anxin.LabTest{{Test: "microbial", Pass: pass}}})
			return err
		},
	}
	for _, f := range steps {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCareAndSamplingReport(t *testing.T) {
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(start)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start)
		seedMirror(t, db, start)
		care := sqlstore.NewCareService(db)
		var ids []string
		for i, body := range []string{"退款还没到账", "快递没收到", "商品质量问题"} {
			tk, err := care.CreateTicket(platformCtx, &anxin.NewTicket{RequesterKind: "buyer", RequesterID: fmt.Sprint("b_", i), Body: body})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tk.ID)
		}
		clock.Set(start.Add(2 * time.Minute))
		care.Reply(careCtx, ids[0], anxin.Reply{Body: "ok"})
		clock.Set(start.Add(10 * time.Minute))
		care.Reply(careCtx, ids[1], anxin.Reply{Body: "ok"})
		clock.Set(start.Add(3 * time.Hour))
		care.Resolve(careCtx, ids[0], "done")
		care.AnswerSurvey(platformCtx, ids[0], 5, "")
		clock.Set(start.Add(80 * time.Hour)) // too late for the 72-hour rate
		care.Resolve(careCtx, ids[1], "done")
		care.AnswerSurvey(platformCtx, ids[1], 2, "")

		svc := sqlstore.NewSamplingService(db)
		plan := anxin.SamplingPlan{Name: "p", BudgetFen: 100_000, From: start, To: start.Add(90 * 24 * time.Hour), Seed: 5, RandomShareBP: 10000, Quotas: []anxin.CategoryQuota{{Category: "toys", Quota: 3}}}
		svc.CreatePlan(qualityCtx, &plan)
		svc.Draw(qualityCtx, plan.ID)
		for _, l := range []anxin.Lab{
			{ID: "lab_a", Name: "A", Accreditations: []string{"CMA"}, Categories: []string{"toys"}, Tests: []string{"microbial"}, Capacity: 1, PriceFen: 300, Active: true},
			{ID: "lab_b", Name: "B", Accreditations: []string{"CNAS"}, Categories: []string{"toys"}, Tests: []string{"microbial"}, Capacity: 9, PriceFen: 400, Active: true},
		} {
			svc.PutLab(qualityCtx, &l)
		}
		xs, _ := svc.FindSamples(qualityCtx, plan.ID)
		for i, x := range xs {
			runSample(t, svc, x.ID, i != 0)
		}
		rep, err := sqlstore.NewReportService(db).Report(context.Background(), anxin.Period{From: start, To: start.Add(100 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, s := range rep.Sections {
			for _, m := range s.Metrics {
				got[s.Key+"."+m.Name] = m.Value
			}
		}
		want := map[string]float64{
			"care.tickets_total": 3, "care.resolution_72h_rate": 1.0 / 3, "care.first_response_p50_s": 120, "care.csat_rate": 0.5,
			"sampling.spend_fen": 3 * (600 + 300), "sampling.samples_total": 3, "sampling.labs_used": 1, "sampling.pass_rate": 2.0 / 3,
			"sampling.failures_intercepted": 1, "sampling.merchants_penalised": 1,
		}
		for k, v := range want {
			if math.Abs(got[k]-v) > 1e-9 {
				t.Errorf("report %s = %v; want %v", k, got[k], v)
			}
		}
		// Only rated groups have a satisfaction rate on the chart; every group
		// has a volume.
		for _, s := range rep.Sections {
			for _, c := range s.Charts {
				if c.Name == "csat_rate_by_group" && len(c.Labels) >= len(anxin.SkillGroups) {
					t.Errorf("CSAT chart has every group %v; want only the rated ones", c.Labels)
				}
				if c.Name == "tickets_by_group" && len(c.Labels) != len(anxin.SkillGroups) {
					t.Errorf("volume chart has %d groups; want all %d", len(c.Labels), len(anxin.SkillGroups))
				}
			}
		}
		b, _ := json.Marshal(rep)
		if !strings.Contains(string(b), `"pass_rates":[{"category":"toys"`) {
			t.Errorf("report JSON lacks the sampling pass_rates list: %s", b)
		}
	})
}
