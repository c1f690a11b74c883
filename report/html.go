package report

import (
	"bytes"
	"html/template"
	"io"
	"math"
	"strconv"

	"anxin"
	"anxin/langtag"
	"anxin/svgchart"
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
		for _, q := range s.Watch {
			title := svgchart.QualityTitle(q.Monitor)
			hs.Watch = append(hs.Watch, htmlWatch{Title: langtag.Runs(title), Kind: q.BaselineKind, Label: svgchart.BaselineWords(q.BaselineKind, q.BaselineLabel),
				Judged: q.BaselineKind != anxin.BaselineNone, Lower: svgchart.Pct(q.Lower), Upper: svgchart.Pct(q.Upper), Chart: svgchart.Quality(q, "")})
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
	Watch         []htmlWatch
}

// htmlWatch is a monitored quality series drawn with svgchart.
type htmlWatch struct {
	Title        template.HTML // the series' name, its Chinese marked (langtag.Runs)
	Kind, Label  string
	Judged       bool
	Lower, Upper string
	Chart        template.HTML
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
	rowH             = 22 // a horizontal bar's row
)

// chart is a bar chart laid out for the template.
type chart struct {
	Name, Title    string
	W, H           int
	Bars           []bar
	Labels         []axisLabel // category labels (under the bars, or left of them)
	Ticks          []axisLabel // value labels (the y axis, or at each bar's end)
	X1, Y1, X2, Y2 float64     // the zero axis
	Horizontal     bool
	Empty          bool
}

type bar struct {
	X, Y, W, H float64
	Tip        string // label: value, shown on hover
}

type axisLabel struct {
	X, Y   float64
	Text   string
	Anchor string // start, middle or end
}

// shortLabel cuts a label to at most n characters.
func shortLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// barChart lays out a series. Labels that fit side by side under their
// bars (days, short names) give vertical bars over a zero baseline with a
// y axis of three ticks (0, half, max) and at most maxAxisLabels x labels;
// longer category names give horizontal bars, one row each with its name
// on the left and its value at the bar's end, so no label is ever rotated
// or drawn over another.
func barChart(s anxin.Series) chart {
	c := chart{Name: s.Name, Title: s.Title, W: chartW, H: chartH}
	n := len(s.Values)
	hi := 0.0
	for _, v := range s.Values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			hi = max(hi, v)
		}
	}
	hi = svgchart.NiceCeil(hi)
	if n == 0 {
		c.Empty = true
		return c
	}
	unit := SeriesUnit(s.Name)
	labels := make([]string, n)
	widest := 0.0
	for i := range labels {
		labels[i] = strconv.Itoa(i + 1)
		if i < len(s.Labels) {
			labels[i] = s.Labels[i]
		}
		widest = max(widest, svgchart.TextWidth(shortLabel(labels[i], maxLabelRunes)))
	}
	height := func(v float64, full float64) float64 {
		if hi > 0 && v > 0 && !math.IsInf(v, 0) {
			return v / hi * full
		}
		return 0
	}
	slot := float64(chartW-padL-padR) / float64(n)
	every := (n + maxAxisLabels - 1) / maxAxisLabels
	if widest <= slot*float64(every)*0.9 {
		plotH := float64(chartH - padT - padB)
		base := float64(padT) + plotH
		c.X1, c.Y1, c.X2, c.Y2 = padL, base, chartW-padR, base
		for i, v := range s.Values {
			h := height(v, plotH)
			x := float64(padL) + float64(i)*slot
			c.Bars = append(c.Bars, bar{X: round1(x + slot*0.1), Y: round1(base - h), W: round1(slot * 0.8), H: round1(h),
				Tip: labels[i] + ": " + FormatValue(unit, v)})
			if i%every == 0 {
				c.Labels = append(c.Labels, axisLabel{X: round1(x + slot/2), Y: base + chartAxisLabelDY, Text: shortLabel(labels[i], maxLabelRunes), Anchor: "middle"})
			}
		}
		for _, f := range []float64{0, 0.5, 1} {
			c.Ticks = append(c.Ticks, axisLabel{X: padL - 6, Y: round1(base - f*plotH + 4), Text: FormatValue(unit, hi*f), Anchor: "end"})
		}
		return c
	}
	// Horizontal: a row per category.
	c.Horizontal = true
	labelW := math.Ceil(min(widest, 280)) + 12
	valueW := 0.0
	for _, v := range s.Values {
		valueW = max(valueW, svgchart.TextWidth(FormatValue(unit, v)))
	}
	valueW += 10
	plotW := float64(chartW-padR) - labelW - valueW
	c.H = padT + n*rowH + 8
	c.X1, c.Y1, c.X2, c.Y2 = labelW, padT, labelW, float64(c.H-8)
	for i, v := range s.Values {
		w := height(v, plotW)
		y := float64(padT + i*rowH)
		c.Bars = append(c.Bars, bar{X: labelW, Y: y + 4, W: round1(w), H: rowH - 8, Tip: labels[i] + ": " + FormatValue(unit, v)})
		c.Labels = append(c.Labels, axisLabel{X: labelW - 6, Y: y + rowH/2 + 4, Text: shortLabel(labels[i], maxLabelRunes), Anchor: "end"})
		c.Ticks = append(c.Ticks, axisLabel{X: round1(labelW + w + 4), Y: y + rowH/2 + 4, Text: FormatValue(unit, v), Anchor: "start"})
	}
	return c
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

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
@media print{
.anxin-report{max-width:none;font-size:10.5pt;color:#000}
.anxin-report h2{break-after:avoid}
.anxin-report figure,.anxin-report table,.anxin-report .quality{break-inside:avoid}
.anxin-report svg .bar{fill:#555}
.anxin-report code{display:none}
}
@page{size:A4;margin:14mm}
`

var fragTmpl = template.Must(template.New("report").Parse(`<article class="anxin-report">
<style>` + style + `</style>
{{- range .Sections}}
<section id="section-{{.Key}}" data-section="{{.Key}}">
<h2>{{.Title}}</h2>
{{- if and (not .Metrics) (not .Quality) (not .Charts) (not .Watch)}}
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
<line class="axis" x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}"/>
{{- range .Ticks}}
<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Text}}</text>
{{- end}}
{{- range .Bars}}
<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Tip}}</title></rect>
{{- end}}
{{- range .Labels}}
<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Text}}</text>
{{- end}}
</svg>
{{- end}}
</figure>
{{- end}}
{{- range .Watch}}
<figure class="watch" data-baseline-kind="{{.Kind}}">
<figcaption>{{.Title}} · baseline: <strong class="baseline-label">{{.Label}}</strong>; normal range of the last day {{if .Judged}}{{.Lower}} – {{.Upper}}{{else}}—{{end}}</figcaption>
{{.Chart}}
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
