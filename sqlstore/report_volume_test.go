package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func TestReportVolume(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		tz := anxin.MarketplaceTZ
		day := func(d, h int) time.Time { return time.Date(2026, 1, d, h, 30, 0, 0, tz).UTC() }
		// Orders on 1 Jan at 00:30 local (31 Dec in UTC) and 23:30, on
		// 3 Jan, and one outside the period: days are the marketplace's.
		var orders []*anxin.Order
		for i, at := range []time.Time{day(1, 0), day(1, 23), day(3, 12), day(9, 12)} {
			orders = append(orders, &anxin.Order{
				ID: "o" + string(rune('a'+i)), MerchantID: "m1", BuyerID: "b1", CreatedAt: at, PaidAt: &at,
				Items: []anxin.OrderItem{{ListingID: "l1", Quantity: 1, UnitPriceFen: 1000}},
			})
		}
		if err := sqlstore.NewMarketplaceService(db).UpsertOrders(platform, orders); err != nil {
			t.Fatal(err)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, tz)
		r, err := sqlstore.NewReportService(db).Report(operator, anxin.Period{From: from.UTC(), To: from.AddDate(0, 0, 4).UTC()})
		if err != nil {
			t.Fatal(err)
		}
		vol := r.Sections[0]
		if vol.Key != "volume" {
			t.Fatalf("first section = %q; want volume", vol.Key)
		}
		got := map[string]float64{}
		for _, m := range vol.Metrics {
			got[m.Name] = m.Value
		}
		if got["orders"] != 3 || got["gmv_fen"] != 3000 {
			t.Errorf("orders, gmv_fen = %v, %v; want 3, 3000", got["orders"], got["gmv_fen"])
		}
		want := anxin.Series{
			Name: "orders_per_day", Title: "Orders created per day",
			Labels: []string{"01-01", "01-02", "01-03", "01-04"}, Values: []float64{2, 0, 1, 0},
		}
		if len(vol.Charts) == 0 {
			t.Fatal("volume has no charts")
		}
		if diff := cmp.Diff(want, vol.Charts[0]); diff != "" {
			t.Errorf("orders chart mismatch (-want +got):\n%s", diff)
		}

		// A year is charted per month.
		r, err = sqlstore.NewReportService(db).Report(operator, anxin.Period{From: from.UTC(), To: from.AddDate(1, 0, 0).UTC()})
		if err != nil {
			t.Fatal(err)
		}
		c := r.Sections[0].Charts[0]
		if c.Name != "orders_per_month" || len(c.Labels) != 12 || c.Labels[0] != "2026-01" || c.Values[0] != 4 {
			t.Errorf("year chart = %s %v %v; want orders_per_month, 12 months, 4 in 2026-01", c.Name, c.Labels, c.Values)
		}
	})
}

// TestReportOutsideData: with events stored, a period that holds none of
// them is refused with the span the data has; a period that overlaps it,
// even by a day, is reported; a database without events reports zeros.
func TestReportOutsideData(t *testing.T) {
	tz := anxin.MarketplaceTZ
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, tz).UTC() }
	start := day(1, 10).Add(9 * time.Hour)
	clock := anxintest.NewClock(start)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start) // each database starts from the same day
		rs := sqlstore.NewReportService(db)
		if _, err := rs.Report(operator, anxin.Period{From: day(6, 1), To: day(7, 1)}); err != nil {
			t.Fatalf("Report on a database without events = %v; want zeros", err)
		}
		es := sqlstore.NewEventService(db)
		for _, id := range []string{"e1", "e2"} {
			if _, err := es.IngestEvents(platform, []*anxin.Event{created(id, "o_"+id, "m_1", clock.Now())}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(48 * time.Hour) // received on 10 and 12 January
		}
		for _, p := range []anxin.Period{{From: day(2, 1), To: day(3, 1)}, {From: day(1, 1), To: day(1, 10)}, {From: day(1, 13), To: day(1, 20)}} {
			_, err := rs.Report(operator, p)
			if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(err.Error(), "2026-01-10 to 2026-01-12") {
				t.Errorf("Report(%v) = %v; want Invalid naming the data's span 2026-01-10 to 2026-01-12", p, err)
			}
		}
		for _, p := range []anxin.Period{{From: day(1, 1), To: day(1, 11)}, {From: day(1, 12), To: day(1, 13)}, {From: day(1, 1), To: day(12, 31)}} {
			if _, err := rs.Report(operator, p); err != nil {
				t.Errorf("Report(%v) = %v; want the report", p, err)
			}
		}
	})
}
