// Package evaluate measures a detection engine on a labelled set: it parses
// labelled JSON lines, runs each text through a governance engine in-process
// and scores the outcomes into precision, recall and false-positive rate per
// label, per content kind and overall, with examples of each kind of error.
//
//	items, err := evaluate.Parse(f, evaluate.MaxFileBytes)
//	if err != nil { ... } // an *anxin.Error naming the line
//	sum := evaluate.Run(eng, items, evaluate.Options{Examples: 10})
//	fmt.Printf("recall %.3f, FPR %.4f\n", sum.Flagged.Recall, sum.Flagged.FPR)
//
// A violation counts as caught when the engine's outcome is review or block
// ("flagged"); the summary also gives every figure for block alone
// ("blocked"), because a review costs a reviewer's time and a block does
// not. Scoring (Score) is pure; Run only adds the engine calls.
package evaluate

import (
	"slices"
	"strings"
)

// Clean is the label of a text that breaks no rule.
const Clean = "clean"

// Labels are the violation labels a labelled file may use, besides Clean.
// They are the categories of harm a Chinese marketplace's rules forbid, in
// our own words, independent of any lexicon's category names.
var Labels = []string{
	"fake_documents",    // forged certificates, diplomas, IDs, seals, invoices; exam proxies
	"explosives",        // explosives, detonators, precursors, recipes
	"weapons",           // guns, air guns, ammunition, crossbows, controlled knives, stun guns
	"drugs",             // narcotics, date-rape drugs, laughing gas
	"sex_services",      // coded and explicit offers of sexual services
	"adult_content",     // porn videos, sites, live nude chat, hidden-camera clips
	"lottery",           // private lotteries, Mark Six tips, "sure" numbers
	"gambling",          // gambling platforms, rebates (返水), agents
	"credit_repair",     // 征信 "repair" or "washing", no-credit-check loans
	"card_cashout",      // credit-card cash-out (套现), repay-for-you (代还)
	"bank_drop",         // renting or buying bank accounts, "transfer here" card numbers
	"phishing",          // prize, court, refund and account-freeze scams
	"account_trade",     // selling QQ/WeChat/platform accounts, SMS numbers
	"medical_claims",    // cure claims
	"counterfeit",       // replica and counterfeit wording
	"contact_diversion", // pulling buyers off the platform to WeChat, QQ, phone
	"seo_spam",          // keyword-stuffed adult or gambling SEO text
}

// Kinds are the kinds of text a labelled line may have, and the content kind
// each is checked as. A listing is checked as a listing whose title is the
// text; a caption as a livestream segment with no earlier segments; a
// message (buyer-seller chat) as a comment, the closest content kind the
// engine has.
var Kinds = map[string]string{
	"listing": "listing",
	"comment": "comment",
	"caption": "livestream_segment",
	"message": "comment",
}

// KnownLabel reports whether l is Clean or one of Labels.
func KnownLabel(l string) bool { return l == Clean || slices.Contains(Labels, l) }

// DefaultLabelMap maps the labels the default policy's rules give to the
// evaluation labels, for per-label precision. A rule label equal to an
// evaluation label maps to itself without an entry; rule labels that map to
// nothing ("prohibited", "evasion", "advertising_law") still count as a
// flag, but for no label in particular.
var DefaultLabelMap = map[string]string{
	"replica_wording":      "counterfeit",
	"origin_claim":         "counterfeit",
	"quality_claim":        "counterfeit",
	"counterfeit_signals":  "counterfeit",
	"counterfeit_images":   "counterfeit",
	"firearms":             "weapons",
	"controlled_knives":    "weapons",
	"adult":                "adult_content",
	"keyword_stuffing":     "seo_spam",
	"false_medical_claim":  "medical_claims",
	"health_claim":         "medical_claims",
	"off_platform_contact": "contact_diversion",
	"invoice_fraud":        "fake_documents",
	"personal_data":        "account_trade",
	"identity_trade":       "account_trade",
}

// MapLabels returns the evaluation labels that the engine labels ls stand
// for under m (nil: DefaultLabelMap), sorted and without duplicates.
func MapLabels(ls []string, m map[string]string) []string {
	if m == nil {
		m = DefaultLabelMap
	}
	var out []string
	for _, l := range ls {
		l = strings.ToLower(l)
		v, ok := m[l]
		if !ok && KnownLabel(l) && l != Clean {
			v, ok = l, true
		}
		if ok && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}
