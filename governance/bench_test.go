package governance

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"anxin"
	"anxin/rules"
)

// cpuTime returns the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bigLexicon returns n synthetic terms (random 2-4 character Chinese words
// and Latin words), seeded, so no real word is among them by design.
func bigLexicon(n int) *anxin.Lexicon {
	r := rand.New(rand.NewPCG(1, 2))
	l := &anxin.Lexicon{Name: "big", Version: 1, Active: true}
	seen := map[string]bool{}
	for len(l.Terms) < n {
		var b strings.Builder
		if r.IntN(4) == 0 {
			for range 5 + r.IntN(6) {
				b.WriteByte(byte('a' + r.IntN(26)))
			}
		} else {
			for range 2 + r.IntN(3) {
				b.WriteRune(rune(0x4e00 + r.IntN(0x9fa5-0x4e00)))
			}
		}
		p := b.String()
		if seen[p] {
			continue
		}
		seen[p] = true
		l.Terms = append(l.Terms, anxin.LexiconTerm{Pattern: p, Category: "bulk_" + strconv.Itoa(r.IntN(20)), Severity: 1 + r.IntN(5)})
	}
	return l
}

// typicalListings are listings with a title and about 200 characters of
// description, clean and violating.
var typicalListings = []*anxin.ListingCheck{
	{ID: "t1", Title: "2024新款 纯棉短袖T恤 男士宽松圆领 夏季透气百搭上衣", Category: "apparel", PriceFen: 5900, MerchantID: "m1",
		Description: strings.Repeat("精选新疆长绒棉面料，亲肤柔软，吸汗透气，不起球不变形。做工精细，走线整齐，多色可选，尺码齐全。", 3)},
	{ID: "t2", Title: "髙仿 LV 老花 手提包 原单 专柜品质 懂的来", Category: "bags", PriceFen: 29900, MerchantID: "m2",
		Description: strings.Repeat("细节对比正品无差别，五金logo清晰，皮质柔软，送防尘袋和小票，有问题加微信 abc123 详聊。", 3)},
	{ID: "t3", Title: "仿真植物 客厅装饰 高仿真绿萝盆栽 免浇水", Category: "plants", PriceFen: 3900, MerchantID: "m3",
		Description: strings.Repeat("高仿真度材质，叶片逼真，不褪色，适合客厅卧室办公室摆放，节日送礼首选。", 3)},
}

func benchEngine(b *testing.B, extra int) *Engine {
	b.Helper()
	p, err := DefaultPack()
	if err != nil {
		b.Fatal(err)
	}
	lexs := p.Lexicons
	if extra > 0 {
		lexs = append(lexs, bigLexicon(extra))
	}
	start := time.Now()
	e, err := New(lexs, p.Policy, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("compiled %d terms in %v", len(e.terms), time.Since(start))
	return e
}

// BenchmarkCheckListing measures the whole in-process check of a typical
// listing (normalise, scan, pattern detectors, word context, stuffing,
// signals, rules, evidence; no storage) with the default pack alone and with
// a 100,000-term lexicon added. Each runs twice: with every layer, and with
// the lexicon scan alone (lexicon_only), so the cost of the pattern,
// segmentation and stuffing layers is a ratio from the same run. It reports
// checks/s on one goroutine.
func BenchmarkCheckListing(b *testing.B) {
	for _, tc := range []struct {
		name  string
		extra int
	}{{"default_pack", 0}, {"default_pack+100k_terms", 100_000}} {
		e := benchEngine(b, tc.extra)
		for _, mode := range []string{"all_layers", "lexicon_only"} {
			b.Run(tc.name+"/"+mode, func(b *testing.B) {
				e := *e
				e.lexiconOnly = mode == "lexicon_only"
				benchChecks(b, func(i int) { e.CheckListing(typicalListings[i%len(typicalListings)], rules.Merchant{}, nil) })
			})
		}
	}
}

// typicalContent are comments and captions: clean, contact, news, stuffing.
var typicalContent = []*anxin.ContentItem{
	{ID: "c1", Kind: anxin.ContentComment, Text: "收到了，质量很好，尺码标准，物流也快，下次还来买。"},
	{ID: "c2", Kind: anxin.ContentComment, Text: "便宜出 有需要的加V信 meimei520 或打 138 0013 8000"},
	{ID: "c3", Kind: anxin.ContentComment, Text: "警方破获特大贩毒案，缴获冰毒20公斤，主犯被判死刑。"},
	{ID: "c4", Kind: anxin.ContentComment, Text: "国产精品-无码-中文字幕-在线观看-高清-免费"},
}

// BenchmarkCheckContent is BenchmarkCheckListing for short content.
func BenchmarkCheckContent(b *testing.B) {
	e := benchEngine(b, 0)
	for _, mode := range []string{"all_layers", "lexicon_only"} {
		b.Run("default_pack/"+mode, func(b *testing.B) {
			e := *e
			e.lexiconOnly = mode == "lexicon_only"
			benchChecks(b, func(i int) { e.CheckContent(typicalContent[i%len(typicalContent)], nil, rules.Merchant{}, nil) })
		})
	}
}

func benchChecks(b *testing.B, check func(i int)) {
	b.ReportAllocs()
	i := 0
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		check(i)
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "checks/s")
	// On a shared machine wall time includes waiting for a core; checks
	// per second of this process's CPU time is what one core sustains.
	b.ReportMetric(float64(i)/(cpuTime()-cpu0).Seconds(), "checks/cpu-s")
}
