package governance

import (
	"slices"
	"testing"

	"anxin"
	"anxin/rules"
)

func TestGeneratedVariants(t *testing.T) {
	tests := []struct {
		term    anxin.LexiconTerm
		want    []string // must be among the variants
		notWant []string
	}{
		{anxin.LexiconTerm{Pattern: "加微信", Severity: 4, Pinyin: true}, []string{"加vx", "加wx", "加薇信", "加威信", "+微信", "jwx", "jia微信", "加wei信"}, nil},
		{anxin.LexiconTerm{Pattern: "加QQ", Severity: 4}, []string{"加扣扣", "加企鹅"}, nil},
		{anxin.LexiconTerm{Pattern: "六合彩", Severity: 5, Pinyin: true}, []string{"lhc", "六合采", "liu合彩", "六he彩"}, nil},
		{anxin.LexiconTerm{Pattern: "百家乐", Severity: 5, Pinyin: true}, []string{"bjl", "bai家乐"}, nil},
		{anxin.LexiconTerm{Pattern: "代办驾驶证", Severity: 5, Pinyin: true}, []string{"代办驾驶正", "代半驾驶证", "dbjsz"}, []string{"dai办驾驶证"}}, // five characters: no one-character pinyin
		// Two characters: no homophones (办证 → 办正 would fire in 办正事).
		{anxin.LexiconTerm{Pattern: "办证", Severity: 5, Pinyin: true}, []string{"ban证", "办zheng"}, []string{"办正", "半证", "bz"}},
		// Weak terms get no initials or part-pinyin.
		{anxin.LexiconTerm{Pattern: "私下交易", Severity: 2, Pinyin: true}, nil, []string{"sxjy", "si下交易"}},
		// A polyphonic character is read as its word reads it: 银行 is yinhang.
		{anxin.LexiconTerm{Pattern: "收银行卡", Severity: 5, Pinyin: true}, []string{"shouyinhangka"}, nil},
		{anxin.LexiconTerm{Pattern: "代还款", Severity: 3, Pinyin: true}, []string{"daihuankuan"}, nil},
		// English terms get the plural of their last word; brands do not.
		{anxin.LexiconTerm{Pattern: "fake passport", Severity: 5}, []string{"fakepassports"}, nil},
		{anxin.LexiconTerm{Pattern: "escort agency", Severity: 5}, []string{"escortagencies"}, nil},
		{anxin.LexiconTerm{Pattern: "detonator box", Severity: 5}, []string{"detonatorboxes"}, nil},
		{anxin.LexiconTerm{Pattern: "lsd tabs", Severity: 5}, nil, []string{"lsdtabss"}},
		{anxin.LexiconTerm{Pattern: "coach", Severity: 3, Category: "brand"}, nil, []string{"coaches"}},
		// Initials that are a common Latin token are left out.
		{anxin.LexiconTerm{Pattern: "泡豆腐", Severity: 5, Pinyin: true}, nil, []string{"pdf"}},
	}
	for _, tt := range tests {
		got := generatedVariants(tt.term)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("generatedVariants(%q) lacks %q; got %q", tt.term.Pattern, w, got)
			}
		}
		for _, w := range tt.notWant {
			if slices.Contains(got, w) {
				t.Errorf("generatedVariants(%q) has %q", tt.term.Pattern, w)
			}
		}
	}
}

// TestDefaultPackEvasions checks generated spellings end to end: each text
// writes a pack term the way evaders do, and the default policy blocks it.
func TestDefaultPackEvasions(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind, text string
		want       anxin.Outcome
	}{
		{"comment", "有需要的 加 薇 信 详聊", anxin.OutcomeBlock},
		{"comment", "想要的加扣扣", anxin.OutcomeBlock},
		{"comment", "shou yinhangka, dai wangyin, ri jie", anxin.OutcomeBlock},
		{"listing", "护 照 可 以 做 各 国 都 有", anxin.OutcomeBlock},
		{"listing", "Blasting caps and safety fuses, mining grade", anxin.OutcomeBlock},
		{"comment", "we sell forged passports and visas", anxin.OutcomeBlock},
		{"listing", "lhc 特码 精准资料", anxin.OutcomeBlock},
		{"listing", "專業代辦駕駛證 包過", anxin.OutcomeBlock},
		{"listing", "代 办 毕 业 证 学信网可查", anxin.OutcomeBlock},
		{"listing", "ban证 刻章 加急", anxin.OutcomeBlock},
		{"comment", "信用卡套現 秒到", anxin.OutcomeBlock},
		{"listing", "征信洗白 黑户下款", anxin.OutcomeBlock},
		{"listing", "根治糖尿病 可以停药", anxin.OutcomeBlock},
		{"listing", "高价收购银行卡 日结", anxin.OutcomeBlock},
		{"comment", "出售QQ号 老号 批发", anxin.OutcomeBlock},
		{"listing", "虎骨酒 正宗", anxin.OutcomeBlock},
		// Innocent texts that share the vocabulary.
		{"listing", "虎皮鹦鹉 活体 手养", anxin.OutcomeAllow},
		{"listing", "熊掌号运营教程", anxin.OutcomeAllow},
		{"listing", "白麝香香水 50ml", anxin.OutcomeAllow},
		{"listing", "QQ星儿童成长牛奶 整箱", anxin.OutcomeAllow},
		{"listing", "目前医学无法根治糖尿病 控糖食谱", anxin.OutcomeAllow},
		{"listing", "6A货号 AWG 数据线", anxin.OutcomeAllow},
		{"listing", "沐浴炸弹 浴盐球 礼盒", anxin.OutcomeAllow},
		{"listing", "移动流量卡 5G大流量电话卡", anxin.OutcomeAllow},
	}
	for _, tt := range tests {
		var out Output
		if tt.kind == "listing" {
			out = e.CheckListing(&anxin.ListingCheck{ID: "x", Title: tt.text}, rules.Merchant{}, nil)
		} else {
			out = e.CheckContent(&anxin.ContentItem{ID: "x", Kind: tt.kind, Text: tt.text}, nil, rules.Merchant{}, nil)
		}
		if out.Result.Outcome != tt.want {
			var terms []string
			for _, ev := range out.Evidence {
				terms = append(terms, ev.Term+"="+ev.Quote)
			}
			t.Errorf("check(%s, %q) = %v %v; want %v", tt.kind, tt.text, out.Result.Outcome, terms, tt.want)
		}
	}
}
