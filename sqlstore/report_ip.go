package sqlstore

import (
	"context"
	"slices"

	"anxin"
)

// ipSection is the report's IP section: how counterfeits were found and
// what the notice workflow did in the period, from stored data only.
func ipSection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	from, to := ms(p.From), ms(p.To)
	sec := anxin.Section{Key: "ip", Title: "Anti-counterfeit and IP protection"}
	// Confirmed counterfeits: listings whose counterfeit notice was upheld
	// (taken down and not reinstated) in the period.
	var confirmed, proactive, lexicon int64
	err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT n.listing_id),
		COUNT(DISTINCT CASE WHEN f.flagged_at <= n.filed_at AND (f.by_signals = 1 OR f.by_lexicon = 1) THEN n.listing_id END),
		COUNT(DISTINCT CASE WHEN f.flagged_at <= n.filed_at AND f.by_lexicon = 1 THEN n.listing_id END)
		FROM notices n LEFT JOIN counterfeit_flags f ON f.listing_id = n.listing_id
		WHERE n.family = 'counterfeit' AND n.state IN ('taken_down', 'upheld') AND n.takedown_at >= ? AND n.takedown_at < ?`, from, to).
		Scan(&confirmed, &proactive, &lexicon)
	if err != nil {
		return sec, mapError(err)
	}
	rate := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	counts := []struct{ name, label, q string }{
		{"links_removed", "Links removed on notices", `SELECT COUNT(*) FROM notices WHERE takedown_at >= ? AND takedown_at < ?`},
		{"influencer_penalties", "Influencer penalties", `SELECT COUNT(*) FROM influencer_penalties WHERE created_at >= ? AND created_at < ?`},
		{"shops_banned", "Shops banned for repeat infringement", `SELECT COUNT(*) FROM sanctions WHERE source = 'ip' AND type = 'clear_out' AND created_at >= ? AND created_at < ?`},
		{"notices", "Notices filed", `SELECT COUNT(*) FROM notices WHERE filed_at >= ? AND filed_at < ?`},
		{"counter_notices", "Counter-notices", `SELECT COUNT(*) FROM notices WHERE counter_at >= ? AND counter_at < ?`},
		{"reregistrations_caught", "Re-registrations caught", `SELECT COUNT(*) FROM reregistrations WHERE caught_at >= ? AND caught_at < ?`},
	}
	sec.Metrics = append(sec.Metrics,
		anxin.Metric{Name: "proactive_identification_rate", Label: "Confirmed counterfeits Anxin flagged before any complaint", Value: rate(proactive, confirmed)},
		anxin.Metric{Name: "lexicon_only_identification_rate", Label: "… of which coded-language lexicons alone would have flagged", Value: rate(lexicon, confirmed)},
	)
	for _, c := range counts {
		n, err := db.count(ctx, c.q, from, to)
		if err != nil {
			return sec, err
		}
		sec.Metrics = append(sec.Metrics, anxin.Metric{Name: c.name, Label: c.label, Value: float64(n)})
	}
	rows, err := db.QueryContext(ctx, `SELECT takedown_at - filed_at FROM notices WHERE takedown_at >= ? AND takedown_at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	defer rows.Close()
	var all, reviewed []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return sec, err
		}
		all = append(all, v)
		if v > 0 {
			reviewed = append(reviewed, v)
		}
	}
	if err := rows.Err(); err != nil {
		return sec, err
	}
	// Notices with strong evidence come down at filing (0 s); the others
	// wait for the IP team's review, whose time is shown on its own so the
	// overall median does not hide it.
	sec.Metrics = append(sec.Metrics,
		anxin.Metric{Name: "takedown_time_p50_s", Label: "Median takedown time, all notices (a takedown at filing counts as 0)", Value: medianSeconds(all)},
		anxin.Metric{Name: "takedowns_at_filing", Label: "Links taken down at filing (strong evidence)", Value: float64(len(all) - len(reviewed))},
		anxin.Metric{Name: "takedown_time_reviewed_p50_s", Label: "Median takedown time after the IP team's review", Value: medianSeconds(reviewed)})
	sec.Metrics = append(sec.Metrics, anxin.Metric{Name: "confirmed_counterfeits", Label: "Counterfeit listings confirmed by notices", Value: float64(confirmed)})

	// Detection quality against simulator ground truth, when it is stored.
	q, err := truthQuality(ctx, db, "reregistration", "re-registrations caught", "merchant", "reregistration_of",
		`SELECT merchant_id FROM reregistrations WHERE caught_at < ?`, to)
	if err != nil {
		return sec, err
	}
	sec.Metrics = append(sec.Metrics, q...)
	if ok, err := HasGroundTruth(ctx, db, "listing"); err != nil {
		return sec, err
	} else if ok {
		for _, f := range []struct{ name, what, cond string }{
			{"counterfeit_signals", "listings flagged by counterfeit signals", "by_signals = 1"},
			{"counterfeit_lexicon", "listings flagged by coded language alone", "by_lexicon = 1"},
		} {
			var flagged, tp, positives int64
			err := db.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM counterfeit_flags WHERE `+f.cond+` AND flagged_at < ?),
				(SELECT COUNT(*) FROM counterfeit_flags c JOIN ground_truth g ON g.subject_id = c.listing_id AND g.subject_kind = 'listing' AND g.label = 'violation' AND g.value = 'counterfeit' WHERE c.`+f.cond+` AND c.flagged_at < ?),
				(SELECT COUNT(*) FROM ground_truth WHERE subject_kind = 'listing' AND label = 'violation' AND value = 'counterfeit')`, to, to).
				Scan(&flagged, &tp, &positives)
			if err != nil {
				return sec, mapError(err)
			}
			sec.Metrics = append(sec.Metrics,
				anxin.Metric{Name: f.name + "_precision_rate", Label: "Precision of " + f.what, Value: ratio(tp, flagged), Quality: true},
				anxin.Metric{Name: f.name + "_recall_rate", Label: "Recall of " + f.what, Value: ratio(tp, positives), Quality: true})
		}
	}
	return sec, nil
}

// medianSeconds returns the median of durations in milliseconds, in
// seconds (0 for none).
func medianSeconds(ms []int64) float64 {
	if len(ms) == 0 {
		return 0
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	return float64(s[len(s)/2]) / 1000
}
