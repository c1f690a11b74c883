package sqlstore

import (
	"context"
	"time"

	"anxin"
	"anxin/quality"
)

func opts(m *anxin.QualityMonitor) quality.Options {
	return quality.Options{Seasonal: m.Seasonal, Weeks: m.Weeks, Sigma: m.Sigma, MinTrials: m.MinOrders, LowIsBad: m.Metric == anxin.MetricSatisfaction}
}

// history is how many days before the judged ones a series loads: enough
// for the whole seasonal window, 52 weeks back and SeasonalWeeks either
// side. (A trailing baseline needs at most 52 weeks.)
const history = quality.YearDays + 7*quality.SeasonalWeeks

// dayIndex returns the index of the local date day in a series whose
// first day starts at the local midnight start, DST-proof.
func dayIndex(day string, start time.Time) (int, bool) {
	d, err := time.ParseInLocation("2006-01-02", day, anxin.MarketplaceTZ)
	if err != nil {
		return 0, false
	}
	return int(d.Sub(start).Hours()+12) / 24, true
}

// mergeHistory fills the days of a series that the mirror has no orders
// for with the imported daily aggregates of the same series.
func mergeHistory(ctx context.Context, tx *Tx, spec seriesSpec, start time.Time, days []quality.Day, mirrored []bool) error {
	first, _ := localDay(start)
	last, _ := localDay(start.AddDate(0, 0, len(days)))
	rows, err := tx.QueryContext(ctx, `SELECT day, trials, events FROM quality_history WHERE scope = ? AND mkey = ? AND metric = ? AND day >= ? AND day < ?`,
		spec.scope, spec.key, spec.metric, first, last)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var d quality.Day
		if err := rows.Scan(&day, &d.Trials, &d.Events); err != nil {
			return err
		}
		if i, ok := dayIndex(day, start); ok && i >= 0 && i < len(days) && !mirrored[i] {
			days[i] = d
		}
	}
	return rows.Err()
}

// points computes a monitor's last n days up to and including the local
// day last, with baselines.
func points(ctx context.Context, tx *Tx, m *anxin.QualityMonitor, last time.Time, n int) ([]anxin.QualityPoint, error) {
	start := last.AddDate(0, 0, -(n - 1 + history))
	series, err := dailyCounts(ctx, tx, seriesSpec{m.Scope, m.Key, m.Metric}, start, n+history)
	if err != nil {
		return nil, err
	}
	o := opts(m)
	out := make([]anxin.QualityPoint, 0, n)
	for i := history; i < len(series); i++ {
		b, err := quality.Baseline(series, i, o)
		if err != nil {
			return nil, err
		}
		v, err := quality.Check(series[i], b, o)
		if err != nil {
			return nil, err
		}
		out = append(out, anxin.QualityPoint{Day: start.AddDate(0, 0, i).Format("2006-01-02"), Trials: series[i].Trials, Events: series[i].Events,
			Rate: series[i].Rate(), BaselineKind: string(v.Kind), Baseline: v.Base, Lower: v.Lower, Upper: v.Upper, Judged: v.Judged, Alert: v.Alert})
	}
	return out, nil
}

// seriesOf builds a monitor's QualitySeries for the n local days ending
// with last.
func seriesOf(ctx context.Context, tx *Tx, m *anxin.QualityMonitor, last time.Time, n int) (*anxin.QualitySeries, error) {
	ps, err := points(ctx, tx, m, last, n)
	if err != nil {
		return nil, err
	}
	out := &anxin.QualitySeries{Monitor: m, Points: ps, Campaigns: []anxin.CampaignWindow{}}
	if k := len(ps); k > 0 {
		p := ps[k-1]
		out.BaselineKind, out.Baseline, out.Lower, out.Upper = p.BaselineKind, p.Baseline, p.Lower, p.Upper
	} else {
		out.BaselineKind = anxin.BaselineNone
	}
	out.BaselineLabel = quality.Label(quality.Kind(out.BaselineKind), opts(m))
	if m.Scope != anxin.ScopeCategory {
		return out, nil
	}
	from, to := last.AddDate(0, 0, -(n-1)), last.AddDate(0, 0, 1)
	rows, err := tx.QueryContext(ctx, `SELECT id, name, from_at, to_at FROM quality_campaigns WHERE category = ? AND from_at < ? AND to_at > ? ORDER BY from_at, id`,
		m.Key, ms(to), ms(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c anxin.CampaignWindow
		var f, t int64
		if err := rows.Scan(&c.ID, &c.Name, &f, &t); err != nil {
			return nil, err
		}
		c.From, c.To = fromMS(f), fromMS(t)
		out.Campaigns = append(out.Campaigns, c)
	}
	return out, rows.Err()
}

// Series returns a monitor's last days, up to today, with baselines and
// the campaign windows on its category.
func (s *QualityService) Series(ctx context.Context, monitorID string, days int) (*anxin.QualitySeries, error) {
	if err := anxin.Authorize(ctx, anxin.ActionQualityRead); err != nil {
		return nil, err
	}
	if days <= 0 || days > 120 {
		days = 30
	}
	var out *anxin.QualitySeries
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		ms, err := scanMonitors(ctx, tx, "WHERE id = ?", monitorID)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return anxin.Errorf(anxin.NotFound, "Monitor not found.")
		}
		_, today := localDay(tx.Now)
		out, err = seriesOf(ctx, tx, ms[0], today, days)
		return err
	})
	return out, err
}

// ImportHistory stores daily aggregates for a series from before the
// mirror, replacing earlier imports of the same days. Invalid for a bad
// block (see QualityHistory.Validate).
func (s *QualityService) ImportHistory(ctx context.Context, h *anxin.QualityHistory) (n int, err error) {
	defer anxin.Wrap(&err, "ImportHistory")
	if err := anxin.Authorize(ctx, anxin.ActionQualityManage); err != nil {
		return 0, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		today, _ := localDay(tx.Now)
		if err := h.Validate(today); err != nil {
			return err
		}
		for _, d := range h.Days {
			if _, err := tx.ExecContext(ctx, `INSERT INTO quality_history (scope, mkey, metric, day, trials, events, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (scope, mkey, metric, day) DO UPDATE SET trials = excluded.trials, events = excluded.events, imported_at = excluded.imported_at`,
				h.Scope, h.Key, h.Metric, d.Day, d.Trials, d.Events, ms(tx.Now)); err != nil {
				return err
			}
		}
		n = len(h.Days)
		return nil
	})
	return n, err
}
