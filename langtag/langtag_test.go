package langtag

import "testing"

func TestRuns(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Instant refund", "Instant refund"},
		{"茶叶 · return rate", `<span lang="zh">茶叶</span> · return rate`},
		{"Instant refund (极速退款 / 闪电退货)", `Instant refund (<span lang="zh">极速退款 / 闪电退货</span>)`},
		{"<b>广告法</b> 第9条", `&lt;b&gt;<span lang="zh">广告法</span>&lt;/b&gt; <span lang="zh">第9条</span>`},
		{"", ""},
	} {
		if got := string(Runs(tt.in)); got != tt.want {
			t.Errorf("Runs(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	if !HasHan("a货") || HasHan("abc 123") {
		t.Error("HasHan")
	}
}
