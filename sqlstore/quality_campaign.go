package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"anxin"
	"anxin/enforcement"
	"anxin/quality"
)

// CreateCampaign stores a campaign on a category.
func (s *QualityService) CreateCampaign(ctx context.Context, c *anxin.Campaign) (err error) {
	defer anxin.Wrap(&err, "CreateCampaign")
	if err := anxin.Authorize(ctx, anxin.ActionQualityManage); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		c.ID, c.CreatedAt = anxin.NewID("qc"), tx.Now
		_, err := tx.ExecContext(ctx, `INSERT INTO quality_campaigns (id, name, category, from_at, to_at, rules, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Name, c.Category, ms(c.From), ms(c.To), jsonText(c.Rules, "{}"), ms(tx.Now))
		return err
	})
}

func loadCampaigns(ctx context.Context, tx *Tx, where string, args ...any) ([]*anxin.Campaign, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.name, c.category, c.from_at, c.to_at, c.rules, c.created_at,
		(SELECT COUNT(*) FROM quality_campaign_actions x WHERE x.campaign_id = c.id) FROM quality_campaigns c `+where+` ORDER BY c.from_at DESC, c.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []*anxin.Campaign
	for rows.Next() {
		c := new(anxin.Campaign)
		var from, to, at int64
		var rules string
		if err := rows.Scan(&c.ID, &c.Name, &c.Category, &from, &to, &rules, &at, &c.MerchantsActioned); err != nil {
			rows.Close()
			return nil, err
		}
		c.From, c.To, c.CreatedAt = fromMS(from), fromMS(to), fromMS(at)
		if err := json.Unmarshal([]byte(rules), &c.Rules); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range out {
		if err := campaignRates(ctx, tx, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// campaignRates fills a campaign's before and after return rates: orders
// of the category delivered in the same length of time before From, and
// from From to To (or now, while it runs).
func campaignRates(ctx context.Context, tx *Tx, c *anxin.Campaign) error {
	end := c.To
	if tx.Now.Before(end) {
		end = tx.Now
	}
	if !end.After(c.From) {
		end = c.From
	}
	sum := func(from, to time.Time) (int64, float64, error) {
		_, start := localDay(from)
		n := int(to.Sub(start).Hours()/24) + 1
		days, err := dailyCounts(ctx, tx, seriesSpec{anxin.ScopeCategory, c.Category, anxin.MetricReturnRate}, start, n)
		if err != nil {
			return 0, 0, err
		}
		var d quality.Day
		for _, x := range days {
			d.Trials, d.Events = d.Trials+x.Trials, d.Events+x.Events
		}
		return d.Trials, d.Rate(), nil
	}
	var err error
	length := c.To.Sub(c.From)
	if c.OrdersBefore, c.ReturnRateBefore, err = sum(c.From.Add(-length), c.From.Add(-time.Millisecond)); err != nil {
		return err
	}
	if end.After(c.From) {
		c.OrdersAfter, c.ReturnRateAfter, err = sum(c.From, end.Add(-time.Millisecond))
	}
	return err
}

// FindCampaigns lists campaigns with their before and after rates.
func (s *QualityService) FindCampaigns(ctx context.Context) ([]*anxin.Campaign, error) {
	if err := anxin.Authorize(ctx, anxin.ActionQualityRead); err != nil {
		return nil, err
	}
	var out []*anxin.Campaign
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		out, err = loadCampaigns(ctx, tx, "")
		return err
	})
	return out, err
}

// FindCampaign returns one campaign with its rates.
func (s *QualityService) FindCampaign(ctx context.Context, id string) (*anxin.Campaign, error) {
	if err := anxin.Authorize(ctx, anxin.ActionQualityRead); err != nil {
		return nil, err
	}
	var out *anxin.Campaign
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		cs, err := loadCampaigns(ctx, tx, "WHERE c.id = ?", id)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return anxin.Errorf(anxin.NotFound, "Campaign not found.")
		}
		out = cs[0]
		return nil
	})
	return out, err
}

// qualityRestrictDays is how long a quality campaign restricts publishing.
const qualityRestrictDays = 7

// EnforceCampaign acts on the category's merchants whose return rate on
// orders delivered during the campaign is above its maximum (with at least
// its minimum of orders): each is recorded once and gets a restrict_listing
// sanction for qualityRestrictDays, with its statement and merchant.restrict.
// Invalid if the campaign sets no maximum.
func (s *QualityService) EnforceCampaign(ctx context.Context, id string) (n int, err error) {
	defer anxin.Wrap(&err, "EnforceCampaign(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionQualityManage); err != nil {
		return 0, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		n = 0
		cs, err := loadCampaigns(ctx, tx, "WHERE c.id = ?", id)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return anxin.Errorf(anxin.NotFound, "Campaign not found.")
		}
		c := cs[0]
		if c.Rules.MaxReturnRateBP <= 0 {
			return anxin.Errorf(anxin.Invalid, "The campaign sets no max_return_rate_bp to enforce.")
		}
		end := c.To
		if tx.Now.Before(end) {
			end = tx.Now
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT o.merchant_id FROM orders o WHERE o.delivered_at >= ? AND o.delivered_at < ?`, ms(c.From), ms(end))
		if err != nil {
			return err
		}
		var merchants []string
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return err
			}
			merchants = append(merchants, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, start := localDay(c.From)
		days := int(end.Sub(start).Hours()/24) + 1
		for _, m := range merchants {
			series, err := merchantCategoryReturns(ctx, tx, m, c.Category, start, days)
			if err != nil {
				return err
			}
			if series.Trials < c.Rules.MinOrders || series.Rate()*10000 <= float64(c.Rules.MaxReturnRateBP) {
				continue
			}
			r, err := tx.ExecContext(ctx, `INSERT INTO quality_campaign_actions (campaign_id, merchant_id, return_rate, orders, at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (campaign_id, merchant_id) DO NOTHING`, c.ID, m, series.Rate(), series.Trials, ms(tx.Now))
			if err != nil {
				return err
			}
			if k, _ := r.RowsAffected(); k == 0 {
				continue
			}
			facts := fmt.Sprintf("In campaign %s (%s) the shop's return rate was %.1f %% over %d orders delivered, above the campaign's maximum of %.1f %%.",
				c.ID, c.Category, series.Rate()*100, series.Trials, float64(c.Rules.MaxReturnRateBP)/100)
			if _, err := issueSanction(ctx, tx, sanctionIssue{subjectType: anxin.SubjectMerchant, subjectID: m, typ: anxin.SanctionRestrictListing,
				source: anxin.SourceQuality, originType: "campaign", originID: c.ID, cause: "quality_campaign", days: qualityRestrictDays,
				reason: "The shop's return rate in a category quality campaign was above the campaign's maximum; publishing is restricted.",
				mode:   enforcement.Queue, explain: enforcement.Explanation{Facts: facts, Automation: "fully", TermsGround: "Category quality campaign rules"},
				extra: map[string]any{"reason_code": "quality_campaign", "campaign_id": c.ID, "category": c.Category, "return_rate": series.Rate(),
					"orders": series.Trials, "max_return_rate_bp": c.Rules.MaxReturnRateBP}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// merchantCategoryReturns totals a merchant's return cohort in a category.
func merchantCategoryReturns(ctx context.Context, tx *Tx, merchant, category string, start time.Time, days int) (quality.Day, error) {
	var d quality.Day
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.items, (SELECT COUNT(*) FROM aftersales a WHERE a.order_id = o.id AND a.kind IN ('return_refund', 'refund_only') AND a.status <> 'rejected')
		FROM orders o WHERE o.merchant_id = ? AND o.delivered_at >= ? AND o.delivered_at < ?`, merchant, ms(start), ms(start.AddDate(0, 0, days)))
	if err != nil {
		return d, err
	}
	defer rows.Close()
	cats := map[string]string{}
	type row struct {
		items string
		ret   int64
	}
	var rs []row
	for rows.Next() {
		var id, items string
		var ret int64
		if err := rows.Scan(&id, &items, &ret); err != nil {
			return d, err
		}
		rs = append(rs, row{items, ret})
	}
	if err := rows.Err(); err != nil {
		return d, err
	}
	rows.Close()
	for _, r := range rs {
		var its []anxin.OrderItem
		json.Unmarshal([]byte(r.items), &its)
		hit := false
		for _, it := range its {
			c, ok := cats[it.ListingID]
			if !ok {
				err := tx.QueryRowContext(ctx, `SELECT category FROM listings WHERE id = ?`, it.ListingID).Scan(&c)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return d, err
				}
				cats[it.ListingID] = c
			}
			hit = hit || c == category
		}
		if hit {
			d.Trials++
			if r.ret > 0 {
				d.Events++
			}
		}
	}
	return d, nil
}

// activeCampaignTiers returns, per category, the highest sampling tier of
// the campaigns running at now.
func activeCampaignTiers(ctx context.Context, tx *Tx) (map[string]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT category, rules FROM quality_campaigns WHERE from_at <= ? AND to_at > ?`, ms(tx.Now), ms(tx.Now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var cat, rules string
		if err := rows.Scan(&cat, &rules); err != nil {
			return nil, err
		}
		var r anxin.CampaignRules
		if json.Unmarshal([]byte(rules), &r) == nil && r.SamplingTier > out[cat] {
			out[cat] = r.SamplingTier
		}
	}
	return out, rows.Err()
}
