package protection

import (
	"fmt"
	"time"

	"anxin"
)

// AppealWindow is how long after a decision either party may appeal.
const AppealWindow = 30 * 24 * time.Hour

// Appellants.
const (
	AppellantBuyer    = "buyer"
	AppellantMerchant = "merchant"
)

// AppealFiling is what deciding whether a claim may be appealed needs: the
// claim's status, who appeals, whether it was appealed before, when it was
// decided (zero when unknown) and now.
type AppealFiling struct {
	ClaimID   string
	Status    string
	Appellant string
	Appealed  bool
	DecidedAt time.Time
	Now       time.Time
}

// CheckAppeal decides whether an appeal may be filed: once per claim,
// only by the party the decision went against (the merchant appeals an
// approval, the buyer a denial), within AppealWindow of the decision.
// Conflict for a second appeal or an undecided claim, Invalid for the
// wrong party or a closed window.
func CheckAppeal(f AppealFiling) error {
	if f.Appealed {
		return anxin.Errorf(anxin.Conflict, "Claim %s was already appealed; a claim can be appealed once.", f.ClaimID)
	}
	switch {
	case f.Status == anxin.ClaimApproved && f.Appellant == AppellantMerchant, f.Status == anxin.ClaimDenied && f.Appellant == AppellantBuyer:
	case f.Status == anxin.ClaimApproved || f.Status == anxin.ClaimDenied:
		return anxin.Errorf(anxin.Invalid, "Only the party the decision went against may appeal it.")
	default:
		return anxin.Errorf(anxin.Conflict, "Claim %s is %s; only decided claims can be appealed.", f.ClaimID, f.Status)
	}
	if !f.DecidedAt.IsZero() && f.Now.Sub(f.DecidedAt) > AppealWindow {
		return anxin.Errorf(anxin.Invalid, "The 30-day appeal window closed.")
	}
	return nil
}

// Appeal results.
const (
	AppealUpheld     = "upheld"
	AppealOverturned = "overturned"
)

// AppealFacts is what deciding an appeal needs: who made the decision
// appealed, who decides the appeal, and whether the claim was paid (the
// decision appealed was an approval).
type AppealFacts struct {
	PriorDecidedBy string
	DecidedBy      string
	Paid           bool
}

// AppealDecision is the effect of deciding an appeal.
type AppealDecision struct {
	Result string // AppealUpheld or AppealOverturned
	// Pay is set when a denial is overturned: the claim is then decided
	// as an approval (Decide with the reason given) and paid.
	Pay    bool
	Reason string // the reason to pass to Decide when Pay
	// Otherwise the appeal is recorded as its own decision, Record
	// ("uphold" or "overturn"), leaving the claim in Status.
	Record    string
	Status    string
	Code      string // the claim's reason code, appeal_upheld or appeal_overturned
	Statement string
	// ReverseRecovery is set when an approval is overturned: what was
	// recovered from the merchant goes back to it and the guarantee fund
	// bears the payout (the buyer keeps the money).
	ReverseRecovery bool
}

// DecideAppeal decides an appeal (four-eyes: the person who decides it
// may not be the one who made the decision appealed). outcome approve or
// deny says what the claim should have been: the same as before upholds
// the decision, the other overturns it. Forbidden for the original
// decider, Invalid for another outcome or an empty reason.
func DecideAppeal(f AppealFacts, outcome, reason string) (AppealDecision, error) {
	if f.PriorDecidedBy == f.DecidedBy {
		return AppealDecision{}, anxin.Errorf(anxin.Forbidden, "An appeal is decided by someone other than the original decider.")
	}
	if outcome != Approve && outcome != Deny {
		return AppealDecision{}, anxin.Errorf(anxin.Invalid, "outcome must be approve or deny.")
	}
	if reason == "" {
		return AppealDecision{}, anxin.Errorf(anxin.Invalid, "A decision needs a reason.")
	}
	d := AppealDecision{Result: AppealUpheld}
	if (outcome == Approve) != f.Paid {
		d.Result = AppealOverturned
	}
	if d.Result == AppealOverturned && outcome == Approve {
		d.Pay, d.Reason = true, "appeal overturned: "+reason
		return d, nil
	}
	d.Record, d.Status = "uphold", anxin.ClaimDenied
	if f.Paid {
		d.Status = anxin.ClaimApproved
	}
	if d.Result == AppealOverturned {
		d.Record, d.Status, d.ReverseRecovery = "overturn", anxin.ClaimDenied, true
	}
	d.Code = "appeal_" + d.Result
	d.Statement = fmt.Sprintf("Appeal %s by a person: %s. This decision is final within Anxin; external redress remains open.", d.Result, reason)
	return d, nil
}
