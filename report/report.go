// Package report renders the consumer-protection report (an *anxin.Report)
// as Markdown (what "anxin demo" prints), as a standalone HTML page with
// server-rendered SVG bar charts, or as JSON in the report's documented
// shape:
//
//	{"period":{"from","to"},"volume":{...},"<section>":{...}}
//
// Rendering is pure: the same report always gives the same bytes.
//
//	r, err := reports.Report(ctx, anxin.Period{From: from, To: to})
//	if err != nil { ... }
//	err = report.Write(os.Stdout, r, report.FormatMarkdown)
//
// Metrics marked Quality (computed against simulator ground truth) are kept
// apart under a "Detection quality (against simulator ground truth)" heading
// in every format but JSON, where they are ordinary keys of their section.
package report

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// Formats.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatJSON     = "json"
)

// QualityHeading is the heading over ground-truth figures.
const QualityHeading = "Detection quality (only against the simulator's own ground truth, not a labelled set)"

// LabelledQualityHeading starts the heading over figures measured on a
// labelled set; the set's description follows it.
const LabelledQualityHeading = "Detection quality (measured on the labelled set "

// qualityGroup is one heading's worth of Quality figures.
type qualityGroup struct {
	Heading string
	Metrics []anxin.Metric
}

// groupQuality splits Quality figures by their source, labelled sets first
// (in order of appearance), the simulator's ground truth last.
func groupQuality(ms []anxin.Metric) []qualityGroup {
	var out []qualityGroup
	idx := map[string]int{}
	var sim []anxin.Metric
	for _, m := range ms {
		if m.QualitySource == "" {
			sim = append(sim, m)
			continue
		}
		i, ok := idx[m.QualitySource]
		if !ok {
			i = len(out)
			idx[m.QualitySource] = i
			out = append(out, qualityGroup{Heading: LabelledQualityHeading + m.QualitySource + ")"})
		}
		out[i].Metrics = append(out[i].Metrics, m)
	}
	if len(sim) > 0 {
		out = append(out, qualityGroup{Heading: QualityHeading, Metrics: sim})
	}
	return out
}

// ParseFormat checks a format name ("markdown" is accepted for "md"). It
// returns Invalid for anything else.
func ParseFormat(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "md", "markdown":
		return FormatMarkdown, nil
	case "html":
		return FormatHTML, nil
	case "json":
		return FormatJSON, nil
	}
	return "", anxin.Errorf(anxin.Invalid, "format must be md, html or json.")
}

// ContentType returns the media type of a format.
func ContentType(format string) string {
	switch format {
	case FormatHTML:
		return "text/html; charset=utf-8"
	case FormatJSON:
		return "application/json"
	}
	return "text/markdown; charset=utf-8"
}

// Write renders r in format (see ParseFormat) to w.
func Write(w io.Writer, r *anxin.Report, format string) error {
	f, err := ParseFormat(format)
	if err != nil {
		return err
	}
	switch f {
	case FormatHTML:
		return HTML(w, r)
	case FormatJSON:
		return JSON(w, r)
	}
	return Markdown(w, r)
}

// JSON writes r as indented JSON in anxin.Report's MarshalJSON shape,
// followed by a newline.
func JSON(w io.Writer, r *anxin.Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// FormatPeriod renders a half-open period in the marketplace time zone:
// whole days as "2026-01-01 to 2026-01-31" (the last day inclusive),
// anything else as minutes.
func FormatPeriod(p anxin.Period) string {
	from, to := p.From.In(anxin.MarketplaceTZ), p.To.In(anxin.MarketplaceTZ)
	if isMidnight(from) && isMidnight(to) {
		return from.Format(time.DateOnly) + " to " + to.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	const layout = "2006-01-02 15:04"
	return from.Format(layout) + " to " + to.Format(layout)
}

func isMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// FormatValue renders a figure by the unit its name carries: _fen as yuan,
// _rate as a percentage, _s as a duration, anything else as a number with
// thousands separators.
func FormatValue(name string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case strings.HasSuffix(name, "_fen"):
		return yuan(int64(math.Round(v)))
	case strings.HasSuffix(name, "_rate"):
		return strconv.FormatFloat(v*100, 'f', 1, 64) + " %"
	case strings.HasSuffix(name, "_s"):
		return duration(v)
	}
	return number(v)
}

// yuan renders fen as ¥ with two decimals and thousands separators.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + "¥" + group(strconv.FormatInt(fen/100, 10)) + "." + strconv.FormatInt(100+fen%100, 10)[1:]
}

// number renders an integer with thousands separators, and anything else
// with two decimals.
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		s := strconv.FormatInt(int64(math.Abs(v)), 10)
		if v < 0 {
			return "-" + group(s)
		}
		return group(s)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// group inserts a comma every three digits from the right.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	parts := []string{digits[:head]}
	for i := head; i < len(digits); i += 3 {
		parts = append(parts, digits[i:i+3])
	}
	return strings.Join(parts, ",")
}

// duration renders seconds in the largest sensible unit.
func duration(s float64) string {
	switch a := math.Abs(s); {
	case a < 60:
		return strconv.FormatFloat(s, 'f', 0, 64) + " s"
	case a < 3600:
		return strconv.FormatFloat(s/60, 'f', 1, 64) + " min"
	case a < 86400:
		return strconv.FormatFloat(s/3600, 'f', 1, 64) + " h"
	}
	return strconv.FormatFloat(s/86400, 'f', 1, 64) + " d"
}

// split separates a section's stored figures from its ground-truth ones.
func split(ms []anxin.Metric) (stored, quality []anxin.Metric) {
	for _, m := range ms {
		if m.Quality {
			quality = append(quality, m)
		} else {
			stored = append(stored, m)
		}
	}
	return stored, quality
}

// label returns a metric's label, or its name when it has none.
func label(m anxin.Metric) string {
	if m.Label != "" {
		return m.Label
	}
	return m.Name
}

// ParsePeriod turns the dates of a report request into a period. from and
// to are YYYY-MM-DD in the marketplace time zone and both days are included:
// "2026-01-01" to "2026-12-31" is the calendar year 2026. An empty from is
// 1 January of now's year; an empty to is 31 December of from's year. It
// returns Invalid for a malformed date or a to before from.
func ParsePeriod(from, to string, now time.Time) (anxin.Period, error) {
	var f, t time.Time
	if from == "" {
		f = time.Date(now.In(anxin.MarketplaceTZ).Year(), 1, 1, 0, 0, 0, 0, anxin.MarketplaceTZ)
	} else {
		var err error
		if f, err = time.ParseInLocation(time.DateOnly, from, anxin.MarketplaceTZ); err != nil {
			return anxin.Period{}, anxin.Errorf(anxin.Invalid, "from must be a date such as 2026-01-01.")
		}
	}
	if to == "" {
		t = time.Date(f.Year(), 12, 31, 0, 0, 0, 0, anxin.MarketplaceTZ)
	} else {
		var err error
		if t, err = time.ParseInLocation(time.DateOnly, to, anxin.MarketplaceTZ); err != nil {
			return anxin.Period{}, anxin.Errorf(anxin.Invalid, "to must be a date such as 2026-12-31.")
		}
	}
	if t.Before(f) {
		return anxin.Period{}, anxin.Errorf(anxin.Invalid, "to must not be before from.")
	}
	if f.Year() < 2000 || t.Year() > 2200 {
		return anxin.Period{}, anxin.Errorf(anxin.Invalid, "dates must be between 2000 and 2200.")
	}
	return anxin.Period{From: f.UTC(), To: t.AddDate(0, 0, 1).UTC()}, nil
}
