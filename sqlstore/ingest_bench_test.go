package sqlstore_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// lifeBatch returns n events of whole order lives, as a marketplace stream
// carries them: order.created (with an amount, so order.paid books escrow),
// order.paid, order.shipped, a pickup and a delivered scan, order.delivered,
// and every tenth order an after-sale request. Orders are numbered from
// base; merchants repeat (m_0 … m_49), so paid orders of one merchant land
// in every batch and every escrow posting credits the same external
// payments account.
func lifeBatch(base, n int) []*anxin.Event {
	var out []*anxin.Event
	for o := base; len(out) < n; o++ {
		for _, e := range orderLife(o) {
			if len(out) < n {
				out = append(out, e)
			}
		}
	}
	return out
}

// orderLife is the events of order o, in the order they happen.
func orderLife(o int) []*anxin.Event {
	oid := fmt.Sprintf("o_%d", o)
	sid := fmt.Sprintf("s_%d", o)
	at := t0.Add(time.Duration(o) * time.Second)
	life := []*anxin.Event{
		ev("c_"+oid, anxin.EventOrderCreated, at, map[string]any{"id": oid, "merchant_id": fmt.Sprintf("m_%d", o%50),
			"buyer_id": fmt.Sprintf("b_%d", o%500), "total_fen": 1000 + o%7*100, "currency": "CNY",
			"items": []map[string]any{{"listing_id": fmt.Sprintf("l_%d", o%200), "quantity": 1, "unit_price_fen": 1000 + o%7*100}}}),
		ref("p_"+oid, anxin.EventOrderPaid, oid, at.Add(time.Minute)),
		ev("sh_"+oid, anxin.EventOrderShipped, at.Add(time.Hour), map[string]any{"order_id": oid, "shipment_id": sid, "carrier": "SF", "tracking_no": "T" + oid}),
		ev("k1_"+oid, anxin.EventShipmentScanned, at.Add(2*time.Hour), map[string]any{"shipment_id": sid, "order_id": oid, "carrier": "SF", "code": "pickup", "location": "Hangzhou"}),
		ev("k2_"+oid, anxin.EventShipmentScanned, at.Add(20*time.Hour), map[string]any{"shipment_id": sid, "order_id": oid, "carrier": "SF", "code": "delivered", "location": "Shanghai"}),
		ref("d_"+oid, anxin.EventOrderDelivered, oid, at.Add(21*time.Hour)),
	}
	if o%10 == 0 {
		life = append(life, ev("a_"+oid, anxin.EventAfterSaleRequested, at.Add(30*time.Hour),
			map[string]any{"id": "as_" + oid, "order_id": oid, "buyer_id": fmt.Sprintf("b_%d", o%500), "kind": "return_refund", "amount_fen": 500, "reason": "size"}))
	}
	return life
}

// openIngestReplicas opens n handles on one fresh PostgreSQL schema, each
// with its own pool and the buyer-protection hook, as n `anxin serve`
// replicas have, and seeds merchants and buyers.
func openIngestReplicas(tb testing.TB, n int) []*sqlstore.DB {
	tb.Helper()
	dsn := sqltest.PostgresDSN(tb)
	return openIngestDBs(tb, dsn, n)
}

func openIngestDBs(tb testing.TB, dsn string, n int) []*sqlstore.DB {
	tb.Helper()
	ctx := context.Background()
	dbs := make([]*sqlstore.DB, n)
	for i := range dbs {
		db, err := sqlstore.Open(ctx, dsn, anxintest.NewClock(t0))
		if err != nil {
			tb.Fatalf("open replica %d: %v", i, err)
		}
		tb.Cleanup(func() { db.Close() })
		if i == 0 {
			if _, err := db.Migrate(ctx); err != nil {
				tb.Fatalf("migrate: %v", err)
			}
		}
		dbs[i] = db
	}
	prepareIngest(tb, dbs)
	return dbs
}

// prepareIngest wires the buyer-protection hook on every handle, as `anxin
// serve` does, and seeds merchants, buyers and listings through the first.
func prepareIngest(tb testing.TB, dbs []*sqlstore.DB) {
	tb.Helper()
	ctx := context.Background()
	for _, db := range dbs {
		prot := sqlstore.NewProtectionService(db)
		if err := prot.InstallDefaultProgrammes(ctx); err != nil {
			tb.Fatal(err)
		}
		db.AddEventHook(prot.OnEvents)
	}
	seedIngest(tb, dbs[0])
}

// seedIngest stores the merchants, buyers and listings lifeBatch refers to.
func seedIngest(tb testing.TB, db *sqlstore.DB) {
	tb.Helper()
	ms := sqlstore.NewMarketplaceService(db)
	var merchants []*anxin.Merchant
	for i := range 50 {
		merchants = append(merchants, &anxin.Merchant{ID: fmt.Sprintf("m_%d", i), Name: "shop", Status: "active", Categories: []string{"home"}})
	}
	var buyers []*anxin.Buyer
	for i := range 500 {
		buyers = append(buyers, &anxin.Buyer{ID: fmt.Sprintf("b_%d", i), Standing: "good"})
	}
	var listings []*anxin.Listing
	for i := range 200 {
		listings = append(listings, &anxin.Listing{ID: fmt.Sprintf("l_%d", i), MerchantID: fmt.Sprintf("m_%d", i%50), Title: "kettle",
			Category: "home", PriceFen: 1000, Currency: "CNY", Status: "live"})
	}
	if err := ms.UpsertMerchants(platform, merchants); err != nil {
		tb.Fatal(err)
	}
	if err := ms.UpsertBuyers(platform, buyers); err != nil {
		tb.Fatal(err)
	}
	if err := ms.UpsertListings(platform, listings); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkIngestConcurrent ingests 1,000-event batches of whole order
// lives (see lifeBatch) on PostgreSQL with the buyer-protection hook, from
// one replica and from three replicas at once (each its own pool, each
// ingesting b.N batches back to back). events/s is all replicas' events
// over the wall time; the ratio of the two sub-benchmarks is the scaling.
func BenchmarkIngestConcurrent(b *testing.B) {
	const size = 1000
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			dbs := openIngestReplicas(b, n)
			batches := make([][]*anxin.Event, n*b.N)
			for k := range batches {
				batches[k] = lifeBatch((k+1)*size, size)
			}
			var next atomic.Int64
			var failed atomic.Value
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for _, db := range dbs {
				es := sqlstore.NewEventService(db)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range b.N {
						k := int(next.Add(1)) - 1
						res, err := es.IngestEvents(platform, batches[k])
						if err != nil || res.Stored != size {
							failed.Store(fmt.Sprintf("batch %d: %+v, %v", k, res, err))
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f != nil {
				b.Fatal(f)
			}
			b.ReportMetric(float64(n*b.N*size)/elapsed.Seconds(), "events/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkIngestLives ingests 1,000-event batches of whole order lives
// (lifeBatch) one after another with the buyer-protection hook, on SQLite
// and, with ANXIN_TEST_POSTGRES, on PostgreSQL. It reports events per
// second and per second of the test process's CPU time (PostgreSQL's own
// CPU is not counted).
func BenchmarkIngestLives(b *testing.B) {
	const size = 1000
	open := map[string]func() *sqlstore.DB{"sqlite": func() *sqlstore.DB { return sqltest.OpenSQLite(b, anxintest.NewClock(t0)) }}
	if os.Getenv("ANXIN_TEST_POSTGRES") != "" {
		open["postgres"] = func() *sqlstore.DB { return sqltest.OpenPostgres(b, anxintest.NewClock(t0)) }
	}
	for _, name := range slices.Sorted(maps.Keys(open)) {
		b.Run(name, func(b *testing.B) {
			db := open[name]()
			prepareIngest(b, []*sqlstore.DB{db})
			es := sqlstore.NewEventService(db)
			batches := make([][]*anxin.Event, b.N)
			for k := range batches {
				batches[k] = lifeBatch((k+1)*size, size)
			}
			b.ResetTimer()
			cpu0, start := cpuNow(), time.Now()
			for k := range b.N {
				if res, err := es.IngestEvents(platform, batches[k]); err != nil || res.Stored != size {
					b.Fatalf("batch %d: %+v, %v", k, res, err)
				}
			}
			cpu, wall := cpuNow()-cpu0, time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*size)/wall.Seconds(), "events/s")
			b.ReportMetric(float64(b.N*size)/cpu.Seconds(), "events/cpu-s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*size), "cpu-µs/event")
			b.ReportMetric(0, "ns/op")
		})
	}
}
