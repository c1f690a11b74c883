package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// fixture is a report with every kind of figure: counts, money, rates,
// durations, a chart, ground-truth figures, an empty section and text that
// needs escaping.
func fixture() *anxin.Report {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, anxin.MarketplaceTZ)
	days := []string{"01-01", "01-02", "01-03", "01-04", "01-05"}
	return &anxin.Report{
		Period: anxin.Period{From: from.UTC(), To: from.AddDate(0, 0, 5).UTC()},
		Sections: []anxin.Section{
			{
				Key: "volume", Title: "Marketplace volume",
				Metrics: []anxin.Metric{
					{Name: "orders", Label: "Orders created", Value: 1234567},
					{Name: "gmv_fen", Label: "Order value", Value: 987654321},
					{Name: "aftersales", Label: "After-sale requests", Value: 42},
				},
				Charts: []anxin.Series{{Name: "orders_per_day", Title: "Orders per day", Labels: days, Values: []float64{120, 340, 0, 95, 410}}},
			},
			{
				Key: "governance", Title: "Content & listing <governance> | 治理",
				Metrics: []anxin.Metric{
					{Name: "listings_checked", Label: "Listings checked", Value: 2000},
					{Name: "appeal_overturn_rate", Label: "Appeals overturned", Value: 0.125},
					{Name: "review_time_p50_s", Label: "Median review time", Value: 5400},
					{Name: "precision_rate", Label: "Precision of blocks", Value: 0.9731, Quality: true},
					{Name: "recall_rate", Label: "Recall of violations", Value: 0.88, Quality: true},
				},
			},
			{
				Key: "quality", Title: "Category quality",
				Metrics: []anxin.Metric{{Name: "monitors", Label: "Series monitored", Value: 2}},
				Watch:   []*anxin.QualitySeries{watched(from, anxin.BaselineSeasonal), watched(from, anxin.BaselineNone)},
			},
			{Key: "privacy", Title: "Information security"},
		},
	}
}

// watched is a five-day fresh return-rate series with baselines of kind
// k, an alert on day 3 when judged, and a campaign from day 2.
func watched(from time.Time, k string) *anxin.QualitySeries {
	s := &anxin.QualitySeries{Monitor: &anxin.QualityMonitor{ID: "qm_" + k, Scope: "category", Key: "fresh", Metric: "return_rate", Seasonal: true, Weeks: 4},
		BaselineKind: k, BaselineLabel: map[string]string{anxin.BaselineSeasonal: "seasonal: same weekday a year earlier (50–54 weeks back)"}[k],
		Campaigns: []anxin.CampaignWindow{{ID: "qc_1", Name: "生鲜专项治理 <fresh>", From: from.AddDate(0, 0, 2), To: from.AddDate(0, 0, 9)}}}
	for i, ev := range []int64{4, 5, 3, 12, 4} {
		p := anxin.QualityPoint{Day: from.AddDate(0, 0, i).Format(time.DateOnly), Trials: 40, Events: ev, Rate: float64(ev) / 40, BaselineKind: k}
		if k != anxin.BaselineNone {
			p.Baseline, p.Lower, p.Upper, p.Judged, p.Alert = 0.1, 0.02, 0.2, true, ev == 12
		}
		s.Points = append(s.Points, p)
	}
	if k != anxin.BaselineNone {
		s.Baseline, s.Lower, s.Upper = 0.1, 0.02, 0.2
	}
	return s
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update and review the diff):\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	for _, format := range []string{FormatMarkdown, FormatHTML, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, fixture(), format); err != nil {
				t.Fatalf("Write(%s): %v", format, err)
			}
			golden(t, "report."+format, b.Bytes())
		})
	}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("JSON output does not parse: %v", err)
	}
	for _, k := range []string{"period", "volume", "governance", "privacy"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON has no %q key; keys: %v", k, keys(got))
		}
	}
	var vol map[string]any
	json.Unmarshal(got["volume"], &vol)
	if vol["gmv_fen"] != 987654321.0 || vol["charts"] == nil {
		t.Errorf("volume = %v; want gmv_fen 987654321 and charts", vol)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestHTMLStructure checks the fragment by its elements (it is well-formed
// XML): one section per report section, one SVG bar per value, ground-truth
// rows only under the quality heading, no scripts, and text escaped.
func TestHTMLStructure(t *testing.T) {
	frag, err := HTMLFragment(fixture())
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(frag)))
	var sections, rects, qualityRows, plainRows, watchCharts, bands int
	var qualityHeading bool
	var stack []xml.StartElement
	inQuality := func() bool {
		for _, e := range stack {
			if attr(e, "class") == "quality" {
				return true
			}
		}
		return false
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the fragment is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e)
			switch {
			case e.Name.Local == "section":
				sections++
			case e.Name.Local == "rect" && attr(e, "class") == "bar":
				rects++
			case e.Name.Local == "svg" && attr(e, "class") == "quality-chart":
				watchCharts++
				if attr(e, "aria-label") == "" {
					t.Error("a quality chart has no aria-label")
				}
			case e.Name.Local == "path" && attr(e, "class") == "band":
				bands++
			case e.Name.Local == "script":
				t.Error("the report has a script element")
			case e.Name.Local == "tr" && attr(e, "data-metric") != "":
				q := attr(e, "data-quality") == "true"
				if q {
					qualityRows++
				} else {
					plainRows++
				}
				if q != inQuality() {
					t.Errorf("row %s (quality %v) is in the wrong block", attr(e, "data-metric"), q)
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1].Name.Local == "h3" && inQuality() && string(e) == QualityHeading {
				qualityHeading = true
			}
		}
	}
	if sections != 4 || rects != 5 || qualityRows != 2 || plainRows != 7 || !qualityHeading {
		t.Errorf("sections=%d rects=%d quality=%d plain=%d heading=%v; want 4 5 2 7 true", sections, rects, qualityRows, plainRows, qualityHeading)
	}
	// Two watched series, one band: the series without a baseline has none,
	// and its range reads "—", never 0–0.
	if watchCharts != 2 || bands != 1 {
		t.Errorf("quality charts=%d bands=%d; want 2 charts and 1 band", watchCharts, bands)
	}
	if strings.Contains(string(frag), "0.0 % – 0.0 %") || !strings.Contains(string(frag), "no baseline yet — not judged") {
		t.Error("the unjudged series shows a 0–0 range or no \"no baseline\" label")
	}
	if strings.Contains(string(frag), "<governance>") {
		t.Error("a section title was not escaped")
	}
}

func attr(e xml.StartElement, key string) string {
	for _, a := range e.Attr {
		if a.Name.Local == key {
			return a.Value
		}
	}
	return ""
}

func TestFormatValue(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    float64
		want string
	}{
		{"orders", 0, "0"},
		{"orders", 999, "999"},
		{"orders", 1000, "1,000"},
		{"orders", -1234567, "-1,234,567"},
		{"csat", 4.256, "4.26"},
		{"paid_fen", 5, "¥0.05"},
		{"paid_fen", 123456789, "¥1,234,567.89"},
		{"paid_fen", -150, "-¥1.50"},
		{"pass_rate", 0.5, "50.0 %"},
		{"pass_rate", 1, "100.0 %"},
		{"wait_s", 42, "42 s"},
		{"wait_s", 90, "1.5 min"},
		{"wait_s", 7200, "2.0 h"},
		{"wait_s", 259200, "3.0 d"},
	} {
		if got := FormatValue(tt.name, tt.v); got != tt.want {
			t.Errorf("FormatValue(%q, %v) = %q; want %q", tt.name, tt.v, got, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, in := range []string{"md", "markdown", "HTML", " json "} {
		if _, err := ParseFormat(in); err != nil {
			t.Errorf("ParseFormat(%q) = %v; want ok", in, err)
		}
	}
	for _, in := range []string{"", "pdf", "md; rm -rf"} {
		if _, err := ParseFormat(in); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("ParseFormat(%q) = %v; want Invalid", in, err)
		}
	}
}

func TestFormatPeriod(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, anxin.MarketplaceTZ)
	if got := FormatPeriod(anxin.Period{From: from, To: from.AddDate(1, 0, 0)}); got != "2026-01-01 to 2026-12-31" {
		t.Errorf("FormatPeriod(year) = %q", got)
	}
	if got := FormatPeriod(anxin.Period{From: from.Add(90 * time.Minute), To: from.Add(3 * time.Hour)}); got != "2026-01-01 01:30 to 2026-01-01 03:00" {
		t.Errorf("FormatPeriod(hours) = %q", got)
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 7, 15, 20, 0, 0, 0, time.UTC) // 16 July in Shanghai
	day := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, anxin.MarketplaceTZ).UTC()
	}
	for _, tt := range []struct {
		from, to string
		want     anxin.Period
		kind     anxin.Kind
	}{
		{"", "", anxin.Period{From: day(2026, 1, 1), To: day(2027, 1, 1)}, ""},
		{"2025-03-01", "", anxin.Period{From: day(2025, 3, 1), To: day(2026, 1, 1)}, ""},
		{"2026-01-01", "2026-01-01", anxin.Period{From: day(2026, 1, 1), To: day(2026, 1, 2)}, ""},
		{"2026-01-01", "2026-01-31", anxin.Period{From: day(2026, 1, 1), To: day(2026, 2, 1)}, ""},
		{"2026-02-01", "2026-01-31", anxin.Period{}, anxin.Invalid},
		{"2026-13-01", "", anxin.Period{}, anxin.Invalid},
		{"01/02/2026", "", anxin.Period{}, anxin.Invalid},
		{"2026-01-01", "2026-01-01' OR 1=1", anxin.Period{}, anxin.Invalid},
		{"1999-12-31", "2000-01-01", anxin.Period{}, anxin.Invalid},
	} {
		got, err := ParsePeriod(tt.from, tt.to, now)
		if anxin.KindOf(err) != tt.kind || !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) {
			t.Errorf("ParsePeriod(%q, %q) = %v, %v; want %v, kind %q", tt.from, tt.to, got, err, tt.want, tt.kind)
		}
	}
}
