package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"anxin"
	"anxin/sampling"
)

// Outbox message types the sampling capability sends besides the shared
// listing and merchant actions.
const (
	MsgSamplingPurchase = "sampling.purchase" // ask the marketplace to buy a sample with a mystery account
)

// Sampling defaults (doc/domain.md, Quality sampling).
const (
	samplingRetestDays   = 7  // a merchant may ask for a retest this long after a failure
	samplingRestrictDays = 7  // merchant.restrict after a failed sample
	samplingBuyerDays    = 90 // buyers of the product this far back are warned of a safety failure
	samplingNewMerchant  = 90 * 24 * time.Hour
)

// SamplingService implements anxin.SamplingService.
type SamplingService struct{ db *DB }

// NewSamplingService returns a SamplingService on db.
func NewSamplingService(db *DB) *SamplingService { return &SamplingService{db: db} }

var _ anxin.SamplingService = (*SamplingService)(nil)

// CreatePlan validates and stores a draft plan; a zero seed is replaced by
// a random one, recorded so the draw can be replayed.
func (s *SamplingService) CreatePlan(ctx context.Context, p *anxin.SamplingPlan) (err error) {
	defer anxin.Wrap(&err, "CreatePlan")
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Seed == 0 {
		p.Seed = int64(seedHash(anxin.NewID("")) >> 1)
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		p.ID, p.Status, p.SpentFen, p.CreatedAt = anxin.NewID("spl"), anxin.PlanDraft, 0, tx.Now
		_, err := tx.ExecContext(ctx, `INSERT INTO sampling_plans (id, name, budget_fen, spent_fen, from_at, to_at, quotas, random_share_bp, seed, status, created_at)
			VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.Name, p.BudgetFen, ms(p.From), ms(p.To), jsonText(p.Quotas, "[]"), p.RandomShareBP, p.Seed, p.Status, ms(tx.Now))
		return err
	})
}

func seedHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

const planCols = `id, name, budget_fen, spent_fen, from_at, to_at, quotas, random_share_bp, seed, status, created_at`

func scanPlan(sc interface{ Scan(...any) error }) (*anxin.SamplingPlan, error) {
	p := new(anxin.SamplingPlan)
	var from, to, created int64
	var quotas string
	if err := sc.Scan(&p.ID, &p.Name, &p.BudgetFen, &p.SpentFen, &from, &to, &quotas, &p.RandomShareBP, &p.Seed, &p.Status, &created); err != nil {
		return nil, err
	}
	p.From, p.To, p.CreatedAt = fromMS(from), fromMS(to), fromMS(created)
	return p, json.Unmarshal([]byte(quotas), &p.Quotas)
}

func loadPlan(ctx context.Context, tx *Tx, id string) (*anxin.SamplingPlan, error) {
	p, err := scanPlan(tx.QueryRowContext(ctx, `SELECT `+planCols+` FROM sampling_plans WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Sampling plan not found.")
	}
	return p, err
}

// FindPlans lists plans, newest first.
func (s *SamplingService) FindPlans(ctx context.Context) ([]*anxin.SamplingPlan, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSamplingRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+planCols+` FROM sampling_plans ORDER BY created_at DESC, id LIMIT 500`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.SamplingPlan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindPlan returns a plan; NotFound if absent.
func (s *SamplingService) FindPlan(ctx context.Context, id string) (*anxin.SamplingPlan, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSamplingRead); err != nil {
		return nil, err
	}
	var p *anxin.SamplingPlan
	err := s.db.Transact(ctx, func(tx *Tx) (err error) {
		p, err = loadPlan(ctx, tx, id)
		return err
	})
	return p, err
}

// merchantRisk is what the mirror says about a merchant's risk.
type merchantRisk struct {
	onboarded           time.Time
	orders90, orders7   int64
	returns, complaints int64
	fails               int
}

func (m *merchantRisk) features(tier int, now time.Time) sampling.Features {
	f := sampling.Features{CategoryTier: tier, PriorFails: m.fails}
	f.NewMerchant = !m.onboarded.IsZero() && now.Sub(m.onboarded) < samplingNewMerchant
	if m.orders90 > 0 {
		f.ComplaintRate = float64(m.complaints) / float64(m.orders90)
		f.ReturnRate = float64(m.returns) / float64(m.orders90)
		f.SalesSpike = (float64(m.orders7) / 7) / (float64(m.orders90) / 90)
	}
	return f
}

// merchantRisks gathers per-merchant risk factors from the mirror, care
// tickets and earlier sampling failures: one grouped query each.
func merchantRisks(ctx context.Context, tx *Tx) (map[string]*merchantRisk, error) {
	out := map[string]*merchantRisk{}
	get := func(id string) *merchantRisk {
		m := out[id]
		if m == nil {
			m = &merchantRisk{}
			out[id] = m
		}
		return m
	}
	d90, d7 := ms(tx.Now.Add(-90*24*time.Hour)), ms(tx.Now.Add(-7*24*time.Hour))
	queries := []struct {
		q    string
		args []any
		set  func(m *merchantRisk, v int64)
	}{
		{`SELECT id, onboarded_at FROM merchants`, nil, func(m *merchantRisk, v int64) { m.onboarded = fromMS(v) }},
		{`SELECT merchant_id, COUNT(*) FROM orders WHERE created_at >= ? GROUP BY merchant_id`, []any{d90}, func(m *merchantRisk, v int64) { m.orders90 = v }},
		{`SELECT merchant_id, COUNT(*) FROM orders WHERE created_at >= ? GROUP BY merchant_id`, []any{d7}, func(m *merchantRisk, v int64) { m.orders7 = v }},
		{`SELECT o.merchant_id, COUNT(*) FROM aftersales a JOIN orders o ON o.id = a.order_id WHERE a.kind IN ('return_refund', 'refund_only') AND a.status <> 'rejected' AND a.created_at >= ? GROUP BY o.merchant_id`, []any{d90}, func(m *merchantRisk, v int64) { m.returns = v }},
		{`SELECT merchant_id, COUNT(*) FROM care_tickets WHERE merchant_id <> '' AND created_at >= ? GROUP BY merchant_id`, []any{d90}, func(m *merchantRisk, v int64) { m.complaints = v }},
		{`SELECT merchant_id, COUNT(*) FROM sampling_violations WHERE cleared_at IS NULL GROUP BY merchant_id`, nil, func(m *merchantRisk, v int64) { m.fails = int(v) }},
	}
	for _, q := range queries {
		rows, err := tx.QueryContext(ctx, q.q, q.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, err
			}
			q.set(get(id), v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listingProductKey identifies a listing's product for finding siblings: the
// marketplace's product_id or spu attribute, else its brand and title.
func listingProductKey(title, brand, attrs string) string {
	var a map[string]string
	if json.Unmarshal([]byte(attrs), &a) == nil {
		for _, k := range []string{"product_id", "spu"} {
			if v := a[k]; v != "" {
				return k + ":" + v
			}
		}
	}
	return "title:" + strings.ToLower(strings.TrimSpace(brand+" "+title))
}

// Draw selects the plan's samples from live listings in one streaming pass
// (risk-weighted with the plan's uniform share, reproducible from its
// seed), stores them and asks the marketplace to buy each one. Conflict if
// the plan was drawn already; Invalid, with nothing stored, if a category
// has no live listing at all.
func (s *SamplingService) Draw(ctx context.Context, planID string) (_ *anxin.DrawResult, err error) {
	defer anxin.Wrap(&err, "Draw(%q)", planID)
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return nil, err
	}
	var res *anxin.DrawResult
	err = s.db.TransactOpts(ctx, TxOptions{Serializable: true}, func(tx *Tx) error {
		p, err := loadPlan(ctx, tx, planID)
		if err != nil {
			return err
		}
		if p.Status != anxin.PlanDraft {
			return anxin.Errorf(anxin.Conflict, "The plan was drawn already.")
		}
		risks, err := merchantRisks(ctx, tx)
		if err != nil {
			return err
		}
		// A quality campaign running on a category raises its risk tier.
		tiers, err := activeCampaignTiers(ctx, tx)
		if err != nil {
			return err
		}
		quotas := map[string]int{}
		args := []any{}
		for _, q := range p.Quotas {
			quotas[q.Category], tiers[q.Category] = q.Quota, max(q.RiskTier, tiers[q.Category])
			args = append(args, q.Category)
		}
		d := sampling.NewDraw(quotas, p.RandomShareBP, uint64(p.Seed))
		rows, err := tx.QueryContext(ctx, `SELECT id, merchant_id, category, title, brand, attributes FROM listings
			WHERE status = 'live' AND category IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
		if err != nil {
			return err
		}
		none := &merchantRisk{}
		for rows.Next() {
			var c sampling.Candidate
			var title, brand, attrs string
			if err := rows.Scan(&c.ListingID, &c.MerchantID, &c.Category, &title, &brand, &attrs); err != nil {
				rows.Close()
				return err
			}
			c.ProductKey = listingProductKey(title, brand, attrs)
			m := risks[c.MerchantID]
			if m == nil {
				m = none
			}
			c.Features = m.features(tiers[c.Category], tx.Now)
			d.Offer(c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		res = &anxin.DrawResult{Plan: p, Shortfall: map[string]int{}}
		for _, q := range p.Quotas {
			n := d.Seen(q.Category)
			if n == 0 {
				return anxin.Errorf(anxin.Invalid, "Category %q has no live listings to sample; change the quota.", q.Category)
			}
			if n < q.Quota {
				res.Shortfall[q.Category] = q.Quota - n
			}
		}
		for _, pk := range d.Picks() {
			id := anxin.NewID("smp")
			_, err := tx.ExecContext(ctx, `INSERT INTO sampling_samples (id, plan_id, listing_id, merchant_id, category, product_key, stratum, weight, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, p.ID, pk.ListingID, pk.MerchantID, pk.Category, pk.ProductKey, pk.Stratum, pk.Weight, anxin.SampleSelected, ms(tx.Now), ms(tx.Now))
			if err != nil {
				return err
			}
			if _, err := Enqueue(ctx, tx, MsgSamplingPurchase, pk.ListingID, id, map[string]any{
				"sample_id": id, "listing_id": pk.ListingID, "merchant_id": pk.MerchantID, "plan_id": p.ID,
			}); err != nil {
				return err
			}
			res.Selected++
		}
		p.Status = anxin.PlanDrawn
		_, err = tx.ExecContext(ctx, `UPDATE sampling_plans SET status = ? WHERE id = ?`, p.Status, p.ID)
		return err
	})
	return res, err
}

const sampleCols = `id, plan_id, listing_id, merchant_id, category, product_key, stratum, weight, status, order_id, purchase_fen, lab_id, lab_fee_fen,
	tracking_no, report_ref, results, retest_of, merchant_pays, created_at, result_at`

func scanSample(sc interface{ Scan(...any) error }) (*anxin.Sample, error) {
	x := new(anxin.Sample)
	var results string
	var pays int
	var created int64
	var resultAt sql.NullInt64
	if err := sc.Scan(&x.ID, &x.PlanID, &x.ListingID, &x.MerchantID, &x.Category, &x.ProductKey, &x.Stratum, &x.Weight, &x.Status, &x.OrderID, &x.PurchaseFen,
		&x.LabID, &x.LabFeeFen, &x.TrackingNo, &x.ReportRef, &results, &x.RetestOf, &pays, &created, &resultAt); err != nil {
		return nil, err
	}
	x.MerchantPays, x.CreatedAt, x.ResultAt = pays != 0, fromMS(created), fromNullMS(resultAt)
	return x, json.Unmarshal([]byte(results), &x.Results)
}

// loadSample reads a sample visible to the actor (merchants: their own).
func loadSample(ctx context.Context, tx *Tx, id string) (*anxin.Sample, error) {
	notFound := anxin.Errorf(anxin.NotFound, "Sample not found.")
	if anxin.ValidateID("id", id) != nil {
		return nil, notFound
	}
	x, err := scanSample(tx.QueryRowContext(ctx, `SELECT `+sampleCols+` FROM sampling_samples WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if m := anxin.MerchantScope(ctx); m != "" && x.MerchantID != m {
		return nil, notFound
	}
	return x, nil
}

// FindSamples lists a plan's samples by category and id.
func (s *SamplingService) FindSamples(ctx context.Context, planID string) ([]*anxin.Sample, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSamplingRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+sampleCols+` FROM sampling_samples WHERE plan_id = ? ORDER BY category, id`, planID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Sample
	for rows.Next() {
		x, err := scanSample(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// FindSample returns one sample; merchants may read their own (they need
// it to ask for a retest).
func (s *SamplingService) FindSample(ctx context.Context, id string) (*anxin.Sample, error) {
	role := anxin.ActorFromContext(ctx).Role
	if !anxin.Can(role, anxin.ActionSamplingRead) {
		if err := anxin.Authorize(ctx, anxin.ActionSamplingRetest); err != nil {
			return nil, err
		}
	}
	var x *anxin.Sample
	err := s.db.Transact(ctx, func(tx *Tx) (err error) {
		x, err = loadSample(ctx, tx, id)
		return err
	})
	return x, err
}

// PassRates returns each category's pass rate for a plan, with the Wilson
// interval of its random share.
func (s *SamplingService) PassRates(ctx context.Context, planID string) ([]anxin.PassRate, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSamplingRead); err != nil {
		return nil, err
	}
	return passRates(ctx, s.db, `plan_id = ?`, planID)
}

// passRates computes pass rates over first (non-retest) results matching
// where.
func passRates(ctx context.Context, db *DB, where string, args ...any) ([]anxin.PassRate, error) {
	rows, err := db.QueryContext(ctx, `SELECT category, stratum, COUNT(*), COALESCE(SUM(passed), 0) FROM sampling_samples
		WHERE passed IS NOT NULL AND retest_of = '' AND `+where+` GROUP BY category, stratum ORDER BY category, stratum`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.PassRate
	for rows.Next() {
		var cat, stratum string
		var n, passed int
		if err := rows.Scan(&cat, &stratum, &n, &passed); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Category != cat {
			out = append(out, anxin.PassRate{Category: cat})
		}
		pr := &out[len(out)-1]
		pr.Samples += n
		pr.Passed += passed
		if stratum == sampling.StratumRandom {
			pr.RandomSamples, pr.RandomPassed = n, passed
		}
	}
	for i := range out {
		pr := &out[i]
		pr.AllRate = float64(pr.Passed) / float64(pr.Samples)
		if pr.RandomSamples > 0 {
			pr.Rate = float64(pr.RandomPassed) / float64(pr.RandomSamples)
		}
		pr.Low, pr.High = sampling.Wilson(pr.RandomPassed, pr.RandomSamples)
	}
	return out, rows.Err()
}
