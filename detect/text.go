package detect

import (
	"sync"
	"unicode/utf8"
)

// unit is one character of the original text, folded for matching: full-width
// ASCII to ASCII, the ideographic space to a space, ASCII letters to lower
// case. start and end are its byte span in the original.
type unit struct {
	r          rune
	start, end int32
}

// scratch holds the per-call buffers of Find, reused through a pool.
type scratch struct {
	units  []unit
	digits []digit
	groups []group
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// fold maps a character to the form the detectors compare.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000 || r == 0x00A0:
		return ' '
	case r == '。' || r == '｡':
		return '。'
	}
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r
}

// units decodes s into folded units, dropping invalid bytes.
func toUnits(s string, dst []unit) []unit {
	dst = dst[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, unit{fold(rune(c)), int32(i), int32(i + 1)})
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || w > 1 {
			dst = append(dst, unit{fold(r), int32(i), int32(i + w)})
		}
		i += w
	}
	return dst
}

// digitOf returns the decimal value of a digit written as an ASCII or
// full-width digit (already folded), a circled digit, or a Chinese numeral,
// and whether r is one. 幺 is the 1 of spoken phone numbers; 十, 百 and other
// magnitude words are not digits.
func digitOf(r rune) (byte, bool) {
	if r >= '0' && r <= '9' {
		return byte(r - '0'), true
	}
	if r < 0x2460 {
		return 0, false
	}
	if r >= 0x2460 && r <= 0x2468 { // ①-⑨
		return byte(r - 0x2460 + 1), true
	}
	switch r {
	case '零', '〇', '⓪':
		return 0, true
	case '一', '壹', '幺':
		return 1, true
	case '二', '贰', '貳':
		return 2, true
	case '三', '叁', '參':
		return 3, true
	case '四', '肆':
		return 4, true
	case '五', '伍':
		return 5, true
	case '六', '陆', '陸':
		return 6, true
	case '七', '柒':
		return 7, true
	case '八', '捌':
		return 8, true
	case '九', '玖':
		return 9, true
	}
	return 0, false
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' }
func isASCIIDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isLabelRune(r rune) bool   { return isASCIILetter(r) || isASCIIDigit(r) || r == '-' }

// hasRunes reports whether the runes of w (folded, lower case) are at u[i:].
func hasRunes(u []unit, i int, w []rune) bool {
	if i < 0 || i+len(w) > len(u) {
		return false
	}
	for k, r := range w {
		if u[i+k].r != r {
			return false
		}
	}
	return true
}

// wordList is a set of short words, indexed for matching that ends or starts
// at a given unit.
type wordList [][]rune

func newWordList(ws ...string) wordList {
	out := make(wordList, len(ws))
	for i, w := range ws {
		out[i] = []rune(w)
	}
	return out
}

// endingAt returns the length in units of the longest word of l that ends
// just before u[i] (0 when none).
func (l wordList) endingAt(u []unit, i int) int {
	best := 0
	for _, w := range l {
		if len(w) > best && hasRunes(u, i-len(w), w) {
			best = len(w)
		}
	}
	return best
}

// near reports whether a word of l occurs in u within radius units of the
// span [from, to).
func (l wordList) near(u []unit, from, to, radius int) bool {
	lo, hi := max(0, from-radius), min(len(u), to+radius)
	for i := lo; i < hi; i++ {
		for _, w := range l {
			if u[i].r == w[0] && i+len(w) <= hi && hasRunes(u, i, w) {
				return true
			}
		}
	}
	return false
}
