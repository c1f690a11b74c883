package sqlstore

import (
	"context"
	"database/sql"

	"anxin"
)

// samplingSection is the quality-sampling section (doc/domain.md, Report metrics): spend
// booked against sampling budgets, samples with a result, distinct
// products, labs used, the pass rate of first tests with each category's
// rate and Wilson interval from the random share, failures intercepted
// (distinct products taken down and not restored) and merchants penalised.
func samplingSection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	sec := anxin.Section{Key: "sampling", Title: "Quality sampling"}
	from, to := ms(p.From), ms(p.To)
	var spend, reimbursed sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT SUM(CASE WHEN payer = 'budget' THEN amount_fen ELSE 0 END), SUM(CASE WHEN payer = 'merchant' THEN amount_fen ELSE 0 END)
		FROM sampling_spend WHERE at >= ? AND at < ?`, from, to).Scan(&spend, &reimbursed); err != nil {
		return sec, mapError(err)
	}
	counts := []struct {
		name, label, q string
	}{
		{"samples_total", "Samples tested", `SELECT COUNT(*) FROM sampling_samples WHERE result_at >= ? AND result_at < ?`},
		{"products_sampled", "Products sampled", `SELECT COUNT(*) FROM (SELECT DISTINCT merchant_id, product_key FROM sampling_samples WHERE result_at >= ? AND result_at < ?) d`},
		{"labs_used", "Labs used", `SELECT COUNT(DISTINCT lab_id) FROM sampling_samples WHERE result_at >= ? AND result_at < ?`},
		{"failures_intercepted", "Failing products intercepted", `SELECT COUNT(*) FROM (SELECT DISTINCT x.merchant_id, x.product_key FROM sampling_interceptions i
			JOIN sampling_samples x ON x.id = i.sample_id WHERE i.at >= ? AND i.at < ? AND i.restored_at IS NULL) d`},
		{"listings_intercepted", "Listings taken down", `SELECT COUNT(DISTINCT listing_id) FROM sampling_interceptions WHERE at >= ? AND at < ? AND restored_at IS NULL`},
		{"merchants_penalised", "Merchants penalised", `SELECT COUNT(DISTINCT merchant_id) FROM sampling_violations WHERE at >= ? AND at < ? AND cleared_at IS NULL`},
	}
	vals := map[string]int64{}
	for _, c := range counts {
		n, err := db.count(ctx, c.q, from, to)
		if err != nil {
			return sec, err
		}
		vals[c.name] = n
	}
	rates, err := passRates(ctx, db, `result_at >= ? AND result_at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	var n, passed int
	chart := anxin.Series{Name: "pass_rate_by_category", Title: "Pass rate by category (random share)"}
	list := make([]map[string]any, 0, len(rates))
	for _, r := range rates {
		n, passed = n+r.Samples, passed+r.Passed
		chart.Labels, chart.Values = append(chart.Labels, r.Category), append(chart.Values, r.Rate)
		list = append(list, map[string]any{"category": r.Category, "samples": r.Samples, "pass_rate": r.AllRate,
			"random_samples": r.RandomSamples, "random_pass_rate": r.Rate, "ci_low": r.Low, "ci_high": r.High})
	}
	sec.Metrics = []anxin.Metric{
		{Name: "spend_fen", Label: "Sampling spend (¥)", Value: float64(spend.Int64)},
		{Name: "merchant_paid_fen", Label: "Retests paid by merchants (¥)", Value: float64(reimbursed.Int64)},
	}
	for _, c := range counts[:3] {
		sec.Metrics = append(sec.Metrics, anxin.Metric{Name: c.name, Label: c.label, Value: float64(vals[c.name])})
	}
	sec.Metrics = append(sec.Metrics, anxin.Metric{Name: "pass_rate", Label: "Pass rate (first tests)", Value: fraction(int64(passed), int64(n))})
	for _, c := range counts[3:] {
		sec.Metrics = append(sec.Metrics, anxin.Metric{Name: c.name, Label: c.label, Value: float64(vals[c.name])})
	}
	sec.Lists = map[string]any{"pass_rates": list}
	if len(chart.Labels) > 0 {
		sec.Charts = []anxin.Series{chart}
	}
	return sec, nil
}
