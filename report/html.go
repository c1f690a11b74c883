package report

import (
	"bytes"
	"html/template"
	"io"
	"math"
	"strconv"

	"anxin"
)

// HTML writes r as a standalone HTML page: no scripts, no external
// resources, one SVG bar chart per series.
func HTML(w io.Writer, r *anxin.Report) error {
	frag, err := HTMLFragment(r)
	if err != nil {
		return err
	}
	return pageTmpl.Execute(w, map[string]any{"Period": FormatPeriod(r.Period), "TZ": anxin.MarketplaceTZ.String(), "Body": frag})
}

// HTMLFragment renders r's sections as an <article class="anxin-report">
// element with its own scoped style, for embedding in a page (the console's
// report page), which shows the title and period itself.
func HTMLFragment(r *anxin.Report) (template.HTML, error) {
	v := htmlReport{Period: FormatPeriod(r.Period), TZ: anxin.MarketplaceTZ.String(), QualityHeading: QualityHeading}
	for _, s := range r.Sections {
		stored, quality := split(s.Metrics)
		hs := htmlSection{Key: s.Key, Title: s.Title, Metrics: rows(stored), Quality: len(quality) > 0}
		for _, g := range groupQuality(quality) {
			hs.QualityGroups = append(hs.QualityGroups, htmlQuality{Heading: g.Heading, Labelled: g.Heading != QualityHeading, Rows: rows(g.Metrics)})
		}
		for _, c := range s.Charts {
			hs.Charts = append(hs.Charts, barChart(c))
		}
		v.Sections = append(v.Sections, hs)
	}
	var b bytes.Buffer
	if err := fragTmpl.Execute(&b, v); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // built by html/template, so escaped
}

type htmlReport struct {
	Period, TZ, QualityHeading string
	Sections                   []htmlSection
}

type htmlSection struct {
	Key, Title    string
	Metrics       []htmlRow
	Quality       bool
	QualityGroups []htmlQuality
	Charts        []chart
}

type htmlQuality struct {
	Heading  string
	Labelled bool
	Rows     []htmlRow
}

type htmlRow struct{ Name, Label, Value string }

func rows(ms []anxin.Metric) []htmlRow {
	out := make([]htmlRow, len(ms))
	for i, m := range ms {
		out[i] = htmlRow{Name: m.Name, Label: label(m), Value: FormatValue(m.Name, m.Value)}
	}
	return out
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH   = 720, 240
	padL, padR       = 64, 8
	padT, padB       = 12, 44
	maxAxisLabels    = 12
	chartAxisLabelDY = 14
	maxLabelRunes    = 24
)

// chart is a bar chart laid out for the template.
type chart struct {
	Name, Title string
	W, H        int
	Bars        []bar
	XLabels     []axisLabel
	YTicks      []axisLabel
	Baseline    float64 // y of the zero line
	Left, Right float64
	Empty       bool
}

type bar struct {
	X, Y, W, H float64
	Tip        string // label: value, shown on hover
}

type axisLabel struct {
	X, Y   float64
	Text   string
	Rotate bool // drawn at -40° from its end, so long category names never overlap
}

// labelWidth estimates the width of an axis label in SVG units at the
// report's 11px font: wide (CJK) characters about 11, others about 6.5.
func labelWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x1100 {
			w += 11
		} else {
			w += 6.5
		}
	}
	return w
}

// shortLabel cuts a label to at most n characters.
func shortLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// barChart lays out a series as bars over a zero baseline with a y axis of
// three ticks (0, half, max) and at most maxAxisLabels x labels.
func barChart(s anxin.Series) chart {
	c := chart{Name: s.Name, Title: s.Title, W: chartW, H: chartH, Left: padL, Right: chartW - padR}
	plotH := float64(chartH - padT - padB)
	c.Baseline = float64(padT) + plotH
	n := len(s.Values)
	hi := 0.0
	for _, v := range s.Values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			hi = max(hi, v)
		}
	}
	hi = niceCeil(hi)
	if n == 0 {
		c.Empty = true
		return c
	}
	slot := float64(chartW-padL-padR) / float64(n)
	every := (n + maxAxisLabels - 1) / maxAxisLabels
	// Labels that would not fit side by side are rotated, and the chart
	// grows by what they need below the axis.
	widest := 0.0
	for i := range s.Values {
		if i < len(s.Labels) {
			widest = max(widest, labelWidth(shortLabel(s.Labels[i], maxLabelRunes)))
		}
	}
	rotate := widest > slot*float64(every)*0.9
	if rotate {
		extra := int(math.Ceil(widest*math.Sin(40*math.Pi/180))) + 8 - padB + chartAxisLabelDY
		if extra > 0 {
			c.H += extra
		}
	}
	for i, v := range s.Values {
		h := 0.0
		if hi > 0 && v > 0 && !math.IsInf(v, 0) {
			h = v / hi * plotH
		}
		lbl := strconv.Itoa(i + 1)
		if i < len(s.Labels) {
			lbl = s.Labels[i]
		}
		short := shortLabel(lbl, maxLabelRunes)
		x := float64(padL) + float64(i)*slot
		c.Bars = append(c.Bars, bar{
			X: round1(x + slot*0.1), Y: round1(c.Baseline - h), W: round1(slot * 0.8), H: round1(h),
			Tip: lbl + ": " + FormatValue(SeriesUnit(s.Name), v),
		})
		if i%every == 0 {
			c.XLabels = append(c.XLabels, axisLabel{X: round1(x + slot/2), Y: c.Baseline + chartAxisLabelDY, Text: short, Rotate: rotate})
		}
	}
	for _, f := range []float64{0, 0.5, 1} {
		c.YTicks = append(c.YTicks, axisLabel{X: padL - 6, Y: round1(c.Baseline - f*plotH + 4), Text: FormatValue(SeriesUnit(s.Name), hi*f)})
	}
	return c
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// niceCeil rounds v up to 1, 2, 4, 5, 6 or 8 times a power of ten (and
// to an even number from 2 up, so the middle tick is whole): 399 → 400,
// 37 → 40, 0.83 → 1.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 4, 5, 6, 8, 10} {
		if c := m * p; c >= v*(1-1e-12) {
			if c >= 2 && math.Mod(c, 2) != 0 {
				c = math.Ceil(c/2) * 2
			}
			return c
		}
	}
	return 10 * p
}

// style is the report's CSS, scoped to .anxin-report so it can sit inside
// another page.
const style = `
.anxin-report{font:15px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;color:#1d2630;max-width:60rem}
.anxin-report h1{font-size:1.6rem;margin:0 0 .2rem}
.anxin-report h2{font-size:1.25rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid #d9e1ea}
.anxin-report h3{font-size:1rem;margin:1.2rem 0 .4rem}
.anxin-report .period{color:#5a6775;margin:0 0 1rem}
.anxin-report table{border-collapse:collapse;min-width:24rem;margin:.2rem 0 .8rem}
.anxin-report th,.anxin-report td{padding:.3rem .8rem;border-bottom:1px solid #e6ebf0;text-align:left}
.anxin-report td.v{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.anxin-report code{color:#6b7785;font-size:.8em}
.anxin-report .quality{background:#fff8e6;border:1px solid #f0d890;border-radius:6px;padding:.2rem 1rem .6rem;margin:.8rem 0}
.anxin-report .quality h3{color:#7a5a00}
.anxin-report figure{margin:1rem 0}
.anxin-report figcaption{font-weight:600;margin-bottom:.3rem}
.anxin-report svg{max-width:100%;height:auto}
.anxin-report svg .bar{fill:#3d7cc9}
.anxin-report svg .bar:hover{fill:#1f5ba3}
.anxin-report svg .axis{stroke:#9aa7b4;stroke-width:1}
.anxin-report svg text{font-size:11px;fill:#5a6775}
.anxin-report .empty{color:#5a6775}
`

var fragTmpl = template.Must(template.New("report").Parse(`<article class="anxin-report">
<style>` + style + `</style>
{{- range .Sections}}
<section id="section-{{.Key}}" data-section="{{.Key}}">
<h2>{{.Title}}</h2>
{{- if and (not .Metrics) (not .Quality) (not .Charts)}}
<p class="empty">No figures for this period.</p>
{{- end}}
{{- with .Metrics}}
<table>
<thead><tr><th>Figure</th><th>Value</th></tr></thead>
<tbody>
{{- range .}}
<tr data-metric="{{.Name}}"><td>{{.Label}} <code>{{.Name}}</code></td><td class="v">{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- range .Charts}}
<figure data-chart="{{.Name}}">
<figcaption>{{.Title}}</figcaption>
{{- if .Empty}}
<p class="empty">No data.</p>
{{- else}}
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Title}}">
<line class="axis" x1="{{.Left}}" y1="{{.Baseline}}" x2="{{.Right}}" y2="{{.Baseline}}"/>
{{- range .YTicks}}
<text x="{{.X}}" y="{{.Y}}" text-anchor="end">{{.Text}}</text>
{{- end}}
{{- range .Bars}}
<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Tip}}</title></rect>
{{- end}}
{{- range .XLabels}}
{{- if .Rotate}}
<text x="{{.X}}" y="{{.Y}}" text-anchor="end" transform="rotate(-40 {{.X}} {{.Y}})">{{.Text}}</text>
{{- else}}
<text x="{{.X}}" y="{{.Y}}" text-anchor="middle">{{.Text}}</text>
{{- end}}
{{- end}}
</svg>
{{- end}}
</figure>
{{- end}}
{{- range .QualityGroups}}
<div class="quality"{{if .Labelled}} data-source="labelled"{{end}}>
<h3>{{.Heading}}</h3>
<table>
<thead><tr><th>Figure</th><th>Value</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr data-metric="{{.Name}}" data-quality="true"><td>{{.Label}} <code>{{.Name}}</code></td><td class="v">{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
</section>
{{- end}}
</article>`))

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anxin consumer-protection report · {{.Period}}</title>
<style>body{margin:2rem auto;padding:0 1rem;max-width:62rem;background:#fff}</style>
</head>
<body>
<div class="anxin-report">
<h1>Consumer-protection report</h1>
<p class="period">{{.Period}} ({{.TZ}})</p>
</div>
{{.Body}}
</body>
</html>
`))
