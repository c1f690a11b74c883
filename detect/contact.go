package detect

// Contact words and their usual evasions. A QQ number or WeChat ID counts
// only after one of them: five to eleven digits or a handle alone are far too
// common (prices, model numbers, user names) to mean a contact.
var (
	wechatWords = newWordList("微信", "薇信", "威信", "徽信", "维信", "卫信", "微心", "微芯", "薇芯", "v信", "vx", "wx", "微x",
		"wei信", "weixin", "wechat", "加v", "加微", "加薇", "v号", "vx号", "wx号", "微信号")
	qqWords = newWordList("qq", "扣扣", "抠抠", "寇寇", "蔻蔻", "企鹅", "球球", "q号", "加q", "qq号", "qq群", "群号", "扣群", "企鹅号")
)

// isFiller reports whether r may stand between a contact word and the ID:
// "微信：abc", "QQ号是 12345", "加V→abc".
func isFiller(r rune) bool {
	switch r {
	case ' ', ':', '：', '号', '是', '为', '码', '→', '>', '-', '~', '#', '=', '搜', '加', '同', '私', '聊', '(', ')', '「', '」', '【', '】', '"', '\'':
		return true
	}
	return false
}

// contacts finds QQ numbers and WeChat IDs after a contact word.
func (f *finder) contacts() {
	u := f.units
	for i := 0; i < len(u) && len(f.hits) < MaxHits; i++ {
		r := u[i].r
		if !(r == 'v' || r == 'w' || r == 'q' || r == '微' || r == '薇' || r == '威' || r == '徽' || r == '维' || r == '卫' ||
			r == '加' || r == '扣' || r == '抠' || r == '寇' || r == '蔻' || r == '企' || r == '球' || r == '群') {
			continue
		}
		// A Latin contact word must start a word: "vx" not in "devx".
		if isASCIILetter(r) && i > 0 && isASCIILetter(u[i-1].r) {
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
		if n == 0 {
			// A lone v or q counts when a colon follows: "V：abc123", "Q:12345".
			if (r == 'v' || r == 'q') && i+1 < len(u) && (u[i+1].r == ':' || u[i+1].r == '：') {
				kind, n = WeChat, 1
				if r == 'q' {
					kind = QQ
				}
			} else {
				continue
			}
		}
		end := i + n
		if isASCIILetter(u[end-1].r) && end < len(u) && isASCIILetter(u[end].r) && !(end+1 < len(u) && u[end].r == 'i' && u[end+1].r == 'd') {
			continue // "wxyz", "qqmusic": not a contact word
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
