package sqlstore_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestSanctionFilterStatusQuery covers the status and search filters of
// FindSanctions, LIKE wildcards in the search among them.
func TestSanctionFilterStatusQuery(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		mk := sqlstore.NewMarketplaceService(db)
		if err := mk.UpsertMerchants(govPlatform, []*anxin.Merchant{
			{ID: "m_a", Name: "Tea_House 100%"}, {ID: "m_b", Name: "TeaXHouse"}, {ID: "mxc", Name: "Rice Co"},
		}); err != nil {
			t.Fatal(err)
		}
		for _, r := range []anxin.SanctionRequest{
			{SubjectID: "m_a", Type: anxin.SanctionRestrictListing, Days: 7, Facts: "empty parcels"},
			{SubjectID: "m_b", Type: anxin.SanctionWarning, Days: 3, Facts: "late shipping"},
			{SubjectID: "mxc", Type: anxin.SanctionClearOut, Facts: "fraud ring"},
		} {
			if _, err := g.IssueSanction(govOperator, r); err != nil {
				t.Fatalf("IssueSanction(%s): %v", r.SubjectID, err)
			}
			clock.Advance(time.Second)
		}
		clock.Advance(4 * 24 * time.Hour) // m_b's warning has expired
		find := func(f anxin.SanctionFilter) []string {
			t.Helper()
			ss, _, err := g.FindSanctions(govReviewer, f)
			if err != nil {
				t.Fatalf("FindSanctions(%+v): %v", f, err)
			}
			var ids []string
			for _, s := range ss {
				ids = append(ids, s.SubjectID)
			}
			slices.Sort(ids)
			return ids
		}
		tests := []struct {
			name string
			f    anxin.SanctionFilter
			want []string
		}{
			{"no filter", anxin.SanctionFilter{}, []string{"m_a", "m_b", "mxc"}},
			{"underscore is literal in a name", anxin.SanctionFilter{Query: "tea_"}, []string{"m_a"}},
			{"percent is literal", anxin.SanctionFilter{Query: "%"}, []string{"m_a"}},
			{"underscore is literal in an id", anxin.SanctionFilter{Query: "m_"}, []string{"m_a", "m_b"}},
			{"backslash matches nothing here", anxin.SanctionFilter{Query: `\`}, nil},
			{"name ignores case", anxin.SanctionFilter{Query: "  RICE "}, []string{"mxc"}},
			{"id prefix only", anxin.SanctionFilter{Query: "xc"}, nil},
			{"active", anxin.SanctionFilter{Status: anxin.SanctionActive}, []string{"m_a", "mxc"}},
			{"expired", anxin.SanctionFilter{Status: anxin.SanctionExpired}, []string{"m_b"}},
			{"lifted", anxin.SanctionFilter{Status: anxin.SanctionLifted}, nil},
			{"active and search", anxin.SanctionFilter{Status: anxin.SanctionActive, Query: "tea"}, []string{"m_a"}},
			{"search and type", anxin.SanctionFilter{Query: "m", Type: anxin.SanctionClearOut}, []string{"mxc"}},
		}
		for _, tt := range tests {
			if got := find(tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("%s: FindSanctions = %v; want %v", tt.name, got, tt.want)
			}
		}
		for _, tt := range []struct {
			name string
			f    anxin.SanctionFilter
			msg  string
		}{
			{"unknown status", anxin.SanctionFilter{Status: "gone"}, "status must be"},
			{"long search", anxin.SanctionFilter{Query: strings.Repeat("x", anxin.MaxSanctionQuery+1)}, "longer than"},
			{"control character", anxin.SanctionFilter{Query: "a\x00b"}, "q "},
		} {
			if _, _, err := g.FindSanctions(govReviewer, tt.f); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.msg) {
				t.Errorf("%s: FindSanctions = %v; want Invalid containing %q", tt.name, err, tt.msg)
			}
		}

		// The enforcement list: one row per shop, in a state, paged.
		type row struct {
			id, name, state string
			active          int
		}
		list := func(f anxin.SanctionFilter, state string) ([]row, string) {
			t.Helper()
			ms, next, err := g.FindEnforcedMerchants(govReviewer, f, state)
			if err != nil {
				t.Fatalf("FindEnforcedMerchants(%+v, %q): %v", f, state, err)
			}
			var out []row
			for _, m := range ms {
				out = append(out, row{m.MerchantID, m.Name, m.Enforcement.State, len(m.Enforcement.Sanctions)})
			}
			return out, next
		}
		if got, next := list(anxin.SanctionFilter{}, ""); !slices.Equal(got, []row{{"mxc", "Rice Co", anxin.StateClearedOut, 1}, {"m_b", "TeaXHouse", anxin.StateGoodStanding, 0}, {"m_a", "Tea_House 100%", anxin.StateRestricted, 1}}) || next != "" {
			t.Errorf("enforced merchants = %v, next %q", got, next)
		}
		if got, _ := list(anxin.SanctionFilter{Active: true}, anxin.StateRestricted); !slices.Equal(got, []row{{"m_a", "Tea_House 100%", anxin.StateRestricted, 1}}) {
			t.Errorf("restricted merchants = %v; want m_a", got)
		}
		if got, _ := list(anxin.SanctionFilter{Query: "rice"}, anxin.StateRestricted); got != nil {
			t.Errorf("restricted merchants named rice = %v; want none", got)
		}
		page1, next := list(anxin.SanctionFilter{Page: anxin.Page{Limit: 2}}, "")
		page2, last := list(anxin.SanctionFilter{Page: anxin.Page{Limit: 2, Cursor: next}}, "")
		if len(page1) != 2 || len(page2) != 1 || next == "" || last != "" || page2[0].id != "m_a" {
			t.Errorf("pages = %v (next %q), %v (next %q); want 2 then 1", page1, next, page2, last)
		}
		for _, bad := range []struct {
			f     anxin.SanctionFilter
			state string
		}{{anxin.SanctionFilter{}, "banned"}, {anxin.SanctionFilter{Page: anxin.Page{Cursor: "-1"}}, ""}, {anxin.SanctionFilter{Page: anxin.Page{Cursor: "x"}}, ""}, {anxin.SanctionFilter{Query: "a\x00"}, ""}} {
			if _, _, err := g.FindEnforcedMerchants(govReviewer, bad.f, bad.state); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("FindEnforcedMerchants(%+v, %q) = %v; want Invalid", bad.f, bad.state, err)
			}
		}
		if ms, _, err := g.FindEnforcedMerchants(govAs(anxin.MerchantRole("m_b"), "k_mb"), anxin.SanctionFilter{}, ""); err != nil || len(ms) != 1 || ms[0].MerchantID != "m_b" {
			t.Errorf("enforced merchants as m_b = %d, %v; want only itself", len(ms), err)
		}

		// A merchant's search cannot reach other merchants.
		if got, _, err := g.FindSanctions(govAs(anxin.MerchantRole("m_b"), "k_mb"), anxin.SanctionFilter{Query: "tea"}); err != nil || len(got) != 1 || got[0].SubjectID != "m_b" {
			t.Errorf("merchant search = %d, %v; want only its own", len(got), err)
		}
	})
}
