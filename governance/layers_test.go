package governance

import (
	"strings"
	"testing"

	"anxin"
	"anxin/rules"
)

// signalsOf runs the check of text as kind and returns the signals the
// rules saw.
func signalsOf(e *Engine, kind, text string) map[string]float64 {
	sc := &scratch{st: checkState{sig: map[string]float64{}}} // not pooled: the signals are read after the check
	sc.env = rules.Env{Kind: kind}
	sc.fields = []field{{"text", text}}
	e.check(sc, "", 0, nil)
	return sc.env.Signals
}

func TestPatternSignals(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		text string
		want map[string]float64
	}{
		{"138 0013 8000", map[string]float64{SigPhone: 1, SigURL: 0, SigContact: 1}},
		{"123456789012", map[string]float64{SigPhone: 0, SigContact: 0}},
		{"13800001111,13900002222", map[string]float64{SigPhone: 2}},
		{"尺寸 30*40*50cm 13800*138*000", map[string]float64{SigPhone: 0}},
		{"see HTTPS://x.cn and www.y.com", map[string]float64{SigURL: 2, "stuffing.word_repeat": 1}},
		{"上 abc点com 下单", map[string]float64{SigURL: 1, SigObfuscatedURL: 1}},
		{"Slot slot SLOT gacor slot maxwin", map[string]float64{"stuffing.word_repeat": 4}},
		{"座机 010-62345678 客服 400-820-8820", map[string]float64{SigLandline: 1, SigHotline: 1, SigContact: 2}},
		{"扣扣 87654321 薇信 shop_88a", map[string]float64{SigQQ: 1, SigWeChat: 1}},
		{"户名张三 卡号 6222 0212 3456 7890 128", map[string]float64{SigBankCard: 1, SigBankAccount: 1}},
		{"6217001234567893", map[string]float64{SigBankCard: 1, SigBankAccount: 0}},
		{"11010519491231002X", map[string]float64{SigIDNumber: 1}},
		{"官网 example.com.cn", map[string]float64{SigDomain: 1, SigContact: 0}},
	}
	for _, tt := range tests {
		sig := signalsOf(e, "comment", tt.text)
		for k, v := range tt.want {
			if sig[k] != v {
				t.Errorf("signals(%q)[%s] = %v; want %v", tt.text, k, sig[k], v)
			}
		}
	}
}

// TestDetectionPolicy runs the default pack (with the detection rules) over
// texts the detection layers decide.
func TestDetectionPolicy(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		name, kind, text string
		want             anxin.Outcome
		label            string
	}{
		// Patterns.
		{"landline", "listing", "实体店直销 电话 0755-8888 6666", anxin.OutcomeBlock, "off_platform_contact"},
		{"qq", "comment", "便宜出 企鹅 八七六五四三二一", anxin.OutcomeBlock, "off_platform_contact"},
		{"wechat", "comment", "要的私 V信 meimei520", anxin.OutcomeBlock, "off_platform_contact"},
		{"obfuscated domain", "comment", "更多款式上 abc123点com", anxin.OutcomeBlock, "off_platform_contact"},
		{"email", "listing", "询价发邮件 zhang.san@163.com", anxin.OutcomeBlock, "off_platform_contact"},
		{"bank drop", "comment", "中奖请转账到 6222 0212 3456 7890 128 户名王五", anxin.OutcomeBlock, "bank_account"},
		{"id number", "listing", "出 身份证 11010519491231002X 一张", anxin.OutcomeBlock, "personal_data"},
		{"bare domain", "listing", "正品保障 官网 example.com.cn 可查", anxin.OutcomeReview, "off_platform_contact"},
		{"dimensions", "listing", "收纳箱 30*40*50cm 加厚 大号", anxin.OutcomeAllow, ""},
		{"model", "listing", "iPhone 15 Pro 256G 国行正品", anxin.OutcomeAllow, ""},
		{"order number", "comment", "订单号 2024061512345678906 还没发货", anxin.OutcomeAllow, ""},
		{"price and date", "listing", "2024-06-15 上新 原价 1380 元 现价 138 元", anxin.OutcomeAllow, ""},
		{"sim card", "listing", "移动流量卡 29元月租 135G全国通用 5G上网卡", anxin.OutcomeAllow, ""},
		// Word context: intent.
		{"news about drugs", "comment", "警方破获特大贩毒案，缴获冰毒20公斤，主犯被判死刑。", anxin.OutcomeAllow, ""},
		{"news in a listing", "listing", "禁毒宣传画册：揭秘冰毒的危害", anxin.OutcomeReview, "context_review"},
		{"illegal sale reported", "comment", "男子非法出售象牙制品被判刑三年", anxin.OutcomeAllow, ""},
		{"quitting gambling", "comment", "戒赌三年了，远离网赌，珍爱生命", anxin.OutcomeAllow, ""},
		{"warning", "comment", "谨防高仿骗局，认准官方旗舰店", anxin.OutcomeAllow, ""},
		{"offer of drugs", "comment", "出冰毒 量大从优", anxin.OutcomeBlock, "drugs"},
		{"warning with contact", "comment", "警惕骗局 高仿包 加微信 abc123", anxin.OutcomeBlock, "off_platform_contact"},
		{"weak adult raised by offer", "comment", "福利视频 有货 私聊", anxin.OutcomeBlock, "offer"},
		{"weak adult alone", "comment", "福利视频 合集", anxin.OutcomeReview, ""},
		{"not selling fakes", "listing", "本店不卖高仿 假一赔十", anxin.OutcomeReview, "context_review"},
		// Keyword stuffing.
		{"porn seo title", "listing", "国产精品-无码-中文字幕-在线观看-高清-免费", anxin.OutcomeBlock, "keyword_stuffing"},
		{"gambling seo comment", "comment", "时时彩|北京赛车|pk10|送彩金|首存|娱乐城", anxin.OutcomeBlock, "seo_spam"},
		{"product title", "listing", "夏季 女装 连衣裙 显瘦 碎花 长裙", anxin.OutcomeAllow, ""},
		{"product title with region words", "listing", "欧美风 高清 摄影 相机 视频 直播 补光灯", anxin.OutcomeAllow, ""},
		{"camera keywords", "listing", "高清|夜视|无线|监控|摄像头|家用", anxin.OutcomeAllow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out Output
			if tt.kind == "listing" {
				out = e.CheckListing(&anxin.ListingCheck{ID: "l1", Title: tt.text}, rules.Merchant{}, nil)
			} else {
				out = e.CheckContent(&anxin.ContentItem{ID: "c1", Kind: tt.kind, Text: tt.text}, nil, rules.Merchant{}, nil)
			}
			r := out.Result
			if r.Outcome != tt.want {
				t.Fatalf("check(%s %q) = %v %v (rules %v); want %v", tt.kind, tt.text, r.Outcome, r.Labels, fired(r), tt.want)
			}
			if tt.label != "" && !contains(r.Labels, tt.label) {
				t.Errorf("labels = %v; want %q among them", r.Labels, tt.label)
			}
			for _, ev := range out.Evidence {
				if ev.Quote == "" || ev.Start < 0 || ev.End > len(tt.text) || tt.text[ev.Start:ev.End] != ev.Quote {
					t.Errorf("evidence %+v does not quote the original", ev)
				}
			}
		})
	}
}

// TestWordTerms checks that a term marked as a word fires only on word
// boundaries, and an unmarked one everywhere.
func TestWordTerms(t *testing.T) {
	pol := &anxin.Policy{Version: 1, Rules: []anxin.Rule{{ID: "w", When: `hits.total > 0`, Outcome: anxin.OutcomeBlock, Reason: "hit {terms}"}}}
	lex := &anxin.Lexicon{Name: "w", Version: 1, Active: true, Terms: []anxin.LexiconTerm{
		{Pattern: "象牙", Category: "wildlife", Severity: 5, Word: true},
		{Pattern: "A货", Category: "counterfeit_hard", Severity: 5, Word: true},
		{Pattern: "大麻", Category: "drugs", Severity: 5, Word: true},
		{Pattern: "枪", Category: "firearms", Severity: 5, Word: true},
	}}
	e, err := New([]*anxin.Lexicon{lex}, pol, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want bool
	}{
		{"天然象牙手串", true},
		{"象牙白羊毛开衫", false},
		{"象牙 白", true}, // the writer's own space is a boundary
		{"顶级A货 包包", true},
		{"USB-A货号 2024 转接头", false},
		{"卖大麻", true},
		{"大麻花 零食", false},
		{"出售 枪 支", true},
		{"枪灰色 手机壳", false},
		{"高压水枪 洗车", false},
	}
	for _, tt := range tests {
		out, _ := e.CheckText("listing", tt.text)
		if got := out.Result.Outcome == anxin.OutcomeBlock; got != tt.want {
			t.Errorf("CheckText(%q) fired = %v (evidence %v); want %v", tt.text, got, out.Evidence, tt.want)
		}
	}
}

func TestLayersHostile(t *testing.T) {
	e := defaultEngine(t)
	for _, s := range []string{strings.Repeat("无码-", 20000), strings.Repeat("警方 冰毒 ", 10000), strings.Repeat("1 ", 30000),
		strings.Repeat("微信 abc123 ", 5000), "\xff\xfe出\x00冰毒"} {
		out := e.CheckListing(&anxin.ListingCheck{ID: "x", Description: s}, rules.Merchant{}, nil)
		if len(out.Evidence) > MaxEvidence {
			t.Errorf("evidence has %d entries; want at most %d", len(out.Evidence), MaxEvidence)
		}
	}
}
