package anxin

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"
)

// Period is a half-open time range [From, To).
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t falls in p; the zero Period contains nothing.
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.From) && t.Before(p.To)
}

// Metric is one figure in a report section. Names are snake_case and carry
// their unit: _fen for money, _rate for fractions in [0,1], _s for seconds;
// counts have no suffix.
type Metric struct {
	Name  string  `json:"name"`
	Label string  `json:"label"` // a short human label for Markdown/HTML
	Value float64 `json:"value"`
	// Quality marks figures computed against simulator ground truth; they are
	// printed under a "detection quality" heading and never mixed with stored
	// figures.
	Quality bool `json:"quality,omitempty"`
	// QualitySource names the labelled set a Quality figure was measured on
	// (e.g. `"test.jsonl", 2,171 items, 2026-12-02`); empty means the
	// simulator's ground truth. Figures of different sources are printed
	// under separate headings.
	QualitySource string `json:"quality_source,omitempty"`
}

// Series is a labelled list of points the HTML report draws as a bar chart.
type Series struct {
	Name   string    `json:"name"`
	Title  string    `json:"title"`
	Labels []string  `json:"labels"`
	Values []float64 `json:"values"`
}

// Section is one capability's part of the report.
type Section struct {
	Key     string // governance, protection, care, sampling, quality, ip, privacy, volume
	Title   string
	Metrics []Metric
	Charts  []Series
	// Lists holds structured figures that are not single numbers (for
	// example quality campaigns with before/after rates). Each entry is
	// rendered in the section's JSON under its own key, after the metrics,
	// in key order. Optional: sections without lists render as before.
	Lists map[string]any
	// Watch holds the quality section's monitored series over the period,
	// drawn in HTML as charts with their normal-range bands and named with
	// their baselines in Markdown. It is not part of the JSON.
	Watch []*QualitySeries
}

// MarshalJSON renders a section as one object of metric name → value, then
// each entry of Lists under its key, with charts under "charts" when there
// are any.
func (s Section) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range s.Metrics {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Name)
		v, err := json.Marshal(m.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	keys := make([]string, 0, len(s.Lists))
	for k := range s.Lists {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 || len(s.Metrics) > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		v, err := json.Marshal(s.Lists[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	if len(s.Charts) > 0 {
		if len(s.Metrics) > 0 || len(keys) > 0 {
			b.WriteByte(',')
		}
		c, err := json.Marshal(s.Charts)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"charts":`)
		b.Write(c)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Report is the consumer-protection report for a period.
type Report struct {
	Period   Period
	Sections []Section
}

// MarshalJSON renders {"period":{...},"volume":{...},"<section>":{...}} with
// sections in their order.
func (r Report) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	p, err := json.Marshal(r.Period)
	if err != nil {
		return nil, err
	}
	b.WriteString(`{"period":`)
	b.Write(p)
	for _, s := range r.Sections {
		k, _ := json.Marshal(s.Key)
		v, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ReportService computes a report from stored data.
type ReportService interface {
	Report(ctx context.Context, p Period) (*Report, error)
}

// Actions that open the report's sensitive sections. Every role with
// ActionReadReport reads the report; the guarantee fund's money (section
// "protection") and the privacy section (decrypts, grants, alerts) are shown
// only to roles that also hold these. Care and quality keys read the rest.
const (
	ActionReadReportMoney   Action = "report.money"
	ActionReadReportPrivacy Action = "report.privacy"
)

func init() {
	for _, base := range []string{"platform", "operator", "finance", "privacy", "auditor"} {
		grant(base, ActionReadReportMoney, ActionReadReportPrivacy)
	}
}

// reportSectionActions names the action each restricted section needs.
var reportSectionActions = map[string]Action{
	"protection": ActionReadReportMoney,
	"privacy":    ActionReadReportPrivacy,
}

// VisibleTo returns a copy of r without the sections role may not read
// (see ActionReadReportMoney). The receiver is not modified.
func (r *Report) VisibleTo(role Role) *Report {
	out := &Report{Period: r.Period}
	for _, s := range r.Sections {
		if a, ok := reportSectionActions[s.Key]; ok && !Can(role, a) {
			continue
		}
		out.Sections = append(out.Sections, s)
	}
	return out
}
