package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"anxin"
)

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
