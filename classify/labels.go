package classify

import (
	"slices"
	"strings"

	"anxin"
)

// Clean is the label of text that breaks no rule.
const Clean = "clean"

// Categories are the violation labels a content model predicts, in a fixed
// order (a model's labels are the subset its training data had, in this
// order). Each names a class of harm a marketplace's rules forbid:
//
//	counterfeit           replica and counterfeit goods, fake brand origin
//	weapons               firearms and their parts, controlled knives, explosives
//	drugs                 narcotics, precursors, prescription drugs without licence
//	adult                 sex services, adult videos and coded offers
//	gambling              gambling platforms, rebates, lottery tips
//	fraud                 fake documents and certificates, invoices, fake orders,
//	                      credit washing, card cash-out, account drops, phishing
//	personal_data         trade in identities, personal data, accounts and numbers
//	off_platform_contact  steering buyers to chat apps, phones, other sites
//	seo_spam              keyword stuffing and spam lines
//	false_medical_claim   cure and treatment claims for goods that are no medicine
//	advertising_law       absolute advertising claims (best, first, only)
//	wildlife              protected animals and plants and their parts
//	prohibited_other      other forbidden goods and services (covert cameras,
//	                      surrogacy, …)
var Categories = []string{
	"counterfeit", "weapons", "drugs", "adult", "gambling", "fraud", "personal_data",
	"off_platform_contact", "seo_spam", "false_medical_claim", "advertising_law",
	"wildlife", "prohibited_other",
}

// aliases maps the names the default pack's lexicon categories and policy
// labels use to the category they belong to, so labelled files may use
// either and a reviewer's decision can be labelled from its rule labels.
var aliases = map[string]string{
	"counterfeit_hard": "counterfeit", "counterfeit_en": "counterfeit", "counterfeit_origin": "counterfeit",
	"counterfeit_soft": "counterfeit", "replica_wording": "counterfeit", "origin_claim": "counterfeit",
	"quality_claim": "counterfeit", "counterfeit_signals": "counterfeit", "counterfeit_images": "counterfeit",
	"firearms": "weapons", "controlled_knives": "weapons", "explosives": "weapons",
	"sex_service": "adult", "adult_video": "adult",
	"lottery":        "gambling",
	"fake_documents": "fraud", "invoice_fraud": "fraud", "fake_orders": "fraud", "phishing": "fraud",
	"credit_repair": "fraud", "cash_out": "fraud", "bank_drop": "fraud",
	"identity_trade": "personal_data", "account_trade": "personal_data",
	"contact":          "off_platform_contact",
	"keyword_stuffing": "seo_spam", "brand_stuffing": "seo_spam",
	"medical_claims": "false_medical_claim", "health_claim": "false_medical_claim",
	"ad_absolute":   "advertising_law",
	"covert_camera": "prohibited_other", "surrogacy": "prohibited_other",
}

// Canonical returns the label s stands for: Clean, a category, or the
// category an alias names. It returns Invalid for anything else.
func Canonical(s string) (string, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == Clean || slices.Contains(Categories, s) {
		return s, nil
	}
	if c, ok := aliases[s]; ok {
		return c, nil
	}
	return "", anxin.Errorf(anxin.Invalid, "Unknown label %q: want clean or one of %s.", truncate(s, 40), strings.Join(Categories, ", "))
}

// CategoryOf returns the first of labels that is (or is an alias of) a
// category, or "" when none is: how a reviewer's upheld decision is
// labelled from the labels of the rules that sent it to review.
func CategoryOf(labels []string) string {
	for _, l := range labels {
		if c, err := Canonical(l); err == nil && c != Clean {
			return c
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r) + "…"
}
