package detect

import (
	"slices"
	"strings"
)

// Kind is what a Hit found.
type Kind string

// The kinds of hit.
const (
	Mobile        Kind = "mobile"         // 1[3-9] and nine digits, optionally after +86
	Landline      Kind = "landline"       // an area code and a local number
	Hotline       Kind = "hotline"        // a 400 or 800 service number
	QQ            Kind = "qq"             // a QQ number after a QQ word
	WeChat        Kind = "wechat"         // a WeChat ID after a WeChat word
	URL           Kind = "url"            // a link with a scheme or www.
	ObfuscatedURL Kind = "obfuscated_url" // a domain written to dodge filters: 点com, 。com, dot com
	Domain        Kind = "domain"         // a bare domain: shop.example.com
	Email         Kind = "email"          // an e-mail address, also with @ written as (at) or 艾特
	BankCard      Kind = "bank_card"      // a Luhn-valid card number
	IDNumber      Kind = "id_number"      // a resident ID number with a valid check character
)

// MaxHits bounds the hits of one call: past it Find stops looking, so a
// hostile text of thousands of numbers costs no more than a few hundred.
const MaxHits = 256

// Hit is one finding: its kind and its byte span in the text given to Find.
type Hit struct {
	Kind       Kind
	Start, End int
	// Value is the canonical form: the digits of a number (X for the
	// check character), the ID or address after a contact word, the
	// lower-case domain or address.
	Value string
	// Context is set on a bank card with an account word near it (户名,
	// 开户行, 转账到…): the text asks to pay into that account.
	Context bool
}

// Quote returns the text the hit covers in s, the text given to Find.
func (h Hit) Quote(s string) string { return s[h.Start:h.End] }

// finder holds one call's state.
type finder struct {
	*scratch
	src     string // the text given to Find
	hits    []Hit
	nextDot bool // the group being read follows a dot
}

// Find returns every hit in s, ordered by start. Overlaps are resolved so
// that each character belongs to at most one hit (a number after a WeChat
// word is reported once, as the phone it is). s may hold invalid UTF-8,
// which is skipped.
func Find(s string) []Hit {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.units = toUnits(s, sc.units)
	f := &finder{scratch: sc, src: s}
	f.numbers()
	f.domains()
	f.contacts()
	if len(f.hits) == 0 {
		return nil
	}
	slices.SortStableFunc(f.hits, func(a, b Hit) int { return a.Start - b.Start })
	out := f.hits[:0]
	end := -1
	for _, h := range f.hits {
		if h.Start < end || h.End <= h.Start {
			continue
		}
		out = append(out, h)
		end = h.End
	}
	return out
}

// covered reports whether a hit already covers byte offset p.
func (f *finder) covered(p int32) bool {
	for _, h := range f.hits {
		if int(p) >= h.Start && int(p) < h.End {
			return true
		}
	}
	return false
}

// lower returns the folded text of u[from:to].
func (f *finder) text(from, to int) string {
	var b strings.Builder
	for _, x := range f.units[from:to] {
		b.WriteRune(x.r)
	}
	return b.String()
}
