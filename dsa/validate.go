package dsa

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"anxin"
)

var puidPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_]+$`)

// Validate checks a submission against the rules the Transparency
// Database applies to each statement it receives (required fields, the
// enumerations, the fields that one choice makes required or forbidden,
// lengths counted in characters, date formats and ranges, the puid's
// alphabet). It returns nil or an Invalid *anxin.Error with one detail per
// field at fault.
func Validate(s Submission) error {
	var v validation
	if len(s.DecisionVisibility) == 0 && s.DecisionMonetary == "" && s.DecisionProvision == "" && s.DecisionAccount == "" {
		v.add("decision_visibility", "at least one of decision_visibility, decision_monetary, decision_provision and decision_account is required")
	}
	for _, d := range s.DecisionVisibility {
		v.in("decision_visibility", d, visibilities)
	}
	v.otherText("decision_visibility_other", s.DecisionVisibilityOther, slices.Contains(s.DecisionVisibility, VisibilityOther), 500)
	v.optionalIn("decision_monetary", s.DecisionMonetary, monetaries)
	v.otherText("decision_monetary_other", s.DecisionMonetaryOther, s.DecisionMonetary == MonetaryOther, 500)
	v.optionalIn("decision_provision", s.DecisionProvision, provisions)
	v.optionalIn("decision_account", s.DecisionAccount, accounts)
	v.optionalIn("account_type", s.AccountType, accountTypes)
	for _, k := range s.CategorySpecification {
		v.in("category_specification", k, keywords)
	}

	v.in("decision_ground", s.DecisionGround, grounds)
	v.url("decision_ground_reference_url", s.DecisionGroundReferenceURL)
	illegal, incompatible := s.DecisionGround == GroundIllegal, s.DecisionGround == GroundIncompatible
	v.otherText("illegal_content_legal_ground", s.IllegalContentLegalGround, illegal, 500)
	v.otherText("illegal_content_explanation", s.IllegalContentExplanation, illegal, 2000)
	v.otherText("incompatible_content_ground", s.IncompatibleContentGround, incompatible, 500)
	v.otherText("incompatible_content_explanation", s.IncompatibleContentExplanation, incompatible, 2000)
	if s.IncompatibleContentIllegal != "" {
		if !incompatible {
			v.add("incompatible_content_illegal", "is only sent with the incompatible-content ground")
		}
		v.in("incompatible_content_illegal", s.IncompatibleContentIllegal, detections)
	}

	if len(s.ContentType) == 0 {
		v.add("content_type", "is required")
	}
	for _, c := range s.ContentType {
		v.in("content_type", c, contentTypes)
	}
	v.otherText("content_type_other", s.ContentTypeOther, slices.Contains(s.ContentType, ContentOther), 500)
	v.in("category", s.Category, categories)
	for _, c := range s.TerritorialScope {
		v.in("territorial_scope", c, countries)
	}

	v.date("content_date", s.ContentDate, true, "2000-01-01")
	v.date("application_date", s.ApplicationDate, true, "2020-01-01")
	v.date("end_date_account_restriction", s.EndDateAccountRestriction, false, "")
	v.date("end_date_monetary_restriction", s.EndDateMonetaryRestriction, false, "")
	v.date("end_date_service_restriction", s.EndDateServiceRestriction, false, "")
	v.date("end_date_visibility_restriction", s.EndDateVisibilityRestriction, false, "")

	v.required("decision_facts", s.DecisionFacts)
	v.max("decision_facts", s.DecisionFacts, 5000)
	v.in("source_type", s.SourceType, sourceTypes)
	if s.SourceIdentity != "" && s.SourceType == SourceVoluntary {
		v.add("source_identity", "is not sent for decisions on the platform's own initiative")
	}
	v.max("source_identity", s.SourceIdentity, 500)
	v.in("automated_detection", s.AutomatedDetection, detections)
	v.in("automated_decision", s.AutomatedDecision, decisions)
	if v.required("puid", s.PUID) {
		v.max("puid", s.PUID, 500)
		if !puidPattern.MatchString(s.PUID) {
			v.add("puid", "may contain only letters, digits, '-' and '_'")
		}
	}
	if len(v.errs) == 0 {
		return nil
	}
	return &anxin.Error{Kind: anxin.Invalid, Message: fmt.Sprintf("The statement %s does not meet the DSA Transparency Database's rules: %s %s.", s.PUID, v.errs[0].Field, v.errs[0].Message), Details: v.errs}
}

// ValidateOptions checks a platform's export settings once, so a bad
// country code or terms URL is one clear error rather than every statement
// refused: the same rules Validate applies to those two fields.
func ValidateOptions(o Options) error {
	var v validation
	for _, c := range o.TerritorialScope {
		v.in("territorial_scope", c, countries)
	}
	v.url("decision_ground_reference_url", o.TermsURL)
	if len(v.errs) == 0 {
		return nil
	}
	return &anxin.Error{Kind: anxin.Invalid, Message: "territorial_scope must list EU/EEA country codes such as DE,FR and terms_url must be an http(s) URL.", Details: v.errs}
}

type validation struct{ errs []anxin.ItemError }

// url checks an optional http(s) URL of at most 500 characters.
func (v *validation) url(field, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(field, "must be an http or https URL")
	}
	v.max(field, s, 500)
}

func (v *validation) add(field, msg string) {
	v.errs = append(v.errs, anxin.ItemError{Field: field, Message: msg})
}

func (v *validation) required(field, s string) bool {
	if s == "" {
		v.add(field, "is required")
		return false
	}
	return true
}

func (v *validation) in(field, s string, allowed map[string]bool) {
	if s == "" {
		v.add(field, "is required")
	} else if !allowed[s] {
		v.add(field, fmt.Sprintf("%.60q is not one of the database's values", s))
	}
}

func (v *validation) optionalIn(field, s string, allowed map[string]bool) {
	if s != "" {
		v.in(field, s, allowed)
	}
}

func (v *validation) max(field, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		v.add(field, fmt.Sprintf("is longer than %d characters", n))
	}
}

// otherText checks a free-text field that one choice requires and every
// other choice excludes.
func (v *validation) otherText(field, s string, needed bool, n int) {
	switch {
	case needed && s == "":
		v.add(field, "is required by the choice made")
	case !needed && s != "":
		v.add(field, "is only sent with the choice that requires it")
	default:
		v.max(field, s, n)
	}
}

func (v *validation) date(field, s string, required bool, earliest string) {
	if s == "" {
		if required {
			v.add(field, "is required")
		}
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != 10 {
		v.add(field, "must be a date YYYY-MM-DD")
		return
	}
	if earliest != "" && s < earliest {
		v.add(field, "must not be before "+earliest)
	}
	if s > "2038-01-01" {
		v.add(field, "must not be after 2038-01-01")
	}
}
