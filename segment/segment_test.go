package segment

import (
	"strings"
	"testing"
)

func TestSegment(t *testing.T) {
	seg := Default()
	tests := []struct{ text, want string }{
		{"天然象牙手串", "天然|象|牙|手串"}, // 象牙 is not a dictionary word: its edges are boundaries
		{"象牙白羊毛开衫", "象牙白|羊毛|开衫"},
		{"卖大麻", "卖|大|麻"},
		{"大麻花", "大|麻花"},
		{"枪灰色手机壳", "枪灰色|手机壳"},
		{"出冰毒", "出|冰|毒"},
		{"出现问题", "出现|问|题"},
		{"usba货号123", "usba|货号|123"},
		{"夏季女装连衣裙显瘦碎花长裙", "夏季|女装|连衣裙|显瘦|碎花|长裙"},
		{"iphone15pro256g", "iphone15pro256g"},
		{"a，b", "a|，|b"},
		{"", ""},
	}
	for _, tt := range tests {
		got := strings.Join(seg.Segment(tt.text), "|")
		if got != tt.want {
			t.Errorf("Segment(%q) = %q; want %q", tt.text, got, tt.want)
		}
	}
}

func TestBoundariesHostile(t *testing.T) {
	seg := Default()
	for _, s := range []string{"\xff\xfe象牙", strings.Repeat("象", 10000), "象\x00牙", strings.Repeat("麻花", 3000)} {
		b := seg.Boundaries(s, nil)
		if len(b) != len(s)+1 || !b[0] || !b[len(s)] {
			t.Errorf("Boundaries(%.20q): len %d, ends %v %v", s, len(b), b[0], b[len(b)-1])
		}
	}
	if seg.Len() < 1000 {
		t.Errorf("dictionary has %d words; want at least 1000", seg.Len())
	}
	if !seg.Contains("象牙白") || seg.Contains("冰毒") {
		t.Errorf("Contains: 象牙白 %v, 冰毒 %v; want true, false", seg.Contains("象牙白"), seg.Contains("冰毒"))
	}
}

func BenchmarkBoundaries(b *testing.B) {
	seg := Default()
	text := strings.Repeat("精选新疆长绒棉面料亲肤柔软吸汗透气不起球不变形做工精细走线整齐多色可选尺码齐全", 3)
	var dst []bool
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		dst = seg.Boundaries(text, dst)
	}
}
