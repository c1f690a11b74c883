package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)

func ev(id, typ string, at time.Time, data any) *anxin.Event {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return &anxin.Event{ID: id, Type: typ, OccurredAt: at, Data: b}
}

func created(id, order, merchant string, at time.Time) *anxin.Event {
	return ev(id, anxin.EventOrderCreated, at, map[string]any{"id": order, "merchant_id": merchant, "buyer_id": "b_1",
		"items": []map[string]any{{"listing_id": "l_1", "quantity": 1, "unit_price_fen": 500}}})
}

func ref(id, typ, order string, at time.Time) *anxin.Event {
	return ev(id, typ, at, map[string]any{"order_id": order})
}

// snapshot dumps the mirror and the event log as text, to prove that a
// call changed nothing.
func snapshot(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, type, subject_id, occurred_at, received_at, data FROM events ORDER BY id`,
		`SELECT id, merchant_id, buyer_id, items, total_fen, status, created_at, paid_at, shipped_at, delivered_at, cancelled_at, updated_at FROM orders ORDER BY id`,
		`SELECT id, order_id, carrier, tracking_no, status, updated_at FROM shipments ORDER BY id`,
		`SELECT shipment_id, seq, code, at, location FROM shipment_scans ORDER BY shipment_id, seq`,
		`SELECT id, order_id, kind, reason, amount_fen, status, created_at, updated_at FROM aftersales ORDER BY id`,
		`SELECT id, name FROM merchants ORDER BY id`,
	} {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

func TestIngestEventsAppliesMirror(t *testing.T) {
	clock := anxintest.NewClock(t0.Add(72 * time.Hour))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := platform
		es := sqlstore.NewEventService(db)
		ms := sqlstore.NewMarketplaceService(db)
		// Out of order: o_1 is paid and shipped before it is created (in a
		// later batch); o_2 is cancelled, then a stale paid arrives.
		batch1 := []*anxin.Event{
			ref("e_paid1", anxin.EventOrderPaid, "o_1", t0.Add(10*time.Minute)),
			ev("e_ship1", anxin.EventOrderShipped, t0.Add(20*time.Hour), map[string]any{"order_id": "o_1", "shipment_id": "s_1", "carrier": "SF", "tracking_no": "SF123"}),
			ev("e_scan2", anxin.EventShipmentScanned, t0.Add(30*time.Hour), map[string]any{"shipment_id": "s_1", "order_id": "o_1", "code": "in_transit", "location": hostile}),
			ev("e_scan1", anxin.EventShipmentScanned, t0.Add(21*time.Hour), map[string]any{"shipment_id": "s_1", "order_id": "o_1", "code": "pickup"}),
			created("e_c2", "o_2", "m_2", t0),
			ref("e_cancel2", anxin.EventOrderCancelled, "o_2", t0.Add(time.Hour)),
			ev("e_as1", anxin.EventAfterSaleRefunded, t0.Add(50*time.Hour), map[string]any{"id": "as_1", "order_id": "o_2", "kind": "refund_only", "amount_fen": 500}),
		}
		res, err := es.IngestEvents(ctx, batch1)
		if err != nil {
			t.Fatalf("IngestEvents(batch1) = %v", err)
		}
		if res.Received != 7 || res.Stored != 7 || res.Duplicates != 0 {
			t.Errorf("IngestEvents(batch1) = %+v; want 7 received, 7 stored", res)
		}
		o1, err := ms.FindOrder(operator, "o_1")
		if err != nil {
			t.Fatalf("FindOrder(o_1) after paid-before-created = %v; want the placeholder order", err)
		}
		if o1.Status != anxin.OrderShipped || o1.PaidAt == nil || !o1.PaidAt.Equal(t0.Add(10*time.Minute)) || o1.MerchantID != "" {
			t.Errorf("placeholder o_1 = %+v; want shipped, paid at +10m, no merchant yet", o1)
		}
		batch2 := []*anxin.Event{
			created("e_c1", "o_1", "m_1", t0),
			ref("e_paid2", anxin.EventOrderPaid, "o_2", t0.Add(30*time.Minute)), // stale: o_2 is cancelled
			ev("e_as0", anxin.EventAfterSaleRequested, t0.Add(40*time.Hour), map[string]any{"id": "as_1", "order_id": "o_2", "kind": "refund_only", "reason": hostile}),
			ref("e_deliv1", anxin.EventOrderDelivered, "o_1", t0.Add(40*time.Hour)),
		}
		if res, err := es.IngestEvents(ctx, batch2); err != nil || res.Stored != 4 {
			t.Fatalf("IngestEvents(batch2) = %+v, %v; want 4 stored", res, err)
		}
		o1, _ = ms.FindOrder(operator, "o_1")
		want1 := &anxin.Order{ID: "o_1", MerchantID: "m_1", BuyerID: "b_1", Items: []anxin.OrderItem{{ListingID: "l_1", Quantity: 1, UnitPriceFen: 500}},
			TotalFen: 500, Currency: "CNY", Status: anxin.OrderDelivered, CreatedAt: t0, PaidAt: tp(t0.Add(10 * time.Minute)),
			ShippedAt: tp(t0.Add(20 * time.Hour)), DeliveredAt: tp(t0.Add(40 * time.Hour)), UpdatedAt: clock.Now()}
		if diff := cmp.Diff(want1, o1); diff != "" {
			t.Errorf("o_1 after out-of-order events mismatch (-want +got):\n%s", diff)
		}
		o2, _ := ms.FindOrder(operator, "o_2")
		if o2.Status != anxin.OrderCancelled || o2.PaidAt == nil || o2.CancelledAt == nil {
			t.Errorf("o_2 = status %s paid %v cancelled %v; want cancelled with both timestamps", o2.Status, o2.PaidAt, o2.CancelledAt)
		}
		sh, err := ms.FindShipment(operator, "s_1")
		if err != nil {
			t.Fatal(err)
		}
		wantShip := &anxin.Shipment{ID: "s_1", OrderID: "o_1", Carrier: "SF", TrackingNo: "SF123", Status: "in_transit", UpdatedAt: clock.Now(),
			Events: []anxin.CarrierEvent{{Code: "pickup", At: t0.Add(21 * time.Hour)}, {Code: "in_transit", At: t0.Add(30 * time.Hour), Location: hostile}}}
		if diff := cmp.Diff(wantShip, sh); diff != "" {
			t.Errorf("s_1 mismatch (-want +got):\n%s", diff)
		}
		var asStatus, asReason string
		var asAmount int64
		db.QueryRowContext(context.Background(), `SELECT status, reason, amount_fen FROM aftersales WHERE id = 'as_1'`).Scan(&asStatus, &asReason, &asAmount)
		if asStatus != "refunded" || asReason != hostile || asAmount != 500 {
			t.Errorf("as_1 = %s, %q, %d; want refunded (not back to requested), the reason verbatim, 500", asStatus, asReason, asAmount)
		}
		tl, err := ms.FindOrderTimeline(operator, "o_1")
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, e := range tl {
			steps = append(steps, e.Source+":"+e.Type)
		}
		wantSteps := []string{"event:order.created", "event:order.paid", "event:order.shipped", "event:shipment.scanned", "scan:pickup",
			"event:shipment.scanned", "scan:in_transit", "event:order.delivered"}
		if diff := cmp.Diff(wantSteps, steps); diff != "" {
			t.Errorf("timeline(o_1) mismatch (-want +got):\n%s", diff)
		}

		// Replaying everything stores nothing and changes nothing.
		before := snapshot(t, db)
		clock.Set(clock.Now().Add(time.Hour))
		res, err = es.IngestEvents(ctx, append(append([]*anxin.Event{}, batch1...), batch2...))
		if err != nil || res.Received != 11 || res.Stored != 0 || res.Duplicates != 11 {
			t.Errorf("replay = %+v, %v; want 11 duplicates", res, err)
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("replay changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

func TestIngestEventsRejectsWholeBatch(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		es := sqlstore.NewEventService(db)
		good := created("e_good", "o_1", "m_1", t0)
		tests := []struct {
			name    string
			ctx     context.Context
			events  []*anxin.Event
			want    anxin.Kind
			wantIdx []int
		}{
			{"unknown type", platform, []*anxin.Event{good, ev("e_x", "order.teleported", t0, map[string]any{"order_id": "o_1"})}, anxin.Invalid, []int{1}},
			{"duplicate id in batch", platform, []*anxin.Event{good, ref("e_good", anxin.EventOrderPaid, "o_1", t0)}, anxin.Invalid, []int{1}},
			{"negative amount", platform, []*anxin.Event{good, ev("e_as", anxin.EventAfterSaleRequested, t0, map[string]any{"id": "a", "order_id": "o", "kind": "refund_only", "amount_fen": -5})}, anxin.Invalid, []int{1}},
			{"overflowing amount", platform, []*anxin.Event{ev("e_big", anxin.EventOrderCreated, t0, map[string]any{"id": "o_9", "merchant_id": "m", "buyer_id": "b",
				"items": []map[string]any{{"listing_id": "l", "quantity": 1000000, "unit_price_fen": int64(anxin.MaxAmountFen)}}}), good}, anxin.Invalid, []int{0}},
			{"wrong payload type", platform, []*anxin.Event{good, ev("e_w", anxin.EventOrderPaid, t0, map[string]any{"order_id": 12})}, anxin.Invalid, []int{1}},
			{"unknown payload field", platform, []*anxin.Event{ev("e_u", anxin.EventOrderPaid, t0, map[string]any{"order_id": "o", "sql": "1"}), good}, anxin.Invalid, []int{0}},
			{"bad id", platform, []*anxin.Event{ref("e 1; DROP", anxin.EventOrderPaid, "o", t0)}, anxin.Invalid, []int{0}},
			{"missing time", platform, []*anxin.Event{ref("e_t", anxin.EventOrderPaid, "o", time.Time{})}, anxin.Invalid, []int{0}},
			{"null event", platform, []*anxin.Event{good, nil}, anxin.Invalid, []int{1}},
			{"empty", platform, nil, anxin.Invalid, nil},
			{"too many", platform, make([]*anxin.Event, anxin.MaxBatch+1), anxin.TooLarge, nil},
			{"no actor", context.Background(), []*anxin.Event{good}, anxin.Unauthorized, nil},
			{"operator may not post", operator, []*anxin.Event{good}, anxin.Forbidden, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := es.IngestEvents(tt.ctx, tt.events)
				if anxin.KindOf(err) != tt.want {
					t.Fatalf("IngestEvents = %+v, %v; want kind %s", res, err, tt.want)
				}
				var idx []int
				if e, ok := err.(*anxin.Error); ok {
					for _, d := range e.Details {
						idx = append(idx, d.Index)
					}
				}
				if diff := cmp.Diff(tt.wantIdx, idx); diff != "" {
					t.Errorf("detail indexes mismatch (-want +got):\n%s", diff)
				}
			})
		}
		for _, table := range []string{"events", "orders", "shipments", "shipment_scans", "aftersales"} {
			if n := countRows(t, db, table); n != 0 {
				t.Errorf("%s has %d rows after rejected batches; want 0", table, n)
			}
		}
	})
}

func TestIngestEventsHooks(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		var seen [][]string
		fail := false
		db.AddEventHook(func(ctx context.Context, tx *sqlstore.Tx, events []*anxin.Event) error {
			var ids []string
			for _, e := range events {
				ids = append(ids, e.ID)
				// the hook writes in the ingest transaction
				if err := sqlstore.Schedule(ctx, tx, "test.hook", e.ID, tx.Now, nil); err != nil {
					return err
				}
			}
			seen = append(seen, ids)
			if fail {
				return anxin.Errorf(anxin.Unavailable, "hook down")
			}
			return nil
		})
		es := sqlstore.NewEventService(db)
		if _, err := es.IngestEvents(platform, []*anxin.Event{created("e_1", "o_1", "m", t0), ref("e_2", anxin.EventOrderPaid, "o_1", t0)}); err != nil {
			t.Fatal(err)
		}
		// e_1 is a duplicate now: the hook sees only e_3.
		if _, err := es.IngestEvents(platform, []*anxin.Event{created("e_1", "o_1", "m", t0), ref("e_3", anxin.EventOrderShipped, "o_1", t0)}); err != nil {
			t.Fatal(err)
		}
		// All duplicates: the hook is not called.
		if _, err := es.IngestEvents(platform, []*anxin.Event{created("e_1", "o_1", "m", t0)}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]string{{"e_1", "e_2"}, {"e_3"}}, seen); diff != "" {
			t.Errorf("hook calls mismatch (-want +got):\n%s", diff)
		}
		// A failing hook rolls back the events, the mirror and its own writes.
		before := snapshot(t, db)
		fail = true
		if _, err := es.IngestEvents(platform, []*anxin.Event{ref("e_4", anxin.EventOrderDelivered, "o_1", t0)}); anxin.KindOf(err) != anxin.Unavailable {
			t.Fatalf("IngestEvents with failing hook = %v; want the hook's Unavailable", err)
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("a failed hook left changes:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if n := countRows(t, db, "jobs"); n != 3 {
			t.Errorf("jobs = %d; want 3 (the failed ingest's job rolled back)", n)
		}
	})
}

// TestIngestEventsLargeBatch crosses the chunk sizes and puts several events
// for one order in one batch, which must go in separate upsert rounds.
func TestIngestEventsLargeBatch(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(t0), func(t *testing.T, db *sqlstore.DB) {
		events := mixedBatch(0, 1337)
		es := sqlstore.NewEventService(db)
		res, err := es.IngestEvents(platform, events)
		if err != nil || res.Stored != len(events) {
			t.Fatalf("IngestEvents(%d) = %+v, %v", len(events), res, err)
		}
		var orders, paid, shipped, delivered, scans int
		ctx := context.Background()
		db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(paid_at), COUNT(shipped_at), COUNT(delivered_at) FROM orders`).Scan(&orders, &paid, &shipped, &delivered)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM shipment_scans`).Scan(&scans)
		var nCreated, nPaid, nShipped, nDelivered, nScans int
		for _, e := range events {
			switch e.Type {
			case anxin.EventOrderCreated:
				nCreated++
			case anxin.EventOrderPaid:
				nPaid++
			case anxin.EventOrderShipped:
				nShipped++
			case anxin.EventOrderDelivered:
				nDelivered++
			case anxin.EventShipmentScanned:
				nScans++
			}
		}
		if orders != nCreated || paid != nPaid || shipped != nShipped || delivered != nDelivered || scans != nScans {
			t.Errorf("orders, paid, shipped, delivered, scans = %d %d %d %d %d; want %d %d %d %d %d",
				orders, paid, shipped, delivered, scans, nCreated, nPaid, nShipped, nDelivered, nScans)
		}
		if res, _ := es.IngestEvents(platform, events[:600]); res.Duplicates != 600 {
			t.Errorf("replaying 600 = %+v; want 600 duplicates", res)
		}
	})
}

// mixedBatch returns n events for orders starting at order number base: an
// order's life (created, paid, shipped, two scans, delivered) and every
// tenth order an after-sale request.
func mixedBatch(base, n int) []*anxin.Event {
	var out []*anxin.Event
	for o := base; len(out) < n; o++ {
		oid := fmt.Sprintf("o_%d", o)
		sid := fmt.Sprintf("s_%d", o)
		at := t0.Add(time.Duration(o) * time.Second)
		life := []*anxin.Event{
			created("c_"+oid, oid, fmt.Sprintf("m_%d", o%50), at),
			ref("p_"+oid, anxin.EventOrderPaid, oid, at.Add(time.Minute)),
			ev("sh_"+oid, anxin.EventOrderShipped, at.Add(time.Hour), map[string]any{"order_id": oid, "shipment_id": sid, "carrier": "SF", "tracking_no": "T" + oid}),
			ev("k1_"+oid, anxin.EventShipmentScanned, at.Add(2*time.Hour), map[string]any{"shipment_id": sid, "order_id": oid, "code": "pickup", "location": "Hangzhou"}),
			ev("k2_"+oid, anxin.EventShipmentScanned, at.Add(20*time.Hour), map[string]any{"shipment_id": sid, "order_id": oid, "code": "delivered"}),
			ref("d_"+oid, anxin.EventOrderDelivered, oid, at.Add(21*time.Hour)),
		}
		if o%10 == 0 {
			life = append(life, ev("a_"+oid, anxin.EventAfterSaleRequested, at.Add(30*time.Hour), map[string]any{"id": "as_" + oid, "order_id": oid, "kind": "return_refund", "amount_fen": 500, "reason": "size"}))
		}
		for _, e := range life {
			if len(out) < n {
				out = append(out, e)
			}
		}
	}
	return out
}

// TestUpsertAfterEventsKeepsProgress: an order upsert carrying an older
// snapshot (status created, no timestamps) replaces the body but cannot move
// the order back.
func TestUpsertAfterEventsKeepsProgress(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(t0), func(t *testing.T, db *sqlstore.DB) {
		es := sqlstore.NewEventService(db)
		ms := sqlstore.NewMarketplaceService(db)
		if _, err := es.IngestEvents(platform, []*anxin.Event{
			created("e_1", "o_1", "m_1", t0),
			ref("e_2", anxin.EventOrderPaid, "o_1", t0.Add(time.Minute)),
			ref("e_3", anxin.EventOrderShipped, "o_1", t0.Add(time.Hour)),
		}); err != nil {
			t.Fatal(err)
		}
		stale := &anxin.Order{ID: "o_1", MerchantID: "m_1", BuyerID: "b_9", CreatedAt: t0.Add(time.Hour), Status: anxin.OrderCreated}
		if err := ms.UpsertOrders(platform, []*anxin.Order{stale}); err != nil {
			t.Fatal(err)
		}
		got, err := ms.FindOrder(operator, "o_1")
		if err != nil {
			t.Fatal(err)
		}
		if got.BuyerID != "b_9" || got.Status != anxin.OrderShipped || !got.CreatedAt.Equal(t0) ||
			got.PaidAt == nil || !got.PaidAt.Equal(t0.Add(time.Minute)) || got.ShippedAt == nil {
			t.Errorf("after a stale upsert FindOrder = %+v; want the new buyer, still shipped, created %v, paid and shipped kept", got, t0)
		}
		// A later cancellation still lands; a replayed paid does not undo it.
		if _, err := es.IngestEvents(platform, []*anxin.Event{ref("e_4", anxin.EventOrderCancelled, "o_1", t0.Add(2*time.Hour))}); err != nil {
			t.Fatal(err)
		}
		if _, err := es.IngestEvents(platform, []*anxin.Event{ref("e_5", anxin.EventOrderPaid, "o_1", t0.Add(3*time.Hour))}); err != nil {
			t.Fatal(err)
		}
		got, _ = ms.FindOrder(operator, "o_1")
		if got.Status != anxin.OrderCancelled || !got.PaidAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("FindOrder = status %s, paid %v; want cancelled, first paid time kept", got.Status, got.PaidAt)
		}
	})
}
