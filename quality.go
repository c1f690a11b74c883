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
	Seasonal  bool      `json:"seasonal"` // same-weekday and year-ago baseline (fresh produce)
	Weeks     int       `json:"weeks"`    // history used for the baseline (default 8)
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

// QualityPoint is one day of a monitor's series with its baseline.
type QualityPoint struct {
	Day      string  `json:"day"` // local date YYYY-MM-DD
	Trials   int64   `json:"trials"`
	Events   int64   `json:"events"`
	Rate     float64 `json:"rate"`
	Baseline float64 `json:"baseline"`
	Lower    float64 `json:"lower"`
	Upper    float64 `json:"upper"`
	Alert    bool    `json:"alert"`
}

// QualityAlert is a day a monitored series left its normal range.
type QualityAlert struct {
	ID        string    `json:"id"`
	MonitorID string    `json:"monitor_id"`
	Scope     string    `json:"scope"`
	Key       string    `json:"key"`
	Metric    string    `json:"metric"`
	Day       string    `json:"day"`
	Value     float64   `json:"value"`
	Baseline  float64   `json:"baseline"`
	Lower     float64   `json:"lower"`
	Upper     float64   `json:"upper"`
	CreatedAt time.Time `json:"created_at"`
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
	Series(ctx context.Context, monitorID string, days int) ([]QualityPoint, error)
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
