package sqlstore_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"anxin"
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
