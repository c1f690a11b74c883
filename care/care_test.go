package care

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"anxin"
)

var sh = anxin.MarketplaceTZ

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, sh)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestCalendarValidation(t *testing.T) {
	ok := BusinessCalendar()
	if _, err := NewCalendar(ok); err != nil {
		t.Fatalf("NewCalendar(business) = %v", err)
	}
	overlap := BusinessCalendar()
	overlap.Hours[1] = [][2]int{{540, 720}, {700, 800}}
	empty := anxin.Calendar{ID: "empty", TimeZone: "Asia/Shanghai"}
	badIv := BusinessCalendar()
	badIv.Hours[2] = [][2]int{{600, 600}}
	badHol := BusinessCalendar()
	badHol.Holidays = []string{"2026/10/01"}
	badTZ := BusinessCalendar()
	badTZ.TimeZone = "Mars/Olympus"
	alwaysHours := anxin.Calendar{ID: "x", AlwaysOpen: true}
	alwaysHours.Hours[0] = [][2]int{{0, 60}}
	for _, tt := range []struct {
		name string
		c    anxin.Calendar
		want string
	}{
		{"overlap", overlap, "overlapping"},
		{"empty", empty, "empty"},
		{"empty interval", badIv, "empty or outside"},
		{"holiday", badHol, "YYYY-MM-DD"},
		{"tz", badTZ, "time zone"},
		{"always with hours", alwaysHours, "always open"},
	} {
		_, err := NewCalendar(tt.c)
		if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.want) {
			t.Errorf("NewCalendar(%s) = %v; want Invalid mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestCalendarAdd(t *testing.T) {
	c := BusinessCalendar()
	c.Holidays = []string{"2026-10-01", "2026-10-02"}
	cal, err := NewCalendar(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		start  string
		budget time.Duration
		want   string
	}{
		{"2026-09-28 09:00:00", time.Hour, "2026-09-28 10:00:00"},                   // Monday morning
		{"2026-09-28 11:30:00", time.Hour, "2026-09-28 13:30:00"},                   // across the lunch break
		{"2026-09-28 07:00:00", time.Second, "2026-09-28 09:00:01"},                 // before opening
		{"2026-09-28 17:59:59", 2 * time.Second, "2026-09-29 09:00:01"},             // across the night
		{"2026-09-30 17:00:00", 2 * time.Hour, "2026-10-05 10:00:00"},               // Wed → holidays Thu/Fri, weekend → Mon
		{"2026-10-03 12:00:00", 8 * time.Hour, "2026-10-05 18:00:00"},               // Saturday start
		{"2026-09-28 09:00:00", 72 * time.Hour, "2026-10-12 18:00:00"},              // 72 business hours: 9 days of 8 h
		{"2026-09-28 09:00:00.700", 10 * time.Second, "2026-09-28 09:00:10"},        // truncated to the second
		{"2026-09-28 12:15:00", 0, "2026-09-28 12:15:00"},                           // zero budget
		{"2026-09-28 18:00:00", 3*time.Hour + 1*time.Second, "2026-09-29 13:00:01"}, // Tue 09–12 then 13:00:01
	} {
		start, _ := time.ParseInLocation("2006-01-02 15:04:05.000", tt.start+strings.Repeat(".000", btoi(!strings.Contains(tt.start, "."))), sh)
		got, err := cal.Add(start, tt.budget)
		if err != nil || !got.Equal(at(tt.want)) {
			t.Errorf("Add(%s, %v) = %v, %v; want %s", tt.start, tt.budget, got.In(sh), err, tt.want)
			continue
		}
		if tt.budget > 0 {
			if b := cal.Between(start, got); b != tt.budget {
				t.Errorf("Between(%s, %s) = %v; want %v", tt.start, tt.want, b, tt.budget)
			}
		}
	}
	if got, _ := AlwaysOpen.Add(at("2026-09-28 09:00:00"), 72*time.Hour); !got.Equal(at("2026-10-01 09:00:00")) {
		t.Errorf("AlwaysOpen.Add(72h) = %v", got.In(sh))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestClockPauseEscalateBreach(t *testing.T) {
	cal, _ := NewCalendar(BusinessCalendar())
	start := at("2026-09-28 09:00:00")
	c, err := StartClock(anxin.ClockResolution, 10*time.Hour, 8000, start, cal)
	if err != nil {
		t.Fatal(err)
	}
	// 8 business hours on Monday, 80 % of 10 h = 8 h → escalate at Mon 18:00.
	if !c.WarnAt.Equal(at("2026-09-28 18:00:00")) || !c.DueAt.Equal(at("2026-09-29 11:00:00")) {
		t.Fatalf("clock warn/due = %v / %v", c.WarnAt.In(sh), c.DueAt.In(sh))
	}
	// Pause after 2 h (waiting on the customer) for a day; resume Tue 09:00.
	Pause(&c, at("2026-09-28 11:00:00"), cal)
	if c.ConsumedS != 7200 || c.State != anxin.ClockPaused || c.DueAt != nil {
		t.Fatalf("paused clock = %+v", c)
	}
	if ev := Fire(&c, at("2026-10-30 00:00:00")); len(ev) != 0 {
		t.Fatalf("a paused clock fired %v", ev)
	}
	if err := Resume(&c, 8000, at("2026-09-29 09:00:00"), cal); err != nil {
		t.Fatal(err)
	}
	// 8 h left: Tue 09–12, 13–18 = 8 h → due Tue 18:00; warn after 6 h → Tue 16:00.
	if !c.WarnAt.Equal(at("2026-09-29 16:00:00")) || !c.DueAt.Equal(at("2026-09-29 18:00:00")) {
		t.Fatalf("resumed warn/due = %v / %v", c.WarnAt.In(sh), c.DueAt.In(sh))
	}
	if ev := Fire(&c, at("2026-09-29 15:59:59")); len(ev) != 0 {
		t.Fatalf("fired early: %v", ev)
	}
	if ev := Fire(&c, at("2026-09-29 16:00:00")); len(ev) != 1 || ev[0] != EventEscalated {
		t.Fatalf("Fire at warn = %v", ev)
	}
	if ev := Fire(&c, at("2026-09-30 10:00:00")); len(ev) != 1 || ev[0] != EventBreached || !c.BreachedAt.Equal(at("2026-09-29 18:00:00")) {
		t.Fatalf("Fire after due = %v, breached at %v", ev, c.BreachedAt)
	}
	if ev := Fire(&c, at("2026-12-30 10:00:00")); len(ev) != 0 {
		t.Fatalf("breach fired twice: %v", ev)
	}
	Stop(&c, at("2026-09-30 10:00:00"), cal)
	if c.State != anxin.ClockMissed {
		t.Fatalf("stopped breached clock state = %s", c.State)
	}
	c2, _ := StartClock(anxin.ClockFirstResponse, time.Hour, 8000, start, cal)
	Stop(&c2, start.Add(59*time.Minute), cal)
	if c2.State != anxin.ClockMet || c2.ConsumedS != 59*60 {
		t.Fatalf("met clock = %+v", c2)
	}
}

// context holds words that go with a group in real tickets but are not in
// its keyword list: a router trained on labelled tickets can learn them, a
// keyword list cannot.
var context = map[string][]string{
	anxin.GroupAfterSales:      {"商家不同意", "寄回去了", "审核", "seller refused"},
	anxin.GroupLogistics:       {"顺丰", "中通", "三天了", "驿站", "stuck in transit"},
	anxin.GroupQuality:         {"用了一次", "尺码不对", "材质", "cracked"},
	anxin.GroupCounterfeit:     {"专柜", "味道不一样", "logo", "batch code"},
	anxin.GroupAllergySafety:   {"医院", "脸上", "宝宝", "doctor"},
	anxin.GroupFreshProduce:    {"冰袋", "泡沫箱", "化了", "ice pack melted"},
	anxin.GroupLivestream:      {"回放", "福利", "秒杀", "during the show"},
	anxin.GroupMerchantSupport: {"类目", "上架", "资质", "my listings"},
	anxin.GroupIP:              {"品牌方", "权利人", "盗图", "our brand"},
	anxin.GroupPrivacySecurity: {"验证码", "陌生电话", "手机号", "someone called me"},
	anxin.GroupPayment:         {"银行卡", "余额", "没付成功", "wechat pay"},
	anxin.GroupComplaints:      {"第三次", "没人管", "要个说法", "nobody answers"},
}

// tickets returns synthetic labelled tickets: each mixes noise words, words
// that go with its group and usually one or two of its phrases (one time in
// three none), and one time in four a phrase of another group, so neither
// router can be perfect.
func tickets(n int, seed uint64) []Example {
	r := rand.New(rand.NewPCG(seed, 7))
	noise := []string{"订单号", "客服", "你好", "please", "thanks", "昨天", "下单", "asap", "东西", "商品", "问题", "what", "现在", "again"}
	out := make([]Example, n)
	for i := range out {
		g := Groups[r.IntN(len(Groups))]
		var b strings.Builder
		for j := 0; j < 2+r.IntN(4); j++ {
			b.WriteString(noise[r.IntN(len(noise))] + " ")
		}
		cw := context[g.ID]
		b.WriteString(cw[r.IntN(len(cw))] + " ")
		if r.IntN(3) != 0 {
			b.WriteString(g.Phrases[r.IntN(len(g.Phrases))] + " ")
		}
		if r.IntN(4) == 0 {
			o := Groups[r.IntN(len(Groups))]
			b.WriteString(o.Phrases[r.IntN(len(o.Phrases))] + " ")
		}
		if r.IntN(2) == 0 {
			b.WriteString(cw[r.IntN(len(cw))])
		}
		fmt.Fprintf(&b, " #%d", r.IntN(100000))
		out[i] = Example{Text: b.String(), Group: g.ID}
	}
	return out
}

func TestClassifier(t *testing.T) {
	all := append(SeedExamples(40, 1), tickets(6000, 2)...)
	train, test := Split(all, 5)
	if len(test) < 800 {
		t.Fatalf("held-out split has %d examples", len(test))
	}
	m := Train(train, DefaultOptions)
	acc := m.Accuracy(test)
	kw := NewKeywordRouter()
	ok := 0
	for _, e := range test {
		if kw.Route(e.Text) == e.Group {
			ok++
		}
	}
	kwAcc := float64(ok) / float64(len(test))
	t.Logf("held-out accuracy: classifier %.3f, keyword router %.3f (n=%d)", acc, kwAcc, len(test))
	if acc < 0.85 || acc < kwAcc {
		t.Errorf("classifier accuracy %.3f; want ≥ 0.85 and ≥ keyword router %.3f", acc, kwAcc)
	}
	// Deterministic: reversed order trains the same model.
	rev := make([]Example, len(train))
	for i, e := range train {
		rev[len(train)-1-i] = e
	}
	m2 := Train(rev, DefaultOptions)
	for _, e := range test[:200] {
		g1, p1 := m.Predict(e.Text)
		g2, p2 := m2.Predict(e.Text)
		if g1 != g2 || p1 != p2 {
			t.Fatalf("Predict(%q) = %s %v then %s %v after reordering", e.Text, g1, p1, g2, p2)
		}
	}
	// Encoding round-trips.
	b, _ := m.MarshalText()
	var m3 Model
	if err := m3.UnmarshalText(b); err != nil {
		t.Fatal(err)
	}
	if a := m3.Accuracy(test); a != acc {
		t.Errorf("decoded model accuracy %v; want %v", a, acc)
	}
	if err := m3.UnmarshalText([]byte("not a model")); err == nil {
		t.Error("UnmarshalText(garbage) = nil; want error")
	}
	if g, _ := m.Predict("买的小龙虾到了全是死虾，发臭了"); g != anxin.GroupFreshProduce {
		t.Errorf("Predict(dead crayfish) = %s; want fresh_produce", g)
	}
	if g, _ := m.Predict(""); g == "" {
		t.Error("Predict(\"\") returned no group")
	}
}

func FuzzClassifierPredict(f *testing.F) {
	m := Train(SeedExamples(10, 1), DefaultOptions)
	f.Add("退款 refund")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		g, p := m.Predict(s)
		if !anxin.ValidGroup(g) || p <= 0 || p > 1.0000001 {
			t.Fatalf("Predict(%q) = %q, %v", s, g, p)
		}
	})
}

// BenchmarkRoute compares the classifier with the keyword-rule router on
// the same tickets.
func BenchmarkRoute(b *testing.B) {
	ts := tickets(10000, 3)
	m := Train(append(SeedExamples(40, 1), tickets(5000, 4)...), DefaultOptions)
	kw := NewKeywordRouter()
	b.Run("classifier", func(b *testing.B) {
		i := 0
		for b.Loop() {
			m.Predict(ts[i%len(ts)].Text)
			i++
		}
	})
	b.Run("keyword", func(b *testing.B) {
		i := 0
		for b.Loop() {
			kw.Route(ts[i%len(ts)].Text)
			i++
		}
	})
}

// FuzzCalendar checks that any calendar NewCalendar accepts gives deadlines
// that Between measures back exactly, and that nothing panics.
func FuzzCalendar(f *testing.F) {
	f.Add(540, 720, 780, 1080, "2026-10-01", int64(3600), int64(1790000000))
	f.Add(0, 1440, 0, 0, "", int64(1), int64(0))
	f.Add(600, 500, 700, 900, "x", int64(-5), int64(1))
	f.Fuzz(func(t *testing.T, a0, a1, b0, b1 int, holiday string, budgetS, startS int64) {
		c := anxin.Calendar{ID: "f", TimeZone: "Asia/Shanghai", Holidays: []string{holiday}}
		c.Hours[1] = [][2]int{{a0, a1}, {b0, b1}}
		c.Hours[4] = [][2]int{{a0, a1}}
		cal, err := NewCalendar(c)
		if err != nil {
			return
		}
		budget := time.Duration(budgetS%(30*86400)) * time.Second
		start := time.Unix(startS%(4e9), 0).UTC()
		due, err := cal.Add(start, budget)
		if err != nil || budget <= 0 {
			return
		}
		if got := cal.Between(start, due); got != budget {
			t.Fatalf("Between(start, Add(start, %v)) = %v", budget, got)
		}
	})
}
