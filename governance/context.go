package governance

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"anxin"
	"anxin/lexicon"
	"anxin/segment"
)

// Intent cues. An offer cue near a risky term raises it (the term lands in
// offered as well as hits); a caution cue near it, with no offer cue, lowers
// it (the term moves from hits to cautioned). News and legal cues lower a
// term even when an offer verb is near, because reports of a crime name the
// act (非法出售…被判). A contact detail in the same text always counts as an
// offer, except against news cues. Cues are matched on the normalised text
// and count only as words of their own in the segmented text (出 in 出冰毒,
// not in 出现).
var (
	offerCues = []string{"出售", "卖", "售", "代办", "加我", "联系我", "有货", "出", "收", "批发", "现货", "包邮", "下单",
		"私聊", "私信", "私我", "货到付款", "代购", "供应", "低价", "需要的", "要的来", "量大从优", "秒发", "发货", "价格",
		"转让", "出租", "求购", "回收", "代发", "一手货源", "货源", "渠道", "全国送", "包过", "专业办理", "办理", "有意者",
		"咨询", "订购", "出货", "上门", "都能办", "都能做", "都可以做", "都可以办", "帮你办", "给你办", "帮你做", "都能配",
		"都能搞", "能搞", "我这有", "我这边有", "找我", "私发", "打包卖", "带走",
		// A host's spoken offer of what is named before or after: it can be
		// sent, is plentiful, is brought in town, is rented or sold to the host.
		"能发", "都能发", "管够", "同城可以送", "同城送", "找我拿", "私我拿", "租给我", "租给我们", "卖给我", "卖给我们",
		"都能约", "可以约", "给你做", "做一张", "注册就送", "也能买", "也能买到", "找我拿点", "专门帮人", "帮人修复", "帮你修复",
		"不成功不收费", "借我们", "借给我们", "给我们用", "看我简介", "看我的简介", "专门处理", "团队专门",
		// Spoken offers in a stream: the host asks those who want it to type
		// a sign, says the goods are with them, or pulls buyers into a group.
		"扣1", "扣个1", "扣一", "扣个一", "想要的扣", "要的扣", "有需要的", "我这里有", "我这儿有", "我们这有", "我们这里有",
		"咱家有", "来拿", "要的私", "拉你进群", "拉你们进群", "进群", "帮你搞", "帮你弄", "给你弄", "给你搞", "可以搞", "能弄", "帮你改", "能帮你", "帮你们", "有关系", "有门路", "我们有", "sell", "selling", "for sale", "buy now", "order now", "dm me", "contact me", "in stock",
		"wholesale", "cheap"}
	cautionCues = []string{"戒", "戒毒", "戒赌", "戒烟", "戒色", "戒酒", "警惕", "揭秘", "谨防", "骗局", "曝光", "举报", "防范",
		"提醒", "提防", "小心", "当心", "远离", "拒绝", "危害", "科普", "辟谣", "真相", "后果", "识别", "鉴别", "辨别", "防骗",
		"反诈", "禁毒", "不能治愈", "无法治愈", "虚假", "违法", "非法", "犯罪", "严禁", "禁止", "切勿", "别信", "不卖", "不售",
		"不出售", "拒售", "上当", "冒充", "假冒", "不会要求", "不会让", "绝不会", "从不会", "never ask", "受骗", "诈骗", "被骗", "骗了", "骗子", "提示", "假的", "history", "historical", "documentary", "museum", "explains",
		"novel", "话术", "套路", "敲诈", "千万别", "骗人", "骗钱", "骗老人", "禁寄", "不能持有", "拉黑", "别买", "不要买",
		"别去", "不要去", "不做", "不支持", "别搞", "别碰", "不要碰",
		// No protection off the platform, and a buyer who did not take up what
		// someone offered (客服说可以加微信…，我没加).
		"平台不管", "平台不负责", "没有保障", "没保障", "不受保障", "没法帮", "没办法帮", "帮不了你", "没人管", "没人负责", "我没加", "我没理", "没理他",
		"没理她", "我没信", "不要相信", "别相信", "别理", "都别理", "不要理", "谁让你", "联系你的人", "加你的人", "私聊你的人", "私信你的人", "不要信", "不私聊", "只在平台", "只在直播间", "只在店里", "没上当", "我没进", "没进群", "被盗", "盗号", "beware", "scam", "scam alert", "warning", "avoid", "illegal", "how to spot",
		"scams", "scammer", "scammers", "a scam", "fraud", "quit", "quitting", "stay away", "refused", "i refused",
		"reported it", "reported them", "do not trust", "don't trust", "never pay"}
	newsCues = []string{"被判", "判处", "判刑", "获刑", "入狱", "警方", "公安", "民警", "派出所", "抓获", "破获", "落网", "被捕",
		"逮捕", "拘留", "刑拘", "检察院", "法院", "起诉", "立案", "查处", "查获", "缴获", "打击", "专项行动", "通报", "据报道",
		"记者", "新闻", "报道", "案件", "嫌疑人", "涉嫌", "报警", "警察", "案子", "治理", "拦截", "违禁品", "取缔", "侦破", "打掉",
		"收缴", "被抓", "抓了", "封号", "封卡", "被封", "罚款", "被罚", "处罚", "监管局", "下架", "封禁", "不受法律保护", "不受平台保障", "不受保护",
		"风险提示", "温馨提示",
		// The legal consequence of an act names it without offering it.
		"构成", "帮信罪", "案底", "刑事责任", "坐牢", "判刑的", "arrested", "sentenced", "police", "convicted", "jailed", "seized",
		"court", "charged with", "reported"}
	// negators before an offer cue turn it into a caution: 不卖, 禁止出售.
	negators = []string{"不", "没", "别", "勿", "禁止", "严禁", "非法", "拒绝", "不得", "切勿", "谨防", "绝不", "从不", "不会", "不要", "dont", "don't", "never", "no"}
)

// Cue classes, as the Category of the cue terms.
const (
	cueOffer   = "offer"
	cueCaution = "caution"
	cueNews    = "news"
)

// Distances, in characters of the normalised text, within which a cue acts.
const (
	offerReach   = 12
	cautionReach = 12
	newsReach    = 30
	maxCueBytes  = 64 // longer than any cue
)

// cues returns the matcher of every intent cue, compiled once.
var cues = builtinMatcher("intent", cueList{cueOffer, offerCues}, cueList{cueCaution, cautionCues}, cueList{cueNews, newsCues})

// cueList is a built-in word list and the category its words match as.
type cueList struct {
	cat   string
	words []string
}

// builtinMatcher returns a function that compiles the lists into one
// matcher the first time it is called and returns that matcher after.
// The lists are the engine's own, so one that does not compile is a
// programming error and panics.
func builtinMatcher(name string, lists ...cueList) func() *lexicon.Matcher {
	return sync.OnceValue(func() *lexicon.Matcher {
		var ts []lexicon.Term
		for _, l := range lists {
			for _, w := range l.words {
				ts = append(ts, lexicon.Term{Pattern: w, Category: l.cat, Lexicon: name})
			}
		}
		m, err := lexicon.Compile(ts)
		if err != nil {
			panic("governance: " + name + " cues do not compile: " + err.Error())
		}
		return m
	})
}

// cautionable reports whether a neutral category is still lowered by warning
// and news cues: a contact word in a warning about off-platform trade.
func cautionable(category string) bool { return category == "contact" }

// impersonates reports whether a category's texts pose as the police, a
// court or a bank, so that news cues (公安, 涉嫌, 法院) are part of the offence
// and do not lower it; warning cues still do.
func impersonates(category string) bool { return category == "phishing" }

// weakPhishing reports whether a category is the weak phishing wording
// (phishing_pretext, phishing_ask) that blocks only as a pair: caution cues
// that are part of a scam's own script (scamScript) do not lower it, so
// 涉嫌非法集资 or 按提示操作 still counts, and a news cue inside one of its
// hits (涉嫌 of 涉嫌违规交易) is no cue at all. Other news cues still lower
// it, so a report of a scam that names its pretext and its demand is not
// taken for the scam. The strong phishing terms keep every caution cue,
// since a warning that quotes them (提示：转入安全账户的都是诈骗) is common.
func weakPhishing(category string) bool {
	return category == "phishing_pretext" || category == "phishing_ask"
}

// scamScript reports whether a caution cue is also the vocabulary of the
// scams that pose as the police, a court or a bank (涉嫌诈骗, 非法集资,
// 按提示操作): it does not lower the weak phishing categories, whose
// warnings use the other cues (警惕, 骗子, 冒充, 不会要求…).
func scamScript(cue string) bool {
	switch cue {
	case "非法", "违法", "犯罪", "诈骗", "提示", "提醒", "严禁", "禁止", "虚假", "后果", "illegal", "warning":
		return true
	}
	return false
}

// topic reports whether a category holds bare topic nouns (a weapon part,
// a precursor, a credit record, a ready-made account named alone), which
// only an offer of the thing itself raises: a service or trade cue (出,
// 都能做, 找我), not the cues of ordinary goods (包邮, 现货, 下单) that any
// listing has.
func topic(category string) bool { return strings.HasPrefix(category, "topic_") }

// shopCues are the offer cues of ordinary goods that any listing has
// (包邮, 现货, 下单); every other offer cue offers the thing named itself.
var shopCues = []string{"批发", "现货", "包邮", "下单", "货到付款", "代购", "低价", "需要的", "要的来", "量大从优", "秒发", "发货",
	"价格", "代发", "一手货源", "货源", "渠道", "全国送", "办理", "咨询", "订购", "出货", "上门", "带走", "buy now", "order now",
	"in stock", "wholesale", "cheap"}

// serviceCue reports whether an offer cue offers the thing named rather
// than goods around it.
func serviceCue(cue string) bool { return !slices.Contains(shopCues, cue) }

// neutral categories are not risky nouns: intent does not apply to them.
func neutral(category string) bool {
	switch category {
	case "brand", "contact", "ad_absolute":
		return true
	}
	return false
}

// Intents of a hit.
const (
	intentNone int8 = iota
	intentOffer
	intentCaution
)

// fieldContext is what word context decided for the hits of one text.
type fieldContext struct {
	drop   []bool // the hit is a word term not on word boundaries
	intent []int8
	cue    []int // index into cueHits of the deciding cue, -1 when none
	cues   []lexicon.Hit
}

func (c *fieldContext) dropped(i int) bool { return c.drop != nil && c.drop[i] }

func (c *fieldContext) intentOf(i int) int8 {
	if c.intent == nil {
		return intentNone
	}
	return c.intent[i]
}

// contextScratch is context's reusable storage, part of a check's scratch.
type contextScratch struct {
	cueHits []lexicon.Hit
	drop    []bool
	intent  []int8
	cue     []int
	bounds  []bool
	ends    []int
}

// reuse returns s[:n] zeroed, growing s when it is too short.
func reuse[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 16))
	}
	s = s[:n]
	clear(s)
	return s
}

// context applies word context to the hits of t: word terms off a word
// boundary are dropped, and each risky hit gets the intent of the cues near
// it. contact reports a contact detail in the text. It does nothing for a
// text without hits. The result lives in sc and is valid until the next
// call with the same sc.
func (e *Engine) context(sc *scratch, t lexicon.Text, hits []lexicon.Hit, contact bool) fieldContext {
	var c fieldContext
	if len(hits) == 0 {
		return c
	}
	needSeg, risky := false, false
	for _, h := range hits {
		needSeg = needSeg || e.word[h.Term]
		risky = risky || !neutral(e.terms[h.Term].Category) || cautionable(e.terms[h.Term].Category)
	}
	if !needSeg && !risky {
		return c
	}
	var cueHits []lexicon.Hit
	if risky {
		sc.ctx.cueHits = cues().AppendScan(sc.ctx.cueHits[:0], t, "")
		cueHits = sc.ctx.cueHits
		for _, h := range cueHits {
			needSeg = needSeg || h.End-h.Start <= 3 // a one-character cue must be a word of its own
		}
	}
	var bounds []bool
	if needSeg {
		sc.ctx.bounds = segment.Default().Boundaries(t.Norm, sc.ctx.bounds)
		bounds = sc.ctx.bounds
	}
	at := func(p int) bool { return bounds == nil || bounds[p] || gapAt(t, p) }
	sc.ctx.drop = reuse(sc.ctx.drop, len(hits))
	c.drop = sc.ctx.drop
	for i, h := range hits {
		if e.word[h.Term] && !(at(h.Start) && at(h.End)) {
			c.drop[i] = true
		}
	}
	if !risky {
		return c
	}
	// Keep the cues that are words of their own; an offer cue after a
	// negator becomes a caution.
	kept := cueHits[:0]
	for _, h := range cueHits {
		if !(at(h.Start) && at(h.End)) || complementOut(t.Norm, h, cues().Terms()[h.Term].Pattern) {
			continue
		}
		if cues().Terms()[h.Term].Category == cueOffer && (sellsGenuine(t, h) || sellsOnlyHere(t, h)) {
			continue // 只卖正品: no offer of the replica named beside it
		}
		if cues().Terms()[h.Term].Category == cueOffer && (negated(t.Norm[:h.Start]) || clauseNegated(t.Source(), h.OrigStart) || judgedScam(t.Source(), h.OrigEnd)) {
			h.Term = -1 // marks a negated offer: a caution
		}
		if h.Term >= 0 && cues().Terms()[h.Term].Category == cueNews && e.insideWeakPhishing(hits, h) {
			continue // 涉嫌 of 涉嫌违规交易: the scam's own phrase, not a report
		}
		kept = append(kept, h)
	}
	quotedOffers(t.Source(), kept)
	c.cues = kept
	sc.ctx.ends = sentenceEnds(t.Source(), sc.ctx.ends[:0])
	sentences := sc.ctx.ends
	sc.ctx.intent, sc.ctx.cue = reuse(sc.ctx.intent, len(hits)), reuse(sc.ctx.cue, len(hits))
	c.intent, c.cue = sc.ctx.intent, sc.ctx.cue
	priced := hasPrice(t.Source()) // a price is an offer: no warning cue lowers it
	about, script := aboutHarm(t, kept, sentences, contact || priced, sc.env.Kind == anxin.ContentComment)
	for i, h := range hits {
		c.cue[i] = -1
		cat := e.terms[h.Term].Category
		if c.drop[i] || neutral(cat) && !cautionable(cat) {
			continue
		}
		sent := sentenceOf(sentences, h.OrigStart)
		best := [3]int{-1, -1, -1} // offer, caution, news: nearest cue
		bestD := [3]int{1 << 30, 1 << 30, 1 << 30}
		// Cues are ordered by start; only those within reach in bytes (a
		// character is at most 4) can be within reach in characters.
		lo, _ := slices.BinarySearchFunc(kept, h.Start-newsReach*4-maxCueBytes, func(c lexicon.Hit, p int) int { return c.Start - p })
		for j := lo; j < len(kept) && kept[j].Start <= h.End+newsReach*4; j++ {
			cu := kept[j]
			if sentenceOf(sentences, cu.OrigStart) != sent {
				continue
			}
			d := runeDistance(t.Norm, h, cu)
			class := 1
			if cu.Term >= 0 {
				switch cues().Terms()[cu.Term].Category {
				case cueOffer:
					class = 0
				case cueNews:
					class = 2
				}
			}
			if class == 1 && weakPhishing(cat) && (cu.Start >= h.Start && cu.End <= h.End || cu.Term >= 0 && scamScript(cues().Terms()[cu.Term].Pattern)) {
				continue // the scam's own wording (涉嫌非法集资, 按提示操作), not a warning about it
			}
			if d < bestD[class] {
				best[class], bestD[class] = j, d
			}
		}
		if neutral(cat) {
			// A contact word is lowered by a warning or news cue (加QQ的都是骗子,
			// 打击站外交易) but never raised: it is not a risky noun.
			// A cue of ordinary goods (下单) farther than the warning does not
			// undo it: 卖家说私聊更便宜，我没理，直接在平台下单了.
			offerNear := bestD[0] <= offerReach && (bestD[0] <= bestD[1] || serviceCue(cues().Terms()[kept[best[0]].Term].Pattern))
			if !contact && (bestD[2] <= newsReach || bestD[1] <= cautionReach && !offerNear) {
				c.intent[i], c.cue[i] = intentCaution, best[1]
				if bestD[2] <= newsReach {
					c.cue[i] = best[2]
				}
			}
			continue
		}
		if impersonates(cat) {
			bestD[2] = 1 << 30 // its own wording names the police and the court
		}
		switch {
		case bestD[2] <= newsReach:
			c.intent[i], c.cue[i] = intentCaution, best[2]
		case !contact && !priced && !impersonates(cat) && !weakPhishing(cat) && askedAbout(t.Source(), sentences, sent, bestD[0] > offerReach):
			c.intent[i] = intentCaution // 这个手表是高仿的吗？: a question about it
		case !priced && !contact && bannedHere(t.Source(), h.OrigEnd):
			c.intent[i] = intentCaution // 弓弩是违禁的: the writer names it banned
		case denied(t, h) && !priced:
			c.intent[i] = intentCaution // 不是假货, 没收到过高仿: the writer denies it
		case contact:
			c.intent[i] = intentOffer
		case bestD[1] <= cautionReach && bestD[0] > offerReach && !priced:
			c.intent[i], c.cue[i] = intentCaution, best[1]
		case bestD[0] <= offerReach && (!topic(cat) || serviceCue(cues().Terms()[kept[best[0]].Term].Pattern)):
			c.intent[i], c.cue[i] = intentOffer, best[0]
		case about && !(script && (impersonates(cat) || weakPhishing(cat))):
			c.intent[i] = intentCaution // talk about a harm, with no offer anywhere
		}
	}
	return c
}

// askedAbout reports whether sentence n of src is a question about a hit
// in it: a question with no offer cue near the hit (noOffer), or one a
// reader's ask cue opens.
func askedAbout(src string, ends []int, n int, noOffer bool) bool {
	q, asked := questionAt(src, ends, n)
	return q && (noOffer || asked)
}

// insideWeakPhishing reports whether cue lies inside a hit of a weak
// phishing category.
func (e *Engine) insideWeakPhishing(hits []lexicon.Hit, cue lexicon.Hit) bool {
	for _, h := range hits {
		if h.Start <= cue.Start && cue.End <= h.End && weakPhishing(e.terms[h.Term].Category) {
			return true
		}
	}
	return false
}

// cueEvidence records the cues that decided an intent, once each.
func (c *fieldContext) cueEvidence(st *checkState, fieldName, text string) {
	var used []int
	for i, j := range c.cue {
		if j < 0 || slices.Contains(used, j) {
			continue
		}
		used = append(used, j)
		h := c.cues[j]
		class := cueCaution
		if h.Term >= 0 {
			class = cues().Terms()[h.Term].Category
		}
		term := "offer"
		if c.intent[i] == intentCaution {
			term = "caution"
		}
		st.evidence(anxin.Evidence{Kind: "intent", Field: fieldName, Term: term, Category: class,
			Quote: quote(text, h.OrigStart, h.OrigEnd), Start: h.OrigStart, End: h.OrigEnd})
	}
}

func negated(before string) bool {
	for _, n := range negators {
		if strings.HasSuffix(before, n) {
			return true
		}
	}
	return false
}

// runeDistance is the number of characters of norm between two spans (0
// when they touch or overlap). Latin letters count four to a character, so
// that a cue's reach covers about as many English words as Chinese ones
// (scam warnings in English put a few words between the cue and the term).
func runeDistance(norm string, a, b lexicon.Hit) int {
	var gap string
	switch {
	case b.Start >= a.End:
		gap = norm[a.End:b.Start]
	case a.Start >= b.End:
		gap = norm[b.End:a.Start]
	default:
		return 0
	}
	n, latin := 0, 0
	for _, r := range gap {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			latin++
			continue
		}
		n++
	}
	return n + (latin+3)/4
}

// sentenceEnds appends the byte offsets of the sentence terminators of s to
// out.
// Commas and colons do not end a sentence: a news sentence names the act and
// the sentence in one (…贩卖冰毒，被判有期徒刑).
func sentenceEnds(s string, out []int) []int {
	for i, r := range s {
		if sentenceEnd(r) {
			out = append(out, i)
		}
	}
	return out
}

// sentenceEnd reports whether r ends a sentence (see sentenceEnds).
func sentenceEnd(r rune) bool {
	switch r {
	case '。', '！', '？', '!', '?', '；', ';', '\n', '｡':
		return true
	}
	return false
}

func sentenceOf(ends []int, off int) int {
	n, _ := slices.BinarySearch(ends, off)
	return n
}

// gapAt reports whether the original text had a separator (removed by
// normalisation) at normalised offset p, or p is an edge.
func gapAt(t lexicon.Text, p int) bool {
	if p <= 0 || p >= len(t.Norm) {
		return true
	}
	_, w := utf8.DecodeLastRuneInString(t.Norm[:p])
	_, prevEnd := t.Original(p-w, p)
	nextStart, _ := t.Original(p, p+1)
	return nextStart > prevEnd
}
