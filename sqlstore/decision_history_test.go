package sqlstore_test

import (
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func TestSubjectHistory(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		first := checkOne(t, g, anxin.ListingCheck{ID: "l1", Title: "外贸原单 T恤", MerchantID: "m1"})
		if first.CaseID == "" {
			t.Fatalf("first check = %+v; want a review case", first)
		}
		if _, err := g.DecideCase(govReviewer, first.CaseID, anxin.ResOverturn, "plain shirt"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		second := checkOne(t, g, anxin.ListingCheck{ID: "l1", Title: "纯棉 T恤", MerchantID: "m1"})
		checkOne(t, g, anxin.ListingCheck{ID: "l2", Title: "高仿 包", MerchantID: "m1"})

		hs, err := g.SubjectHistory(govReviewer, "listing", "l1", 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 2 || hs[0].Decision.ID != second.ID || hs[1].Decision.ID != first.ID {
			t.Fatalf("SubjectHistory(l1) = %d records; want the two decisions on l1, newest first", len(hs))
		}
		if hs[0].Checked == nil || hs[0].Checked.Title != "纯棉 T恤" || hs[1].Checked.Title != "外贸原单 T恤" {
			t.Fatalf("checked titles = %+v, %+v; want the titles as checked", hs[0].Checked, hs[1].Checked)
		}
		if hs[0].Case != nil || hs[1].Case == nil || hs[1].Case.Resolution != anxin.ResOverturn || hs[1].Case.DecidedBy != "k_reviewer" {
			t.Fatalf("cases = %+v, %+v; want the first decision's overturned case", hs[0].Case, hs[1].Case)
		}
		for _, e := range hs[1].Decision.Evidence {
			if e.Field == "title" && hs[1].Checked.Title[e.Start:e.End] != e.Quote {
				t.Errorf("evidence %+v does not quote the checked title at its offsets", e)
			}
		}

		bad := []struct {
			name, typ, id string
			limit         int
		}{
			{"unknown type", "order", "l1", 10},
			{"bad id", "listing", "l 1;--", 10},
			{"zero limit", "listing", "l1", 0},
			{"huge limit", "listing", "l1", 201},
		}
		for _, tt := range bad {
			if _, err := g.SubjectHistory(govReviewer, tt.typ, tt.id, tt.limit); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("SubjectHistory(%s) = %v; want Invalid", tt.name, err)
			}
		}
		if _, err := g.SubjectHistory(govPlatform, "listing", "l1", 10); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("SubjectHistory as platform = %v; want Forbidden", err)
		}
		if hs, err := g.SubjectHistory(govReviewer, "listing", "nobody", 10); err != nil || len(hs) != 0 {
			t.Errorf("SubjectHistory(unknown listing) = %d, %v; want none", len(hs), err)
		}
	})
}
