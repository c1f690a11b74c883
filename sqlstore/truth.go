package sqlstore

import (
	"context"

	"anxin"
)

// TruthRow is one fact of simulator ground truth: subject kind (listing,
// content, merchant, influencer, buyer, order, aftersale, complaint, stream),
// its id, a label (violation, evasive, ring, late, lost, fraudulent, cause,
// topic, …) and a value ("" is a meaningful value: a clean listing has
// violation "").
type TruthRow struct {
	Kind, ID, Label, Value string
}

// StoreGroundTruth replaces ground-truth rows (same kind, id and label). It
// is for the demo only: detection engines never read ground truth; report
// sections read it for their Quality metrics (see HasGroundTruth). Invalid if
// a row has an empty kind, id or label, with nothing stored.
func (db *DB) StoreGroundTruth(ctx context.Context, rows []TruthRow) error {
	for i, r := range rows {
		if r.Kind == "" || r.ID == "" || r.Label == "" {
			return &anxin.Error{Kind: anxin.Invalid, Message: "Ground truth rows need a kind, an id and a label.",
				Details: []anxin.ItemError{{Index: i, ID: r.ID, Message: "kind, id and label are required."}}}
		}
		if err := anxin.ValidateText("value", r.Value, anxin.MaxNameLen); err != nil {
			return err
		}
	}
	b := batch{
		head: `INSERT INTO ground_truth (subject_kind, subject_id, label, value)`,
		tail: `ON CONFLICT (subject_kind, subject_id, label) DO UPDATE SET value = excluded.value`,
		cols: 4,
	}
	return db.Transact(ctx, func(tx *Tx) error {
		return b.exec(ctx, tx, len(rows), func(args []any, i int) []any {
			r := rows[i]
			return append(args, r.Kind, r.ID, r.Label, r.Value)
		})
	})
}

// HasGroundTruth reports whether any ground truth of the subject kind is
// stored, i.e. whether the database holds a demo. Report sections add their
// Quality metrics only when it does.
func HasGroundTruth(ctx context.Context, db *DB, kind string) (bool, error) {
	n, err := db.count(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM ground_truth WHERE subject_kind = ? LIMIT 1) t`, kind)
	return n > 0, err
}

// truthQuality measures a capability's flags against ground truth, for a
// report section's Quality metrics. flagged is a SELECT of the distinct
// subject ids the capability flagged (with its args, placed first); the
// positives are the subjects of kind whose truth label has a non-empty value
// other than "false" (a violation category, "true"). It returns two
// Quality metrics, <name>_precision_rate (flagged that are positive, over
// flagged) and <name>_recall_rate (positives flagged, over positives), or
// none when no ground truth of kind is stored. what names the flags in the
// labels, e.g. "listings blocked".
func truthQuality(ctx context.Context, db *DB, name, what, kind, label, flagged string, args ...any) ([]anxin.Metric, error) {
	if ok, err := HasGroundTruth(ctx, db, kind); err != nil || !ok {
		return nil, err
	}
	const positive = `subject_kind = ? AND label = ? AND value <> '' AND value <> 'false'`
	nFlagged, err := db.count(ctx, `SELECT COUNT(*) FROM (`+flagged+`) f`, args...)
	if err != nil {
		return nil, err
	}
	tp, err := db.count(ctx, `SELECT COUNT(*) FROM ground_truth WHERE subject_id IN (`+flagged+`) AND `+positive,
		append(append([]any{}, args...), kind, label)...)
	if err != nil {
		return nil, err
	}
	positives, err := db.count(ctx, `SELECT COUNT(*) FROM ground_truth WHERE `+positive, kind, label)
	if err != nil {
		return nil, err
	}
	return []anxin.Metric{
		{Name: name + "_precision_rate", Label: "Precision of " + what, Value: ratio(tp, nFlagged), Quality: true},
		{Name: name + "_recall_rate", Label: "Recall of " + what, Value: ratio(tp, positives), Quality: true},
	}, nil
}

// ratio is n/d, or 0 when d is 0.
func ratio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
