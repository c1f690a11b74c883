package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"

	"github.com/google/go-cmp/cmp"
)

func as(role anxin.Role) context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k_" + role.Base(), Role: role})
}

var (
	platform = as(anxin.RolePlatform)
	operator = as(anxin.RoleOperator)
)

func countRows(t *testing.T, db *sqlstore.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func tp(t time.Time) *time.Time { return &t }

// hostile is a string with SQL metacharacters, quotes, comment markers and
// a placeholder, which must be stored verbatim.
const hostile = `x'); DROP TABLE orders; -- "q" ? $1 \ %_ 中文`

func TestMarketplaceUpsertAndFind(t *testing.T) {
	start := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(start)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start)
		ms := sqlstore.NewMarketplaceService(db)
		merchant := &anxin.Merchant{ID: "m_1", Name: hostile, Status: "active", Categories: []string{"food", hostile},
			Attributes: map[string]string{"k": hostile}, OnboardedAt: start.Add(-48 * time.Hour)}
		if err := ms.UpsertMerchants(platform, []*anxin.Merchant{merchant, {ID: "m_2", Name: "Two"}}); err != nil {
			t.Fatalf("UpsertMerchants = %v", err)
		}
		got, err := ms.FindMerchant(operator, "m_1")
		if err != nil {
			t.Fatal(err)
		}
		want := *merchant
		want.UpdatedAt = start
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("FindMerchant(m_1) mismatch (-want +got):\n%s", diff)
		}
		// A later upsert without onboarded_at keeps the earliest one.
		clock.Set(start.Add(time.Hour))
		if err := ms.UpsertMerchants(platform, []*anxin.Merchant{{ID: "m_1", Name: "Renamed"}}); err != nil {
			t.Fatal(err)
		}
		got, _ = ms.FindMerchant(operator, "m_1")
		if got.Name != "Renamed" || !got.OnboardedAt.Equal(merchant.OnboardedAt) || !got.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("after re-upsert FindMerchant = %+v; want name Renamed, onboarded %v", got, merchant.OnboardedAt)
		}

		listing := &anxin.Listing{ID: "l_1", MerchantID: "m_1", Title: hostile, Description: hostile, Category: "food",
			Brand: hostile, PriceFen: 1999, Currency: "CNY", ImageHashes: []string{"ab12"}, Attributes: map[string]string{"a": "b"}, Status: "live"}
		if err := ms.UpsertListings(platform, []*anxin.Listing{listing}); err != nil {
			t.Fatal(err)
		}
		gl, err := ms.FindListing(operator, "l_1")
		if err != nil {
			t.Fatal(err)
		}
		wl := *listing
		wl.UpdatedAt = clock.Now()
		if diff := cmp.Diff(&wl, gl); diff != "" {
			t.Errorf("FindListing mismatch (-want +got):\n%s", diff)
		}

		order := &anxin.Order{ID: "o_1", MerchantID: "m_1", BuyerID: "b_1", Items: []anxin.OrderItem{{ListingID: "l_1", Quantity: 2, UnitPriceFen: 1999}},
			PIIRef: "pii_1", PromisedShipAt: tp(start.Add(48 * time.Hour)), CreatedAt: start, PaidAt: tp(start.Add(time.Minute))}
		if err := ms.UpsertOrders(platform, []*anxin.Order{order}); err != nil {
			t.Fatal(err)
		}
		gotOrder, err := ms.FindOrder(operator, "o_1")
		if err != nil {
			t.Fatal(err)
		}
		wo := *order
		wo.TotalFen, wo.Currency, wo.Status, wo.UpdatedAt = 3998, "CNY", anxin.OrderPaid, clock.Now()
		if diff := cmp.Diff(&wo, gotOrder); diff != "" {
			t.Errorf("FindOrder mismatch (-want +got):\n%s", diff)
		}

		if err := ms.UpsertInfluencers(platform, []*anxin.Influencer{{ID: "i_1", Name: hostile, Followers: 10}}); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertBuyers(platform, []*anxin.Buyer{{ID: "b_1"}}); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertContent(platform, []*anxin.ContentItem{{ID: "c_1", Kind: anxin.ContentLivestreamSegment, StreamID: "s_1", Seq: 3, Text: hostile}}); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertAfterSales(platform, []*anxin.AfterSale{{ID: "as_1", OrderID: "o_1", Kind: "refund_only", Reason: hostile, AmountFen: 100}}); err != nil {
			t.Fatal(err)
		}
		var text, reason string
		db.QueryRowContext(context.Background(), `SELECT text FROM content_items WHERE id = 'c_1'`).Scan(&text)
		db.QueryRowContext(context.Background(), `SELECT reason FROM aftersales WHERE id = 'as_1'`).Scan(&reason)
		if text != hostile || reason != hostile {
			t.Errorf("stored text, reason = %q, %q; want %q verbatim", text, reason, hostile)
		}
		for table, want := range map[string]int{"merchants": 2, "listings": 1, "orders": 1, "influencers": 1, "buyers": 1, "content_items": 1, "aftersales": 1} {
			if n := countRows(t, db, table); n != want {
				t.Errorf("%s rows = %d; want %d", table, n, want)
			}
		}
	})
}

func TestMarketplaceShipments(t *testing.T) {
	start := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	sqltest.Run(t, anxintest.NewClock(start), func(t *testing.T, db *sqlstore.DB) {
		ms := sqlstore.NewMarketplaceService(db)
		sh := &anxin.Shipment{ID: "s_1", OrderID: "o_1", Carrier: "SF", TrackingNo: hostile, Events: []anxin.CarrierEvent{
			{Code: "in_transit", At: start.Add(2 * time.Hour), Location: "Hangzhou"},
			{Code: "pickup", At: start.Add(time.Hour)},
		}}
		if err := ms.UpsertShipments(platform, []*anxin.Shipment{sh}); err != nil {
			t.Fatal(err)
		}
		// Re-sending the same scans adds nothing; a new one is appended.
		sh2 := &anxin.Shipment{ID: "s_1", OrderID: "o_1", Events: append(sh.Events, anxin.CarrierEvent{Code: "delivered", At: start.Add(30 * time.Hour)})}
		if err := ms.UpsertShipments(platform, []*anxin.Shipment{sh2}); err != nil {
			t.Fatal(err)
		}
		got, err := ms.FindShipment(operator, "s_1")
		if err != nil {
			t.Fatal(err)
		}
		want := &anxin.Shipment{ID: "s_1", OrderID: "o_1", Carrier: "SF", TrackingNo: hostile, Status: "delivered", UpdatedAt: start,
			Events: []anxin.CarrierEvent{sh.Events[1], sh.Events[0], sh2.Events[2]}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindShipment mismatch (-want +got):\n%s", diff)
		}
		if n := countRows(t, db, "shipment_scans"); n != 3 {
			t.Errorf("shipment_scans rows = %d; want 3", n)
		}
		if _, err := ms.FindShipment(operator, "s_404"); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("FindShipment(absent) = %v; want NotFound", err)
		}
	})
}

func TestMarketplaceBadBatchStoresNothing(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ms := sqlstore.NewMarketplaceService(db)
		tests := []struct {
			name     string
			call     func() error
			wantKind anxin.Kind
			wantIdx  []int
		}{
			{"bad id", func() error {
				return ms.UpsertMerchants(platform, []*anxin.Merchant{{ID: "m_ok"}, {ID: "bad id"}, {ID: "m_ok2"}})
			}, anxin.Invalid, []int{1}},
			{"duplicate ids", func() error {
				return ms.UpsertMerchants(platform, []*anxin.Merchant{{ID: "m_a"}, {ID: "m_a"}})
			}, anxin.Invalid, []int{1}},
			{"null item", func() error { return ms.UpsertBuyers(platform, []*anxin.Buyer{{ID: "b_1"}, nil}) }, anxin.Invalid, []int{1}},
			{"negative price", func() error {
				return ms.UpsertListings(platform, []*anxin.Listing{{ID: "l_1", MerchantID: "m", Title: "t", PriceFen: -1}})
			}, anxin.Invalid, []int{0}},
			{"overflowing amount", func() error {
				return ms.UpsertOrders(platform, []*anxin.Order{{ID: "o_1", MerchantID: "m", BuyerID: "b",
					Items: []anxin.OrderItem{{ListingID: "l", Quantity: 1_000_000, UnitPriceFen: anxin.MaxAmountFen}}}})
			}, anxin.Invalid, []int{0}},
			{"invalid utf-8", func() error {
				return ms.UpsertInfluencers(platform, []*anxin.Influencer{{ID: "i_1", Name: "ok"}, {ID: "i_2", Name: "\xff\xfe"}})
			}, anxin.Invalid, []int{1}},
			{"control character", func() error {
				return ms.UpsertContent(platform, []*anxin.ContentItem{{ID: "c_1", Kind: "video", Text: "a\x00b"}})
			}, anxin.Invalid, []int{0}},
			{"bad scan code", func() error {
				return ms.UpsertShipments(platform, []*anxin.Shipment{{ID: "s_1", OrderID: "o_1", Events: []anxin.CarrierEvent{{Code: "teleported"}}}})
			}, anxin.Invalid, []int{0}},
			{"bad after-sale kind", func() error {
				return ms.UpsertAfterSales(platform, []*anxin.AfterSale{{ID: "a_1", OrderID: "o_1", Kind: "steal"}})
			}, anxin.Invalid, []int{0}},
			{"empty batch", func() error { return ms.UpsertMerchants(platform, nil) }, anxin.Invalid, nil},
			{"too many", func() error { return ms.UpsertBuyers(platform, make([]*anxin.Buyer, anxin.MaxBatch+1)) }, anxin.TooLarge, nil},
			{"no actor", func() error { return ms.UpsertMerchants(context.Background(), []*anxin.Merchant{{ID: "m_x"}}) }, anxin.Unauthorized, nil},
			{"reviewer may not write", func() error {
				return ms.UpsertMerchants(as(anxin.RoleReviewer), []*anxin.Merchant{{ID: "m_x"}})
			}, anxin.Forbidden, nil},
			{"merchant may not write", func() error {
				return ms.UpsertMerchants(as(anxin.MerchantRole("m_x")), []*anxin.Merchant{{ID: "m_x"}})
			}, anxin.Forbidden, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if anxin.KindOf(err) != tt.wantKind {
					t.Fatalf("error = %v; want kind %s", err, tt.wantKind)
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
		for _, table := range []string{"merchants", "influencers", "buyers", "listings", "content_items", "orders", "shipments", "shipment_scans", "aftersales"} {
			if n := countRows(t, db, table); n != 0 {
				t.Errorf("%s has %d rows after rejected batches; want 0", table, n)
			}
		}
	})
}

func TestMarketplaceScopeAndPages(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ms := sqlstore.NewMarketplaceService(db)
		var merchants []*anxin.Merchant
		var listings []*anxin.Listing
		var orders []*anxin.Order
		for i := range 7 {
			merchants = append(merchants, &anxin.Merchant{ID: fmt.Sprintf("m_%d", i)})
			listings = append(listings, &anxin.Listing{ID: fmt.Sprintf("l_%d", i), MerchantID: fmt.Sprintf("m_%d", i%2), Title: "t"})
			orders = append(orders, &anxin.Order{ID: fmt.Sprintf("o_%d", i), MerchantID: fmt.Sprintf("m_%d", i%2), BuyerID: "b"})
		}
		if err := ms.UpsertMerchants(platform, merchants); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertListings(platform, listings); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertOrders(platform, orders); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertShipments(platform, []*anxin.Shipment{{ID: "s_0", OrderID: "o_0"}, {ID: "s_1", OrderID: "o_1"}}); err != nil {
			t.Fatal(err)
		}

		// Pages of 3 over 7 merchants.
		var ids []string
		cursor := ""
		for range 4 {
			page, next, err := ms.FindMerchants(operator, anxin.MarketplaceFilter{Page: anxin.Page{Cursor: cursor, Limit: 3}})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page {
				ids = append(ids, m.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if diff := cmp.Diff([]string{"m_0", "m_1", "m_2", "m_3", "m_4", "m_5", "m_6"}, ids); diff != "" {
			t.Errorf("paged merchants mismatch (-want +got):\n%s", diff)
		}
		for _, bad := range []string{"!!", "Zm9vIGJhcg", "%%%"} { // not base64; base64 of "foo bar" (not an id)
			if _, _, err := ms.FindOrders(operator, anxin.MarketplaceFilter{Page: anxin.Page{Cursor: bad}}); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("FindOrders(cursor %q) = %v; want Invalid", bad, err)
			}
		}

		m0 := as(anxin.MerchantRole("m_0"))
		tests := []struct {
			name string
			call func() error
			want anxin.Kind
		}{
			{"own merchant", func() error { _, err := ms.FindMerchant(m0, "m_0"); return err }, ""},
			{"other merchant", func() error { _, err := ms.FindMerchant(m0, "m_1"); return err }, anxin.NotFound},
			{"own listing", func() error { _, err := ms.FindListing(m0, "l_0"); return err }, ""},
			{"other listing", func() error { _, err := ms.FindListing(m0, "l_1"); return err }, anxin.NotFound},
			{"own order", func() error { _, err := ms.FindOrder(m0, "o_2"); return err }, ""},
			{"other order", func() error { _, err := ms.FindOrder(m0, "o_1"); return err }, anxin.NotFound},
			{"other timeline", func() error { _, err := ms.FindOrderTimeline(m0, "o_1"); return err }, anxin.NotFound},
			{"own shipment", func() error { _, err := ms.FindShipment(m0, "s_0"); return err }, ""},
			{"other shipment", func() error { _, err := ms.FindShipment(m0, "s_1"); return err }, anxin.NotFound},
			{"absent order", func() error { _, err := ms.FindOrder(operator, "o_404"); return err }, anxin.NotFound},
			{"no actor", func() error { _, err := ms.FindOrder(context.Background(), "o_1"); return err }, anxin.Unauthorized},
			{"rights holder", func() error { _, err := ms.FindOrder(as(anxin.RightsHolderRole("r")), "o_1"); return err }, anxin.Forbidden},
		}
		for _, tt := range tests {
			if err := tt.call(); anxin.KindOf(err) != tt.want {
				t.Errorf("%s: error = %v; want %q", tt.name, err, tt.want)
			}
		}

		mine, _, err := ms.FindOrders(m0, anxin.MarketplaceFilter{})
		if err != nil || len(mine) != 4 {
			t.Errorf("FindOrders(merchant m_0) = %d orders, %v; want 4", len(mine), err)
		}
		for _, o := range mine {
			if o.MerchantID != "m_0" {
				t.Errorf("merchant m_0 sees order %s of %s", o.ID, o.MerchantID)
			}
		}
		if other, _, err := ms.FindListings(m0, anxin.MarketplaceFilter{MerchantID: "m_1"}); err != nil || len(other) != 0 {
			t.Errorf("FindListings(merchant m_0, filter m_1) = %d, %v; want none", len(other), err)
		}
		if own, _, _ := ms.FindMerchants(m0, anxin.MarketplaceFilter{}); len(own) != 1 || own[0].ID != "m_0" {
			t.Errorf("FindMerchants(merchant m_0) = %v; want only m_0", own)
		}
		if l, _, _ := ms.FindListings(operator, anxin.MarketplaceFilter{MerchantID: "m_1", Status: "live"}); len(l) != 3 {
			t.Errorf("FindListings(m_1, live) = %d; want 3", len(l))
		}
	})
}
