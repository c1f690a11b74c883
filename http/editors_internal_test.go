package http

import (
	"strings"
	"testing"
	"unicode/utf8"

	"anxin"
	"anxin/rules"
)

func TestParseYuan(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"0", 0, true},
		{"12", 1200, true},
		{"12.5", 1250, true},
		{"12.50", 1250, true},
		{"0.01", 1, true},
		{"¥1,234.56", 123456, true},
		{" 7 ", 700, true},
		{"12.345", 0, false},
		{"-1", 0, false},
		{".5", 0, false},
		{"1e3", 0, false},
		{"five", 0, false},
		{"12.", 1200, true},
		{"99999999999999", 0, false}, // 14 digits of yuan: beyond any stored amount
		{"１２", 0, false},             // full-width digits are refused, not guessed
	} {
		got, ok := parseYuan(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseYuan(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"12.50", "¥1,000", "-3", "0.001", "9999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseYuan(s)
		if !ok {
			return
		}
		if v < 0 {
			t.Fatalf("parseYuan(%q) = %d; want no negative amount", s, v)
		}
		if back, ok := parseYuan(yuan(v, false)); !ok || back != v {
			t.Fatalf("parseYuan(yuan(%d)) = %d, %v; want the same amount", v, back, ok)
		}
	})
}

func TestParsePercent(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"5", 500, true},
		{"2.5", 250, true},
		{"0.01", 1, true},
		{"100%", 10000, true},
		{"5.555", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"x", 0, false},
	} {
		got, ok := parsePercent(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parsePercent(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSplitList(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"a, b,c", "a|b|c"},
		{"水貨錶，水货手表、名表\r\n仿表", "水貨錶|水货手表|名表|仿表"},
		{" , ,", ""},
	} {
		if got := strings.Join(splitList(tt.in), "|"); got != tt.want {
			t.Errorf("splitList(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestHighlight(t *testing.T) {
	text := "全新水货名表 包邮"
	start := strings.Index(text, "水货")
	segs := highlight(text, []anxin.Evidence{
		{Term: "水货名表", Start: start, End: start + len("水货名表")},
		{Term: "水货", Start: start, End: start + len("水货")}, // inside the first: merged
		{Term: "x", Start: 500, End: 600},                  // outside the text: ignored
	})
	var b strings.Builder
	hits := 0
	for _, s := range segs {
		b.WriteString(s.Text)
		if s.Hit != "" {
			hits++
			if s.Text != "水货名表" {
				t.Errorf("highlighted %q; want 水货名表", s.Text)
			}
		}
	}
	if b.String() != text || hits != 1 {
		t.Errorf("highlight = %+v; want the text back with one hit", segs)
	}
}

func FuzzHighlight(f *testing.F) {
	f.Add("全新水货名表", 6, 18, 3, 9)
	f.Fuzz(func(t *testing.T, text string, s1, e1, s2, e2 int) {
		segs := highlight(text, []anxin.Evidence{{Term: "a", Start: s1, End: e1}, {Term: "b", Start: s2, End: e2}})
		n := 0
		for _, s := range segs {
			if !utf8.ValidString(s.Text) {
				t.Fatalf("segment %q is not valid UTF-8", s.Text)
			}
			n += len(s.Text)
		}
		if n > len(text) {
			t.Fatalf("segments hold %d bytes of a %d-byte text", n, len(text))
		}
	})
}

func TestRuleError(t *testing.T) {
	for _, tt := range []struct{ when, want string }{
		{"hits.total >", "line 1, column "},
		{"hits.total > 0 &&\n  price_fen >", "line 2, column "},
		// Columns count characters, not bytes: nope starts at the 20th.
		{"hits.total > 0 &&\n  brand != \"\" &&\n  brand == \"仿冒\" && nope(1)", "line 3, column 20: "},
		{" ", "the expression is empty"},
	} {
		got := ruleError(rules.CheckRule(anxin.Rule{ID: "r", When: tt.when, Outcome: anxin.OutcomeReview, Reason: "x"}))
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("ruleError(%q) = %q; want it to start with %q", tt.when, got, tt.want)
		}
	}
	if got := ruleError(rules.CheckRule(anxin.Rule{ID: "r", When: "hits.total > 0", Outcome: anxin.OutcomeReview, Reason: "x"})); got != "" {
		t.Errorf("ruleError of a valid rule = %q", got)
	}
}
