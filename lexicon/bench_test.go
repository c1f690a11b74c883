package lexicon

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// packTerms is a stand-in for the default policy pack: coded counterfeit
// language, prohibited goods and diversion terms with pinyin, aliases and
// allow-contexts.
func packTerms() []Term {
	var ts []Term
	for _, p := range strings.Fields("高仿 精仿 复刻 超A 顶级A货 原版复刻 纯原 公司级 原单 尾单 外贸原单 工厂原单 跟单 莆田 同厂 原厂 专柜品质 专柜同款 正品品质 无差别 懂的来 懂的私 不解释 私聊 小窗 仿真枪 气枪 弓弩 匕首 冰毒 大麻 摇头丸 迷药 针孔摄像头 窃听器 代开发票 刷单 身份证 代孕 赌博 六合彩 象牙 壮阳 包治百病 祖传秘方 微信 全网最低 国家级") {
		ts = append(ts, Term{Pattern: p, Pinyin: true, Lexicon: "pack", Severity: 2})
	}
	ts = append(ts,
		Term{Pattern: "A货", Aliases: []string{"a huo"}},
		Term{Pattern: "1:1", Aliases: []string{"1比1"}},
		Term{Pattern: "仿真", Except: []string{"仿真植物", "仿真花"}},
		Term{Pattern: "replica", Aliases: []string{"rep1ica"}},
		Term{Pattern: "fake"}, Term{Pattern: "加V"}, Term{Pattern: "vx"},
	)
	return ts
}

// bigLexicon returns n distinct terms of 2..4 common characters, seeded.
func bigLexicon(n int) []Term {
	chars := make([]rune, 0, len(pinyinOf))
	for r := range pinyinOf {
		chars = append(chars, r)
	}
	slices.Sort(chars)
	rng := rand.New(rand.NewPCG(7, 7))
	seen := map[string]bool{}
	ts := make([]Term, 0, n)
	for len(ts) < n {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteRune(chars[rng.IntN(len(chars))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			ts = append(ts, Term{Pattern: w, Lexicon: "big", Kinds: []string{KindListing}})
		}
	}
	return ts
}

// A typical listing: a 30-character title and about 200 characters of
// description, with an evasive spelling and an innocent look-alike.
const listingText = "【官方旗舰】2024新款女士真皮单肩斜挎包 髙 仿 大牌同款 专柜品質 送礼盒 " +
	"本店所有商品均为实物拍摄，面料柔软舒适，做工精细，走线整齐，五金配件采用优质合金，不易掉色。" +
	"包身容量大，可以轻松放下手机、钱包、钥匙、化妆品等日常用品。适合上班、约会、逛街、旅行等多种场合。" +
	"另有仿真植物摆件赠送，数量有限先到先得。如有任何问题请联系在线客服，我们将竭诚为您服务，祝您购物愉快！"

// BenchmarkCheckListing measures Normalize + Scan of a typical listing
// against the pack plus a 100,000-term lexicon: the lexicon part of the
// publish-time check (the goal is well under 20 µs).
func BenchmarkCheckListing(b *testing.B) {
	m, err := Compile(append(packTerms(), bigLexicon(100000)...))
	if err != nil {
		b.Fatal(err)
	}
	if hits := m.Scan(Normalize(listingText), KindListing); len(hits) < 2 {
		b.Fatalf("Scan found %d hits; want the evasive 高仿 and 专柜品质 at least", len(hits))
	}
	b.SetBytes(int64(len(listingText)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		m.Scan(Normalize(listingText), KindListing)
	}
}

// BenchmarkNormalize measures normalisation alone on the same listing.
func BenchmarkNormalize(b *testing.B) {
	b.SetBytes(int64(len(listingText)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		Normalize(listingText)
	}
}

// cpuPerOp starts measuring the CPU time of the benchmark's thread; the
// returned function reports it per operation as cpu-ns/op, a steadier figure
// than wall time on a shared machine.
func cpuPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}

// threadCPU returns the CPU time the calling OS thread has used (Linux).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
