package ledger

import "testing"

func TestExternallyFundable(t *testing.T) {
	for _, tt := range []struct {
		k       Kind
		fund    bool
		settles bool
	}{
		{KindGuaranteeFund, true, false},
		{KindLogisticsPool, true, false},
		{KindFreightPool, true, false},
		{KindSamplingBudget, true, false},
		{KindMerchantDeposit, true, true},
		{KindMerchantAvailable, true, true},
		{KindOrderEscrow, false, false},
		{KindBuyerPayout, false, false},
		{KindMerchantRecv, false, false},
		{KindExternal, false, false},
	} {
		if got := ExternallyFundable(tt.k); got != tt.fund {
			t.Errorf("ExternallyFundable(%s) = %v; want %v", tt.k, got, tt.fund)
		}
		if got := SettlesReceivable(tt.k); got != tt.settles {
			t.Errorf("SettlesReceivable(%s) = %v; want %v", tt.k, got, tt.settles)
		}
	}
}
