package enforcement

import (
	"fmt"
	"strings"
	"time"

	"anxin"
)

// restrictionText says in words what a sanction type restricts.
var restrictionText = map[string]string{
	anxin.SanctionWarning:           "A warning on the shop's record; nothing is restricted yet",
	anxin.SanctionRestrictListing:   "Publishing new listings",
	anxin.SanctionShieldShop:        "The shop's visibility: it is hidden from search and recommendations",
	anxin.SanctionFreezePayout:      "Payouts of the shop's settled funds",
	anxin.SanctionDeductDeposit:     "The shop's deposit: it is deducted",
	anxin.SanctionClearOut:          "The shop itself: it is cleared out and may no longer sell",
	anxin.SanctionRestrictStreaming: "Selling in livestreams and sharing products",
}

// Restriction says what sanction s restricts and for how long.
func Restriction(s *anxin.Sanction) string {
	text := restrictionText[s.Type]
	if text == "" {
		text = s.Type
	}
	switch {
	case OneOff(s.Type):
	case s.EndsAt != nil:
		text += fmt.Sprintf(", from %s until %s", s.StartsAt.In(anxin.MarketplaceTZ).Format("2006-01-02 15:04"),
			s.EndsAt.In(anxin.MarketplaceTZ).Format("2006-01-02 15:04"))
	default:
		text += ", with no set end"
	}
	return text + "."
}

// AppealPath is the API path where the subject appeals sanction id.
func AppealPath(id string) string { return "POST /v1/sanctions/" + id + "/appeals" }

// Explanation is what a source knows about why it issued a sanction.
type Explanation struct {
	Facts       string
	Automation  string // fully, partially, not
	LegalGround string // set when the ground is the law
	TermsGround string // the term of service otherwise
	Until       string // for a sanction that ends on a condition ("until the deposit is topped up")
}

// Explain fills s.Reasons, s.AppealPath and s.AppealDeadline from e and the
// appeal window (days; 0 means no deadline). The ground is illegal_content
// when e names a law, incompatible_with_terms otherwise.
func Explain(s *anxin.Sanction, e Explanation, windowDays int) {
	r := anxin.SanctionReasons{Restriction: Restriction(s), Facts: e.Facts, Automation: e.Automation,
		Ground: "incompatible_with_terms", TermsGround: e.TermsGround, LegalGround: e.LegalGround}
	if r.Automation == "" {
		r.Automation = "fully"
	}
	if e.LegalGround != "" {
		r.Ground = "illegal_content"
	}
	if e.Until != "" {
		r.Restriction = restrictionText[s.Type] + ", " + e.Until + "."
	}
	s.AppealPath = AppealPath(s.ID)
	r.HowToAppeal = "Appeal this sanction: " + s.AppealPath + " with the reasons it is wrong, or from the shop's page in the console."
	if windowDays > 0 {
		dl := s.CreatedAt.Add(time.Duration(windowDays) * 24 * time.Hour)
		s.AppealDeadline = &dl
		r.HowToAppeal = fmt.Sprintf("Appeal within %d days: %s with the reasons it is wrong, or from the shop's page in the console. A person who took no part in the decision decides.", windowDays, s.AppealPath)
	}
	s.Reasons = r
}

// dsaCategoryOf is the DSA statement category of a source's sanctions.
var dsaCategoryOf = map[string]string{
	anxin.SourceIP:       "intellectual_property_infringements",
	anxin.SourceSampling: "unsafe_and_illegal_products",
	anxin.SourcePrivacy:  "data_protection_and_privacy_violations",
}

// Statement builds the stored statement of reasons of a sanction issued
// outside a governance decision (IP, sampling, quality, deposit, manual):
// the same body governance writes, so every sanction is listed, exported
// and appealed the same way. reason is the user-facing sentence.
func Statement(s *anxin.Sanction, reason string) *anxin.Statement {
	cat := dsaCategoryOf[s.Source]
	if cat == "" {
		cat = "scope_of_platform_service"
	}
	act := anxin.StatementAction{Type: s.Type, StartsAt: s.StartsAt, EndsAt: s.EndsAt}
	st := &anxin.Statement{
		ID: s.StatementID, Version: 1, MerchantID: s.MerchantID, TargetType: s.SubjectType, TargetID: s.SubjectID,
		Outcome: anxin.OutcomeBlock, Actions: []anxin.StatementAction{act}, DecisionGround: s.Reasons.Ground,
		LegalGround: s.Reasons.LegalGround, RuleIDs: []string{}, Category: cat, Reason: reason, Facts: s.Reasons.Facts,
		Evidence: []anxin.Evidence{}, Source: "own_initiative", Automation: s.Reasons.Automation, AppealDeadline: s.AppealDeadline,
		AppealStatus: "none", HowToAppeal: s.Reasons.HowToAppeal, CreatedAt: s.CreatedAt,
	}
	if s.Source == anxin.SourceIP {
		st.Source = "notice"
	}
	return st
}

// DSACategory maps a decision's labels to a DSA statement category; the
// first label that names one decides, scope_of_platform_service otherwise.
func DSACategory(labels []string) string {
	for _, l := range labels {
		switch l {
		case "counterfeit", "brand":
			return "intellectual_property_infringements"
		case "adult":
			return "pornography_or_sexualized_content"
		case "personal_data":
			return "data_protection_and_privacy_violations"
		case "wildlife":
			return "animal_welfare"
		case "invoice_fraud", "fake_orders", "gambling":
			return "scams_and_fraud"
		case "weapons", "drugs", "covert_camera", "false_medical_claim", "surrogacy":
			return "unsafe_and_illegal_products"
		}
	}
	return "scope_of_platform_service"
}

// Facts renders a decision's facts and circumstances from its evidence (at
// most five findings, then a count) and the points node it reached, if any.
func Facts(ev []anxin.Evidence, cause string) string {
	var parts []string
	if cause != "" {
		parts = append(parts, "Points node reached: "+cause+".")
	}
	for i, e := range ev {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("(%d more findings)", len(ev)-5))
			break
		}
		switch e.Kind {
		case "sanction":
			parts = append(parts, "Active sanction "+e.Category+" ("+e.Ref+").")
		default:
			parts = append(parts, fmt.Sprintf("%s contains %q (%s) at bytes %d-%d.", e.Field, e.Quote, e.Category, e.Start, e.End))
		}
	}
	return strings.Join(parts, " ")
}
