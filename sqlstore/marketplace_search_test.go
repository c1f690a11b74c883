package sqlstore_test

import (
	"testing"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestFindMerchantsQuery searches merchants by id prefix and by name,
// ignoring case, with LIKE wildcards matching only themselves, on both
// databases.
func TestFindMerchantsQuery(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ms := sqlstore.NewMarketplaceService(db)
		if err := ms.UpsertMerchants(platform, []*anxin.Merchant{
			{ID: "m_tea", Name: "Tea House 茶馆"}, {ID: "m_rice", Name: "Rice Co"}, {ID: "m_fruit", Name: "Fruit 100% Stall"}, {ID: "tea_2", Name: "Leaf"},
		}); err != nil {
			t.Fatal(err)
		}
		if err := ms.UpsertListings(platform, []*anxin.Listing{{ID: "l_1", MerchantID: "m_tea", Title: "Green TEA 绿茶"}, {ID: "l_2", MerchantID: "m_rice", Title: "rice"}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"m_t", []string{"m_tea"}},
			{"tea", []string{"m_tea", "tea_2"}}, // name "Tea House", id "tea_2"
			{"茶馆", []string{"m_tea"}},
			{"RICE", []string{"m_rice"}},
			{"100%", []string{"m_fruit"}},
			{"%", []string{"m_fruit"}}, // the literal percent sign only
			{"_", nil},
			{"nobody", nil},
		} {
			got, _, err := ms.FindMerchants(operator, anxin.MarketplaceFilter{Query: c.q})
			if err != nil {
				t.Fatalf("FindMerchants(%q): %v", c.q, err)
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			if len(ids) != len(c.want) || (len(ids) > 0 && ids[0] != c.want[0]) {
				t.Errorf("FindMerchants(%q) = %v; want %v", c.q, ids, c.want)
			}
		}
		ls, _, err := ms.FindListings(operator, anxin.MarketplaceFilter{Query: "green tea"})
		if err != nil || len(ls) != 1 || ls[0].ID != "l_1" {
			t.Errorf("FindListings(green tea) = %v, %v; want l_1", ls, err)
		}
	})
}
