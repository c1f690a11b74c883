package http_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"anxin"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// BenchmarkPostEvents drives POST /v1/events over loopback with batches of
// 1000 realistic events (each order's created, paid, shipped, two scans and
// delivered, with an after-sale request on every tenth order) and reports
// events/s. "batched" is the real EventService; "naive" is a same-run peer
// behind the same handler that stores and applies each event with its own
// statements, one round trip per row.
//
//	go test -run '^$' -bench BenchmarkPostEvents -benchtime 20x ./http/
//
// With ANXIN_TEST_POSTGRES set it also runs on PostgreSQL.
func BenchmarkPostEvents(b *testing.B) {
	dbs := map[string]func(testing.TB) *sqlstore.DB{
		"sqlite":   func(tb testing.TB) *sqlstore.DB { return sqltest.OpenSQLite(tb, nil) },
		"postgres": func(tb testing.TB) *sqlstore.DB { return sqltest.OpenPostgres(tb, nil) },
	}
	for _, dbName := range []string{"sqlite", "postgres"} {
		for _, impl := range []string{"batched", "naive"} {
			b.Run(dbName+"/"+impl, func(b *testing.B) {
				db := dbs[dbName](b)
				env := newAPIEnv(b, db, func(s *anxinhttp.Server) {
					if impl == "naive" {
						s.Events = naiveEvents{db}
					}
				})
				const perBatch = 1000
				client := &http.Client{}
				batch := 0
				for b.Loop() {
					b.StopTimer()
					body := benchBatch(batch, perBatch)
					batch++
					b.StartTimer()
					req, _ := http.NewRequest("POST", env.url+"/v1/events", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+env.keys[anxin.RolePlatform])
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					var out bytes.Buffer
					out.ReadFrom(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !bytes.Contains(out.Bytes(), []byte(`"stored":1000`)) {
						b.Fatalf("POST /v1/events = %d %s", resp.StatusCode, out.Bytes())
					}
				}
				b.ReportMetric(float64(batch*perBatch)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
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
