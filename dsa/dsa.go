// Package dsa maps Anxin's statements of reasons to the submission shape of
// the EU DSA Transparency Database (Article 24(5) DSA) and validates a
// submission against that database's published rules before it is sent.
// It is pure: no I/O. The field names, enumerations and limits follow the
// database's public API; Anxin's own vocabulary (actions, labels, sources,
// automation) is mapped onto them here and nowhere else.
//
//	sub, err := dsa.FromStatement(st, dsa.Options{TerritorialScope: []string{"DE", "FR"}})
//	if err != nil { … }                 // a statement the database could not accept
//	body, _ := json.Marshal(map[string]any{"statements": []dsa.Submission{sub}})
package dsa

// Submission is one statement of reasons in the database's submission
// shape. Empty optional fields are omitted.
type Submission struct {
	DecisionVisibility      []string `json:"decision_visibility,omitempty"`
	DecisionVisibilityOther string   `json:"decision_visibility_other,omitempty"`
	DecisionMonetary        string   `json:"decision_monetary,omitempty"`
	DecisionMonetaryOther   string   `json:"decision_monetary_other,omitempty"`
	DecisionProvision       string   `json:"decision_provision,omitempty"`
	DecisionAccount         string   `json:"decision_account,omitempty"`
	AccountType             string   `json:"account_type,omitempty"`

	DecisionGround                 string `json:"decision_ground"`
	DecisionGroundReferenceURL     string `json:"decision_ground_reference_url,omitempty"`
	IllegalContentLegalGround      string `json:"illegal_content_legal_ground,omitempty"`
	IllegalContentExplanation      string `json:"illegal_content_explanation,omitempty"`
	IncompatibleContentGround      string `json:"incompatible_content_ground,omitempty"`
	IncompatibleContentExplanation string `json:"incompatible_content_explanation,omitempty"`
	IncompatibleContentIllegal     string `json:"incompatible_content_illegal,omitempty"`

	ContentType           []string `json:"content_type"`
	ContentTypeOther      string   `json:"content_type_other,omitempty"`
	Category              string   `json:"category"`
	CategorySpecification []string `json:"category_specification,omitempty"`
	TerritorialScope      []string `json:"territorial_scope,omitempty"`
	ContentLanguage       string   `json:"content_language,omitempty"`

	ContentDate                  string `json:"content_date"`
	ApplicationDate              string `json:"application_date"`
	EndDateAccountRestriction    string `json:"end_date_account_restriction,omitempty"`
	EndDateMonetaryRestriction   string `json:"end_date_monetary_restriction,omitempty"`
	EndDateServiceRestriction    string `json:"end_date_service_restriction,omitempty"`
	EndDateVisibilityRestriction string `json:"end_date_visibility_restriction,omitempty"`

	DecisionFacts      string `json:"decision_facts"`
	SourceType         string `json:"source_type"`
	SourceIdentity     string `json:"source_identity,omitempty"`
	AutomatedDetection string `json:"automated_detection"`
	AutomatedDecision  string `json:"automated_decision"`
	PUID               string `json:"puid"`
}

// The database's enumerations that Anxin uses or validates.
const (
	VisibilityRemoved  = "DECISION_VISIBILITY_CONTENT_REMOVED"
	VisibilityDisabled = "DECISION_VISIBILITY_CONTENT_DISABLED"
	VisibilityDemoted  = "DECISION_VISIBILITY_CONTENT_DEMOTED"
	VisibilityOther    = "DECISION_VISIBILITY_OTHER"

	MonetarySuspension  = "DECISION_MONETARY_SUSPENSION"
	MonetaryTermination = "DECISION_MONETARY_TERMINATION"
	MonetaryOther       = "DECISION_MONETARY_OTHER"

	ProvisionPartialSuspension  = "DECISION_PROVISION_PARTIAL_SUSPENSION"
	ProvisionTotalSuspension    = "DECISION_PROVISION_TOTAL_SUSPENSION"
	ProvisionPartialTermination = "DECISION_PROVISION_PARTIAL_TERMINATION"
	ProvisionTotalTermination   = "DECISION_PROVISION_TOTAL_TERMINATION"

	AccountSuspended  = "DECISION_ACCOUNT_SUSPENDED"
	AccountTerminated = "DECISION_ACCOUNT_TERMINATED"

	AccountBusiness = "ACCOUNT_TYPE_BUSINESS"
	AccountPrivate  = "ACCOUNT_TYPE_PRIVATE"

	GroundIllegal      = "DECISION_GROUND_ILLEGAL_CONTENT"
	GroundIncompatible = "DECISION_GROUND_INCOMPATIBLE_CONTENT"

	ContentProduct = "CONTENT_TYPE_PRODUCT"
	ContentText    = "CONTENT_TYPE_TEXT"
	ContentVideo   = "CONTENT_TYPE_VIDEO"
	ContentImage   = "CONTENT_TYPE_IMAGE"
	ContentOther   = "CONTENT_TYPE_OTHER"

	SourceNotice         = "SOURCE_ARTICLE_16"
	SourceTrustedFlagger = "SOURCE_TRUSTED_FLAGGER"
	SourceVoluntary      = "SOURCE_VOLUNTARY"
	SourceOther          = "SOURCE_TYPE_OTHER_NOTIFICATION"

	Yes = "Yes"
	No  = "No"

	DecisionFully     = "AUTOMATED_DECISION_FULLY"
	DecisionPartially = "AUTOMATED_DECISION_PARTIALLY"
	DecisionNot       = "AUTOMATED_DECISION_NOT_AUTOMATED"
)

var (
	visibilities = set(VisibilityRemoved, VisibilityDisabled, VisibilityDemoted, "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
		"DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED", "DECISION_VISIBILITY_CONTENT_LABELLED", VisibilityOther)
	monetaries   = set(MonetarySuspension, MonetaryTermination, MonetaryOther)
	provisions   = set(ProvisionPartialSuspension, ProvisionTotalSuspension, ProvisionPartialTermination, ProvisionTotalTermination)
	accounts     = set(AccountSuspended, AccountTerminated)
	accountTypes = set(AccountBusiness, AccountPrivate)
	grounds      = set(GroundIllegal, GroundIncompatible)
	contentTypes = set("CONTENT_TYPE_APP", "CONTENT_TYPE_AUDIO", ContentProduct, "CONTENT_TYPE_SYNTHETIC_MEDIA", ContentText, ContentVideo, ContentImage, ContentOther)
	sourceTypes  = set(SourceNotice, SourceTrustedFlagger, SourceVoluntary, SourceOther)
	detections   = set(Yes, No)
	decisions    = set(DecisionFully, DecisionPartially, DecisionNot)
	categories   = set(
		"STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION", "STATEMENT_CATEGORY_CYBER_VIOLENCE",
		"STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
		"STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
		"STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
		"STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
		"STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM", "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
		"STATEMENT_CATEGORY_VIOLENCE")
	// keywords are the category specifications Anxin's mapping uses; the
	// database knows more, and Validate accepts only these plus KEYWORD_OTHER.
	keywords = set("KEYWORD_ADULT_SEXUAL_MATERIAL", "KEYWORD_TRADEMARK_INFRINGEMENT", "KEYWORD_COPYRIGHT_INFRINGEMENT",
		"KEYWORD_UNLAWFUL_SALE_ANIMALS", "KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_UNSAFE_PRODUCTS", "KEYWORD_PHISHING",
		"KEYWORD_INAUTHENTIC_LISTINGS", "KEYWORD_INAUTHENTIC_USER_REVIEWS", "KEYWORD_RISK_PUBLIC_HEALTH",
		"KEYWORD_MISLEADING_INFO_GOODS_SERVICES", "KEYWORD_GOODS_SERVICES_NOT_PERMITTED", "KEYWORD_NONCOMPLIANCE_PRICING", "KEYWORD_OTHER")
	// countries are the EU and EEA member states' codes the database
	// accepts as a territorial scope.
	countries = set("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
		"LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK")
)

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}
