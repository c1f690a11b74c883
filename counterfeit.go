package anxin

import (
	"context"
	"encoding/json"
	"time"
)

// Anti-counterfeit and IP protection: the relation network, the image hash
// bank, counterfeit signals, the brand registry, rights holders' notices and
// merchants' counter-notices.

// Actions of anti-counterfeit and IP protection.
const (
	ActionWriteIdentity  Action = "identity.write"  // attach identity attributes (platform)
	ActionInvestigate    Action = "graph.read"      // read clusters, scores, export cases
	ActionManageHashBank Action = "hashbank.manage" // add known hashes
	ActionManageBrands   Action = "brands.manage"   // register brands, reference prices, sellers
	ActionFileNotice     Action = "notices.file"    // rights holders
	ActionDecideNotice   Action = "notices.decide"  // IP team
	ActionCounterNotice  Action = "notices.counter" // merchants
	ActionReadNotices    Action = "notices.read"
	ActionTrainModel     Action = "model.train"
)

func init() {
	grant("platform", ActionWriteIdentity, ActionManageHashBank, ActionInvestigate)
	grant("operator", ActionInvestigate, ActionManageHashBank, ActionManageBrands, ActionDecideNotice, ActionReadNotices, ActionTrainModel)
	grant("reviewer", ActionInvestigate, ActionDecideNotice, ActionReadNotices)
	grant("auditor", ActionInvestigate, ActionReadNotices)
	grant("rightsholder", ActionFileNotice, ActionReadNotices)
	grant("merchant", ActionCounterNotice, ActionReadNotices)
}

// Identity attribute types the relation network links on. Values must be
// hashes or opaque tokens computed by the marketplace (or sealed references),
// never plaintext personal data.
var IdentityTypes = []string{"legal_entity", "phone", "bank_account", "payout_account", "address", "device", "ip", "image", "warehouse"}

// IdentityAttribute is one identity value held by an entity.
type IdentityAttribute struct {
	Kind  string `json:"kind"` // merchant, influencer, buyer, listing
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Validate checks an identity attribute.
func (a *IdentityAttribute) Validate() error {
	switch a.Kind {
	case "merchant", "influencer", "buyer", "listing":
	default:
		return Errorf(Invalid, "kind must be merchant, influencer, buyer or listing.")
	}
	if err := ValidateID("id", a.ID); err != nil {
		return err
	}
	ok := false
	for _, t := range IdentityTypes {
		ok = ok || t == a.Type
	}
	if !ok {
		return Errorf(Invalid, "type %q is not an identity type: want legal_entity, phone, bank_account, payout_account, address, device, ip, image or warehouse.", a.Type)
	}
	if a.Value == "" || len(a.Value) > 128 {
		return Errorf(Invalid, "value must be 1 to 128 bytes (a hash or token, not plaintext).")
	}
	return ValidateText("value", a.Value, 128)
}

// Brand is a registered brand with its trademarks, reference prices and
// authorised sellers. RightsHolderID is the rights holder who may file
// notices for it.
type Brand struct {
	ID                string           `json:"id"`
	Name              string           `json:"name"`
	Aliases           []string         `json:"aliases,omitempty"`
	RightsHolderID    string           `json:"rights_holder_id"`
	Trademarks        []string         `json:"trademarks,omitempty"`     // registration numbers
	RegistrationRef   string           `json:"registration_ref"`         // evidence of registration
	RefPricesFen      map[string]int64 `json:"ref_prices_fen,omitempty"` // category → typical genuine price
	AuthorisedSellers []string         `json:"authorised_sellers,omitempty"`
	SelfService       bool             `json:"self_service"` // trusted: notices remove links at once
	CreatedAt         time.Time        `json:"created_at"`
}

// Validate checks a brand registration.
func (b *Brand) Validate() error {
	if err := ValidateID("id", b.ID); err != nil {
		return err
	}
	if err := ValidateText("name", b.Name, MaxNameLen); err != nil || b.Name == "" {
		return Errorf(Invalid, "name is required, at most %d bytes of text.", MaxNameLen)
	}
	if err := ValidateID("rights_holder_id", b.RightsHolderID); err != nil {
		return err
	}
	if b.RegistrationRef == "" {
		return Errorf(Invalid, "registration_ref (trademark registration evidence) is required.")
	}
	if err := ValidateText("registration_ref", b.RegistrationRef, MaxNameLen); err != nil {
		return err
	}
	if len(b.Aliases) > 32 || len(b.Trademarks) > 32 || len(b.RefPricesFen) > 64 || len(b.AuthorisedSellers) > 10000 {
		return Errorf(Invalid, "too many aliases, trademarks, reference prices or sellers.")
	}
	for _, a := range append(append([]string{}, b.Aliases...), b.Trademarks...) {
		if err := ValidateText("aliases", a, MaxNameLen); err != nil || a == "" {
			return Errorf(Invalid, "aliases and trademarks must be non-empty text.")
		}
	}
	for c, p := range b.RefPricesFen {
		if err := ValidateText("ref_prices_fen key", c, MaxNameLen); err != nil {
			return err
		}
		if p <= 0 || p > MaxAmountFen {
			return Errorf(Invalid, "ref_prices_fen[%s] must be a positive amount in fen.", c)
		}
	}
	for _, s := range b.AuthorisedSellers {
		if err := ValidateID("authorised_sellers", s); err != nil {
			return err
		}
	}
	return nil
}

// Notice states.
const (
	NoticeFiled      = "filed"      // complete, awaiting the IP team (or the merchant, after a delist)
	NoticeTakenDown  = "taken_down" // the link is removed
	NoticeRejected   = "rejected"
	NoticeCountered  = "countered" // the merchant counter-noticed; reinstatement pending
	NoticeReinstated = "reinstated"
	NoticeUpheld     = "upheld" // final: the rights holder reported legal action or the counter-notice failed
)

// NoticeEvidence is one piece of evidence, by reference and hash.
type NoticeEvidence struct {
	Kind   string `json:"kind"` // case_number, order_id, appraisal_report, statement, images, chat_log, text
	Ref    string `json:"ref"`
	SHA256 string `json:"sha256,omitempty"`
}

// Notice is a rights holder's notice of infringement against one listing (or
// a piece of content sold through an influencer).
type Notice struct {
	ID               string           `json:"id"`
	RightsHolderID   string           `json:"rights_holder_id"`
	BrandID          string           `json:"brand_id"`
	ListingID        string           `json:"listing_id"`
	ContentID        string           `json:"content_id,omitempty"`
	InfluencerID     string           `json:"influencer_id,omitempty"`
	MerchantID       string           `json:"merchant_id"`
	Reason           string           `json:"reason"`
	Evidence         []NoticeEvidence `json:"evidence"`
	Statement        string           `json:"statement,omitempty"`
	State            string           `json:"state"`
	Decision         string           `json:"decision,omitempty"` // the reason for the state, shown to both sides
	FiledAt          time.Time        `json:"filed_at"`
	TakedownAt       *time.Time       `json:"takedown_at,omitempty"`
	CounterAt        *time.Time       `json:"counter_at,omitempty"`
	CounterStatement string           `json:"counter_statement,omitempty"`
	ReinstateAt      *time.Time       `json:"reinstate_at,omitempty"`
	LegalAction      bool             `json:"legal_action"`
	ClosedAt         *time.Time       `json:"closed_at,omitempty"`
	ProactiveFirst   bool             `json:"proactive_first"` // Anxin had flagged the listing before the notice
}

// NoticeFilter selects notices.
type NoticeFilter struct {
	State      string
	BrandID    string
	MerchantID string
	Reason     string // a complaint taxonomy code
	Page
}

// ScoreSignal is one explainable counterfeit signal.
type ScoreSignal struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Detail string  `json:"detail"`
}

// CounterfeitScore is the counterfeit assessment of a listing or content
// item: a score in [0,1] and the signals behind it. Signals feed governance
// policies as signals["counterfeit.<name>"].
type CounterfeitScore struct {
	Subject string        `json:"subject"`
	Score   float64       `json:"score"`
	Signals []ScoreSignal `json:"signals"`
}

// SignalProvider computes named signals for a publish-time check from other
// engines (relation graph, hash bank, brand registry, text model). Governance
// merges them into its rules' `signals` map and cites them as evidence.
type SignalProvider interface {
	ListingSignals(ctx context.Context, l *Listing) (*CounterfeitScore, error)
	ContentSignals(ctx context.Context, c *ContentItem) (*CounterfeitScore, error)
}

// KnownImage is one entry of the image hash bank.
type KnownImage struct {
	Seq     int64  `json:"seq"`
	PDQ     string `json:"pdq"`
	Label   string `json:"label"` // counterfeit, logo_covered, brand_owned
	BrandID string `json:"brand_id,omitempty"`
	Note    string `json:"note,omitempty"`
	// Tags, Source and SourceRef come with hashes imported from other
	// platforms' lists: the sharer's labels, the collaboration or list the
	// hash came from, and the sharer's id for it.
	Tags      []string `json:"tags,omitempty"`
	Source    string   `json:"source,omitempty"`
	SourceRef string   `json:"source_ref,omitempty"`
}

// ImageMatch is a hash-bank search result.
type ImageMatch struct {
	KnownImage
	Distance int `json:"distance"`
}

// ScoreInput is a listing or content item to score, with the
// coded-language hits governance found in it (0 when unknown).
type ScoreInput struct {
	Listing           *Listing     `json:"listing,omitempty"`
	Content           *ContentItem `json:"content,omitempty"`
	CodedLanguageHits int          `json:"coded_language_hits,omitempty"`
}

// ModelMetrics are a text model's figures on its held-out split.
type ModelMetrics struct {
	HeldOut   int     `json:"held_out"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Accuracy  float64 `json:"accuracy"`
}

// ModelInfo describes a stored text model version.
type ModelInfo struct {
	Version   int          `json:"version"`
	Examples  int          `json:"examples"`
	Metrics   ModelMetrics `json:"metrics"`
	CreatedAt time.Time    `json:"created_at"`
}

// RightsHolderStats are a rights holder's notice figures over 180 days,
// which decide self-service eligibility (acceptance ≥ 90 %).
type RightsHolderStats struct {
	RightsHolderID string  `json:"rights_holder_id"`
	Notices        int     `json:"notices"`
	Accepted       int     `json:"accepted"`
	Rejected       int     `json:"rejected"`
	AcceptanceRate float64 `json:"acceptance_rate"`
	Eligible       bool    `json:"self_service_eligible"`
}

// IPService is the brand registry and the rights-holder workflow. Notices
// and brands outside the actor's scope are NotFound.
type IPService interface {
	UpsertBrand(ctx context.Context, b *Brand) error
	FindBrand(ctx context.Context, id string) (*Brand, error)
	FindBrands(ctx context.Context) ([]*Brand, error)
	FileNotice(ctx context.Context, n *Notice, key string) (*Notice, error)
	FindNotice(ctx context.Context, id string) (*Notice, error)
	FindNotices(ctx context.Context, f NoticeFilter) ([]*Notice, string, error)
	DecideNotice(ctx context.Context, id string, accept bool, why string) (*Notice, error)
	CounterNotice(ctx context.Context, id, statement string) (*Notice, error)
	ReportLegalAction(ctx context.Context, id, caseRef string) (*Notice, error)
	RightsHolders(ctx context.Context) ([]RightsHolderStats, error)
}

// HashBankService stores known image hashes and searches them.
type HashBankService interface {
	Add(ctx context.Context, items []KnownImage) (int, error)
	Search(ctx context.Context, pdq string, maxDist int) ([]ImageMatch, error)
}

// CounterfeitService scores subjects and trains the text model.
type CounterfeitService interface {
	Score(ctx context.Context, in ScoreInput) (*CounterfeitScore, error)
	Train(ctx context.Context, seed uint64) (*ModelInfo, error)
	Models(ctx context.Context) ([]ModelInfo, error)
}

// CaseExport is a signed evidence bundle for authorities: Bundle is the
// exact JSON that was signed; Signature is Ed25519 over those bytes with the
// key whose public half is PublicKey (both base64).
type CaseExport struct {
	Bundle    json.RawMessage `json:"bundle"`
	Algorithm string          `json:"algorithm"`
	Signature string          `json:"signature"`
	PublicKey string          `json:"public_key"`
}
