package dsa_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/dsa"
	"anxin/rules"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFromStatement(t *testing.T) {
	created := at("2026-03-03T20:30:00Z") // 04:30 the next day in Shanghai
	week := created.Add(7 * 24 * time.Hour)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	tests := []struct {
		name  string
		st    anxin.Statement
		opt   dsa.Options
		check func(t *testing.T, s dsa.Submission)
	}{
		{"listing intercepted at publish for counterfeit wording", anxin.Statement{
			ID: "sor_1", Version: 1, TargetType: "listing", TargetID: "l_1", Outcome: anxin.OutcomeBlock,
			Actions: []anxin.StatementAction{{Type: rules.ActInterceptPublish, StartsAt: created}}, DecisionGround: "incompatible_with_terms",
			RuleIDs: []string{"counterfeit_terms"}, Category: "intellectual_property_infringements", Reason: "The title offers replicas.",
			Facts: "Title quoted 高仿.", Source: "own_initiative", Automation: "fully", CreatedAt: created,
		}, dsa.Options{Location: shanghai}, func(t *testing.T, s dsa.Submission) {
			want(t, "visibility", s.DecisionVisibility, []string{dsa.VisibilityDisabled})
			eq(t, "ground", s.DecisionGround, dsa.GroundIncompatible)
			eq(t, "incompatible ground", s.IncompatibleContentGround, "Platform rules: counterfeit_terms")
			eq(t, "incompatible illegal", s.IncompatibleContentIllegal, dsa.No)
			want(t, "content type", s.ContentType, []string{dsa.ContentProduct, dsa.ContentText})
			eq(t, "category", s.Category, "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS")
			want(t, "keyword", s.CategorySpecification, []string{"KEYWORD_TRADEMARK_INFRINGEMENT"})
			eq(t, "application date in the marketplace zone", s.ApplicationDate, "2026-03-04")
			eq(t, "source", s.SourceType, dsa.SourceVoluntary)
			eq(t, "detection", s.AutomatedDetection, dsa.Yes)
			eq(t, "decision", s.AutomatedDecision, dsa.DecisionFully)
			eq(t, "puid", s.PUID, "sor_1")
		}},
		{"merchant cleared out with deposit deducted, illegal goods", anxin.Statement{
			ID: "sor_2", Version: 2, MerchantID: "m_1", TargetType: "merchant", TargetID: "m_1", Outcome: anxin.OutcomeBlock,
			Actions:        []anxin.StatementAction{{Type: rules.ActClearOut, StartsAt: created}, {Type: rules.ActDeductDeposit, StartsAt: created}},
			DecisionGround: "illegal_content", LegalGround: "Wildlife Protection Law art. 28", Category: "wildlife",
			Reason: "Repeated sales of protected species.", Source: "own_initiative", Automation: "partially", CreatedAt: created,
			Evidence: []anxin.Evidence{{Kind: "lexicon", Term: "象牙"}},
		}, dsa.Options{TerritorialScope: []string{"DE", "FR"}, TermsURL: "https://shop.example/rules"}, func(t *testing.T, s dsa.Submission) {
			eq(t, "account", s.DecisionAccount, dsa.AccountTerminated)
			eq(t, "provision", s.DecisionProvision, dsa.ProvisionTotalTermination)
			eq(t, "monetary", s.DecisionMonetary, dsa.MonetaryOther)
			if s.DecisionMonetaryOther == "" {
				t.Error("deposit deduction has no monetary_other text")
			}
			eq(t, "ground", s.DecisionGround, dsa.GroundIllegal)
			eq(t, "legal ground", s.IllegalContentLegalGround, "Wildlife Protection Law art. 28")
			eq(t, "incompatible fields empty", s.IncompatibleContentGround+s.IncompatibleContentIllegal, "")
			want(t, "content type", s.ContentType, []string{dsa.ContentOther})
			eq(t, "category", s.Category, "STATEMENT_CATEGORY_ANIMAL_WELFARE")
			eq(t, "puid carries the version", s.PUID, "sor_2-v2")
			eq(t, "decision", s.AutomatedDecision, dsa.DecisionPartially)
			want(t, "scope", s.TerritorialScope, []string{"DE", "FR"})
		}},
		{"payout frozen and listing rights restricted for a week, person decided a notice", anxin.Statement{
			ID: "sor_3", Version: 1, TargetType: "merchant", TargetID: "m_2", Outcome: anxin.OutcomeBlock,
			Actions:  []anxin.StatementAction{{Type: rules.ActFreezePayout, StartsAt: created, EndsAt: &week}, {Type: rules.ActRestrictListing, StartsAt: created, EndsAt: &week}},
			Category: "scope_of_platform_service", Source: "notice", Automation: "not", CreatedAt: created,
		}, dsa.Options{}, func(t *testing.T, s dsa.Submission) {
			eq(t, "monetary", s.DecisionMonetary, dsa.MonetarySuspension)
			eq(t, "monetary end", s.EndDateMonetaryRestriction, "2026-03-10")
			eq(t, "provision", s.DecisionProvision, dsa.ProvisionPartialSuspension)
			eq(t, "service end", s.EndDateServiceRestriction, "2026-03-10")
			eq(t, "source", s.SourceType, dsa.SourceNotice)
			eq(t, "detection", s.AutomatedDetection, dsa.No)
			eq(t, "decision", s.AutomatedDecision, dsa.DecisionNot)
			eq(t, "category", s.Category, "STATEMENT_CATEGORY_OTHER_VIOLATION_TC")
			if s.DecisionFacts == "" {
				t.Error("no decision facts for a statement without facts or reason")
			}
		}},
		{"content held for review", anxin.Statement{
			ID: "sor_4", Version: 1, TargetType: "content", TargetID: "c_1", Outcome: anxin.OutcomeReview,
			Category: "pornography_or_sexualized_content", Reason: strings.Repeat("长", 3000), Automation: "fully", CreatedAt: created,
		}, dsa.Options{}, func(t *testing.T, s dsa.Submission) {
			want(t, "visibility", s.DecisionVisibility, []string{dsa.VisibilityOther})
			want(t, "keyword", s.CategorySpecification, []string{"KEYWORD_ADULT_SEXUAL_MATERIAL"})
			if n := len([]rune(s.IncompatibleContentExplanation)); n != 2000 {
				t.Errorf("explanation %d characters; want it clipped to 2000", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := dsa.FromStatement(&tt.st, tt.opt)
			if err != nil {
				t.Fatalf("FromStatement: %v (%+v)", err, anxinDetails(err))
			}
			tt.check(t, s)
			b, _ := json.Marshal(s)
			var m map[string]any
			json.Unmarshal(b, &m)
			for _, f := range []string{"decision_ground", "content_type", "category", "content_date", "application_date", "decision_facts", "source_type", "automated_detection", "automated_decision", "puid"} {
				if _, ok := m[f]; !ok {
					t.Errorf("JSON lacks required field %s: %s", f, b)
				}
			}
		})
	}
}

func TestFromStatementRefusesAnAllow(t *testing.T) {
	_, err := dsa.FromStatement(&anxin.Statement{ID: "sor_9", TargetType: "listing", Outcome: anxin.OutcomeAllow, CreatedAt: at("2026-03-03T00:00:00Z")}, dsa.Options{})
	if anxin.KindOf(err) != anxin.Invalid || !hasField(err, "decision_visibility") {
		t.Fatalf("allow: %v; want Invalid naming decision_visibility", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	base := func() dsa.Submission {
		return dsa.Submission{
			DecisionVisibility: []string{dsa.VisibilityRemoved}, DecisionGround: dsa.GroundIncompatible,
			IncompatibleContentGround: "Rules", IncompatibleContentExplanation: "Why", ContentType: []string{dsa.ContentProduct},
			Category: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", ContentDate: "2026-03-01", ApplicationDate: "2026-03-02",
			DecisionFacts: "Facts", SourceType: dsa.SourceVoluntary, AutomatedDetection: dsa.Yes, AutomatedDecision: dsa.DecisionFully, PUID: "sor_1",
		}
	}
	if err := dsa.Validate(base()); err != nil {
		t.Fatalf("base submission: %v", anxinDetails(err))
	}
	tests := []struct {
		field string
		edit  func(*dsa.Submission)
	}{
		{"decision_visibility", func(s *dsa.Submission) { s.DecisionVisibility = nil }},
		{"decision_visibility", func(s *dsa.Submission) { s.DecisionVisibility = []string{"DECISION_VISIBILITY_HIDDEN"} }},
		{"decision_visibility_other", func(s *dsa.Submission) { s.DecisionVisibility = []string{dsa.VisibilityOther} }},
		{"decision_visibility_other", func(s *dsa.Submission) { s.DecisionVisibilityOther = "not asked for" }},
		{"decision_monetary_other", func(s *dsa.Submission) { s.DecisionMonetary = dsa.MonetaryOther }},
		{"decision_provision", func(s *dsa.Submission) { s.DecisionProvision = "DECISION_PROVISION_SOME" }},
		{"decision_ground", func(s *dsa.Submission) { s.DecisionGround = "" }},
		{"illegal_content_legal_ground", func(s *dsa.Submission) { s.DecisionGround = dsa.GroundIllegal }},
		{"incompatible_content_ground", func(s *dsa.Submission) { s.IncompatibleContentGround = strings.Repeat("x", 501) }},
		{"incompatible_content_illegal", func(s *dsa.Submission) { s.IncompatibleContentIllegal = "Maybe" }},
		{"decision_ground_reference_url", func(s *dsa.Submission) { s.DecisionGroundReferenceURL = "javascript:alert(1)" }},
		{"content_type", func(s *dsa.Submission) { s.ContentType = nil }},
		{"content_type_other", func(s *dsa.Submission) { s.ContentType = []string{dsa.ContentOther} }},
		{"category", func(s *dsa.Submission) { s.Category = "STATEMENT_CATEGORY_PORNOGRAPHY" }},
		{"category_specification", func(s *dsa.Submission) { s.CategorySpecification = []string{"KEYWORD_NOPE"} }},
		{"territorial_scope", func(s *dsa.Submission) { s.TerritorialScope = []string{"CN"} }},
		{"content_date", func(s *dsa.Submission) { s.ContentDate = "2026-3-1" }},
		{"content_date", func(s *dsa.Submission) { s.ContentDate = "1999-12-31" }},
		{"application_date", func(s *dsa.Submission) { s.ApplicationDate = "2019-12-31" }},
		{"application_date", func(s *dsa.Submission) { s.ApplicationDate = "2026-03-02-09" }},
		{"end_date_visibility_restriction", func(s *dsa.Submission) { s.EndDateVisibilityRestriction = "2040-01-01" }},
		{"decision_facts", func(s *dsa.Submission) { s.DecisionFacts = strings.Repeat("事", 5001) }},
		{"source_type", func(s *dsa.Submission) { s.SourceType = "SOURCE_ANONYMOUS" }},
		{"source_identity", func(s *dsa.Submission) { s.SourceIdentity = "a notifier" }},
		{"automated_detection", func(s *dsa.Submission) { s.AutomatedDetection = "yes" }},
		{"automated_decision", func(s *dsa.Submission) { s.AutomatedDecision = "" }},
		{"puid", func(s *dsa.Submission) { s.PUID = "sor 1/../x" }},
		{"puid", func(s *dsa.Submission) { s.PUID = strings.Repeat("a", 501) }},
	}
	for _, tt := range tests {
		s := base()
		tt.edit(&s)
		err := dsa.Validate(s)
		if anxin.KindOf(err) != anxin.Invalid || !hasField(err, tt.field) {
			t.Errorf("%s: Validate = %v %+v; want Invalid naming %s", tt.field, err, anxinDetails(err), tt.field)
		}
	}
}

func hasField(err error, f string) bool {
	return slices.ContainsFunc(anxinDetails(err), func(d anxin.ItemError) bool { return d.Field == f })
}

func anxinDetails(err error) []anxin.ItemError {
	if e, ok := err.(*anxin.Error); ok {
		return e.Details
	}
	return nil
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q; want %q", what, got, want)
	}
}

func want(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q; want %q", what, got, want)
	}
}
