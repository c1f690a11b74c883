package privacy

import (
	"slices"
	"time"

	"anxin"
)

// The reveal ladder: a decrypt of an order's personal data climbs these
// steps in order, and the first that refuses ends it (every refusal is
// audited by the store). The fields step is DecryptFields and the grant
// step PickGrant; the store runs the access detector between the grant
// and the order steps, so that every granted attempt counts, also those
// refused below for a closed order.
//
//  1. fields: the purpose reveals every field asked for (DecryptFields);
//  2. purpose: the caller's role may decrypt for the purpose (CheckPurpose);
//  3. rate: the caller is under its per-minute limit (CheckRate);
//  4. grant: a live, approved grant serves the caller (PickGrant);
//  5. order: the order is still open for fulfilment, except for legal
//     requests (CheckOrderOpen, with OrderOpen deciding openness);
//  6. waybill: the courier's delivery reveal carries the reference printed
//     on the order's waybill (CheckWaybill).

// CheckPurpose refuses (Forbidden) a role that may not decrypt for purpose.
func CheckPurpose(role anxin.Role, purpose string) error {
	if !slices.Contains(anxin.PurposesFor(role), purpose) {
		return anxin.Errorf(anxin.Forbidden, "Role %s may not decrypt for %s.", role.Base(), purpose)
	}
	return nil
}

// CheckRate refuses (RateLimited) a caller that already made perMinute
// allowed decrypts in the last minute.
func CheckRate(recent int64, perMinute int) error {
	if recent >= int64(perMinute) {
		return anxin.Errorf(anxin.RateLimited, "More than %d decrypts in a minute; slow down.", perMinute)
	}
	return nil
}

// OrderDates is what deciding whether an order is open for fulfilment
// needs; zero times are absent.
type OrderDates struct {
	Status      string
	PaidAt      time.Time
	DeliveredAt time.Time
	CancelledAt time.Time
}

// OrderOpen reports whether an order is open by its dates: not cancelled,
// and paid or shipped, or delivered less than afterDelivery before now. An
// order that is not open by its dates is still open while an after-sale
// request on it is (the store asks that only when this says false).
func OrderOpen(o OrderDates, afterDelivery time.Duration, now time.Time) bool {
	switch {
	case !o.CancelledAt.IsZero() || o.Status == anxin.OrderCancelled:
		return false
	case !o.DeliveredAt.IsZero():
		return now.Before(o.DeliveredAt.Add(afterDelivery))
	}
	return o.Status == anxin.OrderPaid || o.Status == anxin.OrderShipped || !o.PaidAt.IsZero()
}

// NeedsOpenOrder reports whether a decrypt for purpose needs the order to
// be open: every purpose but legal requests.
func NeedsOpenOrder(purpose string) bool { return purpose != anxin.PurposeLegal }

// CheckOrderOpen refuses (Forbidden) a decrypt for purpose on a closed
// order, unless the purpose does not need an open one.
func CheckOrderOpen(purpose string, open bool) error {
	if NeedsOpenOrder(purpose) && !open {
		return anxin.Errorf(anxin.Forbidden, "The order is closed; its personal data can no longer be decrypted for %s.", purpose)
	}
	return nil
}

// NeedsWaybill reports whether a decrypt for purpose must carry the reveal
// reference of the order's waybill: the courier's delivery reveal.
func NeedsWaybill(purpose string) bool { return purpose == anxin.PurposeDelivery }

// CheckWaybill refuses (Forbidden) a delivery reveal whose reference
// matches no waybill printed for the order.
func CheckWaybill(purpose string, refMatches bool) error {
	if NeedsWaybill(purpose) && !refMatches {
		return anxin.Errorf(anxin.Forbidden, "The delivery reveal needs the reveal_ref printed on this order's waybill.")
	}
	return nil
}
