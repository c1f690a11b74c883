// Package protection is Anxin's buyer-protection engine: programmes as
// configuration, the shipped defaults, eligibility and window checks, and the
// automatic adjudication of claims with a statement of reasons. It does no
// I/O; sqlstore gathers the facts of a case and stores what it decides.
//
//	p := protection.DefaultProgramme(protection.KindDamageReturn)
//	if err := p.Validate(); err != nil { ... }
//	if r := protection.CheckFiling(c); r != nil { ... } // outside window, wrong buyer, not covered
//	d := protection.Adjudicate(c)                        // approve, deny with reason, escalate or wait
package protection

import (
	"fmt"
	"slices"

	"anxin/ledger"
)

// Kind is a programme kind: what the programme protects against.
type Kind string

// Programme kinds (doc/domain.md, Buyer-protection programmes).
const (
	KindNoReasonReturn   Kind = "no_reason_return"  // 七天无理由退货
	KindInstantRefund    Kind = "instant_refund"    // 极速退款 / 闪电退货
	KindLateShipment     Kind = "late_shipment"     // 晚发即赔
	KindDamageReturn     Kind = "damage_return"     // 坏损包退, 24 h for fresh produce
	KindAllergyReturn    Kind = "allergy_return"    // 过敏包退
	KindCounterfeit      Kind = "counterfeit"       // 假一赔N
	KindFreightInsurance Kind = "freight_insurance" // 运费险
	KindLostParcel       Kind = "lost_parcel"       // 专属物流服务: lost parcels paid from the logistics pool
	KindBundle           Kind = "bundle"            // 安心购: enrolling enrols the included programmes
)

// Kinds lists every programme kind.
var Kinds = []Kind{KindNoReasonReturn, KindInstantRefund, KindLateShipment, KindDamageReturn, KindAllergyReturn,
	KindCounterfeit, KindFreightInsurance, KindLostParcel, KindBundle}

// Claim types a buyer (or a trigger) can raise.
const (
	ClaimNoReason       = "no_reason"
	ClaimUnshipped      = "unshipped_refund"
	ClaimReturnRefund   = "return_refund"
	ClaimLateShipment   = "late_shipment"
	ClaimDamaged        = "damaged"
	ClaimAllergy        = "allergy"
	ClaimCounterfeit    = "counterfeit"
	ClaimReturnFreight  = "return_freight"
	ClaimNotReceived    = "not_received"
	ClaimNotAsDescribed = "not_as_described"
)

// ClaimTypes lists every claim type.
var ClaimTypes = []string{ClaimNoReason, ClaimUnshipped, ClaimReturnRefund, ClaimLateShipment, ClaimDamaged,
	ClaimAllergy, ClaimCounterfeit, ClaimReturnFreight, ClaimNotReceived, ClaimNotAsDescribed}

// Funding says who pays a programme's payouts (doc/domain.md, Who pays).
type Funding string

// Funding sources.
const (
	FundMerchant      Funding = "merchant"               // the recovery order: escrow → pending → available → deposit → receivable
	FundGuaranteeFund Funding = "guarantee_fund"         // 先行赔付: the fund pays, then recovers from the merchant
	FundLogisticsPool Funding = "logistics_pool"         // the logistics guarantee pool; no recovery
	FundFreightPool   Funding = "freight_insurance_pool" // return-shipping insurance premiums
	FundInsurer       Funding = "insurer"                // paid now, booked as an insurer receivable
)

// Trigger events that open a claim without anyone filing.
const (
	EventNoPickupByPromise = "no_pickup_by_promise" // no carrier pickup scan by the promised ship time
	EventParcelLost        = "parcel_lost"          // a "lost" scan, or no scan for LostAfterDays
)

// Window clock starts.
const (
	StartPaid             = "paid"
	StartPickup           = "pickup"
	StartSigned           = "signed"
	StartNextDayAfterSign = "next_day_after_signed" // 00:00 local on the day after the signed scan
)

// Eligibility says which orders a programme covers.
type Eligibility struct {
	Categories         []string `json:"categories,omitempty"`          // any listing in one of these; empty: all
	ExcludedCategories []string `json:"excluded_categories,omitempty"` // no listing may be in these
	RequiresEnrolment  bool     `json:"requires_enrolment,omitempty"`  // the merchant must be enrolled
	ListingFlags       []string `json:"listing_flags,omitempty"`       // every listing carries attribute flag=true
	MinOrderFen        int64    `json:"min_order_fen,omitempty"`
	MaxOrderFen        int64    `json:"max_order_fen,omitempty"` // 0: no cap
	BuyerStandings     []string `json:"buyer_standings,omitempty"`
}

// Trigger says what opens a claim: a buyer's claim of one of ClaimTypes, or
// an event pattern.
type Trigger struct {
	Type          string   `json:"type"` // claim or event
	ClaimTypes    []string `json:"claim_types,omitempty"`
	Event         string   `json:"event,omitempty"`
	LostAfterDays int      `json:"lost_after_days,omitempty"` // parcel_lost: days without a scan
}

// Window is the time a claim may be filed: Hours from Start, or
// PerishableHours when any listing is in PerishableCategories.
type Window struct {
	Start                string   `json:"start"`
	Hours                int      `json:"hours"`
	PerishableHours      int      `json:"perishable_hours,omitempty"`
	PerishableCategories []string `json:"perishable_categories,omitempty"`
}

// Auto says when a claim is decided without a person.
type Auto struct {
	ApproveMaxFen         int64    `json:"approve_max_fen"`                   // above: escalate (per-order cap)
	MerchantResponseHours int      `json:"merchant_response_hours,omitempty"` // wait for the merchant; silence approves
	Standings             []string `json:"standings,omitempty"`               // buyer standings decided automatically
	BuyerQuotaFen         int64    `json:"buyer_quota_fen,omitempty"`         // rolling per-buyer quota of automatic payouts
	QuotaWindowDays       int      `json:"quota_window_days,omitempty"`
	ShippedNeedsReturn    bool     `json:"shipped_needs_return_pickup,omitempty"` // 闪电退货: once shipped, pay on the return's pickup scan
}

// Programme is one buyer-protection programme, as configuration. Programmes
// are versioned: an edit stores a new version and orders keep the version
// that covered them at payment time.
type Programme struct {
	ID             string         `json:"id"`
	Version        int            `json:"version"`
	Name           string         `json:"name"`
	Kind           Kind           `json:"kind"`
	Active         bool           `json:"active"`
	Eligibility    Eligibility    `json:"eligibility"`
	Trigger        Trigger        `json:"trigger"`
	Evidence       []string       `json:"evidence,omitempty"` // evidence kinds required before a decision
	Window         Window         `json:"window"`
	Payout         ledger.Formula `json:"payout"`
	Form           string         `json:"form,omitempty"` // cash or coupon
	Funding        Funding        `json:"funding"`
	AllowOverOrder bool           `json:"allow_over_order,omitempty"` // may pay more than the order (compensation, 假一赔N)
	Auto           Auto           `json:"auto"`
	Includes       []string       `json:"includes,omitempty"` // bundle: programme ids
}

// EvidenceKinds maps each evidence kind to the content types accepted for it.
var EvidenceKinds = map[string][]string{
	"photo_outer_package": imageTypes, "photo_item": imageTypes, "photo_waybill": imageTypes,
	"photo_affected_area": imageTypes, "photo_product_batch": imageTypes,
	"appraisal_report": docTypes, "medical_certificate": docTypes, "return_waybill": docTypes,
	"chat_log": {"text/plain"},
}

var (
	imageTypes = []string{"image/jpeg", "image/png", "image/webp", "image/gif"}
	docTypes   = []string{"application/pdf", "image/jpeg", "image/png"}
)

// Error is a configuration or filing error with a safe message; sqlstore
// maps it to anxin.Invalid.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Validate checks a programme. It rejects unknown kinds, triggers, window
// starts, claim and evidence types, funding sources and formulas, and any
// programme whose payout could exceed the order unless AllowOverOrder is set.
func (p *Programme) Validate() error {
	if p.ID == "" || len(p.ID) > 64 {
		return errf("id", "id is required (at most 64 bytes).")
	}
	for i := 0; i < len(p.ID); i++ {
		c := p.ID[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return errf("id", "id may contain only lower-case letters, digits, '_' and '-'.")
		}
	}
	if p.Name == "" || len(p.Name) > 256 {
		return errf("name", "name is required (at most 256 bytes).")
	}
	if !slices.Contains(Kinds, p.Kind) {
		return errf("kind", "kind %q is not a programme kind.", p.Kind)
	}
	if p.Kind == KindBundle {
		if len(p.Includes) == 0 || len(p.Includes) > 32 {
			return errf("includes", "a bundle must include 1 to 32 programmes.")
		}
		return nil
	}
	if len(p.Includes) > 0 {
		return errf("includes", "only a bundle includes other programmes.")
	}
	switch p.Trigger.Type {
	case "claim":
		if len(p.Trigger.ClaimTypes) == 0 {
			return errf("trigger", "a claim trigger needs claim_types.")
		}
		for _, t := range p.Trigger.ClaimTypes {
			if !slices.Contains(ClaimTypes, t) {
				return errf("trigger", "claim type %q is not known.", t)
			}
		}
		if p.Window.Hours <= 0 || p.Window.Hours > 24*366 {
			return errf("window", "window.hours must be between 1 and 8784.")
		}
		switch p.Window.Start {
		case StartPaid, StartPickup, StartSigned, StartNextDayAfterSign:
		default:
			return errf("window", "window.start must be paid, pickup, signed or next_day_after_signed.")
		}
		if p.Window.PerishableHours < 0 || p.Window.PerishableHours > p.Window.Hours {
			return errf("window", "window.perishable_hours must be between 0 and window.hours.")
		}
	case "event":
		switch p.Trigger.Event {
		case EventNoPickupByPromise:
		case EventParcelLost:
			if p.Trigger.LostAfterDays < 1 || p.Trigger.LostAfterDays > 90 {
				return errf("trigger", "lost_after_days must be between 1 and 90.")
			}
		default:
			return errf("trigger", "trigger.event must be no_pickup_by_promise or parcel_lost.")
		}
	default:
		return errf("trigger", "trigger.type must be claim or event.")
	}
	for _, e := range p.Evidence {
		if _, ok := EvidenceKinds[e]; !ok {
			return errf("evidence", "evidence kind %q is not known.", e)
		}
	}
	if err := p.Payout.Validate(); err != nil {
		return errf("payout", "payout: %s.", err.Error())
	}
	switch p.Funding {
	case FundMerchant, FundGuaranteeFund, FundLogisticsPool, FundFreightPool, FundInsurer:
	default:
		return errf("funding", "funding must be merchant, guarantee_fund, logistics_pool, freight_insurance_pool or insurer.")
	}
	switch p.Form {
	case "":
		p.Form = "cash"
	case "cash", "coupon":
	default:
		return errf("form", "form must be cash or coupon.")
	}
	e := p.Eligibility
	if e.MinOrderFen < 0 || e.MaxOrderFen < 0 || (e.MaxOrderFen > 0 && e.MinOrderFen > e.MaxOrderFen) {
		return errf("eligibility", "eligibility order values must be non-negative with min ≤ max.")
	}
	for _, s := range append(slices.Clone(e.BuyerStandings), p.Auto.Standings...) {
		if s != "good" && s != "watch" && s != "restricted" {
			return errf("eligibility", "buyer standing %q is not good, watch or restricted.", s)
		}
	}
	if p.Auto.ApproveMaxFen < 0 || p.Auto.BuyerQuotaFen < 0 || p.Auto.MerchantResponseHours < 0 || p.Auto.QuotaWindowDays < 0 {
		return errf("auto", "auto limits must not be negative.")
	}
	if p.Auto.BuyerQuotaFen > 0 && p.Auto.QuotaWindowDays == 0 {
		return errf("auto", "a buyer quota needs quota_window_days.")
	}
	if !p.AllowOverOrder && p.Payout.CanExceed(max(e.MinOrderFen, 1)) {
		return errf("payout", "The payout formula could pay more than the order (for orders from %d fen); set allow_over_order only for compensation programmes.", max(e.MinOrderFen, 1))
	}
	return nil
}

// Defaults returns the programmes Anxin ships (doc/domain.md, Buyer-protection programmes), version 1,
// active. Each call returns fresh values.
func Defaults() []*Programme {
	fresh := []string{"food_beverage", "infant_formula", "fresh", "plants"}
	ps := []*Programme{
		{
			ID: "no_reason_return", Name: "7-day no-reason return (七天无理由退货)", Kind: KindNoReasonReturn,
			Eligibility: Eligibility{ExcludedCategories: []string{"custom_made", "fresh", "digital", "periodicals"}},
			Trigger:     Trigger{Type: "claim", ClaimTypes: []string{ClaimNoReason}},
			Window:      Window{Start: StartNextDayAfterSign, Hours: 168},
			Payout:      ledger.Formula{Kind: ledger.FormulaRefund}, Funding: FundMerchant,
			Auto: Auto{ApproveMaxFen: 500000, MerchantResponseHours: 48},
		},
		{
			ID: "instant_refund", Name: "Instant refund (极速退款 / 闪电退货)", Kind: KindInstantRefund,
			Trigger: Trigger{Type: "claim", ClaimTypes: []string{ClaimUnshipped, ClaimReturnRefund}},
			Window:  Window{Start: StartPaid, Hours: 24 * 30},
			Payout:  ledger.Formula{Kind: ledger.FormulaRefund}, Funding: FundMerchant,
			Auto: Auto{ApproveMaxFen: 50000, Standings: []string{"good"}, BuyerQuotaFen: 200000, QuotaWindowDays: 30, ShippedNeedsReturn: true},
		},
		{
			// Every listing carries the ship-by promise (48 hours unless it says otherwise),
			// so the compensation needs no enrolment.
			ID: "late_shipment", Name: "Late-shipment compensation (晚发即赔)", Kind: KindLateShipment,
			Trigger: Trigger{Type: "event", Event: EventNoPickupByPromise},
			Payout:  ledger.Formula{Kind: ledger.FormulaPercentage, RateBP: 500, MinFen: 300, MaxFen: 3000},
			Form:    "coupon", Funding: FundMerchant, AllowOverOrder: true,
			Auto: Auto{ApproveMaxFen: 3000},
		},
		{
			ID: "damage_return", Name: "Damage and spoilage returns (坏损包退)", Kind: KindDamageReturn,
			Trigger:  Trigger{Type: "claim", ClaimTypes: []string{ClaimDamaged}},
			Evidence: []string{"photo_outer_package", "photo_item", "photo_waybill"},
			Window:   Window{Start: StartSigned, Hours: 72, PerishableHours: 24, PerishableCategories: fresh},
			Payout:   ledger.Formula{Kind: ledger.FormulaRefund}, Funding: FundMerchant,
			Auto: Auto{ApproveMaxFen: 500000, MerchantResponseHours: 24},
		},
		{
			ID: "allergy_return", Name: "Allergy returns (过敏包退)", Kind: KindAllergyReturn,
			Eligibility: Eligibility{Categories: []string{"beauty", "personal_care"}},
			Trigger:     Trigger{Type: "claim", ClaimTypes: []string{ClaimAllergy}},
			Evidence:    []string{"photo_affected_area", "photo_product_batch"},
			Window:      Window{Start: StartSigned, Hours: 168},
			Payout:      ledger.Formula{Kind: ledger.FormulaRefund}, Funding: FundMerchant,
			Auto: Auto{ApproveMaxFen: 500000, MerchantResponseHours: 48},
		},
		{
			// 退一赔三 is statutory (CPL Art. 55), so it covers every order.
			ID: "counterfeit", Name: "Counterfeit compensation (假一赔三, statutory)", Kind: KindCounterfeit,
			Trigger:  Trigger{Type: "claim", ClaimTypes: []string{ClaimCounterfeit}},
			Evidence: []string{"appraisal_report"},
			Window:   Window{Start: StartSigned, Hours: 24 * 90},
			Payout: ledger.Formula{Kind: ledger.FormulaMultiple, Multiple: 3, StatutoryMultiple: 3, StatutoryMinFen: 50000,
				IncludeRefund: true},
			Funding: FundGuaranteeFund, AllowOverOrder: true,
			Auto: Auto{ApproveMaxFen: 500000, MerchantResponseHours: 48},
		},
		{
			// The 安心购 pledge: four times the price for enrolled merchants.
			ID: "counterfeit_pledge", Name: "Counterfeit pledge (假一赔四)", Kind: KindCounterfeit,
			Eligibility: Eligibility{RequiresEnrolment: true},
			Trigger:     Trigger{Type: "claim", ClaimTypes: []string{ClaimCounterfeit}},
			Evidence:    []string{"appraisal_report"},
			Window:      Window{Start: StartSigned, Hours: 24 * 90},
			Payout: ledger.Formula{Kind: ledger.FormulaMultiple, Multiple: 4, StatutoryMultiple: 3, StatutoryMinFen: 50000,
				IncludeRefund: true},
			Funding: FundGuaranteeFund, AllowOverOrder: true,
			Auto: Auto{ApproveMaxFen: 500000, MerchantResponseHours: 48},
		},
		{
			ID: "freight_insurance", Name: "Return-shipping insurance (运费险)", Kind: KindFreightInsurance,
			Eligibility: Eligibility{ListingFlags: []string{"freight_insurance"}},
			Trigger:     Trigger{Type: "claim", ClaimTypes: []string{ClaimReturnFreight}},
			Window:      Window{Start: StartSigned, Hours: 24 * 15},
			Payout:      ledger.Formula{Kind: ledger.FormulaFixed, FixedFen: 1000},
			Funding:     FundFreightPool, AllowOverOrder: true,
			Auto: Auto{ApproveMaxFen: 2500},
		},
		{
			ID: "lost_parcel", Name: "Lost-parcel guarantee (专属物流服务)", Kind: KindLostParcel,
			Trigger: Trigger{Type: "event", Event: EventParcelLost, LostAfterDays: 7},
			Payout:  ledger.Formula{Kind: ledger.FormulaRefund}, Funding: FundLogisticsPool,
			Auto: Auto{ApproveMaxFen: 500000},
		},
		{
			ID: "anxingou", Name: "安心购 bundle", Kind: KindBundle,
			Includes: []string{"counterfeit_pledge", "late_shipment", "damage_return"},
		},
	}
	for _, p := range ps {
		p.Version, p.Active = 1, true
		if p.Form == "" && p.Kind != KindBundle {
			p.Form = "cash"
		}
	}
	return ps
}

// DefaultProgramme returns the shipped default of kind k, or nil.
func DefaultProgramme(k Kind) *Programme {
	for _, p := range Defaults() {
		if p.Kind == k {
			return p
		}
	}
	return nil
}

func init() {
	for _, p := range Defaults() {
		if err := p.Validate(); err != nil {
			panic("protection: default programme " + p.ID + ": " + err.Error())
		}
	}
}

// Deposit floors by category tier (doc/domain.md, Guarantee fund and deposit; placeholders, not platform
// figures): a merchant selling in any regulated or high-risk category needs
// the larger floor.
var (
	DepositFloorStandard  int64 = 200000
	DepositFloorRegulated int64 = 1000000
	DepositFloorHighRisk  int64 = 5000000

	RegulatedCategories = []string{"food_beverage", "infant_formula", "fresh", "beauty", "personal_care", "health", "electrical"}
	HighRiskCategories  = []string{"luxury", "jewellery", "digital_branded"}
)

// DepositFloor returns the minimum deposit for a merchant selling in cats.
func DepositFloor(cats []string) int64 {
	switch {
	case intersects(cats, HighRiskCategories):
		return DepositFloorHighRisk
	case intersects(cats, RegulatedCategories):
		return DepositFloorRegulated
	}
	return DepositFloorStandard
}
