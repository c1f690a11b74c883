package http

import (
	"strconv"
	"strings"
)

// formatFen renders integer fen as yuan with two decimals and thousands
// separators, without floating point: 123456789 → "¥1,234,567.89".
func formatFen(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	yuan, fen := v/100, v%100
	s := strconv.FormatInt(yuan, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := "¥" + b.String() + "." + strconv.FormatInt(fen/10, 10) + strconv.FormatInt(fen%10, 10)
	if neg {
		return "-" + out
	}
	return out
}

// formatPct renders a fraction as a percentage with one decimal.
func formatPct(v float64) string {
	return strconv.FormatFloat(v*100, 'f', 1, 64) + " %"
}
