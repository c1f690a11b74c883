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

func TestTruthQuality(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		flagged := `SELECT subject_id FROM ground_truth WHERE subject_kind = 'flag' AND label = ?`
		ms, err := sqlstore.TruthQuality(ctx, db, "blocks", "listings blocked", "listing", "violation", flagged, "hit")
		if err != nil || len(ms) != 0 {
			t.Fatalf("TruthQuality without ground truth = %v, %v; want no metrics", ms, err)
		}
		// Four listings, two violating; the capability flagged one
		// violating and one clean listing.
		rows := []sqlstore.TruthRow{
			{"listing", "l1", "violation", "counterfeit"},
			{"listing", "l2", "violation", "diversion"},
			{"listing", "l3", "violation", ""},
			{"listing", "l4", "violation", ""},
			{"flag", "l1", "hit", ""},
			{"flag", "l3", "hit", ""},
		}
		if err := db.StoreGroundTruth(ctx, rows); err != nil {
			t.Fatal(err)
		}
		ms, err = sqlstore.TruthQuality(ctx, db, "blocks", "listings blocked", "listing", "violation", flagged, "hit")
		if err != nil || len(ms) != 2 {
			t.Fatalf("TruthQuality = %v, %v", ms, err)
		}
		want := []anxin.Metric{
			{Name: "blocks_precision_rate", Label: "Precision of listings blocked", Value: 0.5, Quality: true},
			{Name: "blocks_recall_rate", Label: "Recall of listings blocked", Value: 0.5, Quality: true},
		}
		for i := range want {
			if ms[i] != want[i] {
				t.Errorf("metric %d = %+v; want %+v", i, ms[i], want[i])
			}
		}
	})
}
