package lexicon

import "testing"

func TestNormalizeNumerals(t *testing.T) {
	tests := []struct {
		in, want, quote string // quote: the original text behind the digits
	}{
		{"加我一三八一二三四五六七八", "加我13812345678", "一三八一二三四五六七八"},
		{"电话 幺三八 1234 五六七八", "电话13812345678", "幺三八 1234 五六七八"},
		{"壹叁捌贰", "1382", "壹叁捌贰"},
		{"貳陸貳陸", "2626", "貳陸貳陸"},
		{"1三8九", "1389", "1三8九"},
		{"一比一复刻", "一比一复刻", ""},
		{"三三两两", "三三两两", ""},
		{"六合彩 一二三", "六合彩一二三", ""},
		{"十一", "十一", ""},
	}
	for _, tt := range tests {
		got := Normalize(tt.in)
		if got.Norm != tt.want {
			t.Errorf("Normalize(%q) = %q; want %q", tt.in, got.Norm, tt.want)
			continue
		}
		if again := Normalize(got.Norm).Norm; again != got.Norm {
			t.Errorf("Normalize(Normalize(%q)) = %q; not idempotent", tt.in, again)
		}
		if tt.quote == "" {
			continue
		}
		first := 0
		for first < len(got.Norm) && (got.Norm[first] < '0' || got.Norm[first] > '9') {
			first++
		}
		if q := got.Quote(first, len(got.Norm)); q != tt.quote {
			t.Errorf("Normalize(%q).Quote(digits) = %q; want %q", tt.in, q, tt.quote)
		}
	}
}
