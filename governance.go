package anxin

import (
	"context"
	"fmt"
	"time"
)

// Content and listing governance (内容治理, 商品管控): the publish-time check,
// lexicons and policies, the review queue, and merchant enforcement with
// points, sanctions, statements of reasons and appeals (doc/domain.md).

// Actions of governance.
const (
	ActionCheck           Action = "governance.check"          // run listing and content checks
	ActionReadGovernance  Action = "governance.read"           // see lexicons, policies, decisions
	ActionManagePolicy    Action = "governance.manage"         // edit lexicons and policies
	ActionReview          Action = "governance.review"         // work the review queue
	ActionReadEnforcement Action = "enforcement.read"          // see a merchant's record (merchants: their own)
	ActionFileAppeal      Action = "enforcement.appeal"        // merchants appeal their own statements
	ActionDecideAppeal    Action = "enforcement.decide_appeal" // reviewers decide appeals
	ActionReadStatements  Action = "enforcement.statements"    // list statements of reasons
)

func init() {
	grant("platform", ActionCheck, ActionReadEnforcement, ActionReadStatements)
	grant("operator", ActionCheck, ActionReadGovernance, ActionManagePolicy, ActionReview, ActionReadEnforcement, ActionDecideAppeal, ActionReadStatements)
	grant("reviewer", ActionReadGovernance, ActionReview, ActionReadEnforcement, ActionDecideAppeal, ActionReadStatements)
	grant("auditor", ActionReadGovernance, ActionReadEnforcement, ActionReadStatements)
	grant("merchant", ActionReadEnforcement, ActionFileAppeal)
}

// Outcome is allow, review or block, totally ordered by strictness
// (doc/domain.md, Outcomes and actions): when several rules fire, the highest wins.
type Outcome int8

// The outcomes, in order.
const (
	OutcomeAllow Outcome = iota
	OutcomeReview
	OutcomeBlock
)

func (o Outcome) String() string {
	switch o {
	case OutcomeReview:
		return "review"
	case OutcomeBlock:
		return "block"
	}
	return "allow"
}

// ParseOutcome parses "allow", "review" or "block"; anything else is Invalid.
func ParseOutcome(s string) (Outcome, error) {
	switch s {
	case "allow":
		return OutcomeAllow, nil
	case "review":
		return OutcomeReview, nil
	case "block":
		return OutcomeBlock, nil
	}
	return OutcomeAllow, Errorf(Invalid, "outcome %q is not allow, review or block.", s)
}

// MarshalText renders the outcome's name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText parses an outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	v, err := ParseOutcome(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// EnforcementAction is one enforcement verb (doc/domain.md, Outcomes and actions) with an optional
// duration in days (0: immediate or permanent, by type).
type EnforcementAction struct {
	Type string `json:"type"`
	Days int    `json:"days,omitempty"`
}

// RulePoints is what a rule adds to a merchant's record when its decision is
// enforced (doc/domain.md, Points).
type RulePoints struct {
	Track       string `json:"track"` // general or serious
	Points      int    `json:"points"`
	Counterfeit bool   `json:"counterfeit,omitempty"` // also counts one counterfeit finding
}

// Rule is one policy rule: an expression over the check's hits and signals
// (see package rules for the environment) and what follows when it holds.
type Rule struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	// Kinds limits the rule to content kinds; empty means every kind.
	Kinds   []string `json:"kinds,omitempty"`
	When    string   `json:"when"`
	Outcome Outcome  `json:"outcome"`
	Labels  []string `json:"labels,omitempty"`
	// Reason is the user-facing reason template: {terms}, {kind}, {brand}.
	Reason string `json:"reason"`
	// Evidence names the hit categories the rule cites.
	Evidence    []string            `json:"evidence,omitempty"`
	Actions     []EnforcementAction `json:"actions,omitempty"`
	Points      *RulePoints         `json:"points,omitempty"`
	Ground      string              `json:"decision_ground,omitempty"` // incompatible_with_terms (default) or illegal_content
	LegalGround string              `json:"legal_ground,omitempty"`
	Shadow      bool                `json:"shadow,omitempty"`
}

// Policy states.
const (
	PolicyDraft   = "draft"
	PolicyActive  = "active"
	PolicyShadow  = "shadow" // evaluated beside the active policy and recorded, no effect
	PolicyRetired = "retired"
)

// Policy is one version of the governance policy. Versions are immutable
// once created; exactly one version is active at a time.
type Policy struct {
	Version     int        `json:"version"`
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	Note        string     `json:"note,omitempty"`
	Rules       []Rule     `json:"rules"`
	CreatedBy   string     `json:"created_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
}

// LexiconTerm is one entry of a lexicon. Pattern and Aliases are literal
// text (never regular expressions); the normaliser folds width, case,
// traditional characters, homoglyphs and separators before matching.
type LexiconTerm struct {
	Pattern  string   `json:"pattern"`
	Aliases  []string `json:"aliases,omitempty"`
	Pinyin   bool     `json:"pinyin,omitempty"` // also match the term's pinyin
	Category string   `json:"category"`
	Severity int      `json:"severity"`        // 1 (weak) to 5 (certain)
	Kinds    []string `json:"kinds,omitempty"` // content kinds it applies to; empty = all
	// Except lists innocent contexts containing the term that must not fire
	// (仿真植物 for 仿真).
	Except []string `json:"except,omitempty"`
	// Word makes the term fire only on word boundaries of the segmented
	// text: 象牙 in 天然象牙手串 but not in 象牙白开衫.
	Word bool `json:"word,omitempty"`
}

// Limits on lexicons.
const (
	MaxLexiconTerms = 200_000
	MaxTermLen      = 128 // bytes in a pattern, alias or exception
)

// Lexicon is a named, versioned term list. Every save creates a new version.
type Lexicon struct {
	Name        string        `json:"name"`
	Version     int           `json:"version"`
	Description string        `json:"description,omitempty"`
	Active      bool          `json:"active"`
	Terms       []LexiconTerm `json:"terms"`
	UpdatedBy   string        `json:"updated_by,omitempty"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// Validate checks a lexicon before it is stored.
func (l *Lexicon) Validate() error {
	if err := ValidateID("name", l.Name); err != nil {
		return err
	}
	if err := ValidateText("description", l.Description, MaxNameLen*4); err != nil {
		return err
	}
	if len(l.Terms) > MaxLexiconTerms {
		return Errorf(TooLarge, "A lexicon has at most %d terms.", MaxLexiconTerms)
	}
	var details []ItemError
	for i, t := range l.Terms {
		if msg := t.problem(); msg != "" {
			details = append(details, ItemError{Index: i, Field: "terms", Message: msg})
			if len(details) == 100 {
				break
			}
		}
	}
	if details != nil {
		return &Error{Kind: Invalid, Message: fmt.Sprintf("The lexicon has %d invalid term(s); nothing was saved.", len(details)), Details: details}
	}
	return nil
}

func (t *LexiconTerm) problem() string {
	_, msg := t.Check()
	return msg
}

// Check validates one term as Lexicon.Validate does and returns the field
// at fault ("pattern", "aliases", "except", "kinds", "category" or
// "severity") with a message for it, or two empty strings when the term is
// valid. Editors use it to put the message beside the input.
func (t *LexiconTerm) Check() (field, message string) {
	check := func(field, s string) string {
		if s == "" {
			return field + " is empty."
		}
		if err := ValidateText(field, s, MaxTermLen); err != nil {
			return MessageOf(err)
		}
		return ""
	}
	if m := check("pattern", t.Pattern); m != "" {
		return "pattern", m
	}
	switch {
	case len(t.Aliases) > 16:
		return "aliases", "at most 16 aliases."
	case len(t.Except) > 16:
		return "except", "at most 16 exceptions."
	case len(t.Kinds) > 5:
		return "kinds", "at most 5 kinds."
	}
	for _, a := range t.Aliases {
		if m := check("aliases", a); m != "" {
			return "aliases", m
		}
	}
	for _, a := range t.Except {
		if m := check("except", a); m != "" {
			return "except", m
		}
	}
	if err := ValidateID("category", t.Category); err != nil {
		return "category", MessageOf(err)
	}
	if t.Severity < 1 || t.Severity > 5 {
		return "severity", "severity must be 1 to 5."
	}
	for _, k := range t.Kinds {
		if !ValidCheckKind(k) {
			return "kinds", fmt.Sprintf("kind %q is not listing, livestream_segment, video, comment or image_text.", Clip(k))
		}
	}
	return "", ""
}

// ValidCheckKind reports whether k is a kind of checked text: "listing" or
// a content kind.
func ValidCheckKind(k string) bool {
	switch k {
	case "listing", ContentLivestreamSegment, ContentVideo, ContentComment, ContentImageText:
		return true
	}
	return false
}

// Check stages: at publish, after publish, or in a stream.
const (
	StagePublish     = "publish"
	StagePostPublish = "post_publish"
	StageStream      = "stream"
)

// ListingCheck is a listing submitted for a check. Only ID is required.
type ListingCheck struct {
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Category    string `json:"category,omitempty"`
	Brand       string `json:"brand,omitempty"`
	PriceFen    int64  `json:"price_fen,omitempty"`
	MerchantID  string `json:"merchant_id,omitempty"`
	// ImageHashes are the listing's images as 256-bit PDQ hashes in hex (as
	// on Listing): a check matches them against the hash bank, so a copy
	// of a brand's own photos or of a known counterfeit image counts
	// before the listing goes live.
	ImageHashes []string `json:"image_hashes,omitempty"`
	// Stage is publish (default) or post_publish.
	Stage string `json:"stage,omitempty"`
}

// Listing returns the listing a check describes: a check submits a
// listing's content before (or after) it is published.
func (l *ListingCheck) Listing() *Listing {
	return &Listing{ID: l.ID, MerchantID: l.MerchantID, Title: l.Title, Description: l.Description,
		Category: l.Category, Brand: l.Brand, PriceFen: l.PriceFen, ImageHashes: l.ImageHashes}
}

// Validate checks a listing check with the listing's own field rules
// (Listing.validateContent), so that whatever a check accepts the mirror
// accepts too; only the merchant is optional here. Invalid UTF-8 and
// control characters are rejected.
func (l *ListingCheck) Validate() error {
	if err := ValidateID("id", l.ID); err != nil {
		return err
	}
	if err := ValidateOptionalID("merchant_id", l.MerchantID); err != nil {
		return err
	}
	if err := l.Listing().validateContent(); err != nil {
		return err
	}
	if err := validateHashes(l.ImageHashes); err != nil {
		return err
	}
	switch l.Stage {
	case "":
		l.Stage = StagePublish
	case StagePublish, StagePostPublish:
	default:
		return Errorf(Invalid, "stage must be publish or post_publish.")
	}
	return nil
}

// Evidence is one finding that supports a decision: a quote of the text the
// merchant wrote, with byte offsets into the original field.
type Evidence struct {
	Kind     string  `json:"kind"`            // text_match, window_match, cautioned_match, pattern, intent, stuffing, sanction, signal, model
	Field    string  `json:"field,omitempty"` // title, description, text, window
	Term     string  `json:"term,omitempty"`
	Category string  `json:"category,omitempty"`
	Lexicon  string  `json:"lexicon,omitempty"`
	Severity int     `json:"severity,omitempty"`
	Quote    string  `json:"quote,omitempty"`
	Start    int     `json:"start"`
	End      int     `json:"end"`
	Ref      string  `json:"ref,omitempty"`   // a sanction or statement id
	Score    float64 `json:"score,omitempty"` // a model feature's weight (kind model)
}

// RuleHit records one rule that fired in a decision.
type RuleHit struct {
	RuleID  string  `json:"rule_id"`
	Outcome Outcome `json:"outcome"`
	Shadow  bool    `json:"shadow,omitempty"`
}

// Publish-time reason codes returned with a block (doc/domain.md, Outcomes and actions).
const (
	ReasonPenaltyRestricted = "PENALTY_RESTRICTED" // the merchant is restricted from publishing (cf. Douyin 2010326)
	ReasonMerchantCleared   = "MERCHANT_CLEARED"   // the merchant was cleared out
	ReasonPolicyViolation   = "POLICY_VIOLATION"   // the content violates the policy
)

// Decision is the stored result of one check. Decisions are append-only.
type Decision struct {
	ID          string              `json:"id"`
	SubjectType string              `json:"subject_type"` // listing or content
	SubjectID   string              `json:"subject_id"`
	Kind        string              `json:"kind"` // listing or a content kind
	MerchantID  string              `json:"merchant_id,omitempty"`
	StreamID    string              `json:"stream_id,omitempty"`
	Seq         int64               `json:"seq,omitempty"`
	Stage       string              `json:"stage"`
	Outcome     Outcome             `json:"outcome"`
	Labels      []string            `json:"labels"`
	Reasons     []string            `json:"reasons"`
	Evidence    []Evidence          `json:"evidence"`
	Rules       []RuleHit           `json:"rules,omitempty"`
	Actions     []EnforcementAction `json:"actions,omitempty"`
	ReasonCode  string              `json:"reason_code,omitempty"`
	CutStream   bool                `json:"cut_stream,omitempty"`
	CaseID      string              `json:"case_id,omitempty"`
	StatementID string              `json:"statement_id,omitempty"`
	// ShadowOutcome is the outcome of the shadow policy, when one is set.
	ShadowOutcome *Outcome `json:"shadow_outcome,omitempty"`
	PolicyVersion int      `json:"policy_version"`
	// LexiconVersion names the lexicon versions the check scanned with.
	LexiconVersion string    `json:"lexicon_version,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// DecisionFilter selects stored decisions; empty fields match all, and a
// zero From or To leaves that end open.
type DecisionFilter struct {
	SubjectType string // listing or content
	Outcome     string // allow, review or block
	MerchantID  string
	From, To    time.Time
	Page        Page
}

// CheckedText is the text a check read, field by field, as it was then:
// evidence offsets index into these strings, not into the listing as it is
// now.
type CheckedText struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Text        string `json:"text,omitempty"`
}

// Field returns the checked text of an evidence field (title, description
// or text) and whether the check read such a field.
func (c *CheckedText) Field(name string) (string, bool) {
	if c == nil {
		return "", false
	}
	switch name {
	case "title":
		return c.Title, c.Title != ""
	case "description":
		return c.Description, c.Description != ""
	case "text":
		return c.Text, c.Text != ""
	}
	return "", false
}

// DecisionRecord is one entry of a subject's decision history: the stored
// decision, the text it checked and, when it went to review, how the
// reviewer resolved its case.
type DecisionRecord struct {
	Decision *Decision
	Checked  *CheckedText
	// Case is the review case the decision opened, nil when it opened none.
	Case *Case
}

// Case states and resolutions.
const (
	CaseOpen     = "open"
	CaseClaimed  = "claimed"
	CaseDecided  = "decided"
	ResUphold    = "uphold"
	ResOverturn  = "overturn"
	CaseDecision = "decision" // a case about a review decision
	CaseAppeal   = "appeal"   // a case about an appeal
)

// CaseNote is a reviewer's note on a case.
type CaseNote struct {
	By   string    `json:"by"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Message types (webhooks) governance sends besides the foundation's
// listing.delist, listing.ban, listing.restore, merchant.restrict,
// merchant.clear_out and notify. Every payload carries the statement id.
const (
	MessageInterceptListing   = "listing.intercept"
	MessageShieldShop         = "merchant.shield"
	MessageFreezePayout       = "merchant.freeze_payout"
	MessageDeductDeposit      = "merchant.deduct_deposit"
	MessageReinstateMerchant  = "merchant.reinstate"
	MessagePenaliseInfluencer = "influencer.penalise"
	MessageCutStream          = "stream.cut"
	MessageRemoveFromCart     = "stream.remove_from_cart"
	MessageHideContent        = "content.hide"
	MessageReverseEnforcement = "enforcement.reverse"
	MessageCaseOpened         = "case.opened"
)

// Case is a review-queue item opened by a review decision.
type Case struct {
	ID          string     `json:"id"`
	DecisionID  string     `json:"decision_id"`
	SubjectType string     `json:"subject_type"`
	SubjectID   string     `json:"subject_id"`
	Kind        string     `json:"kind"`
	MerchantID  string     `json:"merchant_id,omitempty"`
	Priority    int        `json:"priority"` // 1 (highest) to 5
	Status      string     `json:"status"`
	Labels      []string   `json:"labels"`
	Reasons     []string   `json:"reasons"`
	RuleIDs     []string   `json:"rule_ids"`
	Evidence    []Evidence `json:"evidence"`
	ClaimedBy   string     `json:"claimed_by,omitempty"`
	Resolution  string     `json:"resolution,omitempty"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	Notes       []CaseNote `json:"notes,omitempty"`
	StatementID string     `json:"statement_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ClaimedAt   *time.Time `json:"claimed_at,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	// AgeSeconds is how long the case has been waiting, at read time.
	AgeSeconds int64 `json:"age_s"`
}

// CaseFilter selects cases for the queue.
type CaseFilter struct {
	Status     string // open (default), claimed, decided, or "all"
	MerchantID string
	RuleID     string
	Page
}

// StatementAction is an action of a statement with its period.
type StatementAction struct {
	Type     string     `json:"type"`
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at,omitempty"`
}

// Statement is an immutable statement of reasons (doc/domain.md, Statements and appeals). A correction
// or an appeal result creates a new version linked by PreviousID.
type Statement struct {
	ID             string            `json:"id"`
	Version        int               `json:"version"`
	PreviousID     string            `json:"previous_id,omitempty"`
	MerchantID     string            `json:"merchant_id,omitempty"`
	TargetType     string            `json:"target_type"` // listing, merchant, livestream, content
	TargetID       string            `json:"target_id"`
	Outcome        Outcome           `json:"outcome"`
	Actions        []StatementAction `json:"actions"`
	DecisionGround string            `json:"decision_ground"`
	LegalGround    string            `json:"legal_ground,omitempty"`
	PolicyVersion  int               `json:"policy_version"`
	RuleIDs        []string          `json:"rule_ids"`
	Category       string            `json:"category"` // DSA statement category
	Reason         string            `json:"user_facing_reason"`
	Facts          string            `json:"facts"`
	Evidence       []Evidence        `json:"evidence"`
	Source         string            `json:"source"`     // own_initiative, …
	Automation     string            `json:"automation"` // fully, partially, not
	Points         *RulePoints       `json:"points,omitempty"`
	DecisionID     string            `json:"decision_id,omitempty"`
	ContentDate    *time.Time        `json:"content_date,omitempty"`
	AppealDeadline *time.Time        `json:"appeal_deadline,omitempty"`
	AppealStatus   string            `json:"appeal_status"`        // none, open, upheld, overturned
	DecidedBy      string            `json:"decided_by,omitempty"` // the reviewer's key id when a person decided
	HowToAppeal    string            `json:"how_to_appeal,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
}

// Violation is one entry of points on a merchant's record.
type Violation struct {
	ID          string    `json:"id"`
	MerchantID  string    `json:"merchant_id"`
	Track       string    `json:"track"`
	Points      int       `json:"points"`
	Counterfeit bool      `json:"counterfeit,omitempty"`
	RuleID      string    `json:"rule_id"`
	DecisionID  string    `json:"decision_id,omitempty"`
	StatementID string    `json:"statement_id"`
	Reversed    bool      `json:"reversed,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Appeal states.
const (
	AppealOpen       = "open"
	AppealUpheld     = "upheld"
	AppealOverturned = "overturned"
)

// Appeal is a merchant's appeal against a statement of reasons.
type Appeal struct {
	ID          string     `json:"id"`
	StatementID string     `json:"statement_id"`
	SanctionID  string     `json:"sanction_id,omitempty"` // set when the appeal is against one sanction
	MerchantID  string     `json:"merchant_id"`
	Text        string     `json:"text"`
	Status      string     `json:"status"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	Note        string     `json:"note,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

// EnforcementRecord is a merchant's record: points on each track, active
// sanctions and history.
type EnforcementRecord struct {
	MerchantID  string       `json:"merchant_id"`
	General     int          `json:"general"`
	Serious     int          `json:"serious"`
	Counterfeit int          `json:"counterfeit_count"`
	Sanctions   []*Sanction  `json:"sanctions"`
	Violations  []*Violation `json:"violations"`
	Statements  []*Statement `json:"statements"`
	Appeals     []*Appeal    `json:"appeals"`
}

// RulePrecision is a rule's measured precision from reviewer outcomes:
// upheld ÷ (upheld + overturned).
type RulePrecision struct {
	RuleID     string  `json:"rule_id"`
	Fired      int64   `json:"fired"`
	Upheld     int64   `json:"upheld"`
	Overturned int64   `json:"overturned"`
	Precision  float64 `json:"precision"`
}

// TestResult is what the lexicon and policy test box shows: the decision a
// text would get and every hit, without storing anything.
type TestResult struct {
	Outcome  Outcome    `json:"outcome"`
	Labels   []string   `json:"labels"`
	Reasons  []string   `json:"reasons"`
	Rules    []RuleHit  `json:"rules"`
	Evidence []Evidence `json:"evidence"`
	Errors   []string   `json:"errors,omitempty"`
	Norm     string     `json:"normalized"`
}

// GovernanceService runs checks and keeps lexicons and policies. Checks
// validate every item first (Invalid with per-item details, nothing stored)
// and store each decision with its evidence. Lexicon and policy edits create
// new versions that checks pick up without a restart; a policy whose rules
// do not compile is rejected (Invalid, naming the rule and position) and
// nothing changes.
type GovernanceService interface {
	CheckListings(ctx context.Context, ls []*ListingCheck) ([]*Decision, error)
	CheckContent(ctx context.Context, cs []*ContentItem) ([]*Decision, error)
	FindDecision(ctx context.Context, id string) (*Decision, error)
	// FindDecisions lists stored decisions, newest first, filtered by
	// subject type, outcome, merchant and period. Invalid for an unknown
	// subject type or outcome; Forbidden without read access.
	FindDecisions(ctx context.Context, f DecisionFilter) ([]*Decision, string, error)
	// TestText checks text as kind with the active lexicons and policy (or
	// the given policy version when not 0) without storing anything.
	TestText(ctx context.Context, kind, text string, policyVersion int) (*TestResult, error)

	FindLexicons(ctx context.Context) ([]*Lexicon, error)
	FindLexicon(ctx context.Context, name string) (*Lexicon, error)
	SaveLexicon(ctx context.Context, l *Lexicon) (*Lexicon, error)
	DeleteLexicon(ctx context.Context, name string) error
	// ImportLexicon adds a parsed word list to lexicon name (creating it
	// when absent) as one new version, skipping terms it already has. It is
	// all or nothing: a lexicon that would be invalid or not compile is
	// Invalid and nothing changes.
	ImportLexicon(ctx context.Context, name string, imp *LexiconImport) (*LexiconImportReport, error)

	FindPolicies(ctx context.Context) ([]*Policy, error)
	FindPolicy(ctx context.Context, version int) (*Policy, error)
	CreatePolicy(ctx context.Context, p *Policy) (*Policy, error)
	// SetPolicyStatus activates a version (retiring the previous active
	// one), sets it as the shadow policy, or retires it.
	SetPolicyStatus(ctx context.Context, version int, status string) (*Policy, error)
}

// ReviewService is the review queue. Claim returns Conflict when another
// reviewer holds the case; Decide applies an upheld block (actions, points,
// statement) or releases an overturned one.
type ReviewService interface {
	FindCases(ctx context.Context, f CaseFilter) ([]*Case, string, error)
	FindCase(ctx context.Context, id string) (*Case, error)
	ClaimCase(ctx context.Context, id string) (*Case, error)
	DecideCase(ctx context.Context, id, resolution, note string) (*Case, error)
	AddCaseNote(ctx context.Context, id, text string) (*Case, error)
	RulePrecision(ctx context.Context) ([]RulePrecision, error)
	// SubjectHistory returns the decisions on one subject (listing or
	// content), newest first, at most limit (1 to 200), each with the
	// text it checked and its review case. Invalid for an unknown subject
	// type or a bad id; merchants see only their own subjects' decisions.
	SubjectHistory(ctx context.Context, subjectType, subjectID string, limit int) ([]*DecisionRecord, error)
}

// EnforcementService keeps merchants' records, statements and appeals.
// Merchants see only their own records; others' are NotFound.
type EnforcementService interface {
	MerchantRecord(ctx context.Context, merchantID string) (*EnforcementRecord, error)
	FindStatement(ctx context.Context, id string) (*Statement, error)
	FindStatements(ctx context.Context, merchantID string, page Page) ([]*Statement, string, error)
	// FindStatementsIssued lists the statements issued in the period,
	// oldest first, for export. Invalid for an empty or reversed period;
	// Forbidden for merchants.
	FindStatementsIssued(ctx context.Context, p Period, page Page) ([]*Statement, string, error)
	// FileAppeal opens an appeal within the window (Conflict when the
	// window has closed or an appeal is already open).
	FileAppeal(ctx context.Context, statementID, text string) (*Appeal, error)
	FindAppeals(ctx context.Context, status string, page Page) ([]*Appeal, string, error)
	DecideAppeal(ctx context.Context, id, resolution, note string) (*Appeal, error)
}
