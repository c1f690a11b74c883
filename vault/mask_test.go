package vault_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"anxin"
	"anxin/sim"
	"anxin/vault"
)

func TestNormalizeAndMaskPhone(t *testing.T) {
	tests := []struct{ in, want, mask string }{
		{"13812345678", "13812345678", "138****5678"},
		{"+86 138-1234-5678", "13812345678", "138****5678"},
		{"0086 13812345678", "13812345678", "138****5678"},
		{"8613812345678", "13812345678", "138****5678"},
		{"(199) 0000 1111", "19900001111", "199****1111"},
	}
	for _, tt := range tests {
		got, err := vault.NormalizePhone(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if m := vault.MaskPhone(tt.in); m != tt.mask {
			t.Errorf("MaskPhone(%q) = %q; want %q", tt.in, m, tt.mask)
		}
	}
	for _, bad := range []string{"", "12345", "12812345678", "1381234567", "138123456789", "138a2345678", "1+3812345678", strings.Repeat("1", 100), "021-12345678"} {
		if _, err := vault.NormalizePhone(bad); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("NormalizePhone(%q) = %v; want Invalid", bad, err)
		} else if strings.Contains(anxin.MessageOf(err), bad) && bad != "" {
			t.Errorf("NormalizePhone(%q) error repeats the input", bad)
		}
		if m := vault.MaskPhone(bad); m != "***********" {
			t.Errorf("MaskPhone(%q) = %q; want all stars", bad, m)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "*"}, {"张", "*"}, {"张三", "张*"}, {"张小三", "张*三"}, {"欧阳小明", "欧**"},
		{"  李四 ", "李*"}, {"Alice", "A**"}, {"阿依古丽·买买提", "阿**"},
	}
	for _, tt := range tests {
		if got := vault.MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	n1, _ := vault.NormalizeName(" 张　三 ")
	n2, _ := vault.NormalizeName("张三")
	if n1 != n2 {
		t.Errorf("NormalizeName folds spaces: %q vs %q", n1, n2)
	}
	if n, _ := vault.NormalizeName("John  SMITH"); n != "john smith" {
		t.Errorf("NormalizeName(John  SMITH) = %q", n)
	}
	for _, bad := range []string{"", "   ", "a\x00b", strings.Repeat("张", 65)} {
		if _, err := vault.NormalizeName(bad); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("NormalizeName(%q) = %v; want Invalid", bad, err)
		}
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in     string
		want   vault.Address
		masked string
	}{
		{"浙江省杭州市西湖区文三路100号", vault.Address{Province: "浙江省", City: "杭州市", District: "西湖区", Detail: "文三路100号"}, "浙江省杭州市西湖区****"},
		{"上海市 浦东新区 世纪大道1号2201室", vault.Address{Province: "上海市", City: "上海市", District: "浦东新区", Detail: "世纪大道1号2201室"}, "上海市浦东新区****"},
		{"北京市北京市朝阳区人民路5号1栋101室", vault.Address{Province: "北京市", City: "北京市", District: "朝阳区", Detail: "人民路5号1栋101室"}, "北京市朝阳区****"},
		{"上海市市辖区浦东新区世纪大道1号", vault.Address{Province: "上海市", City: "上海市", District: "浦东新区", Detail: "世纪大道1号"}, "上海市浦东新区****"},
		{"北京朝阳区建国路8号", vault.Address{Province: "北京市", City: "北京市", District: "朝阳区", Detail: "建国路8号"}, "北京市朝阳区****"},
		{"新疆维吾尔自治区乌鲁木齐市天山区解放路5号", vault.Address{Province: "新疆维吾尔自治区", City: "乌鲁木齐市", District: "天山区", Detail: "解放路5号"}, "新疆维吾尔自治区乌鲁木齐市天山区****"},
		{"广东省深圳市南山区科技园1栋", vault.Address{Province: "广东省", City: "深圳市", District: "南山区", Detail: "科技园1栋"}, "广东省深圳市南山区****"},
	}
	for _, tt := range tests {
		got, err := vault.ParseAddress(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if m := got.Masked(); m != tt.masked {
			t.Errorf("Masked(%q) = %q; want %q", tt.in, m, tt.masked)
		}
	}
	for _, bad := range []string{"", "文三路100号", "浙江省杭州市", "浙江省杭州市西湖区", "somewhere", "浙江省\x00杭州市西湖区路"} {
		if _, err := vault.ParseAddress(bad); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("ParseAddress(%q) = %v; want Invalid", bad, err)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138-1234-5678", "0086", "", "1", "+++", "８６１３８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := vault.NormalizePhone(s)
		if err != nil {
			if m := vault.MaskPhone(s); m != "***********" {
				t.Fatalf("MaskPhone of an invalid phone = %q", m)
			}
			return
		}
		if len(p) != 11 {
			t.Fatalf("NormalizePhone(%q) = %q: not 11 digits", s, p)
		}
		if q, err := vault.NormalizePhone(p); err != nil || q != p {
			t.Fatalf("NormalizePhone is not idempotent on %q: %q, %v", p, q, err)
		}
		if m := vault.MaskPhone(s); strings.Count(m, "*") != 4 || m[:3] != p[:3] || m[7:] != p[7:] {
			t.Fatalf("MaskPhone(%q) = %q", s, m)
		}
	})
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"浙江省杭州市西湖区文三路100号", "上海市浦东新区x", "省市区", "", "北京", "内蒙古自治区呼和浩特市新城区a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := vault.ParseAddress(s)
		if err != nil {
			return
		}
		if a.Province == "" || a.City == "" || a.District == "" || a.Detail == "" {
			t.Fatalf("ParseAddress(%q) = %+v with an empty part", s, a)
		}
		// The masked form is exactly the visible levels and a fixed mask, so
		// nothing of the detail can be in it. (Searching the masked text for
		// the detail gave false alarms when the detail repeats characters of
		// a visible level, as in "…000区0".)
		visible := a.Province + a.City + a.District
		if a.Province == a.City {
			visible = a.City + a.District
		}
		m := a.Masked()
		if !utf8.ValidString(m) || m != visible+"****" {
			t.Fatalf("Masked(%q) = %q; want %q then **** (detail %q)", s, m, visible, a.Detail)
		}
	})
}

func FuzzMaskName(f *testing.F) {
	for _, s := range []string{"张三", "张小三", "", "\xff\xfe", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := vault.MaskName(s)
		n := utf8.RuneCountInString(strings.TrimSpace(s))
		// Only the first character (and the last of a three-character
		// name) may come from the name; everything else is a star.
		kept := utf8.RuneCountInString(m) - strings.Count(m, "*")
		if !strings.Contains(m, "*") || kept > 2 || kept == 2 && n != 3 || n <= 1 && kept > 0 {
			t.Fatalf("MaskName(%q) = %q reveals too much", s, m)
		}
	})
}

func FuzzDecodeBlob(f *testing.F) {
	for _, s := range []string{"s1.", "s1.AAAA", "s1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "x", "s1.!!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := vault.DecodeBlob(s)
		if err == nil && len(raw) < 28 {
			t.Fatalf("DecodeBlob(%q) accepted %d bytes", s, len(raw))
		}
		if err != nil && !vault.IsTampered(err) {
			t.Fatalf("DecodeBlob(%q) = %v; want ErrTampered", s, err)
		}
	})
}

// TestSimulatedPII checks that every synthetic buyer the simulator makes
// normalises, parses and masks without revealing more.
func TestSimulatedPII(t *testing.T) {
	w := sim.Generate(sim.Config{Seed: 1, Days: 1})
	n := 0
	for id, p := range w.PII {
		if _, err := vault.NormalizePhone(p.Phone); err != nil {
			t.Fatalf("buyer %s phone: %v", id, err)
		}
		a, err := vault.ParseAddress(p.Address)
		if err != nil {
			t.Fatalf("buyer %s address: %v", id, err)
		}
		if strings.Contains(a.Masked(), a.Detail) || strings.HasSuffix(a.District, "市") && a.Province == a.City {
			t.Fatalf("buyer %s address parsed as %+v", id, a)
		}
		if m := vault.MaskName(p.Name); m == p.Name {
			t.Fatalf("buyer %s name not masked", id)
		}
		n++
	}
	if n < 1000 {
		t.Fatalf("only %d simulated buyers", n)
	}
}
