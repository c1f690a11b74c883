package protection

import (
	"testing"
	"time"

	"anxin"
	"anxin/ledger"
)

func TestCheckAppeal(t *testing.T) {
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tt := range []struct {
		name string
		f    AppealFiling
		kind anxin.Kind // empty: allowed
	}{
		{"merchant appeals an approval", AppealFiling{Status: anxin.ClaimApproved, Appellant: AppellantMerchant, DecidedAt: now.Add(-day)}, ""},
		{"buyer appeals a denial", AppealFiling{Status: anxin.ClaimDenied, Appellant: AppellantBuyer, DecidedAt: now.Add(-day)}, ""},
		{"buyer appeals an approval", AppealFiling{Status: anxin.ClaimApproved, Appellant: AppellantBuyer}, anxin.Invalid},
		{"merchant appeals a denial", AppealFiling{Status: anxin.ClaimDenied, Appellant: AppellantMerchant}, anxin.Invalid},
		{"second appeal", AppealFiling{Status: anxin.ClaimDenied, Appellant: AppellantBuyer, Appealed: true}, anxin.Conflict},
		{"undecided claim", AppealFiling{Status: anxin.ClaimEscalated, Appellant: AppellantBuyer}, anxin.Conflict},
		{"on the last day of the window", AppealFiling{Status: anxin.ClaimDenied, Appellant: AppellantBuyer, DecidedAt: now.Add(-AppealWindow)}, ""},
		{"after the window", AppealFiling{Status: anxin.ClaimDenied, Appellant: AppellantBuyer, DecidedAt: now.Add(-AppealWindow - time.Second)}, anxin.Invalid},
	} {
		tt.f.ClaimID, tt.f.Now = "clm_1", now
		err := CheckAppeal(tt.f)
		if got := anxin.KindOf(err); (tt.kind == "" && err != nil) || (tt.kind != "" && got != tt.kind) {
			t.Errorf("%s: CheckAppeal = %v; want kind %q", tt.name, err, tt.kind)
		}
	}
}

func TestDecideAppeal(t *testing.T) {
	for _, tt := range []struct {
		name    string
		f       AppealFacts
		outcome string
		reason  string
		kind    anxin.Kind
		want    AppealDecision // Statement is not compared
	}{
		{
			name: "original decider may not decide the appeal", f: AppealFacts{PriorDecidedBy: "key_a", DecidedBy: "key_a"},
			outcome: Approve, reason: "r", kind: anxin.Forbidden,
		},
		{name: "outcome must be approve or deny", f: AppealFacts{PriorDecidedBy: "key_a", DecidedBy: "key_b"}, outcome: Escalate, reason: "r", kind: anxin.Invalid},
		{name: "a reason is needed", f: AppealFacts{PriorDecidedBy: "key_a", DecidedBy: "key_b"}, outcome: Deny, kind: anxin.Invalid},
		{
			name: "denial upheld", f: AppealFacts{PriorDecidedBy: "key_a", DecidedBy: "key_b"}, outcome: Deny, reason: "no proof",
			want: AppealDecision{Result: AppealUpheld, Record: "uphold", Status: anxin.ClaimDenied, Code: "appeal_upheld"},
		},
		{
			name: "denial overturned: the claim is paid", f: AppealFacts{PriorDecidedBy: "key_a", DecidedBy: "key_b"}, outcome: Approve, reason: "photo shows damage",
			want: AppealDecision{Result: AppealOverturned, Pay: true, Reason: "appeal overturned: photo shows damage"},
		},
		{
			name: "approval upheld", f: AppealFacts{PriorDecidedBy: "system", DecidedBy: "key_b", Paid: true}, outcome: Approve, reason: "late as stated",
			want: AppealDecision{Result: AppealUpheld, Record: "uphold", Status: anxin.ClaimApproved, Code: "appeal_upheld"},
		},
		{
			name: "approval overturned: the merchant gets its money back", f: AppealFacts{PriorDecidedBy: "system", DecidedBy: "key_b", Paid: true}, outcome: Deny, reason: "tracking shows delivery",
			want: AppealDecision{Result: AppealOverturned, Record: "overturn", Status: anxin.ClaimDenied, Code: "appeal_overturned", ReverseRecovery: true},
		},
	} {
		got, err := DecideAppeal(tt.f, tt.outcome, tt.reason)
		if tt.kind != "" {
			if anxin.KindOf(err) != tt.kind {
				t.Errorf("%s: err = %v; want kind %s", tt.name, err, tt.kind)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: err = %v", tt.name, err)
		}
		if !tt.want.Pay && got.Statement == "" {
			t.Errorf("%s: no statement", tt.name)
		}
		got.Statement = ""
		if got != tt.want {
			t.Errorf("%s: DecideAppeal = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

func TestPayoutRoute(t *testing.T) {
	for _, tt := range []struct {
		f    Funding
		want Route
	}{
		{FundMerchant, Route{FromMerchant: true}},
		{FundGuaranteeFund, Route{From: ledger.GuaranteeFund, Recover: true, Note: " (先行赔付)"}},
		{FundLogisticsPool, Route{From: ledger.LogisticsPool}},
		{FundFreightPool, Route{From: ledger.FreightPool}},
		{FundInsurer, Route{From: ledger.Owned(ledger.KindInsurerRecv, "default")}},
	} {
		got, err := PayoutRoute(tt.f)
		if err != nil || got != tt.want {
			t.Errorf("PayoutRoute(%s) = %+v, %v; want %+v", tt.f, got, err, tt.want)
		}
	}
	if _, err := PayoutRoute("mattress"); err == nil {
		t.Error("PayoutRoute(unknown) = nil error")
	}
}

func TestCheckDeposit(t *testing.T) {
	std, reg, high := []string{"toys"}, []string{"beauty"}, []string{"beauty", "luxury"}
	for _, tt := range []struct {
		name       string
		cats       []string
		dep        int64
		restricted bool
		floor      int64
		action     string
	}{
		{"standard shop at the floor", std, DepositFloorStandard, false, DepositFloorStandard, ""},
		{"standard shop one fen short", std, DepositFloorStandard - 1, false, DepositFloorStandard, DepositRestrict},
		{"already restricted stays restricted", std, 0, true, DepositFloorStandard, ""},
		{"topped up lifts the restriction", std, DepositFloorStandard, true, DepositFloorStandard, DepositLift},
		{"regulated categories need more", reg, DepositFloorStandard, false, DepositFloorRegulated, DepositRestrict},
		{"high risk wins over regulated", high, DepositFloorRegulated, false, DepositFloorHighRisk, DepositRestrict},
	} {
		v := CheckDeposit(tt.cats, tt.dep, tt.restricted)
		if v.Floor != tt.floor || v.Action != tt.action || v.Below != (tt.dep < tt.floor) {
			t.Errorf("%s: CheckDeposit = %+v; want floor %d action %q", tt.name, v, tt.floor, tt.action)
		}
		if v.Action == DepositRestrict && v.Facts == "" {
			t.Errorf("%s: a restriction without facts", tt.name)
		}
	}
}
