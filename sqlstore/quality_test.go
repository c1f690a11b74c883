package sqlstore_test

import (
	"context"
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

// seedDeliveries writes, for each day from start, orders delivered at
// 12:00 Shanghai for two crayfish merchants, and returns for the share
// returnsOn(day, merchant) gives.
func seedDeliveries(t *testing.T, db *sqlstore.DB, start time.Time, days, perDay int, returnsOn func(day int, merchant string) int) {
	t.Helper()
	ctx := context.Background()
	err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
		for _, m := range []string{"m_a", "m_b"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO listings (id, merchant_id, title, category, status, created_at, updated_at) VALUES (?, ?, '小龙虾', 'crayfish', 'live', 0, 0)`, "l_"+m, m); err != nil {
				return err
			}
		}
		for d := 0; d < days; d++ {
			at := sqlstore.MS(start.AddDate(0, 0, d).Add(4 * time.Hour))
			for _, m := range []string{"m_a", "m_b"} {
				ret := returnsOn(d, m)
				for i := 0; i < perDay; i++ {
					id := fmt.Sprintf("o_%s_%d_%d", m, d, i)
					if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, merchant_id, buyer_id, items, status, created_at, delivered_at, updated_at) VALUES (?, ?, 'b', ?, 'delivered', ?, ?, ?)`,
						id, m, `[{"listing_id":"l_`+m+`","quantity":1,"unit_price_fen":5000}]`, at, at, at); err != nil {
						return err
					}
					if i < ret {
						if _, err := tx.ExecContext(ctx, `INSERT INTO aftersales (id, order_id, kind, reason, status, created_at, updated_at) VALUES (?, ?, 'return_refund', '死虾 发臭', 'refunded', ?, ?)`,
							"as_"+id, id, at, at); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestQualityWatchAndCampaign(t *testing.T) {
	start := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC) // 2026-03-02 00:00 Shanghai
	clock := anxintest.NewClock(time.Time{})
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start.AddDate(0, 0, 70))
		ctx := context.Background()
		// 70 days: m_a returns 4 of 20 a day until day 35, then 1; m_b
		// returns 2 of 20 throughout, except a spike of 12 on day 68.
		seedDeliveries(t, db, start, 70, 20, func(d int, m string) int {
			switch {
			case m == "m_a" && d < 35:
				return 4
			case m == "m_a":
				return 1
			case d == 68:
				return 12
			}
			return 2
		})
		svc := sqlstore.NewQualityService(db)
		if err := svc.CreateMonitor(qualityCtx, &anxin.QualityMonitor{Scope: "category", Key: "", Metric: "return_rate"}); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("CreateMonitor without a key = %v", err)
		}
		mon := &anxin.QualityMonitor{Scope: "merchant", Key: "m_b", Metric: "return_rate", Seasonal: true}
		if err := svc.CreateMonitor(qualityCtx, mon); err != nil {
			t.Fatal(err)
		}
		if err := svc.CreateMonitor(qualityCtx, &anxin.QualityMonitor{Scope: "merchant", Key: "m_b", Metric: "return_rate"}); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("duplicate monitor = %v; want Conflict", err)
		}
		dmg := &anxin.QualityMonitor{Scope: "category", Key: "crayfish", Metric: "damage_rate"}
		svc.CreateMonitor(qualityCtx, dmg)
		day := start.AddDate(0, 0, 68).Add(8 * time.Hour).Format("2006-01-02")
		alerts, err := svc.Evaluate(qualityCtx, day)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(alerts, func(i, j int) bool { return alerts[i].Metric > alerts[j].Metric })
		if len(alerts) != 2 || alerts[0].MonitorID != mon.ID || math.Abs(alerts[0].Value-0.6) > 1e-9 || math.Abs(alerts[0].Baseline-0.1) > 1e-9 {
			t.Fatalf("Evaluate(%s) = %+v; want the m_b spike (0.6 over 0.1) and the category damage rate", day, alerts)
		}
		if again, _ := svc.Evaluate(qualityCtx, day); len(again) != 0 {
			t.Fatalf("re-evaluating stored %d more alerts", len(again))
		}
		if quiet, _ := svc.Evaluate(qualityCtx, start.AddDate(0, 0, 60).Add(8*time.Hour).Format("2006-01-02")); len(quiet) != 0 {
			t.Fatalf("an ordinary day raised %v", quiet)
		}
		if _, err := svc.Evaluate(qualityCtx, "68th of March"); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("Evaluate(bad day) = %v", err)
		}
		series, err := svc.Series(qualityCtx, mon.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		ps := series.Points
		if len(ps) != 5 || !ps[2].Alert || ps[2].Day != day {
			t.Fatalf("Series = %+v", ps)
		}
		c := &anxin.Campaign{Name: "小龙虾专项治理", Category: "crayfish", From: start.AddDate(0, 0, 35), To: start.AddDate(0, 0, 70), Rules: anxin.CampaignRules{MaxReturnRateBP: 1200}}
		if err := svc.CreateCampaign(qualityCtx, &anxin.Campaign{Name: "x", Category: "crayfish", From: c.To, To: c.From}); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("inverted campaign = %v", err)
		}
		if err := svc.CreateCampaign(qualityCtx, c); err != nil {
			t.Fatal(err)
		}
		got, err := svc.FindCampaign(qualityCtx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Before: (4+2)/40 = 15 %. After: (1+2)/40 except day 68's spike: (35*3+10)/1400.
		if got.OrdersBefore != 1400 || math.Abs(got.ReturnRateBefore-0.15) > 1e-9 || math.Abs(got.ReturnRateAfter-115.0/1400) > 1e-9 {
			t.Fatalf("campaign rates = %d %.4f → %d %.4f", got.OrdersBefore, got.ReturnRateBefore, got.OrdersAfter, got.ReturnRateAfter)
		}
		n, err := svc.EnforceCampaign(qualityCtx, c.ID)
		if err != nil || n != 0 {
			t.Fatalf("EnforceCampaign at 12 %% = %d, %v; want none (m_a 5 %%, m_b ~11 %%)", n, err)
		}
		c2 := &anxin.Campaign{Name: "earlier", Category: "crayfish", From: start, To: start.AddDate(0, 0, 35), Rules: anxin.CampaignRules{MaxReturnRateBP: 1500}}
		svc.CreateCampaign(qualityCtx, c2)
		if n, err = svc.EnforceCampaign(qualityCtx, c2.ID); err != nil || n != 1 {
			t.Fatalf("EnforceCampaign at 15 %% = %d, %v; want m_a (20 %%)", n, err)
		}
		if n, _ = svc.EnforceCampaign(qualityCtx, c2.ID); n != 0 {
			t.Fatalf("second enforcement acted on %d merchants again", n)
		}
		if got := strings.Join(outboxSubjects(t, db)[anxin.MessageRestrictMerchant], ","); got != "m_a" {
			t.Fatalf("restricted %q", got)
		}
		qs, _, err := sqlstore.NewGovernanceService(db).FindSanctions(govOperator, anxin.SanctionFilter{Source: anxin.SourceQuality})
		if err != nil || len(qs) != 1 || qs[0].SubjectID != "m_a" || qs[0].OriginID != c2.ID || qs[0].EndsAt == nil || !strings.Contains(qs[0].Reasons.Facts, "crayfish") {
			t.Fatalf("quality sanctions = %+v, %v; want one timed restrict_listing on m_a from the campaign", qs, err)
		}
		rep, _ := sqlstore.NewReportService(db).Report(ctx, anxin.Period{From: start, To: start.AddDate(0, 0, 90)})
		for _, s := range rep.Sections {
			if s.Key == "quality" {
				list, _ := s.Lists["campaigns"].([]map[string]any)
				if len(list) != 2 || list[0]["category"] != "crayfish" {
					t.Fatalf("quality section campaigns = %v", s.Lists)
				}
				return
			}
		}
		t.Fatal("no quality section in the report")
	})
}

// The daily job judges a day only MaturityDays after it ends, when the
// returns of the orders delivered that day are in, and then schedules the
// next day, so no day is skipped.
func TestQualityJobWaitsForReturns(t *testing.T) {
	sh := anxin.MarketplaceTZ
	clock := anxintest.NewClock(time.Time{})
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(time.Date(2026, 3, 5, 10, 0, 0, 0, sh))
		ctx := context.Background()
		svc := sqlstore.NewQualityService(db)
		if err := svc.CreateMonitor(qualityCtx, &anxin.QualityMonitor{Scope: "category", Key: "fresh", Metric: "return_rate"}); err != nil {
			t.Fatal(err)
		}
		runAt := func(day string) time.Time {
			t.Helper()
			var at int64
			if err := db.QueryRowContext(ctx, `SELECT run_at FROM jobs WHERE kind = ? AND job_key = ?`, sqlstore.JobQualityEvaluate, day).Scan(&at); err != nil {
				t.Fatalf("job for %s: %v", day, err)
			}
			return time.UnixMilli(at).In(sh)
		}
		if got, want := runAt("2026-03-05"), time.Date(2026, 3, 8, 1, 0, 0, 0, sh); !got.Equal(want) {
			t.Errorf("the monitor's first day is judged at %v; want %v", got, want)
		}
		clock.Set(time.Date(2026, 3, 8, 1, 0, 0, 0, sh))
		job := &anxin.Job{Kind: sqlstore.JobQualityEvaluate, Key: "2026-03-05", Payload: []byte(`{"day":"2026-03-05"}`)}
		if err := db.Transact(ctx, func(tx *sqlstore.Tx) error { return svc.HandleEvaluateJob(ctx, tx, job) }); err != nil {
			t.Fatal(err)
		}
		if got, want := runAt("2026-03-06"), time.Date(2026, 3, 9, 1, 0, 0, 0, sh); !got.Equal(want) {
			t.Errorf("the next day is judged at %v; want %v", got, want)
		}
	})
}
