package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"anxin"
)

// governanceSection is the report's governance section (doc/domain.md, Report metrics): what
// was checked, intercepted at publish, banned and delisted, content blocked,
// merchant penalties and clear-outs, and appeals with their overturn rate.
// Counts of listings and merchants are distinct entities; enforcement counts
// are gross of appeals.
func governanceSection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	from, to := ms(p.From), ms(p.To)
	sec := anxin.Section{Key: "governance", Title: "Content and listing governance"}
	queries := []struct{ name, label, q string }{
		{"listings_checked", "Listings checked", `SELECT COUNT(DISTINCT subject_id) FROM gov_decisions
			WHERE subject_type = 'listing' AND created_at >= ? AND created_at < ?`},
		{"listings_intercepted", "Listings intercepted at publish", `SELECT COUNT(DISTINCT subject_id) FROM gov_decisions
			WHERE subject_type = 'listing' AND stage = 'publish' AND outcome = 2 AND created_at >= ? AND created_at < ?`},
		{"publish_attempts_intercepted", "Publish attempts intercepted", `SELECT COUNT(*) FROM gov_decisions
			WHERE subject_type = 'listing' AND stage = 'publish' AND outcome = 2 AND created_at >= ? AND created_at < ?`},
		{"listings_banned", "Listings banned", `SELECT COUNT(DISTINCT target_id) FROM gov_enforcements
			WHERE action = 'ban_listing' AND created_at >= ? AND created_at < ?`},
		// Every source that takes a live listing down: governance's
		// post-publish and stream checks, rights holders' notices and
		// failed samples; a listing taken down twice counts once.
		{"listings_delisted", "Risky listings delisted (governance, notices, sampling)", `SELECT COUNT(*) FROM (
			SELECT target_id AS listing_id FROM gov_enforcements
				WHERE action = 'delist' AND stage IN ('post_publish', 'stream') AND created_at >= ? AND created_at < ?
			UNION SELECT listing_id FROM notices WHERE takedown_at >= ? AND takedown_at < ?
			UNION SELECT listing_id FROM sampling_interceptions WHERE at >= ? AND at < ?) delisted`},
		{"content_checked", "Content items checked", `SELECT COUNT(*) FROM gov_decisions
			WHERE subject_type = 'content' AND created_at >= ? AND created_at < ?`},
		{"content_blocked", "Content items blocked", `SELECT COUNT(*) FROM gov_decisions
			WHERE subject_type = 'content' AND outcome = 2 AND created_at >= ? AND created_at < ?`},
		{"reviews_opened", "Review cases opened", `SELECT COUNT(*) FROM gov_cases WHERE created_at >= ? AND created_at < ?`},
		{"merchant_penalties", "Merchant penalties", `SELECT COUNT(*) FROM sanctions
			WHERE source = 'governance' AND subject_type = 'merchant' AND type IN ('restrict_listing', 'shield_shop', 'freeze_payout', 'deduct_deposit')
			AND created_at >= ? AND created_at < ?`},
		{"merchants_penalised", "Merchants penalised", `SELECT COUNT(DISTINCT subject_id) FROM sanctions
			WHERE source = 'governance' AND subject_type = 'merchant' AND type IN ('restrict_listing', 'shield_shop', 'freeze_payout', 'deduct_deposit')
			AND created_at >= ? AND created_at < ?`},
		{"merchants_cleared", "Merchants cleared out", `SELECT COUNT(DISTINCT subject_id) FROM sanctions
			WHERE source = 'governance' AND type = 'clear_out' AND created_at >= ? AND created_at < ?`},
		{"appeals", "Appeals filed", `SELECT COUNT(*) FROM gov_appeals WHERE created_at >= ? AND created_at < ?`},
		{"appeals_overturned", "Appeals overturned", `SELECT COUNT(*) FROM gov_appeals
			WHERE status = 'overturned' AND decided_at >= ? AND decided_at < ?`},
		{"appeals_decided", "Appeals decided", `SELECT COUNT(*) FROM gov_appeals
			WHERE status IN ('upheld', 'overturned') AND decided_at >= ? AND decided_at < ?`},
	}
	vals := map[string]float64{}
	for _, q := range queries {
		var args []any // each query takes the period once per source
		for range strings.Count(q.q, "?") / 2 {
			args = append(args, from, to)
		}
		n, err := db.count(ctx, q.q, args...)
		if err != nil {
			return sec, err
		}
		vals[q.name] = float64(n)
		sec.Metrics = append(sec.Metrics, anxin.Metric{Name: q.name, Label: q.label, Value: float64(n)})
	}
	rate := 0.0
	if vals["appeals_decided"] > 0 {
		rate = vals["appeals_overturned"] / vals["appeals_decided"]
	}
	sec.Metrics = append(sec.Metrics, anxin.Metric{Name: "appeal_overturn_rate", Label: "Appeal overturn rate", Value: rate})
	// Detection quality against simulator ground truth (demo databases
	// only): a subject counts as flagged when a rule of the policy fired
	// with review or block, not when a restricted merchant was merely
	// gated.
	for _, k := range []struct{ kind, name, what string }{
		{"listing", "listings_flagged", "listings flagged by the policy"},
		{"content", "content_flagged", "content flagged by the policy"},
	} {
		q, err := truthQuality(ctx, db, k.name, k.what, k.kind, "violation", `SELECT DISTINCT d.subject_id FROM gov_decisions d
			WHERE d.subject_type = ? AND d.outcome > 0 AND d.created_at >= ? AND d.created_at < ?
			AND EXISTS (SELECT 1 FROM gov_decision_rules r WHERE r.decision_id = d.id AND r.shadow = 0)`, k.kind, from, to)
		if err != nil {
			return sec, err
		}
		sec.Metrics = append(sec.Metrics, q...)
	}
	ev, err := evalQuality(ctx, db, p)
	if err != nil {
		return sec, err
	}
	sec.Metrics = append(sec.Metrics, ev...)
	return sec, nil
}

// evalQuality is the detection quality measured on the latest labelled set
// evaluated before the period ends (anxin eval --store, or the console's
// evaluation page), or nothing when none is stored. A violation counts as
// caught when it was blocked or sent to review; recall of blocks alone is
// given beside it.
func evalQuality(ctx context.Context, db *DB, p anxin.Period) ([]anxin.Metric, error) {
	r, err := db.LatestEvalResult(ctx, p.To)
	if anxin.KindOf(err) == anxin.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := r.Summary
	src := fmt.Sprintf("%q, %d items of which %d violations, measured %s, %s",
		r.Name, s.Items, s.Violations, r.CreatedAt.In(anxin.MarketplaceTZ).Format("2006-01-02"), s.Engine)
	return []anxin.Metric{
		{Name: "labelled_precision_rate", Label: "Precision of blocks and reviews", Value: s.Flagged.Precision, Quality: true, QualitySource: src},
		{Name: "labelled_recall_rate", Label: "Recall of violations (blocked or sent to review)", Value: s.Flagged.Recall, Quality: true, QualitySource: src},
		{Name: "labelled_recall_blocked_rate", Label: "Recall of violations (blocked)", Value: s.Blocked.Recall, Quality: true, QualitySource: src},
		{Name: "labelled_false_positive_rate", Label: "Clean texts blocked or sent to review", Value: s.Flagged.FPR, Quality: true, QualitySource: src},
	}, nil
}
