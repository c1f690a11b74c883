// Package langtag marks Chinese text in the English pages Anxin renders
// (the console and the report), so assistive technology reads each part in
// its language: marketplace text (titles, names, quotes) is mostly
// Chinese, the pages around it English.
package langtag

import (
	"html/template"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HasHan reports whether s contains a Han (Chinese) character.
func HasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// Runs escapes s and wraps each run of Chinese in it in
// <span lang="zh">, for English text that quotes Chinese ("Instant refund
// (极速退款)", a rule's explanation citing 广告法 第9条): marking the whole
// element would have a screen reader read the English as Chinese. Two Han
// runs separated only by spaces, digits or punctuation are one run.
func Runs(s string) template.HTML {
	var b strings.Builder
	last := 0 // end of what has been written
	for start := 0; start < len(s); {
		i := indexHan(s, start)
		if i < 0 {
			break
		}
		end := i
		for j := i; j < len(s); {
			k := indexHan(s, j)
			if k < 0 || strings.IndexFunc(s[end:k], unicode.IsLetter) >= 0 {
				break
			}
			_, n := utf8.DecodeRuneInString(s[k:])
			end, j = k+n, k+n
		}
		b.WriteString(template.HTMLEscapeString(s[last:i]))
		b.WriteString(`<span lang="zh">` + template.HTMLEscapeString(s[i:end]) + `</span>`)
		last, start = end, end
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String())
}

// indexHan returns the byte index of the first Han character in s at or
// after from, or -1.
func indexHan(s string, from int) int {
	i := strings.IndexFunc(s[from:], func(r rune) bool { return unicode.Is(unicode.Han, r) })
	if i < 0 {
		return -1
	}
	return from + i
}
