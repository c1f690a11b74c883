package sim

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"anxin"
)

// orderRun carries one order's generation.
type orderRun struct {
	g   *gen
	o   *anxin.Order
	num string // the order's number, shared by its shipment and event ids
	l   *anxin.Listing

	complaints int // complaints filed so far, for their ids
}

// seen reports whether at falls inside the period, i.e. whether the
// marketplace has told Anxin about it by the period's end.
func (g *gen) seen(at time.Time) bool { return at.Before(g.w.Period.To) }

// touch moves the order's UpdatedAt to at when at is seen.
func (r *orderRun) touch(at time.Time) bool {
	if !r.g.seen(at) {
		return false
	}
	if at.After(r.o.UpdatedAt) {
		r.o.UpdatedAt = at
	}
	return true
}

func (r *orderRun) emit(suffix, typ string, at time.Time, payload any) {
	r.g.emit("evt_"+r.num+"_"+suffix, typ, at, payload)
}

func (g *gen) orders() {
	total := 10000 * g.n
	start, end := g.w.Period.From, g.w.Period.To
	for i := range total {
		l := pick(g, g.w.Listings)
		b := pick(g, g.w.Buyers)
		earliest := start
		if l.UpdatedAt.After(earliest) {
			earliest = l.UpdatedAt
		}
		created := earliest.Add(g.between(0, end.Sub(earliest)))
		num := fmt.Sprintf("%07d", i+1)
		o := &anxin.Order{
			ID: "ord_" + num, MerchantID: l.MerchantID, BuyerID: b.ID, Currency: "CNY",
			Status: anxin.OrderCreated, CreatedAt: created, UpdatedAt: created,
		}
		o.Items = []anxin.OrderItem{{ListingID: l.ID, Quantity: g.quantity(), UnitPriceFen: l.PriceFen}}
		if g.chance(0.2) {
			other := pick(g, g.byMerchant[l.MerchantID])
			if other.ID != l.ID && !other.UpdatedAt.After(created) {
				o.Items = append(o.Items, anxin.OrderItem{ListingID: other.ID, Quantity: g.quantity(), UnitPriceFen: other.PriceFen})
			}
		}
		for _, it := range o.Items {
			o.TotalFen += it.Quantity * it.UnitPriceFen
		}
		if h, ok := g.promoted[l.ID]; ok && g.chance(0.6) {
			o.InfluencerID = h
		} else if g.chance(0.15) {
			o.InfluencerID = pick(g, g.w.Influencers).ID
		}
		g.w.Orders = append(g.w.Orders, o)
		(&orderRun{g: g, o: o, num: num, l: l}).run()
	}
}

func (g *gen) quantity() int64 {
	if g.chance(0.8) {
		return 1
	}
	return 2 + g.r.Int64N(2)
}

// run plays one order's life: creation, payment, shipment and carrier scans,
// after-sales and complaints.
func (r *orderRun) run() {
	g, o := r.g, r.o
	created := o.CreatedAt

	if g.chance(0.04) { // never paid
		r.emit("created", anxin.EventOrderCreated, created, createdPayload(o))
		at := created.Add(g.between(10*time.Minute, 30*time.Minute))
		r.cancel(at, "unpaid_timeout")
		return
	}
	paid := created.Add(g.between(30*time.Second, 10*time.Minute))
	hours, _ := strconv.Atoi(r.l.Attributes["ship_promise_hours"])
	promise := paid.Add(time.Duration(hours) * time.Hour)
	o.PromisedShipAt = &promise
	r.emit("created", anxin.EventOrderCreated, created, createdPayload(o))
	r.emit("paid", anxin.EventOrderPaid, paid, anxin.OrderEvent{OrderID: o.ID})
	if r.touch(paid) {
		o.Status, o.PaidAt = anxin.OrderPaid, ptr(paid)
	}

	if g.chance(0.02) { // the buyer cancels before shipment: an instant refund
		at := paid.Add(g.between(10*time.Minute, min(12*time.Hour, promise.Sub(paid))))
		done := r.afterSale(at, "cancel_unshipped", "refund_only", "cancel_before_shipment", o.TotalFen, false, false)
		r.cancel(done, "buyer_cancelled")
		return
	}

	late := g.chance(g.lateRate[o.MerchantID])
	if late && promise.Before(g.w.Period.To) {
		g.w.Truth.LateOrders[o.ID] = true
	}
	if late && g.chance(0.1) { // never shipped: refunded and cancelled 72 h after the promise
		at := promise.Add(72*time.Hour + g.between(0, day))
		r.complain("logistics", promise.Add(g.between(time.Hour, day)))
		done := r.afterSale(at, "not_shipped", "refund_only", "not_shipped", o.TotalFen, false, false)
		r.cancel(done, "not_shipped")
		return
	}
	var pickup time.Time
	if late {
		pickup = promise.Add(g.between(time.Hour, 72*time.Hour))
		if g.chance(0.3) {
			r.complain("logistics", promise.Add(g.between(time.Hour, day)))
		}
	} else {
		pickup = paid.Add(g.between(time.Hour, time.Duration(hours)*time.Hour-30*time.Minute))
	}

	shp := &anxin.Shipment{
		ID: "shp_" + r.num, OrderID: o.ID, Carrier: pick(g, carriers), Status: "created",
		TrackingNo: fmt.Sprintf("%d%011d", 7+g.r.IntN(3), g.r.Int64N(100_000_000_000)),
	}
	shp.UpdatedAt = pickup
	r.emit("shipped", anxin.EventOrderShipped, pickup, anxin.OrderEvent{OrderID: o.ID, ShipmentID: shp.ID, Carrier: shp.Carrier, TrackingNo: shp.TrackingNo})
	if r.touch(pickup) {
		o.Status, o.ShippedAt = anxin.OrderShipped, ptr(pickup)
		g.w.Shipments = append(g.w.Shipments, shp)
	}
	scan := func(code string, at time.Time) {
		loc := pick(g, locations)
		r.emit("scan_"+code, anxin.EventShipmentScanned, at, anxin.ScanEvent{ShipmentID: shp.ID, OrderID: o.ID, Carrier: shp.Carrier, Code: code, Location: loc})
		if g.seen(at) {
			shp.Events = append(shp.Events, anxin.CarrierEvent{Code: code, At: at, Location: loc})
			shp.Status, shp.UpdatedAt = code, at
		}
	}
	scan("pickup", pickup)
	transit := pickup.Add(g.between(4*time.Hour, day))
	scan("in_transit", transit)

	if g.chance(0.006) { // lost in transit
		exc := transit.Add(g.between(day, 3*day))
		lost := exc.Add(g.between(day, 3*day))
		scan("exception", exc)
		scan("lost", lost)
		if g.seen(lost) {
			g.w.Truth.LostOrders[o.ID] = true
		}
		r.complain("logistics", exc.Add(g.between(time.Hour, day)))
		r.afterSale(lost.Add(g.between(time.Hour, 2*day)), "lost", "refund_only", "not_received", o.TotalFen, false, false)
		return
	}
	ofd := transit.Add(g.between(12*time.Hour, 48*time.Hour))
	delivered := ofd.Add(g.between(time.Hour, 8*time.Hour))
	scan("out_for_delivery", ofd)
	scan("delivered", delivered)
	r.emit("delivered", anxin.EventOrderDelivered, delivered, anxin.OrderEvent{OrderID: o.ID})
	if r.touch(delivered) {
		o.Status, o.DeliveredAt = anxin.OrderDelivered, ptr(delivered)
	}
	r.afterDelivery(delivered)
}

// afterDelivery files after-sale requests and complaints on a delivered
// order.
func (r *orderRun) afterDelivery(delivered time.Time) {
	g, o, cat := r.g, r.o, r.l.Category
	counterfeit := g.w.Truth.Listings[r.l.ID].Violation == ViolationCounterfeit
	switch {
	case counterfeit && g.chance(0.15):
		at := delivered.Add(g.between(time.Hour, 5*day))
		r.complain("counterfeit", at)
		r.afterSale(at.Add(g.between(time.Minute, time.Hour)), "counterfeit", "return_refund", "counterfeit", o.TotalFen, false, false)
	case cat == "fresh" && g.chance(g.spoilRate(delivered)):
		at := delivered.Add(g.between(10*time.Minute, 20*time.Hour))
		if g.w.Truth.ColdChainFailure.Contains(delivered) {
			at = delivered.Add(g.between(10*time.Minute, 6*time.Hour)) // spoiled on arrival
		}
		if g.chance(0.5) {
			r.complain("fresh_produce", at)
		}
		r.afterSale(at, "spoiled", "refund_only", "spoiled", o.TotalFen, false, false)
	case (cat == "beauty" || cat == "personal_care") && g.chance(0.03):
		at := delivered.Add(g.between(day, 6*day))
		r.complain("allergy_safety", at)
		r.afterSale(at.Add(g.between(time.Minute, time.Hour)), "allergy", "refund_only", "allergy", o.TotalFen, false, false)
	case g.chance(0.015):
		at := delivered.Add(g.between(time.Hour, 60*time.Hour))
		if g.chance(0.5) {
			r.complain("quality", at)
		}
		r.afterSale(at, "damaged", pick(g, []string{"refund_only", "return_refund"}), "damaged", o.TotalFen, false, false)
	case g.chance(0.06):
		r.afterSale(delivered.Add(g.between(time.Hour, 6*day)), "no_reason", "return_refund", "no_reason_7d", o.TotalFen, false, false)
	case g.w.Truth.FraudulentBuyers[o.BuyerID] && g.chance(0.4):
		reason := pick(g, []string{"not_received", "damaged", "counterfeit"})
		r.afterSale(delivered.Add(g.between(time.Hour, 3*day)), "fraud", "refund_only", reason, o.TotalFen, g.chance(0.6), true)
	}
	if g.chance(0.02) {
		topics := []string{"payment", "privacy_security", "merchant_support", "escalation", "after_sales"}
		if o.InfluencerID != "" {
			topics = append(topics, "livestream")
		}
		r.complain(pick(g, topics), delivered.Add(g.between(time.Hour, 5*day)))
	}
}

// cancel cancels the order at at.
func (r *orderRun) cancel(at time.Time, reason string) {
	r.emit("cancelled", anxin.EventOrderCancelled, at, anxin.OrderEvent{OrderID: r.o.ID, Reason: reason})
	if r.touch(at) {
		r.o.Status, r.o.CancelledAt = anxin.OrderCancelled, ptr(at)
	}
}

// afterSale plays an after-sale request from at and returns when it was
// refunded (or closed, when rejected).
func (r *orderRun) afterSale(at time.Time, cause, kind, reason string, amount int64, reject, fraudulent bool) time.Time {
	g := r.g
	a := &anxin.AfterSale{
		ID: "as_" + r.num, OrderID: r.o.ID, BuyerID: r.o.BuyerID,
		Kind: kind, Reason: reason, AmountFen: amount, CreatedAt: at, UpdatedAt: at,
	}
	type step struct {
		typ, status string
		at          time.Time
	}
	steps := []step{{anxin.EventAfterSaleRequested, "requested", at}}
	t := at
	if reject {
		t = t.Add(g.between(time.Hour, 48*time.Hour))
		steps = append(steps, step{anxin.EventAfterSaleRejected, "rejected", t})
	} else {
		if cause == "cancel_unshipped" {
			t = t.Add(g.between(5*time.Second, 2*time.Minute))
		} else {
			t = t.Add(g.between(time.Minute, day))
		}
		steps = append(steps, step{anxin.EventAfterSaleApproved, "approved", t})
		if kind == "return_refund" {
			t = t.Add(g.between(day, 4*day))
			steps = append(steps, step{anxin.EventAfterSaleReturned, "returned", t})
		}
		t = t.Add(g.between(time.Minute, 12*time.Hour))
		steps = append(steps, step{anxin.EventAfterSaleRefunded, "refunded", t})
	}
	done := t
	t = t.Add(g.between(time.Minute, time.Hour))
	steps = append(steps, step{anxin.EventAfterSaleClosed, "closed", t})
	for _, s := range steps {
		p := *a
		p.Status, p.UpdatedAt = s.status, s.at
		r.g.emit("evt_"+a.ID+"_"+s.status, s.typ, s.at, p)
		if g.seen(s.at) {
			a.Status, a.UpdatedAt = s.status, s.at
		}
	}
	if g.seen(at) {
		g.w.AfterSales = append(g.w.AfterSales, a)
		g.w.Truth.AfterSales[a.ID] = AfterSaleTruth{Cause: cause, Fraudulent: fraudulent}
	}
	return done
}

// complain files a complaint about the order at at.
func (r *orderRun) complain(topic string, at time.Time) {
	g := r.g
	if !g.seen(at) {
		return
	}
	r.complaints++
	g.w.Complaints = append(g.w.Complaints, Complaint{
		ID: fmt.Sprintf("cmp_%s_%d", r.num, r.complaints), BuyerID: r.o.BuyerID, OrderID: r.o.ID,
		MerchantID: r.o.MerchantID, ListingID: r.l.ID, Topic: topic, Text: pick(g, complaintTexts[topic]), At: at,
	})
}

// createdOrder is the order as the marketplace sends it in order.created:
// what is known at creation, in anxin.Order's JSON shape.
type createdOrder struct {
	ID             string            `json:"id"`
	MerchantID     string            `json:"merchant_id"`
	BuyerID        string            `json:"buyer_id"`
	InfluencerID   string            `json:"influencer_id,omitempty"`
	Items          []anxin.OrderItem `json:"items"`
	TotalFen       int64             `json:"total_fen"`
	Currency       string            `json:"currency"`
	PromisedShipAt *time.Time        `json:"promised_ship_at,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
}

func createdPayload(o *anxin.Order) createdOrder {
	return createdOrder{
		ID: o.ID, MerchantID: o.MerchantID, BuyerID: o.BuyerID, InfluencerID: o.InfluencerID,
		Items: slices.Clone(o.Items), TotalFen: o.TotalFen, Currency: o.Currency,
		PromisedShipAt: o.PromisedShipAt, CreatedAt: o.CreatedAt,
	}
}

func ptr[T any](v T) *T { return &v }

// spoilRate is the share of delivered fresh-produce orders that arrive
// spoiled: 12 % until the fresh-produce campaign (Truth.FreshCampaignAt,
// mid-period), when the merchants' packing improves, 5 % after, and 60 %
// on the days of the cold-chain failure (Truth.ColdChainFailure).
func (g *gen) spoilRate(delivered time.Time) float64 {
	if g.w.Truth.ColdChainFailure.Contains(delivered) {
		return 0.6
	}
	if delivered.Before(g.w.Truth.FreshCampaignAt) {
		return 0.12
	}
	return 0.05
}

// coldChainFailure returns the two local days of the cold-chain failure:
// starting at the first local midnight after the first quarter of the
// period, so a trailing baseline has days before it and the failure falls
// before the fresh-produce campaign; zero for periods under eight days.
func coldChainFailure(p anxin.Period, days int) anxin.Period {
	if days < 8 {
		return anxin.Period{}
	}
	from := localMidnight(p.From.Add(p.To.Sub(p.From)/4)).AddDate(0, 0, 1)
	return anxin.Period{From: from, To: from.AddDate(0, 0, 2)}
}
