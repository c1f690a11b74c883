package lexicon

import "unicode/utf8"

// MinNumeralRun is the shortest run of digits and Chinese numerals that is
// read as a number: in "加我一三八一二三四五六七八" or "壹叁捌1234" the numerals
// become digits (13812345678), while ordinary words with one or two
// numerals (一比一, 三三两两, 六合彩) are left alone.
const MinNumeralRun = 4

// numeralDigit returns the digit a Chinese numeral stands for in a spelled
// number (幺 is how 1 is read out in phone numbers), or 0.
func numeralDigit(r rune) byte {
	switch r {
	case '零', '〇':
		return '0'
	case '一', '壹', '幺':
		return '1'
	case '二', '贰':
		return '2'
	case '三', '叁':
		return '3'
	case '四', '肆':
		return '4'
	case '五', '伍':
		return '5'
	case '六', '陆':
		return '6'
	case '七', '柒':
		return '7'
	case '八', '捌':
		return '8'
	case '九', '玖':
		return '9'
	}
	return 0
}

// numeralBits marks the BMP characters for which numeralDigit is not 0,
// and the traditional forms that fold to them (貳, 陸), so that Normalize
// notices a numeral with one load instead of a switch per character.
var numeralBits = func() (b [0x10000 / 64]uint64) {
	for r := rune(0x80); r < 0x10000; r++ {
		if numeralDigit(r) != 0 || r == '貳' || r == '陸' {
			b[r>>6] |= 1 << (r & 63)
		}
	}
	return b
}()

// foldNumeralRuns rewrites the Chinese numerals inside runs of at least
// MinNumeralRun digits and numerals of the normalised text buf as ASCII
// digits, keeping start (the map back to the original) in step. It returns
// buf and start unchanged when there is nothing to rewrite.
func foldNumeralRuns(buf []byte, start []int32) ([]byte, []int32) {
	type span struct{ from, to int }
	var spans []span
	runFrom, runLen, hasCN := -1, 0, false
	flush := func(end int) {
		if runLen >= MinNumeralRun && hasCN {
			spans = append(spans, span{runFrom, end})
		}
		runFrom, runLen, hasCN = -1, 0, false
	}
	for i := 0; i < len(buf); {
		c := buf[i]
		if c >= '0' && c <= '9' {
			if runFrom < 0 {
				runFrom = i
			}
			runLen++
			i++
			continue
		}
		if c < utf8.RuneSelf {
			flush(i)
			i++
			continue
		}
		r, w := utf8.DecodeRune(buf[i:])
		if numeralDigit(r) != 0 {
			if runFrom < 0 {
				runFrom = i
			}
			runLen++
			hasCN = true
		} else {
			flush(i)
		}
		i += w
	}
	flush(len(buf))
	if spans == nil {
		return buf, start
	}
	out := make([]byte, 0, len(buf))
	st := make([]int32, 0, len(start))
	k := 0
	for i := 0; i < len(buf); {
		r, w := utf8.DecodeRune(buf[i:])
		for k < len(spans) && spans[k].to <= i {
			k++
		}
		if k < len(spans) && spans[k].from <= i {
			if d := numeralDigit(r); d != 0 {
				out = append(out, d)
				st = append(st, start[i])
				i += w
				continue
			}
		}
		out = append(out, buf[i:i+w]...)
		st = append(st, start[i:i+w]...)
		i += w
	}
	return out, st
}
