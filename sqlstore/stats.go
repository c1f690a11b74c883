package sqlstore

import (
	"context"

	"anxin"
)

// dashboardStats are the console dashboard's live counts. Each capability
// adds its own lines.
var dashboardStats = []struct{ name, label, q string }{
	{"merchants", "Merchants", `SELECT COUNT(*) FROM merchants`},
	{"listings", "Listings", `SELECT COUNT(*) FROM listings`},
	{"orders", "Orders", `SELECT COUNT(*) FROM orders`},
	{"events", "Events received", `SELECT COUNT(*) FROM events`},
	{"jobs_pending", "Timers pending", `SELECT COUNT(*) FROM jobs WHERE state = 'pending'`},
	{"deliveries_dead", "Webhooks dead-lettered", `SELECT COUNT(*) FROM deliveries WHERE state = 'dead'`},
	{"claims_escalated", "Claims waiting for a person", `SELECT COUNT(*) FROM claims WHERE status IN ('escalated', 'appealed')`},
	{"payouts_unacked", "Payouts not yet acknowledged", `SELECT COUNT(*) FROM payouts WHERE status = 'pending'`},
	{"pii_sealed", "Orders with sealed personal data", `SELECT COUNT(*) FROM vault_records`},
	{"privacy_alerts_open", "Open privacy alerts", `SELECT COUNT(*) FROM privacy_alerts WHERE status = 'open'`},
	{"care_open", "Open care tickets", `SELECT COUNT(*) FROM care_tickets WHERE status IN ('open', 'waiting')`},
	{"care_breaches", "SLA breaches", `SELECT COUNT(*) FROM care_sla_events WHERE event = 'breached'`},
	{"sampling_failed", "Samples failed", `SELECT COUNT(*) FROM sampling_samples WHERE status = 'failed'`},
	{"quality_alerts", "Quality alerts", `SELECT COUNT(*) FROM quality_alerts`},
	{"gov_cases_open", "Review cases waiting", `SELECT COUNT(*) FROM gov_cases WHERE status IN ('open', 'claimed')`},
	{"gov_appeals_open", "Appeals waiting", `SELECT COUNT(*) FROM gov_appeals WHERE status = 'open'`},
	{"notices_open", "IP notices awaiting action", `SELECT COUNT(*) FROM notices WHERE state IN ('filed', 'countered')`},
	{"reregistrations", "Re-registrations caught", `SELECT COUNT(*) FROM reregistrations`},
	{"counterfeit_flags", "Listings flagged as counterfeit", `SELECT COUNT(*) FROM counterfeit_flags`},
}

// StatsService serves the dashboard counts.
type StatsService struct{ db *DB }

// NewStatsService returns a StatsService on db.
func NewStatsService(db *DB) *StatsService { return &StatsService{db: db} }

// Stats returns the dashboard's counts. A merchant or rights holder gets
// only the counts of its own records (see scopedStats), never the
// marketplace's.
func (s *StatsService) Stats(ctx context.Context) ([]anxin.Stat, error) {
	role := anxin.ActorFromContext(ctx).Role
	scoped, isScoped := scopedStats[role.Base()]
	out := make([]anxin.Stat, 0, len(dashboardStats))
	for _, d := range dashboardStats {
		q, args := d.q, []any(nil)
		if isScoped {
			if q = scoped[d.name]; q == "" {
				continue
			}
			args = []any{role.Scope()}
		}
		n, err := s.db.count(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, anxin.Stat{Name: d.name, Label: d.label, Value: n})
	}
	return out, nil
}
