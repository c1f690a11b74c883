// Package lexicon normalises untrusted text and finds lexicon terms in it in
// one pass.
//
// It is the hot core of the publish-time check: a listing's title and
// description are normalised once with Normalize, then every active term of
// every lexicon is found by one Matcher built with Compile.
//
//	m, err := lexicon.Compile([]lexicon.Term{
//		{Pattern: "高仿", Pinyin: true, Lexicon: "counterfeit", Category: "replica", Severity: 3},
//		{Pattern: "仿真", Except: []string{"仿真植物", "仿真花"}},
//	})
//	if err != nil { ... } // anxin.Invalid naming the bad term
//	t := lexicon.Normalize("髙 仿 gucci 包 · 專櫃品質")
//	for _, h := range m.Scan(t, "listing") {
//		fmt.Println(m.Terms()[h.Term].Pattern, h.Quote) // 高仿 "髙 仿"
//	}
//
// # Normalisation
//
// Normalize maps each input character on its own (so the mapping is
// idempotent and every output byte points back at the character it came from):
//
//   - compatibility decomposition (NFKD, the decomposing half of NFKC) with
//     combining marks removed: full-width and half-width forms, circled and
//     styled letters and digits, ligatures and accents all fold to their
//     plain form (ａ→a, ①→1, ﬁ→fi, é→e); Hangul syllables stay composed;
//   - lower case (unicode.ToLower);
//   - traditional → simplified Chinese from an embedded table (貨→货, 專→专),
//     leaving out characters that are also ordinary simplified characters
//     with another meaning (著, 乾, 藉);
//   - look-alikes (homoglyphs): 髙→高, Cyrillic and Greek letters shaped like
//     Latin ones (а→a, ο→o), Japanese shinjitai forms (仮→假), ł→l, ß→ss.
//     ASCII digits are never folded to letters (0/o, 1/l): prices, sizes and
//     model numbers would be damaged; leetspeak spellings are Term.Aliases;
//   - removal of separators and noise: all white space, control and format
//     characters (zero-width, bidi), combining marks, private-use and
//     unassigned code points, emoji and other symbols, and punctuation.
//
// One step looks at neighbours: a run of MinNumeralRun or more digits and
// Chinese numerals (一三八一二三四…, 壹叁捌, 幺) is a number, and its numerals
// become ASCII digits; shorter runs (一比一) are left alone.
//
// Kept are letters, digits and a few characters that carry meaning in terms:
// ':' (1:1, from 1：1), '%', '@', '#', '&', '+' and currency signs.
// Invalid UTF-8 bytes are dropped like noise. Because spaces are removed,
// "gao fang" normalises to "gaofang"; to keep "sofa kept" from matching
// "fake", a pattern whose first (last) character is a letter or digit of a
// spaced script (Latin, Greek, Cyrillic, digits) fires only at a word boundary
// on that side: the text there has a removed separator, the text edge, or a
// character that is not such a letter (a Chinese character, say). Term.Infix
// turns that off.
//
// # Limits
//
// Normalize reads at most MaxTextBytes bytes; the rest is ignored and
// Text.Truncated is set, so a caller that must not miss anything rejects
// such text (anxin.TooLarge) before checking it. Patterns are at most
// MaxPatternBytes bytes.
//
// # Matching
//
// Compile builds one Aho-Corasick automaton over characters (not bytes) of
// all patterns, aliases and allow-contexts. Scan reports every hit, including
// overlapping ones, in leftmost-first order; it allocates only its result.
// A Matcher is immutable and safe for concurrent use; reloading a lexicon
// means compiling a new Matcher. CompileRaw and Raw skip normalisation, and
// CountAll counts raw occurrences: they serve `anxin lexicon bench` and the
// comparison with other matchers in the nested module lexicon/bench.
//
// Cost, measured as CPU time of the benchmarking thread: Normalize + Scan of
// a listing (30-character title, ~200 characters of description) against a
// policy pack plus 100,000 terms takes about 5-8 µs (BenchmarkCheckListing).
// CountAll on the 1 MiB Chinese corpus of lexicon/bench runs at about
// 160 cpuMB/s with 10,000 terms, about 1.3x Hyperscan, and about 70 cpuMB/s
// with 100,000 terms, about 1.8x Hyperscan: there the automaton (several
// megabytes) is larger than the caches, and because a state is its own cell
// in the double array a character costs one cache miss, not two. These are
// medians of alternating runs (each build and Hyperscan in turn, five times)
// on a shared 2-core machine at load average about 20;
// lexicon/bench/README.md has the figures and how to repeat them.
package lexicon
