package lexicon

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"anxin"
)

func testTerms() []Term {
	return []Term{
		{Pattern: "高仿", Pinyin: true, Lexicon: "counterfeit", Category: "replica", Severity: 3}, // 0
		{Pattern: "仿真", Except: []string{"仿真植物", "仿真花"}},                                        // 1
		{Pattern: "fake", Aliases: []string{"f4ke"}},                                            // 2
		{Pattern: "A货"},  // 3
		{Pattern: "1:1"}, // 4
		{Pattern: "原单", Kinds: []string{KindListing}}, // 5
		{Pattern: "专柜品质"},                             // 6
		{Pattern: "a+b"},                              // 7: "+" is kept and literal
		{Pattern: "slot", Infix: true},                // 8
	}
}

type hitView struct {
	Term  int
	Quote string
}

func TestScan(t *testing.T) {
	m, err := Compile(testTerms())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text, kind string
		want             []hitView
	}{
		{"plain", "正品高仿包", KindListing, []hitView{{0, "高仿"}}},
		{"evasive", "髙 * 仿 LV", KindListing, []hitView{{0, "髙 * 仿"}}},
		{"pinyin spaced", "gao fang 包", KindListing, []hitView{{0, "gao fang"}}},
		{"pinyin initials", "GF包包", KindListing, []hitView{{0, "GF"}}},
		{"initials inside a word", "gfx card", KindListing, nil},
		{"allow-context", "仿真植物摆件", KindListing, nil},
		{"allow-context elsewhere", "仿真植物和仿真枪", KindListing, []hitView{{1, "仿真"}}},
		{"word boundary", "sofa kept clean", KindComment, nil},
		{"word", "this is a fake bag", KindComment, []hitView{{2, "fake"}}},
		{"cyrillic", "fаkе", KindComment, []hitView{{2, "fаkе"}}},
		{"alias leet", "f4ke", KindComment, []hitView{{2, "f4ke"}}},
		{"spaced letters", "f a k e", KindComment, []hitView{{2, "f a k e"}}},
		{"a goods", "超A货", KindListing, []hitView{{3, "A货"}}},
		{"a goods in word", "DATA货架", KindListing, nil},
		{"ratio", "1：1复刻", KindListing, []hitView{{4, "1：1"}}},
		{"kind limited", "原单", KindComment, nil},
		{"kind match", "原單", KindListing, []hitView{{5, "原單"}}},
		{"traditional", "專櫃品質", KindVideo, []hitView{{6, "專櫃品質"}}},
		{"metacharacters literal", "a+b and aab", KindComment, []hitView{{7, "a+b"}}},
		{"infix", "megaslots", KindComment, []hitView{{8, "slot"}}},
		{"overlap order", "高仿A货", "", []hitView{{0, "高仿"}, {3, "A货"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := Normalize(tt.text)
			var got []hitView
			for _, h := range m.Scan(tx, tt.kind) {
				if h.Quote != tx.Source()[h.OrigStart:h.OrigEnd] || tx.Norm[h.Start:h.End] == "" {
					t.Errorf("hit %+v: Quote does not match its spans", h)
				}
				got = append(got, hitView{h.Term, h.Quote})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scan(%q, %q) mismatch (-want +got):\n%s", tt.text, tt.kind, diff)
			}
		})
	}
}

func TestScanOverlapping(t *testing.T) {
	m, err := Compile([]Term{{Pattern: "aa"}, {Pattern: "a", Infix: true}, {Pattern: "aa", Lexicon: "other", Infix: true}})
	if err != nil {
		t.Fatal(err)
	}
	hits := m.Scan(Normalize("aaa"), "")
	var got [][3]int
	for _, h := range hits {
		got = append(got, [3]int{h.Term, h.Start, h.End})
	}
	// "aa" (term 0) needs word boundaries, so only term 2 fires inside "aaa".
	want := [][3]int{{2, 0, 2}, {1, 0, 1}, {2, 1, 3}, {1, 1, 2}, {1, 2, 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan(aaa) mismatch (-want +got):\n%s", diff)
	}
}

func TestCompileErrors(t *testing.T) {
	long := strings.Repeat("高", MaxPatternBytes/3+1)
	tests := []struct {
		name  string
		terms []Term
		want  string
	}{
		{"empty", []Term{{Pattern: "ok"}, {Pattern: ""}}, "Term 1: pattern is empty."},
		{"only noise", []Term{{Pattern: "***"}}, "Term 0: pattern is empty after normalisation (only separators or symbols)."},
		{"invalid utf8", []Term{{Pattern: "a\xffb"}}, "Term 0: pattern is not valid UTF-8."},
		{"control", []Term{{Pattern: "a\x00b"}}, "Term 0: pattern contains a control character."},
		{"newline", []Term{{Pattern: "a", Aliases: []string{"b\nc"}}}, "Term 0: alias 0 contains a control character."},
		{"too long", []Term{{Pattern: long}}, "Term 0: pattern is longer than 256 bytes."},
		{"bad except", []Term{{Pattern: "a", Except: []string{"x", ""}}}, "Term 0: allow-context 1 is empty."},
		{"pinyin without chinese", []Term{{Pattern: "abc", Pinyin: true}}, "Term 0: pinyin asked for, but the pattern has no Chinese character or one the pinyin table lacks; list its spellings as aliases."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.terms)
			if anxin.KindOf(err) != anxin.Invalid || anxin.MessageOf(err) != tt.want {
				t.Errorf("Compile() error = %v; want invalid: %s", err, tt.want)
			}
		})
	}
}

// TestCountAllMatchesBruteForce compares the automaton with a naive count on
// random texts over a small alphabet, where overlaps and shared prefixes and
// suffixes are frequent.
func TestCountAllMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := []rune("ab高仿c货")
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteRune(alpha[rng.IntN(len(alpha))])
		}
		return b.String()
	}
	for round := range 200 {
		seen := map[string]bool{}
		var pats []string
		for range 1 + rng.IntN(30) {
			p := word(1 + rng.IntN(5))
			if !seen[p] {
				seen[p] = true
				pats = append(pats, p)
			}
		}
		m, err := CompileRaw(pats)
		if err != nil {
			t.Fatal(err)
		}
		text := word(rng.IntN(200))
		want := 0
		for _, p := range pats {
			for i := 0; i+len(p) <= len(text); i++ {
				if text[i:i+len(p)] == p {
					want++
				}
			}
		}
		if got := m.CountAll([]byte(text)); got != want {
			t.Fatalf("round %d: CountAll(%q) with %q = %d; want %d", round, text, pats, got, want)
		}
		if got := len(m.Scan(Raw(text), "")); got != want {
			t.Fatalf("round %d: len(Scan(%q)) with %q = %d; want %d", round, text, pats, got, want)
		}
	}
}

func TestCountAllInvalidUTF8(t *testing.T) {
	m, err := CompileRaw([]string{"高仿", "a"})
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("\xe9高仿\xff\xe9\xab\xe9\xab\x98\xe4\xbb\xbfa")
	if got := m.CountAll(text); got != 3 {
		t.Errorf("CountAll(%q) = %d; want 3", text, got)
	}
}

// TestCountAllBytes checks CountAll against a byte-by-byte count on texts
// made of pattern fragments and random bytes, so malformed, truncated,
// overlong and surrogate sequences sit next to real matches.
func TestCountAllBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pats := []string{"高仿", "仿", "é", "éa", "𝐀b", "a", "ab", "\u07ff", "\uffff"}
	m, err := CompileRaw(pats)
	if err != nil {
		t.Fatal(err)
	}
	junk := [][]byte{{0xe0, 0x80}, {0xed, 0xa0, 0x80}, {0xc0}, {0xc3}, {0xe9, 0xab}, {0xf0, 0x9d}, {0xff}, {0x80}, {0xdf}, {0xe0, 0x9f, 0xbf}}
	for round := range 2000 {
		var text []byte
		for range rng.IntN(12) {
			if rng.IntN(2) == 0 {
				p := pats[rng.IntN(len(pats))]
				text = append(text, p[:1+rng.IntN(len(p))]...)
			} else {
				text = append(text, junk[rng.IntN(len(junk))]...)
			}
		}
		want := 0
		for _, p := range pats {
			for i := 0; i+len(p) <= len(text); i++ {
				if string(text[i:i+len(p)]) == p {
					want++
				}
			}
		}
		if got := m.CountAll(text); got != want {
			t.Fatalf("round %d: CountAll(%q) = %d; want %d", round, text, got, want)
		}
	}
}

// FuzzCountAll checks CountAll against a byte-by-byte count on arbitrary
// bytes, and that Scan on the normalised text never panics.
func FuzzCountAll(f *testing.F) {
	pats := []string{"高仿", "仿", "é", "éa", "𝐀b", "a", "ab", "\u07ff", "\uffff", "1:1"}
	m, err := CompileRaw(pats)
	if err != nil {
		f.Fatal(err)
	}
	norm, err := Compile(testTerms())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"高仿ab", "\xe9\xab\x98\xe4\xbb", "\xed\xa0\x80a", "1:1𝐀b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		want := 0
		for _, p := range pats {
			for i := 0; i+len(p) <= len(text); i++ {
				if string(text[i:i+len(p)]) == p {
					want++
				}
			}
		}
		if got := m.CountAll(text); got != want {
			t.Fatalf("CountAll(%q) = %d; want %d", text, got, want)
		}
		tx := Normalize(string(text))
		for _, h := range norm.Scan(tx, "") {
			if h.Quote != tx.Source()[h.OrigStart:h.OrigEnd] {
				t.Fatalf("hit %+v quotes the wrong span", h)
			}
		}
	})
}
