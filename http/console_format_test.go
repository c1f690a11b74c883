package http

import (
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0 s"},
		{350 * time.Millisecond, "350 ms"},
		{12 * time.Second, "12 s"},
		{45 * time.Minute, "45 min"},
		{72 * time.Minute, "1 h 12 min"},
		{259200 * time.Second, "3 d"},
		{52 * time.Hour, "2 d 4 h"},
		{-5 * time.Minute, "−5 min"},
	} {
		if got := humanDuration(c.in); got != c.want {
			t.Errorf("humanDuration(%v) = %q; want %q", c.in, got, c.want)
		}
	}
	if got := consoleDuration(int64(259200)); got != "3 d" {
		t.Errorf("consoleDuration(259200 s) = %q; want 3 d", got)
	}
	if got := consoleDuration(nil); got != "—" {
		t.Errorf("consoleDuration(nil) = %q; want —", got)
	}
}

func TestConsoleTime(t *testing.T) {
	at := time.Date(2026, 3, 3, 17, 30, 0, 0, time.UTC) // 01:30 next day in Shanghai
	got := string(consoleTime("2006-01-02 15:04")(at))
	if !strings.Contains(got, ">2026-03-04 01:30 UTC+8</time>") || !strings.Contains(got, `datetime="2026-03-03T17:30:00Z"`) {
		t.Errorf("consoleTime = %s; want the Shanghai time with its zone and the UTC instant", got)
	}
	if got := string(consoleTime("2006-01-02")((*time.Time)(nil))); got != "—" {
		t.Errorf("consoleTime(nil) = %q; want —", got)
	}
	if got := consoleDay(&at); got != "2026-03-04" {
		t.Errorf("consoleDay = %q; want 2026-03-04", got)
	}
	if got := zoneLabel(time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("IST", 19800))); got != "UTC+5:30" {
		t.Errorf("zoneLabel(IST) = %q; want UTC+5:30", got)
	}
}

func TestFormatFenAndFlag(t *testing.T) {
	if got := formatFen(-123456789); got != "-¥1,234,567.89" {
		t.Errorf("formatFen = %q", got)
	}
	if moneyClass(-1) != "neg" || moneyClass(0) != "" {
		t.Errorf("moneyClass does not flag negatives only")
	}
}

func TestConsoleLang(t *testing.T) {
	s := "正品"
	for _, c := range []struct {
		name string
		in   []any
		want string
	}{
		{"chinese", []any{"耐克 Air 运动鞋"}, ` lang="zh"`},
		{"english", []any{"Nike Air trainers"}, ""},
		{"fullwidth latin is not han", []any{"ＮＩＫＥ"}, ""},
		{"empty", []any{""}, ""},
		{"none", nil, ""},
		{"nil", []any{nil}, ""},
		{"second value", []any{"Nike", "仿品"}, ` lang="zh"`},
		{"pointer", []any{&s}, ` lang="zh"`},
		{"nil pointer", []any{(*string)(nil)}, ""},
		{"stringer-ish", []any{[]string{"a", "高仿"}}, ` lang="zh"`},
	} {
		if got := string(consoleLang(c.in...)); got != c.want {
			t.Errorf("%s: consoleLang(%q) = %q; want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestConsoleZhRuns(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Instant refund (极速退款 / 闪电退货)", `Instant refund (<span lang="zh">极速退款 / 闪电退货</span>)`},
		{"claims (广告法 第9条): review", `claims (<span lang="zh">广告法 第9条</span>): review`},
		{"安心购 bundle", `<span lang="zh">安心购</span> bundle`},
		{"SEO spam (蜘蛛池/站群/寄生虫) and link farms.", `SEO spam (<span lang="zh">蜘蛛池/站群/寄生虫</span>) and link farms.`},
		{`("外贸原单", "原单") & <b>`, `(&#34;<span lang="zh">外贸原单&#34;, &#34;原单</span>&#34;) &amp; &lt;b&gt;`},
		{"no chinese <i>", "no chinese &lt;i&gt;"},
		{"两个 word 词", `<span lang="zh">两个</span> word <span lang="zh">词</span>`},
		{"", ""},
	} {
		if got := string(consoleZhRuns(c.in)); got != c.want {
			t.Errorf("consoleZhRuns(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}
