package protection

import (
	"fmt"

	"anxin/ledger"
)

// Route is how a payout under a programme is funded.
type Route struct {
	// FromMerchant: the payout is taken from the merchant's accounts in
	// the recovery order (escrow, pending, available, deposit, then a
	// receivable for the shortfall).
	FromMerchant bool
	// Otherwise From pays the buyer, and with Recover it then recovers
	// the amount from the merchant in the same order (pay first, recover
	// later).
	From    ledger.Account
	Recover bool
	Note    string // appended to the payout's memo
}

// PayoutRoute returns the route of a payout funded by f. Error for a
// funding source it does not know.
func PayoutRoute(f Funding) (Route, *Error) {
	switch f {
	case FundMerchant:
		return Route{FromMerchant: true}, nil
	case FundGuaranteeFund:
		return Route{From: ledger.GuaranteeFund, Recover: true, Note: " (先行赔付)"}, nil
	case FundLogisticsPool:
		return Route{From: ledger.LogisticsPool}, nil
	case FundFreightPool:
		return Route{From: ledger.FreightPool}, nil
	case FundInsurer:
		return Route{From: ledger.Owned(ledger.KindInsurerRecv, "default")}, nil
	}
	return Route{}, errf("funding", "Funding %q is not a funding source.", f)
}

// Deposit floor actions.
const (
	DepositRestrict = "restrict" // below the floor and not yet restricted
	DepositLift     = "lift"     // topped up while restricted
)

// DepositVerdict is the deposit-floor decision for one merchant.
type DepositVerdict struct {
	Floor  int64
	Below  bool
	Action string // DepositRestrict, DepositLift or empty: nothing changes
	Facts  string // the facts for the statement of reasons, when Action is DepositRestrict
}

// CheckDeposit decides the deposit floor for a merchant selling in cats
// with depositFen in its deposit account, restricted saying whether its
// publishing is already restricted for the deposit: a deposit below the
// floor restricts publishing once, a deposit topped up to the floor lifts
// the restriction.
func CheckDeposit(cats []string, depositFen int64, restricted bool) DepositVerdict {
	v := DepositVerdict{Floor: DepositFloor(cats)}
	v.Below = depositFen < v.Floor
	switch {
	case v.Below && !restricted:
		v.Action = DepositRestrict
		v.Facts = fmt.Sprintf("The shop's deposit is %d fen, below the floor of %d fen for its categories.", depositFen, v.Floor)
	case !v.Below && restricted:
		v.Action = DepositLift
	}
	return v
}
