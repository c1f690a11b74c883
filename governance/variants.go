package governance

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"anxin"
	"anxin/lexicon"
)

// Generated spellings. Evaders write a risky word the way it sounds or
// looks rather than the way it is spelled; the normaliser undoes what is
// unambiguous (width, traditional forms, look-alike letters, separators,
// numerals in numbers), and the spellings below, which are ordinary
// characters in other words, are generated only inside lexicon terms, at
// compile time, so ordinary text never changes meaning.

// contactWords are whole-word spellings of the contact channels: a term
// containing the key also gets each spelling in its place.
var contactWords = []struct {
	word     string
	variants []string
}{
	{"微信", []string{"vx", "wx", "v信", "威信", "薇信", "徽信", "微x", "薇x", "威x", "weixin", "wei信", "微xin"}},
	{"qq", []string{"扣扣", "抠抠", "企鹅", "球球", "秋秋"}},
	{"电话", []string{"电h", "dianhua"}},
	{"手机号", []string{"手j号", "shoujihao", "手机hao"}},
	{"支付宝", []string{"zfb", "支fu宝", "支付bao"}},
	{"银行卡", []string{"yhk", "银行k"}},
	{"加", []string{"+", "伽", "嘉"}},
}

// homophones are characters of risky words with the characters evaders put
// in their place (same or near sound, or a similar shape). They apply only
// to terms of three or more characters: in a two-character term a
// substitute too often makes an ordinary word (办证 → 办正, as in 办正事).
var homophones = map[rune][]rune{
	'赌': {'堵', '睹'}, '博': {'搏', '膊'}, '彩': {'采', '菜'}, '嫖': {'瓢', '飘'}, '娼': {'昌'},
	'淫': {'银', '婬'}, '裸': {'倮', '果'}, '炮': {'泡', '砲'}, '约': {'月', '悦'}, '色': {'涩', '瑟'},
	'黄': {'簧', '皇'}, '奸': {'歼'}, '毒': {'独', '读'}, '冰': {'兵'}, '粉': {'份', '纷'},
	'贷': {'代', '袋'}, '套': {'淘', '涛'}, '现': {'县', '线'}, '征': {'正', '证'}, '洗': {'喜', '铣'},
	'证': {'正', '政', '症'}, '办': {'半', '扮'}, '假': {'甲', '贾'}, '卡': {'咔', '咖'}, '号': {'毫', '浩'},
	'弹': {'蛋', '旦'}, '章': {'张', '彰'}, '考': {'烤', '靠'}, '售': {'兽', '受'}, '卖': {'麦', '迈'},
	'枪': {'锵', '呛'}, '药': {'钥', '要'}, '麻': {'嘛', '蟆'}, '刷': {'唰'}, '骗': {'片', '偏'},
	'钱': {'前', '潜'}, '码': {'玛', '吗'}, '账': {'帐', '仗'}, '户': {'沪', '护'},
	'驾': {'架', '价'}, '驶': {'使'}, '度': {'渡', '肚'}, '额': {'鹅'}, '款': {'宽', '欵'}, '偷': {'头', '投'}, '索': {'锁', '所'}, '盾': {'顿', '遁'},
	'六': {'陆', '溜'}, '合': {'和', '盒'}, '肖': {'消', '萧'}, '棋': {'骑', '旗'}, '牌': {'排'},
}

// wordReadings are words whose characters the per-character pinyin table
// reads wrongly (行 is xing alone, hang in 银行): a pinyin term containing one
// also gets its full pinyin with the word's own reading, since that is what
// an evader types (yinhangka, not yinxingka).
var wordReadings = []struct{ word, pinyin string }{
	{"银行", "yinhang"}, {"还款", "huankuan"}, {"还钱", "huanqian"}, {"重庆", "chongqing"},
	{"行长", "hangzhang"}, {"还贷", "huandai"},
}

// initialsStop are letter strings that pinyin initials would make but
// that are common Latin tokens in product text, so they are not used.
var initialsStop = map[string]bool{
	"usb": true, "led": true, "dvd": true, "pvc": true, "abs": true, "diy": true, "cpu": true, "gps": true,
	"ktv": true, "vip": true, "ceo": true, "app": true, "pdf": true, "tcl": true, "nba": true, "mba": true,
	"atm": true, "sos": true, "dna": true, "ufo": true, "bbq": true, "sdk": true, "spa": true, "cba": true,
	"ssd": true, "hdd": true, "lcd": true, "xxl": true, "xxx": true, "mp3": true, "mp4": true, "jpg": true,
	"ppt": true, "doc": true, "pcs": true, "set": true, "top": true, "new": true, "hot": true, "man": true,
}

// generatedVariants returns the spellings of t that evaders use and that
// are not listed by hand: contact-word spellings, homophones (terms of three
// or more characters), and, for pinyin terms of severity 4 or more, the
// pinyin initials (three or more letters, not a common Latin token) and
// the pinyin of one character at a time (办zheng, ban证).
func generatedVariants(t anxin.LexiconTerm) []string {
	norm := lexicon.Normalize(t.Pattern).Norm
	var out []string
	for _, cw := range contactWords {
		if i := strings.Index(norm, cw.word); i >= 0 && norm != cw.word && (cw.word != "加" || i == 0) {
			for _, v := range cw.variants {
				out = append(out, norm[:i]+v+norm[i+len(cw.word):])
			}
		}
	}
	out = append(out, englishPlural(t, norm)...)
	rs := []rune(norm)
	if len(rs) >= 3 {
		for i, r := range rs {
			for _, c := range homophones[r] {
				if c == '吗' && i == len(rs)-1 {
					continue // 手机号吗 is a question, not 手机号码
				}
				v := append([]rune(nil), rs...)
				v[i] = c
				out = append(out, string(v))
			}
		}
	}
	if !t.Pinyin {
		return out
	}
	out = append(out, readingVariants(norm)...)
	if t.Severity < 4 {
		return out
	}
	han := 0
	for _, r := range rs {
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	if _, initials, ok := lexicon.Pinyin(norm); ok && han >= 3 && han == len(rs) && utf8.RuneCountInString(initials) >= 3 && !initialsStop[initials] {
		out = append(out, initials)
	}
	if han >= 2 && han <= 4 {
		for i, r := range rs {
			if p, _, ok := lexicon.Pinyin(string(r)); ok && unicode.Is(unicode.Han, r) {
				out = append(out, string(rs[:i])+p+string(rs[i+1:]))
			}
		}
	}
	return out
}

// readingVariants returns the full pinyin of norm with each word of
// wordReadings in it read as that word is read, or nothing when norm holds
// none of them or a character the pinyin table lacks.
func readingVariants(norm string) []string {
	var out []string
	for _, wr := range wordReadings {
		if !strings.Contains(norm, wr.word) {
			continue
		}
		var b strings.Builder
		ok := true
		for i, part := range strings.Split(norm, wr.word) {
			if i > 0 {
				b.WriteString(wr.pinyin)
			}
			if part == "" {
				continue
			}
			full, _, han := lexicon.Pinyin(part)
			if !han && strings.ContainsFunc(part, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				ok = false
				break
			}
			b.WriteString(full)
		}
		if ok {
			out = append(out, b.String())
		}
	}
	return out
}

// englishPlural returns the plural spelling of an English term's last word
// (fake passport → fake passports, escort agency → escort agencies): a
// Latin term fires only on a word boundary, so without it the plural a
// seller writes is missed. Brands, contact words and advertising claims are
// names and slogans, not nouns to inflect, and get none.
func englishPlural(t anxin.LexiconTerm, norm string) []string {
	switch t.Category {
	case "brand", "contact", "ad_absolute":
		return nil
	}
	if len(norm) < 3 {
		return nil
	}
	for i := 0; i < len(norm); i++ {
		if c := norm[i]; c >= utf8.RuneSelf {
			return nil // not a plain ASCII term
		}
	}
	last, prev := norm[len(norm)-1], norm[len(norm)-2]
	switch {
	case last < 'a' || last > 'z', last == 's':
		return nil
	case last == 'y' && !strings.ContainsRune("aeiou", rune(prev)):
		return []string{norm[:len(norm)-1] + "ies"}
	case last == 'x' || last == 'z' || last == 'h' && (prev == 'c' || prev == 's'):
		return []string{norm + "es"}
	}
	return []string{norm + "s"}
}
