package governance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"anxin"
)

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseWordList(t *testing.T) {
	list := "# 我们的违禁词\r\n代开发票\r\n\r\n 刷单 \r\n刷单\r\n髙仿\r\n高仿\r\n***\r\n办证\t10\r\n"
	wantTerms := []string{"代开发票", "刷单", "髙仿", "办证"}
	wantSkips := []anxin.ImportSkip{
		{Line: 5, Term: "刷单", Reason: "same as line 4"},
		{Line: 7, Term: "高仿", Reason: "same as line 6"},
		{Line: 8, Term: "***", Reason: "only separators or symbols: it would match nothing"},
	}
	tests := []struct {
		name     string
		data     []byte
		encoding string
	}{
		{"utf-8 crlf", []byte(list), "utf-8"},
		{"utf-8 lf", []byte(strings.ReplaceAll(list, "\r\n", "\n")), "utf-8"},
		{"utf-8 bom", append([]byte{0xEF, 0xBB, 0xBF}, list...), "utf-8 with BOM"},
		{"gbk crlf", gbk(t, list), "gbk"},
		{"gbk no final line end", gbk(t, strings.TrimSuffix(list, "\r\n")), "gbk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ParseWordList(tt.data, ImportOptions{Category: "drugs", Severity: 5})
			if err != nil {
				t.Fatalf("ParseWordList: %v", err)
			}
			var got []string
			for _, term := range imp.Terms {
				got = append(got, term.Pattern)
				if term.Category != "drugs" || term.Severity != 5 {
					t.Errorf("term %q = %s/%d; want drugs/5", term.Pattern, term.Category, term.Severity)
				}
			}
			if diff := cmp.Diff(wantTerms, got); diff != "" {
				t.Errorf("terms (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantSkips, imp.Skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if imp.Encoding != tt.encoding || imp.Total != 9 {
				t.Errorf("encoding, lines = %q, %d; want %q, 9", imp.Encoding, imp.Total, tt.encoding)
			}
			if diff := cmp.Diff([]int{2, 4, 6, 9}, imp.Lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseWordListBadInput(t *testing.T) {
	long := strings.Repeat("长", anxin.MaxImportTermChars+1)
	tests := []struct {
		name string
		data []byte
		opts ImportOptions
		kind anxin.Kind
		msg  string
	}{
		{"nul byte", []byte("刷单\n代\x00开\n"), ImportOptions{Category: "c"}, anxin.Invalid, "Line 2 contains a NUL byte"},
		{"binary", []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d}, ImportOptions{Category: "c"}, anxin.Invalid, "Line 3 contains a NUL byte"},
		{"control character", []byte("ok\nbad\x07term\n"), ImportOptions{Category: "c"}, anxin.Invalid, "Line 2 contains a control character"},
		{"mixed encodings", append([]byte("刷单\n"), gbk(t, "代开发票\n")...), ImportOptions{Category: "c"}, anxin.Invalid, "Mixed encodings: line 1 is UTF-8 but line 2 is not"},
		{"bom then gbk", append([]byte{0xEF, 0xBB, 0xBF}, gbk(t, "代开发票\n")...), ImportOptions{Category: "c"}, anxin.Invalid, "Line 1 is not valid UTF-8, though the file starts with a UTF-8 byte-order mark"},
		{"neither utf-8 nor gbk", []byte("ok\n\x81\x20\n"), ImportOptions{Category: "c"}, anxin.Invalid, "Line 2 is neither UTF-8 nor GBK"},
		{"utf-16", []byte{0xFF, 0xFE, 'a', 0}, ImportOptions{Category: "c"}, anxin.Invalid, "UTF-16"},
		{"term too long", []byte("ok\n" + long + "\n"), ImportOptions{Category: "c"}, anxin.Invalid, "Line 2: the term is 65 characters long"},
		{"too many lines", []byte(strings.Repeat("词\n", anxin.MaxImportLines+1)), ImportOptions{Category: "c"}, anxin.Invalid, "Line 100001: the file has more than 100000 lines"},
		{"200,000 lines", []byte(strings.Repeat("词\n", 200_000)), ImportOptions{Category: "c"}, anxin.Invalid, "Line 100001"},
		{"too large", make([]byte, anxin.MaxImportBytes+1), ImportOptions{Category: "c"}, anxin.TooLarge, "larger than"},
		{"no category", []byte("ok\n"), ImportOptions{}, anxin.Invalid, "category is required"},
		{"bad severity", []byte("ok\n"), ImportOptions{Category: "c", Severity: 7}, anxin.Invalid, "severity must be 1 to 5"},
		{"bad kind", []byte("ok\n"), ImportOptions{Category: "c", Kinds: []string{"tweet"}}, anxin.Invalid, `kind "tweet"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ParseWordList(tt.data, tt.opts)
			if anxin.KindOf(err) != tt.kind || !strings.Contains(anxin.MessageOf(err), tt.msg) {
				t.Fatalf("ParseWordList = %v, %v; want %s containing %q", imp, err, tt.kind, tt.msg)
			}
		})
	}
}

func TestMergeImport(t *testing.T) {
	cur := &anxin.Lexicon{Name: "ours", Description: "kept", Active: true, Terms: []anxin.LexiconTerm{{Pattern: "高仿", Category: "x", Severity: 5}}}
	imp, err := ParseWordList([]byte("髙仿\n刷单\n刷单\n"), ImportOptions{Category: "fake_orders"})
	if err != nil {
		t.Fatal(err)
	}
	next, rep := MergeImport(cur, "ours", imp)
	if len(next.Terms) != 2 || next.Terms[1].Pattern != "刷单" || next.Description != "kept" || len(cur.Terms) != 1 {
		t.Errorf("MergeImport terms = %+v (current %d); want 高仿 then 刷单, current unchanged", next.Terms, len(cur.Terms))
	}
	want := &anxin.LexiconImportReport{Lexicon: "ours", Encoding: "utf-8", Lines: 3, Added: 1, Terms: 2, SkippedCount: 2, Skipped: []anxin.ImportSkip{
		{Line: 1, Term: "髙仿", Reason: "already in the lexicon"},
		{Line: 3, Term: "刷单", Reason: "same as line 2"},
	}}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}
