package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// overlappingBatches returns, for each of two phases and each of three
// replicas, the batches the replica ingests: the events of orders o_0 …
// o_{orders-1} spread so that replicas collide. Every order's created, paid
// and delivered events travel together (the escrow booked on payment is
// settled on delivery in the same transaction), every fourth order's twice
// (duplicate event ids across replicas); its shipment and scans go to the
// other replicas: the shipment's three scans arrive in three different
// replicas' batches, the delivered scan twice. Merchants repeat, so every
// batch books escrow for the same merchants and credits the same external
// payments account; after-sale requests and their approvals come from
// different replicas. Batches within a replica are shuffled units of up to
// eight, so each replica commits many small transactions.
//
// Scans other than delivered arm a lost-parcel check only for an order
// already covered, so they come in the second phase, after every order is
// paid, together with the shipments and re-sent payments (now duplicates of
// stored events). With that, the outcome does not depend on which replica
// commits first, and any interleaving must end where a serial ingest ends.
func overlappingBatches(orders int) [2][3][][]*anxin.Event {
	var units [2][3][][]*anxin.Event
	phase := 0
	add := func(g int, es ...*anxin.Event) { units[phase][g%3] = append(units[phase][g%3], es) }
	for o := range orders {
		oid := fmt.Sprintf("o_%d", o)
		sid := "s_" + oid
		at := t0.Add(time.Duration(o) * time.Minute)
		scan := func(code string, after time.Duration, loc string) *anxin.Event {
			return ev("k_"+code+"_"+oid, anxin.EventShipmentScanned, at.Add(after),
				map[string]any{"shipment_id": sid, "order_id": oid, "carrier": "SF", "code": code, "location": loc})
		}
		money := []*anxin.Event{
			ev("c_"+oid, anxin.EventOrderCreated, at, map[string]any{"id": oid, "merchant_id": fmt.Sprintf("m_%d", o%7),
				"buyer_id": fmt.Sprintf("b_%d", o%11), "total_fen": 1000 + o*10, "currency": "CNY",
				"items": []map[string]any{{"listing_id": fmt.Sprintf("l_%d", o%13), "quantity": 1, "unit_price_fen": 1000 + o*10}}}),
			ref("p_"+oid, anxin.EventOrderPaid, oid, at.Add(time.Minute)),
			ref("d_"+oid, anxin.EventOrderDelivered, oid, at.Add(30*time.Hour)),
		}
		g := o % 3
		phase = 0
		add(g, money...)
		if o%4 == 0 {
			add(g+1, money...)
		}
		add(g+1, scan("delivered", 29*time.Hour, "Shanghai"))
		add(g+2, scan("delivered", 29*time.Hour, "Shanghai"))
		if o%5 == 0 {
			add(g+2, ev("ar_"+oid, anxin.EventAfterSaleRequested, at.Add(40*time.Hour),
				map[string]any{"id": "as_" + oid, "order_id": oid, "buyer_id": fmt.Sprintf("b_%d", o%11), "kind": "return_refund", "amount_fen": 500, "reason": "size"}))
		}
		phase = 1
		if o%3 == 0 {
			add(g+2, money...)
		}
		add(g+1, ev("sh_"+oid, anxin.EventOrderShipped, at.Add(time.Hour), map[string]any{"order_id": oid, "shipment_id": sid, "carrier": "SF", "tracking_no": "T" + oid}))
		add(g+2, scan("pickup", 2*time.Hour, "Hangzhou"))
		add(g, scan("in_transit", 5*time.Hour, "Nanjing"))
		if o%5 == 0 {
			as := map[string]any{"id": "as_" + oid, "order_id": oid, "kind": "return_refund"}
			add(g+1, ev("aa_"+oid, anxin.EventAfterSaleApproved, at.Add(41*time.Hour), as))
		}
	}
	var out [2][3][][]*anxin.Event
	r := rand.New(rand.NewPCG(7, 8))
	for p := range units {
		for g := range units[p] {
			u := units[p][g]
			r.Shuffle(len(u), func(i, j int) { u[i], u[j] = u[j], u[i] })
			for len(u) > 0 {
				n := min(len(u), 1+r.IntN(8))
				var b []*anxin.Event
				for _, x := range u[:n] {
					b = append(b, x...)
				}
				out[p][g] = append(out[p][g], b)
				u = u[n:]
			}
		}
	}
	return out
}

// ingestState dumps everything an ingest writes, without generated ids and
// without the numbering of scans (which depends on arrival order); instead
// it records, per shipment, that the scans are numbered 1…n without gaps.
func ingestState(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, type, subject_id, occurred_at, received_at, data FROM events ORDER BY id`,
		`SELECT ` + strings.ReplaceAll(`id, merchant_id, buyer_id, influencer_id, items, total_fen, currency, status, pii_ref,
			promised_ship_at, created_at, paid_at, shipped_at, delivered_at, cancelled_at, updated_at`, "\n", " ") + ` FROM orders ORDER BY id`,
		`SELECT id, order_id, carrier, tracking_no, status, updated_at FROM shipments ORDER BY id`,
		`SELECT shipment_id, code, at, location FROM shipment_scans ORDER BY shipment_id, at, code`,
		`SELECT shipment_id, COUNT(*) = MAX(seq) AND MIN(seq) = 1 AND COUNT(DISTINCT seq) = COUNT(*) FROM shipment_scans GROUP BY shipment_id ORDER BY shipment_id`,
		`SELECT id, order_id, buyer_id, kind, reason, amount_fen, status, created_at, updated_at FROM aftersales ORDER BY id`,
		`SELECT order_id, programme_id, programme_version, covered_at FROM order_coverage ORDER BY order_id, programme_id`,
		`SELECT kind, job_key, run_at, payload, state FROM jobs ORDER BY kind, job_key`,
		`SELECT kind, ref, currency, memo, created_at FROM ledger_postings ORDER BY ref`,
		`SELECT p.ref, e.line, e.account, e.currency, e.amount_fen FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id ORDER BY p.ref, e.line`,
		`SELECT account, currency, kind, owner, balance_fen, updated_at FROM ledger_balances ORDER BY account, currency`,
		`SELECT COUNT(*) FROM claims`,
		`SELECT COUNT(*) FROM outbox`,
	} {
		b.WriteString(dumpRows(t, db, q))
		b.WriteString("--\n")
	}
	return b.String()
}

// dumpRows runs q and returns its rows as text, one line per row, with the
// drivers' differences evened out (PostgreSQL's booleans and int4 read as
// SQLite's integers, byte strings as text).
func dumpRows(t *testing.T, db *sqlstore.DB, q string) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				vals[i] = string(x)
			case bool: // PostgreSQL's boolean is SQLite's 0/1
				vals[i] = map[bool]int64{false: 0, true: 1}[x]
			case int32:
				vals[i] = int64(x)
			}
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestIngestConcurrentEqualsSerial has three replicas (each its own pool)
// ingest overlapping batches at once — shared orders, one shipment's scans
// in different replicas' batches, duplicate event ids, paid orders of the
// same merchants — with the buyer-protection hook, and checks that the
// mirror, coverage, jobs and books end exactly as a serial ingest of the
// same batches leaves them, and that the books verify.
func TestIngestConcurrentEqualsSerial(t *testing.T) {
	const orders = 90
	sqltest.RunReplicas(t, anxintest.NewClock(t0), 3, func(t *testing.T, dbs []*sqlstore.DB) {
		prepareIngest(t, dbs)
		phases := overlappingBatches(orders)
		for p, batches := range phases {
			var wg sync.WaitGroup
			errs := make(chan error, len(dbs))
			start := make(chan struct{})
			for g, db := range dbs {
				es := sqlstore.NewEventService(db)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i, b := range batches[g] {
						if _, err := es.IngestEvents(platform, b); err != nil {
							errs <- fmt.Errorf("phase %d replica %d batch %d: %w", p, g, i, err)
							return
						}
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		}

		var serial *sqlstore.DB
		if dbs[0].Dialect == sqlstore.Postgres {
			serial = sqltest.OpenPostgres(t, anxintest.NewClock(t0))
		} else {
			serial = sqltest.OpenSQLite(t, anxintest.NewClock(t0))
		}
		prepareIngest(t, []*sqlstore.DB{serial})
		es := sqlstore.NewEventService(serial)
		for _, batches := range phases {
			for g := range batches {
				for _, b := range batches[g] {
					if _, err := es.IngestEvents(platform, b); err != nil {
						t.Fatal(err)
					}
				}
			}
		}

		got, want := ingestState(t, dbs[1]), ingestState(t, serial)
		if got != want {
			gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
			for i := range max(len(gl), len(wl)) {
				var g, w string
				if i < len(gl) {
					g = gl[i]
				}
				if i < len(wl) {
					w = wl[i]
				}
				if g != w {
					t.Fatalf("concurrent ingest differs from serial at line %d:\n got %s\nwant %s", i, g, w)
				}
			}
		}
		// The state is not trivially equal: every order was paid, covered,
		// booked and settled, and every shipment has its three scans.
		ctx := context.Background()
		var postings, escrowLeft, scans, delivered, pending int64
		serial.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_postings`).Scan(&postings)
		serial.QueryRowContext(ctx, `SELECT COALESCE(SUM(ABS(balance_fen)), 0) FROM ledger_balances WHERE kind = 'order_escrow'`).Scan(&escrowLeft)
		serial.QueryRowContext(ctx, `SELECT COALESCE(SUM(balance_fen), 0) FROM ledger_balances WHERE kind = 'merchant_pending'`).Scan(&pending)
		serial.QueryRowContext(ctx, `SELECT COUNT(*) FROM shipment_scans`).Scan(&scans)
		serial.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE status = 'delivered'`).Scan(&delivered)
		var total int64
		for o := range orders {
			total += int64(1000 + o*10)
		}
		if postings != 2*orders || escrowLeft != 0 || pending != total || scans != 3*orders || delivered != orders {
			t.Errorf("postings, escrow left, pending, scans, delivered = %d %d %d %d %d; want %d 0 %d %d %d",
				postings, escrowLeft, pending, scans, delivered, 2*orders, total, 3*orders, orders)
		}
		for _, db := range []*sqlstore.DB{dbs[2], serial} {
			c, err := db.VerifyLedger(ctx)
			if err != nil || !c.OK() {
				t.Errorf("VerifyLedger = %+v, %v", c, err)
			}
		}
	})
}
