package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"anxin"
	"anxin/ledger"
	"anxin/protection"
)

// Job kinds of buyer protection. Register each with its handler on the
// JobRunner (see ProtectionService.RegisterJobs).
const (
	JobLateShipment    = "protection.late_shipment"  // at the promised ship time: no pickup scan → compensation
	JobLostCheck       = "protection.lost_check"     // N days after a scan: no later scan → lost-parcel claim
	JobClaimDeadline   = "protection.claim_deadline" // the merchant's response window closes
	defaultShipPromise = 48 * time.Hour              // the ship-by promise a listing carries unless it says otherwise
)

// RegisterJobs registers the protection job handlers on r.
func (s *ProtectionService) RegisterJobs(r *JobRunner) {
	r.Handle(JobLateShipment, s.handleLateShipment)
	r.Handle(JobLostCheck, s.handleLostCheck)
	r.Handle(JobClaimDeadline, s.handleClaimDeadline)
}

// OnEvents reacts to newly stored marketplace events inside the transaction
// that stores them: order.paid records coverage, books the escrow and
// schedules the late-shipment check at the promised ship time;
// order.delivered settles the escrow to the merchant's pending balance;
// shipment.scanned with code lost opens a lost-parcel claim and any other
// scan (re)arms the no-scan check; aftersale.returned marks a return as
// picked up for refund-on-pickup claims. Orders not in the mirror are
// skipped. The programmes are read once per call, not once per event.
//
// Inside an ingest (ledger balances deferred) the events go set-based, a
// run of payments, deliveries and ordinary scans at a time (onRun); a lost
// scan or a returned after-sale, which files or decides claims, goes on its
// own between runs, so every event sees what the events before it did.
func (s *ProtectionService) OnEvents(ctx context.Context, tx *Tx, events []*anxin.Event) error {
	progs := new(programmeCache)
	if _, deferred := pendingBalances.get(tx); !deferred {
		for _, e := range events {
			if err := s.onEvent(ctx, tx, progs, e); err != nil {
				return err
			}
		}
		return nil
	}
	start := 0
	for i, e := range events {
		if inRun(e) {
			continue
		}
		if err := s.onRun(ctx, tx, progs, events[start:i]); err != nil {
			return err
		}
		if err := s.onEvent(ctx, tx, progs, e); err != nil {
			return err
		}
		start = i + 1
	}
	return s.onRun(ctx, tx, progs, events[start:])
}

// onEvent is OnEvents for one event.
func (s *ProtectionService) onEvent(ctx context.Context, tx *Tx, progs *programmeCache, e *anxin.Event) error {
	switch e.Type {
	case anxin.EventOrderPaid:
		return s.coverOrder(ctx, tx, progs, e.SubjectID(), e.OccurredAt)
	case anxin.EventOrderDelivered:
		return settleEscrow(ctx, tx, e.SubjectID())
	case anxin.EventShipmentScanned:
		return s.onScan(ctx, tx, progs, e.Scan, e.OccurredAt)
	case anxin.EventAfterSaleReturned:
		return s.onReturnPickup(ctx, tx, e.SubjectID())
	}
	return nil
}

// programmeCache holds the protection programmes one hook call reads: the
// latest version of every programme, read once, and the versions orders
// were covered by. Programme versions are never updated (a change is a new
// version), so a version read once stays right for the transaction.
type programmeCache struct {
	latest   []*protection.Programme
	loaded   bool
	versions map[programmeKey]*protection.Programme
}

type programmeKey struct {
	id      string
	version int
}

// current returns the latest version of every programme.
func (c *programmeCache) current(ctx context.Context, tx *Tx) ([]*protection.Programme, error) {
	if c.loaded {
		return c.latest, nil
	}
	rows, err := tx.queryCached(ctx, `SELECT p.config, p.version, p.active FROM protection_programmes p
		WHERE p.version = (SELECT MAX(version) FROM protection_programmes q WHERE q.id = p.id) ORDER BY p.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var progs []*protection.Programme
	for rows.Next() {
		var cfg string
		p := new(protection.Programme)
		if err := rows.Scan(&cfg, &p.Version, &p.Active); err != nil {
			return nil, err
		}
		v, a := p.Version, p.Active
		if err := json.Unmarshal([]byte(cfg), p); err != nil {
			return nil, err
		}
		p.Version, p.Active = v, a
		progs = append(progs, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.latest, c.loaded = progs, true
	return progs, nil
}

// version returns programme id at version v; a nil cache reads it.
func (c *programmeCache) version(ctx context.Context, tx *Tx, id string, v int) (*protection.Programme, error) {
	if c == nil {
		return programmeVersion(ctx, tx, id, v)
	}
	k := programmeKey{id, v}
	if p := c.versions[k]; p != nil {
		return p, nil
	}
	p, err := programmeVersion(ctx, tx, id, v)
	if err != nil {
		return nil, err
	}
	if c.versions == nil {
		c.versions = map[programmeKey]*protection.Programme{}
	}
	c.versions[k] = p
	return p, nil
}

var coverageInsert = batch{
	head: `INSERT INTO order_coverage (order_id, programme_id, programme_version, covered_at)`,
	tail: `ON CONFLICT (order_id, programme_id) DO NOTHING`,
	cols: 4,
}

// coverOrder records, once, which programme versions cover a paid order.
func (s *ProtectionService) coverOrder(ctx context.Context, tx *Tx, c *programmeCache, orderID string, paidAt time.Time) error {
	f, err := loadFacts(ctx, tx, orderID)
	if anxin.KindOf(err) == anxin.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if f.order.PaidAt != nil {
		paidAt = *f.order.PaidAt
	}
	progs, err := c.current(ctx, tx)
	if err != nil {
		return err
	}
	var covers []*protection.Programme
	for _, p := range progs {
		if protection.Covers(p, &f.order, f.enrolled[p.ID], f.standing) {
			covers = append(covers, p)
		}
	}
	if err := coverageInsert.exec(ctx, tx, len(covers), func(a []any, i int) []any {
		return append(a, orderID, covers[i].ID, covers[i].Version, ms(paidAt))
	}); err != nil {
		return err
	}
	for _, p := range covers {
		if late(p) {
			if err := Schedule(ctx, tx, JobLateShipment, orderID+":"+p.ID, lateDue(f, paidAt), map[string]string{"order_id": orderID, "programme_id": p.ID}); err != nil {
				return err
			}
		}
	}
	p, ok, err := escrowPosting(f)
	if !ok || err != nil {
		return err
	}
	_, err = appendPosting(ctx, tx, "escrow", "escrow:"+orderID, p)
	return err
}

// triggeredBy reports whether programme p opens claims on event.
func triggeredBy(p *protection.Programme, event string) bool {
	return p.Trigger.Type == "event" && p.Trigger.Event == event
}

// late reports whether programme p compensates an order not picked up by
// its promised ship time.
func late(p *protection.Programme) bool { return triggeredBy(p, protection.EventNoPickupByPromise) }

// lateDue is when the late-shipment check of an order paid at paidAt runs.
func lateDue(f *orderFacts, paidAt time.Time) time.Time {
	if f.promised != nil {
		return fromMS(*f.promised)
	}
	return paidAt.Add(defaultShipPromise)
}

// escrowPosting is the posting that holds a paid order's amount in escrow;
// ok is false for an order with nothing to hold or a currency Anxin does
// not book.
func escrowPosting(f *orderFacts) (p ledger.Posting, ok bool, err error) {
	if f.order.TotalFen <= 0 || ledger.ValidCurrency(f.currency) != nil {
		return p, false, nil
	}
	p, err = ledger.Transfer(f.currency, ledger.External("payments"), ledger.OrderEscrow(f.order.ID), f.order.TotalFen, "buyer payment held in escrow")
	return p, true, ledgerError(err)
}

// settlePosting is the posting that moves what is left in an order's
// escrow to the merchant's pending settlement.
func settlePosting(orderID, merchant, currency string, left int64) (ledger.Posting, error) {
	p, err := ledger.Transfer(currency, ledger.OrderEscrow(orderID), ledger.Owned(ledger.KindMerchantPending, merchant), left, "order delivered: escrow to pending settlement")
	return p, ledgerError(err)
}

// lostCheck is the no-scan check a scan at at arms for programme p.
func lostCheck(orderID string, at time.Time, p *protection.Programme) (key string, due time.Time, payload map[string]any) {
	due = at.Add(time.Duration(p.Trigger.LostAfterDays) * 24 * time.Hour)
	key = orderID + "@" + time.UnixMilli(ms(at)).UTC().Format("20060102T150405.000")
	return key, due, map[string]any{"order_id": orderID, "scan_at": ms(at)}
}

// settleEscrow moves what is left of an order's escrow to the merchant's
// pending settlement once the order is delivered.
func settleEscrow(ctx context.Context, tx *Tx, orderID string) error {
	var merchant, currency string
	if err := tx.queryRowCached(ctx, `SELECT merchant_id, currency FROM orders WHERE id = ?`, orderID).Scan(&merchant, &currency); err != nil {
		return nil // not mirrored: nothing to settle
	}
	if ledger.ValidCurrency(currency) != nil || merchant == "" {
		return nil
	}
	left, err := balance(ctx, tx, ledger.OrderEscrow(orderID), currency, true)
	if err != nil || left <= 0 {
		return err
	}
	p, err := settlePosting(orderID, merchant, currency, left)
	if err != nil {
		return err
	}
	_, err = appendPosting(ctx, tx, "settle", "settle:"+orderID, p)
	return err
}

func (s *ProtectionService) onScan(ctx context.Context, tx *Tx, c *programmeCache, sc *anxin.ScanEvent, at time.Time) error {
	if sc == nil {
		return nil
	}
	switch sc.Code {
	case "lost":
		return s.triggerEvent(ctx, tx, c, sc.OrderID, protection.EventParcelLost, "lost")
	case "delivered", "returned":
		return nil
	}
	ps, err := s.eventProgrammes(ctx, tx, c, sc.OrderID, protection.EventParcelLost)
	if err != nil {
		return err
	}
	for _, p := range ps {
		key, due, payload := lostCheck(sc.OrderID, at, p)
		if err := Schedule(ctx, tx, JobLostCheck, key, due, payload); err != nil {
			return err
		}
	}
	return nil
}

// eventProgrammes returns the programme versions that covered the order and
// are triggered by event, through cache c (which may be nil).
func (s *ProtectionService) eventProgrammes(ctx context.Context, tx *Tx, c *programmeCache, orderID, event string) ([]*protection.Programme, error) {
	rows, err := tx.queryCached(ctx, `SELECT programme_id, programme_version FROM order_coverage WHERE order_id = ?`, orderID)
	if err != nil {
		return nil, err
	}
	type pv struct {
		id string
		v  int
	}
	var cov []pv
	for rows.Next() {
		var x pv
		if err := rows.Scan(&x.id, &x.v); err != nil {
			rows.Close()
			return nil, err
		}
		cov = append(cov, x)
	}
	rows.Close()
	var out []*protection.Programme
	for _, x := range cov {
		p, err := c.version(ctx, tx, x.id, x.v)
		if err != nil {
			return nil, err
		}
		if triggeredBy(p, event) {
			out = append(out, p)
		}
	}
	return out, nil
}

// triggerEvent opens (once per order and programme) a claim for every
// covering programme triggered by event; c may be nil.
func (s *ProtectionService) triggerEvent(ctx context.Context, tx *Tx, c *programmeCache, orderID, event, claimType string) error {
	ps, err := s.eventProgrammes(ctx, tx, c, orderID, event)
	if err != nil {
		return err
	}
	var buyer string
	if len(ps) > 0 {
		if err := tx.queryRowCached(ctx, `SELECT buyer_id FROM orders WHERE id = ?`, orderID).Scan(&buyer); err != nil {
			return err
		}
	}
	for _, p := range ps {
		var n int
		if err := tx.queryRowCached(ctx, `SELECT COUNT(*) FROM claims WHERE order_id = ? AND programme_id = ?`, orderID, p.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue // exactly once per order
		}
		typ := protection.ClaimNotReceived
		if event == protection.EventNoPickupByPromise {
			typ = protection.ClaimLateShipment
		}
		in := anxin.ClaimInput{Key: p.ID + ":" + orderID, OrderID: orderID, BuyerID: buyer, ProgrammeID: p.ID, Type: typ}
		if _, _, err := s.fileClaim(ctx, tx, in, "event"); err != nil {
			return err
		}
	}
	return nil
}

type orderJob struct {
	OrderID     string `json:"order_id"`
	ProgrammeID string `json:"programme_id"`
	ScanAt      int64  `json:"scan_at"`
	ClaimID     string `json:"claim_id"`
}

// handleLateShipment runs at the promised ship time: an order that is not
// cancelled and has no carrier pickup scan by then is compensated.
func (s *ProtectionService) handleLateShipment(ctx context.Context, tx *Tx, job *anxin.Job) error {
	var j orderJob
	if err := json.Unmarshal(job.Payload, &j); err != nil {
		return err
	}
	f, err := loadFacts(ctx, tx, j.OrderID)
	if err != nil {
		return err
	}
	if f.order.CancelledAt != nil || (f.order.PickupAt != nil && !f.order.PickupAt.After(job.RunAt)) {
		return nil
	}
	return s.triggerEvent(ctx, tx, nil, j.OrderID, protection.EventNoPickupByPromise, "late")
}

// handleLostCheck runs N days after a scan: if the order is still not
// delivered and no later scan arrived, the parcel is treated as lost.
func (s *ProtectionService) handleLostCheck(ctx context.Context, tx *Tx, job *anxin.Job) error {
	var j orderJob
	if err := json.Unmarshal(job.Payload, &j); err != nil {
		return err
	}
	f, err := loadFacts(ctx, tx, j.OrderID)
	if err != nil {
		return err
	}
	if f.order.SignedAt != nil || f.order.CancelledAt != nil {
		return nil
	}
	var last *int64
	if err := tx.queryRowCached(ctx, `SELECT MAX(sc.at) FROM shipment_scans sc JOIN shipments sh ON sh.id = sc.shipment_id WHERE sh.order_id = ?`, j.OrderID).Scan(&last); err != nil {
		return err
	}
	if last != nil && *last > j.ScanAt {
		return nil // a later scan armed its own check
	}
	return s.triggerEvent(ctx, tx, nil, j.OrderID, protection.EventParcelLost, "no_scan")
}

func (s *ProtectionService) handleClaimDeadline(ctx context.Context, tx *Tx, job *anxin.Job) error {
	var j orderJob
	if err := json.Unmarshal(job.Payload, &j); err != nil {
		return err
	}
	return s.adjudicate(ctx, tx, j.ClaimID)
}

// onReturnPickup marks the order's open claims as having a collected return
// and re-adjudicates them (闪电退货 pays on pickup).
func (s *ProtectionService) onReturnPickup(ctx context.Context, tx *Tx, orderID string) error {
	ids, err := scanIDs(tx.queryCached(ctx, `SELECT id FROM claims WHERE order_id = ? AND status = ?`, orderID, anxin.ClaimOpen))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.execCached(ctx, `UPDATE claims SET return_picked_up = 1, updated_at = ? WHERE id = ?`, ms(tx.Now), id); err != nil {
			return err
		}
		if err := s.adjudicate(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}
