package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"anxin"
	"anxin/protection"
	"anxin/sim"
)

func init() { demoSteps = append(demoSteps, demoStep{"protection", protectionDemo}) }

// protectionDemo funds the guarantee fund and the pools, gives merchants
// their deposits and enrols two in three in 安心购, files claims for the
// World's after-sales as the marketplace would (fraudulent buyers reuse one
// photo, which the duplicate-evidence guard escalates), lets the merchants'
// response windows pass, has a reviewer decide what was escalated, has the
// marketplace acknowledge every payout, and verifies the ledger. Late
// shipments and lost parcels were already compensated by their timers
// while the period was fed.
func protectionDemo(ctx context.Context, env *demoEnv) error {
	t := time.Now()
	w := env.World
	finance, err := env.key(ctx, anxin.RoleFinance)
	if err != nil {
		return err
	}
	reviewer, err := env.key(ctx, anxin.RoleReviewer)
	if err != nil {
		return err
	}
	for acct, fen := range map[string]int64{"guarantee_fund": 50_000_000, "logistics_pool": 10_000_000, "freight_insurance_pool": 5_000_000} {
		if err := env.post(ctx, finance, "/v1/ledger/fundings", anxin.Funding{Key: "demo-" + acct, Account: acct, AmountFen: fen, Memo: "demo opening balance"}, nil); err != nil {
			return err
		}
	}
	enrolled := 0
	for i, m := range w.Merchants {
		if m.Status == "cleared" {
			continue
		}
		dep := anxin.Funding{Key: "demo-deposit-" + m.ID, Account: "merchant_deposit:" + m.ID, AmountFen: protection.DepositFloor(m.Categories), Memo: "deposit"}
		if err := env.post(ctx, finance, "/v1/ledger/fundings", dep, nil); err != nil {
			return err
		}
		if i%3 != 2 {
			if err := env.post(ctx, env.Operator, "/v1/enrolments", map[string]string{"merchant_id": m.ID, "programme_id": "anxingou"}, nil); err != nil {
				return err
			}
			enrolled++
		}
	}
	progress(env.Out, "merchants enrolled", enrolled, "merchants", t)

	t = time.Now()
	sales := append([]*anxin.AfterSale(nil), w.AfterSales...)
	sort.Slice(sales, func(i, j int) bool { return sales[i].CreatedAt.Before(sales[j].CreatedAt) })
	var filed, refused, fraudulent int
	for _, a := range sales {
		truth := w.Truth.AfterSales[a.ID]
		prog, typ, ok := demoClaimFor(truth, a.Reason)
		if !ok {
			continue
		}
		var c anxin.Claim
		var ae *anxin.Error
		err := errors.New("not filed")
		if prog == "counterfeit" { // the 安心购 pledge when the merchant was enrolled, else the statutory cover
			err = env.post(ctx, env.Platform, "/v1/claims", anxin.ClaimInput{Key: "as:" + a.ID, OrderID: a.OrderID, BuyerID: a.BuyerID, ProgrammeID: "counterfeit_pledge", Type: typ}, &c)
		}
		if err != nil {
			err = env.post(ctx, env.Platform, "/v1/claims", anxin.ClaimInput{Key: "as:" + a.ID + ":" + prog, OrderID: a.OrderID, BuyerID: a.BuyerID, ProgrammeID: prog, Type: typ}, &c)
		}
		if errors.As(err, &ae) && (ae.Kind == anxin.Invalid || ae.Kind == anxin.Conflict || ae.Kind == anxin.NotFound) {
			refused++ // outside its window, not covered, or already claimed: nothing booked
			continue
		}
		if err != nil {
			return err
		}
		filed++
		if truth.Fraudulent {
			fraudulent++
		}
		if c.Status != anxin.ClaimOpen || c.Reason != "evidence_required" {
			continue
		}
		for _, kind := range demoProgrammeEvidence(prog) {
			ct := "image/png"
			if kind == "appraisal_report" {
				ct = "application/pdf"
			}
			data := demoFile(ct, a.ID+kind)
			if truth.Fraudulent { // fraudulent buyers reuse the same files across claims
				data = demoFile(ct, "reused "+kind)
			}
			body := map[string]any{"kind": kind, "content_type": ct, "data": data}
			if err := env.post(ctx, env.Platform, "/v1/claims/"+c.ID+"/evidence", body, &c); err != nil {
				if errors.As(err, &ae) && ae.Kind == anxin.Conflict {
					break // the same bytes twice on one claim
				}
				return err
			}
			if c.Status != anxin.ClaimOpen || c.Reason != "evidence_required" {
				break
			}
		}
	}
	progress(env.Out, "claims filed", filed, "claims", t)
	fmt.Fprintf(env.Out, "%-28s %10d refused (window, cover), %d by fraudulent buyers\n", "claims from after-sales", refused, fraudulent)

	// The merchants' response windows close; silence approves.
	env.Clock.Set(env.Clock.Now().Add(49 * time.Hour))
	if _, err := env.runJobs(ctx); err != nil {
		return err
	}
	t = time.Now()
	decided := 0
	for {
		var page struct {
			Claims []anxin.Claim `json:"claims"`
		}
		if err := env.get(ctx, reviewer, "/v1/claims?status=escalated&limit=500", &page); err != nil {
			return err
		}
		if len(page.Claims) == 0 {
			break
		}
		for _, c := range page.Claims {
			// The reviewer's judgement stands in for ground truth: fraud is denied.
			outcome, reason := "approve", "evidence and tracking support the buyer"
			if rest, ok := strings.CutPrefix(c.Key, "as:"); ok && w.Truth.AfterSales[strings.SplitN(rest, ":", 2)[0]].Fraudulent {
				outcome, reason = "deny", "the photos were reused from other claims"
			}
			err := env.post(ctx, reviewer, "/v1/claims/"+c.ID+"/decision", map[string]any{"outcome": outcome, "reason": reason}, nil)
			var ae *anxin.Error
			if errors.As(err, &ae) && ae.Kind == anxin.Invalid {
				err = env.post(ctx, reviewer, "/v1/claims/"+c.ID+"/decision", map[string]any{"outcome": "deny", "reason": "above what the programme allows: " + ae.Message}, nil)
			}
			if err != nil {
				return err
			}
			decided++
		}
	}
	progress(env.Out, "escalated claims decided", decided, "claims", t)

	t = time.Now()
	acked := 0
	for {
		var page struct {
			Payouts []anxin.Payout `json:"payouts"`
		}
		if err := env.get(ctx, env.Platform, "/v1/payouts?status=pending&limit=500", &page); err != nil {
			return err
		}
		if len(page.Payouts) == 0 {
			break
		}
		for _, p := range page.Payouts {
			ack := anxin.PayoutAck{Status: anxin.PayoutPaid, PostingID: p.PostingID, AmountFen: p.AmountFen}
			if err := env.post(ctx, env.Platform, "/v1/payouts/"+url.PathEscape(p.ID)+"/ack", ack, nil); err != nil {
				return err
			}
			acked++
		}
	}
	progress(env.Out, "payouts acknowledged", acked, "payouts", t)
	check, err := env.Main.DB.VerifyLedger(ctx)
	if err != nil {
		return err
	}
	if !check.OK() {
		return fmt.Errorf("the ledger does not verify: %v", check.Problems)
	}
	fmt.Fprintf(env.Out, "%-28s %10d postings balance; %d payouts, each once with its decision\n", "ledger verified", check.Postings, check.Payouts)
	return nil
}

// demoClaimFor maps an after-sale's true cause to the programme and claim
// type a marketplace would file under. Lost parcels and late shipments need
// no filing: their timers paid them.
func demoClaimFor(t sim.AfterSaleTruth, reason string) (programme, typ string, ok bool) {
	cause := t.Cause
	if t.Fraudulent {
		cause = reason
	}
	switch cause {
	case "no_reason", "no_reason_7d":
		return "no_reason_return", protection.ClaimNoReason, true
	case "damaged", "spoiled":
		return "damage_return", protection.ClaimDamaged, true
	case "allergy":
		return "allergy_return", protection.ClaimAllergy, true
	case "counterfeit":
		return "counterfeit", protection.ClaimCounterfeit, true
	case "not_shipped", "cancel_unshipped":
		return "instant_refund", protection.ClaimUnshipped, true
	}
	return "", "", false
}

func demoProgrammeEvidence(id string) []string {
	for _, p := range protection.Defaults() {
		if p.ID == id {
			return p.Evidence
		}
	}
	return nil
}

// demoFile returns a small file of type ct whose bytes sniff as ct and
// differ with seed.
func demoFile(ct, seed string) []byte {
	sum := sha256.Sum256([]byte(seed))
	if ct == "application/pdf" {
		return append([]byte("%PDF-1.4\n% "), sum[:]...)
	}
	return append([]byte("\x89PNG\r\n\x1a\n"), sum[:]...)
}
