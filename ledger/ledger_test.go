package ledger

import (
	"errors"
	"math"
	"testing"
)

func TestMulBP(t *testing.T) {
	tests := []struct {
		v, bp, want int64
	}{
		{100, 500, 5},
		{10, 500, 1},       // 0.5 rounds up
		{9, 500, 0},        // 0.45 rounds down
		{-10, 500, -1},     // half away from zero
		{19999, 500, 1000}, // 999.95 → 1000
		{0, 500, 0},
	}
	for _, tt := range tests {
		got, err := MulBP(tt.v, tt.bp)
		if err != nil || got != tt.want {
			t.Errorf("MulBP(%d, %d) = %d, %v; want %d", tt.v, tt.bp, got, err, tt.want)
		}
	}
	if _, err := MulBP(math.MaxInt64/2, 10000); !errors.Is(err, ErrOverflow) {
		t.Errorf("MulBP(huge) error = %v; want ErrOverflow", err)
	}
}

func TestAddMulOverflow(t *testing.T) {
	if _, err := Add(math.MaxInt64, 1); !errors.Is(err, ErrOverflow) {
		t.Errorf("Add(max, 1) = %v; want ErrOverflow", err)
	}
	if _, err := Add(math.MinInt64, -1); !errors.Is(err, ErrOverflow) {
		t.Errorf("Add(min, -1) = %v; want ErrOverflow", err)
	}
	if _, err := Mul(math.MinInt64, -1); !errors.Is(err, ErrOverflow) {
		t.Errorf("Mul(min, -1) = %v; want ErrOverflow", err)
	}
	if v, err := Mul(-3, 7); v != -21 || err != nil {
		t.Errorf("Mul(-3, 7) = %d, %v", v, err)
	}
}

func TestFormulaAmount(t *testing.T) {
	late := Formula{Kind: FormulaPercentage, RateBP: 500, MinFen: 300, MaxFen: 3000}
	cpl := Formula{Kind: FormulaMultiple, Multiple: 3, StatutoryMultiple: 3, StatutoryMinFen: 50000, IncludeRefund: true}
	food := Formula{Kind: FormulaMultiple, Multiple: 4, StatutoryMultiple: 10, StatutoryMinFen: 100000, IncludeRefund: true}
	tests := []struct {
		name string
		f    Formula
		base int64
		want int64
	}{
		{"refund all", Formula{Kind: FormulaRefund}, 12345, 12345},
		{"refund half rounds up", Formula{Kind: FormulaRefund, RateBP: 5000}, 101, 51},
		{"fixed", Formula{Kind: FormulaFixed, FixedFen: 1500}, 99999, 1500},
		{"late floor", late, 1000, 300},
		{"late rate", late, 20000, 1000},
		{"late cap", late, 1_000_000, 3000},
		{"coupon fixed", Formula{Kind: FormulaCoupon, FixedFen: 300}, 5, 300},
		{"coupon rate", Formula{Kind: FormulaCoupon, RateBP: 1000, MaxFen: 500}, 10000, 500},
		{"cpl floor wins", cpl, 10000, 60000},       // max(3×100, 500 yuan) + refund
		{"cpl multiple", cpl, 100000, 400000},       // 3× + refund
		{"food statutory 10x", food, 20000, 220000}, // max(4×, 10×, 1000 yuan) = 200000 + refund
		{"food floor", food, 5000, 105000},          // 1000 yuan floor + refund
		{"pledge above statutory", Formula{Kind: FormulaMultiple, Multiple: 10, StatutoryMultiple: 3, StatutoryMinFen: 50000}, 100000, 1000000},
	}
	for _, tt := range tests {
		got, err := tt.f.Amount(tt.base)
		if err != nil || got != tt.want {
			t.Errorf("%s: Amount(%d) = %d, %v; want %d", tt.name, tt.base, got, err, tt.want)
		}
	}
}

func TestFormulaInvalid(t *testing.T) {
	bad := []Formula{
		{Kind: "bonus"},
		{Kind: FormulaRefund, RateBP: 10001},
		{Kind: FormulaFixed},
		{Kind: FormulaFixed, FixedFen: -1},
		{Kind: FormulaPercentage},
		{Kind: FormulaPercentage, RateBP: 500, MinFen: 400, MaxFen: 300},
		{Kind: FormulaCoupon, FixedFen: 1, RateBP: 1},
		{Kind: FormulaMultiple},
		{Kind: FormulaPercentage, RateBP: maxRateBP + 1},
	}
	for _, f := range bad {
		if err := f.Validate(); !errors.Is(err, ErrBadFormula) {
			t.Errorf("Validate(%+v) = %v; want ErrBadFormula", f, err)
		}
	}
	if _, err := (Formula{Kind: FormulaRefund}).Amount(-1); !errors.Is(err, ErrBadAmount) {
		t.Errorf("Amount(-1) = %v; want ErrBadAmount", err)
	}
	if _, err := (Formula{Kind: FormulaMultiple, Multiple: 100}).Amount(math.MaxInt64 / 10); !errors.Is(err, ErrOverflow) {
		t.Errorf("Amount(overflow) = %v; want ErrOverflow", err)
	}
}

func TestCanExceed(t *testing.T) {
	tests := []struct {
		f       Formula
		minBase int64
		want    bool
	}{
		{Formula{Kind: FormulaRefund}, 0, false},
		{Formula{Kind: FormulaPercentage, RateBP: 500, MinFen: 300}, 0, true},
		{Formula{Kind: FormulaPercentage, RateBP: 500, MinFen: 300}, 300, false},
		{Formula{Kind: FormulaPercentage, RateBP: 20000}, 1000, true},
		{Formula{Kind: FormulaFixed, FixedFen: 1000}, 500, true},
		{Formula{Kind: FormulaMultiple, Multiple: 1}, 1 << 40, true},
	}
	for _, tt := range tests {
		if got := tt.f.CanExceed(tt.minBase); got != tt.want {
			t.Errorf("CanExceed(%+v, %d) = %v; want %v", tt.f, tt.minBase, got, tt.want)
		}
	}
}

func TestPostingValidate(t *testing.T) {
	ok := Posting{Currency: "CNY", Entries: []Entry{{GuaranteeFund, -100}, {BuyerPayout("b1"), 100}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(balanced) = %v", err)
	}
	tests := []struct {
		name string
		p    Posting
		want error
	}{
		{"unbalanced", Posting{Currency: "CNY", Entries: []Entry{{GuaranteeFund, -100}, {BuyerPayout("b1"), 99}}}, ErrUnbalanced},
		{"one entry", Posting{Currency: "CNY", Entries: []Entry{{GuaranteeFund, 0}}}, ErrUnbalanced},
		{"zero entry", Posting{Currency: "CNY", Entries: []Entry{{GuaranteeFund, 0}, {BuyerPayout("b1"), 0}}}, ErrBadAmount},
		{"currency", Posting{Currency: "CYN", Entries: ok.Entries}, ErrUnknownCurrency},
		{"lowercase currency", Posting{Currency: "cny", Entries: ok.Entries}, ErrUnknownCurrency},
		{"overflow", Posting{Currency: "CNY", Entries: []Entry{{GuaranteeFund, math.MaxInt64}, {LogisticsPool, 1}, {BuyerPayout("b"), math.MinInt64}}}, ErrOverflow},
		{"pool with owner", Posting{Currency: "CNY", Entries: []Entry{{"guarantee_fund:x", -1}, {BuyerPayout("b"), 1}}}, ErrBadAccount},
		{"owned without owner", Posting{Currency: "CNY", Entries: []Entry{{GuaranteeFund, -1}, {"buyer_payout", 1}}}, ErrBadAccount},
		{"unknown kind", Posting{Currency: "CNY", Entries: []Entry{{GuaranteeFund, -1}, {"cash:x", 1}}}, ErrBadAccount},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate() = %v; want %v", tt.name, err, tt.want)
		}
	}
	if _, err := Transfer("CNY", GuaranteeFund, LogisticsPool, 0, ""); !errors.Is(err, ErrBadAmount) {
		t.Errorf("Transfer(0) = %v; want ErrBadAmount", err)
	}
}

func TestRecover(t *testing.T) {
	order := RecoveryOrder("m1", "o1")
	want := []Account{"order_escrow:o1", "merchant_pending:m1", "merchant_available:m1", "merchant_deposit:m1"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("RecoveryOrder = %v; want %v", order, want)
		}
	}
	tests := []struct {
		name      string
		amount    int64
		balances  []int64
		wantTakes []int64 // per source then receivable
		wantShort int64
	}{
		{"escrow covers", 500, []int64{1000, 0, 0, 0}, []int64{500}, 0},
		{"spills to pending and deposit", 1500, []int64{200, 300, -50, 5000}, []int64{200, 300, 1000}, 0},
		{"shortfall to receivable", 1500, []int64{0, 100, 0, 400}, []int64{100, 400, 1000}, 1000},
		{"all empty", 700, []int64{0, 0, 0, 0}, []int64{700}, 700},
	}
	for _, tt := range tests {
		var src []Source
		for i, b := range tt.balances {
			src = append(src, Source{order[i], b})
		}
		takes, short, err := Recover(tt.amount, src, RecoveryReceivable("m1"))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []int64
		for _, tk := range takes {
			got = append(got, tk.Amount)
		}
		if len(got) != len(tt.wantTakes) || short != tt.wantShort {
			t.Errorf("%s: takes %v short %d; want %v short %d", tt.name, got, short, tt.wantTakes, tt.wantShort)
			continue
		}
		for i := range got {
			if got[i] != tt.wantTakes[i] {
				t.Errorf("%s: takes %v; want %v", tt.name, got, tt.wantTakes)
			}
		}
		p, err := RecoveryPosting("CNY", takes, GuaranteeFund, "")
		if err != nil {
			t.Errorf("%s: RecoveryPosting: %v", tt.name, err)
		}
		if p.Entries[len(p.Entries)-1].Amount != tt.amount {
			t.Errorf("%s: credit = %d; want %d", tt.name, p.Entries[len(p.Entries)-1].Amount, tt.amount)
		}
	}
	if _, _, err := Recover(0, nil, RecoveryReceivable("m1")); !errors.Is(err, ErrBadAmount) {
		t.Errorf("Recover(0) = %v; want ErrBadAmount", err)
	}
}

// FuzzMoneyConserved checks that no formula or recovery creates or destroys
// money: every payout is non-negative and bounded by its formula, every
// recovery takes exactly the amount, never more than a source's positive
// balance, and yields a balanced posting.
func FuzzMoneyConserved(f *testing.F) {
	f.Add(int64(12345), int64(500), int64(300), int64(3000), int64(3), int64(50000), uint8(2), int64(100), int64(200), int64(300), int64(400))
	f.Add(int64(1), int64(10000), int64(0), int64(0), int64(10), int64(100000), uint8(3), int64(0), int64(-5), int64(0), int64(1<<50))
	f.Fuzz(func(t *testing.T, base, rate, minFen, maxFen, mult, statMin int64, kind uint8, b0, b1, b2, b3 int64) {
		kinds := []FormulaKind{FormulaRefund, FormulaFixed, FormulaPercentage, FormulaMultiple, FormulaCoupon}
		fm := Formula{Kind: kinds[int(kind)%len(kinds)], RateBP: rate, MinFen: minFen, MaxFen: maxFen,
			FixedFen: minFen, Multiple: mult, StatutoryMultiple: 3, StatutoryMinFen: statMin, IncludeRefund: kind%2 == 0}
		if fm.Kind == FormulaCoupon {
			fm.RateBP = 0
		}
		amt, err := fm.Amount(base)
		if err != nil {
			return
		}
		if amt < 0 {
			t.Fatalf("Amount(%d) = %d < 0 for %+v", base, amt, fm)
		}
		if !fm.CanExceed(base) && amt > base {
			t.Fatalf("Amount(%d) = %d exceeds the base although CanExceed is false for %+v", base, amt, fm)
		}
		if fm.MaxFen > 0 && (fm.Kind == FormulaPercentage || fm.Kind == FormulaRefund) && amt > max(fm.MaxFen, fm.MinFen) {
			t.Fatalf("Amount(%d) = %d above cap for %+v", base, amt, fm)
		}
		if amt == 0 {
			return
		}
		order := RecoveryOrder("m", "o")
		bal := []int64{b0, b1, b2, b3}
		var src []Source
		for i := range order {
			src = append(src, Source{order[i], bal[i]})
		}
		takes, short, err := Recover(amt, src, RecoveryReceivable("m"))
		if err != nil {
			t.Fatalf("Recover(%d): %v", amt, err)
		}
		var sum int64
		for i, tk := range takes {
			sum += tk.Amount
			if tk.Amount <= 0 {
				t.Fatalf("take %d is %d", i, tk.Amount)
			}
			if i < len(src) && tk.Account != RecoveryReceivable("m") {
				for _, s := range src {
					if s.Account == tk.Account && tk.Amount > s.Balance {
						t.Fatalf("took %d from %s holding %d", tk.Amount, s.Account, s.Balance)
					}
				}
			}
		}
		if sum != amt || short < 0 || short > amt {
			t.Fatalf("takes sum %d short %d; want %d", sum, short, amt)
		}
		p, err := RecoveryPosting("CNY", takes, GuaranteeFund, "")
		if err != nil {
			t.Fatalf("RecoveryPosting: %v", err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("posting not balanced: %v", err)
		}
	})
}
