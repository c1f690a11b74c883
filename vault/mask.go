package vault

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"anxin"
)

// NormalizePhone returns a mainland-China mobile number as its 11 digits. It
// accepts spaces, hyphens, dots and brackets between digits and a +86, 0086
// or 86 country prefix. Invalid for anything else; the message never repeats
// the input.
func NormalizePhone(s string) (string, error) {
	if len(s) > 64 {
		return "", anxin.Errorf(anxin.Invalid, "phone is longer than 64 bytes.")
	}
	var d [64]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d[n] = c
			n++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' && n == 0:
		default:
			return "", anxin.Errorf(anxin.Invalid, "phone may contain only digits, spaces, '-', '.', brackets and a leading '+'.")
		}
	}
	digits := d[:n]
	switch {
	case n == 13 && digits[0] == '8' && digits[1] == '6':
		digits = digits[2:]
	case n == 15 && string(digits[:4]) == "0086":
		digits = digits[4:]
	}
	if len(digits) != 11 || digits[0] != '1' || digits[1] < '3' {
		return "", anxin.Errorf(anxin.Invalid, "phone must be a mainland mobile number: 11 digits starting 13–19, optionally with +86.")
	}
	return string(digits), nil
}

// MaskPhone masks a phone number as 138****5678. Anything that is not a
// valid mobile number masks to "***********" rather than revealing more.
func MaskPhone(s string) string {
	p, err := NormalizePhone(s)
	if err != nil {
		return "***********"
	}
	var b [11]byte
	copy(b[:3], p[:3])
	copy(b[3:7], "****")
	copy(b[7:], p[7:])
	return string(b[:])
}

// PhoneLast4 returns the last four digits of a normalised phone.
func PhoneLast4(phone string) string {
	if len(phone) < 4 {
		return ""
	}
	return phone[len(phone)-4:]
}

// NormalizeName trims a name, folds runs of white space (including
// full-width) to one space and drops middle dots used in transliterated
// names, so "张 三" and "张三" index alike. Invalid if empty, over 64
// characters or containing control characters.
func NormalizeName(s string) (string, error) {
	if err := anxin.ValidateText("name", s, anxin.MaxNameLen); err != nil {
		return "", err
	}
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == '·' || r == '•' || r == '・':
			continue
		}
		if space && !isHan(r) && b.Len() > 0 && !lastIsHan(b.String()) {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	out := b.String()
	if out == "" {
		return "", anxin.Errorf(anxin.Invalid, "name is required.")
	}
	if utf8.RuneCountInString(out) > 64 {
		return "", anxin.Errorf(anxin.Invalid, "name is longer than 64 characters.")
	}
	return out, nil
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func lastIsHan(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isHan(r)
}

// MaskName masks a name: 2 characters → 张*, 3 → 张*三, 4 or more → first
// character and two stars. A one-character name masks to "*": the common
// rule leaves it unchanged, which would reveal the whole name.
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	first, size := utf8.DecodeRuneInString(s)
	if n <= 1 || first == utf8.RuneError {
		return "*"
	}
	var buf [16]byte
	b := append(buf[:0], s[:size]...)
	switch n {
	case 2:
		b = append(b, '*')
	case 3:
		last, lsize := utf8.DecodeLastRuneInString(s)
		if last == utf8.RuneError {
			b = append(b, "**"...)
		} else {
			b = append(b, '*')
			b = append(b, s[len(s)-lsize:]...)
		}
	default:
		b = append(b, "**"...)
	}
	return string(b)
}

// Address is a delivery address split into its administrative parts and
// the detail (street, building, room). Only Detail is personal; the parts
// down to the district are what masked views show.
type Address struct {
	Province string `json:"province"`
	City     string `json:"city"`
	District string `json:"district"`
	Detail   string `json:"detail"`
}

// municipalities are province-level cities: their province and city are the
// same.
var municipalities = []string{"北京市", "上海市", "天津市", "重庆市", "北京", "上海", "天津", "重庆"}

// provinceSuffixes end a province-level name.
var provinceSuffixes = []string{"特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省"}

// citySuffixes end a prefecture-level name.
var citySuffixes = []string{"自治州", "地区", "市", "盟"}

// districtSuffixes end a county-level name.
var districtSuffixes = []string{"新区", "区", "县", "市", "旗"}

// ParseAddress splits a one-line mainland address such as
// "浙江省杭州市西湖区文三路100号" into its parts. The province may be
// omitted for municipalities ("上海市浦东新区…"). Invalid when no district
// can be found or no detail follows it.
func ParseAddress(s string) (Address, error) {
	if err := anxin.ValidateText("address", s, 512); err != nil {
		return Address{}, err
	}
	rest := strings.Join(strings.Fields(s), "")
	var a Address
	for _, m := range municipalities {
		if strings.HasPrefix(rest, m) {
			name := strings.TrimSuffix(m, "市") + "市"
			a.Province, a.City = name, name
			rest = rest[len(m):]
			// "北京市北京市朝阳区…" and "上海市市辖区浦东新区…" repeat the city level.
			for _, again := range []string{name, strings.TrimSuffix(name, "市"), "市辖区"} {
				if r, ok := strings.CutPrefix(rest, again); ok && r != "" {
					rest = r
					break
				}
			}
			break
		}
	}
	if a.Province == "" {
		p, r, ok := cutSuffix(rest, provinceSuffixes, 12)
		if !ok {
			return Address{}, anxin.Errorf(anxin.Invalid, "address must start with a province (…省, …自治区) or a municipality.")
		}
		a.Province, rest = p, r
		c, r, ok := cutSuffix(rest, citySuffixes, 10)
		if !ok {
			return Address{}, anxin.Errorf(anxin.Invalid, "address must name a city (…市, …自治州, …地区, …盟) after the province.")
		}
		a.City, rest = c, r
	}
	d, r, ok := cutSuffix(rest, districtSuffixes, 10)
	if !ok {
		return Address{}, anxin.Errorf(anxin.Invalid, "address must name a district or county (…区, …县, …市, …旗).")
	}
	a.District, a.Detail = d, r
	return a, a.Validate()
}

// cutSuffix finds the shortest prefix of s, at most max characters, that ends
// with one of suffixes and has at least one character before it.
func cutSuffix(s string, suffixes []string, max int) (head, rest string, ok bool) {
	n := 0
	for i := range s {
		if n > max {
			break
		}
		n++
		if i == 0 {
			continue
		}
		for _, suf := range suffixes {
			if strings.HasPrefix(s[i:], suf) {
				end := i + len(suf)
				return s[:end], s[end:], true
			}
		}
	}
	return "", s, false
}

// Validate checks the parts of a structured address: province, city and
// district 1–32 characters, detail 1–256 bytes, no control characters.
func (a *Address) Validate() error {
	parts := []struct{ name, v string }{{"address.province", a.Province}, {"address.city", a.City}, {"address.district", a.District}}
	for _, p := range parts {
		if strings.TrimSpace(p.v) == "" {
			return anxin.Errorf(anxin.Invalid, "%s is required.", p.name)
		}
		if utf8.RuneCountInString(p.v) > 32 {
			return anxin.Errorf(anxin.Invalid, "%s is longer than 32 characters.", p.name)
		}
		if err := anxin.ValidateText(p.name, p.v, 128); err != nil {
			return err
		}
	}
	if strings.TrimSpace(a.Detail) == "" {
		return anxin.Errorf(anxin.Invalid, "address.detail (street, building, room) is required.")
	}
	return anxin.ValidateText("address.detail", a.Detail, 256)
}

// Masked returns the address down to the district with the detail replaced
// by stars: "浙江省杭州市西湖区****".
func (a Address) Masked() string {
	if a.Province == a.City {
		return a.City + a.District + "****"
	}
	return a.Province + a.City + a.District + "****"
}

// String returns the full one-line address (for the waybill only).
func (a Address) String() string {
	if a.Province == a.City {
		return a.City + a.District + a.Detail
	}
	return a.Province + a.City + a.District + a.Detail
}
