package governance

import (
	"strings"
	"testing"

	"anxin"
	"anxin/rules"
)

func defaultEngine(tb testing.TB) *Engine {
	tb.Helper()
	p, err := DefaultPack()
	if err != nil {
		tb.Fatal(err)
	}
	e, err := p.Engine()
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func TestDefaultPackListings(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		name  string
		l     anxin.ListingCheck
		want  anxin.Outcome
		label string
	}{
		{"replica", anxin.ListingCheck{Title: "高仿 女士手提包 专柜品质"}, anxin.OutcomeBlock, "counterfeit"},
		{"homoglyph replica", anxin.ListingCheck{Title: "髙仿运动鞋"}, anxin.OutcomeBlock, "replica_wording"},
		{"replica with brand", anxin.ListingCheck{Title: "原单 耐克 跑鞋", Brand: ""}, anxin.OutcomeBlock, "brand"},
		{"origin without brand", anxin.ListingCheck{Title: "外贸原单 纯棉T恤"}, anxin.OutcomeReview, "origin_claim"},
		{"english replica", anxin.ListingCheck{Title: "Luxury watch replica AAA quality"}, anxin.OutcomeBlock, "counterfeit"},
		{"evasion with brand", anxin.ListingCheck{Title: "古驰 包包 懂的来"}, anxin.OutcomeBlock, "evasion"},
		{"firearm", anxin.ListingCheck{Title: "钢珠枪 全套配件"}, anxin.OutcomeBlock, "prohibited"},
		{"drugs", anxin.ListingCheck{Title: "听话水 无色无味"}, anxin.OutcomeBlock, "drugs"},
		{"covert camera", anxin.ListingCheck{Title: "针孔摄像头 超小 无线"}, anxin.OutcomeBlock, "covert_camera"},
		{"invoice", anxin.ListingCheck{Title: "代开发票 各类增值税"}, anxin.OutcomeBlock, "invoice_fraud"},
		{"brushing", anxin.ListingCheck{Title: "淘宝刷单 刷好评 包过"}, anxin.OutcomeBlock, "fake_orders"},
		{"identity", anxin.ListingCheck{Title: "出售身份证 手持身份证照"}, anxin.OutcomeBlock, "personal_data"},
		{"surrogacy", anxin.ListingCheck{Title: "代孕 包生男孩"}, anxin.OutcomeBlock, "surrogacy"},
		{"wildlife", anxin.ListingCheck{Title: "天然象牙 手串"}, anxin.OutcomeBlock, "wildlife"},
		{"medical", anxin.ListingCheck{Title: "祖传秘方 包治百病"}, anxin.OutcomeBlock, "false_medical_claim"},
		{"contact", anxin.ListingCheck{Title: "连衣裙", Description: "有问题加微信 abc123 详聊"}, anxin.OutcomeBlock, "off_platform_contact"},
		{"phone", anxin.ListingCheck{Title: "连衣裙", Description: "电话 138 0013 8000"}, anxin.OutcomeBlock, "off_platform_contact"},
		{"absolute claim", anxin.ListingCheck{Title: "全网最低 纯棉毛巾"}, anxin.OutcomeReview, "advertising_law"},
		{"stuffing", anxin.ListingCheck{Title: "百家乐 色情 约炮 冰毒 免费看"}, anxin.OutcomeBlock, "keyword_stuffing"},
		{"artificial plant", anxin.ListingCheck{Title: "高仿真植物 客厅装饰 仿真花"}, anxin.OutcomeAllow, ""},
		{"ivory white", anxin.ListingCheck{Title: "象牙白 羊毛开衫"}, anxin.OutcomeAllow, ""},
		{"clean", anxin.ListingCheck{Title: "纯棉短袖T恤 男 夏季", Description: "100支长绒棉，透气舒适，多色可选。"}, anxin.OutcomeAllow, ""},
		{"clean brand", anxin.ListingCheck{Title: "耐克 Air Zoom 跑步鞋", Brand: "Nike"}, anxin.OutcomeAllow, ""},
		{"anti-fraud notice", anxin.ListingCheck{Title: "手机壳", Description: "谨防刷单诈骗，本店不会联系您退款。"}, anxin.OutcomeAllow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.l.ID = "l1"
			out := e.CheckListing(&tt.l, rules.Merchant{}, nil)
			r := out.Result
			if r.Outcome != tt.want {
				t.Fatalf("CheckListing(%q %q) = %v %v (rules %v); want %v", tt.l.Title, tt.l.Description, r.Outcome, r.Labels, fired(r), tt.want)
			}
			if tt.label != "" && !contains(r.Labels, tt.label) {
				t.Errorf("labels = %v; want %q among them", r.Labels, tt.label)
			}
			if tt.want != anxin.OutcomeAllow && len(r.Reasons) == 0 {
				t.Errorf("no reasons for a %v", r.Outcome)
			}
			for _, ev := range out.Evidence {
				src := tt.l.Title
				if ev.Field == "description" {
					src = tt.l.Description
				}
				if ev.Start < 0 || ev.End > len(src) || src[ev.Start:ev.End] != ev.Quote {
					t.Errorf("evidence %+v does not quote the original %s", ev, ev.Field)
				}
			}
		})
	}
}

func TestDefaultPackContentKinds(t *testing.T) {
	e := defaultEngine(t)
	// An absolute claim is reviewed in a listing but is fine in a buyer's comment.
	c := &anxin.ContentItem{ID: "c1", Kind: anxin.ContentComment, Text: "这是我买过最好的毛巾"}
	if r := e.CheckContent(c, nil, rules.Merchant{}, nil).Result; r.Outcome != anxin.OutcomeAllow {
		t.Errorf("comment with 最好 = %v %v; want allow", r.Outcome, fired(r))
	}
	v := &anxin.ContentItem{ID: "v1", Kind: anxin.ContentVideo, Text: "全网最低价 今天下单"}
	if r := e.CheckContent(v, nil, rules.Merchant{}, nil).Result; r.Outcome != anxin.OutcomeReview {
		t.Errorf("video with 全网最低 = %v; want review", r.Outcome)
	}
	spam := &anxin.ContentItem{ID: "c2", Kind: anxin.ContentComment, Text: "百家乐 真人荷官 网赌 约炮 裸聊"}
	if r := e.CheckContent(spam, nil, rules.Merchant{}, nil).Result; r.Outcome != anxin.OutcomeBlock || !contains(r.Labels, "seo_spam") {
		t.Errorf("spam comment = %v %v; want block seo_spam", r.Outcome, r.Labels)
	}
}

func TestStreamWindowCatchesSplitWords(t *testing.T) {
	e := defaultEngine(t)
	seg := &anxin.ContentItem{ID: "s3", Kind: anxin.ContentLivestreamSegment, StreamID: "st1", Seq: 3, Text: "仿的 包包 家人们看过来"}
	if r := e.CheckContent(seg, nil, rules.Merchant{}, nil).Result; r.Outcome != anxin.OutcomeAllow {
		t.Fatalf("segment alone = %v %v; want allow", r.Outcome, fired(r))
	}
	out := e.CheckContent(seg, []string{"今天给大家带来的是", "高"}, rules.Merchant{}, nil)
	if out.Result.Outcome != anxin.OutcomeBlock {
		t.Fatalf("segment with window = %v %v; want block", out.Result.Outcome, fired(out.Result))
	}
	var cut bool
	for _, a := range out.Result.Actions {
		cut = cut || a.Type == rules.ActRemoveFromCart
	}
	if !cut {
		t.Errorf("actions = %v; want remove_from_cart", out.Result.Actions)
	}
	drugs := &anxin.ContentItem{ID: "s4", Kind: anxin.ContentLivestreamSegment, StreamID: "st1", Seq: 4, Text: "冰毒 私聊"}
	if r := e.CheckContent(drugs, nil, rules.Merchant{}, nil).Result; !hasAction(r, rules.ActCutStream) {
		t.Errorf("drug segment actions = %v; want cut_stream", r.Actions)
	}
}

func TestHostileText(t *testing.T) {
	e := defaultEngine(t)
	for _, s := range []string{"\xff\xfe高\x00仿", strings.Repeat("高仿", 100_000), "(.*)[高仿]+$^\\", "\u200b高\u200b仿\u200b"} {
		out := e.CheckListing(&anxin.ListingCheck{ID: "x", Title: s}, rules.Merchant{}, nil)
		if len(out.Evidence) > MaxEvidence {
			t.Errorf("evidence has %d entries; want at most %d", len(out.Evidence), MaxEvidence)
		}
	}
}

func fired(r rules.Result) []string {
	var ids []string
	for _, f := range r.Fired {
		ids = append(ids, f.RuleID)
	}
	return ids
}

func hasAction(r rules.Result, typ string) bool {
	for _, a := range r.Actions {
		if a.Type == typ {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
