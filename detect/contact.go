package detect

import (
	"unicode"
	"unicode/utf8"
)

// Contact words and their usual evasions. A QQ number or WeChat ID counts
// only after one of them: five to eleven digits or a handle alone are far too
// common (prices, model numbers, user names) to mean a contact.
var (
	wechatWords = newWordList("微信", "薇信", "威信", "徽信", "维信", "卫信", "微心", "微芯", "薇芯", "v信", "vx", "wx", "微x",
		"wei信", "weixin", "wechat", "加v", "加微", "加薇", "v号", "vx号", "wx号", "微信号", "卫星", "威x", "薇x", "徽x", "魏信")
	qqWords = newWordList("qq", "扣扣", "抠抠", "寇寇", "蔻蔻", "企鹅", "球球", "秋秋", "🐧", "q号", "加q", "qq号", "qq群", "群号", "扣群", "企鹅号")
	// inviteWords before a contact word make a handle glued to it an ID
	// ("加wxabc123", "私vx tom_88"): the writer asks to be added.
	inviteWords = newWordList("加", "私", "+", "➕", "联系", "找", "添加", "加我", "私我", "私聊", "call", "add")
)

// isDecoration reports whether r is a symbol or emoji put between a contact
// word and the ID to dodge filters: "v❤：abc123", "微❤ hao2759", "➕V".
func isDecoration(r rune) bool {
	if r == 0xFE0F || r == 0x200D || r == '|' || r == '*' || r == '·' || r == '丨' || r == '/' || r == '\\' {
		return true
	}
	return r >= 0x80 && (unicode.Is(unicode.So, r) || unicode.Is(unicode.Sm, r) || unicode.Is(unicode.Sk, r))
}

// isFiller reports whether r may stand between a contact word and the ID:
// "微信：abc", "QQ号是 12345", "加V→abc".
func isFiller(r rune) bool {
	switch r {
	case ' ', ':', '：', '号', '是', '为', '码', '→', '>', '-', '~', '#', '=', '搜', '加', '同', '私', '聊', '(', ')', '「', '」', '【', '】', '"', '\'':
		return true
	}
	return isDecoration(r)
}

// invited reports whether an invitation word ends just before u[i], with
// only decorations and spaces between.
func (f *finder) invited(i int) bool {
	u := f.units
	for k := 0; i > 0 && k < 3 && (u[i-1].r == ' ' || isDecoration(u[i-1].r)) && u[i-1].r != '+'; k++ {
		i--
	}
	return inviteWords.endingAt(u, i) > 0
}

// upperAt reports whether the original character of unit i is an upper-case
// ASCII letter (full-width included).
func (f *finder) upperAt(i int) bool {
	r, _ := utf8.DecodeRuneInString(f.src[f.units[i].start:])
	return r >= 'A' && r <= 'Z' || r >= 'Ａ' && r <= 'Ｚ'
}

// contacts finds QQ numbers and WeChat IDs after a contact word.
func (f *finder) contacts() {
	u := f.units
	for i := 0; i < len(u) && len(f.hits) < MaxHits; i++ {
		r := u[i].r
		if !(r == 'v' || r == 'w' || r == 'q' || r == '微' || r == '薇' || r == '威' || r == '徽' || r == '维' || r == '卫' ||
			r == '加' || r == '扣' || r == '抠' || r == '寇' || r == '蔻' || r == '企' || r == '球' || r == '群' || r == '秋' ||
			r == '魏' || r == '🐧') {
			continue
		}
		// A Latin contact word must start a word: "vx" not in "devx", "12v".
		if isASCIILetter(r) && i > 0 && (isASCIILetter(u[i-1].r) || isASCIIDigit(u[i-1].r)) {
			continue
		}
		kind, n := Kind(""), 0
		for _, l := range []struct {
			k Kind
			w wordList
		}{{WeChat, wechatWords}, {QQ, qqWords}} {
			for _, w := range l.w {
				if len(w) > n && hasRunes(u, i, w) {
					kind, n = l.k, len(w)
				}
			}
		}
		lone := false
		if n == 0 {
			// A lone v, q, 扣 or 微/薇/威 counts when a colon or a decoration
			// follows ("V：abc123", "Q:12345", "v❤ abc123", "扣：12345"), or
			// after an invitation ("加V abc123"), or a space and an ID
			// of letters and digits ("V kk54092"), or, for q, six or
			// more digits glued to it ("Q865928584").
			if !(r == 'v' || r == 'q' || r == '扣' || r == '微' || r == '薇' || r == '威') || i+1 >= len(u) {
				continue
			}
			next := u[i+1].r
			kind, n, lone = WeChat, 1, true
			if r == 'q' || r == '扣' {
				kind = QQ
			}
			switch {
			case next == ':' || next == '：' || isDecoration(next):
			case r != '扣' && (next == ' ' || f.invited(i)):
			case r == 'q' && isASCIIDigit(next):
			default:
				continue
			}
		}
		end := i + n
		glued := false
		if isASCIILetter(u[end-1].r) && end < len(u) && (isASCIILetter(u[end].r) || isASCIIDigit(u[end].r) && lone && r == 'v') && !(end+1 < len(u) && u[end].r == 'i' && u[end+1].r == 'd') {
			// "wxyz", "qqmusic": not a contact word, unless the writer
			// invites ("加wxabc123") or the case changes ("VXlulu_67",
			// "WeChatjj34"); then the ID must hold a digit.
			if lone && !(f.invited(i) && f.upperAt(i) && !f.upperAt(end)) || !lone && !(f.invited(i) || f.upperAt(end-1) && !f.upperAt(end)) {
				continue
			}
			glued = true
		}
		j := end
		for k := 0; j < len(u) && k < 8 && isFiller(u[j].r); k++ {
			j++
		}
		if j+1 < len(u) && u[j].r == 'i' && u[j+1].r == 'd' { // "wechat id: …"
			j += 2
			for k := 0; j < len(u) && k < 4 && isFiller(u[j].r); k++ {
				j++
			}
		}
		if j >= len(u) || f.covered(u[j].start) {
			continue
		}
		idEnd := f.contactID(kind, j)
		if idEnd == 0 {
			continue
		}
		if (glued || lone) && !f.mixedID(j, idEnd, lone && u[i+1].r == ' ') {
			continue
		}
		f.hits = append(f.hits, Hit{Kind: kind, Start: int(u[i].start), End: int(u[idEnd-1].end), Value: f.idValue(j, idEnd)})
		i = idEnd - 1
	}
}

// contactID returns the end of a QQ number or WeChat ID starting at u[j], or
// 0 when none is there. A QQ number is 5-11 digits in any script (spaces
// and dashes between groups allowed), not starting with 0; a WeChat ID is
// such a number or a handle of 6-20 letters, digits, '_' and '-' starting
// with a letter.
func (f *finder) contactID(kind Kind, j int) int {
	u := f.units
	if d, ok := digitOf(u[j].r); ok {
		if d == 0 {
			return 0
		}
		n, end := 0, j
		for k := j; k < len(u); k++ {
			if _, ok := digitOf(u[k].r); ok {
				n++
				end = k + 1
				continue
			}
			if isNumSep(u[k].r) && k+1 < len(u) {
				if _, ok := digitOf(u[k+1].r); ok {
					continue
				}
			}
			break
		}
		if n < 5 || n > 11 || end < len(u) && isASCIILetter(u[end].r) {
			return 0
		}
		return end
	}
	if kind != WeChat || !isASCIILetter(u[j].r) {
		return 0
	}
	end := j
	for end < len(u) && (isLabelRune(u[end].r) || u[end].r == '_') {
		end++
	}
	if n := end - j; n < 6 || n > 20 {
		return 0
	}
	return end
}

// mixedID reports whether u[from:to] holds a digit (a glued or lone-letter
// ID) and, when letters is set, a letter too (a handle after "V ").
func (f *finder) mixedID(from, to int, letters bool) bool {
	digit, letter := false, false
	for _, x := range f.units[from:to] {
		if _, ok := digitOf(x.r); ok {
			digit = true
		} else if isASCIILetter(x.r) {
			letter = true
		}
	}
	return digit && (letter || !letters)
}

// idValue is the canonical ID: digits as ASCII, letters as folded.
func (f *finder) idValue(from, to int) string {
	b := make([]byte, 0, to-from)
	_, number := digitOf(f.units[from].r)
	for _, x := range f.units[from:to] {
		if d, ok := digitOf(x.r); ok {
			b = append(b, '0'+d)
		} else if !number && x.r < 0x80 {
			b = append(b, byte(x.r))
		}
	}
	return string(b)
}
