// Package marketplace is the simulated marketplace's end of the webhook
// loop: an http.Handler that receives Anxin's deliveries as a real
// integration would, verifies each signature, applies the action to its own
// data (a listing delisted, a shop restricted, a buyer paid) and reports the
// new state back to Anxin through the public API.
//
//	m := marketplace.New(secret, &marketplace.APIReporter{BaseURL: url, Key: platformKey}, clock.Now)
//	m.Seed(world.Merchants, world.Listings)
//	http.ListenAndServe(addr, m)
//
// Every delivery is checked with the Standard Webhooks headers (the id,
// timestamp and body are signed together, so the id it dedupes on cannot be
// forged) before anything is read from it. A bad, missing or stale signature
// is refused (400 for a malformed header, 401 otherwise) and changes
// nothing. A delivery whose id was applied already is answered 200 and
// applied no second time, so Anxin's retries are harmless. An action is
// applied only once its report to Anxin succeeded; when the report fails the
// marketplace's data stays as it was and the delivery is refused with 502,
// so Anxin sends it again.
package marketplace

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"anxin"
	"anxin/webhook"
)

// Reporter is how the marketplace tells Anxin its new state: the same calls
// any integration makes (APIReporter makes them over HTTP).
type Reporter interface {
	ReportListings(ctx context.Context, ls []*anxin.Listing) error
	ReportMerchants(ctx context.Context, ms []*anxin.Merchant) error
	AckPayout(ctx context.Context, id string, ack anxin.PayoutAck) error
}

// MaxBody bounds a delivery's body.
const MaxBody = 1 << 20

// Counts are what the marketplace did with the deliveries it received.
type Counts struct {
	Delist   int            // listing.delist, listing.ban, listing.intercept applied
	Restrict int            // merchant.restrict, merchant.shield, merchant.clear_out applied
	Pay      int            // buyer.pay applied (the payout acknowledged as paid)
	Lift     int            // listing.restore, merchant.reinstate, enforcement.reverse applied
	Refused  int            // publishes refused on a check's block answer (RefusePublish)
	Rejected int            // refused: bad signature or body
	Repeated int            // deliveries of an id already applied
	Ignored  map[string]int // by type: messages this marketplace does not act on
}

// Applied is the number of actions applied.
func (c Counts) Applied() int { return c.Delist + c.Restrict + c.Pay + c.Lift }

// Marketplace holds the marketplace's own data and applies Anxin's
// deliveries to it. Create it with New; it is safe for concurrent use.
type Marketplace struct {
	secret    string
	report    Reporter
	now       func() time.Time
	Tolerance time.Duration // signature age accepted; webhook.DefaultTolerance when zero
	// PayAfter, when set, is how long the marketplace's payment rail takes
	// to refund a buyer: a buyer.pay is accepted at once and confirmed to
	// Anxin by Settle once that time has passed. Nil pays on receipt.
	PayAfter func(payoutID string) time.Duration

	mu        sync.Mutex
	listings  map[string]*listing
	merchants map[string]*merchant
	payouts   map[string]anxin.PayoutAck
	paying    []payment // accepted, not yet confirmed (PayAfter)
	seen      map[string]bool
	counts    Counts
}

type listing struct {
	l     anxin.Listing
	base  string // the status the marketplace gave it, before any hold
	holds []hold
}

type merchant struct {
	m     anxin.Merchant
	base  string
	holds []hold
}

// hold is one action of Anxin's in force on a listing or a merchant, with
// what a later restore or reinstate names it by.
type hold struct {
	kind                                               string // delist, ban, intercept, restrict, shield, clear
	sanction, statement, action, decision, notice, sid string
}

// payment is a refund on its way to the buyer.
type payment struct {
	id  string
	ack anxin.PayoutAck
	due time.Time
}

// payload is the part of a message's payload the marketplace reads.
type payload struct {
	SanctionID    string `json:"sanction_id"`
	EnforcementID string `json:"enforcement_id"`
	StatementID   string `json:"statement_id"`
	Action        string `json:"action"`
	DecisionID    string `json:"decision_id"`
	NoticeID      string `json:"notice_id"`
	SampleID      string `json:"sample_id"`
	TargetType    string `json:"target_type"`
	MerchantID    string `json:"merchant_id"`
	PayoutID      string `json:"payout_id"`
	PostingID     string `json:"posting_id"`
	AmountFen     int64  `json:"amount_fen"`
}

// New returns a marketplace that verifies deliveries with secret (the
// "whsec_…" secret Anxin returned when the webhook was created), reports
// through r, and reads the time from now.
func New(secret string, r Reporter, now func() time.Time) *Marketplace {
	return &Marketplace{secret: secret, report: r, now: now,
		listings: map[string]*listing{}, merchants: map[string]*merchant{},
		payouts: map[string]anxin.PayoutAck{}, seen: map[string]bool{}, counts: Counts{Ignored: map[string]int{}}}
}

// Seed stores the marketplace's merchants and listings (copies); the
// statuses they carry are the marketplace's own, before any action of
// Anxin's.
func (m *Marketplace) Seed(ms []*anxin.Merchant, ls []*anxin.Listing) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range ms {
		m.merchants[x.ID] = &merchant{m: *x, base: x.Status}
	}
	for _, x := range ls {
		m.listings[x.ID] = &listing{l: *x, base: x.Status}
	}
}

// Listing returns a copy of the marketplace's listing id, with its
// current status, and whether it exists.
func (m *Marketplace) Listing(id string) (anxin.Listing, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.listings[id]
	if !ok {
		return anxin.Listing{}, false
	}
	return l.l, true
}

// Merchant returns a copy of the marketplace's merchant id and whether it
// exists.
func (m *Marketplace) Merchant(id string) (anxin.Merchant, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, ok := m.merchants[id]
	if !ok {
		return anxin.Merchant{}, false
	}
	return x.m, true
}

// Statuses returns the status of every listing and every merchant.
func (m *Marketplace) Statuses() (listings, merchants map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	listings, merchants = make(map[string]string, len(m.listings)), make(map[string]string, len(m.merchants))
	for id, l := range m.listings {
		listings[id] = l.l.Status
	}
	for id, x := range m.merchants {
		merchants[id] = x.m.Status
	}
	return listings, merchants
}

// Paid returns the ids of the payouts the marketplace paid, sorted.
func (m *Marketplace) Paid() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.payouts))
	for id := range m.payouts {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Counts returns what the marketplace has done so far.
func (m *Marketplace) Counts() Counts {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.counts
	c.Ignored = make(map[string]int, len(m.counts.Ignored))
	for k, v := range m.counts.Ignored {
		c.Ignored[k] = v
	}
	return c
}

// ServeHTTP receives one delivery.
func (m *Marketplace) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Deliveries are POSTed.", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		m.reject(w, http.StatusRequestEntityTooLarge, "The body is over 1 MiB.")
		return
	}
	id := r.Header.Get(webhook.HeaderStandardID)
	tol := m.Tolerance
	if tol <= 0 {
		tol = webhook.DefaultTolerance
	}
	err = webhook.VerifyStandard(m.secret, id, r.Header.Get(webhook.HeaderStandardTimestamp), r.Header.Get(webhook.HeaderStandardSignature), body, m.now(), tol)
	if err != nil {
		status := http.StatusUnauthorized
		if anxin.KindOf(err) == anxin.Invalid {
			status = http.StatusBadRequest
		}
		m.reject(w, status, anxin.MessageOf(err))
		return
	}
	var env webhook.Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.ID != id || env.Type == "" {
		m.reject(w, http.StatusBadRequest, "The body is not a delivery envelope for this webhook id.")
		return
	}
	var p payload
	if len(env.Payload) > 0 && string(env.Payload) != "null" {
		if err := json.Unmarshal(env.Payload, &p); err != nil {
			m.reject(w, http.StatusBadRequest, "The payload is not a JSON object.")
			return
		}
	}
	status, msg := m.apply(r.Context(), &env, &p)
	if status != http.StatusOK {
		http.Error(w, msg, status)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (m *Marketplace) reject(w http.ResponseWriter, status int, msg string) {
	m.mu.Lock()
	m.counts.Rejected++
	m.mu.Unlock()
	http.Error(w, msg, status)
}

// apply applies one verified message under the lock: the change is worked
// out on copies, reported, and only then stored, so a failed report leaves
// everything as it was.
func (m *Marketplace) apply(ctx context.Context, env *webhook.Envelope, p *payload) (int, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[env.ID] {
		m.counts.Repeated++
		return http.StatusOK, ""
	}
	var err error
	counter := (*int)(nil)
	switch env.Type {
	case anxin.MessageDelistListing, anxin.MessageBanListing, anxin.MessageInterceptListing:
		counter = &m.counts.Delist
		err = m.changeListing(ctx, env.SubjectID, func(l *listing) { l.holds = append(l.holds, listingHold(env.Type, p)) })
	case anxin.MessageRestoreListing:
		counter = &m.counts.Lift
		err = m.changeListing(ctx, env.SubjectID, func(l *listing) { l.holds = release(l.holds, p) })
	case anxin.MessageRestrictMerchant, anxin.MessageShieldShop, anxin.MessageClearOutMerchant:
		counter = &m.counts.Restrict
		err = m.changeMerchant(ctx, env.SubjectID, func(x *merchant) { x.holds = append(x.holds, merchantHold(env.Type, p)) })
	case anxin.MessageReinstateMerchant, anxin.MessageReverseEnforcement:
		if env.Type == anxin.MessageReverseEnforcement && p.TargetType != anxin.SubjectMerchant {
			m.counts.Ignored[env.Type]++
			break
		}
		counter = &m.counts.Lift
		err = m.changeMerchant(ctx, env.SubjectID, func(x *merchant) { x.holds = release(x.holds, p) })
	case anxin.MessagePayBuyer:
		counter = &m.counts.Pay
		err = m.pay(ctx, p)
	default:
		m.counts.Ignored[env.Type]++
	}
	if err != nil {
		// Nothing was stored: Anxin retries the delivery.
		return http.StatusBadGateway, "The marketplace could not report the change to Anxin; nothing was applied."
	}
	if counter != nil {
		*counter++
	}
	m.seen[env.ID] = true
	return http.StatusOK, ""
}

// changeListing applies f to a copy of listing id, reports the copy, and
// stores it once reported. The report goes out even when the status stays
// (a second hold, or a restore that leaves another hold in force): the
// marketplace's record is the truth, whatever Anxin's mirror holds. A
// listing the marketplace does not have is left alone.
func (m *Marketplace) changeListing(ctx context.Context, id string, f func(*listing)) error {
	cur, ok := m.listings[id]
	if !ok {
		return nil
	}
	next := *cur
	next.holds = append([]hold(nil), cur.holds...)
	f(&next)
	next.l.Status, next.l.UpdatedAt = listingStatus(next.base, next.holds), m.now().UTC()
	if err := m.report.ReportListings(ctx, []*anxin.Listing{&next.l}); err != nil {
		return err
	}
	m.listings[id] = &next
	return nil
}

// changeMerchant is changeListing for merchants.
func (m *Marketplace) changeMerchant(ctx context.Context, id string, f func(*merchant)) error {
	cur, ok := m.merchants[id]
	if !ok {
		return nil
	}
	next := *cur
	next.holds = append([]hold(nil), cur.holds...)
	f(&next)
	next.m.Status, next.m.UpdatedAt = merchantStatus(next.base, next.holds), m.now().UTC()
	if err := m.report.ReportMerchants(ctx, []*anxin.Merchant{&next.m}); err != nil {
		return err
	}
	m.merchants[id] = &next
	return nil
}

// RefusePublish holds listing id off sale because Anxin's publish check
// answered block (decision decisionID, statement statementID): the
// synchronous half of the loop, where no webhook comes. The listing is
// reported as held; a later restore naming the decision or the statement
// releases it. A listing the marketplace does not have is left alone.
func (m *Marketplace) RefusePublish(ctx context.Context, id, decisionID, statementID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.listings[id]; !ok {
		return nil
	}
	err := m.changeListing(ctx, id, func(l *listing) {
		l.holds = append(l.holds, hold{kind: "intercept", decision: decisionID, statement: statementID})
	})
	if err == nil {
		m.counts.Refused++
	}
	return err
}

// pay pays the buyer and acknowledges the payout as paid with the posting
// and amount Anxin sent; with PayAfter, the payment is queued for Settle.
func (m *Marketplace) pay(ctx context.Context, p *payload) error {
	if p.PayoutID == "" || p.PostingID == "" {
		return errors.New("marketplace: buyer.pay without payout_id or posting_id")
	}
	ack := anxin.PayoutAck{Status: anxin.PayoutPaid, PostingID: p.PostingID, AmountFen: p.AmountFen}
	if m.PayAfter != nil {
		m.paying = append(m.paying, payment{id: p.PayoutID, ack: ack, due: m.now().Add(m.PayAfter(p.PayoutID))})
		return nil
	}
	if err := m.report.AckPayout(ctx, p.PayoutID, ack); err != nil {
		return err
	}
	m.payouts[p.PayoutID] = ack
	return nil
}

// Settle confirms to Anxin every queued payment whose time has come (all of
// them with all set) and returns how many it confirmed. A confirmation that
// fails stays queued for the next call.
func (m *Marketplace) Settle(ctx context.Context, all bool) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, n := m.now(), 0
	keep := m.paying[:0]
	var firstErr error
	for _, p := range m.paying {
		if firstErr != nil || (!all && p.due.After(now)) {
			keep = append(keep, p)
			continue
		}
		if err := m.report.AckPayout(ctx, p.id, p.ack); err != nil {
			firstErr = err
			keep = append(keep, p)
			continue
		}
		m.payouts[p.id] = p.ack
		n++
	}
	m.paying = keep
	return n, firstErr
}

func listingHold(typ string, p *payload) hold {
	h := hold{kind: "delist", statement: p.StatementID, action: p.Action, decision: p.DecisionID, notice: p.NoticeID, sid: p.SampleID}
	switch typ {
	case anxin.MessageBanListing:
		h.kind = "ban"
	case anxin.MessageInterceptListing:
		h.kind = "intercept"
	}
	return h
}

func merchantHold(typ string, p *payload) hold {
	h := hold{kind: "restrict", sanction: p.SanctionID, statement: p.StatementID, action: p.Action}
	switch typ {
	case anxin.MessageShieldShop:
		h.kind = "shield"
	case anxin.MessageClearOutMerchant:
		h.kind = "clear"
	}
	return h
}

// release removes the holds a restore, reinstate or reversal names: the
// same sanction (or enforcement), the same rights-holder notice, a sampling
// interception (a retest's restore names the retest, not the first
// sample), the same statement and action, or the same decision.
func release(hs []hold, p *payload) []hold {
	out := hs[:0:0]
	for _, h := range hs {
		match := h.sanction != "" && (h.sanction == p.SanctionID || h.sanction == p.EnforcementID) ||
			h.notice != "" && h.notice == p.NoticeID ||
			h.sid != "" && p.SampleID != "" ||
			h.statement != "" && h.statement == p.StatementID && (p.Action == "" || h.action == p.Action) ||
			h.decision != "" && h.decision == p.DecisionID
		if !match {
			out = append(out, h)
		}
	}
	return out
}

// listingStatus is a listing's status under its holds: banned, delisted or
// held (publish intercepted), the strictest first, or its own.
func listingStatus(base string, hs []hold) string {
	rank := map[string]int{"intercept": 1, "delist": 2, "ban": 3}
	best := 0
	for _, h := range hs {
		best = max(best, rank[h.kind])
	}
	switch best {
	case 3:
		return "banned"
	case 2:
		return "delisted"
	case 1:
		return "held"
	}
	return base
}

// merchantStatus is a merchant's status under its holds: cleared, then
// restricted (listing restriction or shielded shop), or its own.
func merchantStatus(base string, hs []hold) string {
	st := base
	for _, h := range hs {
		switch {
		case h.kind == "clear":
			return "cleared"
		case st != "cleared":
			st = "restricted"
		}
	}
	return st
}
