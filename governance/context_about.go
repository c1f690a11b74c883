package governance

import (
	"strings"
	"unicode/utf8"

	"anxin/lexicon"
)

// Talk about a harm. A text that warns about, reports on, explains, asks
// about or looks back on a harm names it without offering it: 平台禁止发布
// 枪支、毒品、假证; 科普：三棱刮刀、弹簧刀都属于管制刀具; 我以前沉迷网赌, 现在戒了.
// Such a text has an about cue somewhere (a caution or news cue, a question
// mark, a look back) and no sign of an offer anywhere: no offer cue that is
// not negated, no contact detail, no price. Its risky hits are lowered even
// when no cue is near them. One clear sign of an offer anywhere keeps the
// near-cue rules of context, so 警惕假货！我家顶级复刻，加我 still counts.

// pastCues look back on a harm: the writer did it once and tells of it.
var pastCues = []string{"以前", "曾经", "之前", "去年", "后来", "当年", "那时候", "戒了", "戒掉", "退出", "上岸了", "不玩了", "不玩了"}

// looksBack reports a past cue in norm that looks back on the writer's
// own past; 到后来 ("in the end") of a testimonial (喝到后来药都停了) does not,
// nor does 之前的 naming an earlier thing (之前的会原路退回: the first payment).
func looksBack(norm string) bool {
	for _, c := range pastCues {
		for i := 0; ; {
			k := strings.Index(norm[i:], c)
			if k < 0 {
				break
			}
			end := i + k + len(c)
			if !(c == "后来" && strings.HasSuffix(norm[:i+k], "到")) && !(c == "之前" && strings.HasPrefix(norm[end:], "的")) {
				return true
			}
			i += k + len(c)
		}
	}
	return false
}

// clauseNegators negate an offer cue anywhere later in their clause, so a
// list of banned acts is not an offer (本群禁止发广告、发代办信用卡) and neither
// is a seller reported for it (举报了一个卖迷幻药的账号).
var clauseNegators = []string{"禁止", "严禁", "不得", "不准", "不允许", "切勿", "举报", "曝光", "揭秘", "所谓", "自称", "谨防", "警惕", "问我",
	"有人在", "看到有人", "别人在"}

// clauseNegated reports whether a clause negator comes before the cue at
// start (an offset of the original text src) within its clause (clauses end
// at ，：。！？；, which normalisation removes, so src is the original).
func clauseNegated(src string, start int) bool {
	i := start
	for n := 0; i > 0 && n < 24; n++ {
		r, w := utf8.DecodeLastRuneInString(src[:i])
		if clauseEnd(r) {
			break
		}
		i -= w
	}
	return containsAny(lexicon.Normalize(src[i:start]).Norm, clauseNegators)
}

// scamVerdicts judge what comes before them in the sentence a scam or a
// lie (加我好友的那个人是骗子, 说能私下便宜的都是假的).
var scamVerdicts = []string{"是骗子", "是骗局", "是骗人的", "是诈骗", "是假的", "不可信", "是骗钱的", "是坑人的", "是忽悠人的",
	"是违法的", "是犯法的", "是智商税", "是陷阱", "是套路", "属于违法", "违法行为", "属于犯罪", "是犯罪",
	"举报了", "已举报", "拉黑了", "已拉黑", "我没理", "没理他", "没理她", "我没加", "我拒绝了", "我没信", "我没进"}

// judgedScam reports whether the sentence of the cue ending at end (an
// offset of the original text src) goes on, within 30 characters, to one
// of scamVerdicts not itself denied (不是骗子 is a seller's reassurance).
func judgedScam(src string, end int) bool {
	return judged(src, end, 30, sentenceEnd, scamVerdicts)
}

// banVerdicts say that the thing just named is banned (弓弩是违禁的,
// 这种刀属于管制刀具): a host or a writer who names it so is not offering it.
var banVerdicts = []string{"是违禁", "属于违禁", "都是违禁", "是违法", "属于违法", "是犯法", "是管制", "属于管制", "都是管制",
	"是禁止", "是不允许", "不能卖", "不让卖", "不能买", "不能带", "不能寄", "不能邮寄", "禁止邮寄", "不能快递"}

// bannedHere reports whether the clause of the hit ending at end (an offset
// of the original text src) goes on, within 12 characters, to one of
// banVerdicts not itself denied (不是违禁的).
func bannedHere(src string, end int) bool {
	return judged(src, end, 12, clauseEnd, banVerdicts)
}

// judged reports whether src after end, up to limit characters or the
// first rune stop reports, holds one of verdicts not preceded by 不, 非 or 没.
func judged(src string, end, limit int, stop func(rune) bool, verdicts []string) bool {
	rest := src[end:]
	n := 0
	for i, r := range rest {
		if n == limit || stop(r) {
			rest = rest[:i]
			break
		}
		n++
	}
	for _, v := range verdicts {
		k := strings.Index(rest, v)
		if k < 0 {
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(rest[:k])
		if prev != '不' && prev != '非' && prev != '没' {
			return true
		}
	}
	return false
}

func clauseEnd(r rune) bool {
	switch r {
	case '，', ',', '：', ':', '。', '！', '!', '？', '?', '；', ';', '\n':
		return true
	}
	return false
}

// hasPrice reports a price in s: digits followed by 元 or 块, or after ¥.
func hasPrice(s string) bool {
	prevDigit := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			prevDigit = true
			continue
		case (r == '元' || r == '块') && prevDigit:
			return true
		case r == '¥' || r == '￥':
			return true
		}
		prevDigit = false
	}
	return false
}

// aboutHarm reports whether the text talks about harms rather than offering
// them: any cue of the about kinds and no offer sign. script is false when
// the only about cues are ones a police or bank scam uses itself (提醒, 警方,
// 涉嫌); such a text is not lowered for the phishing categories.
// offered reports a contact detail or a price in the text.
//
// In a comment (a buyer's review, question or chat) a claim the writer
// reports from someone else (听说, 卖家说, 宣传说) is talk about it too: a
// seller's comment that offers something carries an offer sign.
func aboutHarm(t lexicon.Text, kept []lexicon.Hit, ends []int, offered, comment bool) (about, script bool) {
	if offered {
		return false, false
	}
	nonScript := false
	for _, h := range kept {
		if h.Term < 0 {
			about, nonScript = true, true
			continue
		}
		ct := cues().Terms()[h.Term]
		switch ct.Category {
		case cueOffer:
			return false, false
		case cueCaution:
			about = true
			nonScript = nonScript || !scamScript(ct.Pattern)
		case cueNews:
			about = true
		}
	}
	if asks(t) || comment && containsAny(t.Norm, reportCues) {
		about, nonScript = true, true
	}
	if asksWithin(t.Source(), ends) {
		about = true // a scam may open with a question too (你是不是买了…？)
	}
	if looksBack(t.Norm) {
		about, nonScript = true, true
	}
	return about, about && !nonScript
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// reportCues attribute a claim to someone other than the writer.
var reportCues = []string{"听说", "据说", "有人说", "别人说", "朋友说", "卖家说", "客服说", "主播说", "店家说", "商家说",
	"宣传说", "广告说", "包装上说", "医生说", "都说", "号称", "说是", "律师说", "警察说", "民警说"}

// denyCues deny what follows them: 不是假货, 并非高仿, 从来没收到过假货, 不含
// 火药, no gunpowder.
var denyCues = []string{"不是", "并非", "绝非", "不像", "没收到过", "没买到过", "没遇到过", "不含", "没有", "无", "not", "not a", "isnt",
	"isn't", "no", "without", "free of"}

// denied reports whether the text t before hit h ends with a denial. A
// Latin denial must be a word of its own (no, not the end of casino).
func denied(t lexicon.Text, h lexicon.Hit) bool {
	before := t.Norm[:h.Start]
	for _, d := range denyCues {
		if !strings.HasSuffix(before, d) {
			continue
		}
		if d[0] >= 'a' && d[0] <= 'z' && !(gapAt(t, h.Start-len(d)) && gapAt(t, h.Start)) {
			continue
		}
		if (d == "没有" || d == "无") && strings.HasSuffix(before[:len(before)-len(d)], "有") {
			continue // 有没有一类卡, 有无: a question, or a solicit
		}
		return true
	}
	return false
}

// askCues open a question from a buyer or reader; a seller's rhetorical
// question (征信花了？包下款) comes before an offer instead.
var askCues = []string{"请问", "求问", "想问", "为什么", "有没有人", "有人知道", "谁知道", "怎么举报", "怎么投诉", "怎么办",
	"有人问", "有宝宝问", "有家人问", "有朋友问", "有粉丝问"}

// asks reports whether the text is a question: it ends with a question mark
// or opens one with an ask cue.
func asks(t lexicon.Text) bool {
	src := strings.TrimRight(t.Source(), " \t\n")
	if strings.HasSuffix(src, "？") || strings.HasSuffix(src, "?") {
		return true
	}
	return containsAny(t.Norm, askCues)
}

// asksWithin reports whether a sentence of src (ends are its sentence
// ends) is a question by its words (是正品吗？, 怎么劝他？).
func asksWithin(src string, ends []int) bool {
	for n := range ends {
		if q, _ := questionAt(src, ends, n); q {
			return true
		}
	}
	return false
}

// questionAt reports whether sentence n of src (ends are its sentence
// ends) is a question by its words, and whether a reader's ask cue opens it
// (谁知道…办护照要多久？), which makes it a question even with an offer
// word in it.
func questionAt(src string, ends []int, n int) (q, asked bool) {
	if n >= len(ends) || src[ends[n]] != '?' && !strings.HasPrefix(src[ends[n]:], "？") {
		return false, false
	}
	from := 0
	if n > 0 {
		_, w := utf8.DecodeRuneInString(src[ends[n-1]:])
		from = ends[n-1] + w
	}
	s := src[from:ends[n]]
	if !question(s) {
		return false, false
	}
	return true, containsAny(lexicon.Normalize(s).Norm, askCues)
}

// questionWords make a sentence that ends with a question mark a real
// question rather than a seller's hook (征信花了？包下款).
var questionWords = []string{"吗", "么", "是不是", "是否", "能不能", "会不会", "可不可以", "怎么", "为什么", "哪里", "哪个", "呢", "多久", "多少", "什么", "谁", "几"}

// solicits are the openings of a question that asks for goods (有冰吗,
// 有要的吗, 需要高仿吗): a buyer or seller seeking a trade, not a question about it.
var solicits = []string{"有", "要", "需要", "想要", "谁要", "谁有", "收"}

// question reports whether the sentence s (without its question mark) asks
// about something rather than for it.
func question(s string) bool {
	if !containsAny(s, questionWords) {
		return false
	}
	s = strings.TrimLeft(s, " ，,")
	for _, p := range solicits {
		if strings.HasPrefix(s, p) && !strings.HasPrefix(s, "有没有人") && !strings.HasPrefix(s, "有人") {
			return false
		}
	}
	return true
}

// quotedOffers turns the offer cues inside quotation marks into cautions
// when the text also has a caution or news cue: a warning that quotes a
// scam's pitch (这种能“包过”的代考都是假的) does not make the pitch.
func quotedOffers(src string, kept []lexicon.Hit) {
	warned := false
	for _, h := range kept {
		warned = warned || h.Term < 0 || cues().Terms()[h.Term].Category != cueOffer
	}
	if !warned {
		return
	}
	for i, h := range kept {
		if h.Term >= 0 && cues().Terms()[h.Term].Category == cueOffer && quoted(src, h.OrigStart) {
			kept[i].Term = -1
		}
	}
}

// quoted reports whether offset off of s lies inside an open quotation
// (“…”, 「…」).
func quoted(s string, off int) bool {
	depth := 0
	for _, r := range s[:off] {
		switch r {
		case '“', '「', '『':
			depth++
		case '”', '」', '』':
			depth = max(depth-1, 0)
		}
	}
	return depth > 0
}

// outVerbs are the verbs 出 completes (踢出, 退出, 付出, 指出…): there 出 is
// "out", not the seller's 出 "to sell", even when segmentation splits it off.
const outVerbs = "踢退推输付外支演提指突杰超日展露拿取走跑看做作说发传查"

// complementOut reports whether the cue h is a 出 after one of outVerbs.
func complementOut(norm string, h lexicon.Hit, pattern string) bool {
	if pattern != "出" {
		return false
	}
	r, w := utf8.DecodeLastRuneInString(norm[:h.Start])
	if r == '不' || r == '得' {
		// 看不出, 分得出: the verb can or cannot make it out.
		r, _ = utf8.DecodeLastRuneInString(norm[:h.Start-w])
		return strings.ContainsRune(outVerbs+senseVerbs, r)
	}
	return strings.ContainsRune(outVerbs, r) || mishap(norm[h.End:])
}

// senseVerbs make out what they perceive with 不出 or 得出 (分不出, 认不出,
// 吃得出): no sale.
const senseVerbs = "分认辨验吃闻听摸想猜测鉴"

// mishaps follow 出 when something went wrong (出了问题, 出事, 出错): no sale.
var mishaps = []string{"了问题", "问题", "了事", "事了", "错", "了错", "故障", "了故障", "意外", "了意外", "毛病", "了毛病"}

func mishap(rest string) bool {
	for _, m := range mishaps {
		if strings.HasPrefix(rest, m) {
			return true
		}
	}
	return false
}

// genuineFillers may stand between a sell cue and what it sells (卖的都是正品).
const genuineFillers = "的都是只全"

// sellsGenuine reports whether the offer cue h sells the genuine article
// (只卖正品, 卖的都是真货): a seller who says so beside 不卖高仿 offers no
// replica. 正品级, 正品品质 and 正品同款 are replica wording and do not count.
func sellsGenuine(t lexicon.Text, h lexicon.Hit) bool {
	norm := t.Norm
	rest := norm[h.End:]
	for n := 0; n < 3 && rest != ""; n++ {
		r, w := utf8.DecodeRuneInString(rest)
		if !strings.ContainsRune(genuineFillers, r) {
			break
		}
		rest = rest[w:]
	}
	for _, g := range []string{"正品", "真货", "真品", "原装正品", "官方正品", "专柜正品"} {
		if after, ok := strings.CutPrefix(rest, g); ok {
			// A separator after it (只卖正品，质检报告…) ends the phrase.
			r, _ := utf8.DecodeRuneInString(after)
			return gapAt(t, len(norm)-len(after)) || !strings.ContainsRune("级质同一原", r)
		}
	}
	return false
}

// sellsOnlyHere reports whether an offer cue is the seller naming the one
// place they sell (我们只在直播间卖, 只在平台上卖): a refusal of any other
// channel, not an offer of the contact word near it.
func sellsOnlyHere(t lexicon.Text, h lexicon.Hit) bool {
	before := t.Norm[:h.Start]
	for _, p := range []string{"只在直播间", "只在平台", "只在平台上", "只在店里", "只在店铺", "只在官方"} {
		if strings.HasSuffix(before, p) {
			return true
		}
	}
	return false
}
