package anxin

import (
	"context"
	"time"
)

// Quality sampling (抽检): plans draw listings by risk-weighted random
// sampling, samples are bought as mystery orders and tested by accredited
// labs, and failures intercept listings and open enforcement.

// CategoryQuota is how many samples a plan takes in a category, and the
// category's risk tier (1 low … 3 high).
type CategoryQuota struct {
	Category string `json:"category"`
	Quota    int    `json:"quota"`
	RiskTier int    `json:"risk_tier,omitempty"`
}

// Plan statuses.
const (
	PlanDraft  = "draft"  // created, not drawn
	PlanDrawn  = "drawn"  // samples selected
	PlanClosed = "closed" // no more spend
)

// SamplingPlan is a budgeted sampling campaign for a period.
type SamplingPlan struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	BudgetFen     int64           `json:"budget_fen"`
	SpentFen      int64           `json:"spent_fen"`
	From          time.Time       `json:"from"`
	To            time.Time       `json:"to"`
	Quotas        []CategoryQuota `json:"quotas"`
	RandomShareBP int             `json:"random_share_bp"` // uniform picks for unbiased pass rates
	Seed          int64           `json:"seed"`            // makes the draw reproducible
	Status        string          `json:"status"`
	CreatedAt     time.Time       `json:"created_at"`
}

// Limits on plans.
const (
	MaxPlanQuota      = 100_000   // samples in one category
	MaxPlanSamples    = 1_000_000 // samples in one plan
	MaxPlanCategories = 200
)

// Validate checks a new plan: a non-negative budget, a period that ends
// after it starts, 1..MaxPlanCategories distinct categories each with a
// quota of 1..MaxPlanQuota and a tier of 1..3, at most MaxPlanSamples in
// all, and a random share of 0..10000 bp (default 1000). Quotas that the
// budget cannot possibly buy (more samples than fen) are Invalid too.
func (p *SamplingPlan) Validate() error {
	if err := ValidateText("name", p.Name, MaxNameLen); err != nil {
		return err
	}
	if p.Name == "" {
		return Errorf(Invalid, "name is required.")
	}
	if p.BudgetFen < 0 {
		return Errorf(Invalid, "budget_fen must not be negative.")
	}
	if err := ValidateAmount("budget_fen", p.BudgetFen); err != nil {
		return err
	}
	if p.From.IsZero() || p.To.IsZero() || !p.From.Before(p.To) {
		return Errorf(Invalid, "The plan's period must have a from before its to.")
	}
	if len(p.Quotas) == 0 || len(p.Quotas) > MaxPlanCategories {
		return Errorf(Invalid, "quotas must list 1 to %d categories.", MaxPlanCategories)
	}
	seen := map[string]bool{}
	total := 0
	for i := range p.Quotas {
		q := &p.Quotas[i]
		if q.Category == "" {
			return Errorf(Invalid, "quotas.category is required.")
		}
		if err := ValidateText("quotas.category", q.Category, MaxNameLen); err != nil {
			return err
		}
		if seen[q.Category] {
			return Errorf(Invalid, "quotas lists category %q twice.", q.Category)
		}
		seen[q.Category] = true
		if q.Quota < 1 || q.Quota > MaxPlanQuota {
			return Errorf(Invalid, "quotas.quota for %q must be between 1 and %d.", q.Category, MaxPlanQuota)
		}
		if q.RiskTier == 0 {
			q.RiskTier = 1
		}
		if q.RiskTier < 1 || q.RiskTier > 3 {
			return Errorf(Invalid, "quotas.risk_tier must be 1, 2 or 3.")
		}
		total += q.Quota
	}
	if total > MaxPlanSamples {
		return Errorf(Invalid, "The plan asks for %d samples; at most %d.", total, MaxPlanSamples)
	}
	if int64(total) > p.BudgetFen {
		return Errorf(Invalid, "The quotas ask for %d samples but the budget of %d fen cannot buy them.", total, p.BudgetFen)
	}
	if p.RandomShareBP == 0 {
		p.RandomShareBP = 1000
	}
	if p.RandomShareBP < 0 || p.RandomShareBP > 10000 {
		return Errorf(Invalid, "random_share_bp must be between 0 and 10000.")
	}
	return nil
}

// Lab is an accredited testing laboratory. Capacity is how many samples it
// holds at once (assigned but without a result).
type Lab struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Accreditations []string  `json:"accreditations"` // CMA, CNAS, ...
	Categories     []string  `json:"categories"`
	Tests          []string  `json:"tests"`
	Capacity       int       `json:"capacity"`
	PriceFen       int64     `json:"price_fen"` // lab fee per sample
	Active         bool      `json:"active"`
	InFlight       int       `json:"in_flight"` // samples at the lab now (read only)
	CreatedAt      time.Time `json:"created_at"`
}

// Validate checks a lab: an id, a name, at least one of the required
// accreditations (CMA or CNAS), categories and tests, a capacity of
// 1..100000 and a non-negative price.
func (l *Lab) Validate() error {
	if err := ValidateID("id", l.ID); err != nil {
		return err
	}
	if l.Name == "" {
		return Errorf(Invalid, "name is required.")
	}
	if err := ValidateText("name", l.Name, MaxNameLen); err != nil {
		return err
	}
	accredited := false
	for _, a := range l.Accreditations {
		if err := ValidateText("accreditations", a, 64); err != nil {
			return err
		}
		if a == "CMA" || a == "CNAS" {
			accredited = true
		}
	}
	if !accredited {
		return Errorf(Invalid, "A lab needs a CMA or CNAS accreditation.")
	}
	for _, list := range []struct {
		name string
		v    []string
	}{{"categories", l.Categories}, {"tests", l.Tests}} {
		if len(list.v) == 0 || len(list.v) > MaxAttributes {
			return Errorf(Invalid, "%s must list 1 to %d entries.", list.name, MaxAttributes)
		}
		for _, v := range list.v {
			if v == "" {
				return Errorf(Invalid, "%s has an empty entry.", list.name)
			}
			if err := ValidateText(list.name, v, MaxNameLen); err != nil {
				return err
			}
		}
	}
	if l.Capacity < 1 || l.Capacity > 100_000 {
		return Errorf(Invalid, "capacity must be between 1 and 100000.")
	}
	return ValidateAmount("price_fen", l.PriceFen)
}

// Sample statuses, in life-cycle order.
const (
	SampleSelected = "selected" // drawn; a mystery purchase is requested
	SampleOrdered  = "ordered"  // bought; cost booked
	SampleAssigned = "assigned" // given to a lab; fee booked
	SampleShipped  = "shipped"  // on its way to the lab
	SampleAtLab    = "at_lab"   // received by the lab
	SamplePassed   = "passed"
	SampleFailed   = "failed"
)

// LabTest is one test of a sample. Safety marks a test whose failure is
// a safety issue (buyers of the product are warned).
type LabTest struct {
	Test   string `json:"test"`
	Pass   bool   `json:"pass"`
	Safety bool   `json:"safety,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Sample is one listing drawn by a plan and its way through purchase, lab
// and result.
type Sample struct {
	ID           string     `json:"id"`
	PlanID       string     `json:"plan_id"`
	ListingID    string     `json:"listing_id"`
	MerchantID   string     `json:"merchant_id"`
	Category     string     `json:"category"`
	ProductKey   string     `json:"product_key"`
	Stratum      string     `json:"stratum"` // risk or random
	Weight       float64    `json:"weight"`
	Status       string     `json:"status"`
	OrderID      string     `json:"order_id,omitempty"`
	PurchaseFen  int64      `json:"purchase_fen"`
	LabID        string     `json:"lab_id,omitempty"`
	LabFeeFen    int64      `json:"lab_fee_fen"`
	TrackingNo   string     `json:"tracking_no,omitempty"`
	ReportRef    string     `json:"report_ref,omitempty"`
	Results      []LabTest  `json:"results,omitempty"`
	RetestOf     string     `json:"retest_of,omitempty"`
	MerchantPays bool       `json:"merchant_pays"` // a retest the merchant asked for
	CreatedAt    time.Time  `json:"created_at"`
	ResultAt     *time.Time `json:"result_at,omitempty"`
}

// LabResult is a lab's verdict on a sample.
type LabResult struct {
	Results   []LabTest `json:"results"`
	ReportRef string    `json:"report_ref"`
}

// Validate checks a lab result: 1..64 tests with names, and a report
// reference.
func (r *LabResult) Validate() error {
	if len(r.Results) == 0 || len(r.Results) > MaxAttributes {
		return Errorf(Invalid, "results must list 1 to %d tests.", MaxAttributes)
	}
	seen := map[string]bool{}
	for _, t := range r.Results {
		if t.Test == "" {
			return Errorf(Invalid, "results.test is required.")
		}
		if err := ValidateText("results.test", t.Test, MaxNameLen); err != nil {
			return err
		}
		if seen[t.Test] {
			return Errorf(Invalid, "results lists test %q twice.", t.Test)
		}
		seen[t.Test] = true
		if err := ValidateText("results.note", t.Note, 2000); err != nil {
			return err
		}
	}
	if r.ReportRef == "" {
		return Errorf(Invalid, "report_ref is required.")
	}
	return ValidateText("report_ref", r.ReportRef, MaxNameLen)
}

// PassRate is the pass rate of a category's samples. Rate and its Wilson
// 95 % interval come from the random share only (unbiased); AllRate counts
// every sample, risk-weighted ones included.
type PassRate struct {
	Category      string  `json:"category"`
	Samples       int     `json:"samples"`
	Passed        int     `json:"passed"`
	AllRate       float64 `json:"all_rate"`
	RandomSamples int     `json:"random_samples"`
	RandomPassed  int     `json:"random_passed"`
	Rate          float64 `json:"rate"`
	Low           float64 `json:"low"`
	High          float64 `json:"high"`
}

// DrawResult says what a draw selected.
type DrawResult struct {
	Plan      *SamplingPlan  `json:"plan"`
	Selected  int            `json:"selected"`
	Shortfall map[string]int `json:"shortfall,omitempty"` // categories with fewer live listings than their quota
}

// Sampling actions.
const (
	ActionSamplingManage = Action("sampling.manage") // plans, labs, purchases, results
	ActionSamplingRead   = Action("sampling.read")
	ActionSamplingRetest = Action("sampling.retest") // a merchant asks for a retest of its own failed sample
)

func init() {
	grant("quality", ActionSamplingManage, ActionSamplingRead, ActionSamplingRetest, ActionReadReport)
	grant("operator", ActionSamplingRead)
	grant("auditor", ActionSamplingRead)
	grant("merchant", ActionSamplingRetest)
}

// SamplingService runs quality sampling. Every method authorizes first.
// Unknown plan, lab or sample ids are NotFound; a step out of order (a
// result for a sample not at a lab, a second draw) is Conflict; spend that
// would exceed the plan's budget is Conflict and books nothing.
type SamplingService interface {
	CreatePlan(ctx context.Context, p *SamplingPlan) error
	FindPlans(ctx context.Context) ([]*SamplingPlan, error)
	FindPlan(ctx context.Context, id string) (*SamplingPlan, error)
	Draw(ctx context.Context, planID string) (*DrawResult, error)
	FindSamples(ctx context.Context, planID string) ([]*Sample, error)
	FindSample(ctx context.Context, id string) (*Sample, error)
	PassRates(ctx context.Context, planID string) ([]PassRate, error)

	PutLab(ctx context.Context, l *Lab) error
	FindLabs(ctx context.Context) ([]*Lab, error)

	RecordPurchase(ctx context.Context, sampleID, orderID string, purchaseFen, freightFen int64) (*Sample, error)
	AssignLab(ctx context.Context, sampleID, labID string) (*Sample, error)
	Track(ctx context.Context, sampleID, status, trackingNo string) (*Sample, error)
	RecordResult(ctx context.Context, sampleID string, r LabResult) (*Sample, error)
	RequestRetest(ctx context.Context, sampleID string) (*Sample, error)
}
