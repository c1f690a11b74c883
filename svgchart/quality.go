package svgchart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"

	"anxin"
)

// Geometry of a quality chart, in SVG user units.
const (
	qualityW, qualityH = 720, 260
	qPadL, qPadR       = 60, 24
	qPadT, qPadB       = 30, 34
	xLabelGap          = 10 // at least this much space between two x labels
)

// Label is a piece of text placed on a chart.
type Label struct {
	X, Y   float64
	Text   string
	Anchor string // start, middle or end
}

// Rect is a shaded window of a chart with a tooltip.
type Rect struct {
	X, Y, W, H float64
	Tip        string
}

// Mark is an alert day: a dot with a tooltip.
type Mark struct {
	X, Y float64
	Tip  string
}

// QualityLayout is a quality series laid out for drawing: everything the
// SVG holds, in user units, so tests can check the geometry.
type QualityLayout struct {
	W, H           int
	PlotX0, PlotX1 float64 // left and right edges of the plot area
	PlotY0, PlotY1 float64 // top and bottom (the zero line)
	Summary        string  // the accessible name: what the chart shows, in one sentence
	Kind           string  // the last day's baseline kind
	Line           string  // path data of the daily rate, broken at days without orders
	Band           string  // path data of the normal range, one closed shape per run of days with a baseline
	Campaigns      []Rect
	Alerts         []Mark
	XLabels        []Label // dates under the plot
	YLabels        []Label // rates left of the plot
	Grid           []float64
	Legend         []Label
	Swatches       []Rect // one per legend entry, left of its text; Tip is the entry's kind
	Empty          bool
}

// LayoutQuality lays out s. title names the series in the summary (for
// example "fresh · return rate"); "" leaves the name out, for a chart in a
// figure whose caption names it (the name is marketplace text, often
// Chinese, and the summary is English). A series without points is Empty.
func LayoutQuality(s *anxin.QualitySeries, title string) QualityLayout {
	l := QualityLayout{W: qualityW, H: qualityH, PlotX0: qPadL, PlotX1: qualityW - qPadR, PlotY0: qPadT, PlotY1: qualityH - qPadB, Kind: s.BaselineKind}
	ps := s.Points
	n := len(ps)
	if n == 0 {
		l.Empty = true
		l.Summary = "No days to show."
		if title != "" {
			l.Summary = title + ": no days to show."
		}
		return l
	}
	hi := 0.0
	for _, p := range ps {
		if p.Trials > 0 {
			hi = max(hi, p.Rate)
		}
		if p.BaselineKind != anxin.BaselineNone {
			hi = max(hi, p.Upper)
		}
	}
	hi = NiceCeil(hi)
	if hi == 0 {
		hi = 0.01
	}
	slot := (l.PlotX1 - l.PlotX0) / float64(n)
	x := func(i int) float64 { return round1(l.PlotX0 + (float64(i)+0.5)*slot) }
	y := func(v float64) float64 { return round1(l.PlotY1 - math.Min(v, hi)/hi*(l.PlotY1-l.PlotY0)) }

	// The rate line, broken where a day has no orders (its rate means nothing).
	var line strings.Builder
	pen := false
	for i, p := range ps {
		if p.Trials == 0 {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		fmt.Fprintf(&line, "%s%s %s ", cmd, num(x(i)), num(y(p.Rate)))
		pen = true
	}
	l.Line = strings.TrimSpace(line.String())

	// The band: each run of days with a baseline is one closed shape,
	// upper bounds left to right then lower bounds back. A run of one day
	// is a slot-wide box.
	var band strings.Builder
	for i := 0; i < n; {
		if ps[i].BaselineKind == anxin.BaselineNone {
			i++
			continue
		}
		j := i
		for j < n && ps[j].BaselineKind != anxin.BaselineNone {
			j++
		}
		left, right := func(k int) float64 { return x(k) }, func(k int) float64 { return x(k) }
		if j-i == 1 {
			left = func(k int) float64 { return round1(x(k) - slot/2) }
			right = func(k int) float64 { return round1(x(k) + slot/2) }
		}
		fmt.Fprintf(&band, "M%s %s ", num(left(i)), num(y(ps[i].Upper)))
		for k := i; k < j; k++ {
			fmt.Fprintf(&band, "L%s %s ", num(right(k)), num(y(ps[k].Upper)))
		}
		for k := j - 1; k >= i; k-- {
			xk := left(k)
			if k == j-1 {
				xk = right(k)
			}
			fmt.Fprintf(&band, "L%s %s ", num(xk), num(y(ps[k].Lower)))
		}
		if j-i == 1 {
			fmt.Fprintf(&band, "L%s %s ", num(left(i)), num(y(ps[i].Lower)))
		}
		band.WriteString("Z ")
		i = j
	}
	l.Band = strings.TrimSpace(band.String())

	// Campaign windows, by local day.
	for _, c := range s.Campaigns {
		from := c.From.In(anxin.MarketplaceTZ).Format(time.DateOnly)
		to := c.To.Add(-time.Millisecond).In(anxin.MarketplaceTZ).Format(time.DateOnly)
		first, last := -1, -1
		for i, p := range ps {
			if p.Day >= from && p.Day <= to {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 {
			continue
		}
		l.Campaigns = append(l.Campaigns, Rect{X: round1(l.PlotX0 + float64(first)*slot), Y: l.PlotY0, W: round1(float64(last-first+1) * slot), H: l.PlotY1 - l.PlotY0,
			Tip: fmt.Sprintf("Campaign %s: %s to %s", c.Name, from, to)})
	}

	alerts := 0
	for i, p := range ps {
		if p.Alert {
			alerts++
			l.Alerts = append(l.Alerts, Mark{X: x(i), Y: y(p.Rate), Tip: fmt.Sprintf("%s: %s of %d orders, outside the normal range %s – %s", p.Day, Pct(p.Rate), p.Trials, Pct(p.Lower), Pct(p.Upper))})
		}
	}

	// Axes: five rate ticks; a date under every k-th day, k chosen so that
	// neighbouring dates are at least xLabelGap apart.
	for f := 0; f <= 4; f++ {
		v := hi * float64(f) / 4
		l.Grid = append(l.Grid, y(v))
		l.YLabels = append(l.YLabels, Label{X: l.PlotX0 - 6, Y: y(v) + 4, Text: Pct(v), Anchor: "end"})
	}
	dateW := TextWidth("01-02")
	every := max(1, int(math.Ceil((dateW+xLabelGap)/slot)))
	for i := 0; i < n; i += every {
		l.XLabels = append(l.XLabels, Label{X: x(i), Y: l.PlotY1 + 16, Text: shortDay(ps[i].Day), Anchor: "middle"})
	}

	// Legend, left to right along the top.
	entries := []string{"rate"}
	if l.Band != "" {
		entries = []string{"band", "rate"}
	}
	if len(l.Campaigns) > 0 {
		entries = append(entries, "campaign")
	}
	if alerts > 0 {
		entries = append(entries, "alert")
	}
	text := map[string]string{"band": "normal range", "rate": "daily rate", "campaign": "campaign window", "alert": "alert"}
	lx := l.PlotX0
	for _, e := range entries {
		l.Swatches = append(l.Swatches, Rect{X: lx, Y: 8, W: 14, H: 10, Tip: e})
		l.Legend = append(l.Legend, Label{X: lx + 18, Y: 17, Text: text[e], Anchor: "start"})
		lx += 18 + TextWidth(text[e]) + 16
	}

	last := ps[n-1]
	rng := "no normal range (" + BaselineWords(s.BaselineKind, s.BaselineLabel) + ")"
	if s.BaselineKind != anxin.BaselineNone {
		rng = fmt.Sprintf("normal range %s – %s (baseline: %s)", Pct(s.Lower), Pct(s.Upper), s.BaselineLabel)
	}
	l.Summary = fmt.Sprintf("Daily rate over %d days to %s: last day %s of %d orders, %s; %d alert days", n, last.Day, Pct(last.Rate), last.Trials, rng, alerts)
	if title != "" {
		l.Summary = title + ", daily rate" + strings.TrimPrefix(l.Summary, "Daily rate")
	}
	if len(l.Campaigns) > 0 {
		l.Summary += fmt.Sprintf("; %d campaign windows shaded", len(l.Campaigns))
	}
	l.Summary += "."
	return l
}

// QualityTitle names a monitored series for people: "fresh · return
// rate" for a category, "merchant m_1 · complaint rate" otherwise.
func QualityTitle(m *anxin.QualityMonitor) string {
	if m == nil {
		return "series"
	}
	t := m.Key + " · " + strings.ReplaceAll(m.Metric, "_", " ")
	if m.Scope != anxin.ScopeCategory {
		t = m.Scope + " " + t
	}
	return t
}

// BaselineWords is how a baseline is named to people: the label for a
// seasonal or trailing baseline, and "no baseline yet — not judged"
// otherwise.
func BaselineWords(kind, label string) string {
	if kind == anxin.BaselineNone || kind == "" || label == "" {
		return "no baseline yet — not judged"
	}
	return label
}

// shortDay turns 2026-01-05 into 01-05.
func shortDay(day string) string {
	if len(day) == 10 {
		return day[5:]
	}
	return day
}

// Quality renders s as an inline SVG (see LayoutQuality).
func Quality(s *anxin.QualitySeries, title string) template.HTML {
	return RenderQuality(LayoutQuality(s, title))
}

// RenderQuality draws a laid-out quality chart. All text is escaped; the
// result is safe to place in an HTML page.
func RenderQuality(l QualityLayout) template.HTML {
	e := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="quality-chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" data-baseline-kind="%s">`,
		l.W, l.H, l.W, l.H, e(l.Summary), e(l.Kind))
	fmt.Fprintf(&b, `<title>%s</title>`, e(l.Summary))
	if l.Empty {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#5a6775">No days to show.</text></svg>`, l.W/2, l.H/2)
		return template.HTML(b.String())
	}
	for _, c := range l.Campaigns {
		fmt.Fprintf(&b, `<rect class="campaign" x="%s" y="%s" width="%s" height="%s" fill="#f0b429" fill-opacity="0.16"><title>%s</title></rect>`, num(c.X), num(c.Y), num(c.W), num(c.H), e(c.Tip))
	}
	for _, g := range l.Grid {
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#dfe5ec" stroke-width="1"/>`, num(l.PlotX0), num(g), num(l.PlotX1), num(g))
	}
	if l.Band != "" {
		fmt.Fprintf(&b, `<path class="band" d="%s" fill="#3d7cc9" fill-opacity="0.2" stroke="none"><title>normal range</title></path>`, l.Band)
	}
	if l.Line != "" {
		fmt.Fprintf(&b, `<path class="rate" d="%s" fill="none" stroke="#1d2630" stroke-width="1.6" stroke-linejoin="round"/>`, l.Line)
	}
	for _, m := range l.Alerts {
		fmt.Fprintf(&b, `<circle class="alert" cx="%s" cy="%s" r="4.5" fill="#c62828" stroke="#fff" stroke-width="1"><title>%s</title></circle>`, num(m.X), num(m.Y), e(m.Tip))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#9aa7b4" stroke-width="1"/>`, num(l.PlotX0), num(l.PlotY1), num(l.PlotX1), num(l.PlotY1))
	b.WriteString(`<g font-size="11" fill="#5a6775">`)
	for _, t := range append(append(append([]Label{}, l.YLabels...), l.XLabels...), l.Legend...) {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s">%s</text>`, num(t.X), num(t.Y), t.Anchor, e(t.Text))
	}
	b.WriteString(`</g>`)
	for _, s := range l.Swatches {
		switch s.Tip {
		case "band":
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#3d7cc9" fill-opacity="0.2"/>`, num(s.X), num(s.Y), num(s.W), num(s.H))
		case "rate":
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#1d2630" stroke-width="1.6"/>`, num(s.X), num(s.Y+s.H/2), num(s.X+s.W), num(s.Y+s.H/2))
		case "campaign":
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#f0b429" fill-opacity="0.35"/>`, num(s.X), num(s.Y), num(s.W), num(s.H))
		case "alert":
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="4.5" fill="#c62828"/>`, num(s.X+s.W/2), num(s.Y+s.H/2))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
