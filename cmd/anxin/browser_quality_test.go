package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"anxin"

	"github.com/chromedp/chromedp"
)

// postJSON sends v as JSON to path with key and fails unless the answer
// is 200 or 201.
func (e *consoleEnv) postJSON(path, key string, v any, want int) []byte {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.Do("POST", path, key, string(b), want)
}

// TestBrowserQualityCharts feeds three weeks of fresh and tea orders
// through the API, imports a year of fresh history from before them, and
// checks that the quality page draws the fresh series against a seasonal
// baseline with its band and names it so, while the tea series, with no
// history, says it is trailing.
func TestBrowserQualityCharts(t *testing.T) {
	e := newConsoleEnv(t)
	qualityKey := e.Key("quality desk", anxin.RoleQuality)
	_, today := func() (string, time.Time) {
		l := time.Now().In(anxin.MarketplaceTZ)
		d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, anxin.MarketplaceTZ)
		return d.Format(time.DateOnly), d
	}()
	const mirrorDays, perDay = 21, 20
	first := today.AddDate(0, 0, -mirrorDays)

	e.Post("/v1/merchants", `{"items":[{"id":"m_fresh","name":"鲜果铺"},{"id":"m_tea","name":"Tea House"}]}`)
	e.Post("/v1/listings", `{"items":[{"id":"l_fresh","merchant_id":"m_fresh","title":"草莓","category":"fresh","price_fen":6900},{"id":"l_tea","merchant_id":"m_tea","title":"龙井","category":"tea","price_fen":12900}]}`)
	var orders, returns []map[string]any
	for d := range mirrorDays {
		at := first.AddDate(0, 0, d).Add(12 * time.Hour).UTC().Format(time.RFC3339)
		for _, l := range []string{"fresh", "tea"} {
			for i := range perDay {
				id := fmt.Sprintf("o_%s_%d_%d", l, d, i)
				orders = append(orders, map[string]any{"id": id, "merchant_id": "m_" + l, "buyer_id": fmt.Sprintf("b_%d", i),
					"items": []map[string]any{{"listing_id": "l_" + l, "quantity": 1, "unit_price_fen": 6900}}, "total_fen": 6900, "currency": "CNY",
					"status": "delivered", "created_at": at, "delivered_at": at, "updated_at": at})
				if i < 2 {
					returns = append(returns, map[string]any{"id": "as_" + id, "order_id": id, "kind": "refund_only", "reason": "spoiled", "amount_fen": 6900,
						"status": "refunded", "created_at": at, "updated_at": at})
				}
			}
		}
	}
	e.postJSON("/v1/orders", e.PlatformKey, map[string]any{"items": orders}, 200)
	e.postJSON("/v1/aftersales", e.PlatformKey, map[string]any{"items": returns}, 200)

	// A year of fresh history before the mirror: 10 % on weekdays, 20 % at
	// weekends, 40 orders a day.
	var days []anxin.QualityHistoryDay
	for back := 54 * 7; back >= 1; back-- {
		d := first.AddDate(0, 0, -back)
		ev := int64(4)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			ev = 8
		}
		days = append(days, anxin.QualityHistoryDay{Day: d.Format(time.DateOnly), Trials: 40, Events: ev})
	}
	hist := anxin.QualityHistory{Scope: anxin.ScopeCategory, Key: "fresh", Metric: anxin.MetricReturnRate, Days: days}
	bad := hist
	bad.Days = append([]anxin.QualityHistoryDay{{Day: today.Format(time.DateOnly), Trials: 1}}, days...)
	e.postJSON("/v1/quality/history", qualityKey, bad, 400)
	e.postJSON("/v1/quality/history", e.OperatorKey, hist, 403)
	e.postJSON("/v1/quality/history", qualityKey, hist, 200)

	var fresh, tea anxin.QualityMonitor
	json.Unmarshal(e.postJSON("/v1/quality/monitors", qualityKey, anxin.QualityMonitor{Scope: "category", Key: "fresh", Metric: "return_rate", Seasonal: true, Weeks: 4, MinOrders: 5}, 201), &fresh)
	json.Unmarshal(e.postJSON("/v1/quality/monitors", qualityKey, anxin.QualityMonitor{Scope: "category", Key: "tea", Metric: "return_rate", Seasonal: true, Weeks: 4, MinOrders: 5}, 201), &tea)

	e.SignIn(e.OperatorKey)
	e.Step("open the quality watch", chromedp.Navigate(e.Base+"/console/quality"), chromedp.WaitVisible(chromedp.CSS("svg.quality-chart")))
	freshFig := `figure.quality-figure[data-monitor="` + fresh.ID + `"]`
	teaFig := `figure.quality-figure[data-monitor="` + tea.ID + `"]`
	if got := e.Text(freshFig + " .baseline-label"); !strings.HasPrefix(got, "seasonal: same weekday a year earlier") {
		t.Errorf("fresh baseline label %q; want seasonal", got)
	}
	if n := e.Count(freshFig + ` svg.quality-chart[data-baseline-kind="seasonal"] path.band`); n != 1 {
		t.Errorf("fresh chart has %d normal-range bands; want 1", n)
	}
	if n := e.Count(freshFig + ` svg.quality-chart path.rate`); n != 1 {
		t.Errorf("fresh chart has %d rate lines; want 1", n)
	}
	if n := e.Count(freshFig + ` svg[role="img"][aria-label*="seasonal"] > title`); n != 1 {
		t.Errorf("fresh chart: %d accessible titles naming the seasonal baseline; want 1", n)
	}
	if got := e.Text(teaFig + " .baseline-label"); got != "trailing 4 weeks" {
		t.Errorf("tea baseline label %q; want \"trailing 4 weeks\" (no history a year back)", got)
	}
	if got := e.Text(teaFig + " .range"); strings.Contains(got, "0.0 % – 0.0 %") || got == "—" {
		t.Errorf("tea range %q; want a real range from the trailing weeks", got)
	}

	e.Step("open the fresh series", chromedp.Navigate(e.Base+"/console/quality/monitors/"+fresh.ID), chromedp.WaitVisible(chromedp.CSS("#points")))
	if n := e.Count(`#points tr[data-baseline-kind="seasonal"]`); n < mirrorDays {
		t.Errorf("%d days judged against a seasonal baseline on the series page; want at least %d", n, mirrorDays)
	}
	// Tea's days before its first three weeks have no baseline: a dash, not 0–0.
	e.Step("open the tea series", chromedp.Navigate(e.Base+"/console/quality/monitors/"+tea.ID), chromedp.WaitVisible(chromedp.CSS("#points")))
	if n := e.Count(`#points tr[data-baseline-kind="trailing"]`); n < mirrorDays-3 {
		t.Errorf("%d tea days against a trailing baseline; want at least %d", n, mirrorDays-3)
	}
	if n, dashes := e.Count(`#points tr[data-baseline-kind="none"]`), e.Count(`#points tr[data-baseline-kind="none"] td.range`); n == 0 || n != dashes {
		t.Errorf("%d unjudged days, %d range cells; want some, each with a cell", n, dashes)
	} else if got := e.Text(`#points tr[data-baseline-kind="none"] td.range`); got != "—" {
		t.Errorf("an unjudged day's range reads %q; want —", got)
	}
}
