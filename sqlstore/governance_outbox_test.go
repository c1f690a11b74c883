package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// The messages of a check request are queued with its decisions and
// written by one INSERT before COMMIT; they must still be stored in the
// order the checks sent them (seq order), and be there when the request
// returns.
func TestCheckOutboxOrder(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		ls := []*anxin.ListingCheck{
			{ID: "l1", Title: "高仿 女包 专柜品质", MerchantID: "m1"},
			{ID: "l2", Title: "纯棉短袖T恤 男 夏季", MerchantID: "m2"},
			{ID: "l3", Title: "高仿 手表 专柜品质", MerchantID: "m3"},
			{ID: "l4", Title: "高仿 女包 一比一", MerchantID: "m4"},
		}
		ds, err := g.CheckListings(govPlatform, ls)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, d := range ds {
			if d.Outcome == anxin.OutcomeBlock {
				want = append(want, anxin.MessageInterceptListing+" "+d.SubjectID)
			}
		}
		if len(want) < 2 {
			t.Fatalf("blocked %d of the listings; the test needs at least 2", len(want))
		}
		msgs, err := db.OutboxMessages(context.Background(), anxin.MessageInterceptListing, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range slices.Backward(msgs) { // newest first: back to seq order
			got = append(got, m.Type+" "+m.SubjectID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("outbox in seq order = %q; want %q (the order of the items)", got, want)
		}
	})
}
