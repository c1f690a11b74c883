package sqlstore_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// historyDays returns n daily aggregates ending the day before first
// (local), with trials and events from at(i) where i counts back from 1.
func historyDays(first time.Time, n int, at func(back int) (trials, events int64)) []anxin.QualityHistoryDay {
	out := make([]anxin.QualityHistoryDay, 0, n)
	for back := n; back >= 1; back-- {
		t, e := at(back)
		out = append(out, anxin.QualityHistoryDay{Day: first.AddDate(0, 0, -back).In(anxin.MarketplaceTZ).Format(time.DateOnly), Trials: t, Events: e})
	}
	return out
}

func historyRows(t *testing.T, db *sqlstore.DB) (n, events int64) {
	t.Helper()
	err := db.Transact(context.Background(), func(tx *sqlstore.Tx) error {
		return tx.QueryRowContext(context.Background(), `SELECT COUNT(*), COALESCE(SUM(events), 0) FROM quality_history`).Scan(&n, &events)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, events
}

func TestQualityHistoryGivesSeasonalBaseline(t *testing.T) {
	start := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC) // 2026-03-02 00:00 Shanghai
	clock := anxintest.NewClock(time.Time{})
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start.AddDate(0, 0, 14).Add(2 * time.Hour))
		// The mirror has 14 days: 2 of 20 returned per merchant per day.
		seedDeliveries(t, db, start, 14, 20, func(int, string) int { return 2 })
		svc := sqlstore.NewQualityService(db)
		seasonal := &anxin.QualityMonitor{Scope: "category", Key: "crayfish", Metric: "return_rate", Seasonal: true, Weeks: 4}
		trailing := &anxin.QualityMonitor{Scope: "category", Key: "crayfish", Metric: "damage_rate", Weeks: 1}
		for _, m := range []*anxin.QualityMonitor{seasonal, trailing} {
			if err := svc.CreateMonitor(qualityCtx, m); err != nil {
				t.Fatal(err)
			}
		}
		before, err := svc.Series(qualityCtx, seasonal.ID, 7)
		if err != nil {
			t.Fatal(err)
		}
		if before.BaselineKind != anxin.BaselineTrailing || !strings.HasPrefix(before.BaselineLabel, "trailing 4 weeks") {
			t.Fatalf("without history: %s %q; want a trailing baseline labelled so", before.BaselineKind, before.BaselineLabel)
		}

		// A year of history before the mirror: weekends 30 % returned,
		// weekdays 10 %, 100 orders a day; plus one day the mirror has.
		hist := &anxin.QualityHistory{Scope: "category", Key: "crayfish", Metric: "return_rate",
			Days: historyDays(start, 380, func(back int) (int64, int64) {
				wd := start.AddDate(0, 0, -back).In(anxin.MarketplaceTZ).Weekday()
				if wd == time.Saturday || wd == time.Sunday {
					return 100, 30
				}
				return 100, 10
			})}
		mirrored := anxin.QualityHistoryDay{Day: start.AddDate(0, 0, 3).In(anxin.MarketplaceTZ).Format(time.DateOnly), Trials: 100, Events: 100}
		hist.Days = append(hist.Days, mirrored)

		// A bad day anywhere refuses the whole block.
		bad := *hist
		bad.Days = append([]anxin.QualityHistoryDay{}, hist.Days...)
		bad.Days[200].Events = 101
		if _, err := svc.ImportHistory(qualityCtx, &bad); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(err.Error(), "days[200]") {
			t.Fatalf("ImportHistory(events > trials) = %v; want Invalid naming days[200]", err)
		}
		if n, _ := historyRows(t, db); n != 0 {
			t.Fatalf("a refused block stored %d days", n)
		}
		if _, err := svc.ImportHistory(operatorCtx(), hist); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("ImportHistory as operator = %v; want Forbidden", err)
		}
		for i := 0; i < 2; i++ { // the second import replaces the first
			n, err := svc.ImportHistory(qualityCtx, hist)
			if err != nil || n != len(hist.Days) {
				t.Fatalf("ImportHistory #%d = %d, %v; want %d", i+1, n, err, len(hist.Days))
			}
		}
		rows, _ := historyRows(t, db)
		if rows != int64(len(hist.Days)) {
			t.Fatalf("after two imports: %d rows; want %d", rows, len(hist.Days))
		}

		got, err := svc.Series(qualityCtx, seasonal.ID, 15) // the mirror's 14 days and today
		if err != nil {
			t.Fatal(err)
		}
		if today := got.Points[14]; today.Trials != 0 || today.Judged || today.Alert {
			t.Fatalf("today, no deliveries yet: %+v; want unjudged", today)
		}
		for _, p := range got.Points[:14] {
			if p.BaselineKind != anxin.BaselineSeasonal {
				t.Fatalf("%s: baseline %s; want seasonal from the imported year", p.Day, p.BaselineKind)
			}
			if p.Trials != 40 {
				t.Fatalf("%s: %d trials; want the mirror's 40 (history only fills days the mirror lacks)", p.Day, p.Trials)
			}
			wd, _ := time.ParseInLocation(time.DateOnly, p.Day, anxin.MarketplaceTZ)
			want := 0.10
			if wd.Weekday() == time.Saturday || wd.Weekday() == time.Sunday {
				want = 0.30
			}
			if math.Abs(p.Baseline-want) > 1e-9 || !p.Judged || p.Upper <= p.Lower {
				t.Fatalf("%s (%s): baseline %.3f range %.3f–%.3f judged %v; want %.2f from the same weekday a year before", p.Day, wd.Weekday(), p.Baseline, p.Lower, p.Upper, p.Judged, want)
			}
		}
		if !strings.HasPrefix(got.BaselineLabel, "seasonal: same weekday a year earlier") {
			t.Fatalf("label %q", got.BaselineLabel)
		}
		tr, err := svc.Series(qualityCtx, trailing.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if tr.BaselineKind != anxin.BaselineTrailing || tr.BaselineLabel != "trailing 1 week" {
			t.Fatalf("trailing monitor: %s %q", tr.BaselineKind, tr.BaselineLabel)
		}

		rep, err := sqlstore.NewReportService(db).Report(context.Background(), anxin.Period{From: start, To: start.AddDate(0, 0, 14)})
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range rep.Sections {
			if sec.Key != "quality" {
				continue
			}
			kinds := map[string]string{}
			for _, w := range sec.Watch {
				if len(w.Points) != 14 {
					t.Fatalf("report series %s has %d days; want the period's 14", w.Monitor.ID, len(w.Points))
				}
				kinds[w.Monitor.ID] = w.BaselineKind
			}
			if len(kinds) != 2 || kinds[seasonal.ID] != anxin.BaselineSeasonal || kinds[trailing.ID] != anxin.BaselineTrailing {
				t.Fatalf("report quality series %v; want the seasonal and the trailing monitor", kinds)
			}
			return
		}
		t.Fatal("no quality section in the report")
	})
}

func TestQualityHistoryRefusesBadBlocks(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		svc := sqlstore.NewQualityService(db)
		ok := anxin.QualityHistoryDay{Day: "2026-03-01", Trials: 10, Events: 1}
		tests := []struct {
			name string
			h    anxin.QualityHistory
			want string
		}{
			{"unknown metric", anxin.QualityHistory{Scope: "category", Key: "fresh", Metric: "joy", Days: []anxin.QualityHistoryDay{ok}}, "metric must be"},
			{"no days", anxin.QualityHistory{Scope: "category", Key: "fresh", Metric: "return_rate"}, "days must hold"},
			{"bad date", anxin.QualityHistory{Scope: "category", Key: "fresh", Metric: "return_rate", Days: []anxin.QualityHistoryDay{ok, {Day: "1 March", Trials: 1}}}, "days[1].day must be a date"},
			{"today", anxin.QualityHistory{Scope: "category", Key: "fresh", Metric: "return_rate", Days: []anxin.QualityHistoryDay{{Day: "2026-03-10", Trials: 1}}}, "not in the past"},
			{"repeated day", anxin.QualityHistory{Scope: "category", Key: "fresh", Metric: "return_rate", Days: []anxin.QualityHistoryDay{ok, ok}}, "repeats 2026-03-01"},
			{"negative", anxin.QualityHistory{Scope: "category", Key: "fresh", Metric: "return_rate", Days: []anxin.QualityHistoryDay{{Day: "2026-03-02", Trials: -1}}}, "not negative"},
			{"bad merchant id", anxin.QualityHistory{Scope: "merchant", Key: "m a'; --", Metric: "return_rate", Days: []anxin.QualityHistoryDay{ok}}, "key"},
		}
		for _, tt := range tests {
			if _, err := svc.ImportHistory(qualityCtx, &tt.h); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: ImportHistory = %v; want Invalid with %q", tt.name, err, tt.want)
			}
		}
		if n, _ := historyRows(t, db); n != 0 {
			t.Fatalf("refused blocks stored %d days", n)
		}
	})
}
