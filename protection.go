package anxin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Buyer protection and money: programmes, claims, decisions, payouts and the
// guarantee-fund ledger. The engines are in packages protection and ledger;
// sqlstore stores their decisions.

// Actions of buyer protection and the ledger.
const (
	ActionFileClaim        Action = "claims.file"       // the marketplace files on a buyer's behalf
	ActionReadClaims       Action = "claims.read"       // merchants: their own only
	ActionRespondClaim     Action = "claims.respond"    // the merchant's response (or the platform relaying it)
	ActionDecideClaim      Action = "claims.decide"     // a person decides an escalated claim or an appeal
	ActionAppealClaim      Action = "claims.appeal"     // buyer (through the platform) or merchant, once
	ActionReadProgrammes   Action = "programmes.read"   // everyone who files or answers claims
	ActionManageProgrammes Action = "programmes.manage" // create and version programmes, enrol merchants
	ActionReadLedger       Action = "ledger.read"       // merchants: their own accounts only
	ActionManageLedger     Action = "ledger.manage"     // fund pools and deposits, reconcile
	ActionAckPayout        Action = "payouts.ack"       // the marketplace acknowledges a payout
	ActionEnrolSelf        Action = "programmes.enrol"  // a merchant enrols itself in (or leaves) a programme
)

func init() {
	grant("platform", ActionFileClaim, ActionReadClaims, ActionRespondClaim, ActionAppealClaim, ActionReadProgrammes, ActionAckPayout)
	grant("operator", ActionReadClaims, ActionDecideClaim, ActionReadProgrammes, ActionManageProgrammes, ActionReadLedger)
	grant("reviewer", ActionReadClaims, ActionDecideClaim, ActionReadProgrammes)
	grant("care", ActionReadClaims, ActionReadProgrammes)
	grant("finance", ActionReadClaims, ActionReadProgrammes, ActionReadLedger, ActionManageLedger)
	grant("auditor", ActionReadClaims, ActionReadProgrammes, ActionReadLedger)
	grant("merchant", ActionReadClaims, ActionRespondClaim, ActionAppealClaim, ActionReadProgrammes, ActionReadLedger, ActionEnrolSelf)
}

// Claim statuses.
const (
	ClaimOpen      = "open"      // waiting for evidence, the merchant or a return pickup
	ClaimEscalated = "escalated" // a person decides
	ClaimApproved  = "approved"  // paid
	ClaimDenied    = "denied"
	ClaimAppealed  = "appealed" // an appeal is open; a person decides
)

// Claim is a buyer-protection claim: filed by the marketplace for a buyer or
// opened by a trigger (late shipment, lost parcel). Each order has at most
// one claim per programme, and each claim at most one payout.
type Claim struct {
	ID               string           `json:"id"`
	Key              string           `json:"key"`
	OrderID          string           `json:"order_id"`
	BuyerID          string           `json:"buyer_id"`
	MerchantID       string           `json:"merchant_id"`
	ProgrammeID      string           `json:"programme_id"`
	ProgrammeVersion int              `json:"programme_version"`
	Type             string           `json:"type"`
	Source           string           `json:"source"` // buyer or event
	Status           string           `json:"status"`
	Reason           string           `json:"reason,omitempty"` // the latest reason code
	Statement        string           `json:"statement,omitempty"`
	AmountFen        int64            `json:"amount_fen"`
	Currency         string           `json:"currency"`
	Automated        bool             `json:"automated"`
	MerchantResponse string           `json:"merchant_response,omitempty"`
	MerchantDeadline *time.Time       `json:"merchant_deadline,omitempty"`
	ReturnPickedUp   bool             `json:"return_picked_up,omitempty"`
	CreatedAt        time.Time        `json:"created_at"`
	DecidedAt        *time.Time       `json:"decided_at,omitempty"`
	Evidence         []*ClaimEvidence `json:"evidence,omitempty"`
	Decisions        []*ClaimDecision `json:"decisions,omitempty"`
	Appeal           *ClaimAppeal     `json:"appeal,omitempty"`
	Payout           *Payout          `json:"payout,omitempty"`
}

// ClaimInput is a claim as filed. Key makes filing idempotent: the same key
// returns the same claim.
type ClaimInput struct {
	Key         string `json:"key"`
	OrderID     string `json:"order_id"`
	BuyerID     string `json:"buyer_id"`
	ProgrammeID string `json:"programme_id"`
	Type        string `json:"type"`
}

// Validate checks a claim's fields (not its eligibility, which needs the
// order).
func (in *ClaimInput) Validate() error {
	if err := ValidateID("key", in.Key); err != nil {
		return err
	}
	if err := ValidateID("order_id", in.OrderID); err != nil {
		return err
	}
	if err := ValidateID("buyer_id", in.BuyerID); err != nil {
		return err
	}
	if err := ValidateID("programme_id", in.ProgrammeID); err != nil {
		return err
	}
	return ValidateID("type", in.Type)
}

// ClaimEvidence is one file attached to a claim, stored by hash and size;
// the bytes stay with the marketplace.
type ClaimEvidence struct {
	ID          string    `json:"id"`
	ClaimID     string    `json:"claim_id"`
	Kind        string    `json:"kind"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	SizeBytes   int64     `json:"size_bytes"`
	CreatedAt   time.Time `json:"created_at"`
}

// MaxEvidenceBytes bounds one evidence file.
const MaxEvidenceBytes = 8 << 20

// EvidenceFile checks an uploaded evidence file: its declared content type
// must be one accepted for its kind (allowed lists the types) and must match
// what its bytes are, sniffed with http.DetectContentType, so a script
// renamed photo.jpg is refused. It returns the hex SHA-256 of data.
func EvidenceFile(kind, declared string, allowed []string, data []byte) (string, error) {
	if len(data) == 0 {
		return "", Errorf(Invalid, "The evidence file is empty.")
	}
	if len(data) > MaxEvidenceBytes {
		return "", Errorf(TooLarge, "The evidence file is larger than %d bytes.", MaxEvidenceBytes)
	}
	if allowed == nil {
		return "", Errorf(Invalid, "Evidence kind %q is not known.", kind)
	}
	if !slices.Contains(allowed, declared) {
		return "", Errorf(Invalid, "Evidence of kind %s must be one of %s.", kind, strings.Join(allowed, ", "))
	}
	sniffed, _, _ := strings.Cut(http.DetectContentType(data), ";")
	if sniffed != declared {
		return "", Errorf(Invalid, "The evidence is declared as %s but its bytes are %s.", declared, sniffed)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// ClaimDecision is one decision on a claim with its statement of reasons.
// Decisions are never edited: an appeal adds a new one.
type ClaimDecision struct {
	ID        string    `json:"id"`
	ClaimID   string    `json:"claim_id"`
	Seq       int       `json:"seq"`
	Outcome   string    `json:"outcome"` // approve, deny, escalate
	Reason    string    `json:"reason"`
	Statement string    `json:"statement"`
	AmountFen int64     `json:"amount_fen"`
	DecidedBy string    `json:"decided_by"` // "auto" or the key id of the person
	Automated bool      `json:"automated"`
	CreatedAt time.Time `json:"created_at"`
}

// ClaimAppeal is the one appeal a claim may have.
type ClaimAppeal struct {
	ClaimID   string     `json:"claim_id"`
	Appellant string     `json:"appellant"` // buyer or merchant
	Reason    string     `json:"reason"`
	Status    string     `json:"status"` // open, upheld, overturned
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// ClaimFilter selects claims. MerchantID is forced for merchant actors.
type ClaimFilter struct {
	OrderID     string
	BuyerID     string
	MerchantID  string
	ProgrammeID string
	Status      string
	Page
}

// Payout statuses.
const (
	PayoutPending = "pending" // sent to the marketplace, not yet acknowledged
	PayoutPaid    = "paid"    // acknowledged paid
	PayoutFailed  = "failed"  // the marketplace reported a failure
)

// Payout is money paid to a buyer for one claim, with the decision that
// granted it and the posting that booked it.
type Payout struct {
	ID          string     `json:"id"`
	ClaimID     string     `json:"claim_id"`
	DecisionID  string     `json:"decision_id"`
	OrderID     string     `json:"order_id"`
	BuyerID     string     `json:"buyer_id"`
	MerchantID  string     `json:"merchant_id"`
	ProgrammeID string     `json:"programme_id"`
	AmountFen   int64      `json:"amount_fen"`
	Currency    string     `json:"currency"`
	Funding     string     `json:"funding"`
	Form        string     `json:"form"`
	PostingID   string     `json:"posting_id"`
	MessageID   string     `json:"message_id"`
	Status      string     `json:"status"`
	AckNote     string     `json:"ack_note,omitempty"`
	AckedAt     *time.Time `json:"acked_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// PayoutAck is the marketplace's acknowledgement of a payout webhook.
type PayoutAck struct {
	Status    string `json:"status"` // paid or failed
	PostingID string `json:"posting_id"`
	AmountFen int64  `json:"amount_fen"`
	Note      string `json:"note,omitempty"`
}

// Enrolment is a merchant's enrolment in a programme.
type Enrolment struct {
	MerchantID  string    `json:"merchant_id"`
	ProgrammeID string    `json:"programme_id"`
	Via         string    `json:"via,omitempty"` // the bundle that enrolled it
	EnrolledAt  time.Time `json:"enrolled_at"`
}

// LedgerAccount is an account's balance in one currency.
type LedgerAccount struct {
	Account    string    `json:"account"`
	Kind       string    `json:"kind"`
	Owner      string    `json:"owner,omitempty"`
	Currency   string    `json:"currency"`
	BalanceFen int64     `json:"balance_fen"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// LedgerEntry is one leg of a posting.
type LedgerEntry struct {
	Account   string `json:"account"`
	AmountFen int64  `json:"amount_fen"`
}

// LedgerPosting is an append-only journal entry whose entries sum to zero.
type LedgerPosting struct {
	ID        string        `json:"id"`
	Kind      string        `json:"kind"` // escrow, settle, payout, recovery, topup, reversal
	Ref       string        `json:"ref"`  // unique: what caused it, e.g. payout:<id>
	Currency  string        `json:"currency"`
	Memo      string        `json:"memo,omitempty"`
	Entries   []LedgerEntry `json:"entries"`
	CreatedAt time.Time     `json:"created_at"`
}

// LedgerFilter selects accounts or postings. MerchantID is forced for
// merchant actors and restricts to that merchant's accounts.
type LedgerFilter struct {
	Account    string
	Kind       string
	MerchantID string
	Page
}

// MerchantMoney is a merchant's money at a glance.
type MerchantMoney struct {
	MerchantID    string     `json:"merchant_id"`
	Currency      string     `json:"currency"`
	PendingFen    int64      `json:"pending_fen"`
	AvailableFen  int64      `json:"available_fen"`
	DepositFen    int64      `json:"deposit_fen"`
	DepositFloor  int64      `json:"deposit_floor_fen"`
	ReceivableFen int64      `json:"receivable_fen"` // negative: the merchant owes
	Restricted    bool       `json:"restricted"`
	RestrictedAt  *time.Time `json:"restricted_at,omitempty"`
}

// Funding is money put into a pool or a merchant's deposit from outside the
// books. Key makes it idempotent.
type Funding struct {
	Key       string `json:"key"`
	Account   string `json:"account"`
	AmountFen int64  `json:"amount_fen"`
	Currency  string `json:"currency"`
	Memo      string `json:"memo,omitempty"`
}

// ReconMismatch is one payout whose books and acknowledgement disagree.
type ReconMismatch struct {
	PayoutID string `json:"payout_id"`
	Problem  string `json:"problem"`
}

// Reconciliation compares payouts with the marketplace's acknowledgements.
type Reconciliation struct {
	Payouts    int             `json:"payouts"`
	Paid       int             `json:"paid"`
	Pending    int             `json:"pending"`
	Failed     int             `json:"failed"`
	PaidFen    int64           `json:"paid_fen"`
	Mismatches []ReconMismatch `json:"mismatches"`
}

// ProtectionService runs programmes, claims and payouts. Every method
// authorizes first. Lookups return NotFound for records outside a merchant
// actor's scope. Money-moving methods run in serializable transactions:
// a decision, its postings, its payout and its webhook commit together.
type ProtectionService interface {
	// FileClaim files a claim idempotently by in.Key: the same key returns
	// the same claim (created false); the same key with different fields is
	// Conflict. Invalid when the claim is outside its window, not covered, by
	// a buyer who is not the order's, or malformed; nothing is stored then.
	FileClaim(ctx context.Context, in ClaimInput) (c *Claim, created bool, err error)
	FindClaim(ctx context.Context, id string) (*Claim, error)
	FindClaims(ctx context.Context, f ClaimFilter) ([]*Claim, string, error)
	// AddEvidence attaches a file; Invalid when its bytes are not its type.
	AddEvidence(ctx context.Context, claimID, kind, contentType string, data []byte) (*Claim, error)
	// RespondClaim records the merchant's accept or reject, once.
	RespondClaim(ctx context.Context, claimID, response, note string) (*Claim, error)
	// DecideClaim is a person's decision on an escalated or appealed
	// claim (the rules are protection.Decide and protection.DecideAppeal).
	// Conflict for a claim in any other state; Forbidden when the person
	// deciding an appeal made the decision appealed; Invalid for another
	// outcome, an empty reason or an amount out of range.
	DecideClaim(ctx context.Context, claimID, outcome, reason string, amountFen int64) (*Claim, error)
	// AppealClaim opens the claim's one appeal (protection.CheckAppeal):
	// Conflict on a second appeal or an undecided claim; Invalid for the
	// party the decision favoured or after the 30-day window.
	AppealClaim(ctx context.Context, claimID, reason string) (*Claim, error)

	FindProgrammes(ctx context.Context) ([]*ProgrammeRecord, error)
	FindProgramme(ctx context.Context, id string) (*ProgrammeRecord, error)
	// SaveProgramme stores a new version of a programme (Invalid if its
	// configuration fails validation, for example if it could over-pay).
	SaveProgramme(ctx context.Context, config []byte) (*ProgrammeRecord, error)
	Enrol(ctx context.Context, merchantID, programmeID string) ([]*Enrolment, error)
	Unenrol(ctx context.Context, merchantID, programmeID string) error
	FindEnrolments(ctx context.Context, merchantID string) ([]*Enrolment, error)

	FindPayouts(ctx context.Context, f ClaimFilter) ([]*Payout, string, error)
	// AckPayout records the marketplace's acknowledgement; a repeated
	// identical ack is a no-op, a contradicting one Conflict.
	AckPayout(ctx context.Context, id string, ack PayoutAck) (*Payout, error)
}

// ProgrammeRecord is a stored programme version; Config is the programme's
// JSON configuration (see package protection).
type ProgrammeRecord struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Active    bool      `json:"active"`
	Config    RawJSON   `json:"config"`
	CreatedAt time.Time `json:"created_at"`
}

// RawJSON is a JSON value kept as bytes.
type RawJSON []byte

// MarshalJSON returns the bytes, or null when empty.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// LedgerService reads the ledger and moves money into it from outside.
type LedgerService interface {
	FindAccounts(ctx context.Context, f LedgerFilter) ([]*LedgerAccount, string, error)
	FindPostings(ctx context.Context, f LedgerFilter) ([]*LedgerPosting, string, error)
	MerchantMoney(ctx context.Context, merchantID string) (*MerchantMoney, error)
	// Fund credits a pool or a deposit from outside the books, idempotently
	// by key. A deposit reaching its floor lifts the publishing restriction.
	// Invalid for a non-positive amount, an unknown currency or an account
	// that may not be funded from outside (ledger.ExternallyFundable);
	// NotFound for a merchant the mirror does not know; Conflict for a key
	// reused with other fields.
	Fund(ctx context.Context, f Funding) (*LedgerPosting, error)
	Reconcile(ctx context.Context) (*Reconciliation, error)
}
