package anxin

import (
	"context"
	"encoding/json"
	"time"
)

// Privacy: buyers' names, phones and addresses sealed in the vault, shown
// masked, printed on waybills with virtual numbers, decrypted only through
// scoped, rate-limited, audited calls, with exfiltration detection over the
// audit trail. See doc/domain.md, Privacy.

// Privacy actions.
const (
	ActionSealPII        Action = "pii.seal"       // store an order's personal data (sealed)
	ActionReadMaskedPII  Action = "pii.read"       // masked view of an order's personal data
	ActionPrintWaybill   Action = "pii.waybill"    // waybill label data
	ActionDecryptPII     Action = "pii.decrypt"    // plaintext, with a grant
	ActionSearchPII      Action = "pii.search"     // blind-index lookup
	ActionRouteCall      Action = "pii.route_call" // virtual-number call routing (telephony gateway)
	ActionManageGrants   Action = "pii.grants"     // create, list and revoke decrypt grants
	ActionReadAudit      Action = "audit.read"     // the privacy audit log and its verification
	ActionReadAlerts     Action = "privacy.alerts.read"
	ActionManageAlerts   Action = "privacy.alerts.manage"
	ActionReadVaultState Action = "vault.status" // key versions and rotation status
)

func init() {
	grant("platform", ActionSealPII, ActionReadMaskedPII, ActionPrintWaybill, ActionRouteCall, ActionDecryptPII)
	grant("merchant", ActionReadMaskedPII, ActionPrintWaybill, ActionDecryptPII, ActionSearchPII)
	grant("care", ActionReadMaskedPII, ActionDecryptPII, ActionSearchPII)
	grant("operator", ActionReadMaskedPII)
	grant("privacy", ActionReadMaskedPII, ActionDecryptPII, ActionManageGrants, ActionReadAudit, ActionReadAlerts, ActionManageAlerts, ActionReadVaultState)
	grant("auditor", ActionReadAudit, ActionReadAlerts, ActionReadVaultState)
}

// Decrypt purposes (doc/domain.md, Privacy: the decrypt scopes, plus the courier's
// delivery reveal and care's contact).
const (
	PurposeShip       = "ship"
	PurposeAfterSales = "after_sales"
	PurposeLegal      = "legal"
	PurposeCare       = "care"
	PurposeDelivery   = "delivery"
)

// Purposes lists every decrypt purpose.
var Purposes = []string{PurposeShip, PurposeAfterSales, PurposeLegal, PurposeCare, PurposeDelivery}

// PurposesFor returns the purposes a role may decrypt for: merchants for
// shipping and after-sales, care for after-sales and contacting the buyer,
// privacy officers for legal requests, the platform for the courier's
// delivery reveal.
func PurposesFor(r Role) []string {
	switch r.Base() {
	case "merchant":
		return []string{PurposeShip, PurposeAfterSales}
	case "care":
		return []string{PurposeAfterSales, PurposeCare}
	case "privacy":
		return []string{PurposeLegal}
	case "platform":
		return []string{PurposeDelivery}
	}
	return nil
}

// PII fields.
const (
	FieldName    = "name"
	FieldPhone   = "phone"
	FieldAddress = "address"
	FieldExtra   = "extra"
)

// PIIInput is an order's personal data as the marketplace sends it. Name,
// Phone (a mainland mobile number) and Address (one line, "浙江省杭州市西湖区
// 文三路100号") are required; Extra holds any other field the marketplace
// marks personal (an id number, a note), sealed as a whole.
type PIIInput struct {
	Name    string            `json:"name"`
	Phone   string            `json:"phone"`
	Address string            `json:"address"`
	Extra   map[string]string `json:"extra,omitempty"`
}

// Validate checks sizes and text; the vault checks the formats. Messages
// never repeat the values.
func (in *PIIInput) Validate() error {
	if err := ValidateText("name", in.Name, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateText("phone", in.Phone, 64); err != nil {
		return err
	}
	if err := ValidateText("address", in.Address, 512); err != nil {
		return err
	}
	return ValidateAttributes("extra", in.Extra)
}

// MaskedPII is the masked view every caller without a grant sees.
type MaskedPII struct {
	OrderID   string    `json:"order_id"`
	PIIRef    string    `json:"pii_ref"`
	Name      string    `json:"name"`    // 张*三
	Phone     string    `json:"phone"`   // 138****5678
	Address   string    `json:"address"` // to the district: 浙江省杭州市西湖区****
	HasExtra  bool      `json:"has_extra,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RevealedPII is decrypted personal data, returned only by DecryptPII and
// never stored or logged. AuditSeq names the audit event of the access.
type RevealedPII struct {
	OrderID  string            `json:"order_id"`
	Purpose  string            `json:"purpose"`
	Name     string            `json:"name,omitempty"`
	Phone    string            `json:"phone,omitempty"`
	Address  string            `json:"address,omitempty"`
	Extra    map[string]string `json:"extra,omitempty"`
	AuditSeq int64             `json:"audit_seq"`
}

// DecryptRequest states why and what to decrypt. Fields defaults to the
// fields the purpose reveals, except extra (see privacy.DecryptFields). RevealRef is the waybill's reference, required for the
// delivery purpose.
type DecryptRequest struct {
	Purpose   string   `json:"purpose"`
	Fields    []string `json:"fields,omitempty"`
	RevealRef string   `json:"reveal_ref,omitempty"`
}

// Validate checks the purpose and fields.
func (r *DecryptRequest) Validate() error {
	ok := false
	for _, p := range Purposes {
		ok = ok || p == r.Purpose
	}
	if !ok {
		return Errorf(Invalid, "purpose must be ship, after_sales, legal, care or delivery.")
	}
	if len(r.Fields) > 4 {
		return Errorf(Invalid, "fields has more than 4 entries.")
	}
	for _, f := range r.Fields {
		switch f {
		case FieldName, FieldPhone, FieldAddress, FieldExtra:
		default:
			return Errorf(Invalid, "fields entries must be name, phone, address or extra.")
		}
	}
	return ValidateOptionalID("reveal_ref", r.RevealRef)
}

// Waybill is the label data a carrier prints: never the real phone number.
type Waybill struct {
	OrderID       string     `json:"order_id"`
	RecipientName string     `json:"recipient_name"` // masked
	Phone         string     `json:"phone"`          // "17000000001 转 1234" or the masked phone
	VirtualNumber string     `json:"virtual_number,omitempty"`
	Extension     string     `json:"extension,omitempty"`
	PhoneMode     string     `json:"phone_mode"` // virtual or masked
	Address       string     `json:"address"`    // full delivery address, for the courier
	Region        string     `json:"region"`     // masked, to the district
	PhoneLast4    string     `json:"-"`          // never on the label
	RevealRef     string     `json:"reveal_ref"`
	QRPayload     string     `json:"qr_payload"`
	BindingExpiry *time.Time `json:"binding_expires_at,omitempty"`
	PrintedAt     time.Time  `json:"printed_at"`
}

// PIIGrant allows a role to decrypt for a purpose, for one order or "*"
// (every order in the role's scope, at most 24 hours), until ExpiresAt, once
// a second privacy key has approved it, and never for the key that
// requested it.
type PIIGrant struct {
	ID        string     `json:"id"`
	Role      Role       `json:"role"`
	Purpose   string     `json:"purpose"`
	OrderID   string     `json:"order_id"`
	ExpiresAt time.Time  `json:"expires_at"`
	Note      string     `json:"note,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// ApprovedBy is the second privacy key that approved the grant; a grant
	// takes effect only once approved (see package privacy).
	ApprovedBy string     `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	Status     string     `json:"status,omitempty"` // pending, active, expired or revoked, as of the read
}

// MaxGrantDays bounds a grant's lifetime.
const MaxGrantDays = 90

// Validate checks a grant request against now.
func (g *PIIGrant) Validate(now time.Time) error {
	if err := g.Role.Validate(); err != nil {
		return err
	}
	allowed := PurposesFor(g.Role)
	ok := false
	for _, p := range allowed {
		ok = ok || p == g.Purpose
	}
	if !ok {
		return Errorf(Invalid, "Role %s may not be granted purpose %q.", g.Role.Base(), g.Purpose)
	}
	if g.OrderID != "*" {
		if err := ValidateID("order_id", g.OrderID); err != nil {
			return err
		}
	}
	if !g.ExpiresAt.After(now) {
		return Errorf(Invalid, "expires_at must be in the future.")
	}
	if g.ExpiresAt.After(now.Add(MaxGrantDays * 24 * time.Hour)) {
		return Errorf(Invalid, "expires_at must be within %d days.", MaxGrantDays)
	}
	return ValidateText("note", g.Note, MaxNameLen)
}

// PIISearch is a blind-index lookup: exactly one of Phone, Last4, Name.
type PIISearch struct {
	Phone string
	Last4 string
	Name  string
}

// AuditEvent is one row of the append-only, chained privacy audit log.
// Hash = HMAC-SHA256, under a key derived from the vault's KEK, over PrevHash
// and the row's own content (plain SHA-256 for rows written before the chain
// was keyed); Detail never holds personal data.
type AuditEvent struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	ActorKey  string    `json:"actor_key"`
	ActorRole string    `json:"actor_role"`
	Action    string    `json:"action"` // seal, view, waybill, decrypt, search, route, grant, revoke_grant, alert, resolve_alert
	OrderID   string    `json:"order_id,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	Outcome   string    `json:"outcome"` // allowed, or the refusal: forbidden, not_found, rate_limited, tampered, invalid, expired
	Detail    string    `json:"detail,omitempty"`
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

// AuditFilter selects audit events for SearchAudit. Empty fields match
// everything; From is inclusive and To exclusive. BeforeSeq pages backwards:
// only rows older than it (0 for the newest). Limit defaults to 100, at most
// 1000.
type AuditFilter struct {
	ActorKey  string
	Action    string
	OrderID   string
	Outcome   string
	From, To  time.Time
	BeforeSeq int64
	Limit     int
}

// AuditVerification is the result of checking the audit chain. FirstBadSeq
// names the first row that was edited, removed or reordered.
type AuditVerification struct {
	OK          bool   `json:"ok"`
	Rows        int64  `json:"rows"`
	HeadSeq     int64  `json:"head_seq"`
	KeyedFrom   int64  `json:"keyed_from"`           // the first row chained with the keyed MAC
	AnchorSeq   int64  `json:"anchor_seq,omitempty"` // the checkpoint verified against, if any
	FirstBadSeq int64  `json:"first_bad_seq,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// PrivacyAlert is suspected bulk or unusual access by one principal, with
// the evidence that raised it. Raising one throttles the principal and opens
// a case.
type PrivacyAlert struct {
	ID         string          `json:"id"`
	Principal  string          `json:"principal"` // API key id
	Role       string          `json:"role"`
	Kind       string          `json:"kind"`   // bulk_decrypt, decrypts_exceed_orders, lookup_sweep, odd_hours, route_sweep
	Status     string          `json:"status"` // open, resolved
	Evidence   json.RawMessage `json:"evidence"`
	CaseID     string          `json:"case_id"`
	OpenedAt   time.Time       `json:"opened_at"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
	Resolution string          `json:"resolution,omitempty"` // confirmed, false_positive
}

// VirtualRoute is where a call to a virtual number and extension goes: only
// what the gateway needs to connect the courier (no order id).
type VirtualRoute struct {
	Number    string    `json:"number"`
	Extension string    `json:"extension"`
	Target    string    `json:"target"`
	ExpiresAt time.Time `json:"expires_at"`
}

// KEKVersionUse is one key-encryption-key version and how many data keys it
// still wraps.
type KEKVersionUse struct {
	Version  uint32 `json:"version"`
	DataKeys int64  `json:"data_keys"`
	Current  bool   `json:"current"`
	InKEK    bool   `json:"in_kek"`
}

// VaultStatus is the key and rotation state.
type VaultStatus struct {
	CurrentVersion uint32          `json:"current_version"`
	Versions       []KEKVersionUse `json:"versions"`
	Records        int64           `json:"records"`
	StaleDataKeys  int64           `json:"stale_data_keys"` // wrapped by a version older than current
}

// PrivacyService guards personal data. Every method authorizes first.
// Merchants see only their own orders (NotFound for others', so probing
// cannot confirm an order exists). Every decrypt, waybill, search, route and
// grant change, allowed or refused, appends an audit event; a refusal is
// audited even though the call fails. Errors: Invalid for malformed input
// (messages never repeat personal data), Forbidden without a live grant or
// for a closed order, RateLimited over the per-principal decrypt limit or
// while an alert throttles the principal, NotFound for absent or hidden
// records and for expired virtual-number bindings.
type PrivacyService interface {
	SealPII(ctx context.Context, orderID string, in *PIIInput) (*MaskedPII, error)
	MaskedPII(ctx context.Context, orderID string) (*MaskedPII, error)
	Waybill(ctx context.Context, orderID string) (*Waybill, error)
	// DecryptPII reveals an order's personal data for a purpose after the
	// reveal ladder of package privacy (fields, purpose, rate, grant, open
	// order, waybill reference): the first refusing step's error is
	// returned and audited. Invalid for a sealed field that fails its
	// integrity check (audited as tampered).
	DecryptPII(ctx context.Context, orderID string, req DecryptRequest) (*RevealedPII, error)
	SearchPII(ctx context.Context, q PIISearch) ([]*MaskedPII, error)
	RouteCall(ctx context.Context, number, extension string) (*VirtualRoute, error)

	CreateGrant(ctx context.Context, g *PIIGrant) error
	ApproveGrant(ctx context.Context, id string) (*PIIGrant, error)
	FindGrants(ctx context.Context, activeOnly bool) ([]*PIIGrant, error)
	RevokeGrant(ctx context.Context, id string) error

	FindAudit(ctx context.Context, afterSeq int64, limit int) ([]*AuditEvent, error)
	VerifyAudit(ctx context.Context) (*AuditVerification, error)
	// FindOrderAudit is FindAudit restricted to one order's events.
	FindOrderAudit(ctx context.Context, orderID string, afterSeq int64, limit int) ([]*AuditEvent, error)
	// SearchAudit lists the audit events matching f, newest first.
	SearchAudit(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)

	FindAlerts(ctx context.Context, status string) ([]*PrivacyAlert, error)
	// ResolveAlert closes an open alert as confirmed or false_positive with
	// the officer's note (at most 500 bytes, one line; kept in the audit log).
	ResolveAlert(ctx context.Context, id, resolution, note string) error

	VaultStatus(ctx context.Context) (*VaultStatus, error)
}

// AuditCheckpoint is a signed statement of the audit chain's head at a
// moment, kept outside the database (a file from "anxin audit anchor", a
// webhook of type audit.checkpoint), so that removing or rewriting rows
// after it is detected even by someone who rewrites the head too. Signature
// is Ed25519 over the version, Seq, Hash, KeyedFrom and At, with a key
// derived from the vault's KEK; PublicKey is that key, for information.
type AuditCheckpoint struct {
	Version   int       `json:"version"`
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	KeyedFrom int64     `json:"keyed_from"` // the first row chained with the keyed MAC
	At        time.Time `json:"at"`
	PublicKey string    `json:"public_key"`
	Signature string    `json:"signature"`
}
