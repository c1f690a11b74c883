package anxin

import (
	"context"
	"time"
)

// Merchant enforcement: one sanction model for every source. Governance
// points, IP repeat infringement, failed samples, quality campaigns, the
// deposit floor and operators all issue the same Sanction, each with a
// statement of reasons; the publish gate, the stream check, the API and the
// console read them all. The rules that decide (state, gate, overlap,
// appeals, the points ladder) are pure functions in package enforcement;
// see doc/enforcement.md.

// Sanction types.
const (
	SanctionWarning           = "warning"
	SanctionRestrictListing   = "restrict_listing"
	SanctionShieldShop        = "shield_shop"
	SanctionFreezePayout      = "freeze_payout"
	SanctionDeductDeposit     = "deduct_deposit"
	SanctionClearOut          = "clear_out"
	SanctionRestrictStreaming = "restrict_streaming"
)

// Sanction sources: the capability that decided it.
const (
	SourceGovernance = "governance"
	SourceIP         = "ip"
	SourceSampling   = "sampling"
	SourceQuality    = "quality"
	SourceDeposit    = "deposit"
	SourcePrivacy    = "privacy"
	SourceManual     = "manual"
)

// Sanction subjects.
const (
	SubjectMerchant   = "merchant"
	SubjectInfluencer = "influencer"
)

// Sanction states. A sanction is active between StartsAt and EndsAt
// (open-ended when EndsAt is nil) unless lifted or reversed; expired is
// reported once EndsAt has passed.
const (
	SanctionActive   = "active"
	SanctionExpired  = "expired"
	SanctionLifted   = "lifted"   // ended early: appeal upheld, condition met (deposit topped up), retest passed
	SanctionReversed = "reversed" // the decision behind it was overturned
)

// SanctionReasons is the statement of reasons a sanction carries, with the
// fields the EU Digital Services Act (Art. 17) asks for: what was
// restricted, the facts and circumstances, whether automated means were
// used, the ground (law or terms) and how to appeal.
type SanctionReasons struct {
	Restriction string `json:"restriction"`            // what was restricted, in words
	Facts       string `json:"facts"`                  // the facts and circumstances relied on
	Automation  string `json:"automation"`             // fully, partially or not: automated means used
	Ground      string `json:"ground"`                 // illegal_content or incompatible_with_terms
	LegalGround string `json:"legal_ground,omitempty"` // the law, for illegal_content
	TermsGround string `json:"terms_ground,omitempty"` // the term of service, for incompatible_with_terms
	HowToAppeal string `json:"how_to_appeal"`
}

// Sanction is a restriction on a merchant or an influencer, from any source.
// OriginType and OriginID name the decision, case, notice, sample, campaign
// or deposit check it came from; StatementID the stored statement of
// reasons that explains it and that an appeal refers to.
type Sanction struct {
	ID          string          `json:"id"`
	SubjectType string          `json:"subject_type"` // merchant or influencer
	SubjectID   string          `json:"subject_id"`
	MerchantID  string          `json:"merchant_id,omitempty"` // SubjectID when the subject is a merchant
	Type        string          `json:"type"`
	Source      string          `json:"source"`
	OriginType  string          `json:"origin_type"` // decision, case, points_node, notice, sample, campaign, deposit, manual
	OriginID    string          `json:"origin_id"`
	Status      string          `json:"status"`
	Cause       string          `json:"cause,omitempty"` // e.g. "serious:12" (a points node) or a rule id
	StatementID string          `json:"statement_id"`
	Reasons     SanctionReasons `json:"reasons"`
	// AppealPath is where the subject appeals this sanction.
	AppealPath     string     `json:"appeal_path"`
	AppealDeadline *time.Time `json:"appeal_deadline,omitempty"`
	StartsAt       time.Time  `json:"starts_at"`
	EndsAt         *time.Time `json:"ends_at,omitempty"`
	EndedAt        *time.Time `json:"ended_at,omitempty"` // when lifted or reversed
	EndReason      string     `json:"end_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// ActiveAt reports whether the sanction restricts at t.
func (s *Sanction) ActiveAt(t time.Time) bool {
	if s.Status != SanctionActive || t.Before(s.StartsAt) {
		return false
	}
	return s.EndsAt == nil || t.Before(*s.EndsAt)
}

// Enforcement states of a merchant, from least to most severe.
const (
	StateGoodStanding = "good_standing"
	StateWarned       = "warned"
	StateRestricted   = "restricted"
	StateShielded     = "shielded"
	StateFrozen       = "frozen"
	StateClearedOut   = "cleared_out"
)

// EnforcementPoints is a merchant's points this cycle on each track and its
// counterfeit findings in the last 365 days.
type EnforcementPoints struct {
	General     int `json:"general"`
	Serious     int `json:"serious"`
	Counterfeit int `json:"counterfeit"`
}

// Enforcement is Anxin's own view of a merchant: its state, derived from
// its active sanctions and points, the points and the active sanctions.
type Enforcement struct {
	State     string            `json:"state"`
	Points    EnforcementPoints `json:"points"`
	Sanctions []*Sanction       `json:"sanctions"`
}

// SanctionFilter selects sanctions. Empty fields do not filter; Active
// keeps the sanctions in force now.
type SanctionFilter struct {
	MerchantID  string // the subject id (merchant or influencer); forced for merchant actors
	SubjectType string
	Source      string
	Type        string
	Active      bool
	// Status keeps the sanctions in one state: active (not yet ended,
	// queued ones included), expired, lifted or reversed.
	Status string
	// Query keeps the sanctions whose subject id starts with it or whose
	// merchant's name (in the mirror) contains it, ignoring case; at most
	// MaxSanctionQuery bytes. LIKE wildcards in it match themselves.
	Query string
	Page
}

// MaxSanctionQuery is the longest SanctionFilter.Query, in bytes.
const MaxSanctionQuery = 200

// EnforcedMerchant is one shop of the enforcement list: its name in the
// mirror ("" when the mirror does not know it), Anxin's view of it, and
// when the sanctions that put it on the list began.
type EnforcedMerchant struct {
	MerchantID  string       `json:"merchant_id"`
	Name        string       `json:"name,omitempty"`
	Enforcement *Enforcement `json:"enforcement"`
	Since       time.Time    `json:"since"`         // the earliest start among its matching sanctions
	LastAt      time.Time    `json:"last_sanction"` // when the newest of them was issued
}

// SanctionRequest is a manual sanction an operator issues.
type SanctionRequest struct {
	SubjectType string `json:"subject_type"` // merchant (default) or influencer
	SubjectID   string `json:"subject_id"`
	Type        string `json:"type"`
	Source      string `json:"source,omitempty"` // manual (default); other sources issue their own
	Days        int    `json:"days,omitempty"`   // 0: open-ended (or one-off, for deduct_deposit)
	Facts       string `json:"facts"`
	TermsGround string `json:"terms_ground,omitempty"`
	LegalGround string `json:"legal_ground,omitempty"`
}

// Actions of the one enforcement model.
const (
	ActionReadSanctions  Action = "enforcement.sanctions" // list sanctions (merchants: their own)
	ActionIssueSanctions Action = "enforcement.issue"     // issue a manual sanction
)

func init() {
	grant("platform", ActionReadSanctions)
	grant("operator", ActionReadSanctions, ActionIssueSanctions)
	grant("reviewer", ActionReadSanctions)
	grant("auditor", ActionReadSanctions)
	grant("merchant", ActionReadSanctions)
}

// SanctionService is the one enforcement model's store. Lookups return
// NotFound for a sanction that is absent or another merchant's (merchant
// keys see only their own). IssueSanction returns Invalid for an unknown
// type, source or subject and Conflict for a sanction that overlaps an
// active one of the same type and source; nothing is stored then.
// FileSanctionAppeal returns Conflict when the sanction is no longer active
// (lifted, reversed or expired) or already under appeal; an appeal is then
// decided through EnforcementService.DecideAppeal, where overturn lifts
// exactly that sanction and tells the marketplace.
type SanctionService interface {
	FindSanctions(ctx context.Context, f SanctionFilter) ([]*Sanction, string, error)
	FindSanction(ctx context.Context, id string) (*Sanction, error)
	MerchantEnforcement(ctx context.Context, merchantID string) (*Enforcement, error)
	IssueSanction(ctx context.Context, r SanctionRequest) (*Sanction, error)
	FileSanctionAppeal(ctx context.Context, sanctionID, text string) (*Appeal, error)
	// FindEnforcedMerchants lists the merchants that have sanctions f
	// keeps (its subject type is always merchant), most recently
	// sanctioned first, each with Anxin's view of it; state, when set,
	// keeps only the merchants in that enforcement state. Invalid as for
	// FindSanctions, and for an unknown state or a cursor it did not return.
	FindEnforcedMerchants(ctx context.Context, f SanctionFilter, state string) ([]*EnforcedMerchant, string, error)
	// ListingStatuses returns Anxin's status of each listing id (at most
	// 500; TooLarge beyond), allowed for those it never decided on.
	ListingStatuses(ctx context.Context, ids []string) (map[string]ListingStatus, error)
}

// ListingStatus is Anxin's own status of a listing and the decision that
// set it, shown beside the marketplace's status.
type ListingStatus struct {
	Status     string `json:"anxin_status"` // allowed, under_review, blocked, delisted
	DecisionID string `json:"anxin_decision_id,omitempty"`
}

// Anxin's own status of a listing, beside the marketplace's.
const (
	ListingAllowed     = "allowed"
	ListingUnderReview = "under_review"
	ListingBlocked     = "blocked"
	ListingDelisted    = "delisted"
)
