package evaluate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"anxin"
)

func TestParse(t *testing.T) {
	in := `{"id":"a","kind":"listing","text":"纯棉T恤 白色 M码","label":"clean"}

{"id":"b","kind":"comment","text":"加薇信 lin8826 便宜","label":"contact_diversion","note":"homophone"}
`
	got, err := Parse(strings.NewReader(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{
		{ID: "a", Kind: "listing", Text: "纯棉T恤 白色 M码", Label: "clean", Line: 1},
		{ID: "b", Kind: "comment", Text: "加薇信 lin8826 便宜", Label: "contact_diversion", Note: "homophone", Line: 3},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	ok := `{"id":"a","kind":"listing","text":"T恤","label":"clean"}` + "\n"
	ok2 := `{"id":"z","kind":"listing","text":"T恤","label":"clean"}` + "\n"
	tests := []struct {
		name, in string
		max      int64
		want     string
	}{
		{"unknown label", ok + `{"id":"b","kind":"comment","text":"x","label":"spam"}`, 0,
			`Line 2: unknown label "spam" (id "b"); labels are clean, account_trade, adult_content,`},
		{"malformed", ok + ok2 + `{"id":"c","kind":"comment",`, 0, "Line 3: not a JSON object of id, kind, text, label and note (truncated)."},
		{"not json", `hello`, 0, "Line 1: not a JSON object of id, kind, text, label and note (syntax error at byte 1)."},
		{"missing text", ok + `{"id":"b","kind":"comment","label":"clean"}`, 0, `Line 2: missing text (id "b").`},
		{"blank text", `{"id":"b","kind":"comment","text":"  ","label":"clean"}`, 0, `Line 1: missing text (id "b").`},
		{"missing id", `{"kind":"comment","text":"x","label":"clean"}`, 0, "Line 1: missing id."},
		{"unknown kind", `{"id":"b","kind":"tweet","text":"x","label":"clean"}`, 0, `Line 1: unknown kind "tweet" (id "b"); kinds are listing, comment, caption and message.`},
		{"unknown field", `{"id":"b","kind":"comment","text":"x","label":"clean","score":1}`, 0, `Line 1: not a JSON object of id, kind, text, label and note (unknown field "score").`},
		{"wrong type", `{"id":7,"kind":"comment","text":"x","label":"clean"}`, 0, `Line 1: not a JSON object of id, kind, text, label and note (field "id" must be a string).`},
		{"trailing data", `{"id":"b","kind":"comment","text":"x","label":"clean"} {}`, 0, "Line 1: unexpected data after the JSON object."},
		{"duplicate id", ok + ok, 0, `Line 2: id "a" repeats line 1.`},
		{"bad utf-8", "{\"id\":\"b\",\"kind\":\"comment\",\"text\":\"\xff\",\"label\":\"clean\"}", 0, "Line 1: not valid UTF-8."},
		{"oversize text", `{"id":"b","kind":"comment","text":"` + strings.Repeat("x", MaxTextBytes+1) + `","label":"clean"}`, 0,
			`Line 1: text longer than 65536 bytes (id "b").`},
		{"oversize line", `{"id":"b","kind":"comment","text":"` + strings.Repeat("x", MaxLineBytes) + `","label":"clean"}`, 0,
			"Line 1 is longer than 397312 bytes."},
		{"oversize file", ok + ok2 + ok, int64(len(ok)*2 + 3), "The labelled file is larger than 119 bytes (at line 3)."},
		{"empty", "\n\n", 0, "The labelled file has no items."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), tt.max)
			if err == nil {
				t.Fatalf("Parse = %d items, nil; want error %q", len(got), tt.want)
			}
			if anxin.KindOf(err) != anxin.Invalid || !strings.HasPrefix(anxin.MessageOf(err), tt.want) {
				t.Errorf("Parse error = %v (%s); want Invalid %q", err, anxin.KindOf(err), tt.want)
			}
			if got != nil {
				t.Errorf("Parse returned %d items with its error", len(got))
			}
		})
	}
}
