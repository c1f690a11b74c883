// Package ledger is Anxin's double-entry money engine: accounts, postings whose
// entries sum to zero per currency, payout formulas and the recovery order. It
// does no I/O; sqlstore stores what it computes.
//
// Amounts are int64 minor units (fen for CNY). Every sum is overflow-checked
// and every rate is integer basis points rounded half up, so no formula and
// no recovery can create or destroy money.
//
//	p := ledger.Posting{Currency: "CNY", Entries: []ledger.Entry{
//		{Account: ledger.GuaranteeFund, Amount: -1500},
//		{Account: ledger.BuyerPayout("b_1"), Amount: 1500},
//	}}
//	if err := p.Validate(); err != nil { ... }
package ledger

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Errors returned by the engine. Callers map them to anxin kinds (all are
// Invalid: they describe bad input, never a storage failure).
var (
	ErrOverflow        = errors.New("amount overflows int64")
	ErrUnbalanced      = errors.New("posting entries do not sum to zero")
	ErrUnknownCurrency = errors.New("unknown currency")
	ErrBadAmount       = errors.New("amount must be positive")
	ErrBadAccount      = errors.New("malformed account")
	ErrBadFormula      = errors.New("malformed payout formula")
)

// Kind is an account kind (doc/domain.md, Who pays). Per-merchant, per-order and per-buyer
// accounts are named "kind:owner"; platform pools have no owner.
type Kind string

// Account kinds. Balances are holdings: a positive balance is money the
// account holds; a negative receivable is money its owner owes.
const (
	KindOrderEscrow       Kind = "order_escrow"        // per order: the buyer's payment held until receipt
	KindMerchantPending   Kind = "merchant_pending"    // per merchant: confirmed, not yet paid out
	KindMerchantAvailable Kind = "merchant_available"  // per merchant: withdrawable
	KindMerchantDeposit   Kind = "merchant_deposit"    // per merchant: 保证金
	KindMerchantRecv      Kind = "merchant_receivable" // per merchant: negative = the merchant owes
	KindGuaranteeFund     Kind = "guarantee_fund"      // platform pool paying 先行赔付
	KindLogisticsPool     Kind = "logistics_pool"      // platform pool paying lost-parcel claims
	KindFreightPool       Kind = "freight_insurance_pool"
	KindSamplingBudget    Kind = "sampling_budget"
	KindInsurerRecv       Kind = "insurer_receivable" // per insurer: negative = the insurer owes
	KindBuyerPayout       Kind = "buyer_payout"       // per buyer: cumulative money paid to the buyer
	KindExternal          Kind = "external"           // money entering or leaving the books (payments, top-ups)
)

var ownedKinds = map[Kind]bool{
	KindOrderEscrow: true, KindMerchantPending: true, KindMerchantAvailable: true, KindMerchantDeposit: true,
	KindMerchantRecv: true, KindInsurerRecv: true, KindBuyerPayout: true, KindExternal: true,
}

var poolKinds = map[Kind]bool{
	KindGuaranteeFund: true, KindLogisticsPool: true, KindFreightPool: true, KindSamplingBudget: true,
}

// Account names an account: "guarantee_fund" or "merchant_deposit:m_1".
type Account string

// Platform pool accounts.
const (
	GuaranteeFund Account = Account(KindGuaranteeFund)
	LogisticsPool Account = Account(KindLogisticsPool)
	FreightPool   Account = Account(KindFreightPool)
	SamplingPool  Account = Account(KindSamplingBudget)
)

// Owned returns the account of kind k owned by id.
func Owned(k Kind, id string) Account { return Account(string(k) + ":" + id) }

// OrderEscrow returns the escrow account of an order.
func OrderEscrow(orderID string) Account { return Owned(KindOrderEscrow, orderID) }

// BuyerPayout returns the payout account of a buyer.
func BuyerPayout(buyerID string) Account { return Owned(KindBuyerPayout, buyerID) }

// External returns the account standing for money outside the books from
// source (for example "payments", "topups").
func External(source string) Account { return Owned(KindExternal, source) }

// Kind returns the account's kind.
func (a Account) Kind() Kind {
	k, _, _ := strings.Cut(string(a), ":")
	return Kind(k)
}

// Owner returns the account's owner id, or "" for a pool.
func (a Account) Owner() string {
	_, o, _ := strings.Cut(string(a), ":")
	return o
}

// Validate checks that a is a known kind with an owner exactly when the kind
// needs one, and that the owner is a safe id.
func (a Account) Validate() error {
	k, owner, has := strings.Cut(string(a), ":")
	switch {
	case poolKinds[Kind(k)]:
		if has {
			return fmt.Errorf("%w: %s takes no owner", ErrBadAccount, k)
		}
		return nil
	case ownedKinds[Kind(k)]:
		if owner == "" || len(owner) > 128 {
			return fmt.Errorf("%w: %s needs an owner", ErrBadAccount, k)
		}
		for i := 0; i < len(owner); i++ {
			c := owner[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
				return fmt.Errorf("%w: owner has a disallowed character", ErrBadAccount)
			}
		}
		return nil
	}
	return fmt.Errorf("%w: unknown kind %q", ErrBadAccount, k)
}

// currencies are the ISO 4217 codes Anxin books, with their minor units. The
// list is closed so that a typo ("CYN") is an error, not a new currency.
var currencies = map[string]int{
	"CNY": 2, "HKD": 2, "TWD": 2, "MOP": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0,
	"SGD": 2, "MYR": 2, "THB": 2, "IDR": 2, "VND": 0, "PHP": 2, "AUD": 2, "CAD": 2, "CHF": 2,
}

// ValidCurrency returns nil if code is a currency Anxin books, else
// ErrUnknownCurrency.
func ValidCurrency(code string) error {
	if _, ok := currencies[code]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownCurrency, code)
	}
	return nil
}

// Add returns a+b, or ErrOverflow.
func Add(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Mul returns a*b, or ErrOverflow.
func Mul(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, ErrOverflow
	}
	p := a * b
	if p/b != a {
		return 0, ErrOverflow
	}
	return p, nil
}

// MulBP returns v × bp / 10000 rounded half up (away from zero for negative
// v), in integers only, or ErrOverflow.
func MulBP(v, bp int64) (int64, error) {
	p, err := Mul(v, bp)
	if err != nil {
		return 0, err
	}
	q, r := p/10000, p%10000
	if r >= 5000 {
		q++
	} else if r <= -5000 {
		q--
	}
	return q, nil
}

// Entry is one leg of a posting: Amount > 0 moves money into Account,
// Amount < 0 out of it.
type Entry struct {
	Account Account `json:"account"`
	Amount  int64   `json:"amount_fen"`
}

// Posting is one journal entry in one currency. Its entries sum to zero.
type Posting struct {
	ID       string  `json:"id"`
	Currency string  `json:"currency"`
	Memo     string  `json:"memo,omitempty"`
	Entries  []Entry `json:"entries"`
}

// Validate checks the currency, every account, that no entry is zero, that
// there are at least two entries and that they sum to zero without overflow.
func (p *Posting) Validate() error {
	if err := ValidCurrency(p.Currency); err != nil {
		return err
	}
	if len(p.Entries) < 2 {
		return fmt.Errorf("%w: a posting needs at least two entries", ErrUnbalanced)
	}
	var sum int64
	for _, e := range p.Entries {
		if err := e.Account.Validate(); err != nil {
			return err
		}
		if e.Amount == 0 {
			return fmt.Errorf("%w: an entry of %s is zero", ErrBadAmount, e.Account)
		}
		var err error
		if sum, err = Add(sum, e.Amount); err != nil {
			return err
		}
	}
	if sum != 0 {
		return ErrUnbalanced
	}
	return nil
}

// Transfer returns the two-entry posting moving amount from one account to
// another. amount must be positive.
func Transfer(currency string, from, to Account, amount int64, memo string) (Posting, error) {
	if amount <= 0 {
		return Posting{}, ErrBadAmount
	}
	p := Posting{Currency: currency, Memo: memo, Entries: []Entry{{from, -amount}, {to, amount}}}
	return p, p.Validate()
}

// Compact merges entries on the same account and drops those that net to
// zero, keeping first-seen order. It never changes the posting's sum.
func (p *Posting) Compact() error {
	idx := map[Account]int{}
	var out []Entry
	for _, e := range p.Entries {
		if i, ok := idx[e.Account]; ok {
			s, err := Add(out[i].Amount, e.Amount)
			if err != nil {
				return err
			}
			out[i].Amount = s
			continue
		}
		idx[e.Account] = len(out)
		out = append(out, e)
	}
	p.Entries = out[:0]
	for _, e := range out {
		if e.Amount != 0 {
			p.Entries = append(p.Entries, e)
		}
	}
	return nil
}
