package ledger

import "fmt"

// RecoveryOrder returns the accounts money is taken from when a merchant
// must pay (doc/domain.md, Who pays): the order's escrow, then the merchant's pending
// settlement, available balance and deposit. Whatever they cannot cover is
// booked to the merchant's receivable (RecoveryReceivable). orderID may be
// empty when no single order is concerned.
func RecoveryOrder(merchantID, orderID string) []Account {
	var out []Account
	if orderID != "" {
		out = append(out, OrderEscrow(orderID))
	}
	return append(out,
		Owned(KindMerchantPending, merchantID),
		Owned(KindMerchantAvailable, merchantID),
		Owned(KindMerchantDeposit, merchantID))
}

// RecoveryReceivable returns the merchant's receivable: the last step of the
// recovery order, which may go negative (the merchant owes).
func RecoveryReceivable(merchantID string) Account { return Owned(KindMerchantRecv, merchantID) }

// Source is an account and its current balance.
type Source struct {
	Account Account
	Balance int64
}

// Take is what a recovery took from one account.
type Take struct {
	Account Account `json:"account"`
	Amount  int64   `json:"amount_fen"`
}

// Recover takes amount (> 0) from sources in order, at most each source's
// positive balance, and books the rest to shortfall (a receivable, which may
// go negative). The takes always sum to amount; the returned short is what
// was booked to shortfall.
func Recover(amount int64, sources []Source, shortfall Account) (takes []Take, short int64, err error) {
	if amount <= 0 {
		return nil, 0, ErrBadAmount
	}
	left := amount
	for _, s := range sources {
		if left == 0 {
			break
		}
		if s.Balance <= 0 {
			continue
		}
		t := min(s.Balance, left)
		takes = append(takes, Take{s.Account, t})
		left -= t
	}
	if left > 0 {
		if err := shortfall.Validate(); err != nil {
			return nil, 0, err
		}
		takes = append(takes, Take{shortfall, left})
	}
	return takes, left, nil
}

// RecoveryPosting returns the posting that moves amount from the takes to
// credit (for example the guarantee fund being repaid, or a buyer being paid
// directly at the merchant's expense).
func RecoveryPosting(currency string, takes []Take, credit Account, memo string) (Posting, error) {
	p := Posting{Currency: currency, Memo: memo}
	var sum int64
	for _, t := range takes {
		if t.Amount <= 0 {
			return Posting{}, fmt.Errorf("%w: take from %s", ErrBadAmount, t.Account)
		}
		p.Entries = append(p.Entries, Entry{t.Account, -t.Amount})
		var err error
		if sum, err = Add(sum, t.Amount); err != nil {
			return Posting{}, err
		}
	}
	p.Entries = append(p.Entries, Entry{credit, sum})
	if err := p.Compact(); err != nil {
		return Posting{}, err
	}
	return p, p.Validate()
}
