package sqlstore_test

import (
	"context"
	"testing"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func TestGroundTruth(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if ok, err := sqlstore.HasGroundTruth(ctx, db, "listing"); ok || err != nil {
			t.Fatalf("HasGroundTruth on an empty database = %v, %v; want false", ok, err)
		}
		rows := []sqlstore.TruthRow{
			{"listing", "l1", "violation", "counterfeit"},
			{"listing", "l2", "violation", ""},
			{"listing", "l1", "evasive", "true"},
			{"order", "o1", "late", hostile},
		}
		if err := db.StoreGroundTruth(ctx, rows); err != nil {
			t.Fatal(err)
		}
		// Storing again replaces values.
		if err := db.StoreGroundTruth(ctx, []sqlstore.TruthRow{{"listing", "l2", "violation", "prohibited"}}); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := db.QueryRowContext(ctx, `SELECT value FROM ground_truth WHERE subject_kind = 'listing' AND subject_id = 'l2'`).Scan(&v); err != nil || v != "prohibited" {
			t.Errorf("l2 violation = %q, %v; want prohibited", v, err)
		}
		if n := countRows(t, db, "ground_truth"); n != 4 {
			t.Errorf("%d rows; want 4", n)
		}
		if ok, _ := sqlstore.HasGroundTruth(ctx, db, "listing"); !ok {
			t.Error("HasGroundTruth(listing) = false after storing")
		}
		// A bad row rejects the whole batch.
		err := db.StoreGroundTruth(ctx, []sqlstore.TruthRow{{"listing", "l3", "violation", "x"}, {"", "l4", "violation", ""}})
		if anxin.KindOf(err) != anxin.Invalid || countRows(t, db, "ground_truth") != 4 {
			t.Errorf("StoreGroundTruth(bad row) = %v with %d rows; want Invalid and nothing stored", err, countRows(t, db, "ground_truth"))
		}
	})
}
