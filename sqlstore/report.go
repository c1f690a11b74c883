package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"anxin"
)

// sectionFunc computes one report section from stored data for a period.
type sectionFunc func(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error)

// reportSections lists the report's sections in order. Each capability
// writes its section in its own file (report_<capability>.go) and adds one
// line here.
var reportSections = []sectionFunc{
	volumeSection,
	protectionSection,
	governanceSection,
	careSection,
	samplingSection,
	qualitySection,
	ipSection,
	privacySection,
}

// ReportService computes the consumer-protection report.
type ReportService struct{ db *DB }

// NewReportService returns a ReportService on db.
func NewReportService(db *DB) *ReportService { return &ReportService{db: db} }

var _ anxin.ReportService = (*ReportService)(nil)

// Report computes every section for p. Invalid if the period is empty or
// inverted, or if events are stored and none of them was received in it
// (a period outside the data would print a report of zeros that reads as
// an idle marketplace).
func (s *ReportService) Report(ctx context.Context, p anxin.Period) (*anxin.Report, error) {
	if !p.From.Before(p.To) {
		return nil, anxin.Errorf(anxin.Invalid, "The report period must end after it starts.")
	}
	if err := s.covers(ctx, p); err != nil {
		return nil, err
	}
	r := &anxin.Report{Period: p}
	for _, f := range reportSections {
		sec, err := f(ctx, s.db, p)
		if err != nil {
			return nil, err
		}
		r.Sections = append(r.Sections, sec)
	}
	return r, nil
}

// covers returns Invalid when events are stored but the period holds none
// of them, naming the days the stored events span. Both ends are read from
// the received_at index.
func (s *ReportService) covers(ctx context.Context, p anxin.Period) error {
	var first, last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT MIN(received_at) FROM events), (SELECT MAX(received_at) FROM events)`).Scan(&first, &last); err != nil {
		return mapError(err)
	}
	if !first.Valid || ms(p.To) > first.Int64 && ms(p.From) <= last.Int64 {
		return nil
	}
	day := func(v int64) string { return time.UnixMilli(v).In(anxin.MarketplaceTZ).Format(time.DateOnly) }
	return anxin.Errorf(anxin.Invalid, "No data in the period %s to %s: the stored events were received from %s to %s (%s).",
		p.From.In(anxin.MarketplaceTZ).Format(time.DateOnly), p.To.Add(-time.Millisecond).In(anxin.MarketplaceTZ).Format(time.DateOnly),
		day(first.Int64), day(last.Int64), anxin.MarketplaceTZ)
}

// count runs a COUNT-style query that returns one integer.
func (db *DB) count(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, mapError(err)
}

// volumeSection is the marketplace-volume section: what passed through Anxin
// in the period.
func volumeSection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	from, to := ms(p.From), ms(p.To)
	sec := anxin.Section{Key: "volume", Title: "Marketplace volume"}
	queries := []struct{ name, label, q string }{
		{"orders", "Orders created", `SELECT COUNT(*) FROM orders WHERE created_at >= ? AND created_at < ?`},
		{"gmv_fen", "Value of paid orders", `SELECT COALESCE(SUM(total_fen), 0) FROM orders WHERE created_at >= ? AND created_at < ? AND paid_at IS NOT NULL`},
		{"orders_delivered", "Orders delivered", `SELECT COUNT(*) FROM orders WHERE delivered_at >= ? AND delivered_at < ?`},
		{"orders_cancelled", "Orders cancelled", `SELECT COUNT(*) FROM orders WHERE cancelled_at >= ? AND cancelled_at < ?`},
		{"aftersales", "After-sale requests", `SELECT COUNT(*) FROM aftersales WHERE created_at >= ? AND created_at < ?`},
		{"events", "Events received", `SELECT COUNT(*) FROM events WHERE occurred_at >= ? AND occurred_at < ?`},
		{"listings_updated", "Listings created or updated", `SELECT COUNT(*) FROM listings WHERE updated_at >= ? AND updated_at < ?`},
	}
	for _, q := range queries {
		n, err := db.count(ctx, q.q, from, to)
		if err != nil {
			return sec, err
		}
		sec.Metrics = append(sec.Metrics, anxin.Metric{Name: q.name, Label: q.label, Value: float64(n)})
	}
	merchants, err := db.count(ctx, `SELECT COUNT(*) FROM merchants`)
	if err != nil {
		return sec, err
	}
	sec.Metrics = append(sec.Metrics, anxin.Metric{Name: "merchants", Label: "Merchants mirrored", Value: float64(merchants)})
	sec.Charts, err = volumeCharts(ctx, db, p)
	return sec, err
}
