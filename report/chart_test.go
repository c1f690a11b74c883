package report

import (
	"strings"
	"testing"

	"anxin"
	"anxin/svgchart"
)

func TestSeriesSummaryNeverSumsRates(t *testing.T) {
	tests := []struct {
		s         anxin.Series
		wantTotal bool
		wantMax   string
	}{
		{anxin.Series{Name: "tickets_by_group", Labels: []string{"a", "b"}, Values: []float64{3, 4}}, true, "max 4 on b"},
		{anxin.Series{Name: "csat_rate_by_group", Labels: []string{"a", "b"}, Values: []float64{0.8, 0.9}}, false, "max 90.0 % on b"},
		{anxin.Series{Name: "pass_rate_by_category", Labels: []string{"a", "b"}, Values: []float64{1, 0.5}}, false, "max 100.0 % on a"},
		{anxin.Series{Name: "campaign_return_rates", Labels: []string{"a"}, Values: []float64{0.02}}, false, "max 2.0 % on a"},
		{anxin.Series{Name: "refund_time_by_day_s", Labels: []string{"a"}, Values: []float64{120}}, true, "max 120"},
	}
	for _, tt := range tests {
		got := seriesRange(tt.s)
		if strings.Contains(got, "total") != tt.wantTotal || !strings.Contains(got, tt.wantMax) {
			t.Errorf("%s: %q; want total %v and %q", tt.s.Name, got, tt.wantTotal, tt.wantMax)
		}
	}
}

func TestLongCategoryLabelsGoHorizontal(t *testing.T) {
	short := barChart(anxin.Series{Name: "tickets_by_day", Labels: []string{"01-01", "01-02", "01-03"}, Values: []float64{1, 2, 3}})
	if short.Horizontal || short.H != chartH || len(short.Ticks) != 3 {
		t.Fatalf("short date labels: horizontal %v, height %d, %d ticks; want vertical bars with a 3-tick axis", short.Horizontal, short.H, len(short.Ticks))
	}
	groups := []string{"售后退款与退货退换专席", "物流配送延误投诉专席", "商品质量与假货鉴定专席", "直播间购物纠纷专席", "七天无理由退货专席",
		"运费险理赔专席", "过敏包退专席", "生鲜坏损专席", "大件家电安装专席", "会员与积分咨询专席", "支付与发票专席", "个人信息保护专席"}
	vals := make([]float64, len(groups))
	for i := range vals {
		vals[i] = float64(i * 10)
	}
	c := barChart(anxin.Series{Name: "tickets_by_group", Labels: groups, Values: vals})
	if !c.Horizontal || len(c.Labels) != len(groups) || len(c.Ticks) != len(groups) {
		t.Fatalf("long group labels: horizontal %v, %d labels, %d values; want a row per group", c.Horizontal, len(c.Labels), len(c.Ticks))
	}
	for i, l := range c.Labels {
		// Each label ends left of the bars and stays inside the chart.
		if l.X > c.X1 || l.X-svgchart.TextWidth(l.Text) < 0 || l.Y > float64(c.H) {
			t.Errorf("label %q at (%.0f, %.0f) leaves its column (axis at %.0f, chart %d high)", l.Text, l.X, l.Y, c.X1, c.H)
		}
		if v := c.Ticks[i]; v.X+svgchart.TextWidth(v.Text) > float64(c.W) {
			t.Errorf("value %q runs past the chart's right edge", v.Text)
		}
		if i > 0 && l.Y-c.Labels[i-1].Y < 14 {
			t.Errorf("rows %d and %d are %.0f apart; want room for one line of text", i-1, i, l.Y-c.Labels[i-1].Y)
		}
	}
	long := barChart(anxin.Series{Name: "x_by_y", Labels: []string{strings.Repeat("长", 60)}, Values: []float64{1}})
	if n := len([]rune(long.Labels[0].Text)); n > maxLabelRunes {
		t.Errorf("label of %d characters kept; want at most %d", n, maxLabelRunes)
	}
}
