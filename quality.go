package anxin

import (
	"context"
	"time"
)

// Category quality watch: monitors of return, damage and complaint rates and
// satisfaction per category, product or merchant, with alerts when a day
// leaves its normal range, and campaigns (专项治理) that target a category
// for a period and report its return rate before and after.

// Monitor scopes and metrics.
const (
	ScopeCategory = "category"
	ScopeProduct  = "product" // a listing id
	ScopeMerchant = "merchant"

	MetricReturnRate    = "return_rate"    // orders delivered that day later refunded with or without return (not rejected) ÷ orders delivered
	MetricDamageRate    = "damage_rate"    // of those, returns citing damage or spoilage
	MetricComplaintRate = "complaint_rate" // care tickets about orders delivered that day ÷ orders delivered
	MetricSatisfaction  = "satisfaction"   // CSAT 4–5 ÷ answers for tickets about those orders
)

// QualityMonitor watches one daily series.
type QualityMonitor struct {
	ID        string    `json:"id"`
	Scope     string    `json:"scope"`
	Key       string    `json:"key"` // the category, listing id or merchant id
	Metric    string    `json:"metric"`
	Seasonal  bool      `json:"seasonal"` // try the same weekday 50–54 weeks back first; trailing when that history is missing
	Weeks     int       `json:"weeks"`    // weeks of a trailing baseline (default 8)
	Sigma     float64   `json:"sigma"`    // normal range in standard deviations (default 3)
	MinOrders int64     `json:"min_orders"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a monitor and fills defaults.
func (m *QualityMonitor) Validate() error {
	switch m.Scope {
	case ScopeCategory:
		if m.Key == "" {
			return Errorf(Invalid, "key (the category) is required.")
		}
		if err := ValidateText("key", m.Key, MaxNameLen); err != nil {
			return err
		}
	case ScopeProduct, ScopeMerchant:
		if err := ValidateID("key", m.Key); err != nil {
			return err
		}
	default:
		return Errorf(Invalid, "scope must be category, product or merchant.")
	}
	switch m.Metric {
	case MetricReturnRate, MetricDamageRate, MetricComplaintRate, MetricSatisfaction:
	default:
		return Errorf(Invalid, "metric must be return_rate, damage_rate, complaint_rate or satisfaction.")
	}
	if m.Weeks == 0 {
		m.Weeks = 8
	}
	if m.Sigma == 0 {
		m.Sigma = 3
	}
	if m.MinOrders == 0 {
		m.MinOrders = 20
	}
	if m.Weeks < 1 || m.Weeks > 52 || m.Sigma < 0.5 || m.Sigma > 10 || m.MinOrders < 1 || m.MinOrders > 1_000_000 {
		return Errorf(Invalid, "weeks must be 1..52, sigma 0.5..10 and min_orders 1..1000000.")
	}
	return nil
}

// Baseline kinds, as the quality engine names them: seasonal (the same
// weekday around 52 weeks before), trailing (the weeks just before) or
// none (not enough history to judge).
const (
	BaselineSeasonal = "seasonal"
	BaselineTrailing = "trailing"
	BaselineNone     = "none"
)

// QualityPoint is one day of a monitor's series with its baseline.
type QualityPoint struct {
	Day          string  `json:"day"` // local date YYYY-MM-DD
	Trials       int64   `json:"trials"`
	Events       int64   `json:"events"`
	Rate         float64 `json:"rate"`
	BaselineKind string  `json:"baseline_kind"` // seasonal, trailing or none
	Baseline     float64 `json:"baseline"`
	Lower        float64 `json:"lower"` // normal range; both 0 when the kind is none
	Upper        float64 `json:"upper"`
	Judged       bool    `json:"judged"` // a baseline and at least min_orders trials
	Alert        bool    `json:"alert"`
}

// QualitySeries is a monitor's recent days with the baseline of the last
// one, and the campaign windows on the monitor's category that overlap
// them (for shading a chart).
type QualitySeries struct {
	Monitor       *QualityMonitor  `json:"monitor"`
	BaselineKind  string           `json:"baseline_kind"`  // of the last day
	BaselineLabel string           `json:"baseline_label"` // e.g. "trailing 8 weeks" (quality.Label)
	Baseline      float64          `json:"baseline"`
	Lower         float64          `json:"lower"`
	Upper         float64          `json:"upper"`
	Points        []QualityPoint   `json:"points"`
	Campaigns     []CampaignWindow `json:"campaigns"`
}

// CampaignWindow is when a campaign ran.
type CampaignWindow struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// QualityHistory is a block of daily aggregates for one series from before
// the mirror began (for example last year's return rates from the
// marketplace's warehouse), so a seasonal baseline has a year-earlier
// window to use. A day's aggregate counts only where the mirror has no
// orders delivered in the scope that day.
type QualityHistory struct {
	Scope  string              `json:"scope"`
	Key    string              `json:"key"`
	Metric string              `json:"metric"`
	Days   []QualityHistoryDay `json:"days"`
}

// QualityHistoryDay is one local day's aggregate: Events of Trials.
type QualityHistoryDay struct {
	Day    string `json:"day"` // YYYY-MM-DD
	Trials int64  `json:"trials"`
	Events int64  `json:"events"`
}

// MaxHistoryDays bounds one history import.
const MaxHistoryDays = 800

// Validate checks a history block: a known series, 1..MaxHistoryDays
// distinct dates before today (local), counts that are not negative with
// events at most trials.
func (h *QualityHistory) Validate(today string) error {
	m := QualityMonitor{Scope: h.Scope, Key: h.Key, Metric: h.Metric}
	if err := m.Validate(); err != nil {
		return err
	}
	if len(h.Days) == 0 || len(h.Days) > MaxHistoryDays {
		return Errorf(Invalid, "days must hold 1 to %d entries.", MaxHistoryDays)
	}
	seen := map[string]bool{}
	for i, d := range h.Days {
		if _, err := time.Parse("2006-01-02", d.Day); err != nil {
			return Errorf(Invalid, "days[%d].day must be a date written YYYY-MM-DD.", i)
		}
		if d.Day >= today {
			return Errorf(Invalid, "days[%d].day is not in the past; history holds days before today.", i)
		}
		if seen[d.Day] {
			return Errorf(Invalid, "days[%d].day repeats %s.", i, d.Day)
		}
		seen[d.Day] = true
		if d.Trials < 0 || d.Events < 0 || d.Events > d.Trials {
			return Errorf(Invalid, "days[%d] needs trials and events that are not negative, with events at most trials.", i)
		}
	}
	return nil
}

// QualityAlert is a day a monitored series left its normal range.
type QualityAlert struct {
	ID           string    `json:"id"`
	MonitorID    string    `json:"monitor_id"`
	Scope        string    `json:"scope"`
	Key          string    `json:"key"`
	Metric       string    `json:"metric"`
	Day          string    `json:"day"`
	Value        float64   `json:"value"`
	BaselineKind string    `json:"baseline_kind"` // seasonal or trailing; empty for alerts stored before kinds were kept
	Baseline     float64   `json:"baseline"`
	Lower        float64   `json:"lower"`
	Upper        float64   `json:"upper"`
	CreatedAt    time.Time `json:"created_at"`
}

// CampaignRules are the tightened rules of a campaign for its category.
// MaxReturnRateBP and MinOrders select the merchants enforcement acts on:
// those with at least MinOrders delivered in the campaign whose return
// rate is above the maximum. SamplingTier raises the category's risk tier
// in sampling draws while the campaign runs.
type CampaignRules struct {
	MaxReturnRateBP int64 `json:"max_return_rate_bp"`
	MinOrders       int64 `json:"min_orders"`
	SamplingTier    int   `json:"sampling_tier"`
}

// Campaign is a special enforcement drive (专项治理) on one category.
type Campaign struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Category  string        `json:"category"`
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"`
	Rules     CampaignRules `json:"rules"`
	CreatedAt time.Time     `json:"created_at"`
	// Figures computed from the mirror: return rates of orders delivered
	// in the same length of time before From, and from From to To (or now).
	OrdersBefore      int64   `json:"orders_before"`
	ReturnRateBefore  float64 `json:"return_rate_before"`
	OrdersAfter       int64   `json:"orders_after"`
	ReturnRateAfter   float64 `json:"return_rate_after"`
	MerchantsActioned int64   `json:"merchants_actioned"`
}

// Validate checks a campaign and fills default rules.
func (c *Campaign) Validate() error {
	if c.Name == "" || c.Category == "" {
		return Errorf(Invalid, "name and category are required.")
	}
	if err := ValidateText("name", c.Name, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateText("category", c.Category, MaxNameLen); err != nil {
		return err
	}
	if c.From.IsZero() || c.To.IsZero() || !c.From.Before(c.To) || c.To.Sub(c.From) > 366*24*time.Hour {
		return Errorf(Invalid, "The campaign needs a from before its to, at most a year apart.")
	}
	r := &c.Rules
	if r.MinOrders == 0 {
		r.MinOrders = 20
	}
	if r.SamplingTier == 0 {
		r.SamplingTier = 3
	}
	if r.MaxReturnRateBP < 0 || r.MaxReturnRateBP > 10000 || r.MinOrders < 1 || r.SamplingTier < 1 || r.SamplingTier > 3 {
		return Errorf(Invalid, "rules: max_return_rate_bp must be 0..10000, min_orders positive, sampling_tier 1..3.")
	}
	return nil
}

// Quality actions.
const (
	ActionQualityManage = Action("quality.manage")
	ActionQualityRead   = Action("quality.read")
)

func init() {
	grant("quality", ActionQualityManage, ActionQualityRead)
	grant("operator", ActionQualityRead)
	grant("auditor", ActionQualityRead)
}

// QualityService runs the quality watch. Every method authorizes first;
// unknown ids are NotFound.
type QualityService interface {
	CreateMonitor(ctx context.Context, m *QualityMonitor) error
	FindMonitors(ctx context.Context) ([]*QualityMonitor, error)
	// Series returns a monitor's last days (up to 120) with baselines.
	Series(ctx context.Context, monitorID string, days int) (*QualitySeries, error)
	// ImportHistory stores daily aggregates from before the mirror
	// (replacing earlier imports of the same days) and returns how many.
	ImportHistory(ctx context.Context, h *QualityHistory) (int, error)
	// Evaluate checks every monitor on one local day and stores alerts
	// (once per monitor and day).
	Evaluate(ctx context.Context, day string) ([]*QualityAlert, error)
	FindAlerts(ctx context.Context, limit int) ([]*QualityAlert, error)

	CreateCampaign(ctx context.Context, c *Campaign) error
	FindCampaigns(ctx context.Context) ([]*Campaign, error)
	FindCampaign(ctx context.Context, id string) (*Campaign, error)
	// EnforceCampaign restricts the category's merchants over the
	// campaign's maximum return rate, once each, and returns how many.
	EnforceCampaign(ctx context.Context, id string) (int, error)
}
