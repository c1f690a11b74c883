package counterfeit

import (
	"time"

	"anxin"
)

// Reason is one code of the IP complaint taxonomy with the evidence it needs
// and what a valid notice does.
type Reason struct {
	Code      string
	Title     string
	Needs     []string // evidence kinds that must all be present
	Immediate bool     // strong evidence: take the link down at once, then hear the merchant
	Family    string   // counterfeit, trademark_misuse, copyright
}

// Reasons is the taxonomy (doc/domain.md, IP notices). A notice names exactly one.
var Reasons = []Reason{
	{"trademark.fake.sfxzpj", "Counterfeit by judicial or administrative ruling", []string{"case_number"}, true, "counterfeit"},
	{"trademark.fake.gmjd", "Test-buy appraisal", []string{"order_id", "appraisal_report"}, true, "counterfeit"},
	{"trademark.fake.wsc", "No such style or model exists", []string{"statement"}, false, "counterfeit"},
	{"trademark.fake.zjdb", "Genuine-vs-fake comparison", []string{"images", "text"}, false, "counterfeit"},
	{"trademark.fake.mxjh", "Obviously counterfeit wording", []string{"text"}, true, "counterfeit"},
	{"trademark.fake.wwzrsj", "Seller admitted selling fakes in chat", []string{"chat_log"}, true, "counterfeit"},
	{"trademark.fake.zdsbxx", "Trademark blurred or covered", []string{"images"}, false, "counterfeit"},
	{"trademark.budang.lysbgjz", "Owner's mark used as a keyword", []string{"text"}, false, "trademark_misuse"},
	{"trademark.budang.wsqzssb", "Identical logo shown in images", []string{"images"}, false, "trademark_misuse"},
	{"trademark.budang.other", "Other trademark infringement", []string{"text"}, false, "trademark_misuse"},
	{"copyright", "Copyright infringement", []string{"images", "text"}, false, "copyright"},
}

// EvidenceKinds are the accepted evidence kinds.
var EvidenceKinds = []string{"case_number", "order_id", "appraisal_report", "statement", "images", "chat_log", "text"}

// LookupReason returns the reason with code, or Invalid.
func LookupReason(code string) (Reason, error) {
	for _, r := range Reasons {
		if r.Code == code {
			return r, nil
		}
	}
	return Reason{}, anxin.Errorf(anxin.Invalid, "reason %q is not in the complaint taxonomy.", code)
}

// CheckNotice validates a notice's shape and that its evidence is complete
// for its reason. It does not check brand ownership (that needs the
// registry); it returns Invalid naming the first missing evidence kind.
func CheckNotice(n *anxin.Notice) (Reason, error) {
	if err := anxin.ValidateID("brand_id", n.BrandID); err != nil {
		return Reason{}, err
	}
	if err := anxin.ValidateID("listing_id", n.ListingID); err != nil {
		return Reason{}, err
	}
	if err := anxin.ValidateOptionalID("content_id", n.ContentID); err != nil {
		return Reason{}, err
	}
	if err := anxin.ValidateText("statement", n.Statement, 4096); err != nil {
		return Reason{}, err
	}
	r, err := LookupReason(n.Reason)
	if err != nil {
		return r, err
	}
	if len(n.Evidence) > 20 {
		return r, anxin.Errorf(anxin.Invalid, "A notice carries at most 20 pieces of evidence.")
	}
	have := map[string]bool{}
	for _, e := range n.Evidence {
		known := false
		for _, k := range EvidenceKinds {
			known = known || k == e.Kind
		}
		if !known {
			return r, anxin.Errorf(anxin.Invalid, "evidence kind %q is not one of case_number, order_id, appraisal_report, statement, images, chat_log, text.", e.Kind)
		}
		if e.Ref == "" || anxin.ValidateText("evidence.ref", e.Ref, 1024) != nil {
			return r, anxin.Errorf(anxin.Invalid, "every evidence item needs a ref of at most 1024 bytes of text.")
		}
		if e.SHA256 != "" && !isHex(e.SHA256, 64) {
			return r, anxin.Errorf(anxin.Invalid, "evidence sha256 must be 64 hex digits.")
		}
		have[e.Kind] = true
	}
	if n.Statement != "" {
		have["statement"] = true
	}
	for _, need := range r.Needs {
		if !have[need] {
			return r, anxin.Errorf(anxin.Invalid, "reason %s needs %s evidence.", r.Code, need)
		}
	}
	return r, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// Windows of the notice flow, in business days (doc/domain.md, IP notices).
const (
	CounterNoticeBusinessDays    = 10 // reinstatement after a counter-notice unless legal action is reported
	MerchantResponseBusinessDays = 3
)

// AddBusinessDays returns the end of the n-th business day after t in the
// marketplace time zone (Monday to Friday; holidays are the care calendar's
// concern and not modelled here): 23:59:59 local, as doc/domain.md, Time and money, defines.
func AddBusinessDays(t time.Time, n int) time.Time {
	local := t.In(anxin.MarketplaceTZ)
	d := time.Date(local.Year(), local.Month(), local.Day(), 23, 59, 59, 0, anxin.MarketplaceTZ)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d.UTC()
}

// RepeatSanction returns the sanction for a merchant's count of upheld
// counterfeit notices in 365 days: "" below 5, "shield_shop" (14 days) from
// 5, "clear_out" from 10 (doc/domain.md, IP notices).
func RepeatSanction(upheld365 int) (action string, days int) {
	switch {
	case upheld365 >= 10:
		return "clear_out", 0
	case upheld365 >= 5:
		return "shield_shop", 14
	}
	return "", 0
}

// InfluencerStep is one rung of the influencer penalty ladder (doc/domain.md, Influencers).
type InfluencerStep struct {
	Step                 int      `json:"step"`
	Actions              []string `json:"actions"`
	SuspendSharingDays   int      `json:"suspend_sharing_days,omitempty"`
	FreezeCommissionDays int      `json:"freeze_commission_days,omitempty"`
	FineFen              int64    `json:"fine_fen,omitempty"`
}

// InfluencerPenalty returns the ladder step for an influencer's n-th
// penalty in a rolling 365 days (n ≥ 1); severe triggers jump to step 4.
func InfluencerPenalty(n int, severe bool) InfluencerStep {
	if severe || n >= 4 {
		s := InfluencerStep{Step: 4, Actions: []string{"close_product_sharing_permanently", "freeze_commission"}, FreezeCommissionDays: 1095, FineFen: 500000}
		if severe {
			s.FineFen = 2000000
		}
		return s
	}
	switch n {
	case 1:
		return InfluencerStep{Step: 1, Actions: []string{"warn", "remove_product_from_showcase"}}
	case 2:
		return InfluencerStep{Step: 2, Actions: []string{"suspend_product_sharing"}, SuspendSharingDays: 7}
	default:
		return InfluencerStep{Step: 3, Actions: []string{"suspend_product_sharing", "freeze_commission"}, SuspendSharingDays: 30, FreezeCommissionDays: 90}
	}
}
