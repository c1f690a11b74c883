package sqlstore

import (
	"context"

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

// After-sale requests merge like orders: the latest non-empty buyer, reason
// and amount win, created_at keeps its earliest value and status moves only
// forward through requested < approved, rejected < returned < refunded <
// closed.

// Reads. Merchant actors (role merchant:<id>) see only their own merchant
// record, listings, orders and shipments; anything else is NotFound for
// them, exactly as if it did not exist.
