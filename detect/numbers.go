package detect

// digit is one digit of a number run: its value (10 for the X check
// character of an ID number) and the unit it was written with.
type digit struct {
	d byte
	u int32
}

// group is digits[from:to]: digits written without a separator between them.
type group struct {
	from, to int32
	dot      bool // a dot stands before the group: only a dotted mobile (138.0013.8000) may use it
}

func (g group) len() int { return int(g.to - g.from) }

// spokenComma reports a comma that may part the groups of a number read
// aloud.
func spokenComma(r rune) bool { return r == '，' || r == ',' || r == '、' }

// spokenDigit reports a digit written as a Chinese numeral (not an ASCII,
// full-width or circled digit).
func spokenDigit(r rune) bool {
	_, ok := digitOf(r)
	return ok && r >= 0x3000 && !(r >= 0x2460 && r <= 0x24ff)
}

// isNumSep reports whether r may stand between the digit groups of one
// number: spaces and dashes, nothing else.
func isNumSep(r rune) bool {
	switch r {
	case ' ', '\t', '-', '‐', '‑', '–', '—', '_':
		return true
	}
	return false
}

const xDigit = 10

var (
	// orderWords precede numbers that are references, not contacts:
	// an order number is often 16-19 digits and may pass the Luhn check.
	orderWords = newWordList("订单", "订单号", "单号", "编号", "货号", "型号", "批号", "条码", "条形码", "序列号",
		"流水号", "运单", "快递", "物流", "工单", "券码", "兑换码", "激活码", "发票号", "交易号", "合同号", "追踪号",
		"order", "order no", "sn", "s/n", "no.", "no", "ref", "tracking", "invoice", "sku", "imei", "批次")
	// phoneWords make a solid run of digits starting with an area code a
	// landline.
	phoneWords = newWordList("电话", "座机", "手机", "tel", "热线", "致电", "拨打", "联系", "客服", "固话", "传真", "fax", "phone", "call")
	// bankWords mark a card number as an account to pay into.
	bankWords = newWordList("户名", "开户行", "开户银行", "开户名", "转账到", "转账至", "转账", "转到", "汇款", "打款", "收款人",
		"收款账户", "收款账号", "收款卡", "账号", "帐号", "卡号", "银行卡", "对公账户", "账户", "银行", "储蓄卡", "信用卡",
		"account name", "bank account", "transfer to", "iban")
)

// numbers finds the number runs of u and classifies each.
func (f *finder) numbers() {
	u := f.units
	for i := 0; i < len(u) && len(f.hits) < MaxHits; {
		if _, ok := digitOf(u[i].r); !ok {
			i++
			continue
		}
		i = f.run(i)
	}
}

// run reads the number run starting at u[i] and returns the index after it.
func (f *finder) run(i int) int {
	u := f.units
	f.digits, f.groups = f.digits[:0], f.groups[:0]
	j := i
	f.nextDot = false
	for {
		from := int32(len(f.digits))
		for j < len(u) {
			d, ok := digitOf(u[j].r)
			if !ok {
				break
			}
			f.digits = append(f.digits, digit{d, int32(j)})
			j++
		}
		// The X check character ends an ID number: "…123X" but not "3x4".
		if j < len(u) && u[j].r == 'x' && (j+1 == len(u) || !isLabelRune(u[j+1].r)) {
			f.digits = append(f.digits, digit{xDigit, int32(j)})
			j++
		}
		f.groups = append(f.groups, group{from, int32(len(f.digits)), f.nextDot})
		f.nextDot = false
		k := j
		// An area code in brackets: "(0755)8888 8888".
		if len(f.groups) == 1 && k < len(u) && u[k].r == ')' && f.groups[0].len() >= 3 && f.digits[0].d == 0 {
			k++
		}
		for n := 0; k < len(u) && n < 3 && isNumSep(u[k].r); n++ {
			k++
		}
		// A number read aloud in groups of Chinese numerals may be written
		// with commas between the groups (一八六，三三一二，七七零九): a
		// caption transcribes speech. Digits in other forms never join across
		// a comma, so 30,40 or 138，139 stay apart.
		if k == j && k+1 < len(u) && spokenComma(u[k].r) && spokenDigit(u[j-1].r) && spokenDigit(u[k+1].r) {
			k++
		}
		dot := false
		if k == j && k < len(u) && (u[k].r == '.' || u[k].r == '·') {
			k, dot = k+1, true
		}
		if k == j || k >= len(u) {
			break
		}
		if _, ok := digitOf(u[k].r); !ok {
			break
		}
		j = k
		if dot {
			f.nextDot = true
		}
	}
	f.classify()
	return j
}

// classify finds the numbers in the current run: each is a window of whole
// groups, the longest valid one from each starting group.
func (f *finder) classify() {
	gs := f.groups
	for a := 0; a < len(gs); {
		bestKind, bestEnd := Kind(""), -1
		total := 0
		for b := a; b < len(gs) && b-a < 12; b++ {
			total += gs[b].len()
			if total > 19 {
				break
			}
			if k := f.kindOf(a, b, total); k != "" {
				bestKind, bestEnd = k, b
			}
		}
		if bestKind == "" {
			a++
			continue
		}
		f.emitNumber(bestKind, a, bestEnd)
		a = bestEnd + 1
	}
}

// window returns the digits of groups a..b.
func (f *finder) window(a, b int) []digit {
	return f.digits[f.groups[a].from:f.groups[b].to]
}

// grouping reports the shortest and longest group of a..b.
func (f *finder) grouping(a, b int) (shortest, longest int) {
	shortest = 99
	for _, g := range f.groups[a : b+1] {
		shortest, longest = min(shortest, g.len()), max(longest, g.len())
	}
	return shortest, longest
}

func (f *finder) kindOf(a, b, total int) Kind {
	ds := f.window(a, b)
	for _, g := range f.groups[a+1 : b+1] {
		if !g.dot {
			continue
		}
		// Dots join digits only in a mobile written 3.4.4; otherwise they
		// are decimals, versions or addresses.
		if b-a == 2 && f.groups[a].len() == 3 && f.groups[a+1].len() == 4 && f.groups[b].len() == 4 && f.mobile(a, b, total) {
			return Mobile
		}
		return ""
	}
	for _, d := range ds[:len(ds)-1] {
		if d.d == xDigit {
			return ""
		}
	}
	last := ds[len(ds)-1].d
	if total == 18 && validID(ds) {
		return IDNumber
	}
	if last == xDigit {
		return ""
	}
	short, _ := f.grouping(a, b)
	if total >= 16 && short >= 3 && validCard(ds) {
		return BankCard
	}
	if f.mobile(a, b, total) {
		return Mobile
	}
	if total == 10 && short >= 3 && (prefix(ds, 4, 0, 0) || prefix(ds, 8, 0, 0)) {
		return Hotline
	}
	if f.landline(a, b, total) {
		return Landline
	}
	return ""
}

func prefix(ds []digit, want ...byte) bool {
	if len(ds) < len(want) {
		return false
	}
	for i, w := range want {
		if ds[i].d != w {
			return false
		}
	}
	return true
}

// mobile reports whether groups a..b are a mainland mobile number,
// optionally after the country code 86 or 0086.
func (f *finder) mobile(a, b, total int) bool {
	ds := f.window(a, b)
	switch {
	case total == 11:
	case total == 13 && prefix(ds, 8, 6) && (f.groups[a].len() == 2 || a == b):
		ds = ds[2:]
		if a != b {
			a++
		}
	case total == 15 && prefix(ds, 0, 0, 8, 6) && (f.groups[a].len() == 4 || a == b):
		ds = ds[4:]
		if a != b {
			a++
		}
	default:
		return false
	}
	if ds[0].d != 1 || ds[1].d < 3 || ds[1].d > 9 {
		return false
	}
	// Written as groups of two or more (138 0013 8000) or spaced out digit
	// by digit (1 3 8 …), not a list of small numbers.
	short, long := f.grouping(a, b)
	return short >= 2 || long == 1
}

// areaCode reports whether ds starts with a mainland area code, and its
// length: 010 and 020-029 have three digits, the others (0311, 0755…) four.
func areaCode(ds []digit) int {
	if len(ds) < 3 || ds[0].d != 0 {
		return 0
	}
	switch {
	case ds[1].d == 1 && ds[2].d == 0, ds[1].d == 2:
		return 3
	case ds[1].d >= 3 && len(ds) >= 4:
		return 4
	}
	return 0
}

// landline reports whether groups a..b are an area code and a local number
// of 7 or 8 digits; written solid, only after a phone word.
func (f *finder) landline(a, b, total int) bool {
	ds := f.window(a, b)
	n := areaCode(ds)
	if n == 0 || total-n < 7 || total-n > 8 || ds[n].d < 2 {
		return false
	}
	if a == b {
		return f.wordBefore(int(ds[0].u), phoneWords, 6)
	}
	if f.groups[a].len() != n {
		return false
	}
	short, _ := f.grouping(a+1, b)
	return short >= 3
}

// wordBefore reports whether a word of l ends within limit units before u[i],
// with only spaces and punctuation of a label (":", "：", "#") between.
func (f *finder) wordBefore(i int, l wordList, limit int) bool {
	u := f.units
	for k := i; k >= 0 && i-k <= limit; k-- {
		if l.endingAt(u, k) > 0 {
			return true
		}
		if k > 0 {
			switch u[k-1].r {
			case ' ', ':', '#', '=', '.', '(', '[', '-', '：':
				continue
			}
		}
		return false
	}
	return false
}

// validCard reports whether ds (16-19 digits) has a card-issuer prefix
// (UnionPay 62 and 60, Visa 4, Mastercard 51-55 and 22-27, American Express
// and JCB 3, some domestic debit cards 9) and passes the Luhn check.
func validCard(ds []digit) bool {
	switch ds[0].d {
	case 3, 4, 5, 6, 9:
	case 2:
		if ds[1].d < 2 || ds[1].d > 7 {
			return false
		}
	default:
		return false
	}
	sum := 0
	for i := range ds {
		d := int(ds[len(ds)-1-i].d)
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// provinces are the first two digits of a resident ID's region code.
var provinces = [100]bool{11: true, 12: true, 13: true, 14: true, 15: true, 21: true, 22: true, 23: true,
	31: true, 32: true, 33: true, 34: true, 35: true, 36: true, 37: true, 41: true, 42: true, 43: true,
	44: true, 45: true, 46: true, 50: true, 51: true, 52: true, 53: true, 54: true, 61: true, 62: true,
	63: true, 64: true, 65: true, 71: true, 81: true, 82: true, 83: true, 91: true}

// validID reports whether ds (18 characters) is a resident ID number: a
// province code, a birth date from 1900 to 2099, and the check character of
// GB 11643 (ISO 7064 MOD 11-2; X stands for 10).
func validID(ds []digit) bool {
	for _, d := range ds[:17] {
		if d.d > 9 {
			return false
		}
	}
	num := func(from, to int) int {
		n := 0
		for _, d := range ds[from:to] {
			n = n*10 + int(d.d)
		}
		return n
	}
	if !provinces[num(0, 2)] {
		return false
	}
	year, month, day := num(6, 10), num(10, 12), num(12, 14)
	if year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(ds[i].d) * w
	}
	want := byte((12 - sum%11) % 11) // the value whose weighted sum is 1 mod 11
	return ds[17].d == want
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// emitNumber records the number of groups a..b unless it follows an
// order-number word.
func (f *finder) emitNumber(k Kind, a, b int) {
	ds := f.window(a, b)
	first, last := int(ds[0].u), int(ds[len(ds)-1].u)
	if f.wordBefore(first, orderWords, 4) {
		return
	}
	u := f.units
	start := first
	if start > 0 && (u[start-1].r == '+' && k == Mobile || u[start-1].r == '(' && f.groups[a].to < int32(len(f.digits)) && k == Landline) {
		start--
	}
	value := make([]byte, len(ds))
	for i, d := range ds {
		value[i] = '0' + d.d
		if d.d == xDigit {
			value[i] = 'X'
		}
	}
	h := Hit{Kind: k, Start: int(u[start].start), End: int(u[last].end), Value: string(value)}
	if k == BankCard {
		h.Context = bankWords.near(u, first, last+1, 40)
	}
	f.hits = append(f.hits, h)
}
