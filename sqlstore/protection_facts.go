package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"anxin"
	"anxin/protection"
)

// orderFacts are the stored facts about an order that adjudication needs.
type orderFacts struct {
	order    protection.Order
	currency string
	standing string
	enrolled map[string]bool
	coverage map[string]int // programme id → the version that covered the order
	promised *int64         // promised_ship_at
	shipped  sql.NullInt64  // shipped_at, the pickup time when no pickup scan is stored
	items    string
}

// loadFacts reads one order's facts; NotFound if it is not mirrored.
func loadFacts(ctx context.Context, tx *Tx, orderID string) (*orderFacts, error) {
	fs, err := loadOrders(ctx, tx, []string{orderID})
	if err != nil {
		return nil, err
	}
	f := fs[orderID]
	if f == nil {
		return nil, anxin.Errorf(anxin.NotFound, "Order not found.")
	}
	if err := completeFacts(ctx, tx, fs); err != nil {
		return nil, err
	}
	return f, nil
}

// loadOrders reads the order rows of ids (those mirrored) by id, with the
// fields the orders table holds itself; completeFacts adds the rest.
func loadOrders(ctx context.Context, tx *Tx, ids []string) (map[string]*orderFacts, error) {
	out := make(map[string]*orderFacts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := queryIn(ctx, tx, `SELECT id, buyer_id, merchant_id, total_fen, currency, items, paid_at, shipped_at, delivered_at, cancelled_at, promised_ship_at
		FROM orders WHERE id IN (…)`, ids, func(r *sql.Rows) error {
		f := &orderFacts{enrolled: map[string]bool{}, coverage: map[string]int{}, standing: "good"}
		o := &f.order
		var paid, delivered, cancelled sql.NullInt64
		if err := r.Scan(&o.ID, &o.BuyerID, &o.MerchantID, &o.TotalFen, &f.currency, &f.items, &paid, &f.shipped, &delivered, &cancelled, &f.promised); err != nil {
			return err
		}
		o.Currency = f.currency
		o.PaidAt, o.SignedAt, o.CancelledAt = fromNullMS(paid), fromNullMS(delivered), fromNullMS(cancelled)
		out[o.ID] = f
		return nil
	})
	return out, err
}

// completeFacts adds to orders read by loadOrders what other tables say:
// pickup and delivery scans, the listings' categories and flags, the
// buyer's standing, the coverage and the merchant's enrolments. A few
// queries serve the whole set.
func completeFacts(ctx context.Context, tx *Tx, fs map[string]*orderFacts) error {
	if len(fs) == 0 {
		return nil
	}
	var ids, listings, buyers, merchants []string
	items := make(map[string][]anxin.OrderItem, len(fs))
	for id, f := range fs {
		ids = append(ids, id)
		buyers = append(buyers, f.order.BuyerID)
		merchants = append(merchants, f.order.MerchantID)
		var its []anxin.OrderItem
		_ = json.Unmarshal([]byte(f.items), &its)
		items[id] = its
		for _, it := range its {
			listings = append(listings, it.ListingID)
		}
	}
	pickup := map[string]sql.NullInt64{}
	signed := map[string]sql.NullInt64{}
	err := queryIn(ctx, tx, `SELECT sh.order_id, MIN(CASE WHEN sc.code = 'pickup' THEN sc.at END), MIN(CASE WHEN sc.code = 'delivered' THEN sc.at END)
		FROM shipment_scans sc JOIN shipments sh ON sh.id = sc.shipment_id
		WHERE sh.order_id IN (…) AND sc.code IN ('pickup', 'delivered') GROUP BY sh.order_id`, ids, func(r *sql.Rows) error {
		var id string
		var p, s sql.NullInt64
		if err := r.Scan(&id, &p, &s); err != nil {
			return err
		}
		pickup[id], signed[id] = p, s
		return nil
	})
	if err != nil {
		return err
	}
	type listing struct{ cat, attrs string }
	ls := map[string]listing{}
	if err := queryIn(ctx, tx, `SELECT id, category, attributes FROM listings WHERE id IN (…)`, distinct(listings), func(r *sql.Rows) error {
		var id string
		var l listing
		if err := r.Scan(&id, &l.cat, &l.attrs); err != nil {
			return err
		}
		ls[id] = l
		return nil
	}); err != nil {
		return err
	}
	standing := map[string]string{}
	if err := queryIn(ctx, tx, `SELECT id, standing FROM buyers WHERE id IN (…)`, distinct(buyers), func(r *sql.Rows) error {
		var id, s string
		if err := r.Scan(&id, &s); err != nil {
			return err
		}
		standing[id] = s
		return nil
	}); err != nil {
		return err
	}
	if err := queryIn(ctx, tx, `SELECT order_id, programme_id, programme_version FROM order_coverage WHERE order_id IN (…) ORDER BY order_id, programme_id`, ids, func(r *sql.Rows) error {
		var id, p string
		var v int
		if err := r.Scan(&id, &p, &v); err != nil {
			return err
		}
		fs[id].order.Covered = append(fs[id].order.Covered, p)
		fs[id].coverage[p] = v
		return nil
	}); err != nil {
		return err
	}
	enrolled := map[string][]string{}
	if err := queryIn(ctx, tx, `SELECT merchant_id, programme_id FROM protection_enrolments WHERE merchant_id IN (…)`, distinct(merchants), func(r *sql.Rows) error {
		var m, p string
		if err := r.Scan(&m, &p); err != nil {
			return err
		}
		enrolled[m] = append(enrolled[m], p)
		return nil
	}); err != nil {
		return err
	}
	for id, f := range fs {
		o := &f.order
		o.PickupAt = fromNullMS(pickup[id])
		if o.PickupAt == nil {
			o.PickupAt = fromNullMS(f.shipped)
		}
		if o.SignedAt == nil {
			o.SignedAt = fromNullMS(signed[id])
		}
		o.Categories, o.ListingFlags = nil, map[string]bool{}
		first := true
		for _, it := range items[id] {
			l, ok := ls[it.ListingID]
			if !ok {
				first = false
				o.ListingFlags = map[string]bool{}
				continue
			}
			if l.cat != "" {
				o.Categories = append(o.Categories, l.cat)
			}
			var am map[string]string
			_ = json.Unmarshal([]byte(l.attrs), &am)
			if first {
				for k, v := range am {
					if v == "true" {
						o.ListingFlags[k] = true
					}
				}
				first = false
			} else {
				for k := range o.ListingFlags {
					if am[k] != "true" {
						delete(o.ListingFlags, k)
					}
				}
			}
		}
		if s, ok := standing[o.BuyerID]; ok {
			f.standing = s
		}
		for _, p := range enrolled[o.MerchantID] {
			f.enrolled[p] = true
		}
	}
	return nil
}

// distinct returns ids without repeats, in first-seen order.
func distinct(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}
