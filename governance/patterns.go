package governance

import (
	"anxin"
	"anxin/detect"
	"anxin/rules"
)

// Pattern signals (see patternSignals). The contact signals keep the names
// the default policy has always read (contact.phone, contact.url).
const (
	SigPhone         = "contact.phone"          // mainland mobile numbers
	SigLandline      = "contact.landline"       // landlines with an area code
	SigHotline       = "contact.hotline"        // 400/800 service numbers
	SigQQ            = "contact.qq"             // QQ numbers after a QQ word
	SigWeChat        = "contact.wechat"         // WeChat IDs after a WeChat word
	SigURL           = "contact.url"            // links (scheme or www.) and obfuscated domains
	SigObfuscatedURL = "contact.obfuscated_url" // domains written to dodge filters (点com, 。com)
	SigDomain        = "contact.domain"         // bare domains (shop.example.com)
	SigEmail         = "contact.email"          // e-mail addresses
	SigContact       = "contact.any"            // all of the above but bare domains
	SigBankCard      = "pii.bank_card"          // Luhn-valid card numbers
	SigBankAccount   = "pii.bank_account"       // card numbers with an account word near (户名, 转账到)
	SigIDNumber      = "pii.id_number"          // resident ID numbers with a valid check character
)

// patternSignal maps a detector kind to its signal and evidence category.
func patternSignal(k detect.Kind) (signal, category string) {
	switch k {
	case detect.Mobile:
		return SigPhone, "contact"
	case detect.Landline:
		return SigLandline, "contact"
	case detect.Hotline:
		return SigHotline, "contact"
	case detect.QQ:
		return SigQQ, "contact"
	case detect.WeChat:
		return SigWeChat, "contact"
	case detect.URL, detect.ObfuscatedURL:
		return SigURL, "contact"
	case detect.Domain:
		return SigDomain, "contact"
	case detect.Email:
		return SigEmail, "contact"
	case detect.BankCard:
		return SigBankCard, "bank_account"
	case detect.IDNumber:
		return SigIDNumber, "personal_data"
	}
	return "", ""
}

// patternSignals runs the pattern detectors on one field's original text,
// counts their signals and records their evidence (kind "pattern", the
// detector kind as the term) and their finds, which reason templates quote.
func patternSignals(st *checkState, fieldName, text string, hits []detect.Hit) {
	for _, h := range hits {
		sig, cat := patternSignal(h.Kind)
		st.sig[sig]++
		switch h.Kind {
		case detect.ObfuscatedURL:
			st.sig[SigObfuscatedURL]++
		case detect.BankCard:
			if h.Context {
				st.sig[SigBankAccount]++
			}
		}
		if isContact(h.Kind) {
			st.sig[SigContact]++
		}
		q := h.Quote(text)
		st.patternFound = append(st.patternFound, rules.Found{Term: string(h.Kind), Category: cat, Lexicon: "patterns", Severity: 4, Quote: q})
		st.evidence(anxin.Evidence{Kind: "pattern", Field: fieldName, Term: string(h.Kind), Category: cat, Quote: q, Start: h.Start, End: h.End})
	}
}

// isContact reports whether a pattern kind is a way to reach the author
// off the platform (a bare domain is not sure enough).
func isContact(k detect.Kind) bool {
	_, cat := patternSignal(k)
	return cat == "contact" && k != detect.Domain
}

// hasContact reports whether hits hold a contact.
func hasContact(hits []detect.Hit) bool {
	for _, h := range hits {
		if isContact(h.Kind) {
			return true
		}
	}
	return false
}
