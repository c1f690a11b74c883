package protection

import (
	"strings"
	"testing"
	"time"

	"anxin/ledger"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // 18:00 in Shanghai

func tp(t time.Time) *time.Time { return &t }

func prog(id string) *Programme {
	for _, p := range Defaults() {
		if p.ID == id {
			return p
		}
	}
	panic(id)
}

func baseCase(id, claimType string) *Case {
	return &Case{
		Programme: prog(id), ClaimType: claimType, BuyerID: "b1", Standing: "good", Enrolled: true,
		Order: Order{ID: "o1", BuyerID: "b1", MerchantID: "m1", TotalFen: 20000, Currency: "CNY",
			PaidAt: tp(t0), PickupAt: tp(t0.Add(10 * time.Hour)), SignedAt: tp(t0.Add(48 * time.Hour)),
			Covered: []string{id}},
		Now: t0.Add(50 * time.Hour),
	}
}

func TestDefaultsValid(t *testing.T) {
	seen := map[Kind]bool{}
	for _, p := range Defaults() {
		if err := p.Validate(); err != nil {
			t.Errorf("default %s: Validate() = %v", p.ID, err)
		}
		seen[p.Kind] = true
	}
	for _, k := range Kinds {
		if !seen[k] {
			t.Errorf("no default programme of kind %s", k)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Programme)
		want   string
	}{
		{"over-paying refund", func(p *Programme) { p.Payout = ledger.Formula{Kind: ledger.FormulaPercentage, RateBP: 15000} }, "could pay more than the order"},
		{"floor above small orders", func(p *Programme) {
			p.Payout = ledger.Formula{Kind: ledger.FormulaPercentage, RateBP: 500, MinFen: 300}
		}, "could pay more than the order"},
		{"multiple without allow", func(p *Programme) { p.Payout = ledger.Formula{Kind: ledger.FormulaMultiple, Multiple: 3} }, "could pay more than the order"},
		{"bad kind", func(p *Programme) { p.Kind = "magic" }, "not a programme kind"},
		{"bad funding", func(p *Programme) { p.Funding = "buyer" }, "funding must be"},
		{"bad window", func(p *Programme) { p.Window.Hours = 0 }, "window.hours"},
		{"perishable longer", func(p *Programme) { p.Window.PerishableHours = 500 }, "perishable_hours"},
		{"bad evidence", func(p *Programme) { p.Evidence = []string{"selfie"} }, "evidence kind"},
		{"bad claim type", func(p *Programme) { p.Trigger.ClaimTypes = []string{"boredom"} }, "claim type"},
		{"bad id", func(p *Programme) { p.ID = "Bad ID" }, "id may contain"},
		{"quota without window", func(p *Programme) { p.Auto.BuyerQuotaFen = 5 }, "quota_window_days"},
		{"negative fixed", func(p *Programme) { p.Payout = ledger.Formula{Kind: ledger.FormulaFixed, FixedFen: -5} }, "payout"},
	}
	for _, tt := range tests {
		p := prog("damage_return")
		tt.mutate(p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v; want error containing %q", tt.name, err, tt.want)
		}
	}
	p := prog("damage_return")
	p.Payout = ledger.Formula{Kind: ledger.FormulaFixed, FixedFen: 1000}
	p.Eligibility.MinOrderFen = 1000
	if err := p.Validate(); err != nil {
		t.Errorf("fixed payout within the order minimum: Validate() = %v", err)
	}
}

func TestCheckFiling(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		ct     string
		mutate func(c *Case)
		want   string // "" for accepted
	}{
		{"damage in window", "damage_return", ClaimDamaged, func(c *Case) {}, ""},
		{"damage window closed", "damage_return", ClaimDamaged, func(c *Case) { c.Now = t0.Add(48*time.Hour + 72*time.Hour) }, "closed"},
		{"fresh 24h", "damage_return", ClaimDamaged, func(c *Case) { c.Order.Categories = []string{"fresh"}; c.Now = t0.Add(48*time.Hour + 25*time.Hour) }, "(24 h"},
		{"fresh within 24h", "damage_return", ClaimDamaged, func(c *Case) { c.Order.Categories = []string{"fresh"}; c.Now = t0.Add(48*time.Hour + 23*time.Hour) }, ""},
		{"not signed yet", "damage_return", ClaimDamaged, func(c *Case) { c.Order.SignedAt = nil }, "has not opened"},
		{"wrong buyer", "damage_return", ClaimDamaged, func(c *Case) { c.BuyerID = "b2" }, "not the order's buyer"},
		{"not covered", "damage_return", ClaimDamaged, func(c *Case) { c.Order.Covered = nil }, "not covered"},
		{"wrong type", "damage_return", ClaimAllergy, func(c *Case) {}, "does not cover"},
		{"inactive", "damage_return", ClaimDamaged, func(c *Case) { c.Programme.Active = false }, "not active"},
		// Signed 2026-03-04 10:00 UTC = 18:00 local; the 168 h start at 00:00 local on 03-05 (16:00 UTC 03-04).
		{"no reason before window", "no_reason_return", ClaimNoReason, func(c *Case) { c.Now = t0.Add(49 * time.Hour) }, "opens at 2026-03-04T16:00:00Z"},
		{"no reason last second", "no_reason_return", ClaimNoReason, func(c *Case) {
			c.Now = time.Date(2026, 3, 11, 15, 59, 59, 0, time.UTC)
		}, ""},
		{"no reason closed", "no_reason_return", ClaimNoReason, func(c *Case) { c.Now = time.Date(2026, 3, 11, 16, 0, 0, 0, time.UTC) }, "closed"},
		{"event programme by claim", "late_shipment", ClaimLateShipment, func(c *Case) {}, "does not cover"},
		{"bundle", "anxingou", ClaimDamaged, func(c *Case) {}, "bundle"},
	}
	for _, tt := range tests {
		c := baseCase(tt.id, tt.ct)
		tt.mutate(c)
		err := CheckFiling(c)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: CheckFiling() = %v; want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Message, tt.want)):
			t.Errorf("%s: CheckFiling() = %v; want %q", tt.name, err, tt.want)
		}
	}
}

func TestAdjudicate(t *testing.T) {
	photos := []Evidence{{Kind: "photo_outer_package", SHA256: "a"}, {Kind: "photo_item", SHA256: "b"}, {Kind: "photo_waybill", SHA256: "c"}}
	tests := []struct {
		name       string
		id, ct     string
		mutate     func(c *Case)
		wantOut    string
		wantReason string
		wantFen    int64
	}{
		{"damage missing evidence", "damage_return", ClaimDamaged, func(c *Case) {}, Pending, "evidence_required", 0},
		{"damage awaiting merchant", "damage_return", ClaimDamaged, func(c *Case) { c.Evidence = photos; c.MerchantDeadline = c.Now.Add(time.Hour) }, Pending, "awaiting_merchant", 0},
		{"damage merchant silent", "damage_return", ClaimDamaged, func(c *Case) { c.Evidence = photos; c.MerchantDeadline = c.Now }, Approve, "eligible", 20000},
		{"damage merchant rejects", "damage_return", ClaimDamaged, func(c *Case) { c.Evidence = photos; c.MerchantResponse = "reject" }, Escalate, "merchant_rejected", 0},
		{"partial refund already paid", "damage_return", ClaimDamaged, func(c *Case) {
			c.Evidence = photos
			c.MerchantResponse = "accept"
			c.OrderPaidFen = 15000
		}, Approve, "eligible", 5000},
		{"fully refunded", "damage_return", ClaimDamaged, func(c *Case) { c.Evidence = photos; c.MerchantResponse = "accept"; c.OrderPaidFen = 20000 }, Deny, "nothing_left", 0},
		{"never delivered", "damage_return", ClaimDamaged, func(c *Case) { c.Order.SignedAt = nil }, Deny, "not_delivered", 0},
		{"duplicate evidence", "damage_return", ClaimDamaged, func(c *Case) { c.Evidence = []Evidence{{Kind: "photo_item", SHA256: "x", Duplicate: true}} }, Escalate, "duplicate_evidence", 0},
		{"velocity", "damage_return", ClaimDamaged, func(c *Case) { c.Evidence = photos; c.BuyerRecentClaims = 5 }, Escalate, "claim_velocity", 0},
		{"unshipped instant", "instant_refund", ClaimUnshipped, func(c *Case) { c.Order.PickupAt, c.Order.SignedAt = nil, nil }, Approve, "eligible", 20000},
		{"unshipped but picked up", "instant_refund", ClaimUnshipped, func(c *Case) {}, Deny, "already_shipped", 0},
		{"return awaiting pickup", "instant_refund", ClaimReturnRefund, func(c *Case) {}, Pending, "awaiting_return_pickup", 0},
		{"return picked up", "instant_refund", ClaimReturnRefund, func(c *Case) { c.ReturnPickedUp = true }, Approve, "eligible", 20000},
		{"instant over cap", "instant_refund", ClaimReturnRefund, func(c *Case) { c.ReturnPickedUp = true; c.Order.TotalFen = 60000 }, Escalate, "over_auto_limit", 60000},
		{"instant watch buyer", "instant_refund", ClaimReturnRefund, func(c *Case) { c.ReturnPickedUp = true; c.Standing = "watch" }, Escalate, "buyer_standing", 20000},
		{"instant quota", "instant_refund", ClaimReturnRefund, func(c *Case) { c.ReturnPickedUp = true; c.BuyerQuotaUsedFen = 190000 }, Escalate, "buyer_quota", 20000},
		{"late shipment", "late_shipment", "", func(c *Case) { c.TriggeredByEvent = true; c.Order.TotalFen = 9900 }, Approve, "eligible", 495},
		{"late shipment floor", "late_shipment", "", func(c *Case) { c.TriggeredByEvent = true; c.Order.TotalFen = 100 }, Approve, "eligible", 300},
		{"counterfeit 3x plus refund", "counterfeit", ClaimCounterfeit, func(c *Case) {
			c.Evidence = []Evidence{{Kind: "appraisal_report", SHA256: "r"}}
			c.MerchantResponse = "accept"
		}, Approve, "eligible", 80000},
		{"counterfeit above auto", "counterfeit", ClaimCounterfeit, func(c *Case) {
			c.Evidence = []Evidence{{Kind: "appraisal_report", SHA256: "r"}}
			c.MerchantResponse = "accept"
			c.Order.TotalFen = 200000
		}, Escalate, "over_auto_limit", 800000},
	}
	for _, tt := range tests {
		c := baseCase(tt.id, tt.ct)
		tt.mutate(c)
		d := Adjudicate(c)
		if d.Outcome != tt.wantOut || d.Reason != tt.wantReason || d.AmountFen != tt.wantFen {
			t.Errorf("%s: Adjudicate() = %s/%s/%d; want %s/%s/%d (facts %q)", tt.name, d.Outcome, d.Reason, d.AmountFen, tt.wantOut, tt.wantReason, tt.wantFen, d.Facts)
		}
		if len(d.Facts) == 0 {
			t.Errorf("%s: decision has no facts", tt.name)
		}
		if s := d.Statement(c.Programme); !strings.Contains(s, c.Programme.ID) || !strings.Contains(s, d.Reason) {
			t.Errorf("%s: Statement() = %q lacks the programme or reason", tt.name, s)
		}
	}
}

func TestDecide(t *testing.T) {
	c := baseCase("damage_return", ClaimDamaged)
	if _, err := Decide(c, Approve, "", 0); err == nil {
		t.Error("Decide without reason succeeded")
	}
	if _, err := Decide(c, Approve, "photos show crushed box", 20001); err == nil || !strings.Contains(err.Message, "above") {
		t.Errorf("Decide over the order = %v; want above-limit error", err)
	}
	d, err := Decide(c, Approve, "photos show crushed box", 0)
	if err != nil || d.AmountFen != 20000 {
		t.Errorf("Decide(approve) = %+v, %v; want 20000", d, err)
	}
	if _, err := Decide(c, "maybe", "x", 0); err == nil {
		t.Error("Decide(maybe) succeeded")
	}
}

func TestCovers(t *testing.T) {
	o := &Order{TotalFen: 5000, Categories: []string{"beauty"}, ListingFlags: map[string]bool{}}
	if !Covers(prog("allergy_return"), o, false, "good") {
		t.Error("allergy returns should cover beauty")
	}
	if Covers(prog("allergy_return"), &Order{Categories: []string{"toys"}}, false, "good") {
		t.Error("allergy returns should not cover toys")
	}
	if Covers(prog("counterfeit_pledge"), o, false, "good") || !Covers(prog("counterfeit_pledge"), o, true, "good") {
		t.Error("the counterfeit pledge needs enrolment")
	}
	if !Covers(prog("counterfeit"), o, false, "good") {
		t.Error("statutory counterfeit compensation covers every order")
	}
	if Covers(prog("freight_insurance"), o, true, "good") {
		t.Error("freight insurance needs the listing flag")
	}
	o.ListingFlags["freight_insurance"] = true
	if !Covers(prog("freight_insurance"), o, true, "good") {
		t.Error("freight insurance with the flag should cover")
	}
	if Covers(prog("no_reason_return"), &Order{Categories: []string{"fresh"}}, true, "good") {
		t.Error("no-reason returns exclude fresh produce")
	}
}
