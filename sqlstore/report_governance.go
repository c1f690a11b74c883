package sqlstore

import (
	"context"

	"anxin"
)

// governanceSection is the report's governance section (DOMAIN §21): what
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
		{"listings_delisted", "Risky listings delisted", `SELECT COUNT(DISTINCT target_id) FROM gov_enforcements
			WHERE action = 'delist' AND stage IN ('post_publish', 'stream') AND created_at >= ? AND created_at < ?`},
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
		n, err := db.count(ctx, q.q, from, to)
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
	return sec, nil
}
