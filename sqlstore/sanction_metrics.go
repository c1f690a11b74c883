package sqlstore

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SanctionCollector reports the sanctions at scrape time, from the shared
// table, so every replica reports the same figures.
type SanctionCollector struct {
	db        *DB
	sanctions *prometheus.Desc
}

// NewSanctionCollector returns the collector of anxin_sanctions.
func NewSanctionCollector(db *DB) *SanctionCollector {
	return &SanctionCollector{db: db, sanctions: prometheus.NewDesc("anxin_sanctions",
		"Sanctions by source, type and status (active, lifted, reversed, ended).", []string{"source", "type", "status"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *SanctionCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.sanctions }

// Collect implements prometheus.Collector. A database error reports the
// metric as invalid for that scrape.
func (c *SanctionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := c.db.QueryContext(ctx, `SELECT source, type, status, COUNT(*) FROM sanctions GROUP BY source, type, status`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.sanctions, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var src, typ, status string
		var n float64
		if err := rows.Scan(&src, &typ, &status, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(c.sanctions, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(c.sanctions, prometheus.GaugeValue, n, src, typ, status)
	}
}
