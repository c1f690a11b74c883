package detect

import "unicode/utf8"

// Span is a byte span of a text.
type Span struct{ Start, End int }

// MaxRuns bounds the runs Runs returns; a longer list is cut there.
const MaxRuns = 256

// isRunSep reports whether r joins keyword runs in stuffed text: dashes,
// bars, underscores, slashes, the enumeration comma, commas, dots used as
// bullets, and white space.
func isRunSep(r rune) bool {
	switch r {
	case '-', '|', '_', '/', '、', ',', '，', '·', '•', '丨', '｜', '／', '＿', '－', '—', '–', '~', '～', '+', '#', '＃',
		' ', '\t', '\n', '\r', '\u3000', '\u00a0', '【', '】', '[', ']', '(', ')', '（', '）', '★', '☆', '♥', '❤', '>', '》', '《', '<':
		return true
	}
	return false
}

// Runs splits s into keyword runs: the maximal pieces between separators.
// Sentences end a run too. It returns at most MaxRuns runs and their total
// length in characters.
func Runs(s string, dst []Span) ([]Span, int) {
	dst = dst[:0]
	chars := 0
	start := -1
	for i, r := range s {
		if isRunSep(r) || r == '。' || r == '！' || r == '？' || r == '!' || r == '?' || r == '：' || r == ':' || r == '；' || r == ';' {
			if start >= 0 {
				dst = append(dst, Span{start, i})
				if len(dst) == MaxRuns {
					return dst, chars
				}
				start = -1
			}
			continue
		}
		if r == utf8.RuneError {
			continue
		}
		if start < 0 {
			start = i
		}
		chars++
	}
	if start >= 0 {
		dst = append(dst, Span{start, len(s)})
	}
	return dst, chars
}
