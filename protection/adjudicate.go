package protection

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"anxin/ledger"
)

// Outcomes of adjudication.
const (
	Approve  = "approve"
	Deny     = "deny"
	Escalate = "escalate" // a person decides
	Pending  = "pending"  // waiting for evidence or the merchant's response
)

// Order is what adjudication needs to know about the order a claim concerns.
type Order struct {
	ID           string
	BuyerID      string
	MerchantID   string
	TotalFen     int64
	Currency     string
	Categories   []string        // categories of the order's listings
	ListingFlags map[string]bool // flags carried by every listing of the order
	PaidAt       *time.Time
	PickupAt     *time.Time // first carrier pickup scan (揽收)
	SignedAt     *time.Time // delivered ("signed") scan
	CancelledAt  *time.Time
	Covered      []string // programme ids recorded at payment time
}

// Evidence is one piece of evidence attached to a claim.
type Evidence struct {
	Kind      string
	SHA256    string
	Duplicate bool // the same bytes were attached to another claim
}

// Guards are the fraud guards applied to every claim.
type Guards struct {
	VelocityMax         int // claims by one buyer within VelocityWindowHours before escalation
	VelocityWindowHours int
}

// DefaultGuards: more than 5 claims by one buyer in 7 days escalates.
var DefaultGuards = Guards{VelocityMax: 5, VelocityWindowHours: 168}

// Case is everything adjudication looks at. sqlstore fills it in the
// transaction that decides.
type Case struct {
	Programme *Programme
	ClaimType string
	BuyerID   string // who filed; the order's buyer for triggered claims
	Order     Order
	Standing  string // the buyer's standing: good, watch, restricted
	Enrolled  bool   // the merchant is enrolled in the programme
	Evidence  []Evidence
	// BuyerRecentClaims counts the buyer's other claims within the velocity window.
	BuyerRecentClaims int
	// BuyerQuotaUsedFen is what the buyer was paid automatically under this
	// programme within its quota window.
	BuyerQuotaUsedFen int64
	// OrderPaidFen is what was already paid out on this order by refund-like
	// programmes (those that may not pay more than the order).
	OrderPaidFen     int64
	MerchantResponse string    // "", accept or reject
	MerchantDeadline time.Time // when the merchant's response window closes (zero: none)
	ReturnPickedUp   bool      // a return parcel has a pickup scan (闪电退货)
	TriggeredByEvent bool
	Guards           Guards
	Now              time.Time
}

// Decision is the outcome of adjudication with its statement of reasons.
type Decision struct {
	Outcome   string   `json:"outcome"`
	Reason    string   `json:"reason"` // a machine-readable code
	Facts     []string `json:"facts"`  // the specific findings, in order
	AmountFen int64    `json:"amount_fen,omitempty"`
	Funding   Funding  `json:"funding,omitempty"`
	Form      string   `json:"form,omitempty"`
	Automated bool     `json:"automated"`
}

// Statement renders the decision as a statement of reasons naming the
// programme, its version, the finding and the way to appeal.
func (d Decision) Statement(p *Programme) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Programme %s (%s) version %d: %s (%s).", p.ID, p.Name, p.Version, d.Outcome, d.Reason)
	for _, f := range d.Facts {
		b.WriteString(" ")
		b.WriteString(f)
	}
	if d.Outcome == Approve {
		fmt.Fprintf(&b, " Payout %d fen as %s, funded by %s.", d.AmountFen, d.Form, d.Funding)
	}
	if d.Outcome == Approve || d.Outcome == Deny {
		b.WriteString(" Either party may appeal once within 30 days.")
	}
	return b.String()
}

// CheckFiling returns nil if the claim may be filed, or an *Error saying why
// not: the claim type is not covered by the programme, the buyer is not the
// order's buyer, the order was not covered at payment time, or the window is
// closed or not yet open. A refused filing books nothing.
func CheckFiling(c *Case) *Error {
	p := c.Programme
	if p == nil || !p.Active {
		return errf("programme", "The programme is not active.")
	}
	if p.Kind == KindBundle {
		return errf("programme", "Claims are filed under a programme of the bundle, not the bundle itself.")
	}
	if c.BuyerID != c.Order.BuyerID {
		return errf("buyer", "The claim's buyer is not the order's buyer.")
	}
	if !slices.Contains(c.Order.Covered, p.ID) {
		return errf("coverage", "The order was not covered by programme %s when it was paid.", p.ID)
	}
	if c.TriggeredByEvent {
		if p.Trigger.Type != "event" {
			return errf("trigger", "Programme %s is not triggered by events.", p.ID)
		}
		return nil
	}
	if p.Trigger.Type != "claim" || !slices.Contains(p.Trigger.ClaimTypes, c.ClaimType) {
		return errf("claim_type", "Programme %s does not cover claims of type %q.", p.ID, c.ClaimType)
	}
	start, ok := windowStart(p.Window.Start, &c.Order)
	if !ok {
		return errf("window", "The claim window of programme %s has not opened: it starts at %s.", p.ID, strings.ReplaceAll(p.Window.Start, "_", " "))
	}
	hours := p.Window.Hours
	if p.Window.PerishableHours > 0 && intersects(c.Order.Categories, p.Window.PerishableCategories) {
		hours = p.Window.PerishableHours
	}
	end := start.Add(time.Duration(hours) * time.Hour)
	if c.Now.Before(start) {
		return errf("window", "The claim window of programme %s opens at %s.", p.ID, start.Format(time.RFC3339))
	}
	if !c.Now.Before(end) {
		return errf("window", "The claim window of programme %s closed at %s (%d h from %s).", p.ID, end.Format(time.RFC3339), hours, strings.ReplaceAll(p.Window.Start, "_", " "))
	}
	return nil
}

func windowStart(start string, o *Order) (time.Time, bool) {
	switch start {
	case StartPaid:
		if o.PaidAt != nil {
			return *o.PaidAt, true
		}
	case StartPickup:
		if o.PickupAt != nil {
			return *o.PickupAt, true
		}
	case StartSigned:
		if o.SignedAt != nil {
			return *o.SignedAt, true
		}
	case StartNextDayAfterSign:
		if o.SignedAt != nil {
			return NextLocalMidnight(*o.SignedAt), true
		}
	}
	return time.Time{}, false
}

// shanghai is UTC+8 without DST: the marketplace's default time zone.
var shanghai = time.FixedZone("CST", 8*3600)

// NextLocalMidnight returns 00:00 marketplace time on the day after t, in UTC.
func NextLocalMidnight(t time.Time) time.Time {
	l := t.In(shanghai)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, shanghai).UTC()
}

// Covers reports whether programme p covers order o at payment time, given
// whether the merchant is enrolled and the buyer's standing.
func Covers(p *Programme, o *Order, enrolled bool, standing string) bool {
	if !p.Active || p.Kind == KindBundle {
		return false
	}
	e := p.Eligibility
	if e.RequiresEnrolment && !enrolled {
		return false
	}
	if len(e.Categories) > 0 && !intersects(o.Categories, e.Categories) {
		return false
	}
	if intersects(o.Categories, e.ExcludedCategories) {
		return false
	}
	for _, f := range e.ListingFlags {
		if !o.ListingFlags[f] {
			return false
		}
	}
	if o.TotalFen < e.MinOrderFen || (e.MaxOrderFen > 0 && o.TotalFen > e.MaxOrderFen) {
		return false
	}
	if len(e.BuyerStandings) > 0 && !slices.Contains(e.BuyerStandings, standing) {
		return false
	}
	return true
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// needsDelivery lists claim types that only make sense once the buyer has
// received the goods.
var needsDelivery = []string{ClaimNoReason, ClaimDamaged, ClaimAllergy, ClaimCounterfeit, ClaimReturnFreight, ClaimNotAsDescribed}

// Adjudicate decides a claim that passed CheckFiling. It applies, in order:
// the fraud guards (goods never delivered to this buyer → deny; duplicate
// evidence or claim velocity → escalate), missing evidence (pending), the
// merchant's response window (pending; silence approves, a rejection
// escalates), the payout formula and the order's remaining amount, and the
// automatic limits (amount, standing, rolling quota → escalate). Every
// outcome carries a reason code and the facts behind it.
func Adjudicate(c *Case) Decision {
	p := c.Programme
	d := Decision{Automated: true, Funding: p.Funding, Form: p.Form}
	g := c.Guards
	if g.VelocityMax == 0 {
		g = DefaultGuards
	}
	if !c.TriggeredByEvent && slices.Contains(needsDelivery, c.ClaimType) && c.Order.SignedAt == nil {
		return deny(d, "not_delivered", "The order has no delivery scan for this buyer, so a claim about the goods received cannot be granted.")
	}
	for _, e := range c.Evidence {
		if e.Duplicate {
			return escalate(d, "duplicate_evidence", fmt.Sprintf("Evidence %s (sha256 %.12s…) was already attached to another claim.", e.Kind, e.SHA256))
		}
	}
	if !c.TriggeredByEvent && c.BuyerRecentClaims >= g.VelocityMax {
		return escalate(d, "claim_velocity", fmt.Sprintf("The buyer filed %d other claims within %d h (limit %d).", c.BuyerRecentClaims, g.VelocityWindowHours, g.VelocityMax))
	}
	var missing []string
	for _, want := range p.Evidence {
		if !slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Kind == want }) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		d.Outcome, d.Reason, d.Automated = Pending, "evidence_required", false
		d.Facts = []string{"Evidence required: " + strings.Join(missing, ", ") + "."}
		return d
	}
	if p.Kind == KindInstantRefund {
		if c.ClaimType == ClaimUnshipped && c.Order.PickupAt != nil {
			return deny(d, "already_shipped", "The order has a carrier pickup scan, so it is no longer unshipped; file a return refund instead.")
		}
		if c.ClaimType == ClaimReturnRefund && p.Auto.ShippedNeedsReturn && !c.ReturnPickedUp {
			d.Outcome, d.Reason, d.Automated = Pending, "awaiting_return_pickup", false
			d.Facts = []string{"The refund is paid when the courier collects the return."}
			return d
		}
	} else if p.Auto.MerchantResponseHours > 0 && !c.TriggeredByEvent {
		switch c.MerchantResponse {
		case "accept":
			d.Facts = append(d.Facts, "The merchant accepted the claim.")
		case "reject":
			return escalate(d, "merchant_rejected", "The merchant rejected the claim; the platform intervenes.")
		default:
			if c.Now.Before(c.MerchantDeadline) {
				d.Outcome, d.Reason, d.Automated = Pending, "awaiting_merchant", false
				d.Facts = []string{fmt.Sprintf("The merchant may respond until %s.", c.MerchantDeadline.Format(time.RFC3339))}
				return d
			}
			d.Facts = append(d.Facts, fmt.Sprintf("The merchant did not respond within %d h; the claim defaults to the buyer.", p.Auto.MerchantResponseHours))
		}
	}
	base := c.Order.TotalFen
	if !p.AllowOverOrder {
		base -= c.OrderPaidFen
	}
	amt, err := p.Payout.Amount(max(base, 0))
	if err != nil {
		return escalate(d, "payout_error", "The payout could not be computed: "+err.Error()+".")
	}
	if !p.AllowOverOrder && amt > base {
		amt = base
	}
	if amt <= 0 {
		return deny(d, "nothing_left", fmt.Sprintf("The order's %d fen were already paid out.", c.Order.TotalFen))
	}
	d.AmountFen = amt
	if amt > p.Auto.ApproveMaxFen {
		return escalate(d, "over_auto_limit", fmt.Sprintf("The payout of %d fen is above the automatic limit of %d fen.", amt, p.Auto.ApproveMaxFen))
	}
	if len(p.Auto.Standings) > 0 && !c.TriggeredByEvent && !slices.Contains(p.Auto.Standings, c.Standing) {
		return escalate(d, "buyer_standing", fmt.Sprintf("The buyer's standing is %q; automatic decisions need %s.", c.Standing, strings.Join(p.Auto.Standings, " or ")))
	}
	if p.Auto.BuyerQuotaFen > 0 {
		used, _ := ledger.Add(c.BuyerQuotaUsedFen, amt)
		if used > p.Auto.BuyerQuotaFen {
			return escalate(d, "buyer_quota", fmt.Sprintf("The buyer's automatic payouts would reach %d fen in %d days (quota %d fen).", used, p.Auto.QuotaWindowDays, p.Auto.BuyerQuotaFen))
		}
	}
	d.Outcome, d.Reason = Approve, "eligible"
	d.Facts = append(d.Facts, fmt.Sprintf("The claim meets programme %s: %s.", p.ID, describeFormula(p.Payout, c.Order.TotalFen)))
	return d
}

func deny(d Decision, reason, fact string) Decision {
	d.Outcome, d.Reason, d.Facts, d.AmountFen = Deny, reason, append(d.Facts, fact), 0
	return d
}

func escalate(d Decision, reason, fact string) Decision {
	d.Outcome, d.Reason, d.Facts, d.Automated = Escalate, reason, append(d.Facts, fact), false
	return d
}

func describeFormula(f ledger.Formula, total int64) string {
	switch f.Kind {
	case ledger.FormulaRefund:
		return fmt.Sprintf("refund of the %d fen paid", total)
	case ledger.FormulaFixed:
		return fmt.Sprintf("fixed %d fen", f.FixedFen)
	case ledger.FormulaPercentage, ledger.FormulaCoupon:
		return fmt.Sprintf("%d bp of %d fen, floor %d fen, cap %d fen", f.RateBP, total, f.MinFen, f.MaxFen)
	case ledger.FormulaMultiple:
		return fmt.Sprintf("%d× the price with the statutory floor of max(%d×, %d fen)", f.Multiple, f.StatutoryMultiple, f.StatutoryMinFen)
	}
	return string(f.Kind)
}

// Decide records a person's decision (a reviewer or an operator) on an
// escalated claim, or on an appeal: approve pays the formula amount unless
// amountFen overrides it (never above what the programme allows); deny
// needs a reason.
func Decide(c *Case, outcome, reason string, amountFen int64) (Decision, *Error) {
	p := c.Programme
	d := Decision{Outcome: outcome, Reason: reason, Funding: p.Funding, Form: p.Form}
	if reason == "" || len(reason) > 1000 {
		return d, errf("reason", "A decision needs a reason (at most 1000 bytes).")
	}
	switch outcome {
	case Deny:
		d.Facts = []string{"Decided by a person: " + reason}
		return d, nil
	case Approve:
	default:
		return d, errf("outcome", "outcome must be approve or deny.")
	}
	base := c.Order.TotalFen
	if !p.AllowOverOrder {
		base -= c.OrderPaidFen
	}
	limit, err := p.Payout.Amount(max(base, 0))
	if err != nil {
		return d, errf("amount", "The payout could not be computed: %s.", err.Error())
	}
	if !p.AllowOverOrder {
		limit = min(limit, base)
	}
	if amountFen < 0 {
		return d, errf("amount", "amount_fen must not be negative.")
	}
	if amountFen == 0 {
		amountFen = limit
	}
	if amountFen > limit {
		return d, errf("amount", "amount_fen %d is above what programme %s allows for this order (%d fen).", amountFen, p.ID, limit)
	}
	if amountFen <= 0 {
		return d, errf("amount", "Nothing is left to pay on this order.")
	}
	d.AmountFen = amountFen
	d.Facts = []string{"Decided by a person: " + reason}
	return d, nil
}
