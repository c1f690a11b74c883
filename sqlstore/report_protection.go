package sqlstore

import (
	"context"
	"sort"

	"anxin"
)

// protectionSection is the report's buyer-protection section: how many paid
// orders programmes covered, merchants enrolled, claims and how many were
// decided without a person, refund times (filing to payout), what the
// guarantee fund paid and recovered, and what the logistics pool paid. All
// figures come from stored claims, payouts and postings.
func protectionSection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	from, to := ms(p.From), ms(p.To)
	sec := anxin.Section{Key: "protection", Title: "Buyer protection and the guarantee fund"}
	add := func(name, label string, v float64) {
		sec.Metrics = append(sec.Metrics, anxin.Metric{Name: name, Label: label, Value: v})
	}
	paid, err := db.count(ctx, `SELECT COUNT(*) FROM orders WHERE paid_at >= ? AND paid_at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	covered, err := db.count(ctx, `SELECT COUNT(*) FROM orders o WHERE o.paid_at >= ? AND o.paid_at < ?
		AND EXISTS (SELECT 1 FROM order_coverage c WHERE c.order_id = o.id)`, from, to)
	if err != nil {
		return sec, err
	}
	add("order_coverage_rate", "Paid orders covered by a programme", protectionRatio(covered, paid))
	progs, err := db.count(ctx, `SELECT COUNT(DISTINCT id) FROM protection_programmes WHERE active = 1`)
	if err != nil {
		return sec, err
	}
	add("programmes", "Buyer-protection programmes in force", float64(progs))
	enrolled, err := db.count(ctx, `SELECT COUNT(DISTINCT merchant_id) FROM protection_enrolments`)
	if err != nil {
		return sec, err
	}
	add("merchants_enrolled", "Merchants enrolled in a programme", float64(enrolled))
	claims, err := db.count(ctx, `SELECT COUNT(*) FROM claims WHERE created_at >= ? AND created_at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	add("claims_total", "Claims filed or triggered", float64(claims))
	decided, err := db.count(ctx, `SELECT COUNT(*) FROM claims WHERE decided_at >= ? AND decided_at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	auto, err := db.count(ctx, `SELECT COUNT(*) FROM claims WHERE decided_at >= ? AND decided_at < ? AND automated = 1`, from, to)
	if err != nil {
		return sec, err
	}
	add("claims_auto_decided_rate", "Decided claims decided automatically", protectionRatio(auto, decided))
	p50, p90, err := refundTimes(ctx, db, from, to)
	if err != nil {
		return sec, err
	}
	add("refund_time_p50_s", "Refund time (claim to refund confirmed paid), median", p50)
	add("refund_time_p90_s", "Refund time (claim to refund confirmed paid), 90th percentile", p90)
	for _, q := range []struct{ name, label, q string }{
		{"fund_paid_fen", "Guarantee fund paid out (¥)", `SELECT COALESCE(-SUM(e.amount_fen), 0) FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id
			WHERE e.account = 'guarantee_fund' AND e.amount_fen < 0 AND p.kind IN ('payout', 'reversal') AND p.created_at >= ? AND p.created_at < ?`},
		{"fund_recovered_fen", "Recovered from merchants for the fund (¥)", `SELECT COALESCE(SUM(r.amount_fen), 0) FROM recoveries r JOIN payouts y ON y.id = r.payout_id
			WHERE y.funding = 'guarantee_fund' AND r.account NOT LIKE 'merchant_receivable:%' AND r.created_at >= ? AND r.created_at < ?`},
		{"logistics_pool_paid_fen", "Logistics pool paid out (¥)", `SELECT COALESCE(-SUM(e.amount_fen), 0) FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id
			WHERE e.account = 'logistics_pool' AND e.amount_fen < 0 AND p.created_at >= ? AND p.created_at < ?`},
	} {
		v, err := db.count(ctx, q.q, from, to)
		if err != nil {
			return sec, err
		}
		add(q.name, q.label, float64(v))
	}
	// The fund's cases and how much of what it paid first came back.
	cases, err := db.count(ctx, `SELECT COUNT(*) FROM payouts WHERE funding = 'guarantee_fund' AND created_at >= ? AND created_at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	add("fund_cases", "Cases the guarantee fund paid first", float64(cases))
	add("fund_recovery_rate", "Recovered ÷ paid by the guarantee fund", protectionRatio(int64(metricValue(sec, "fund_recovered_fen")), int64(metricValue(sec, "fund_paid_fen"))))
	chart := anxin.Series{Name: "claims_by_programme_outcome", Title: "Claims by programme and status"}
	rows, err := db.QueryContext(ctx, `SELECT programme_id, status, COUNT(*) FROM claims WHERE created_at >= ? AND created_at < ?
		GROUP BY programme_id, status ORDER BY programme_id, status`, from, to)
	if err != nil {
		return sec, err
	}
	defer rows.Close()
	for rows.Next() {
		var prog, status string
		var n int64
		if err := rows.Scan(&prog, &status, &n); err != nil {
			return sec, err
		}
		chart.Labels = append(chart.Labels, prog+" "+status)
		chart.Values = append(chart.Values, float64(n))
	}
	if len(chart.Labels) > 0 {
		sec.Charts = append(sec.Charts, chart)
	}
	return sec, rows.Err()
}

func protectionRatio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// refundTimes returns the median and 90th percentile, in seconds, of the
// time from filing to payout for payouts made in [from, to) (nearest rank).
func refundTimes(ctx context.Context, db *DB, from, to int64) (p50, p90 float64, err error) {
	// A refund has reached the buyer when the marketplace confirms the
	// payout paid; deciding it (often at once) is only the first step.
	rows, err := db.QueryContext(ctx, `SELECT y.acked_at - c.created_at FROM payouts y JOIN claims c ON c.id = y.claim_id
		WHERE y.status = 'paid' AND y.acked_at >= ? AND y.acked_at < ?`, from, to)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var ds []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return 0, 0, err
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return 0, 0, rows.Err()
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := func(q float64) float64 {
		i := int(q*float64(len(ds))+0.999999) - 1
		return float64(ds[max(i, 0)]) / 1000
	}
	return rank(0.5), rank(0.9), rows.Err()
}

// metricValue returns the value of a metric already in the section (0 when
// absent).
func metricValue(sec anxin.Section, name string) float64 {
	for _, m := range sec.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	return 0
}
