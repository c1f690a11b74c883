package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"anxin"
	"anxin/protection"
	"anxin/sim"
)

func init() { demoSteps = append(demoSteps, demoStep{"protection", protectionDemo, protectionAfter}) }

// protectionRun is what the protection step records for its summary.
type protectionRun struct {
	enrolled, filed, refused, fraudulent, decided, acked int
}

// protectionDemo funds the guarantee fund and the pools on the first
// night, gives merchants their deposits and enrols two in three in 安心购
// (later shops as they onboard), files a claim for each of the World's
// after-sales when the buyer asks, once the mirror has the order's delivery
// (fraudulent buyers reuse one photo, which the duplicate-evidence guard
// escalates), uploads the evidence minutes later, lets the merchants'
// response windows pass on their timers, has a reviewer decide what was
// escalated at 11:00 and 17:00, and has the marketplace acknowledge the
// payouts every hour. Late shipments and lost parcels are compensated by
// their timers as the period is fed. The ledger is verified after the
// period.
func protectionDemo(ctx context.Context, env *demoEnv) error {
	w := env.World
	run := &protectionRun{}
	env.protectionRun = run
	finance, err := env.key(ctx, anxin.RoleFinance)
	if err != nil {
		return err
	}
	reviewer, err := env.key(ctx, anxin.RoleReviewer)
	if err != nil {
		return err
	}
	env.at(w.Period.From, func(ctx context.Context) error {
		for acct, fen := range map[string]int64{"guarantee_fund": 50_000_000, "logistics_pool": 10_000_000, "freight_insurance_pool": 5_000_000} {
			if err := env.post(ctx, finance, "/v1/ledger/fundings", anxin.Funding{Key: "demo-" + acct, Account: acct, AmountFen: fen, Memo: "demo opening balance"}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	for i, m := range w.Merchants {
		if m.Status == "cleared" {
			continue
		}
		env.at(env.settled(m.OnboardedAt), func(ctx context.Context) error {
			dep := anxin.Funding{Key: "demo-deposit-" + m.ID, Account: "merchant_deposit:" + m.ID, AmountFen: protection.DepositFloor(m.Categories), Memo: "deposit"}
			if err := env.post(ctx, finance, "/v1/ledger/fundings", dep, nil); err != nil {
				return err
			}
			if i%3 != 2 {
				if err := env.post(ctx, env.Operator, "/v1/enrolments", map[string]string{"merchant_id": m.ID, "programme_id": "anxingou"}, nil); err != nil {
					return err
				}
				run.enrolled++
			}
			return nil
		})
	}
	orders := map[string]*anxin.Order{}
	for _, o := range w.Orders {
		orders[o.ID] = o
	}
	r := env.rand("protection")
	for _, a := range w.AfterSales {
		truth := w.Truth.AfterSales[a.ID]
		prog, typ, ok := demoClaimFor(truth, a.Reason)
		if !ok {
			continue
		}
		// The claim follows the buyer's request, once the mirror holds the
		// order's state at that moment (its delivery, shipment or payment).
		at := a.CreatedAt
		if o := orders[a.OrderID]; o != nil {
			last := o.CreatedAt
			for _, t := range []*time.Time{o.PaidAt, o.ShippedAt, o.DeliveredAt} {
				if t != nil && t.Before(a.CreatedAt) && t.After(last) {
					last = *t
				}
			}
			at = latest(at, env.settled(last))
		}
		evidenceAfter := between(r, 3*time.Minute, 40*time.Minute)
		env.at(at, func(ctx context.Context) error {
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
				run.refused++ // outside its window, not covered, or already claimed: nothing booked
				return nil
			}
			if err != nil {
				return err
			}
			run.filed++
			if truth.Fraudulent {
				run.fraudulent++
			}
			if c.Status != anxin.ClaimOpen || c.Reason != "evidence_required" {
				return nil
			}
			env.at(env.Clock.Now().Add(evidenceAfter), func(ctx context.Context) error {
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
				return nil
			})
			return nil
		})
	}
	env.daily([]time.Duration{11 * time.Hour, 17 * time.Hour}, func(ctx context.Context) error {
		n, err := protectionReview(ctx, env, reviewer)
		run.decided += n
		return err
	})
	for _, d := range env.days() {
		for h := range 24 {
			env.at(d.Add(time.Duration(h)*time.Hour+30*time.Minute), func(ctx context.Context) error {
				n, err := protectionAck(ctx, env)
				run.acked += n
				return err
			})
		}
	}
	return nil
}

// protectionReview has the reviewer decide every escalated claim; the
// ground truth stands in for the reviewer's judgement: fraud is denied.
func protectionReview(ctx context.Context, env *demoEnv, reviewer string) (int, error) {
	w := env.World
	decided := 0
	for {
		var page struct {
			Claims []anxin.Claim `json:"claims"`
		}
		if err := env.get(ctx, reviewer, "/v1/claims?status=escalated&limit=500", &page); err != nil {
			return decided, err
		}
		if len(page.Claims) == 0 {
			return decided, nil
		}
		for _, c := range page.Claims {
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
				return decided, err
			}
			decided++
		}
	}
}

// protectionAck has the marketplace acknowledge every pending payout as
// paid.
func protectionAck(ctx context.Context, env *demoEnv) (int, error) {
	acked := 0
	for {
		var page struct {
			Payouts []anxin.Payout `json:"payouts"`
		}
		if err := env.get(ctx, env.Platform, "/v1/payouts?status=pending&limit=500", &page); err != nil {
			return acked, err
		}
		if len(page.Payouts) == 0 {
			return acked, nil
		}
		for _, p := range page.Payouts {
			ack := anxin.PayoutAck{Status: anxin.PayoutPaid, PostingID: p.PostingID, AmountFen: p.AmountFen}
			if err := env.post(ctx, env.Platform, "/v1/payouts/"+url.PathEscape(p.ID)+"/ack", ack, nil); err != nil {
				return acked, err
			}
			acked++
		}
	}
}

func protectionAfter(ctx context.Context, env *demoEnv) error {
	run := env.protectionRun
	fmt.Fprintf(env.Out, "%-28s %10d merchants\n", "merchants enrolled", run.enrolled)
	fmt.Fprintf(env.Out, "%-28s %10d claims; %d refused (window, cover), %d by fraudulent buyers\n", "claims filed", run.filed, run.refused, run.fraudulent)
	fmt.Fprintf(env.Out, "%-28s %10d escalated claims decided; %d payouts acknowledged\n", "claims reviewed", run.decided, run.acked)
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
