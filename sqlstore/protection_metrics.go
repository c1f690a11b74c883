package sqlstore

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ProtectionCollector exports claim and payout counts at scrape time, so
// claims decided by jobs and event hooks are counted as well as those
// decided through the API.
type ProtectionCollector struct {
	db      *DB
	claims  *prometheus.Desc
	payouts *prometheus.Desc
	paidFen *prometheus.Desc
}

// NewProtectionCollector returns a collector on db.
func NewProtectionCollector(db *DB) *ProtectionCollector {
	return &ProtectionCollector{
		db:      db,
		claims:  prometheus.NewDesc("anxin_claims", "Claims by programme and status.", []string{"programme", "status"}, nil),
		payouts: prometheus.NewDesc("anxin_payouts", "Payouts by funding source and acknowledgement status.", []string{"funding", "status"}, nil),
		paidFen: prometheus.NewDesc("anxin_payouts_fen", "Money paid out, in fen, by funding source.", []string{"funding"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *ProtectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.claims
	ch <- c.payouts
	ch <- c.paidFen
}

// Collect implements prometheus.Collector. Database errors drop the
// figures for that scrape rather than failing it.
func (c *ProtectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if rows, err := c.db.QueryContext(ctx, `SELECT programme_id, status, COUNT(*) FROM claims GROUP BY programme_id, status`); err == nil {
		for rows.Next() {
			var p, s string
			var n float64
			if rows.Scan(&p, &s, &n) == nil {
				ch <- prometheus.MustNewConstMetric(c.claims, prometheus.GaugeValue, n, p, s)
			}
		}
		rows.Close()
	}
	if rows, err := c.db.QueryContext(ctx, `SELECT funding, status, COUNT(*), SUM(amount_fen) FROM payouts GROUP BY funding, status`); err == nil {
		fen := map[string]float64{}
		for rows.Next() {
			var f, s string
			var n, sum float64
			if rows.Scan(&f, &s, &n, &sum) == nil {
				ch <- prometheus.MustNewConstMetric(c.payouts, prometheus.GaugeValue, n, f, s)
				fen[f] += sum
			}
		}
		rows.Close()
		for f, v := range fen {
			ch <- prometheus.MustNewConstMetric(c.paidFen, prometheus.GaugeValue, v, f)
		}
	}
}
