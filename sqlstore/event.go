package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"anxin"
)

// EventService ingests marketplace life-cycle events into the event log and
// the mirror. It is safe for concurrent use, also from several processes on
// one PostgreSQL database: ingests run side by side and lock only the rows
// they touch, always in key order (see "Concurrent writers" in
// marketplace_batch.go).
type EventService struct{ db *DB }

// NewEventService returns an EventService on db. Hooks registered on db with
// AddEventHook run inside every ingest.
func NewEventService(db *DB) *EventService { return &EventService{db: db} }

var _ anxin.EventService = (*EventService)(nil)

var eventInsert = batch{
	head: `INSERT INTO events (id, type, subject_id, occurred_at, received_at, data)`,
	tail: `ON CONFLICT (id) DO NOTHING RETURNING id`,
	cols: 6,
}

// IngestEvents validates the whole batch (Invalid with one ItemError per bad
// event, or TooLarge over anxin.MaxBatch, and nothing stored), then in one
// transaction stores the events whose ids are new, applies them to the
// mirror and runs the registered hooks with them. Events already stored
// count as duplicates and change nothing, so a marketplace may retry a batch
// freely. Forbidden without marketplace.write.
//
// Mirror effects, all monotonic so events may arrive in any order:
// order.created upserts the order's body; order.paid, .shipped, .delivered
// and .cancelled set the timestamp (earliest wins) and advance the status,
// creating a placeholder order if order.created has not arrived yet;
// order.shipped with a shipment_id records the shipment; shipment.scanned
// records the shipment and appends the scan; aftersale.* upserts the
// request and advances its status.
func (s *EventService) IngestEvents(ctx context.Context, events []*anxin.Event) (res anxin.IngestResult, err error) {
	if err := anxin.Authorize(ctx, anxin.ActionWriteMarketplace); err != nil {
		return res, err
	}
	if err := anxin.ValidateEvents(events); err != nil {
		return res, err
	}
	res.Received = len(events)
	var fresh []*anxin.Event
	err = s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		if fresh, err = insertEvents(ctx, tx, events); err != nil {
			return err
		}
		if len(fresh) == 0 {
			return nil
		}
		if err := applyEvents(ctx, tx, fresh); err != nil {
			return err
		}
		// Ledger balances the hooks change are written once per account,
		// in account order, just before commit: a hot account such as
		// external:payments is locked for the end of the transaction only,
		// and concurrent ingests lock balances in one order.
		tx.deferBalances()
		for _, h := range s.db.eventHooks {
			if err := h(ctx, tx, fresh); err != nil {
				return err
			}
		}
		return tx.flushBalances(ctx)
	})
	if err != nil {
		return anxin.IngestResult{}, err
	}
	res.Stored = len(fresh)
	res.Duplicates = res.Received - res.Stored
	res.StoredByType = make(map[string]int)
	for _, e := range fresh {
		res.StoredByType[e.Type]++
	}
	return res, nil
}

// insertEvents stores events with ON CONFLICT DO NOTHING and returns the ones
// that were new, in batch order. Rows go in id order: an ingest waiting on
// another's uncommitted copy of an event then never holds an id the other
// still has to insert.
func insertEvents(ctx context.Context, tx *Tx, events []*anxin.Event) ([]*anxin.Event, error) {
	now := ms(tx.Now)
	stored := make(map[string]struct{}, len(events))
	sorted := slices.SortedFunc(slices.Values(events), func(a, b *anxin.Event) int { return strings.Compare(a.ID, b.ID) })
	err := eventInsert.query(ctx, tx, len(sorted), func(a []any, i int) []any {
		e := sorted[i]
		return append(a, e.ID, e.Type, e.SubjectID(), ms(e.OccurredAt), now, string(e.Data))
	}, func(r *sql.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		stored[id] = struct{}{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(stored) == len(events) {
		return events, nil
	}
	fresh := make([]*anxin.Event, 0, len(stored))
	for _, e := range events {
		if _, ok := stored[e.ID]; ok {
			fresh = append(fresh, e)
		}
	}
	return fresh, nil
}

// applyEvents applies validated, newly stored events to the mirror.
func applyEvents(ctx context.Context, tx *Tx, events []*anxin.Event) error {
	var orders orderMerge
	var afterSales []*anxin.AfterSale
	var ships shipmentMerge
	for _, e := range events {
		switch {
		case e.Order != nil:
			orders.add(orderRowOf(e.Order, e.OccurredAt))
		case e.OrderRef != nil:
			at := e.OccurredAt
			o := &anxin.Order{ID: e.OrderRef.OrderID, CreatedAt: at}
			switch e.Type {
			case anxin.EventOrderPaid:
				o.Status, o.PaidAt = anxin.OrderPaid, &at
			case anxin.EventOrderShipped:
				o.Status, o.ShippedAt = anxin.OrderShipped, &at
				if id := e.OrderRef.ShipmentID; id != "" {
					ships.touch(id, o.ID, e.OrderRef.Carrier, e.OrderRef.TrackingNo, "")
				}
			case anxin.EventOrderDelivered:
				o.Status, o.DeliveredAt = anxin.OrderDelivered, &at
			case anxin.EventOrderCancelled:
				o.Status, o.CancelledAt = anxin.OrderCancelled, &at
			}
			orders.add(&orderRow{o: o})
		case e.Scan != nil:
			sc := e.Scan
			ships.touch(sc.ShipmentID, sc.OrderID, sc.Carrier, "", "")
			ships.scan(sc.ShipmentID, sc.Code, ms(e.OccurredAt), sc.Location)
		case e.AfterSale != nil:
			afterSales = append(afterSales, e.AfterSale)
		}
	}
	if len(orders.rows) > 0 {
		if err := upsertOrderRows(ctx, tx, orders.rows); err != nil {
			return err
		}
	}
	if len(afterSales) > 0 {
		if err := upsertAfterSales(ctx, tx, afterSales); err != nil {
			return err
		}
	}
	return ships.write(ctx, tx)
}
