// Package privacy holds the rules of access to buyers' personal data as pure
// functions: who may request and approve a decrypt grant, which grant a
// decrypt may use, how long grants may live and which fields each purpose
// reveals. sqlstore loads the facts (the grant rows, the actor) and persists
// the outcome; nothing here reads a clock or a database.
//
//	if err := privacy.CheckApproval(approver, g, now); err != nil {
//		return err // Forbidden for the requester, Conflict for a replay
//	}
//
// Threat model: one privacy officer (or one stolen privacy key) reading
// buyers' data alone. A grant takes effect only once a second, different
// privacy key approves it; it never serves the key that requested it; a
// wildcard grant (every order in the role's scope) lives at most a day; and
// each purpose reveals only the fields it needs.
package privacy

import (
	"slices"
	"time"

	"anxin"
)

// MaxWildcardLifetime bounds a grant for every order ("*"), from its
// request to its expiry.
const MaxWildcardLifetime = 24 * time.Hour

// MaxLifetime is the longest a grant for orderID may live.
func MaxLifetime(orderID string) time.Duration {
	if orderID == "*" {
		return MaxWildcardLifetime
	}
	return anxin.MaxGrantDays * 24 * time.Hour
}

// Grant states.
const (
	StatusPending  = "pending"  // awaiting a second privacy key's approval
	StatusActive   = "active"   // approved, live
	StatusExpired  = "expired"  // past expires_at
	StatusRevoked  = "revoked"  // revoked
	StatusWildcard = "wildcard" // not a state: the flag the console shows prominently
)

// Status returns the state of g at now.
func Status(g *anxin.PIIGrant, now time.Time) string {
	switch {
	case g.RevokedAt != nil:
		return StatusRevoked
	case !g.ExpiresAt.After(now):
		return StatusExpired
	case g.ApprovedBy == "":
		return StatusPending
	}
	return StatusActive
}

// CheckRequest decides whether requester may ask for grant g at now: a
// privacy key, a grant valid for its role and purpose (anxin.PIIGrant.Validate),
// expiring within MaxLifetime. Invalid or Forbidden otherwise.
func CheckRequest(requester anxin.Actor, g *anxin.PIIGrant, now time.Time) error {
	if requester.Role != anxin.RolePrivacy {
		return anxin.Errorf(anxin.Forbidden, "Only privacy keys may request decrypt grants.")
	}
	if err := g.Validate(now); err != nil {
		return err
	}
	if g.ExpiresAt.After(now.Add(MaxLifetime(g.OrderID))) {
		return anxin.Errorf(anxin.Invalid, "A grant for every order (order_id \"*\") must expire within 24 hours.")
	}
	return nil
}

// CheckApproval decides whether approver may approve the pending grant g at
// now: a privacy key other than the one that requested it, once. Forbidden
// for the requester or another role; Conflict for a grant already approved
// (a replayed approval), revoked or expired, or one whose lifetime exceeds
// today's cap (grants requested before the cap).
func CheckApproval(approver anxin.Actor, g *anxin.PIIGrant, now time.Time) error {
	if approver.Role != anxin.RolePrivacy {
		return anxin.Errorf(anxin.Forbidden, "Only privacy keys may approve decrypt grants.")
	}
	if approver.KeyID == g.CreatedBy {
		return anxin.Errorf(anxin.Forbidden, "A grant must be approved by a second privacy key, not the one that requested it.")
	}
	switch Status(g, now) {
	case StatusActive:
		return anxin.Errorf(anxin.Conflict, "The grant was already approved by key %s.", g.ApprovedBy)
	case StatusRevoked:
		return anxin.Errorf(anxin.Conflict, "The grant was revoked.")
	case StatusExpired:
		return anxin.Errorf(anxin.Conflict, "The grant has expired.")
	}
	if g.ExpiresAt.Sub(g.CreatedAt) > MaxLifetime(g.OrderID) {
		return anxin.Errorf(anxin.Conflict, "The grant lives longer than allowed for order_id %q; request a new one.", g.OrderID)
	}
	return nil
}

// Benefits reports whether g lets actor decrypt orderID for purpose at now:
// approved, live, for the actor's role, purpose and order (or "*"), and not
// requested by the actor's own key.
func Benefits(actor anxin.Actor, g *anxin.PIIGrant, purpose, orderID string, now time.Time) bool {
	return Status(g, now) == StatusActive && g.Role == actor.Role && g.Purpose == purpose &&
		(g.OrderID == orderID || g.OrderID == "*") && g.CreatedBy != actor.KeyID && g.ApprovedBy != ""
}

// PickGrant returns the grant among candidates that lets actor decrypt
// orderID for purpose at now, preferring the one for that order over a
// wildcard. Forbidden naming why when none does: none at all, one still
// awaiting approval, or one the actor requested itself.
func PickGrant(actor anxin.Actor, candidates []*anxin.PIIGrant, purpose, orderID string, now time.Time) (*anxin.PIIGrant, error) {
	var best *anxin.PIIGrant
	pending, own := false, false
	for _, g := range candidates {
		if Benefits(actor, g, purpose, orderID, now) {
			if best == nil || best.OrderID == "*" && g.OrderID != "*" {
				best = g
			}
			continue
		}
		if g.Role != actor.Role || g.Purpose != purpose || (g.OrderID != orderID && g.OrderID != "*") {
			continue
		}
		switch st := Status(g, now); {
		case st == StatusActive && g.CreatedBy == actor.KeyID:
			own = true
		case st == StatusPending:
			pending = true
		}
	}
	switch {
	case best != nil:
		return best, nil
	case own:
		return nil, anxin.Errorf(anxin.Forbidden, "A grant never serves the key that requested it; decrypting for %s needs a grant requested by another privacy key.", purpose)
	case pending:
		return nil, anxin.Errorf(anxin.Forbidden, "The grant for role %s and %s awaits a second privacy key's approval.", actor.Role.Base(), purpose)
	}
	return nil, anxin.Errorf(anxin.Forbidden, "No live grant lets role %s decrypt this order for %s; ask a privacy officer for one.", actor.Role.Base(), purpose)
}

// fieldsByPurpose lists what each purpose may reveal. Shipping and
// after-sales need to reach the buyer and the address; contacting the buyer
// needs the name and phone; the courier's delivery reveal the name, phone
// and address; only a legal request reveals extra (ID numbers and other
// fields the marketplace marked personal).
var fieldsByPurpose = map[string][]string{
	anxin.PurposeShip:       {anxin.FieldName, anxin.FieldPhone, anxin.FieldAddress},
	anxin.PurposeAfterSales: {anxin.FieldName, anxin.FieldPhone, anxin.FieldAddress},
	anxin.PurposeCare:       {anxin.FieldName, anxin.FieldPhone},
	anxin.PurposeDelivery:   {anxin.FieldName, anxin.FieldPhone, anxin.FieldAddress},
	anxin.PurposeLegal:      {anxin.FieldName, anxin.FieldPhone, anxin.FieldAddress, anxin.FieldExtra},
}

// FieldsFor returns the fields purpose may reveal (nil for an unknown
// purpose). The caller must not modify the result.
func FieldsFor(purpose string) []string { return fieldsByPurpose[purpose] }

// DecryptFields returns the fields to reveal for a request: the requested
// ones when purpose allows all of them, or, when none were requested, every
// field the purpose allows except extra (which must be asked for by name).
// Forbidden naming the first field the purpose does not reveal.
func DecryptFields(purpose string, requested []string) ([]string, error) {
	allowed := fieldsByPurpose[purpose]
	if allowed == nil {
		return nil, anxin.Errorf(anxin.Invalid, "purpose must be ship, after_sales, legal, care or delivery.")
	}
	if len(requested) == 0 {
		out := make([]string, 0, len(allowed))
		for _, f := range allowed {
			if f != anxin.FieldExtra {
				out = append(out, f)
			}
		}
		return out, nil
	}
	for _, f := range requested {
		if !slices.Contains(allowed, f) {
			return nil, anxin.Errorf(anxin.Forbidden, "Purpose %s does not reveal the %s field.", purpose, f)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(requested))), nil
}
