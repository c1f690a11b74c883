package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"anxin"
	"anxin/enforcement"
	"anxin/sampling"
)

// Outbox message types the sampling capability sends besides the shared
// listing and merchant actions.
const (
	MsgSamplingPurchase = "sampling.purchase" // ask the marketplace to buy a sample with a mystery account
)

// Sampling defaults (DOMAIN §13).
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

// PutLab creates or updates a lab.
func (s *SamplingService) PutLab(ctx context.Context, l *anxin.Lab) (err error) {
	defer anxin.Wrap(&err, "PutLab")
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		l.CreatedAt = tx.Now
		active := 0
		if l.Active {
			active = 1
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sampling_labs (id, name, accreditations, categories, tests, capacity, price_fen, active, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, accreditations = excluded.accreditations,
			categories = excluded.categories, tests = excluded.tests, capacity = excluded.capacity, price_fen = excluded.price_fen, active = excluded.active`,
			l.ID, l.Name, jsonText(l.Accreditations, "[]"), jsonText(l.Categories, "[]"), jsonText(l.Tests, "[]"), l.Capacity, l.PriceFen, active, ms(tx.Now))
		return err
	})
}

func scanLabs(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]*anxin.Lab, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.name, l.accreditations, l.categories, l.tests, l.capacity, l.price_fen, l.active, l.created_at,
		(SELECT COUNT(*) FROM sampling_samples x WHERE x.lab_id = l.id AND x.status IN ('assigned', 'shipped', 'at_lab'))
		FROM sampling_labs l ORDER BY l.price_fen, l.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Lab
	for rows.Next() {
		l := new(anxin.Lab)
		var acc, cats, tests string
		var active int
		var created int64
		if err := rows.Scan(&l.ID, &l.Name, &acc, &cats, &tests, &l.Capacity, &l.PriceFen, &active, &created, &l.InFlight); err != nil {
			return nil, err
		}
		l.Active, l.CreatedAt = active != 0, fromMS(created)
		for _, f := range []struct {
			s string
			d *[]string
		}{{acc, &l.Accreditations}, {cats, &l.Categories}, {tests, &l.Tests}} {
			if err := json.Unmarshal([]byte(f.s), f.d); err != nil {
				return nil, err
			}
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// FindLabs lists labs, cheapest first, with the samples each holds now.
func (s *SamplingService) FindLabs(ctx context.Context) ([]*anxin.Lab, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSamplingRead); err != nil {
		return nil, err
	}
	return scanLabs(ctx, s.db)
}

// bookSpend charges amount to the plan's budget (payer "budget") or records a
// merchant-paid cost. Conflict if the budget would be exceeded.
func bookSpend(ctx context.Context, tx *Tx, planID, sampleID, kind, payer string, amount int64) error {
	if amount == 0 {
		return nil
	}
	if payer == "budget" {
		r, err := tx.ExecContext(ctx, `UPDATE sampling_plans SET spent_fen = spent_fen + ? WHERE id = ? AND spent_fen + ? <= budget_fen AND status <> 'closed'`,
			amount, planID, amount)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return anxin.Errorf(anxin.Conflict, "The plan's budget cannot cover %d fen more.", amount)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sampling_spend (id, plan_id, sample_id, kind, payer, amount_fen, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		anxin.NewID("spd"), planID, sampleID, kind, payer, amount, ms(tx.Now))
	return err
}

// stepSample loads a sample for a change, checks it is in one of the
// statuses from, runs fn and saves the sample.
func (s *SamplingService) stepSample(ctx context.Context, id string, from []string, fn func(tx *Tx, x *anxin.Sample) error) (*anxin.Sample, error) {
	var out *anxin.Sample
	err := s.db.TransactOpts(ctx, TxOptions{Serializable: true}, func(tx *Tx) error {
		x, err := loadSample(ctx, tx, id)
		if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || x.Status == f
		}
		if !ok {
			return anxin.Errorf(anxin.Conflict, "The sample is %s; this step needs it %s.", x.Status, strings.Join(from, " or "))
		}
		if err := fn(tx, x); err != nil {
			return err
		}
		var passed any
		if x.Status == anxin.SamplePassed {
			passed = 1
		} else if x.Status == anxin.SampleFailed {
			passed = 0
		}
		_, err = tx.ExecContext(ctx, `UPDATE sampling_samples SET status = ?, order_id = ?, purchase_fen = ?, lab_id = ?, lab_fee_fen = ?, tracking_no = ?,
			report_ref = ?, results = ?, passed = ?, result_at = ?, updated_at = ? WHERE id = ?`,
			x.Status, x.OrderID, x.PurchaseFen, x.LabID, x.LabFeeFen, x.TrackingNo, x.ReportRef, jsonText(x.Results, "[]"), passed, msPtr(x.ResultAt), ms(tx.Now), x.ID)
		out = x
		return err
	})
	return out, err
}

// RecordPurchase records the mystery order that bought a selected sample
// and books its price and freight against the budget.
func (s *SamplingService) RecordPurchase(ctx context.Context, sampleID, orderID string, purchaseFen, freightFen int64) (_ *anxin.Sample, err error) {
	defer anxin.Wrap(&err, "RecordPurchase(%q)", sampleID)
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return nil, err
	}
	if err := anxin.ValidateID("order_id", orderID); err != nil {
		return nil, err
	}
	if err := anxin.ValidateAmount("purchase_fen", purchaseFen); err != nil {
		return nil, err
	}
	if err := anxin.ValidateAmount("freight_fen", freightFen); err != nil {
		return nil, err
	}
	return s.stepSample(ctx, sampleID, []string{anxin.SampleSelected}, func(tx *Tx, x *anxin.Sample) error {
		if err := bookSpend(ctx, tx, x.PlanID, x.ID, "purchase", "budget", purchaseFen); err != nil {
			return err
		}
		if err := bookSpend(ctx, tx, x.PlanID, x.ID, "freight", "budget", freightFen); err != nil {
			return err
		}
		x.Status, x.OrderID, x.PurchaseFen = anxin.SampleOrdered, orderID, purchaseFen+freightFen
		return nil
	})
}

// AssignLab gives an ordered sample to a lab (the cheapest active,
// accredited lab covering its category with spare capacity when labID is
// empty) and books the lab fee; a retest never goes to the lab of the
// first test. Conflict if the named lab is full or no lab can take it.
func (s *SamplingService) AssignLab(ctx context.Context, sampleID, labID string) (_ *anxin.Sample, err error) {
	defer anxin.Wrap(&err, "AssignLab(%q)", sampleID)
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return nil, err
	}
	if err := anxin.ValidateOptionalID("lab_id", labID); err != nil {
		return nil, err
	}
	return s.stepSample(ctx, sampleID, []string{anxin.SampleOrdered}, func(tx *Tx, x *anxin.Sample) error {
		labs, err := scanLabs(ctx, tx)
		if err != nil {
			return err
		}
		exclude := ""
		if x.RetestOf != "" {
			if err := tx.QueryRowContext(ctx, `SELECT lab_id FROM sampling_samples WHERE id = ?`, x.RetestOf).Scan(&exclude); err != nil {
				return err
			}
		}
		var chosen *anxin.Lab
		for _, l := range labs {
			if labID != "" && l.ID != labID {
				continue
			}
			fits := l.Active && l.ID != exclude && hasString(l.Categories, x.Category)
			if labID != "" {
				switch {
				case !fits:
					return anxin.Errorf(anxin.Conflict, "Lab %s cannot test this sample (inactive, wrong category, or the lab of the first test).", l.ID)
				case l.InFlight >= l.Capacity:
					return anxin.Errorf(anxin.Conflict, "Lab %s is at capacity (%d samples).", l.ID, l.Capacity)
				}
			}
			if fits && l.InFlight < l.Capacity {
				chosen = l
				break
			}
		}
		if chosen == nil {
			if labID != "" {
				return anxin.Errorf(anxin.NotFound, "Lab not found.")
			}
			return anxin.Errorf(anxin.Conflict, "No active lab covering %q has spare capacity.", x.Category)
		}
		payer := "budget"
		if x.MerchantPays {
			payer = "merchant"
		}
		if err := bookSpend(ctx, tx, x.PlanID, x.ID, "lab_fee", payer, chosen.PriceFen); err != nil {
			return err
		}
		x.Status, x.LabID, x.LabFeeFen = anxin.SampleAssigned, chosen.ID, chosen.PriceFen
		return nil
	})
}

func hasString(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Track moves a sample on its way to the lab: "shipped" (with the
// tracking number) from assigned, "received" from shipped.
func (s *SamplingService) Track(ctx context.Context, sampleID, status, trackingNo string) (_ *anxin.Sample, err error) {
	defer anxin.Wrap(&err, "Track(%q)", sampleID)
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("tracking_no", trackingNo, anxin.MaxNameLen); err != nil {
		return nil, err
	}
	from, to := "", ""
	switch status {
	case "shipped":
		from, to = anxin.SampleAssigned, anxin.SampleShipped
		if trackingNo == "" {
			return nil, anxin.Errorf(anxin.Invalid, "tracking_no is required when the sample ships.")
		}
	case "received":
		from, to = anxin.SampleShipped, anxin.SampleAtLab
	default:
		return nil, anxin.Errorf(anxin.Invalid, "status must be shipped or received.")
	}
	return s.stepSample(ctx, sampleID, []string{from}, func(tx *Tx, x *anxin.Sample) error {
		x.Status = to
		if trackingNo != "" {
			x.TrackingNo = trackingNo
		}
		return nil
	})
}

// RecordResult stores a lab's verdict on a sample at the lab. A failure
// intercepts the listing and its siblings (same merchant and product) with
// listing.delist actions, records a sampling violation and sends
// merchant.restrict and a notice to the merchant, and, for a safety
// failure, warns the buyers of those listings from the last 90 days. A
// passing retest restores what its first test took down. NotFound for an
// unknown sample; Conflict if the sample is not at a lab.
func (s *SamplingService) RecordResult(ctx context.Context, sampleID string, r anxin.LabResult) (_ *anxin.Sample, err error) {
	defer anxin.Wrap(&err, "RecordResult(%q)", sampleID)
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return s.stepSample(ctx, sampleID, []string{anxin.SampleAtLab}, func(tx *Tx, x *anxin.Sample) error {
		now := tx.Now
		x.Results, x.ReportRef, x.ResultAt = r.Results, r.ReportRef, &now
		x.Status = anxin.SamplePassed
		safety := false
		for _, t := range r.Results {
			if !t.Pass {
				x.Status = anxin.SampleFailed
				safety = safety || t.Safety
			}
		}
		switch {
		case x.Status == anxin.SampleFailed && x.RetestOf == "":
			return interceptSample(ctx, tx, x, safety)
		case x.Status == anxin.SamplePassed && x.RetestOf != "":
			return restoreSample(ctx, tx, x)
		}
		return nil
	})
}

// interceptSample takes down a failed sample's listing and siblings and opens
// enforcement against the merchant.
func interceptSample(ctx context.Context, tx *Tx, x *anxin.Sample, safety bool) error {
	reason := "sampling_fail_quality"
	if safety {
		reason = "sampling_fail_safety"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, title, brand, attributes FROM listings WHERE merchant_id = ? AND status = 'live'`, x.MerchantID)
	if err != nil {
		return err
	}
	siblings := map[string]bool{x.ListingID: true}
	for rows.Next() {
		var id, title, brand, attrs string
		if err := rows.Scan(&id, &title, &brand, &attrs); err != nil {
			rows.Close()
			return err
		}
		if listingProductKey(title, brand, attrs) == x.ProductKey {
			siblings[id] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ids := make([]string, 0, len(siblings))
	for id := range siblings {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sampling_interceptions (sample_id, listing_id, at) VALUES (?, ?, ?)`, x.ID, id, ms(tx.Now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE listings SET status = 'delisted', updated_at = ? WHERE id = ? AND status = 'live'`, ms(tx.Now), id); err != nil {
			return err
		}
		if _, err := Enqueue(ctx, tx, anxin.ActionDelistListing, id, x.ID+":"+id, map[string]any{
			"listing_id": id, "merchant_id": x.MerchantID, "reason": reason, "sample_id": x.ID, "report_ref": x.ReportRef,
		}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sampling_violations (id, sample_id, merchant_id, listing_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)`,
		anxin.NewID("svl"), x.ID, x.MerchantID, x.ListingID, reason, ms(tx.Now)); err != nil {
		return err
	}
	what := "quality"
	if safety {
		what = "safety"
	}
	facts := "Sample " + x.ID + " of listing " + x.ListingID + " failed its " + what + " test at the lab (report " + x.ReportRef + "); " +
		itoa(len(ids)) + " listing(s) of the same product were taken down."
	if _, err := issueSanction(ctx, tx, sanctionIssue{subjectType: anxin.SubjectMerchant, subjectID: x.MerchantID, typ: anxin.SanctionRestrictListing,
		source: anxin.SourceSampling, originType: "sample", originID: x.ID, cause: reason, days: samplingRestrictDays,
		reason: "A product sample failed its lab test; publishing is restricted for " + itoa(samplingRestrictDays) + " days. A passing retest lifts it.",
		mode:   enforcement.Queue, explain: enforcement.Explanation{Facts: facts, Automation: "not", TermsGround: "Product quality rules: failed random sampling"},
		extra: map[string]any{"days": samplingRestrictDays, "sample_id": x.ID, "listings": ids, "cause": reason}}); err != nil {
		return err
	}
	if _, err := Enqueue(ctx, tx, anxin.ActionNotify, x.MerchantID, "merchant:"+x.ID, map[string]any{
		"to": "merchant", "merchant_id": x.MerchantID, "template": "sampling_failed", "sample_id": x.ID, "reason": reason,
		"retest_until": tx.Now.Add(samplingRetestDays * 24 * time.Hour), "listings": ids,
	}); err != nil {
		return err
	}
	if !safety {
		return nil
	}
	orows, err := tx.QueryContext(ctx, `SELECT id, buyer_id, items FROM orders WHERE merchant_id = ? AND created_at >= ? ORDER BY id`,
		x.MerchantID, ms(tx.Now.Add(-samplingBuyerDays*24*time.Hour)))
	if err != nil {
		return err
	}
	type warn struct{ order, buyer, listing string }
	var warns []warn
	for orows.Next() {
		var id, buyer, items string
		if err := orows.Scan(&id, &buyer, &items); err != nil {
			orows.Close()
			return err
		}
		var its []anxin.OrderItem
		if json.Unmarshal([]byte(items), &its) != nil {
			continue
		}
		for _, it := range its {
			if siblings[it.ListingID] && buyer != "" {
				warns = append(warns, warn{id, buyer, it.ListingID})
				break
			}
		}
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return err
	}
	for _, w := range warns {
		if _, err := Enqueue(ctx, tx, anxin.ActionNotify, w.buyer, "buyer:"+x.ID+":"+w.order, map[string]any{
			"to": "buyer", "buyer_id": w.buyer, "order_id": w.order, "listing_id": w.listing, "template": "safety_warning", "sample_id": x.ID,
		}); err != nil {
			return err
		}
	}
	return nil
}

// restoreSample undoes the interception of a retest's first sample.
func restoreSample(ctx context.Context, tx *Tx, x *anxin.Sample) error {
	rows, err := tx.QueryContext(ctx, `SELECT listing_id FROM sampling_interceptions WHERE sample_id = ? AND restored_at IS NULL ORDER BY listing_id`, x.RetestOf)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := Enqueue(ctx, tx, anxin.ActionRestoreListing, id, x.ID+":"+id, map[string]any{"listing_id": id, "reason": "sampling_retest_passed", "sample_id": x.ID}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE listings SET status = 'live', updated_at = ? WHERE id = ? AND status = 'delisted'`, ms(tx.Now), id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sampling_interceptions SET restored_at = ? WHERE sample_id = ? AND restored_at IS NULL`, ms(tx.Now), x.RetestOf); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sampling_violations SET cleared_at = ? WHERE sample_id = ?`, ms(tx.Now), x.RetestOf); err != nil {
		return err
	}
	ss, err := loadSanctions(ctx, tx, `WHERE source = 'sampling' AND origin_type = 'sample' AND origin_id = ? AND status = 'active'`, x.RetestOf)
	if err != nil {
		return err
	}
	_, err = endSanctions(ctx, tx, ss, anxin.SanctionLifted, "retest_passed")
	return err
}

// RequestRetest opens a retest of a failed sample at the merchant's cost,
// within 7 days of the result, once. Merchants may ask only for their own
// samples (others are NotFound). Conflict outside the window, for a sample
// that did not fail, for a retest of a retest, or when one was asked
// already.
func (s *SamplingService) RequestRetest(ctx context.Context, sampleID string) (_ *anxin.Sample, err error) {
	defer anxin.Wrap(&err, "RequestRetest(%q)", sampleID)
	if err := anxin.Authorize(ctx, anxin.ActionSamplingRetest); err != nil {
		return nil, err
	}
	var out *anxin.Sample
	err = s.db.Transact(ctx, func(tx *Tx) error {
		x, err := loadSample(ctx, tx, sampleID)
		if err != nil {
			return err
		}
		switch {
		case x.Status != anxin.SampleFailed:
			return anxin.Errorf(anxin.Conflict, "Only a failed sample can be retested.")
		case x.RetestOf != "":
			return anxin.Errorf(anxin.Conflict, "A retest cannot itself be retested.")
		case tx.Now.After(x.ResultAt.Add(samplingRetestDays * 24 * time.Hour)):
			return anxin.Errorf(anxin.Conflict, "The %d-day window to ask for a retest has closed.", samplingRetestDays)
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sampling_samples WHERE retest_of = ?`, x.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return anxin.Errorf(anxin.Conflict, "A retest was already asked for.")
		}
		r := *x
		r.ID, r.RetestOf, r.MerchantPays, r.Status = anxin.NewID("smp"), x.ID, true, anxin.SampleOrdered
		r.LabID, r.LabFeeFen, r.PurchaseFen, r.TrackingNo, r.ReportRef, r.Results, r.ResultAt, r.CreatedAt = "", 0, 0, "", "", nil, nil, tx.Now
		_, err = tx.ExecContext(ctx, `INSERT INTO sampling_samples (id, plan_id, listing_id, merchant_id, category, product_key, stratum, weight, status, order_id, retest_of, merchant_pays, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, r.ID, r.PlanID, r.ListingID, r.MerchantID, r.Category, r.ProductKey, r.Stratum, r.Weight, r.Status, r.OrderID, r.RetestOf, ms(tx.Now), ms(tx.Now))
		out = &r
		return err
	})
	return out, err
}
