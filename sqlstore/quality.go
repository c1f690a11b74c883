package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"anxin"
	"anxin/quality"
)

// JobQualityEvaluate is the daily job that checks every monitor on one
// local day, MaturityDays after it ended, and schedules the next day's run.
const JobQualityEvaluate = "quality.evaluate"

// MaturityDays is how long the daily job waits after a day ends before
// judging it: a day's cohort is the orders delivered that day, and their
// returns, damage reports and complaints come in over the following days,
// so a day judged at once looks better than it was.
const MaturityDays = 2

// damageWords mark an after-sale reason as damage or spoilage.
var damageWords = []string{"damage", "broken", "spoil", "rotten", "dead", "melt", "leak", "破损", "损坏", "坏", "烂", "变质", "死", "发臭", "压碎", "漏"}

// QualityService implements anxin.QualityService.
type QualityService struct{ db *DB }

// NewQualityService returns a QualityService on db.
func NewQualityService(db *DB) *QualityService { return &QualityService{db: db} }

var _ anxin.QualityService = (*QualityService)(nil)

// localDay returns the marketplace-local date of t and its midnight.
func localDay(t time.Time) (string, time.Time) {
	l := t.In(anxin.MarketplaceTZ)
	m := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, anxin.MarketplaceTZ)
	return m.Format("2006-01-02"), m
}

// seriesSpec is what a daily series counts.
type seriesSpec struct {
	scope, key, metric string
}

// dailyCounts returns one quality.Day per local day from the midnight
// start for n days: the cohort of orders delivered that day in the scope,
// and the events of the metric among them.
func dailyCounts(ctx context.Context, tx *Tx, spec seriesSpec, start time.Time, n int) ([]quality.Day, error) {
	end := start.AddDate(0, 0, n)
	days := make([]quality.Day, n)
	index := func(t time.Time) int {
		_, m := localDay(t)
		return int(m.Sub(start).Hours()+12) / 24 // DST-proof rounding
	}
	var inScope map[string]bool
	switch spec.scope {
	case anxin.ScopeCategory:
		inScope = map[string]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM listings WHERE category = ?`, spec.key)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			inScope[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	case anxin.ScopeProduct:
		inScope = map[string]bool{spec.key: true}
	}
	q := `SELECT id, merchant_id, items, delivered_at FROM orders WHERE delivered_at >= ? AND delivered_at < ?`
	args := []any{ms(start), ms(end)}
	if spec.scope == anxin.ScopeMerchant {
		q += ` AND merchant_id = ?`
		args = append(args, spec.key)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	cohort := map[string]int{}  // order id → day index
	mirrored := make([]bool, n) // days with orders delivered in scope
	for rows.Next() {
		var id, merchant, items string
		var at int64
		if err := rows.Scan(&id, &merchant, &items, &at); err != nil {
			rows.Close()
			return nil, err
		}
		if inScope != nil {
			var its []anxin.OrderItem
			json.Unmarshal([]byte(items), &its)
			hit := false
			for _, it := range its {
				hit = hit || inScope[it.ListingID]
			}
			if !hit {
				continue
			}
		}
		i := index(fromMS(at))
		if i < 0 || i >= n {
			continue
		}
		mirrored[i] = true
		cohort[id] = i
		if spec.metric != anxin.MetricSatisfaction {
			days[i].Trials++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var eq string
	switch spec.metric {
	case anxin.MetricReturnRate:
		eq = `SELECT DISTINCT a.order_id, '' FROM aftersales a JOIN orders o ON o.id = a.order_id
			WHERE o.delivered_at >= ? AND o.delivered_at < ? AND a.kind IN ('return_refund', 'refund_only') AND a.status <> 'rejected'`
	case anxin.MetricDamageRate:
		eq = `SELECT a.order_id, a.reason FROM aftersales a JOIN orders o ON o.id = a.order_id
			WHERE o.delivered_at >= ? AND o.delivered_at < ? AND a.status <> 'rejected'`
	case anxin.MetricComplaintRate:
		eq = `SELECT DISTINCT t.order_id, '' FROM care_tickets t JOIN orders o ON o.id = t.order_id
			WHERE o.delivered_at >= ? AND o.delivered_at < ? AND t.status <> 'merged'`
	case anxin.MetricSatisfaction:
		eq = `SELECT t.order_id, CASE WHEN s.score >= 4 THEN 'y' ELSE 'n' END FROM care_surveys s JOIN care_tickets t ON t.id = s.ticket_id
			JOIN orders o ON o.id = t.order_id WHERE o.delivered_at >= ? AND o.delivered_at < ?`
	}
	rows, err = tx.QueryContext(ctx, eq, ms(start), ms(end))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counted := map[string]bool{}
	for rows.Next() {
		var id, extra string
		if err := rows.Scan(&id, &extra); err != nil {
			return nil, err
		}
		i, ok := cohort[id]
		if !ok {
			continue
		}
		switch spec.metric {
		case anxin.MetricSatisfaction:
			days[i].Trials++
			if extra == "y" {
				days[i].Events++
			}
		case anxin.MetricDamageRate:
			if counted[id] || !isDamage(extra) {
				continue
			}
			counted[id] = true
			days[i].Events++
		default:
			days[i].Events++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return days, mergeHistory(ctx, tx, spec, start, days, mirrored)
}

func isDamage(reason string) bool {
	r := strings.ToLower(reason)
	for _, w := range damageWords {
		if strings.Contains(r, w) {
			return true
		}
	}
	return false
}

// CreateMonitor stores a monitor and schedules the daily evaluation.
// Conflict if the same scope, key and metric is watched already.
func (s *QualityService) CreateMonitor(ctx context.Context, m *anxin.QualityMonitor) (err error) {
	defer anxin.Wrap(&err, "CreateMonitor")
	if err := anxin.Authorize(ctx, anxin.ActionQualityManage); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		m.ID, m.CreatedAt = anxin.NewID("qm"), tx.Now
		seasonal := 0
		if m.Seasonal {
			seasonal = 1
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO quality_monitors (id, scope, mkey, metric, seasonal, weeks, sigma, min_orders, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Scope, m.Key, m.Metric, seasonal, m.Weeks, m.Sigma, m.MinOrders, ms(tx.Now))
		if anxin.KindOf(mapError(err)) == anxin.Conflict {
			return anxin.Errorf(anxin.Conflict, "That series is monitored already.")
		}
		if err != nil {
			return err
		}
		return scheduleEvaluate(ctx, tx, tx.Now)
	})
}

// scheduleEvaluate schedules the evaluation of the local day containing
// t, to run at 01:00 MaturityDays after the day ends.
func scheduleEvaluate(ctx context.Context, tx *Tx, t time.Time) error {
	day, m := localDay(t)
	return Schedule(ctx, tx, JobQualityEvaluate, day, m.AddDate(0, 0, 1+MaturityDays).Add(time.Hour), map[string]string{"day": day})
}

// HandleEvaluateJob is the JobHandler for JobQualityEvaluate.
func (s *QualityService) HandleEvaluateJob(ctx context.Context, tx *Tx, job *anxin.Job) error {
	var p struct {
		Day string `json:"day"`
	}
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	if _, err := evaluateDay(ctx, tx, p.Day); err != nil {
		return err
	}
	d, err := time.ParseInLocation(time.DateOnly, p.Day, anxin.MarketplaceTZ)
	if err != nil {
		return err
	}
	return scheduleEvaluate(ctx, tx, d.AddDate(0, 0, 1)) // the next day, which runs a day later
}

func scanMonitors(ctx context.Context, tx *Tx, where string, args ...any) ([]*anxin.QualityMonitor, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, scope, mkey, metric, seasonal, weeks, sigma, min_orders, created_at FROM quality_monitors `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.QualityMonitor
	for rows.Next() {
		m := new(anxin.QualityMonitor)
		var seasonal int
		var at int64
		if err := rows.Scan(&m.ID, &m.Scope, &m.Key, &m.Metric, &seasonal, &m.Weeks, &m.Sigma, &m.MinOrders, &at); err != nil {
			return nil, err
		}
		m.Seasonal, m.CreatedAt = seasonal != 0, fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// FindMonitors lists the monitors.
func (s *QualityService) FindMonitors(ctx context.Context) ([]*anxin.QualityMonitor, error) {
	if err := anxin.Authorize(ctx, anxin.ActionQualityRead); err != nil {
		return nil, err
	}
	var out []*anxin.QualityMonitor
	err := s.db.Transact(ctx, func(tx *Tx) (err error) {
		out, err = scanMonitors(ctx, tx, "")
		return err
	})
	return out, err
}

// Evaluate checks every monitor on a local day (YYYY-MM-DD) and stores the
// alerts it raises; alerts already stored for that day are kept, not
// repeated.
func (s *QualityService) Evaluate(ctx context.Context, day string) (_ []*anxin.QualityAlert, err error) {
	defer anxin.Wrap(&err, "Evaluate(%q)", day)
	if err := anxin.Authorize(ctx, anxin.ActionQualityManage); err != nil {
		return nil, err
	}
	var out []*anxin.QualityAlert
	err = s.db.Transact(ctx, func(tx *Tx) (err error) {
		out, err = evaluateDay(ctx, tx, day)
		return err
	})
	return out, err
}

func evaluateDay(ctx context.Context, tx *Tx, day string) ([]*anxin.QualityAlert, error) {
	d, err := time.ParseInLocation("2006-01-02", day, anxin.MarketplaceTZ)
	if err != nil {
		return nil, anxin.Errorf(anxin.Invalid, "day must be a date written YYYY-MM-DD.")
	}
	monitors, err := scanMonitors(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	var out []*anxin.QualityAlert
	for _, m := range monitors {
		ps, err := points(ctx, tx, m, d, 1)
		if err != nil {
			return nil, err
		}
		if len(ps) == 0 || !ps[0].Alert {
			continue
		}
		p := ps[0]
		a := &anxin.QualityAlert{ID: anxin.NewID("qa"), MonitorID: m.ID, Scope: m.Scope, Key: m.Key, Metric: m.Metric, Day: day,
			Value: p.Rate, BaselineKind: p.BaselineKind, Baseline: p.Baseline, Lower: p.Lower, Upper: p.Upper, CreatedAt: tx.Now}
		r, err := tx.ExecContext(ctx, `INSERT INTO quality_alerts (id, monitor_id, day, value, baseline_kind, baseline, lower_bound, upper_bound, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (monitor_id, day) DO NOTHING`, a.ID, a.MonitorID, a.Day, a.Value, a.BaselineKind, a.Baseline, a.Lower, a.Upper, ms(tx.Now))
		if err != nil {
			return nil, err
		}
		if n, _ := r.RowsAffected(); n == 1 {
			if _, err := Enqueue(ctx, tx, anxin.MessageNotify, m.Key, "quality:"+m.ID+":"+day, map[string]any{
				"to": "quality", "template": "quality_alert", "monitor_id": m.ID, "scope": m.Scope, "key": m.Key, "metric": m.Metric,
				"day": day, "value": a.Value, "baseline_kind": a.BaselineKind, "baseline": a.Baseline, "upper": a.Upper, "lower": a.Lower,
			}); err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// FindAlerts lists the newest alerts.
func (s *QualityService) FindAlerts(ctx context.Context, limit int) ([]*anxin.QualityAlert, error) {
	if err := anxin.Authorize(ctx, anxin.ActionQualityRead); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.monitor_id, m.scope, m.mkey, m.metric, a.day, a.value, a.baseline_kind, a.baseline, a.lower_bound, a.upper_bound, a.created_at
		FROM quality_alerts a JOIN quality_monitors m ON m.id = a.monitor_id ORDER BY a.day DESC, a.id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.QualityAlert
	for rows.Next() {
		a := new(anxin.QualityAlert)
		var at int64
		if err := rows.Scan(&a.ID, &a.MonitorID, &a.Scope, &a.Key, &a.Metric, &a.Day, &a.Value, &a.BaselineKind, &a.Baseline, &a.Lower, &a.Upper, &at); err != nil {
			return nil, err
		}
		a.CreatedAt = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
