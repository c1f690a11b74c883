package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"sort"
	"strings"
	"time"

	"anxin"
)

type orderRow struct {
	o    *anxin.Order
	body bool // carries merchant, buyer, items and amounts
}

var statusRank = map[string]int{anxin.OrderCreated: 0, anxin.OrderPaid: 1, anxin.OrderShipped: 2, anxin.OrderDelivered: 3, anxin.OrderCancelled: 4}

// orderRowOf turns an upserted or created order into a row; its status is
// at least what its timestamps imply.
func orderRowOf(o *anxin.Order, now time.Time) *orderRow {
	c := *o
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	for _, st := range []struct {
		t      *time.Time
		status string
	}{{c.PaidAt, anxin.OrderPaid}, {c.ShippedAt, anxin.OrderShipped}, {c.DeliveredAt, anxin.OrderDelivered}, {c.CancelledAt, anxin.OrderCancelled}} {
		if st.t != nil && !st.t.IsZero() && statusRank[st.status] > statusRank[c.Status] {
			c.Status = st.status
		}
	}
	return &orderRow{o: &c, body: true}
}

// orderMerge folds the rows of one batch into one row per order with the
// same rules the SQL applies, so a batch holding an order's whole life
// writes the order once instead of once per event.
type orderMerge struct {
	rows []*orderRow
	byID map[string]*orderRow
}

func (m *orderMerge) add(r *orderRow) {
	if m.byID == nil {
		m.byID = map[string]*orderRow{}
	}
	old, ok := m.byID[r.o.ID]
	if !ok {
		m.byID[r.o.ID] = r
		m.rows = append(m.rows, r)
		return
	}
	o, n := old.o, r.o
	if r.body {
		o.MerchantID, o.BuyerID, o.InfluencerID, o.Items = n.MerchantID, n.BuyerID, n.InfluencerID, n.Items
		o.TotalFen, o.Currency, o.PIIRef, o.PromisedShipAt = n.TotalFen, n.Currency, n.PIIRef, n.PromisedShipAt
		old.body = true
	}
	if n.CreatedAt.Before(o.CreatedAt) {
		o.CreatedAt = n.CreatedAt
	}
	o.PaidAt, o.ShippedAt = earliest(o.PaidAt, n.PaidAt), earliest(o.ShippedAt, n.ShippedAt)
	o.DeliveredAt, o.CancelledAt = earliest(o.DeliveredAt, n.DeliveredAt), earliest(o.CancelledAt, n.CancelledAt)
	if statusRank[n.Status] > statusRank[o.Status] {
		o.Status = n.Status
	}
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || b != nil && b.Before(*a) {
		return b
	}
	return a
}

const orderRankSQL = `CASE %s WHEN 'paid' THEN 1 WHEN 'shipped' THEN 2 WHEN 'delivered' THEN 3 WHEN 'cancelled' THEN 4 ELSE 0 END`

func rankSQL(col string) string { return strings.Replace(orderRankSQL, "%s", col, 1) }

// earliestSQL keeps the earliest non-null value of a nullable timestamp.
func earliestSQL(table, col string) string {
	return col + ` = CASE WHEN excluded.` + col + ` IS NULL THEN ` + table + `.` + col +
		` WHEN ` + table + `.` + col + ` IS NULL OR excluded.` + col + ` < ` + table + `.` + col + ` THEN excluded.` + col +
		` ELSE ` + table + `.` + col + ` END`
}

// bodySQL takes the column from the new row only when it carries a body.
func bodySQL(col string) string {
	return col + ` = CASE WHEN excluded.merchant_id = '' THEN orders.` + col + ` ELSE excluded.` + col + ` END`
}

var orderUpsert = batch{
	head: `INSERT INTO orders (id, merchant_id, buyer_id, influencer_id, items, total_fen, currency, status, pii_ref,
		promised_ship_at, created_at, paid_at, shipped_at, delivered_at, cancelled_at, updated_at)`,
	tail: `ON CONFLICT (id) DO UPDATE SET ` + strings.Join([]string{
		bodySQL("merchant_id"), bodySQL("buyer_id"), bodySQL("influencer_id"), bodySQL("items"),
		bodySQL("total_fen"), bodySQL("currency"), bodySQL("promised_ship_at"),
		// The sealed-data reference is kept when a re-sent order omits it:
		// the vault set it, and blanking it would orphan the sealed record.
		`pii_ref = CASE WHEN excluded.pii_ref = '' THEN orders.pii_ref ELSE excluded.pii_ref END`,
		`status = CASE WHEN ` + rankSQL("excluded.status") + ` > ` + rankSQL("orders.status") + ` THEN excluded.status ELSE orders.status END`,
		`created_at = CASE WHEN excluded.created_at < orders.created_at THEN excluded.created_at ELSE orders.created_at END`,
		earliestSQL("orders", "paid_at"), earliestSQL("orders", "shipped_at"),
		earliestSQL("orders", "delivered_at"), earliestSQL("orders", "cancelled_at"),
		`updated_at = excluded.updated_at`,
	}, ", "),
	cols: 16,
}

// upsertOrderRows writes rows. A multi-row upsert on PostgreSQL may not
// touch one row twice, so rows sharing an id go in successive rounds; the
// merge rules make the result independent of the rounds' order. Each round
// goes in id order, so concurrent writers lock orders in one order (later
// rounds only revisit rows the first already locked).
func upsertOrderRows(ctx context.Context, tx *Tx, rows []*orderRow) error {
	for _, round := range rounds(len(rows), func(i int) string { return rows[i].o.ID }) {
		err := orderUpsert.exec(ctx, tx, len(round), func(a []any, i int) []any {
			r := rows[round[i]]
			o := r.o
			if !r.body {
				return append(a, o.ID, "", "", "", "[]", 0, "CNY", o.Status, "", nil, ms(o.CreatedAt),
					msPtr(o.PaidAt), msPtr(o.ShippedAt), msPtr(o.DeliveredAt), msPtr(o.CancelledAt), ms(tx.Now))
			}
			return append(a, o.ID, o.MerchantID, o.BuyerID, o.InfluencerID, jsonText(o.Items, "[]"), o.TotalFen, o.Currency,
				o.Status, o.PIIRef, msPtr(o.PromisedShipAt), ms(o.CreatedAt),
				msPtr(o.PaidAt), msPtr(o.ShippedAt), msPtr(o.DeliveredAt), msPtr(o.CancelledAt), ms(tx.Now))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// rounds groups indexes 0..n-1 so that no round holds two items with the
// same key: the k-th occurrence of a key goes to round k. Within a round
// items are in key order (see "Concurrent writers" in marketplace_batch.go).
func rounds(n int, key func(int) string) [][]int {
	seen := make(map[string]int, n)
	var out [][]int
	for i := range n {
		k := seen[key(i)]
		seen[key(i)] = k + 1
		if k == len(out) {
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	for _, r := range out {
		slices.SortStableFunc(r, func(a, b int) int { return strings.Compare(key(a), key(b)) })
	}
	return out
}

const afterSaleRankSQL = `CASE %s WHEN 'approved' THEN 1 WHEN 'rejected' THEN 1 WHEN 'returned' THEN 2 WHEN 'refunded' THEN 3 WHEN 'closed' THEN 4 ELSE 0 END`

var afterSaleUpsert = batch{
	head: `INSERT INTO aftersales (id, order_id, buyer_id, kind, reason, amount_fen, status, created_at, updated_at)`,
	tail: `ON CONFLICT (id) DO UPDATE SET order_id = excluded.order_id, kind = excluded.kind,
		buyer_id = CASE WHEN excluded.buyer_id = '' THEN aftersales.buyer_id ELSE excluded.buyer_id END,
		reason = CASE WHEN excluded.reason = '' THEN aftersales.reason ELSE excluded.reason END,
		amount_fen = CASE WHEN excluded.amount_fen = 0 THEN aftersales.amount_fen ELSE excluded.amount_fen END,
		status = CASE WHEN ` + strings.Replace(afterSaleRankSQL, "%s", "excluded.status", 1) + ` > ` +
		strings.Replace(afterSaleRankSQL, "%s", "aftersales.status", 1) + ` THEN excluded.status ELSE aftersales.status END,
		created_at = CASE WHEN excluded.created_at < aftersales.created_at THEN excluded.created_at ELSE aftersales.created_at END,
		updated_at = excluded.updated_at`,
	cols: 9,
}

func upsertAfterSales(ctx context.Context, tx *Tx, as []*anxin.AfterSale) error {
	for _, round := range rounds(len(as), func(i int) string { return as[i].ID }) {
		err := afterSaleUpsert.exec(ctx, tx, len(round), func(args []any, i int) []any {
			a := as[round[i]]
			created := a.CreatedAt
			if created.IsZero() {
				created = tx.Now
			}
			return append(args, a.ID, a.OrderID, a.BuyerID, a.Kind, a.Reason, a.AmountFen, a.Status, ms(created), ms(tx.Now))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// shipmentMerge collects shipment changes and new scans, then merges them
// with the stored rows in Go: it needs the stored scans anyway to number new
// ones and to find the latest. write locks the shipments it touches first
// (lockKeys), so two writers never number the same shipment's scans at once.
type shipmentMerge struct {
	order []string // shipment ids in first-seen order
	rows  map[string]*shipmentChange
}

type shipmentChange struct {
	orderID, carrier, trackingNo, status string
	scans                                []scanRow
}

type scanRow struct {
	seq      int64
	code     string
	at       int64
	location string
}

func (m *shipmentMerge) get(id string) *shipmentChange {
	if m.rows == nil {
		m.rows = map[string]*shipmentChange{}
	}
	c, ok := m.rows[id]
	if !ok {
		c = &shipmentChange{}
		m.rows[id] = c
		m.order = append(m.order, id)
	}
	return c
}

// touch records a shipment's order, carrier, tracking number and status;
// empty values leave the stored ones.
func (m *shipmentMerge) touch(id, orderID, carrier, trackingNo, status string) {
	c := m.get(id)
	if orderID != "" {
		c.orderID = orderID
	}
	if carrier != "" {
		c.carrier = carrier
	}
	if trackingNo != "" {
		c.trackingNo = trackingNo
	}
	if status != "" {
		c.status = status
	}
}

// scan records a carrier scan for shipment id.
func (m *shipmentMerge) scan(id, code string, at int64, location string) {
	c := m.get(id)
	c.scans = append(c.scans, scanRow{code: code, at: at, location: location})
}

var shipmentUpsert = batch{
	head: `INSERT INTO shipments (id, order_id, carrier, tracking_no, status, updated_at)`,
	tail: `ON CONFLICT (id) DO UPDATE SET order_id = excluded.order_id, carrier = excluded.carrier,
		tracking_no = excluded.tracking_no, status = excluded.status, updated_at = excluded.updated_at`,
	cols: 6,
}

var scanInsert = batch{
	head: `INSERT INTO shipment_scans (shipment_id, seq, code, at, location)`,
	cols: 5,
}

type storedShipment struct {
	orderID, carrier, trackingNo, status string
	scans                                []scanRow
}

func (m *shipmentMerge) write(ctx context.Context, tx *Tx) error {
	if len(m.order) == 0 {
		return nil
	}
	ids := append([]string(nil), m.order...)
	sort.Strings(ids)
	if err := lockKeys(ctx, tx, lockShipment, ids); err != nil {
		return err
	}
	stored := make(map[string]*storedShipment, len(ids))
	err := queryIn(ctx, tx, `SELECT id, order_id, carrier, tracking_no, status FROM shipments WHERE id IN (…)`, ids, func(r *sql.Rows) error {
		var id string
		s := new(storedShipment)
		if err := r.Scan(&id, &s.orderID, &s.carrier, &s.trackingNo, &s.status); err != nil {
			return err
		}
		stored[id] = s
		return nil
	})
	if err != nil {
		return err
	}
	err = queryIn(ctx, tx, `SELECT shipment_id, seq, code, at, location FROM shipment_scans WHERE shipment_id IN (…)`, ids, func(r *sql.Rows) error {
		var id string
		var sc scanRow
		if err := r.Scan(&id, &sc.seq, &sc.code, &sc.at, &sc.location); err != nil {
			return err
		}
		s := stored[id]
		if s == nil { // scans stored before their shipment row
			s = &storedShipment{}
			stored[id] = s
		}
		s.scans = append(s.scans, sc)
		return nil
	})
	if err != nil {
		return err
	}

	type newScan struct {
		id string
		scanRow
	}
	var scans []newScan
	type shipRow struct{ id, orderID, carrier, trackingNo, status string }
	rows := make([]shipRow, 0, len(ids))
	for _, id := range ids {
		c := m.rows[id]
		s := stored[id]
		if s == nil {
			s = &storedShipment{status: "created"}
		}
		row := shipRow{id: id, orderID: s.orderID, carrier: s.carrier, trackingNo: s.trackingNo, status: s.status}
		if c.orderID != "" {
			row.orderID = c.orderID
		}
		if c.carrier != "" {
			row.carrier = c.carrier
		}
		if c.trackingNo != "" {
			row.trackingNo = c.trackingNo
		}
		if c.status != "" {
			row.status = c.status
		}
		if row.status == "" {
			row.status = "created"
		}
		all := s.scans
		var next int64
		for _, sc := range all {
			next = max(next, sc.seq)
		}
		for _, sc := range c.scans {
			if containsScan(all, sc) {
				continue
			}
			next++
			sc.seq = next
			all = append(all, sc)
			scans = append(scans, newScan{id: id, scanRow: sc})
		}
		if len(all) > 0 {
			latest := all[0]
			for _, sc := range all[1:] {
				if sc.at > latest.at || sc.at == latest.at && sc.seq > latest.seq {
					latest = sc
				}
			}
			row.status = latest.code
		}
		rows = append(rows, row)
	}
	err = shipmentUpsert.exec(ctx, tx, len(rows), func(a []any, i int) []any {
		r := rows[i]
		return append(a, r.id, r.orderID, r.carrier, r.trackingNo, r.status, ms(tx.Now))
	})
	if err != nil {
		return err
	}
	return scanInsert.exec(ctx, tx, len(scans), func(a []any, i int) []any {
		s := scans[i]
		return append(a, s.id, s.seq, s.code, s.at, s.location)
	})
}

func containsScan(scans []scanRow, s scanRow) bool {
	for _, x := range scans {
		if x.code == s.code && x.at == s.at && x.location == s.location {
			return true
		}
	}
	return false
}
