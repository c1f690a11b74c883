package sqlstore_test

import (
	"testing"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func TestOrderUpsertKeepsPIIRef(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ms := sqlstore.NewMarketplaceService(db)
		ctx := as(anxin.RolePlatform)
		o := func(ref string) *anxin.Order {
			return &anxin.Order{ID: "o1", MerchantID: "m1", BuyerID: "b1", PIIRef: ref,
				Items: []anxin.OrderItem{{ListingID: "l1", Quantity: 1, UnitPriceFen: 100}}}
		}
		if err := ms.UpsertOrders(ctx, []*anxin.Order{o("pii_1")}); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertOrders(ctx, []*anxin.Order{o("")}); err != nil {
			t.Fatal(err)
		}
		got, err := ms.FindOrder(as(anxin.RoleOperator), "o1")
		if err != nil || got.PIIRef != "pii_1" {
			t.Fatalf("pii_ref after a re-send without it = %q, %v; want pii_1", got.PIIRef, err)
		}
	})
}
