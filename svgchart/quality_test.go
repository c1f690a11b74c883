package svgchart

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"anxin"
)

// series returns n days from 2026-01-01 at 10 % of 50 orders, with a
// baseline of kind from kindOf(i) and a 5–15 % range where it has one.
func series(n int, kindOf func(i int) string) *anxin.QualitySeries {
	s := &anxin.QualitySeries{Monitor: &anxin.QualityMonitor{Key: "fresh", Metric: "return_rate"}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, anxin.MarketplaceTZ)
	for i := range n {
		p := anxin.QualityPoint{Day: start.AddDate(0, 0, i).Format(time.DateOnly), Trials: 50, Events: 5, Rate: 0.1, BaselineKind: kindOf(i)}
		if p.BaselineKind != anxin.BaselineNone {
			p.Baseline, p.Lower, p.Upper, p.Judged = 0.1, 0.05, 0.15, true
		}
		s.Points = append(s.Points, p)
	}
	last := s.Points[n-1]
	s.BaselineKind, s.Lower, s.Upper = last.BaselineKind, last.Lower, last.Upper
	s.BaselineLabel = map[string]string{anxin.BaselineSeasonal: "seasonal: same weekday a year earlier", anxin.BaselineTrailing: "trailing 8 weeks", anxin.BaselineNone: "no baseline yet — not judged"}[last.BaselineKind]
	return s
}

func seasonal(int) string { return anxin.BaselineSeasonal }

func TestQualityLabelsNeverOverlap(t *testing.T) {
	for n := 1; n <= 120; n++ {
		l := LayoutQuality(series(n, seasonal), "fresh · return rate")
		for i, x := range l.XLabels {
			w := TextWidth(x.Text)
			if x.X-w/2 < 0 || x.X+w/2 > float64(l.W) {
				t.Fatalf("n=%d: date %q at %.1f leaves the chart", n, x.Text, x.X)
			}
			if i > 0 && x.X-l.XLabels[i-1].X < w+xLabelGap-0.2 {
				t.Fatalf("n=%d: dates %q and %q are %.1f apart; want at least %.1f", n, l.XLabels[i-1].Text, x.Text, x.X-l.XLabels[i-1].X, w+xLabelGap)
			}
		}
		if len(l.XLabels) == 0 || l.XLabels[0].Text != "01-01" {
			t.Fatalf("n=%d: first date label %v; want 01-01", n, l.XLabels)
		}
		for i, y := range l.YLabels {
			if y.X-TextWidth(y.Text) < 0 {
				t.Fatalf("n=%d: rate label %q runs off the left edge", n, y.Text)
			}
			if i > 0 && l.YLabels[i-1].Y-y.Y < 14 {
				t.Fatalf("n=%d: rate labels %d and %d are %.1f apart", n, i-1, i, l.YLabels[i-1].Y-y.Y)
			}
		}
	}
	s := series(30, seasonal)
	s.Points[20].Alert = true
	s.Campaigns = []anxin.CampaignWindow{{Name: "生鲜专项治理", From: time.Date(2026, 1, 10, 0, 0, 0, 0, anxin.MarketplaceTZ), To: time.Date(2026, 2, 10, 0, 0, 0, 0, anxin.MarketplaceTZ)}}
	l := LayoutQuality(s, "fresh · return rate")
	for i, g := range l.Legend {
		if i > 0 {
			prev := l.Legend[i-1]
			if prev.X+TextWidth(prev.Text) > l.Swatches[i].X {
				t.Errorf("legend %q runs into %q", prev.Text, g.Text)
			}
		}
		if g.X+TextWidth(g.Text) > float64(l.W) {
			t.Errorf("legend %q runs past the right edge", g.Text)
		}
	}
	if len(l.Legend) != 4 {
		t.Errorf("legend %v; want range, rate, campaign and alert", l.Legend)
	}
}

func TestQualityLayout(t *testing.T) {
	// Days 0–9 have no baseline, 10–29 trailing.
	s := series(30, func(i int) string {
		if i < 10 {
			return anxin.BaselineNone
		}
		return anxin.BaselineTrailing
	})
	s.Points[25].Rate, s.Points[25].Events, s.Points[25].Alert = 0.4, 20, true
	s.Points[3].Trials, s.Points[3].Events, s.Points[3].Rate = 0, 0, 0
	s.Campaigns = []anxin.CampaignWindow{{Name: "x", From: time.Date(2026, 1, 21, 0, 0, 0, 0, anxin.MarketplaceTZ), To: time.Date(2026, 3, 1, 0, 0, 0, 0, anxin.MarketplaceTZ)}}
	l := LayoutQuality(s, "fresh · return rate")
	if got := strings.Count(l.Band, "Z"); got != 1 {
		t.Errorf("band has %d shapes; want one for the run of days 10–29", got)
	}
	slot := (l.PlotX1 - l.PlotX0) / 30
	if !strings.HasPrefix(l.Band, "M"+num(l.PlotX0+10.5*slot)+" ") {
		t.Errorf("band starts %q; want at day 10 (x %s)", l.Band[:min(20, len(l.Band))], num(l.PlotX0+10.5*slot))
	}
	if got := strings.Count(l.Line, "M"); got != 2 {
		t.Errorf("rate line has %d pieces; want 2 (broken at the day without orders)", got)
	}
	if len(l.Campaigns) != 1 || l.Campaigns[0].X != round1(l.PlotX0+20*slot) || l.Campaigns[0].W != round1(10*slot) {
		t.Errorf("campaign %+v; want days 20–29 (x %.1f, width %.1f)", l.Campaigns, l.PlotX0+20*slot, 10*slot)
	}
	if len(l.Alerts) != 1 || l.Alerts[0].X != round1(l.PlotX0+25.5*slot) || !strings.Contains(l.Alerts[0].Tip, "40.0 %") {
		t.Errorf("alerts %+v; want day 25 at 40 %%", l.Alerts)
	}
	if l.YLabels[4].Text != "40.0 %" || l.YLabels[0].Text != "0.0 %" {
		t.Errorf("rate axis %v; want 0 to 40 %%", l.YLabels)
	}
	if !strings.Contains(l.Summary, "trailing 8 weeks") || !strings.Contains(l.Summary, "1 alert days") {
		t.Errorf("summary %q", l.Summary)
	}

	none := LayoutQuality(series(7, func(int) string { return anxin.BaselineNone }), "beauty")
	if none.Band != "" || !strings.Contains(none.Summary, "no baseline yet — not judged") || strings.Contains(none.Summary, "0.0 % – 0.0 %") {
		t.Errorf("unjudged series: band %q, summary %q; want no band and no 0–0 range", none.Band, none.Summary)
	}
	if e := LayoutQuality(&anxin.QualitySeries{}, "x"); !e.Empty {
		t.Error("a series without points is not Empty")
	}
}

func TestQualitySVGIsWellFormedAndEscaped(t *testing.T) {
	s := series(14, seasonal)
	s.Points[5].Alert = true
	s.Campaigns = []anxin.CampaignWindow{{Name: `<script>alert("x")</script> & co`, From: time.Date(2026, 1, 3, 0, 0, 0, 0, anxin.MarketplaceTZ), To: time.Date(2026, 1, 5, 0, 0, 0, 0, anxin.MarketplaceTZ)}}
	for _, svg := range []string{string(Quality(s, `a "b" <c>`)), string(Quality(&anxin.QualitySeries{}, "empty"))} {
		if strings.Contains(svg, "<script") || strings.Contains(svg, `"b"`) {
			t.Fatalf("unescaped text in %s", svg)
		}
		d := xml.NewDecoder(strings.NewReader(svg))
		elems := map[string]int{}
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG is not well-formed: %v\n%s", err, svg)
			}
			if se, ok := tok.(xml.StartElement); ok {
				for _, a := range se.Attr {
					if a.Name.Local == "class" {
						elems[a.Value]++
					}
				}
				elems["<"+se.Name.Local+">"]++
			}
		}
		if elems["<title>"] == 0 {
			t.Errorf("no <title> in %s", svg)
		}
		if strings.Contains(svg, "empty") {
			continue
		}
		if elems["band"] != 1 || elems["rate"] != 1 || elems["campaign"] != 1 || elems["alert"] != 1 {
			t.Errorf("elements %v; want one band, rate line, campaign and alert", elems)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{0, 0}, {1, 1}, {3, 4}, {7, 8}, {37, 40}, {399, 400}, {410, 500}, {1000, 1000}, {0.83, 1}, {0.12, 0.2},
	} {
		if got := NiceCeil(tt.in); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("NiceCeil(%v) = %v; want %v", tt.in, got, tt.want)
		}
	}
}
