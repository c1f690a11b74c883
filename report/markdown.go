package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"anxin"
	"anxin/svgchart"
)

// Markdown writes r as Markdown: a title, the period, and per section a
// table of figures, one line per chart (a sparkline with its range), and the
// ground-truth figures under their own heading.
func Markdown(w io.Writer, r *anxin.Report) error {
	b := bufio.NewWriter(w)
	b.WriteString("# Anxin consumer-protection report\n\n")
	b.WriteString("Period: " + FormatPeriod(r.Period) + " (" + anxin.MarketplaceTZ.String() + ")\n")
	for _, s := range r.Sections {
		b.WriteString("\n## " + mdText(s.Title) + "\n\n")
		stored, quality := split(s.Metrics)
		if len(stored) == 0 && len(quality) == 0 && len(s.Charts) == 0 && len(s.Watch) == 0 {
			b.WriteString("No figures for this period.\n")
			continue
		}
		mdTable(b, stored)
		for _, c := range s.Charts {
			b.WriteString("\n" + mdText(c.Title) + ": " + sparkline(c.Values) + " " + seriesRange(c) + "\n")
		}
		for _, q := range s.Watch {
			b.WriteString("\n" + mdText(watchLine(q)) + "\n")
		}
		for _, g := range groupQuality(quality) {
			b.WriteString("\n### " + mdText(g.Heading) + "\n\n")
			mdTable(b, g.Metrics)
		}
	}
	return b.Flush()
}

func mdTable(b *bufio.Writer, ms []anxin.Metric) {
	if len(ms) == 0 {
		return
	}
	b.WriteString("| Figure | Value |\n|---|---:|\n")
	for _, m := range ms {
		b.WriteString("| " + mdText(label(m)) + " | " + FormatValue(m.Name, m.Value) + " |\n")
	}
}

// mdText makes text safe inside a Markdown table cell or heading.
func mdText(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// sparkline draws values as a line of block characters scaled to the
// largest value.
func sparkline(vs []float64) string {
	const bars = "▁▂▃▄▅▆▇█"
	blocks := []rune(bars)
	hi := 0.0
	for _, v := range vs {
		hi = max(hi, v)
	}
	var b strings.Builder
	for _, v := range vs {
		i := 0
		if hi > 0 && v > 0 {
			i = min(int(v/hi*float64(len(blocks)-1)+0.5), len(blocks)-1)
		}
		b.WriteRune(blocks[i])
	}
	return b.String()
}

// seriesRange describes a series' extent: "(min 3 on 01-04, max 40 on
// 01-09, total 512)". Only counts have a total: rates, durations, money
// per item and scores are never summed.
func seriesRange(c anxin.Series) string {
	if len(c.Values) == 0 {
		return "(no data)"
	}
	unit := SeriesUnit(c.Name)
	lo, hi, total := 0, 0, 0.0
	for i, v := range c.Values {
		if v < c.Values[lo] {
			lo = i
		}
		if v > c.Values[hi] {
			hi = i
		}
		total += v
	}
	at := func(i int) string {
		if i < len(c.Labels) {
			return " on " + c.Labels[i]
		}
		return ""
	}
	out := "(min " + FormatValue(unit, c.Values[lo]) + at(lo) + ", max " + FormatValue(unit, c.Values[hi]) + at(hi)
	if Additive(c.Name) {
		out += ", total " + FormatValue(unit, total)
	}
	return out + ")"
}

// SeriesUnit returns the name that carries a series' unit: the part before
// "_by_" ("pass_rate_by_category" is a rate), with a plural "_rates" read
// as "_rate".
func SeriesUnit(name string) string {
	if i := strings.Index(name, "_by_"); i > 0 {
		name = name[:i]
	}
	if base, ok := strings.CutSuffix(name, "_rates"); ok {
		name = base + "_rate"
	}
	return name
}

// Additive reports whether a series' values may be added up: counts and
// money totals, not rates or durations.
func Additive(name string) bool {
	u := SeriesUnit(name)
	return !strings.HasSuffix(u, "_rate") && !strings.HasSuffix(u, "_s")
}

// watchLine sums up a monitored series in one line: its name, a sparkline
// of the days with orders, the last day's baseline in words and range, and
// the alert days.
func watchLine(q *anxin.QualitySeries) string {
	var rates []float64
	alerts := 0
	for _, p := range q.Points {
		if p.Trials > 0 {
			rates = append(rates, p.Rate)
		}
		if p.Alert {
			alerts++
		}
	}
	what := svgchart.BaselineWords(q.BaselineKind, q.BaselineLabel) // "no baseline yet — not judged"
	if q.BaselineKind != anxin.BaselineNone {
		what = "baseline " + what + ", normal range " + svgchart.Pct(q.Lower) + " – " + svgchart.Pct(q.Upper)
	}
	return svgchart.QualityTitle(q.Monitor) + ": " + sparkline(rates) + " " + what + ", " + strconv.Itoa(alerts) + " alert days"
}
