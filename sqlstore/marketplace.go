package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"anxin"
)

// MarketplaceService keeps the marketplace mirror: merchants, influencers,
// buyers, listings, content, orders, shipments and after-sale requests. It is
// safe for concurrent use.
//
// Upserts are batches: the whole batch is validated first and nothing is
// stored if any item is bad. Records written by upsert and by events merge
// monotonically: order and after-sale statuses only move forward, life-cycle
// timestamps keep their earliest value and are never cleared, and shipment
// scans accumulate.
type MarketplaceService struct{ db *DB }

// NewMarketplaceService returns a MarketplaceService on db.
func NewMarketplaceService(db *DB) *MarketplaceService { return &MarketplaceService{db: db} }

var _ anxin.MarketplaceService = (*MarketplaceService)(nil)

// authorizeWrite is the first step of every upsert.
func authorizeWrite(ctx context.Context) error {
	return anxin.Authorize(ctx, anxin.ActionWriteMarketplace)
}

// UpsertMerchants inserts or replaces merchants. OnboardedAt keeps its
// earliest value (now when absent). Forbidden without marketplace.write;
// Invalid or TooLarge for a bad batch, with nothing stored.
func (s *MarketplaceService) UpsertMerchants(ctx context.Context, merchants []*anxin.Merchant) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("merchants", merchants, func(m *anxin.Merchant) string { return m.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		now := ms(tx.Now)
		return batch{
			head: `INSERT INTO merchants (id, name, status, categories, attributes, onboarded_at, updated_at)`,
			tail: `ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status,
				categories = excluded.categories, attributes = excluded.attributes,
				onboarded_at = CASE WHEN excluded.onboarded_at < merchants.onboarded_at THEN excluded.onboarded_at ELSE merchants.onboarded_at END,
				updated_at = excluded.updated_at`,
			cols: 7,
		}.exec(ctx, tx, len(merchants), func(a []any, i int) []any {
			m := merchants[i]
			on := now
			if !m.OnboardedAt.IsZero() {
				on = ms(m.OnboardedAt)
			}
			return append(a, m.ID, m.Name, m.Status, jsonText(m.Categories, "[]"), jsonText(m.Attributes, "{}"), on, now)
		})
	})
}

// UpsertInfluencers inserts or replaces influencers. Errors as UpsertMerchants.
func (s *MarketplaceService) UpsertInfluencers(ctx context.Context, is []*anxin.Influencer) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("influencers", is, func(i *anxin.Influencer) string { return i.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		return batch{
			head: `INSERT INTO influencers (id, name, followers, attributes, updated_at)`,
			tail: `ON CONFLICT (id) DO UPDATE SET name = excluded.name, followers = excluded.followers,
				attributes = excluded.attributes, updated_at = excluded.updated_at`,
			cols: 5,
		}.exec(ctx, tx, len(is), func(a []any, i int) []any {
			in := is[i]
			return append(a, in.ID, in.Name, in.Followers, jsonText(in.Attributes, "{}"), ms(tx.Now))
		})
	})
}

// UpsertBuyers inserts or replaces pseudonymous buyers. Errors as UpsertMerchants.
func (s *MarketplaceService) UpsertBuyers(ctx context.Context, bs []*anxin.Buyer) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("buyers", bs, func(b *anxin.Buyer) string { return b.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		return batch{
			head: `INSERT INTO buyers (id, standing, updated_at)`,
			tail: `ON CONFLICT (id) DO UPDATE SET standing = excluded.standing, updated_at = excluded.updated_at`,
			cols: 3,
		}.exec(ctx, tx, len(bs), func(a []any, i int) []any {
			return append(a, bs[i].ID, bs[i].Standing, ms(tx.Now))
		})
	})
}

// UpsertListings inserts or replaces listings. Errors as UpsertMerchants.
func (s *MarketplaceService) UpsertListings(ctx context.Context, ls []*anxin.Listing) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("listings", ls, func(l *anxin.Listing) string { return l.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		return batch{
			head: `INSERT INTO listings (id, merchant_id, title, description, category, brand, price_fen, currency,
				image_hashes, attributes, status, created_at, updated_at)`,
			tail: `ON CONFLICT (id) DO UPDATE SET merchant_id = excluded.merchant_id, title = excluded.title,
				description = excluded.description, category = excluded.category, brand = excluded.brand,
				price_fen = excluded.price_fen, currency = excluded.currency, image_hashes = excluded.image_hashes,
				attributes = excluded.attributes, status = excluded.status, updated_at = excluded.updated_at`,
			cols: 13,
		}.exec(ctx, tx, len(ls), func(a []any, i int) []any {
			l := ls[i]
			return append(a, l.ID, l.MerchantID, l.Title, l.Description, l.Category, l.Brand, l.PriceFen, l.Currency,
				jsonText(l.ImageHashes, "[]"), jsonText(l.Attributes, "{}"), l.Status, ms(tx.Now), ms(tx.Now))
		})
	})
}

// UpsertContent inserts or replaces content items. Errors as UpsertMerchants.
func (s *MarketplaceService) UpsertContent(ctx context.Context, cs []*anxin.ContentItem) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("content items", cs, func(c *anxin.ContentItem) string { return c.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		return batch{
			head: `INSERT INTO content_items (id, kind, author_id, stream_id, seq, text, listing_ids, image_hashes, created_at, updated_at)`,
			tail: `ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, author_id = excluded.author_id,
				stream_id = excluded.stream_id, seq = excluded.seq, text = excluded.text,
				listing_ids = excluded.listing_ids, image_hashes = excluded.image_hashes, updated_at = excluded.updated_at`,
			cols: 10,
		}.exec(ctx, tx, len(cs), func(a []any, i int) []any {
			c := cs[i]
			return append(a, c.ID, c.Kind, c.AuthorID, c.StreamID, c.Seq, c.Text,
				jsonText(c.ListingIDs, "[]"), jsonText(c.ImageHashes, "[]"), ms(tx.Now), ms(tx.Now))
		})
	})
}

// UpsertOrders inserts or updates orders. The order's body (merchant, buyer,
// items, amounts) is replaced; its status and life-cycle timestamps merge
// monotonically with what events already recorded (see orderRow). Errors as
// UpsertMerchants.
func (s *MarketplaceService) UpsertOrders(ctx context.Context, os []*anxin.Order) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("orders", os, func(o *anxin.Order) string { return o.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		rows := make([]*orderRow, len(os))
		for i, o := range os {
			rows[i] = orderRowOf(o, tx.Now)
		}
		return upsertOrderRows(ctx, tx, rows)
	})
}

// UpsertShipments inserts or updates shipments. Carrier and tracking number
// are replaced when given; scans in Events are added unless the shipment
// already has a scan with the same code, time and location; the status is
// the code of the latest scan, or the given status while there is none.
// Errors as UpsertMerchants.
func (s *MarketplaceService) UpsertShipments(ctx context.Context, ss []*anxin.Shipment) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("shipments", ss, func(s *anxin.Shipment) string { return s.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		var m shipmentMerge
		for _, sh := range ss {
			m.touch(sh.ID, sh.OrderID, sh.Carrier, sh.TrackingNo, sh.Status)
			for _, e := range sh.Events {
				m.scan(sh.ID, e.Code, ms(e.At), e.Location)
			}
		}
		return m.write(ctx, tx)
	})
}

// UpsertAfterSales inserts or updates after-sale requests; statuses only
// move forward (see afterSaleRow). Errors as UpsertMerchants.
func (s *MarketplaceService) UpsertAfterSales(ctx context.Context, as []*anxin.AfterSale) error {
	if err := authorizeWrite(ctx); err != nil {
		return err
	}
	if err := validateBatch("after-sale requests", as, func(a *anxin.AfterSale) string { return a.ID }); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		return upsertAfterSales(ctx, tx, as)
	})
}

// Orders. A row may come from an upsert (the whole order), from
// order.created (the whole order) or from order.paid/shipped/delivered/
// cancelled (only a timestamp), in any order. The merge rules, applied in
// SQL so that concurrent writers and replays agree:
//   - the body (merchant, buyer, items, amounts) comes from the latest row
//     that carries one (merchant_id is never empty in such a row);
//   - created_at and each life-cycle timestamp keep their earliest value and
//     are never cleared (a timestamp-only row has its event time as a
//     placeholder created_at, which the real order.created then lowers);
//   - status is the furthest of created < paid < shipped < delivered <
//     cancelled.

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

// After-sale requests merge like orders: the latest non-empty buyer, reason
// and amount win, created_at keeps its earliest value and status moves only
// forward through requested < approved, rejected < returned < refunded <
// closed.

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

// Reads. Merchant actors (role merchant:<id>) see only their own merchant
// record, listings, orders and shipments; anything else is NotFound for
// them, exactly as if it did not exist.

func authorizeRead(ctx context.Context) (scope string, err error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadMarketplace); err != nil {
		return "", err
	}
	return anxin.MerchantScope(ctx), nil
}

const merchantCols = `id, name, status, categories, attributes, onboarded_at, updated_at`

func scanMerchant(sc interface{ Scan(...any) error }) (*anxin.Merchant, error) {
	m := new(anxin.Merchant)
	var cats, attrs string
	var on, up int64
	if err := sc.Scan(&m.ID, &m.Name, &m.Status, &cats, &attrs, &on, &up); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(cats), &m.Categories)
	json.Unmarshal([]byte(attrs), &m.Attributes)
	m.OnboardedAt, m.UpdatedAt = fromMS(on), fromMS(up)
	return m, nil
}

const listingCols = `id, merchant_id, title, description, category, brand, price_fen, currency, image_hashes, attributes, status, updated_at`

func scanListing(sc interface{ Scan(...any) error }) (*anxin.Listing, error) {
	l := new(anxin.Listing)
	var hashes, attrs string
	var up int64
	if err := sc.Scan(&l.ID, &l.MerchantID, &l.Title, &l.Description, &l.Category, &l.Brand, &l.PriceFen, &l.Currency,
		&hashes, &attrs, &l.Status, &up); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(hashes), &l.ImageHashes)
	json.Unmarshal([]byte(attrs), &l.Attributes)
	l.UpdatedAt = fromMS(up)
	return l, nil
}

const orderCols = `id, merchant_id, buyer_id, influencer_id, items, total_fen, currency, status, pii_ref,
	promised_ship_at, created_at, paid_at, shipped_at, delivered_at, cancelled_at, updated_at`

func scanOrder(sc interface{ Scan(...any) error }) (*anxin.Order, error) {
	o := new(anxin.Order)
	var items string
	var promised, paid, shipped, delivered, cancelled sql.NullInt64
	var created, up int64
	if err := sc.Scan(&o.ID, &o.MerchantID, &o.BuyerID, &o.InfluencerID, &items, &o.TotalFen, &o.Currency, &o.Status, &o.PIIRef,
		&promised, &created, &paid, &shipped, &delivered, &cancelled, &up); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(items), &o.Items)
	if o.Items == nil {
		o.Items = []anxin.OrderItem{}
	}
	o.PromisedShipAt, o.PaidAt, o.ShippedAt = fromNullMS(promised), fromNullMS(paid), fromNullMS(shipped)
	o.DeliveredAt, o.CancelledAt = fromNullMS(delivered), fromNullMS(cancelled)
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(up)
	return o, nil
}

// notFound turns sql.ErrNoRows into NotFound with msg.
func notFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return anxin.Errorf(anxin.NotFound, "%s", msg)
	}
	return mapError(err)
}

// FindMerchant returns a merchant. NotFound if absent or, for a merchant
// actor, not its own.
func (s *MarketplaceService) FindMerchant(ctx context.Context, id string) (*anxin.Merchant, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, err
	}
	if scope != "" && id != scope {
		return nil, anxin.Errorf(anxin.NotFound, "Merchant not found.")
	}
	m, err := scanMerchant(s.db.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "Merchant not found.")
	}
	return m, nil
}

// FindListing returns a listing. NotFound if absent or, for a merchant
// actor, another merchant's.
func (s *MarketplaceService) FindListing(ctx context.Context, id string) (*anxin.Listing, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, err
	}
	l, err := scanListing(s.db.QueryRowContext(ctx, `SELECT `+listingCols+` FROM listings WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "Listing not found.")
	}
	if scope != "" && l.MerchantID != scope {
		return nil, anxin.Errorf(anxin.NotFound, "Listing not found.")
	}
	return l, nil
}

// FindOrder returns an order. NotFound if absent or, for a merchant actor,
// another merchant's (an order known only from a timestamp event has no
// merchant yet and is hidden from every merchant).
func (s *MarketplaceService) FindOrder(ctx context.Context, id string) (*anxin.Order, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, err
	}
	return s.findOrder(ctx, id, scope)
}

func (s *MarketplaceService) findOrder(ctx context.Context, id, scope string) (*anxin.Order, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "Order not found.")
	}
	if scope != "" && o.MerchantID != scope {
		return nil, anxin.Errorf(anxin.NotFound, "Order not found.")
	}
	return o, nil
}

// FindShipment returns a shipment with its scans in time order. NotFound if
// absent or, for a merchant actor, the shipment of another merchant's order.
func (s *MarketplaceService) FindShipment(ctx context.Context, id string) (*anxin.Shipment, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, err
	}
	sh := &anxin.Shipment{ID: id}
	var up int64
	var merchant sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT s.order_id, s.carrier, s.tracking_no, s.status, s.updated_at, o.merchant_id
		FROM shipments s LEFT JOIN orders o ON o.id = s.order_id WHERE s.id = ?`, id).
		Scan(&sh.OrderID, &sh.Carrier, &sh.TrackingNo, &sh.Status, &up, &merchant)
	if err != nil {
		return nil, notFound(err, "Shipment not found.")
	}
	if scope != "" && merchant.String != scope {
		return nil, anxin.Errorf(anxin.NotFound, "Shipment not found.")
	}
	sh.UpdatedAt = fromMS(up)
	rows, err := s.db.QueryContext(ctx, `SELECT code, at, location FROM shipment_scans WHERE shipment_id = ? ORDER BY at, seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e anxin.CarrierEvent
		var at int64
		if err := rows.Scan(&e.Code, &at, &e.Location); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		sh.Events = append(sh.Events, e)
	}
	return sh, rows.Err()
}

// listQuery builds the one dynamic query shape of the mirror's lists:
// cursor, merchant and status filters, ordered by id.
type listQuery struct {
	where []string
	args  []any
}

func (q *listQuery) add(cond string, arg any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, arg)
}

func (q *listQuery) sql(cols, table string, limit int) (string, []any) {
	s := `SELECT ` + cols + ` FROM ` + table
	if len(q.where) > 0 {
		s += ` WHERE ` + strings.Join(q.where, " AND ")
	}
	return s + ` ORDER BY id LIMIT ?`, append(q.args, limit+1)
}

// newListQuery applies the cursor and, for merchant actors, the scope.
// ok is false when the filter asks for another merchant than the scope,
// which yields an empty page.
func newListQuery(f anxin.MarketplaceFilter, scope, merchantCol string) (q *listQuery, ok bool, err error) {
	q = new(listQuery)
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, false, err
	}
	if after != "" {
		q.add("id > ?", after)
	}
	merchant := f.MerchantID
	if scope != "" {
		if merchant != "" && merchant != scope {
			return nil, false, nil
		}
		merchant = scope
	}
	if merchant != "" {
		q.add(merchantCol+" = ?", merchant)
	}
	if f.Status != "" {
		q.add("status = ?", f.Status)
	}
	return q, true, nil
}

// findPage runs a list query and returns the page and the next cursor ("" on
// the last page).
func findPage[T any](ctx context.Context, db *DB, q *listQuery, cols, table string, limit int, scan func(interface{ Scan(...any) error }) (T, error), id func(T) string) ([]T, string, error) {
	text, args := q.sql(cols, table, limit)
	rows, err := db.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := make([]T, 0, limit)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(id(out[limit-1]))
	}
	return out, next, nil
}

// FindMerchants returns a page of merchants ordered by id, filtered by
// status; a merchant actor gets at most its own record. Invalid for a bad
// cursor.
func (s *MarketplaceService) FindMerchants(ctx context.Context, f anxin.MarketplaceFilter) ([]*anxin.Merchant, string, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, "", err
	}
	q, ok, err := newListQuery(f, scope, "id")
	if err != nil || !ok {
		return []*anxin.Merchant{}, "", err
	}
	q.search(f.Query, "name")
	return findPage(ctx, s.db, q, merchantCols, "merchants", pageLimit(f.Limit), scanMerchant, func(m *anxin.Merchant) string { return m.ID })
}

// FindListings returns a page of listings ordered by id, filtered by
// merchant and status; a merchant actor sees only its own. Invalid for a
// bad cursor.
func (s *MarketplaceService) FindListings(ctx context.Context, f anxin.MarketplaceFilter) ([]*anxin.Listing, string, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, "", err
	}
	q, ok, err := newListQuery(f, scope, "merchant_id")
	if err != nil || !ok {
		return []*anxin.Listing{}, "", err
	}
	q.search(f.Query, "title")
	return findPage(ctx, s.db, q, listingCols, "listings", pageLimit(f.Limit), scanListing, func(l *anxin.Listing) string { return l.ID })
}

// FindOrders returns a page of orders ordered by id, filtered by merchant
// and status; a merchant actor sees only its own. Invalid for a bad cursor.
func (s *MarketplaceService) FindOrders(ctx context.Context, f anxin.MarketplaceFilter) ([]*anxin.Order, string, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, "", err
	}
	q, ok, err := newListQuery(f, scope, "merchant_id")
	if err != nil || !ok {
		return []*anxin.Order{}, "", err
	}
	return findPage(ctx, s.db, q, orderCols, "orders", pageLimit(f.Limit), scanOrder, func(o *anxin.Order) string { return o.ID })
}

// FindOrderTimeline returns an order's history, oldest first: the stored
// events about it and the carrier scans of its shipments. NotFound as
// FindOrder.
func (s *MarketplaceService) FindOrderTimeline(ctx context.Context, orderID string) ([]anxin.TimelineEntry, error) {
	scope, err := authorizeRead(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.findOrder(ctx, orderID, scope); err != nil {
		return nil, err
	}
	var out []anxin.TimelineEntry
	rows, err := s.db.QueryContext(ctx, `SELECT id, type, occurred_at FROM events WHERE subject_id = ? ORDER BY occurred_at, id LIMIT 1000`, orderID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e anxin.TimelineEntry
		var at int64
		if err := rows.Scan(&e.EventID, &e.Type, &at); err != nil {
			rows.Close()
			return nil, err
		}
		e.Source, e.At = "event", fromMS(at)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT c.shipment_id, c.code, c.at, c.location FROM shipment_scans c
		JOIN shipments s ON s.id = c.shipment_id WHERE s.order_id = ? ORDER BY c.at, c.seq LIMIT 1000`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e anxin.TimelineEntry
		var at int64
		if err := rows.Scan(&e.ShipmentID, &e.Type, &at, &e.Location); err != nil {
			return nil, err
		}
		e.Source, e.At = "scan", fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
