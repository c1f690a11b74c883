package anxin

import (
	"strings"
	"testing"
)

// A listing check and the mirror apply the same field rules: whatever a
// check accepts, the mirror accepts, and the other way round.
func TestListingCheckAndMirrorAgree(t *testing.T) {
	for _, tt := range []struct {
		name  string
		title string
		price int64
		ok    bool
	}{
		{"short title", "有机草莓 500g", 1990, true},
		{"title at the limit", strings.Repeat("莓", MaxTitleLen/3), 1990, true},
		{"title one byte over", strings.Repeat("x", MaxTitleLen+1), 1990, false},
		{"control character", "草莓\x07", 1990, false},
		{"negative price", "草莓", -1, false},
	} {
		c := &ListingCheck{ID: "l1", MerchantID: "m1", Title: tt.title, PriceFen: tt.price}
		l := &Listing{ID: "l1", MerchantID: "m1", Title: tt.title, PriceFen: tt.price}
		cerr, lerr := c.Validate(), l.Validate()
		if (cerr == nil) != tt.ok || (lerr == nil) != tt.ok {
			t.Errorf("%s: ListingCheck.Validate = %v, Listing.Validate = %v; want ok=%v for both", tt.name, cerr, lerr, tt.ok)
		}
	}
	// Only the merchant is optional in a check.
	if err := (&ListingCheck{ID: "l1", Title: "草莓"}).Validate(); err != nil {
		t.Errorf("check without merchant = %v", err)
	}
	if err := (&Listing{ID: "l1", Title: "草莓"}).Validate(); KindOf(err) != Invalid {
		t.Errorf("listing without merchant = %v; want Invalid", err)
	}
}
