// Package svgchart lays out and renders small server-side SVG charts for
// the console and the report, with no script and no library: text widths
// are estimated so that no two labels are placed over each other.
//
// Quality draws a quality-watch series: the daily rate, the normal-range
// band where the day had a baseline, the campaign windows shaded, and the
// alert days marked.
//
//	svg := svgchart.Quality(series, "fresh · return rate")
//	// svg is template.HTML, safe to place in an html/template
package svgchart

import (
	"math"
	"strconv"
)

// TextWidth estimates the width of s in SVG units at an 11px font: wide
// (CJK) characters about 11, others about 6.5.
func TextWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x1100 {
			w += 11
		} else {
			w += 6.5
		}
	}
	return w
}

// NiceCeil rounds v up to 1, 2, 4, 5, 6 or 8 times a power of ten (and
// to an even number from 2 up, so the middle tick is whole): 399 → 400,
// 37 → 40, 0.83 → 1.
func NiceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 4, 5, 6, 8, 10} {
		if c := m * p; c >= v*(1-1e-12) {
			if c >= 2 && math.Mod(c, 2) != 0 {
				c = math.Ceil(c/2) * 2
			}
			return c
		}
	}
	return 10 * p
}

// Pct formats a rate as a percentage with one decimal ("12.5 %"), or two
// when the value is under one percent and not zero.
func Pct(v float64) string {
	d := 1
	if v != 0 && math.Abs(v) < 0.01 {
		d = 2
	}
	return strconv.FormatFloat(v*100, 'f', d, 64) + " %"
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func num(v float64) string { return strconv.FormatFloat(round1(v), 'f', -1, 64) }
