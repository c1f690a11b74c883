package sqlstore

import (
	"context"
	"time"

	"anxin"
)

// maxDailyBuckets is the longest period charted per day; longer periods are
// charted per month.
const maxDailyBuckets = 92

// calendarSeries counts the rows of table whose column col (BIGINT
// milliseconds) falls in p, per calendar day in the marketplace time zone, or
// per month when p is longer than maxDailyBuckets days. The database groups
// by hour from the period start and the hours are folded into local days
// here, so zones with daylight saving come out right. table and col are
// trusted identifiers, never user input.
func calendarSeries(ctx context.Context, db *DB, name, title, table, col string, p anxin.Period) (anxin.Series, error) {
	from := ms(p.From)
	loc := anxin.MarketplaceTZ
	start, end := p.From.In(loc), p.To.In(loc)
	daily := end.Sub(start) <= maxDailyBuckets*24*time.Hour
	key := func(t time.Time) string {
		if daily {
			return t.Format("01-02")
		}
		return t.Format("2006-01")
	}
	s := anxin.Series{Name: name, Title: title}
	index := map[string]int{}
	for d := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc); d.Before(end); d = d.AddDate(0, 0, 1) {
		k := key(d)
		if _, ok := index[k]; !ok {
			index[k] = len(s.Labels)
			s.Labels = append(s.Labels, k)
			s.Values = append(s.Values, 0)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT (`+col+` - ?) / 3600000, COUNT(*) FROM `+table+
		` WHERE `+col+` >= ? AND `+col+` < ? GROUP BY 1`, from, from, ms(p.To))
	if err != nil {
		return s, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var hour, n int64
		if err := rows.Scan(&hour, &n); err != nil {
			return s, mapError(err)
		}
		if i, ok := index[key(fromMS(from+hour*3600000).In(loc))]; ok {
			s.Values[i] += float64(n)
		}
	}
	return s, mapError(rows.Err())
}

// volumeCharts are the volume section's charts.
func volumeCharts(ctx context.Context, db *DB, p anxin.Period) ([]anxin.Series, error) {
	per := "day"
	if p.To.Sub(p.From) > maxDailyBuckets*24*time.Hour {
		per = "month"
	}
	var out []anxin.Series
	for _, c := range []struct{ name, title, table, col string }{
		{"orders_per_" + per, "Orders created per " + per, "orders", "created_at"},
		{"aftersales_per_" + per, "After-sale requests per " + per, "aftersales", "created_at"},
	} {
		s, err := calendarSeries(ctx, db, c.name, c.title, c.table, c.col, p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
