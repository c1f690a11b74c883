package ledger

import "fmt"

// FormulaKind names how a payout is computed from the order amount.
type FormulaKind string

// Payout formula kinds (doc/domain.md, Buyer-protection programmes).
const (
	FormulaRefund     FormulaKind = "refund"     // RateBP of the paid amount (default all of it)
	FormulaFixed      FormulaKind = "fixed"      // FixedFen
	FormulaPercentage FormulaKind = "percentage" // RateBP of the paid amount, then MaxFen cap, then MinFen floor
	FormulaMultiple   FormulaKind = "multiple"   // 假一赔N: max(N×paid, statutory N×paid, statutory minimum), plus the refund if IncludeRefund
	FormulaCoupon     FormulaKind = "coupon"     // a coupon: FixedFen face value, or RateBP with floor and cap
)

// Formula computes a payout from a base amount (what the buyer paid, in
// minor units). Rates are basis points (100 bp = 1 %), rounded half up; a
// stated MinFen applies after the rate and the cap, so the floor wins.
type Formula struct {
	Kind              FormulaKind `json:"kind"`
	FixedFen          int64       `json:"fixed_fen,omitempty"`
	RateBP            int64       `json:"rate_bp,omitempty"`
	MinFen            int64       `json:"min_fen,omitempty"`
	MaxFen            int64       `json:"max_fen,omitempty"` // 0: no cap
	Multiple          int64       `json:"multiple,omitempty"`
	StatutoryMultiple int64       `json:"statutory_multiple,omitempty"` // CPL Art. 55: 3; FSL Art. 148: 10
	StatutoryMinFen   int64       `json:"statutory_min_fen,omitempty"`  // CPL Art. 55: 50000; FSL Art. 148: 100000
	IncludeRefund     bool        `json:"include_refund,omitempty"`
}

// maxRateBP bounds rates at 100× so that rate arithmetic on any valid amount
// (≤ 2^50) stays far from overflow.
const maxRateBP = 1_000_000

// maxFormulaFen bounds fixed amounts, floors and caps (2^50 minor units).
const maxFormulaFen = 1 << 50

// Validate checks the formula's fields for its kind: non-negative values,
// rates within 0..1,000,000 bp, a floor not above the cap, and a multiple of
// at least 1 for 假一赔N.
func (f Formula) Validate() error {
	for name, v := range map[string]int64{"fixed_fen": f.FixedFen, "min_fen": f.MinFen, "max_fen": f.MaxFen, "statutory_min_fen": f.StatutoryMinFen} {
		if v < 0 || v > maxFormulaFen {
			return fmt.Errorf("%w: %s must be between 0 and %d", ErrBadFormula, name, int64(maxFormulaFen))
		}
	}
	if f.RateBP < 0 || f.RateBP > maxRateBP {
		return fmt.Errorf("%w: rate_bp must be between 0 and %d", ErrBadFormula, maxRateBP)
	}
	if f.Multiple < 0 || f.Multiple > 100 || f.StatutoryMultiple < 0 || f.StatutoryMultiple > 100 {
		return fmt.Errorf("%w: multiples must be between 0 and 100", ErrBadFormula)
	}
	if f.MaxFen > 0 && f.MinFen > f.MaxFen {
		return fmt.Errorf("%w: min_fen is above max_fen", ErrBadFormula)
	}
	switch f.Kind {
	case FormulaRefund:
		if f.RateBP > 10000 {
			return fmt.Errorf("%w: a refund cannot exceed 10000 bp of the amount paid", ErrBadFormula)
		}
	case FormulaFixed:
		if f.FixedFen <= 0 {
			return fmt.Errorf("%w: fixed needs fixed_fen > 0", ErrBadFormula)
		}
	case FormulaPercentage:
		if f.RateBP <= 0 {
			return fmt.Errorf("%w: percentage needs rate_bp > 0", ErrBadFormula)
		}
	case FormulaCoupon:
		if (f.FixedFen > 0) == (f.RateBP > 0) {
			return fmt.Errorf("%w: coupon needs exactly one of fixed_fen and rate_bp", ErrBadFormula)
		}
	case FormulaMultiple:
		if f.Multiple < 1 {
			return fmt.Errorf("%w: multiple needs multiple >= 1", ErrBadFormula)
		}
	default:
		return fmt.Errorf("%w: kind must be refund, fixed, percentage, multiple or coupon", ErrBadFormula)
	}
	return nil
}

// Amount returns the payout for base (the amount paid, ≥ 0). It returns
// ErrOverflow rather than wrapping, and an error for a negative base or an
// invalid formula.
func (f Formula) Amount(base int64) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	if base < 0 {
		return 0, fmt.Errorf("%w: base must not be negative", ErrBadAmount)
	}
	switch f.Kind {
	case FormulaRefund:
		rate := f.RateBP
		if rate == 0 {
			rate = 10000
		}
		v, err := MulBP(base, rate)
		if err != nil {
			return 0, err
		}
		return f.bound(v), nil
	case FormulaFixed:
		return f.FixedFen, nil
	case FormulaPercentage:
		v, err := MulBP(base, f.RateBP)
		if err != nil {
			return 0, err
		}
		return f.bound(v), nil
	case FormulaCoupon:
		if f.FixedFen > 0 {
			return f.FixedFen, nil
		}
		v, err := MulBP(base, f.RateBP)
		if err != nil {
			return 0, err
		}
		return f.bound(v), nil
	case FormulaMultiple:
		pledge, err := Mul(base, f.Multiple)
		if err != nil {
			return 0, err
		}
		statutory, err := Mul(base, f.StatutoryMultiple)
		if err != nil {
			return 0, err
		}
		extra := max(pledge, statutory, f.StatutoryMinFen)
		if f.IncludeRefund {
			return Add(extra, base)
		}
		return extra, nil
	}
	return 0, ErrBadFormula
}

// bound applies the cap, then the floor (the floor wins).
func (f Formula) bound(v int64) int64 {
	if f.MaxFen > 0 && v > f.MaxFen {
		v = f.MaxFen
	}
	if v < f.MinFen {
		v = f.MinFen
	}
	return v
}

// CanExceed reports whether the formula can pay more than the amount paid
// for some base of at least minBase. Programmes that are not allowed to pay
// more than the order are rejected when this is true.
func (f Formula) CanExceed(minBase int64) bool {
	switch f.Kind {
	case FormulaRefund:
		return f.MinFen > minBase
	case FormulaFixed:
		return f.FixedFen > minBase
	case FormulaPercentage, FormulaCoupon:
		if f.Kind == FormulaCoupon && f.FixedFen > 0 {
			return f.FixedFen > minBase
		}
		return f.RateBP > 10000 || f.MinFen > minBase
	}
	return true // multiples always pay more than the price
}
