package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"anxin"
	"anxin/report"
)

// TestReportPrintLayoutInBrowser renders a report with the hardest labels
// the sections produce (twelve long Chinese skill-group names, a month of
// days, money in the millions) and, in Chromium with print media, checks
// that no two texts of a chart overlap and that none leaves its chart, and
// that the page prints to a PDF.
func TestReportPrintLayoutInBrowser(t *testing.T) {
	if os.Getenv("ANXIN_TEST_BROWSER") == "" {
		t.Skip("ANXIN_TEST_BROWSER is not set")
	}
	chromium := findChromium(t)
	groups := []string{"售后退款与退货退换专席", "物流配送延误投诉专席", "商品质量与假货鉴定专席", "直播间购物纠纷专席", "七天无理由退货专席",
		"运费险理赔专席", "过敏包退专席", "生鲜坏损专席", "大件家电安装专席", "会员与积分咨询专席", "支付与发票专席", "个人信息保护专席"}
	days := make([]string, 31)
	daily := make([]float64, 31)
	for i := range days {
		days[i] = fmt.Sprintf("01-%02d", i+1)
		daily[i] = float64(1_000_000 * (i%7 + 1))
	}
	counts := make([]float64, len(groups))
	rates := make([]float64, len(groups))
	for i := range groups {
		counts[i], rates[i] = float64(100*i+7), 0.5+float64(i)/30
	}
	r := &anxin.Report{
		Period: anxin.Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, anxin.MarketplaceTZ), To: time.Date(2026, 2, 1, 0, 0, 0, 0, anxin.MarketplaceTZ)},
		Sections: []anxin.Section{
			{Key: "volume", Title: "Volume", Metrics: []anxin.Metric{{Name: "gmv_fen", Label: "GMV (¥)", Value: 123456789012}},
				Charts: []anxin.Series{{Name: "gmv_by_day_fen", Title: "GMV by day", Labels: days, Values: daily}}},
			{Key: "care", Title: "Customer care", Metrics: []anxin.Metric{{Name: "first_response_p50_s", Label: "Median first response", Value: 1234}},
				Charts: []anxin.Series{
					{Name: "tickets_by_group", Title: "Requests by skill group", Labels: groups, Values: counts},
					{Name: "csat_rate_by_group", Title: "CSAT by skill group", Labels: groups, Values: rates},
				}},
		},
	}
	var b bytes.Buffer
	if err := report.HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	bctx := startChromium(t, context.Background(), chromium)
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	printMedia := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})
	if err := chromedp.Do(ctx, printMedia, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	// For every chart: each pair of its texts, by their rendered boxes
	// (rotation included), must not intersect, and each text must lie
	// inside the chart's box.
	const check = `(() => {
		const bad = [];
		for (const svg of document.querySelectorAll('figure svg')) {
			const chart = svg.closest('figure').dataset.chart;
			const box = svg.getBoundingClientRect();
			const texts = [...svg.querySelectorAll('text')].map(e => ({t: e.textContent, r: e.getBoundingClientRect()}));
			for (const x of texts) {
				if (x.r.left < box.left - 1 || x.r.right > box.right + 1 || x.r.top < box.top - 1 || x.r.bottom > box.bottom + 1) {
					bad.push(chart + ': "' + x.t + '" leaves the chart');
				}
			}
			for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
				const a = texts[i].r, b = texts[j].r;
				if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) {
					bad.push(chart + ': "' + texts[i].t + '" overlaps "' + texts[j].t + '"');
				}
			}
		}
		return bad.join('\n');
	})()`
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[string](check))
	if err != nil {
		t.Fatal(err)
	}
	if bad != "" {
		t.Errorf("overlapping or clipped text in the printed report:\n%s", bad)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF())
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) || len(pdf) < 2000 {
		t.Errorf("print to PDF: %d bytes, %v; want a PDF", len(pdf), err)
	}
	if !strings.Contains(b.String(), "@media print") {
		t.Error("the report has no print styles")
	}
}
