package ledger

// ExternallyFundable reports whether money may come into an account of
// kind k from outside the books (a top-up): the pools, the sampling budget
// and merchants' deposits and available balances. Every other account is
// moved only by postings between accounts, so that what it holds is always
// explained by the books.
func ExternallyFundable(k Kind) bool {
	switch k {
	case KindGuaranteeFund, KindLogisticsPool, KindFreightPool, KindSamplingBudget, KindMerchantDeposit, KindMerchantAvailable:
		return true
	}
	return false
}

// SettlesReceivable reports whether money arriving in an account of kind
// k can pay off what its merchant owes (its receivable) and lift a
// deposit-floor restriction: a merchant's deposit or available balance.
func SettlesReceivable(k Kind) bool {
	return k == KindMerchantDeposit || k == KindMerchantAvailable
}
