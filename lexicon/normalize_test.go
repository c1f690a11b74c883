package lexicon

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"homoglyph", "髙仿", "高仿"},
		{"spaced", "高 仿", "高仿"},
		{"full width", "ＡＢＣ１２３", "abc123"},
		{"traditional", "倣貨專櫃品質單槍", "仿货专柜品质单枪"},
		{"separators", "g.a.o-f_a|n*g", "gaofang"},
		{"zero width", "高\u200b仿\u200d", "高仿"},
		{"emoji", "高😀仿🔥👍🏻", "高仿"},
		{"ratio", "1：1复刻", "1:1复刻"},
		{"cyrillic", "fаkе", "fake"},
		{"greek", "rερlicα", "replica"},
		{"case", "GuCCi", "gucci"},
		{"accent", "re\u0301plica rèplica", "replicareplica"},
		{"invalid utf8", "\xff高\xfe仿", "高仿"},
		{"control", "\x00a\tb\nc\x7f", "abc"},
		{"circled", "①②ⓐ", "12a"},
		{"ligature", "ﬁne", "fine"},
		{"kept punctuation", "100% @x #y &z +86 ¥99", "100%@x#y&z+86¥99"},
		{"brackets", "【高仿】「包」", "高仿包"},
		{"bidi", "a\u202eb\u2066c", "abc"},
		{"shinjitai", "仮", "假"},
		{"hangul kept", "한국", "한국"},
		{"empty", "", ""},
		{"only noise", " *_.-| ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in).Norm; got != tt.want {
				t.Errorf("Normalize(%q).Norm = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestOriginal(t *testing.T) {
	in := "买 髙 * 仿 包包"
	tx := Normalize(in)
	i := strings.Index(tx.Norm, "高仿")
	if i < 0 {
		t.Fatalf("Normalize(%q).Norm = %q; want it to contain 高仿", in, tx.Norm)
	}
	if got, want := tx.Quote(i, i+len("高仿")), "髙 * 仿"; got != want {
		t.Errorf("Quote = %q; want %q", got, want)
	}
	os, oe := tx.Original(0, len(tx.Norm))
	if os != 0 || oe != len(in) {
		t.Errorf("Original(all) = %d,%d; want 0,%d", os, oe, len(in))
	}
	if os, oe := tx.Original(100, 200); os != len(in) || oe != len(in) {
		t.Errorf("Original(out of range) = %d,%d; want empty span at end", os, oe)
	}
	// A character that expands: ﬁ → fi; both bytes map to the ligature.
	lg := Normalize("xﬁy")
	if got := lg.Quote(1, 2); got != "ﬁ" {
		t.Errorf("Quote of f in ﬁ = %q; want ﬁ", got)
	}
}

func TestNormalizeTruncates(t *testing.T) {
	in := strings.Repeat("高", MaxTextBytes/3+10)
	tx := Normalize(in)
	if !tx.Truncated {
		t.Fatal("Truncated = false for input over MaxTextBytes")
	}
	if len(tx.Source()) > MaxTextBytes || !utf8.ValidString(tx.Norm) {
		t.Errorf("Source() is %d bytes (limit %d), Norm valid = %v", len(tx.Source()), MaxTextBytes, utf8.ValidString(tx.Norm))
	}
	if Normalize("short").Truncated {
		t.Error("Truncated = true for short input")
	}
}

// TestFoldIdempotent checks every BMP character and a sample above it: the
// fold of a character folds to itself.
func TestFoldIdempotent(t *testing.T) {
	check := func(r rune) {
		once := Normalize(string(r)).Norm
		if twice := Normalize(once).Norm; twice != once {
			t.Errorf("Normalize(Normalize(%U)) = %q; want %q", r, twice, once)
		}
	}
	for r := rune(0); r < 0x10000; r++ {
		check(r)
	}
	for r := rune(0x10000); r < 0x20000; r += 7 {
		check(r)
	}
}

func TestTableConsistency(t *testing.T) {
	for k, v := range t2s {
		if _, ok := t2s[v]; ok {
			t.Errorf("t2s[%c] = %c, which is itself a key", k, v)
		}
	}
	if len(t2s) < 1500 {
		t.Errorf("t2s has %d pairs; want at least 1500", len(t2s))
	}
	for _, w := range []string{"高仿", "原单", "复刻", "专柜", "莆田", "假货"} {
		if _, _, ok := Pinyin(w); !ok {
			t.Errorf("Pinyin(%q) has no reading", w)
		}
	}
}

func TestPinyin(t *testing.T) {
	tests := []struct{ in, full, initials string }{
		{"高仿", "gaofang", "gf"},
		{"原单", "yuandan", "yd"},
		{"a货", "ahuo", "ah"},
		{"专柜品质", "zhuanguipinzhi", "zgpz"},
	}
	for _, tt := range tests {
		full, in, ok := Pinyin(tt.in)
		if !ok || full != tt.full || in != tt.initials {
			t.Errorf("Pinyin(%q) = %q, %q, %v; want %q, %q, true", tt.in, full, in, ok, tt.full, tt.initials)
		}
	}
	if _, _, ok := Pinyin("abc"); ok {
		t.Error(`Pinyin("abc") ok = true; want false (no Chinese)`)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"髙 仿", "g a o f a n g", "\xff\xfe", "ﬁ①Ａ", "1：1", "😀\u200d👍🏻", "e\u0301", "한국어"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tx := Normalize(s)
		if !utf8.ValidString(tx.Norm) {
			t.Fatalf("Normalize(%q).Norm = %q is not valid UTF-8", s, tx.Norm)
		}
		if again := Normalize(tx.Norm).Norm; again != tx.Norm {
			t.Fatalf("Normalize not idempotent on %q: %q then %q", s, tx.Norm, again)
		}
		prev := 0
		for i := 0; i <= len(tx.Norm); i++ {
			os, oe := tx.Original(i, i)
			if os != oe || os < prev || os > len(s) {
				t.Fatalf("Original(%d,%d) = %d,%d after %d; want monotonic, empty, in range", i, i, os, oe, prev)
			}
			prev = os
			if i < len(tx.Norm) {
				a, b := tx.Original(i, i+1)
				if a < 0 || b > len(s) || a >= b {
					t.Fatalf("Original(%d,%d) = %d,%d; want a non-empty span inside %d bytes", i, i+1, a, b, len(s))
				}
			}
		}
	})
}

// TestBufferNormalize checks that a reused Buffer gives the same text and
// offsets as Normalize, whatever was normalised in it before.
func TestBufferNormalize(t *testing.T) {
	inputs := []string{"髙 仿 LV 包包", "", "一三八 0013 八千", "ｚｈｕａｎ柜品质", strings.Repeat("长文本，", 200), "a", "😀加V信😀 abc123", "壹叁捌零零壹叁捌零零零"}
	var b Buffer
	for round := range 2 {
		for _, s := range inputs {
			want, got := Normalize(s), b.Normalize(s)
			if got.Norm != want.Norm || got.Truncated != want.Truncated {
				t.Fatalf("round %d: Buffer.Normalize(%q) = %q; want %q", round, s, got.Norm, want.Norm)
			}
			for i := 0; i < len(want.Norm); i++ {
				ga, gb := got.Original(i, i+1)
				wa, wb := want.Original(i, i+1)
				if ga != wa || gb != wb {
					t.Fatalf("Buffer.Normalize(%q).Original(%d) = %d,%d; want %d,%d", s, i, ga, gb, wa, wb)
				}
			}
		}
	}
}
