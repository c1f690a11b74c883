package sqlstore

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"anxin"
	"anxin/enforcement"
)

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
		if _, err := Enqueue(ctx, tx, anxin.MessageDelistListing, id, x.ID+":"+id, map[string]any{
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
	if _, err := Enqueue(ctx, tx, anxin.MessageNotify, x.MerchantID, "merchant:"+x.ID, map[string]any{
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
		if _, err := Enqueue(ctx, tx, anxin.MessageNotify, w.buyer, "buyer:"+x.ID+":"+w.order, map[string]any{
			"to": "buyer", "buyer_id": w.buyer, "order_id": w.order, "listing_id": w.listing, "template": "safety_warning", "sample_id": x.ID,
		}); err != nil {
			return err
		}
	}
	return nil
}

// restoreSample undoes the interception of a retest's first sample.
func restoreSample(ctx context.Context, tx *Tx, x *anxin.Sample) error {
	ids, err := scanIDs(tx.QueryContext(ctx, `SELECT listing_id FROM sampling_interceptions WHERE sample_id = ? AND restored_at IS NULL ORDER BY listing_id`, x.RetestOf))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := Enqueue(ctx, tx, anxin.MessageRestoreListing, id, x.ID+":"+id, map[string]any{"listing_id": id, "reason": "sampling_retest_passed", "sample_id": x.ID}); err != nil {
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
