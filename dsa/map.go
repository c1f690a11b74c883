package dsa

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"anxin"
	"anxin/rules"
)

// Options are a platform's settings for its submissions.
type Options struct {
	// TerritorialScope lists the EU/EEA member states (ISO codes) where
	// the decisions apply; empty omits the field.
	TerritorialScope []string
	// TermsURL is the terms of service the contractual grounds refer to.
	TermsURL string
	// Location is the zone dates are written in (the database takes
	// calendar days); nil means UTC.
	Location *time.Location
}

// FromStatement maps one statement of reasons to a submission and
// validates it. An Invalid error names the fields the database would
// refuse (Validate); a statement that restricts nothing (an allow) is
// Invalid too, since the database records restrictions only.
func FromStatement(st *anxin.Statement, o Options) (Submission, error) {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	day := func(t time.Time) string { return t.In(loc).Format(time.DateOnly) }
	s := Submission{
		AccountType:                AccountBusiness, // every party Anxin restricts is a trader or an influencer trading
		Category:                   category(st.Category),
		CategorySpecification:      keyword(st),
		TerritorialScope:           o.TerritorialScope,
		ApplicationDate:            day(st.CreatedAt),
		ContentDate:                day(st.CreatedAt),
		DecisionFacts:              clip(facts(st), 5000),
		SourceType:                 source(st.Source),
		AutomatedDecision:          decision(st.Automation),
		AutomatedDetection:         detection(st),
		PUID:                       PUID(st),
		DecisionGroundReferenceURL: o.TermsURL,
	}
	if st.ContentDate != nil {
		s.ContentDate = day(*st.ContentDate)
	}
	reason := clip(firstNonEmpty(st.Reason, st.Facts, "The item broke the platform's rules."), 2000)
	if st.DecisionGround == "illegal_content" {
		s.DecisionGround = GroundIllegal
		s.IllegalContentLegalGround = clip(firstNonEmpty(st.LegalGround, "Applicable law on the sale of the goods concerned"), 500)
		s.IllegalContentExplanation = reason
	} else {
		s.DecisionGround = GroundIncompatible
		ground := "Platform rules"
		if len(st.RuleIDs) > 0 {
			ground += ": " + strings.Join(st.RuleIDs, ", ")
		}
		s.IncompatibleContentGround = clip(ground, 500)
		s.IncompatibleContentExplanation = reason
		s.IncompatibleContentIllegal = No
	}
	switch st.TargetType {
	case "listing":
		s.ContentType = []string{ContentProduct, ContentText}
	case "livestream":
		s.ContentType = []string{ContentVideo}
	case "content":
		s.ContentType = []string{ContentText}
	default: // merchant, influencer: the account's shop as a whole
		s.ContentType = []string{ContentOther}
		s.ContentTypeOther = "Online shop or seller account"
	}
	for _, a := range st.Actions {
		applyAction(&s, a, day)
	}
	if len(s.DecisionVisibility) == 0 && s.DecisionMonetary == "" && s.DecisionProvision == "" && s.DecisionAccount == "" {
		switch st.Outcome {
		case anxin.OutcomeBlock:
			// A publish-time block keeps the item from going live.
			s.DecisionVisibility = []string{VisibilityDisabled}
		case anxin.OutcomeReview:
			s.DecisionVisibility = []string{VisibilityOther}
			s.DecisionVisibilityOther = "Held back from publication pending human review"
		}
	}
	return s, Validate(s)
}

// applyAction maps one of Anxin's enforcement actions onto the database's
// four kinds of restriction, with its end date where it has one.
func applyAction(s *Submission, a anxin.StatementAction, day func(time.Time) string) {
	end := ""
	if a.EndsAt != nil {
		end = day(*a.EndsAt)
	}
	vis := func(v string) {
		if !slices.Contains(s.DecisionVisibility, v) {
			s.DecisionVisibility = append(s.DecisionVisibility, v)
		}
		s.EndDateVisibilityRestriction = later(s.EndDateVisibilityRestriction, end)
	}
	switch a.Type {
	case rules.ActInterceptPublish, rules.ActHideContent, rules.ActCutStream:
		vis(VisibilityDisabled)
	case rules.ActBanListing, rules.ActDelist:
		vis(VisibilityRemoved)
	case rules.ActRemoveFromCart:
		vis(VisibilityOther)
		s.DecisionVisibilityOther = "Product removed from a livestream's cart"
	case rules.ActShieldShop:
		vis(VisibilityDemoted)
	case rules.ActRestrictListing, rules.ActPenaliseInfluencer:
		if s.DecisionProvision == "" {
			s.DecisionProvision = ProvisionPartialSuspension
		}
		s.EndDateServiceRestriction = later(s.EndDateServiceRestriction, end)
	case rules.ActFreezePayout:
		s.DecisionMonetary = MonetarySuspension
		s.EndDateMonetaryRestriction = later(s.EndDateMonetaryRestriction, end)
	case rules.ActDeductDeposit:
		if s.DecisionMonetary == "" {
			s.DecisionMonetary = MonetaryOther
			s.DecisionMonetaryOther = "Deduction from the seller's security deposit"
		}
	case rules.ActClearOut:
		s.DecisionAccount = AccountTerminated
		s.DecisionProvision = ProvisionTotalTermination
	default:
		vis(VisibilityOther)
		s.DecisionVisibilityOther = clip("Restriction: "+a.Type, 500)
	}
}

// category maps Anxin's statement category (snake case, the DSA's older
// names included) to the database's category.
func category(c string) string {
	switch c {
	case "intellectual_property_infringements", "counterfeit", "brand":
		return "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
	case "data_protection_and_privacy_violations", "personal_data":
		return "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"
	case "animal_welfare", "wildlife":
		return "STATEMENT_CATEGORY_ANIMAL_WELFARE"
	case "scams_and_fraud", "gambling", "fraud":
		return "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
	case "unsafe_and_illegal_products", "unsafe_and_prohibited_products", "weapons", "drugs":
		return "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
	case "protection_of_minors":
		return "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
	case "risk_for_public_security":
		return "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
	case "consumer_information", "consumer_information_infringements":
		return "STATEMENT_CATEGORY_CONSUMER_INFORMATION"
	case "illegal_or_harmful_speech":
		return "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
	case "violence":
		return "STATEMENT_CATEGORY_VIOLENCE"
	}
	// Adult material and everything else Anxin enforces under the
	// platform's own terms.
	return "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
}

// keyword adds the category specification Anxin knows for a category.
func keyword(st *anxin.Statement) []string {
	switch st.Category {
	case "pornography_or_sexualized_content", "adult":
		return []string{"KEYWORD_ADULT_SEXUAL_MATERIAL"}
	case "intellectual_property_infringements", "counterfeit", "brand":
		return []string{"KEYWORD_TRADEMARK_INFRINGEMENT"}
	case "animal_welfare", "wildlife":
		return []string{"KEYWORD_UNLAWFUL_SALE_ANIMALS"}
	case "unsafe_and_illegal_products", "unsafe_and_prohibited_products", "weapons", "drugs":
		return []string{"KEYWORD_PROHIBITED_PRODUCTS"}
	}
	return nil
}

func source(s string) string {
	switch s {
	case "own_initiative", "":
		return SourceVoluntary
	case "notice", "ip_notice", "article_16":
		return SourceNotice
	case "trusted_flagger":
		return SourceTrustedFlagger
	}
	return SourceOther
}

func decision(a string) string {
	switch a {
	case "fully":
		return DecisionFully
	case "partially":
		return DecisionPartially
	}
	return DecisionNot
}

// detection is Yes when automated means found the item: every check Anxin
// runs, and any decision with automated evidence; No only for a person's
// decision on a notice with no automated evidence.
func detection(st *anxin.Statement) string {
	if st.Automation == "fully" || st.Automation == "partially" {
		return Yes
	}
	for _, e := range st.Evidence {
		if e.Kind != "" && e.Kind != "notice" && e.Kind != "manual" {
			return Yes
		}
	}
	return No
}

// PUID is the platform's unique id of the decision, the one a statement is
// submitted under: the statement id and its version, in the characters the
// database allows.
func PUID(st *anxin.Statement) string {
	var b strings.Builder
	for _, r := range st.ID {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if st.Version > 1 {
		b.WriteString("-v")
		b.WriteString(strconv.Itoa(st.Version))
	}
	return b.String()
}

func facts(st *anxin.Statement) string {
	f := strings.TrimSpace(st.Facts)
	if f == "" {
		f = strings.TrimSpace(st.Reason)
	}
	if f == "" {
		f = "Decision " + firstNonEmpty(st.DecisionID, st.ID) + " on " + st.TargetType + " " + st.TargetID + "."
	}
	return f
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// clip cuts s to at most n characters (the database counts characters).
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// later returns the later of two YYYY-MM-DD dates, "" standing for none.
func later(a, b string) string {
	if a > b {
		return a
	}
	return b
}
