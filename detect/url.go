package detect

// tlds are the top-level domains a domain must end with. Words that are
// common in ordinary text as the last part of a dotted name (js, md, in, to,
// go) are left out.
var tlds = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range []string{"com", "cn", "net", "org", "top", "xyz", "vip", "cc", "me", "io", "info", "shop", "club",
		"site", "online", "app", "co", "tv", "wang", "link", "live", "fun", "icu", "work", "biz", "asia", "hk", "tw",
		"ink", "art", "store", "tech", "ltd", "mobi", "ren", "xin", "red", "kim", "ai", "gov", "edu", "uk", "us", "jp",
		"de", "ru", "ws", "la", "ly", "gg", "bet", "win", "vin", "bid", "loan", "porn", "sex", "xxx", "cam", "tk", "ml",
		"ga", "cf", "gq", "cyou", "buzz", "pw", "su", "mo", "sg", "my", "ph", "th", "vn", "kr", "fr", "eu", "ca", "au"} {
		m[t] = true
	}
	return m
}()

// notDomains are dotted names that end like a domain but are not links.
var notDomains = map[string]bool{"asp.net": true, "vb.net": true, "ado.net": true}

// mailWords stand for @ in an address: "abc(at)163.com", "abc艾特qq.com".
var mailWords = newWordList("(at)", "[at]", "艾特", "at")

// labelAt returns the end of the label (letters, digits, '-') starting at
// u[i].
func (f *finder) labelEnd(i int) int {
	for i < len(f.units) && isLabelRune(f.units[i].r) {
		i++
	}
	return i
}

// labelStart returns the start of the label ending just before u[i].
func (f *finder) labelStart(i int) int {
	for i > 0 && isLabelRune(f.units[i-1].r) {
		i--
	}
	return i
}

// is reports whether u[from:to] spells w (folded, ASCII).
func (f *finder) is(from, to int, w string) bool {
	if to-from != len(w) || from < 0 {
		return false
	}
	for k := 0; k < len(w); k++ {
		if f.units[from+k].r != rune(w[k]) {
			return false
		}
	}
	return true
}

// isTLD reports whether u[from:to] is a top-level domain.
func (f *finder) isTLD(from, to int) bool {
	n := to - from
	if n < 2 || n > 6 {
		return false
	}
	var b [6]byte
	for k := range n {
		r := f.units[from+k].r
		if !isASCIILetter(r) {
			return false
		}
		b[k] = byte(r)
	}
	return tlds[string(b[:n])]
}

// sepBefore reads a domain separator that ends just before u[p] (spaces
// around it allowed) and returns where it starts, whether it is obfuscated
// (anything but a bare '.'), and whether there is one.
func (f *finder) sepBefore(p int) (int, bool, bool) {
	u := f.units
	k, spaces := p, 0
	for k > 0 && u[k-1].r == ' ' && spaces < 2 {
		k, spaces = k-1, spaces+1
	}
	if k == 0 {
		return 0, false, false
	}
	obf := spaces > 0
	switch r := u[k-1].r; {
	case r == '.':
		k--
	case r == '。' || r == '点' || r == '點' || r == '·' || r == '丶' || r == '•':
		k, obf = k-1, true
	case (r == ']' || r == ')') && k >= 3 && (u[k-2].r == '.' || u[k-2].r == '点') && (u[k-3].r == '[' || u[k-3].r == '('):
		k, obf = k-3, true
	case k >= 4 && f.is(k-3, k, "dot") && u[k-4].r == ' ':
		k, obf = k-3, true
	default:
		return 0, false, false
	}
	for spaces = 0; k > 0 && u[k-1].r == ' ' && spaces < 2; spaces++ {
		k--
	}
	return k, obf || spaces > 0, true
}

// domains finds links with a scheme, then domains ending in a known
// top-level domain, plain or obfuscated, and e-mail addresses.
func (f *finder) domains() {
	u := f.units
	for i := 0; i < len(u) && len(f.hits) < MaxHits; i++ {
		if u[i].r != 'h' || i > 0 && isLabelRune(u[i-1].r) {
			continue
		}
		e := f.labelEnd(i)
		if (f.is(i, e, "http") || f.is(i, e, "https")) && e+3 < len(u) && f.is(e, e+3, "://") && isLabelRune(u[e+3].r) {
			end := f.pathEnd(e + 3)
			f.hits = append(f.hits, Hit{Kind: URL, Start: int(u[i].start), End: int(u[end-1].end), Value: f.text(i, end)})
			i = end - 1
		}
	}
	for i := 0; i < len(u) && len(f.hits) < MaxHits; i++ {
		if !isASCIILetter(u[i].r) || i > 0 && isLabelRune(u[i-1].r) {
			continue
		}
		te := f.labelEnd(i)
		if !f.isTLD(i, te) || f.covered(u[i].start) {
			i = te - 1
			continue
		}
		f.domainEndingAt(i, te)
		i = te - 1
	}
}

// domainEndingAt tries the domain whose top-level label is u[ts:te].
func (f *finder) domainEndingAt(ts, te int) {
	u := f.units
	start, labels, obf, www := ts, 0, false, false
	for p := ts; ; {
		q, o, ok := f.sepBefore(p)
		if !ok {
			break
		}
		ls := f.labelStart(q)
		if ls == q || f.covered(u[ls].start) {
			break
		}
		start, p, labels, obf = ls, ls, labels+1, obf || o
		if f.is(ls, q, "www") {
			www = true
			break
		}
	}
	if labels == 0 {
		// "www abc com": spaces stand for the dots.
		k := ts
		if k > 0 && u[k-1].r == ' ' {
			ls := f.labelStart(k - 1)
			if ls < k-1 && ls > 0 && u[ls-1].r == ' ' && f.is(f.labelStart(ls-1), ls-1, "www") {
				start, labels, obf, www = f.labelStart(ls-1), 2, true, true
			}
		}
		if labels == 0 {
			return
		}
	}
	end := te
	// A second-level domain: abc.com.cn.
	if end+1 < len(u) && u[end].r == '.' {
		if e2 := f.labelEnd(end + 1); f.isTLD(end+1, e2) {
			end = e2
		}
	}
	kind := Domain
	switch {
	case obf:
		kind = ObfuscatedURL
	case www:
		kind = URL
	}
	// An e-mail address: the domain follows @ (or a word standing for it)
	// and a local part.
	if ls, ok := f.mailLocal(start); ok {
		f.hits = append(f.hits, Hit{Kind: Email, Start: int(u[ls].start), End: int(u[end-1].end), Value: f.text(ls, end)})
		return
	}
	if kind == Domain {
		name := f.text(start, end)
		if notDomains[name] {
			return // "asp.net"
		}
		if ts-start < 3 || isASCIIDigit(u[start].r) && ts-start < 4 {
			// "x.co" and "5.cn" are too short to be sure, unless a path
			// follows: "t.cn/xx8Kd" is a short link.
			if end+1 >= len(u) || u[end].r != '/' || !isLabelRune(u[end+1].r) {
				return
			}
			kind = URL
		}
	}
	if kind != Domain && end < len(u) && u[end].r == '/' {
		end = f.pathEnd(end)
	}
	f.hits = append(f.hits, Hit{Kind: kind, Start: int(u[start].start), End: int(u[end-1].end), Value: f.text(start, end)})
}

// pathEnd returns the end of the URL characters starting at u[i].
func (f *finder) pathEnd(i int) int {
	for i < len(f.units) {
		r := f.units[i].r
		if !(isLabelRune(r) || r < 0x80 && r > ' ' && r != '"' && r != '<' && r != '>' && r != ',' && r != '(' && r != ')') {
			break
		}
		i++
	}
	return i
}

// mailLocal returns the start of the local part of an e-mail address whose
// domain starts at u[start]: "name@", "name(at)", "name 艾特", "name at ".
func (f *finder) mailLocal(start int) (int, bool) {
	u := f.units
	k := start
	switch {
	case k > 0 && u[k-1].r == '@':
		k--
	default:
		if k > 0 && u[k-1].r == ' ' {
			k--
		}
		n := mailWords.endingAt(u, k)
		if n == 0 || f.is(k-2, k, "at") && (k-3 < 0 || u[k-3].r != ' ') { // "at" needs spaces around it
			return 0, false
		}
		k -= n
		if k > 0 && u[k-1].r == ' ' {
			k--
		}
	}
	ls := k
	for ls > 0 && (isLabelRune(u[ls-1].r) || u[ls-1].r == '.' || u[ls-1].r == '_' || u[ls-1].r == '+') {
		ls--
	}
	return ls, ls < k
}
