package anxin

import (
	"context"
	"time"
)

// The marketplace mirror: what Anxin keeps of the shop it protects. The
// marketplace owns these records; Anxin receives them through upserts and
// lifecycle events and never edits them except through its own decisions.

// Merchant is a shop on the marketplace.
type Merchant struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Status      string            `json:"status"` // active, restricted, cleared
	Categories  []string          `json:"categories,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	OnboardedAt time.Time         `json:"onboarded_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// Influencer is a livestreamer or creator (达人) who sells through content.
type Influencer struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Followers  int64             `json:"followers"`
	Attributes map[string]string `json:"attributes,omitempty"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// Buyer is a pseudonymous buyer. Anxin never stores a buyer's name, phone or
// address in the mirror: those live sealed in the vault, referenced by
// Order.PIIRef.
type Buyer struct {
	ID        string    `json:"id"`
	Standing  string    `json:"standing"` // good, watch, restricted
	UpdatedAt time.Time `json:"updated_at"`
}

// Listing is a product offered by a merchant.
type Listing struct {
	ID          string            `json:"id"`
	MerchantID  string            `json:"merchant_id"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Category    string            `json:"category,omitempty"`
	Brand       string            `json:"brand,omitempty"`
	PriceFen    int64             `json:"price_fen"`
	Currency    string            `json:"currency"`
	ImageHashes []string          `json:"image_hashes,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	Status      string            `json:"status"` // live, held, delisted, banned
	UpdatedAt   time.Time         `json:"updated_at"`
}

// Content kinds.
const (
	ContentLivestreamSegment = "livestream_segment"
	ContentVideo             = "video"
	ContentComment           = "comment"
	ContentImageText         = "image_text"
)

// ContentItem is a livestream segment, short video, comment or image post.
type ContentItem struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	AuthorID    string    `json:"author_id,omitempty"` // merchant or influencer
	StreamID    string    `json:"stream_id,omitempty"`
	Seq         int64     `json:"seq,omitempty"`
	Text        string    `json:"text"`
	ListingIDs  []string  `json:"listing_ids,omitempty"`
	ImageHashes []string  `json:"image_hashes,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// OrderItem is one line of an order.
type OrderItem struct {
	ListingID    string `json:"listing_id"`
	Quantity     int64  `json:"quantity"`
	UnitPriceFen int64  `json:"unit_price_fen"`
}

// Order statuses, in life-cycle order.
const (
	OrderCreated   = "created"
	OrderPaid      = "paid"
	OrderShipped   = "shipped"
	OrderDelivered = "delivered"
	OrderCancelled = "cancelled"
)

// Order is a buyer's order with one merchant.
type Order struct {
	ID             string      `json:"id"`
	MerchantID     string      `json:"merchant_id"`
	BuyerID        string      `json:"buyer_id"`
	InfluencerID   string      `json:"influencer_id,omitempty"`
	Items          []OrderItem `json:"items"`
	TotalFen       int64       `json:"total_fen"`
	Currency       string      `json:"currency"`
	Status         string      `json:"status"`
	PIIRef         string      `json:"pii_ref,omitempty"` // sealed personal data in the vault
	PromisedShipAt *time.Time  `json:"promised_ship_at,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
	PaidAt         *time.Time  `json:"paid_at,omitempty"`
	ShippedAt      *time.Time  `json:"shipped_at,omitempty"`
	DeliveredAt    *time.Time  `json:"delivered_at,omitempty"`
	CancelledAt    *time.Time  `json:"cancelled_at,omitempty"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// CarrierEvent is one scan of a parcel.
type CarrierEvent struct {
	Code     string    `json:"code"` // pickup, in_transit, out_for_delivery, delivered, exception, lost, returned
	At       time.Time `json:"at"`
	Location string    `json:"location,omitempty"`
}

// Shipment is a parcel carrying (part of) an order.
type Shipment struct {
	ID         string         `json:"id"`
	OrderID    string         `json:"order_id"`
	Carrier    string         `json:"carrier,omitempty"`
	TrackingNo string         `json:"tracking_no,omitempty"`
	Status     string         `json:"status"`
	Events     []CarrierEvent `json:"events,omitempty"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// AfterSale is a buyer's after-sale request (refund, return, exchange).
type AfterSale struct {
	ID        string    `json:"id"`
	OrderID   string    `json:"order_id"`
	BuyerID   string    `json:"buyer_id,omitempty"`
	Kind      string    `json:"kind"` // refund_only, return_refund, exchange
	Reason    string    `json:"reason,omitempty"`
	AmountFen int64     `json:"amount_fen"`
	Status    string    `json:"status"` // requested, approved, rejected, returned, refunded, closed
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks a merchant from an upsert.
func (m *Merchant) Validate() error {
	if err := ValidateID("id", m.ID); err != nil {
		return err
	}
	if err := ValidateText("name", m.Name, MaxNameLen); err != nil {
		return err
	}
	switch m.Status {
	case "":
		m.Status = "active"
	case "active", "restricted", "cleared":
	default:
		return Errorf(Invalid, "status must be active, restricted or cleared.")
	}
	if len(m.Categories) > MaxAttributes {
		return Errorf(Invalid, "categories has more than %d entries.", MaxAttributes)
	}
	for _, c := range m.Categories {
		if err := ValidateText("categories", c, MaxNameLen); err != nil {
			return err
		}
	}
	return ValidateAttributes("attributes", m.Attributes)
}

// Validate checks an influencer from an upsert.
func (i *Influencer) Validate() error {
	if err := ValidateID("id", i.ID); err != nil {
		return err
	}
	if i.Followers < 0 {
		return Errorf(Invalid, "followers must not be negative.")
	}
	if err := ValidateText("name", i.Name, MaxNameLen); err != nil {
		return err
	}
	return ValidateAttributes("attributes", i.Attributes)
}

// Validate checks a buyer from an upsert.
func (b *Buyer) Validate() error {
	if err := ValidateID("id", b.ID); err != nil {
		return err
	}
	switch b.Standing {
	case "":
		b.Standing = "good"
	case "good", "watch", "restricted":
	default:
		return Errorf(Invalid, "standing must be good, watch or restricted.")
	}
	return nil
}

// validateContent checks what a listing says about the product, the
// fields a listing check shares with it: title (MaxTitleLen), description
// (MaxTextLen), category and brand (MaxNameLen) and price.
func (l *Listing) validateContent() error {
	if err := ValidateText("title", l.Title, MaxTitleLen); err != nil {
		return err
	}
	if err := ValidateText("description", l.Description, MaxTextLen); err != nil {
		return err
	}
	if err := ValidateText("category", l.Category, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateText("brand", l.Brand, MaxNameLen); err != nil {
		return err
	}
	return ValidateAmount("price_fen", l.PriceFen)
}

// Validate checks a listing from an upsert.
func (l *Listing) Validate() error {
	if err := ValidateID("id", l.ID); err != nil {
		return err
	}
	if err := ValidateID("merchant_id", l.MerchantID); err != nil {
		return err
	}
	if err := l.validateContent(); err != nil {
		return err
	}
	if err := validateCurrency(&l.Currency); err != nil {
		return err
	}
	if err := validateHashes(l.ImageHashes); err != nil {
		return err
	}
	switch l.Status {
	case "":
		l.Status = "live"
	case "live", "held", "delisted", "banned":
	default:
		return Errorf(Invalid, "status must be live, held, delisted or banned.")
	}
	return ValidateAttributes("attributes", l.Attributes)
}

// Validate checks a content item from an upsert or a check.
func (c *ContentItem) Validate() error {
	if err := ValidateID("id", c.ID); err != nil {
		return err
	}
	switch c.Kind {
	case ContentLivestreamSegment:
		if err := ValidateID("stream_id", c.StreamID); err != nil {
			return err
		}
		if c.Seq < 0 {
			return Errorf(Invalid, "seq must not be negative.")
		}
	case ContentVideo, ContentComment, ContentImageText:
		if err := ValidateOptionalID("stream_id", c.StreamID); err != nil {
			return err
		}
	default:
		return Errorf(Invalid, "kind must be livestream_segment, video, comment or image_text.")
	}
	if err := ValidateOptionalID("author_id", c.AuthorID); err != nil {
		return err
	}
	if err := ValidateText("text", c.Text, MaxTextLen); err != nil {
		return err
	}
	if len(c.ListingIDs) > MaxImages {
		return Errorf(Invalid, "listing_ids has more than %d entries.", MaxImages)
	}
	for _, id := range c.ListingIDs {
		if err := ValidateID("listing_ids", id); err != nil {
			return err
		}
	}
	return validateHashes(c.ImageHashes)
}

// Validate checks an order from an upsert or an order.created event and
// fills TotalFen from the items when it is zero.
func (o *Order) Validate() error {
	if err := ValidateID("id", o.ID); err != nil {
		return err
	}
	if err := ValidateID("merchant_id", o.MerchantID); err != nil {
		return err
	}
	if err := ValidateID("buyer_id", o.BuyerID); err != nil {
		return err
	}
	if err := ValidateOptionalID("influencer_id", o.InfluencerID); err != nil {
		return err
	}
	if err := ValidateOptionalID("pii_ref", o.PIIRef); err != nil {
		return err
	}
	if len(o.Items) > MaxOrderItems {
		return Errorf(Invalid, "items has more than %d entries.", MaxOrderItems)
	}
	var sum int64
	for _, it := range o.Items {
		if err := ValidateID("items.listing_id", it.ListingID); err != nil {
			return err
		}
		if it.Quantity <= 0 || it.Quantity > 1_000_000 {
			return Errorf(Invalid, "items.quantity must be between 1 and 1000000.")
		}
		if err := ValidateAmount("items.unit_price_fen", it.UnitPriceFen); err != nil {
			return err
		}
		sum += it.Quantity * it.UnitPriceFen
		if sum > MaxAmountFen {
			return Errorf(Invalid, "the order total is larger than %d fen.", int64(MaxAmountFen))
		}
	}
	if err := ValidateAmount("total_fen", o.TotalFen); err != nil {
		return err
	}
	if o.TotalFen == 0 {
		o.TotalFen = sum
	}
	if err := validateCurrency(&o.Currency); err != nil {
		return err
	}
	if o.Status == "" {
		o.Status = OrderCreated
	}
	switch o.Status {
	case OrderCreated, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled:
	default:
		return Errorf(Invalid, "status must be created, paid, shipped, delivered or cancelled.")
	}
	return nil
}

// Validate checks a shipment from an upsert.
func (s *Shipment) Validate() error {
	if err := ValidateID("id", s.ID); err != nil {
		return err
	}
	if err := ValidateID("order_id", s.OrderID); err != nil {
		return err
	}
	if err := ValidateText("carrier", s.Carrier, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateText("tracking_no", s.TrackingNo, MaxNameLen); err != nil {
		return err
	}
	if len(s.Events) > 1000 {
		return Errorf(Invalid, "events has more than 1000 entries.")
	}
	for _, e := range s.Events {
		if !ValidCarrierCode(e.Code) {
			return Errorf(Invalid, "events.code %q is not a carrier scan code.", e.Code)
		}
		if err := ValidateText("events.location", e.Location, MaxNameLen); err != nil {
			return err
		}
	}
	if s.Status == "" {
		s.Status = "created"
	}
	return ValidateText("status", s.Status, 32)
}

// Validate checks an after-sale request from an upsert or event.
func (a *AfterSale) Validate() error {
	if err := ValidateID("id", a.ID); err != nil {
		return err
	}
	if err := ValidateID("order_id", a.OrderID); err != nil {
		return err
	}
	if err := ValidateOptionalID("buyer_id", a.BuyerID); err != nil {
		return err
	}
	switch a.Kind {
	case "refund_only", "return_refund", "exchange":
	default:
		return Errorf(Invalid, "kind must be refund_only, return_refund or exchange.")
	}
	if err := ValidateText("reason", a.Reason, MaxNameLen*4); err != nil {
		return err
	}
	if err := ValidateAmount("amount_fen", a.AmountFen); err != nil {
		return err
	}
	if a.Status == "" {
		a.Status = "requested"
	}
	switch a.Status {
	case "requested", "approved", "rejected", "returned", "refunded", "closed":
	default:
		return Errorf(Invalid, "status must be requested, approved, rejected, returned, refunded or closed.")
	}
	return nil
}

// ValidCarrierCode reports whether code is a known carrier scan code.
func ValidCarrierCode(code string) bool {
	switch code {
	case "pickup", "in_transit", "out_for_delivery", "delivered", "exception", "lost", "returned":
		return true
	}
	return false
}

func validateCurrency(c *string) error {
	if *c == "" {
		*c = "CNY"
	}
	if len(*c) != 3 || (*c)[0] < 'A' || (*c)[0] > 'Z' || (*c)[1] < 'A' || (*c)[1] > 'Z' || (*c)[2] < 'A' || (*c)[2] > 'Z' {
		return Errorf(Invalid, "currency must be an ISO 4217 code such as CNY.")
	}
	return nil
}

func validateHashes(hs []string) error {
	if len(hs) > MaxImages {
		return Errorf(Invalid, "image_hashes has more than %d entries.", MaxImages)
	}
	for _, h := range hs {
		if len(h) == 0 || len(h) > 128 {
			return Errorf(Invalid, "image_hashes entries must be 1 to 128 hex digits.")
		}
		for i := 0; i < len(h); i++ {
			c := h[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return Errorf(Invalid, "image_hashes entries must be hex digits.")
			}
		}
	}
	return nil
}

// Page is a cursor-paginated request: Cursor is opaque, from the previous
// page's NextCursor; Limit defaults to 50 and is capped at 500.
type Page struct {
	Cursor string
	Limit  int
}

// MarketplaceFilter selects mirror records for a list call.
type MarketplaceFilter struct {
	MerchantID string // restricts to one merchant; forced for merchant actors
	Status     string
	// Query searches merchants by id prefix or name and listings by id
	// prefix or title (case-insensitive substring); "" matches all.
	Query string
	Page
}

// MarketplaceService keeps the marketplace mirror. Upserts validate every
// item first and store nothing if any is invalid (Invalid, with one
// ItemError per bad item). Lookups return NotFound when the record is absent
// or outside the actor's scope.
type MarketplaceService interface {
	UpsertMerchants(ctx context.Context, ms []*Merchant) error
	UpsertInfluencers(ctx context.Context, is []*Influencer) error
	UpsertBuyers(ctx context.Context, bs []*Buyer) error
	UpsertListings(ctx context.Context, ls []*Listing) error
	UpsertContent(ctx context.Context, cs []*ContentItem) error
	UpsertOrders(ctx context.Context, os []*Order) error
	UpsertShipments(ctx context.Context, ss []*Shipment) error
	UpsertAfterSales(ctx context.Context, as []*AfterSale) error

	FindMerchant(ctx context.Context, id string) (*Merchant, error)
	FindListing(ctx context.Context, id string) (*Listing, error)
	FindOrder(ctx context.Context, id string) (*Order, error)
	FindShipment(ctx context.Context, id string) (*Shipment, error)
	FindMerchants(ctx context.Context, f MarketplaceFilter) ([]*Merchant, string, error)
	FindListings(ctx context.Context, f MarketplaceFilter) ([]*Listing, string, error)
	FindOrders(ctx context.Context, f MarketplaceFilter) ([]*Order, string, error)
	// FindOrderTimeline returns the order's stored events and the carrier
	// scans of its shipments, oldest first. NotFound as FindOrder.
	FindOrderTimeline(ctx context.Context, orderID string) ([]TimelineEntry, error)
}

// TimelineEntry is one step in an order's history: a stored event (Source
// "event", Type the event type, EventID its id) or a carrier scan (Source
// "scan", Type the scan code, ShipmentID and Location).
type TimelineEntry struct {
	At         time.Time `json:"at"`
	Source     string    `json:"source"`
	Type       string    `json:"type"`
	EventID    string    `json:"event_id,omitempty"`
	ShipmentID string    `json:"shipment_id,omitempty"`
	Location   string    `json:"location,omitempty"`
}

// Stat is one live count on the console dashboard.
type Stat struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value int64  `json:"value"`
}

// StatsService returns the dashboard's live counts.
type StatsService interface {
	Stats(ctx context.Context) ([]Stat, error)
}
