package privacy_test

import (
	"testing"
	"time"

	"anxin"
	"anxin/privacy"
)

func TestRevealLadder(t *testing.T) {
	day := 24 * time.Hour
	window := 15 * day
	for _, tt := range []struct {
		name string
		err  error
		kind anxin.Kind // empty: passes
	}{
		{"merchant ships", privacy.CheckPurpose(m1.Role, anxin.PurposeShip), ""},
		{"merchant may not use legal", privacy.CheckPurpose(m1.Role, anxin.PurposeLegal), anxin.Forbidden},
		{"privacy officer for a legal request", privacy.CheckPurpose(alice.Role, anxin.PurposeLegal), ""},
		{"operator may not decrypt", privacy.CheckPurpose(carol.Role, anxin.PurposeCare), anxin.Forbidden},
		{"under the rate", privacy.CheckRate(29, 30), ""},
		{"at the rate", privacy.CheckRate(30, 30), anxin.RateLimited},
		{"closed order for shipping", privacy.CheckOrderOpen(anxin.PurposeShip, false), anxin.Forbidden},
		{"closed order for a legal request", privacy.CheckOrderOpen(anxin.PurposeLegal, false), ""},
		{"open order", privacy.CheckOrderOpen(anxin.PurposeAfterSales, true), ""},
		{"delivery without the waybill's ref", privacy.CheckWaybill(anxin.PurposeDelivery, false), anxin.Forbidden},
		{"delivery with the waybill's ref", privacy.CheckWaybill(anxin.PurposeDelivery, true), ""},
		{"shipping needs no waybill ref", privacy.CheckWaybill(anxin.PurposeShip, false), ""},
	} {
		if got := anxin.KindOf(tt.err); (tt.kind == "" && tt.err != nil) || (tt.kind != "" && got != tt.kind) {
			t.Errorf("%s: %v; want kind %q", tt.name, tt.err, tt.kind)
		}
	}
	for _, tt := range []struct {
		name string
		o    privacy.OrderDates
		want bool
	}{
		{"paid", privacy.OrderDates{Status: anxin.OrderPaid}, true},
		{"shipped", privacy.OrderDates{Status: anxin.OrderShipped}, true},
		{"created, not paid", privacy.OrderDates{Status: "created"}, false},
		{"paid date without status", privacy.OrderDates{Status: "created", PaidAt: now.Add(-day)}, true},
		{"cancelled", privacy.OrderDates{Status: anxin.OrderCancelled, PaidAt: now.Add(-day)}, false},
		{"cancelled date", privacy.OrderDates{Status: anxin.OrderPaid, CancelledAt: now.Add(-day)}, false},
		{"delivered inside the window", privacy.OrderDates{Status: "delivered", PaidAt: now.Add(-20 * day), DeliveredAt: now.Add(-window + time.Second)}, true},
		{"delivered at the end of the window", privacy.OrderDates{Status: "delivered", PaidAt: now.Add(-20 * day), DeliveredAt: now.Add(-window)}, false},
	} {
		if got := privacy.OrderOpen(tt.o, window, now); got != tt.want {
			t.Errorf("OrderOpen(%s) = %v; want %v", tt.name, got, tt.want)
		}
	}
	if privacy.NeedsOpenOrder(anxin.PurposeLegal) || !privacy.NeedsOpenOrder(anxin.PurposeCare) {
		t.Error("NeedsOpenOrder: only legal requests reach closed orders")
	}
}
