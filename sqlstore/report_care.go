package sqlstore

import (
	"context"
	"sort"
	"time"

	"anxin"
	"anxin/care"
)

// careSection is the customer-care section (doc/domain.md, Report metrics): requests handled,
// the 72-hour resolution rate (resolved within 72 elapsed hours, pauses
// ignored, over requests whose 72 h window closed in the period), the
// medianInt64 first response and CSAT (scores 4–5 over answers, for requests
// resolved in the period), with CSAT and volume by skill group.
func careSection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	sec := anxin.Section{Key: "care", Title: "Customer care"}
	from, to := ms(p.From), ms(p.To)
	window := int64(72 * time.Hour / time.Millisecond)
	byGroup := map[string]int64{} // requests created per group
	total, err := db.count(ctx, `SELECT COUNT(*) FROM care_tickets WHERE created_at >= ? AND created_at < ? AND status <> 'merged'`, from, to)
	if err != nil {
		return sec, err
	}
	due, err := db.count(ctx, `SELECT COUNT(*) FROM care_tickets WHERE created_at + ? >= ? AND created_at + ? < ? AND status <> 'merged'`, window, from, window, to)
	if err != nil {
		return sec, err
	}
	in72, err := db.count(ctx, `SELECT COUNT(*) FROM care_tickets WHERE created_at + ? >= ? AND created_at + ? < ? AND status <> 'merged'
		AND resolved_at IS NOT NULL AND resolved_at <= created_at + ?`, window, from, window, to, window)
	if err != nil {
		return sec, err
	}
	rows, err := db.QueryContext(ctx, `SELECT first_response_at - created_at FROM care_tickets WHERE created_at >= ? AND created_at < ? AND first_response_at IS NOT NULL`, from, to)
	if err != nil {
		return sec, err
	}
	var waits []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return sec, err
		}
		waits = append(waits, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sec, err
	}
	breaches, err := db.count(ctx, `SELECT COUNT(*) FROM care_sla_events WHERE event = 'breached' AND at >= ? AND at < ?`, from, to)
	if err != nil {
		return sec, err
	}
	rows, err = db.QueryContext(ctx, `SELECT t.grp, COUNT(*), COUNT(s.score), COALESCE(SUM(CASE WHEN s.score >= 4 THEN 1 ELSE 0 END), 0)
		FROM care_tickets t LEFT JOIN care_surveys s ON s.ticket_id = t.id
		WHERE t.resolved_at >= ? AND t.resolved_at < ? GROUP BY t.grp`, from, to)
	if err != nil {
		return sec, err
	}
	var answers, satisfied, resolved int64
	groupCSAT := map[string]float64{}
	for rows.Next() {
		var g string
		var n, a, sat int64
		if err := rows.Scan(&g, &n, &a, &sat); err != nil {
			rows.Close()
			return sec, err
		}
		answers, satisfied, resolved = answers+a, satisfied+sat, resolved+n
		if a > 0 {
			groupCSAT[g] = float64(sat) / float64(a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sec, err
	}
	rows, err = db.QueryContext(ctx, `SELECT grp, COUNT(*) FROM care_tickets WHERE created_at >= ? AND created_at < ? AND status <> 'merged' GROUP BY grp`, from, to)
	if err != nil {
		return sec, err
	}
	for rows.Next() {
		var g string
		var n int64
		if err := rows.Scan(&g, &n); err != nil {
			rows.Close()
			return sec, err
		}
		byGroup[g] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sec, err
	}
	sec.Metrics = []anxin.Metric{
		{Name: "tickets_total", Label: "Service requests", Value: float64(total)},
		{Name: "resolution_72h_rate", Label: "Resolved within 72 hours", Value: fraction(in72, due)},
		{Name: "first_response_p50_s", Label: "Median first response", Value: float64(medianInt64(waits)) / 1000},
		{Name: "csat_rate", Label: "Satisfaction (CSAT: share of answers 4–5 of 5)", Value: fraction(satisfied, answers)},
		{Name: "surveys_answered", Label: "Surveys answered", Value: float64(answers)},
		{Name: "survey_response_rate", Label: "Resolved requests whose survey was answered", Value: fraction(answers, resolved)},
		{Name: "sla_breaches", Label: "SLA breaches", Value: float64(breaches)},
	}
	vol := anxin.Series{Name: "tickets_by_group", Title: "Requests by skill group"}
	cs := anxin.Series{Name: "csat_rate_by_group", Title: "CSAT by skill group (share of answers 4–5 of 5)"}
	for _, g := range anxin.SkillGroups {
		vol.Labels, vol.Values = append(vol.Labels, care.GroupName(g)), append(vol.Values, float64(byGroup[g]))
		// A group nobody rated has no satisfaction rate, not a rate of 0.
		if csat, ok := groupCSAT[g]; ok {
			cs.Labels, cs.Values = append(cs.Labels, care.GroupName(g)), append(cs.Values, csat)
		}
	}
	sec.Charts = []anxin.Series{vol, cs}
	return sec, nil
}

func fraction(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// medianInt64 returns the median of vs (the lower middle for an even count), 0
// for none.
func medianInt64(vs []int64) int64 {
	if len(vs) == 0 {
		return 0
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs[(len(vs)-1)/2]
}
