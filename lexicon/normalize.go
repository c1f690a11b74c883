package lexicon

import (
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"

	"anxin"
)

// MaxTextBytes is the most input Normalize reads: the rest is ignored and
// Text.Truncated is set. It equals anxin.MaxTextLen, the limit on a
// description or content text.
const MaxTextBytes = anxin.MaxTextLen

// Text is normalised text with a map back to the original. The zero value is
// the empty text. Text is immutable and safe for concurrent use.
type Text struct {
	// Norm is the normalised text: valid UTF-8, and Normalize(Norm).Norm == Norm.
	Norm string
	// Truncated reports that the input was longer than MaxTextBytes and only
	// its first MaxTextBytes bytes (cut at a character boundary) were read.
	Truncated bool

	orig  string  // the original text (as read, so at most MaxTextBytes)
	start []int32 // start[i]: offset in orig of the character that produced Norm[i]
}

// Normalize normalises s as described in the package documentation. It never
// fails: invalid UTF-8 and control characters are dropped, and input over
// MaxTextBytes is cut (see Text.Truncated).
func Normalize(s string) Text {
	t, _ := normalize(s, nil, nil)
	return t
}

// Buffer holds the storage of normalised texts so that a caller normalising
// many texts allocates it once. The zero value is ready to use. A Buffer is
// not safe for concurrent use.
type Buffer struct {
	buf   []byte
	start []int32
}

// Normalize is Normalize(s) in b's storage: the Text it returns (its Norm
// included) is valid only until the next call on b, and must not be kept
// beyond that.
func (b *Buffer) Normalize(s string) Text {
	t, buf := normalize(s, b.buf[:0], b.start[:0])
	b.buf, b.start = buf[:0], t.start[:0]
	return t
}

// normalize normalises s into buf and start (grown when too small) and
// returns the text and the buffer its Norm lives in.
func normalize(s string, buf []byte, start []int32) (Text, []byte) {
	t := Text{}
	if len(s) > MaxTextBytes {
		cut := MaxTextBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, t.Truncated = s[:cut], true
	}
	t.orig = s
	if cap(buf) < len(s) {
		buf = make([]byte, 0, len(s))
	}
	if cap(start) < len(s) {
		start = make([]int32, 0, len(s))
	}
	tab := foldTable()
	// run counts the digits and Chinese numerals at the end of buf, cn says
	// whether a numeral is among them; numerals is set once such a run is
	// long enough to be a number (see foldNumeralRuns).
	run, cn, numerals := 0, false, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if o := foldASCII[c]; o != 0 {
				buf = append(buf, o)
				start = append(start, int32(i))
				if o >= '0' && o <= '9' {
					run++
					numerals = numerals || cn && run >= MinNumeralRun
				} else {
					run, cn = 0, false
				}
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			i++ // invalid UTF-8: dropped like noise
			continue
		}
		n := len(buf)
		if r >= 0x10000 { // rare: emoji (dropped), styled letters
			for _, x := range foldRune(r, nil) {
				buf = utf8.AppendRune(buf, x)
			}
			for ; n < len(buf); n++ {
				start = append(start, int32(i))
			}
			i += w
			continue
		}
		if numeralBits[r>>6]&(1<<(r&63)) != 0 {
			run, cn = run+1, true
			numerals = numerals || run >= MinNumeralRun
		} else if v := tab.bmp[r]; v >= '0' && v <= '9' { // full-width digits
			run++
			numerals = numerals || cn && run >= MinNumeralRun
		} else if v != foldDrop {
			run, cn = 0, false
		}
		switch v := tab.bmp[r]; {
		case v == foldDrop:
		case v == foldSame:
			buf = append(buf, s[i:i+w]...)
			for range w {
				start = append(start, int32(i))
			}
			i += w
			continue
		case v < utf8.MaxRune+1:
			buf = utf8.AppendRune(buf, rune(v))
		default:
			buf = append(buf, tab.expand(v)...)
		}
		for ; n < len(buf); n++ {
			start = append(start, int32(i))
		}
		i += w
	}
	if numerals {
		buf, start = foldNumeralRuns(buf, start)
	}
	t.Norm = unsafe.String(unsafe.SliceData(buf), len(buf)) // buf is not written again (a Buffer's: not before its next call)
	t.start = start
	return t, buf
}

// Raw returns s as a Text without normalisation: Norm is s (cut to
// MaxTextBytes, like Normalize) and offsets map to themselves. It is for
// matchers built with CompileRaw.
func Raw(s string) Text {
	t := Text{}
	if len(s) > MaxTextBytes {
		s, t.Truncated = s[:MaxTextBytes], true
	}
	t.Norm, t.orig = s, s
	t.start = make([]int32, len(s))
	for i := range t.start {
		t.start[i] = int32(i)
	}
	return t
}

// Original maps the normalised byte span [start, end) of t.Norm to the byte
// span of the original text that produced it. Out-of-range offsets are
// clamped; an empty span maps to an empty span.
func (t Text) Original(start, end int) (int, int) {
	start = max(0, min(start, len(t.Norm)))
	end = max(start, min(end, len(t.Norm)))
	if start == end {
		p := len(t.orig)
		if start < len(t.start) {
			p = int(t.start[start])
		}
		return p, p
	}
	return int(t.start[start]), t.origEnd(end - 1)
}

// Quote returns the original text that produced t.Norm[start:end]: what the
// merchant actually wrote, separators and look-alikes included.
func (t Text) Quote(start, end int) string {
	os, oe := t.Original(start, end)
	return t.orig[os:oe]
}

// Source returns the original text Normalize read (cut to MaxTextBytes).
func (t Text) Source() string { return t.orig }

// origEnd returns the end offset in t.orig of the character that produced
// t.Norm[i].
func (t Text) origEnd(i int) int {
	p := int(t.start[i])
	_, w := utf8.DecodeRuneInString(t.orig[p:])
	return p + w
}

// gapBefore reports whether anything (a separator, noise, an invalid byte) was
// removed between the characters that produced t.Norm[p-1] and t.Norm[p].
func (t Text) gapBefore(p int) bool {
	if p <= 0 || p >= len(t.start) {
		return true
	}
	a, b := t.start[p-1], t.start[p]
	return a != b && int(b) != t.origEnd(p-1)
}

// wordBoundary reports whether a pattern edge at normalised offset p is at a
// word boundary (see the package documentation).
func (t Text) wordBoundary(p int) bool {
	if p <= 0 || p >= len(t.Norm) {
		return true
	}
	before, _ := utf8.DecodeLastRuneInString(t.Norm[:p])
	after, _ := utf8.DecodeRuneInString(t.Norm[p:])
	return !isWordRune(before) || !isWordRune(after) || t.gapBefore(p)
}

// isWordRune reports whether r belongs to a script that separates words with
// spaces (after folding: ASCII letters and digits, Latin, Greek, Cyrillic).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return r < 0x530 && unicode.IsLetter(r)
}

// Encoding of a folded character in foldTables: foldDrop, foldSame (the
// character itself), a single rune, or foldExp+i for expansion i.
const (
	foldDrop = 0xFFFFFFFF
	foldSame = 0xFFFFFFFE
	foldExp  = 0x00200000
)

type foldTables struct {
	bmp  []uint32
	exps []string
}

var (
	foldOnce sync.Once
	folds    *foldTables
)

// foldTable returns the fold of every BMP character, built on first use
// (a few tens of milliseconds).
func foldTable() *foldTables {
	foldOnce.Do(func() {
		ft := &foldTables{bmp: make([]uint32, 0x10000)}
		var rs []rune
		for r := rune(0); r < 0x10000; r++ {
			rs = foldRune(r, rs[:0])
			switch {
			case len(rs) == 0:
				ft.bmp[r] = foldDrop
			case len(rs) == 1 && rs[0] == r:
				ft.bmp[r] = foldSame
			case len(rs) == 1:
				ft.bmp[r] = uint32(rs[0])
			default:
				ft.bmp[r] = foldExp + uint32(len(ft.exps))
				ft.exps = append(ft.exps, string(rs))
			}
		}
		folds = ft
	})
	return folds
}

func (ft *foldTables) expand(v uint32) string { return ft.exps[v-foldExp] }

// foldASCII is the fold of each ASCII byte; 0 means dropped.
var foldASCII = func() (t [utf8.RuneSelf]byte) {
	for c := 0; c < utf8.RuneSelf; c++ {
		rs := foldRune(rune(c), nil)
		if len(rs) == 1 && rs[0] < utf8.RuneSelf {
			t[c] = byte(rs[0])
		}
	}
	return t
}()

// foldRune appends the fold of r to dst: the characters it normalises to,
// none if it is removed. The result is a fixed point: folding any of its
// characters gives that character back.
func foldRune(r rune, dst []rune) []rune {
	return foldDepth(r, dst, 0)
}

func foldDepth(r rune, dst []rune, depth int) []rune {
	step := foldStep(r, nil)
	if len(step) == 1 && step[0] == r || depth > 4 {
		return append(dst, step...)
	}
	for _, x := range step {
		dst = foldDepth(x, dst, depth+1)
	}
	return dst
}

// foldStep applies one round of the normalisation steps to r.
func foldStep(r rune, dst []rune) []rune {
	if r >= 0xAC00 && r <= 0xD7A3 { // Hangul syllables stay composed
		return append(dst, r)
	}
	var d string
	if r < utf8.RuneSelf {
		d = string(r)
	} else {
		d = norm.NFKD.String(string(r))
	}
	for _, x := range d {
		if unicode.In(x, unicode.Mn, unicode.Me) {
			continue
		}
		x = unicode.ToLower(x)
		if s, ok := t2s[x]; ok {
			x = s
		}
		if h, ok := homoglyphs[x]; ok {
			dst = append(dst, []rune(h)...)
			continue
		}
		if isNoise(x) {
			continue
		}
		dst = append(dst, x)
	}
	return dst
}

// isNoise reports whether r is removed as a separator or noise.
func isNoise(r rune) bool {
	switch r {
	case ':', '%', '@', '#', '&', '+':
		return false
	case utf8.RuneError:
		return true
	}
	if unicode.In(r, unicode.Sc) {
		return false
	}
	if unicode.In(r, unicode.Z, unicode.C, unicode.Mn, unicode.Me, unicode.P, unicode.S) {
		return true
	}
	return !unicode.In(r, unicode.L, unicode.N, unicode.M) // unassigned
}

// Cap returns the bytes of text b can hold without growing.
func (b *Buffer) Cap() int { return cap(b.buf) }
