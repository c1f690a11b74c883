// Package sim generates a synthetic marketplace with ground truth for the
// demo, the benchmarks and the capabilities' end-to-end tests.
//
// A World is a pure function of its Config: the same seed, scale, start and
// length give an identical World, byte for byte, and nothing reads the wall
// clock or a global random source.
//
//	w := sim.Generate(sim.Config{Seed: 7, Scale: sim.Small})
//	for _, e := range w.Events { ... }          // order.created, shipment.scanned, aftersale.*
//	if w.Truth.Listings[l.ID].Violation != "" { ... }
//
// What the World holds:
//
//   - Merchants, some of them bad actors organised in rings whose shops share
//     identity attributes (legal entity, phone, bank and payout accounts,
//     address, device, IP, warehouse), including shops re-registered after a
//     clear-out that reuse one of the old shop's values; a few fulfilment
//     warehouses are shared innocently by many clean shops.
//   - Influencers (达人), some of whom promote counterfeits.
//   - Buyers with pseudonymous ids; their synthetic names, phones and
//     addresses live only in World.PII, never in a mirror entity.
//   - Brands with reference prices, official images and authorised sellers.
//   - Listings, clean and violating (counterfeit coded language, prohibited
//     goods, diversion off the platform, advertising-law absolute claims),
//     with evasive spellings, and clean listings with innocent look-alikes;
//     a few shops a brand authorised shortly before the period, whom the
//     brand list handed to the platform does not name yet, sell the genuine
//     product with the brand's photos.
//   - Content: livestream segments (coded language sometimes split across
//     consecutive segments), short videos and comments.
//   - Orders with shipments and carrier scans (most on time, some late, some
//     lost), after-sale requests (no-reason returns, damage, allergy,
//     spoilage, counterfeit, lost parcels, fraudulent claims) and complaints.
//   - Rights holders' notices against counterfeit listings of their brands
//     (and a few mistaken ones against authorised sellers), with evidence
//     and counter-notices.
//   - Events: the marketplace's lifecycle events in time order, each with a
//     unique id, ready for POST /v1/events.
//   - Truth: what really happened, to measure detection quality against.
package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"anxin"
)

// Scales.
const (
	Small  = "small"  // ≈ 200 merchants, 2,000 listings, 10,000 orders
	Medium = "medium" // ten times small
	Large  = "large"  // a hundred times small; needs several GB of memory
)

// DefaultStart is the start of the simulated period when Config.Start is
// zero: 2026-01-01 00:00 in the marketplace time zone.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, anxin.MarketplaceTZ).UTC()

// DefaultDays is the length of the simulated period when Config.Days is zero.
const DefaultDays = 30

// Config chooses a World.
type Config struct {
	Seed  int64     // the same seed gives the same World
	Scale string    // Small (default when ""), Medium or Large
	Start time.Time // first instant of the simulated period; DefaultStart when zero
	Days  int       // length of the period in days; DefaultDays when zero
}

// Validate checks the config: an unknown scale or a negative or absurd
// length is Invalid.
func (c Config) Validate() error {
	switch c.Scale {
	case "", Small, Medium, Large:
	default:
		return anxin.Errorf(anxin.Invalid, "scale must be small, medium or large.")
	}
	if c.Days < 0 || c.Days > 3660 {
		return anxin.Errorf(anxin.Invalid, "days must be between 1 and 3660.")
	}
	return nil
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Scale == "" {
		c.Scale = Small
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC()
	if c.Days == 0 {
		c.Days = DefaultDays
	}
	return c
}

// multiplier is the size factor of a scale.
func multiplier(scale string) int {
	switch scale {
	case Medium:
		return 10
	case Large:
		return 100
	}
	return 1
}

// Period returns the simulated period [Start, Start+Days).
func (c Config) Period() anxin.Period {
	c = c.withDefaults()
	return anxin.Period{From: c.Start, To: c.Start.AddDate(0, 0, c.Days)}
}

// PII is a buyer's synthetic personal data. It exists only here so the
// privacy capability can seal it; no mirror entity carries it.
type PII struct {
	Name    string `json:"name"`    // a Chinese full name, e.g. 王秀英
	Phone   string `json:"phone"`   // an 11-digit mainland mobile number, unique per buyer
	Address string `json:"address"` // province, city, district, street and number
}

// Brand is a (fictional) brand the counterfeit rings copy.
type Brand struct {
	Name              string   `json:"name"`     // e.g. 星岚 Xinglan
	Category          string   `json:"category"` // the category its products sell in
	OwnerID           string   `json:"owner_id"` // the rights holder's id (rh_…)
	ReferencePriceFen int64    `json:"reference_price_fen"`
	ImageHashes       []string `json:"image_hashes"`          // official product images (256-bit hex)
	AuthorisedSellers []string `json:"authorised_seller_ids"` // merchants allowed to sell it
}

// Complaint is a buyer's complaint or service request about an order, as a
// care ticket would receive it. Topic is ground truth: one of the 12 default
// skill groups (see Topics).
type Complaint struct {
	ID         string    `json:"id"`
	BuyerID    string    `json:"buyer_id"`
	OrderID    string    `json:"order_id,omitempty"`
	MerchantID string    `json:"merchant_id,omitempty"`
	ListingID  string    `json:"listing_id,omitempty"`
	Topic      string    `json:"topic"`
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
}

// Topics are the complaint topics, one per default customer-care skill group.
var Topics = []string{
	"after_sales", "logistics", "quality", "counterfeit", "allergy_safety", "fresh_produce",
	"livestream", "merchant_support", "ip", "privacy_security", "payment", "escalation",
}

// World is a generated marketplace. Slices are in a fixed order (by id
// unless noted); Events are in time order.
type World struct {
	Config Config       // the config it was generated from, with defaults filled
	Period anxin.Period // [Config.Start, Config.Start+Days)

	Merchants   []*anxin.Merchant   // some cleared (status "cleared") before the period
	Influencers []*anxin.Influencer //
	Buyers      []*anxin.Buyer      // standing "good"; fraudulent buyers are in Truth only
	PII         map[string]PII      // buyer id → synthetic personal data
	Brands      []Brand             //
	Listings    []*anxin.Listing    // status "live"; UpdatedAt is when the merchant published it
	Content     []*anxin.ContentItem
	// Orders, Shipments and AfterSales are the final state at the end of
	// the period, as the events leave them.
	Orders     []*anxin.Order
	Shipments  []*anxin.Shipment
	AfterSales []*anxin.AfterSale
	Complaints []Complaint    // in time order
	Notices    []Notice       // rights holders' notices, by id
	Events     []*anxin.Event // in time order (ties by id); OccurredAt inside Period
	Truth      Truth
}

// Violation categories in ground truth.
const (
	ViolationCounterfeit   = "counterfeit"    // replica coded language (高仿, A货, 1:1复刻, 莆田, 原单, …)
	ViolationProhibited    = "prohibited"     // prohibited goods and services (replica guns, sedatives, covert cameras, invoices, …)
	ViolationDiversion     = "diversion"      // diverting buyers off the platform (WeChat, QQ, phone)
	ViolationAbsoluteClaim = "absolute_claim" // advertising-law absolute claims (全网最低, 第一, …)
)

// Evasion kinds in ground truth.
const (
	EvasionSeparator   = "separator"   // 高*仿, 高 仿, zero-width characters
	EvasionFullWidth   = "fullwidth"   // Ａ货, １：１复刻
	EvasionTraditional = "traditional" // 高倣, 復刻
	EvasionHomoglyph   = "homoglyph"   // 髙仿, Cyrillic А货
	EvasionPinyin      = "pinyin"      // gao fang, fu ke
)

// ListingTruth is the ground truth of one listing.
type ListingTruth struct {
	Violation string `json:"violation,omitempty"`  // a Violation* category, "" when clean
	Term      string `json:"term,omitempty"`       // the canonical term planted, e.g. 高仿
	Evasive   bool   `json:"evasive,omitempty"`    // the term is written evasively
	Evasion   string `json:"evasion,omitempty"`    // an Evasion* kind when Evasive
	LookAlike string `json:"look_alike,omitempty"` // an innocent look-alike in a clean listing (仿真植物, 莆田桂圆, …)
	// Substandard names the lab test the product fails (heavy_metals,
	// fluorescent_agent, battery_safety, …) when a sample would fail, "" when
	// it passes.
	Substandard string `json:"substandard,omitempty"`
	Brand       string `json:"brand,omitempty"` // the brand it copies or sells
	// Unregistered is true for a genuine listing of Brand by a seller the
	// brand authorised shortly before the period, whose authorisation the
	// platform's brand registry does not hold yet: to the registry it is
	// an unauthorised seller using the brand's own photos, until it shows
	// its authorisation letter.
	Unregistered bool `json:"unregistered,omitempty"`
}

// ContentTruth is the ground truth of one content item.
type ContentTruth struct {
	Violation string `json:"violation,omitempty"`
	Term      string `json:"term,omitempty"`
	Evasive   bool   `json:"evasive,omitempty"`
	Evasion   string `json:"evasion,omitempty"`
	// Split is true when the term is split across this segment and the
	// next (or previous) one of the same stream: neither segment alone
	// holds the whole term.
	Split bool `json:"split,omitempty"`
}

// MerchantTruth is the ground truth of a bad merchant.
type MerchantTruth struct {
	Ring string `json:"ring"` // the ring (r_…) it belongs to
	// ReregistrationOf is the id of the cleared shop this one re-registers,
	// reusing one of its identity attribute values; "" otherwise.
	ReregistrationOf string `json:"reregistration_of,omitempty"`
	SharedAttribute  string `json:"shared_attribute,omitempty"` // the attribute key reused on re-registration
}

// AfterSaleTruth is the real cause of an after-sale request.
type AfterSaleTruth struct {
	Cause      string `json:"cause"`      // no_reason, damaged, allergy, spoiled, counterfeit, lost, not_shipped, fraud
	Fraudulent bool   `json:"fraudulent"` // filed by a fraudulent buyer without a real cause
}

// Truth is what really happened in the World.
type Truth struct {
	Listings     map[string]ListingTruth  // every listing id
	Content      map[string]ContentTruth  // every content id
	Streams      map[string]string        // stream id → violation category ("" clean)
	BadMerchants map[string]MerchantTruth // merchant id → ring; absent for clean merchants
	Rings        map[string][]string      // ring id → member merchant ids (sorted)
	// BadInfluencers are influencers who promote counterfeits.
	BadInfluencers map[string]bool
	// CommonValues are attribute values shared innocently by many clean
	// merchants (third-party fulfilment warehouses): a relation graph must
	// not link everyone through them.
	CommonValues map[string]bool
	// CounterfeitImages are the base hashes of known counterfeit product
	// images, per brand name; counterfeit listings carry them or near copies.
	CounterfeitImages map[string][]string
	LateOrders        map[string]bool // carrier pickup after the promised ship time (or none by then), promise inside the period
	LostOrders        map[string]bool // parcel lost in transit, lost scan inside the period
	FraudulentBuyers  map[string]bool // buyers who file claims without cause
	AfterSales        map[string]AfterSaleTruth
	// FreshCampaignAt is when fresh-produce merchants improve their packing
	// (the middle of the period): spoilage falls from 12 % to 5 % of
	// delivered fresh orders, which a quality campaign started then should
	// measure.
	FreshCampaignAt time.Time
	// ColdChainFailure is two local days in the first half of the period
	// (zero in periods shorter than eight days) when a cold-chain carrier's
	// refrigerated trucks fail: 60 % of the fresh orders delivered then
	// arrive spoiled and their buyers ask for a refund within hours of
	// unpacking. A quality watch on fresh spoilage should alert on them.
	ColdChainFailure anxin.Period
	// Notices tells, per notice id, whether the notice is right (the
	// listing really is counterfeit) or mistaken (a genuine listing of an
	// authorised seller).
	Notices map[string]bool
}

// Generate builds the World for cfg. It panics if cfg fails Validate;
// callers taking a config from users call Validate first.
func Generate(cfg Config) *World {
	if err := cfg.Validate(); err != nil {
		panic("sim: " + err.Error())
	}
	cfg = cfg.withDefaults()
	g := &gen{
		r:   rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15)),
		cfg: cfg,
		n:   multiplier(cfg.Scale),
		w: &World{
			Config: cfg,
			Period: cfg.Period(),
			PII:    map[string]PII{},
			Truth: Truth{
				Listings:          map[string]ListingTruth{},
				Content:           map[string]ContentTruth{},
				Streams:           map[string]string{},
				BadMerchants:      map[string]MerchantTruth{},
				Rings:             map[string][]string{},
				BadInfluencers:    map[string]bool{},
				CommonValues:      map[string]bool{},
				CounterfeitImages: map[string][]string{},
				LateOrders:        map[string]bool{},
				LostOrders:        map[string]bool{},
				FraudulentBuyers:  map[string]bool{},
				AfterSales:        map[string]AfterSaleTruth{},
				Notices:           map[string]bool{},
			},
		},
	}
	g.w.Truth.FreshCampaignAt = g.w.Period.From.Add(g.w.Period.To.Sub(g.w.Period.From) / 2)
	g.w.Truth.ColdChainFailure = coldChainFailure(g.w.Period, cfg.Days)
	g.brands()
	g.merchants()
	g.influencers()
	g.buyers()
	g.listings()
	g.content()
	g.orders()
	g.notices()
	g.unregisteredSellers()
	g.finish()
	return g.w
}

// gen carries the generator's state.
type gen struct {
	r   *rand.Rand
	cfg Config
	n   int // scale multiplier
	w   *World

	merchant   map[string]*anxin.Merchant
	byMerchant map[string][]*anxin.Listing // merchant id → its listings
	listingOf  map[string]*anxin.Listing   // listing id → listing
	cfMerchant map[string]bool             // merchants that sell counterfeits
	lateRate   map[string]float64          // merchant id → share of orders shipped late
	phones     map[string]bool

	promoted map[string]string // listing id → influencer that streamed it

	events []*anxin.Event
}

// chance reports true with probability p.
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// pick returns a random element of xs.
func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// between returns a random duration in [lo, hi), in whole seconds when lo
// is, so every simulated time is a whole second (databases keep
// milliseconds).
func (g *gen) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.r.Int64N(int64(hi-lo))).Truncate(time.Second)
}

// hash returns an opaque 128-bit hex value standing for a hashed identity
// attribute (the marketplace hashes phones, accounts, devices before
// sending them).
func (g *gen) hash() string {
	return fmt.Sprintf("%016x%016x", g.r.Uint64(), g.r.Uint64())
}

// imageHash returns a random 256-bit perceptual hash in hex.
func (g *gen) imageHash() string {
	return fmt.Sprintf("%016x%016x%016x%016x", g.r.Uint64(), g.r.Uint64(), g.r.Uint64(), g.r.Uint64())
}

// nearCopy flips up to maxBits random bits of a 256-bit hex hash, as a
// re-encoded or slightly cropped copy of the same image would.
func (g *gen) nearCopy(h string, maxBits int) string {
	b := []byte(h)
	for i := g.r.IntN(maxBits + 1); i > 0; i-- {
		pos := g.r.IntN(len(b))
		v := hexVal(b[pos]) ^ (1 << g.r.IntN(4))
		b[pos] = "0123456789abcdef"[v]
	}
	return string(b)
}

func hexVal(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// emit appends an event with the given payload.
func (g *gen) emit(id, typ string, at time.Time, payload any) {
	if !at.Before(g.w.Period.To) || at.Before(g.w.Period.From) {
		return
	}
	data, err := json.Marshal(payload)
	if err != nil {
		panic("sim: " + err.Error()) // payloads are plain structs
	}
	g.events = append(g.events, &anxin.Event{
		ID: id, Type: typ, SchemaVersion: anxin.EventSchemaVersion, OccurredAt: at.UTC(), Data: data,
	})
}

// finish sorts what needs sorting.
func (g *gen) finish() {
	slices.SortFunc(g.events, func(a, b *anxin.Event) int {
		if c := a.OccurredAt.Compare(b.OccurredAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	g.w.Events = g.events
	sort.SliceStable(g.w.Complaints, func(i, j int) bool {
		a, b := g.w.Complaints[i], g.w.Complaints[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.ID < b.ID
	})
	for _, ms := range g.w.Truth.Rings {
		sort.Strings(ms)
	}
}
