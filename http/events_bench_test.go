package http_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"anxin"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// BenchmarkPostEvents drives POST /v1/events over loopback with batches of
// 1000 realistic events (each order's created, paid, shipped, two scans and
// delivered, with an after-sale request on every tenth order). "batched" is
// the real EventService; "naive" is a same-run peer behind the same handler
// that stores and applies each event with its own statements, one round trip
// per row. "inflight1" sends one batch at a time; "inflight2" keeps two
// batches in flight from the same client, so one is decoded while the other
// is written.
//
// It reports events/s (wall clock) and events/cpu-s: events per second of
// CPU spent by this process (client and server) plus, on PostgreSQL, the
// backends serving it. The machine is shared, so the second figure is the
// one that does not move with other people's load.
//
//	go test -run '^$' -bench BenchmarkPostEvents -benchtime 20x ./http/
//
// With ANXIN_TEST_POSTGRES set it also runs on PostgreSQL.
func BenchmarkPostEvents(b *testing.B) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		for _, impl := range []string{"batched", "naive"} {
			for _, inflight := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/inflight%d", dbName, impl, inflight), func(b *testing.B) {
					benchPostEvents(b, dbName, impl, inflight)
				})
			}
		}
	}
}

func benchPostEvents(b *testing.B, dbName, impl string, inflight int) {
	var db *sqlstore.DB
	cpu := processCPU
	if dbName == "sqlite" {
		db = sqltest.OpenSQLite(b, nil)
	} else {
		// A unique application_name finds this pool's backends, whose CPU
		// time /proc reports (the server must run on this machine).
		app := "anxin_bench_" + strconv.FormatInt(time.Now().UnixNano(), 36)
		var err error
		if db, err = sqlstore.Open(context.Background(), sqltest.PostgresDSN(b)+"&application_name="+app, nil); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		admin, err := sqlstore.Open(context.Background(), os.Getenv("ANXIN_TEST_POSTGRES"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { admin.Close() })
		cpu = func() time.Duration {
			rows, err := admin.QueryContext(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = ?`, app)
			if err != nil {
				b.Fatal(err)
			}
			defer rows.Close()
			total := processCPU()
			for rows.Next() {
				var pid int
				rows.Scan(&pid)
				total += backendCPU(b, pid)
			}
			return total
		}
	}
	env := newAPIEnv(b, db, func(s *anxinhttp.Server) {
		if impl == "naive" {
			s.Events = naiveEvents{db}
		}
	})
	const perBatch = 1000
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inflight}}
	post := func(body []byte) error {
		req, _ := http.NewRequest("POST", env.url+"/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+env.keys[anxin.RolePlatform])
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !bytes.Contains(out, []byte(`"stored":1000`)) {
			return fmt.Errorf("POST /v1/events = %d %s", resp.StatusCode, out)
		}
		return nil
	}
	batches := 0
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		bodies := make([][]byte, inflight)
		for i := range bodies {
			bodies[i] = benchBatch(batches, perBatch)
			batches++
		}
		before := cpu()
		b.StartTimer()
		errs := make(chan error, inflight)
		for _, body := range bodies {
			go func() { errs <- post(body) }()
		}
		for range bodies {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		spent += cpu() - before
		b.StartTimer()
	}
	b.ReportMetric(float64(batches*perBatch)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(batches*perBatch)/spent.Seconds(), "events/cpu-s")
	b.ReportMetric(0, "ns/op")
}

// benchBatch returns batch n of size events as a request body, built the
// way a marketplace would: events for consecutive orders, in life order.
func benchBatch(n, size int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"events":[`)
	count := 0
	emit := func(id, typ string, at time.Time, data string) {
		if count == size {
			return
		}
		if count > 0 {
			buf.WriteByte(',')
		}
		count++
		fmt.Fprintf(&buf, `{"id":"%s","type":"%s","schema_version":1,"occurred_at":"%s","data":%s}`, id, typ, at.Format(time.RFC3339), data)
	}
	for o := n * size; count < size; o++ {
		oid := "o_" + strconv.Itoa(o)
		sid := "s_" + strconv.Itoa(o)
		at := t0.Add(time.Duration(o) * time.Second)
		emit("c_"+oid, anxin.EventOrderCreated, at, fmt.Sprintf(`{"id":"%s","merchant_id":"m_%d","buyer_id":"b_%d","influencer_id":"i_%d","pii_ref":"pii_%s",`+
			`"promised_ship_at":"%s","items":[{"listing_id":"l_%d","quantity":1,"unit_price_fen":2990},{"listing_id":"l_%d","quantity":2,"unit_price_fen":990}]}`,
			oid, o%500, o%20000, o%300, oid, at.Add(48*time.Hour).Format(time.RFC3339), o%5000, (o+7)%5000))
		emit("p_"+oid, anxin.EventOrderPaid, at.Add(time.Minute), `{"order_id":"`+oid+`"}`)
		emit("sh_"+oid, anxin.EventOrderShipped, at.Add(20*time.Hour), `{"order_id":"`+oid+`","shipment_id":"`+sid+`","carrier":"SF Express","tracking_no":"SF`+strconv.Itoa(1e9+o)+`"}`)
		emit("k1_"+oid, anxin.EventShipmentScanned, at.Add(21*time.Hour), `{"shipment_id":"`+sid+`","order_id":"`+oid+`","code":"pickup","location":"杭州转运中心"}`)
		emit("k2_"+oid, anxin.EventShipmentScanned, at.Add(60*time.Hour), `{"shipment_id":"`+sid+`","order_id":"`+oid+`","code":"delivered","location":"上海"}`)
		emit("d_"+oid, anxin.EventOrderDelivered, at.Add(61*time.Hour), `{"order_id":"`+oid+`"}`)
		if o%10 == 0 {
			emit("a_"+oid, anxin.EventAfterSaleRequested, at.Add(70*time.Hour), `{"id":"as_`+oid+`","order_id":"`+oid+`","kind":"return_refund","reason":"尺码不合适","amount_fen":990}`)
		}
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// naiveEvents is the benchmark's peer: the same validation, event log and
// mirror effects as sqlstore.EventService, but one statement (and one round
// trip) per row, the way a first implementation would write it.
type naiveEvents struct{ db *sqlstore.DB }

func (n naiveEvents) IngestEvents(ctx context.Context, events []*anxin.Event) (anxin.IngestResult, error) {
	if err := anxin.Authorize(ctx, anxin.ActionWriteMarketplace); err != nil {
		return anxin.IngestResult{}, err
	}
	if err := anxin.ValidateEvents(events); err != nil {
		return anxin.IngestResult{}, err
	}
	res := anxin.IngestResult{Received: len(events), StoredByType: map[string]int{}}
	err := n.db.Transact(ctx, func(tx *sqlstore.Tx) error {
		for _, e := range events {
			r, err := tx.ExecContext(ctx, `INSERT INTO events (id, type, subject_id, occurred_at, received_at, data) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO NOTHING`, e.ID, e.Type, e.SubjectID(), sqlstore.MS(e.OccurredAt), sqlstore.MS(tx.Now), string(e.Data))
			if err != nil {
				return err
			}
			if k, _ := r.RowsAffected(); k == 0 {
				continue
			}
			res.Stored++
			res.StoredByType[e.Type]++
			if err := n.apply(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	res.Duplicates = res.Received - res.Stored
	return res, err
}

func (n naiveEvents) apply(ctx context.Context, tx *sqlstore.Tx, e *anxin.Event) error {
	at, now := sqlstore.MS(e.OccurredAt), sqlstore.MS(tx.Now)
	var err error
	switch {
	case e.Order != nil:
		o := e.Order
		_, err = tx.ExecContext(ctx, `INSERT INTO orders (id, merchant_id, buyer_id, influencer_id, items, total_fen, currency, pii_ref, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET merchant_id = excluded.merchant_id, buyer_id = excluded.buyer_id,
			influencer_id = excluded.influencer_id, items = excluded.items, total_fen = excluded.total_fen, pii_ref = excluded.pii_ref, updated_at = excluded.updated_at`,
			o.ID, o.MerchantID, o.BuyerID, o.InfluencerID, string(e.Data), o.TotalFen, o.Currency, o.PIIRef, sqlstore.MS(o.CreatedAt), now)
	case e.OrderRef != nil:
		col := map[string]string{anxin.EventOrderPaid: "paid_at", anxin.EventOrderShipped: "shipped_at", anxin.EventOrderDelivered: "delivered_at", anxin.EventOrderCancelled: "cancelled_at"}[e.Type]
		status := map[string]string{anxin.EventOrderPaid: "paid", anxin.EventOrderShipped: "shipped", anxin.EventOrderDelivered: "delivered", anxin.EventOrderCancelled: "cancelled"}[e.Type]
		_, err = tx.ExecContext(ctx, `INSERT INTO orders (id, status, `+col+`, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, `+col+` = excluded.`+col+`, updated_at = excluded.updated_at`,
			e.OrderRef.OrderID, status, at, at, now)
		if err == nil && e.OrderRef.ShipmentID != "" {
			_, err = tx.ExecContext(ctx, `INSERT INTO shipments (id, order_id, carrier, tracking_no, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET carrier = excluded.carrier, tracking_no = excluded.tracking_no, updated_at = excluded.updated_at`,
				e.OrderRef.ShipmentID, e.OrderRef.OrderID, e.OrderRef.Carrier, e.OrderRef.TrackingNo, now)
		}
	case e.Scan != nil:
		s := e.Scan
		_, err = tx.ExecContext(ctx, `INSERT INTO shipments (id, order_id, status, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`, s.ShipmentID, s.OrderID, s.Code, now)
		if err == nil {
			var seq int64
			if err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM shipment_scans WHERE shipment_id = ?`, s.ShipmentID).Scan(&seq); err == nil {
				_, err = tx.ExecContext(ctx, `INSERT INTO shipment_scans (shipment_id, seq, code, at, location) VALUES (?, ?, ?, ?, ?)`,
					s.ShipmentID, seq+1, s.Code, at, s.Location)
			}
		}
	case e.AfterSale != nil:
		a := e.AfterSale
		_, err = tx.ExecContext(ctx, `INSERT INTO aftersales (id, order_id, buyer_id, kind, reason, amount_fen, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
			a.ID, a.OrderID, a.BuyerID, a.Kind, a.Reason, a.AmountFen, a.Status, sqlstore.MS(a.CreatedAt), now)
	}
	return err
}

// processCPU returns the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU returns the user and system CPU time of a PostgreSQL backend
// on this machine, from /proc (clock ticks of 10 ms).
func backendCPU(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Fatalf("PostgreSQL backend CPU: %v (the server must run on this machine)", err)
	}
	// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
