package governance

import (
	"sort"
	"sync"

	"anxin"
	"anxin/detect"
	"anxin/lexicon"
)

// SEO stuffing: a title, comment or footer made of many short keyword runs
// joined by separators and dominated by adult or gambling vocabulary
// ("国产精品-无码-中文字幕-在线观看"). Ordinary product titles are also lists of
// short keywords ("夏季 女装 连衣裙 显瘦 碎花 长裙"); what tells them apart is
// the vocabulary, so the shape alone never decides.
const (
	SigSEOStuffing = "stuffing.seo"      // 1 when a stretch of keyword runs is spam
	SigSEORuns     = "stuffing.seo_runs" // spam runs in the worst stretch

	stuffMinRuns  = 5  // runs in a stretch
	stuffMaxChars = 10 // characters in a short run
	stuffMinSpam  = 60 // percent of the stretch's runs with spam vocabulary
	stuffMinHard  = 2  // runs with a lexicon hit of a spam category or a strong marker
)

// spamCategories are the lexicon categories that count as spam vocabulary.
func spamCategory(c string) bool {
	switch c {
	case "adult", "gambling", "seo_spam", "drugs":
		return true
	}
	return false
}

// Markers of SEO spam that are not prohibited words on their own. Strong
// ones hardly occur in an honest title; weak ones do (高清, 欧美, 免费) and
// only add to a stretch that strong ones already mark.
var (
	strongMarkers = []string{"无码", "有码", "一区二区", "二区", "三区", "人妻", "熟女", "乱伦", "番号", "一本道", "啪啪", "色综合",
		"国产精品", "精品国产", "国产自拍", "自拍偷拍", "麻豆传媒", "午夜影院", "成人影院", "黄色网站", "av在线", "在线av",
		"送彩金", "彩金", "首存", "返水", "娱乐城", "葡京", "威尼斯人", "太阳城", "北京赛车", "pk10", "快三", "时时彩", "六合彩", "棋牌游戏"}
	weakMarkers = []string{"在线观看", "免费观看", "高清", "视频", "免费", "下载", "最新", "永久", "地址", "入口", "日韩", "欧美",
		"亚洲", "国产", "精品", "福利", "激情", "午夜", "成人", "影院", "天堂", "久久", "91", "美女", "主播", "网红", "丝袜",
		"巨乳", "少妇", "萝莉", "av", "中文字幕", "彩票", "开户", "注册", "平台", "官网", "体育", "真人", "娱乐", "棋牌", "澳门",
		"赌场", "在线", "手机版", "app", "下注", "赔率", "老虎机"}
)

// markerMatcher returns the matcher of the stuffing markers, compiled once.
var markerMatcher = builtinMatcher("stuffing", cueList{"strong", strongMarkers}, cueList{"weak", weakMarkers})

var runsPool = sync.Pool{New: func() any { return new([]detect.Span) }}

// stuffing looks for stretches of short keyword runs in one field and
// reports the worst in the signals and as evidence. hits are the field's
// lexicon hits (after word context).
func (e *Engine) stuffing(st *checkState, fieldName, text string, t lexicon.Text, hits []lexicon.Hit) {
	rp := runsPool.Get().(*[]detect.Span)
	defer runsPool.Put(rp)
	runs, _ := detect.Runs(text, *rp)
	*rp = runs
	if len(runs) < stuffMinRuns {
		return
	}
	// Is there a stretch of enough short runs at all? Most texts stop here.
	streak, any := 0, false
	for _, r := range runs {
		if r.End-r.Start <= stuffMaxChars*4 && runeLen(text[r.Start:r.End]) <= stuffMaxChars {
			if streak++; streak >= stuffMinRuns {
				any = true
				break
			}
		} else {
			streak = 0
		}
	}
	if !any {
		return
	}
	// Per run: 2 = hard (a spam-category hit or a strong marker), 1 = weak.
	mark := make([]int8, len(runs))
	runOf := func(off int) int {
		i := sort.Search(len(runs), func(i int) bool { return runs[i].End > off })
		if i < len(runs) && runs[i].Start <= off {
			return i
		}
		return -1
	}
	for _, h := range hits {
		if spamCategory(e.terms[h.Term].Category) {
			if i := runOf(h.OrigStart); i >= 0 {
				mark[i] = 2
			}
		}
	}
	mm := markerMatcher()
	for _, h := range mm.Scan(t, "") {
		if i := runOf(h.OrigStart); i >= 0 {
			level := int8(1)
			if mm.Terms()[h.Term].Category == "strong" {
				level = 2
			}
			mark[i] = max(mark[i], level)
		}
	}
	bestSpam, bestFrom, bestTo := 0, -1, -1
	for i := 0; i < len(runs); {
		if runeLen(text[runs[i].Start:runs[i].End]) > stuffMaxChars {
			i++
			continue
		}
		j, spam, hard := i, 0, 0
		for j < len(runs) && runeLen(text[runs[j].Start:runs[j].End]) <= stuffMaxChars {
			if mark[j] > 0 {
				spam++
			}
			if mark[j] == 2 {
				hard++
			}
			j++
		}
		if n := j - i; n >= stuffMinRuns && spam*100 >= n*stuffMinSpam && hard >= stuffMinHard && spam > bestSpam {
			bestSpam, bestFrom, bestTo = spam, i, j-1
		}
		i = j
	}
	if bestFrom < 0 {
		return
	}
	st.sig[SigSEOStuffing] = 1
	st.sig[SigSEORuns] = max(st.sig[SigSEORuns], float64(bestSpam))
	s, en := runs[bestFrom].Start, runs[bestTo].End
	st.evidence(anxin.Evidence{Kind: "stuffing", Field: fieldName, Term: "keyword_runs", Category: "seo_spam", Quote: text[s:en], Start: s, End: en})
}

func runeLen(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}
