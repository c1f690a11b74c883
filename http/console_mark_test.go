package http

import (
	"testing"

	"anxin"
)

func TestMarkEvidence(t *testing.T) {
	ev := func(field string, start, end int, quote string) anxin.Evidence {
		return anxin.Evidence{Kind: "text_match", Field: field, Category: "counterfeit_soft", Term: quote, Quote: quote, Start: start, End: end}
	}
	tests := []struct {
		name, text string
		ev         []anxin.Evidence
		want       string
	}{
		{"one span", "外贸原单 T恤", []anxin.Evidence{ev("title", 0, 12, "外贸原单")},
			`<mark title="counterfeit_soft: 外贸原单">外贸原单</mark> T恤`},
		{"two spans in order", "a 高仿 b 原单", []anxin.Evidence{ev("title", 11, 17, "原单"), ev("title", 2, 8, "高仿")},
			`a <mark title="counterfeit_soft: 高仿">高仿</mark> b <mark title="counterfeit_soft: 原单">原单</mark>`},
		{"overlap merges", "abcdef", []anxin.Evidence{ev("title", 1, 4, "bcd"), ev("title", 2, 5, "cde")},
			`a<mark title="counterfeit_soft: bcd; counterfeit_soft: cde">bcde</mark>f`},
		{"other field ignored", "abc", []anxin.Evidence{ev("description", 0, 1, "a")}, `abc`},
		{"out of range", "abc", []anxin.Evidence{ev("title", 1, 9, "")}, `abc`},
		{"negative start", "abc", []anxin.Evidence{ev("title", -1, 2, "")}, `abc`},
		{"inside a character", "高仿", []anxin.Evidence{ev("title", 1, 3, "")}, `高仿`},
		{"quote mismatch", "abc", []anxin.Evidence{ev("title", 0, 1, "z")}, `abc`},
		{"escapes text and quote", `<b>"x"</b>`, []anxin.Evidence{ev("title", 4, 5, `"`)},
			`&lt;b&gt;&#34;<mark title="counterfeit_soft: &#34;">x</mark>&#34;&lt;/b&gt;`},
		{"empty span", "abc", []anxin.Evidence{ev("title", 1, 1, "")}, `abc`},
	}
	tests[8].ev[0].Quote, tests[8].ev[0].Term = "x", `"`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(markEvidence(tt.text, "title", tt.ev)); got != tt.want {
				t.Errorf("markEvidence(%q) = %s; want %s", tt.text, got, tt.want)
			}
		})
	}
}
