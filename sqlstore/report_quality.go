package sqlstore

import (
	"context"
	"time"

	"anxin"
)

// qualitySection is the category-quality section: the campaigns that ran
// in the period with their category's return rate before and after (the
// category return-rate change, in percentage points), the merchants
// they acted on, and the alerts raised; and each monitored series over
// the period's days (the last maxReportDays of them, for at most
// maxReportSeries monitors) with its baselines, for the report's charts.
func qualitySection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	sec := anxin.Section{Key: "quality", Title: "Category quality"}
	from, to := ms(p.From), ms(p.To)
	var campaigns []*anxin.Campaign
	err := db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		campaigns, err = loadCampaigns(ctx, tx, "WHERE c.from_at < ? AND c.to_at > ?", to, from)
		if err != nil {
			return err
		}
		sec.Watch, err = watchSeries(ctx, tx, p)
		return err
	})
	if err != nil {
		return sec, err
	}
	list := make([]map[string]any, 0, len(campaigns))
	chart := anxin.Series{Name: "campaign_return_rates", Title: "Return rate before and after each campaign"}
	var actioned int64
	for _, c := range campaigns {
		chart.Labels = append(chart.Labels, c.Category+" before", c.Category+" after")
		chart.Values = append(chart.Values, c.ReturnRateBefore, c.ReturnRateAfter)
		actioned += c.MerchantsActioned
		list = append(list, map[string]any{
			"name": c.Name, "category": c.Category, "from": c.From, "to": c.To,
			"orders_before": c.OrdersBefore, "return_rate_before": c.ReturnRateBefore,
			"orders_after": c.OrdersAfter, "return_rate_after": c.ReturnRateAfter,
			"change_pp": (c.ReturnRateAfter - c.ReturnRateBefore) * 100, "merchants_actioned": c.MerchantsActioned,
		})
	}
	alerts, err := db.count(ctx, `SELECT COUNT(*) FROM quality_alerts WHERE created_at >= ? AND created_at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	monitors, err := db.count(ctx, `SELECT COUNT(*) FROM quality_monitors`)
	if err != nil {
		return sec, err
	}
	sec.Metrics = []anxin.Metric{
		{Name: "campaigns_total", Label: "Campaigns", Value: float64(len(campaigns))},
		{Name: "campaign_merchants_actioned", Label: "Merchants acted on by campaigns", Value: float64(actioned)},
		{Name: "monitors", Label: "Series monitored", Value: float64(monitors)},
		{Name: "alerts", Label: "Quality alerts", Value: float64(alerts)},
	}
	sec.Lists = map[string]any{"campaigns": list}
	if len(campaigns) > 0 {
		sec.Charts = []anxin.Series{chart}
	}
	return sec, nil
}

// Bounds of the series a report draws.
const (
	maxReportSeries = 24
	maxReportDays   = 120
)

// watchSeries returns the first maxReportSeries monitors' series over the
// local days of p (at most the last maxReportDays).
func watchSeries(ctx context.Context, tx *Tx, p anxin.Period) ([]*anxin.QualitySeries, error) {
	if !p.From.Before(p.To) {
		return nil, nil
	}
	_, first := localDay(p.From)
	_, last := localDay(p.To.Add(-time.Millisecond))
	n := min(maxReportDays, int(last.Sub(first).Hours()+12)/24+1)
	monitors, err := scanMonitors(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	var out []*anxin.QualitySeries
	for i, m := range monitors {
		if i == maxReportSeries {
			break
		}
		s, err := seriesOf(ctx, tx, m, last, n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
