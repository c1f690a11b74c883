package governance

import (
	"testing"

	"anxin"
	"anxin/rules"
)

// TestDeliveryPhones checks that phone numbers in delivery talk of a
// comment are not off-platform contacts, and that the same numbers still
// are in an invitation, an offer or a listing. The texts are not from the
// evaluation corpus.
func TestDeliveryPhones(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		kind, text string
		want       anxin.Outcome
	}{
		{"comment", "骑手的电话 13787654321 一直关机，饭还没到", anxin.OutcomeAllow},
		{"comment", "收货人改成李先生 159 8765 4321，别的不变", anxin.OutcomeAllow},
		{"comment", "快递柜满了，快递小哥让我打网点电话 020-83456789", anxin.OutcomeAllow},
		{"comment", "the courier's number is 135 1111 2222, he never answers", anxin.OutcomeAllow},
		// A diversion word, a contact word or an offer keeps the block.
		{"comment", "收货人电话13787654321，加我微信更便宜", anxin.OutcomeBlock},
		{"comment", "配送很快，有需要的私聊 13787654321", anxin.OutcomeBlock},
		{"comment", "冰毒现货，骑手送货上门 13787654321", anxin.OutcomeBlock},
		// No delivery word: an off-platform contact as before.
		{"comment", "有事打我电话 13787654321", anxin.OutcomeBlock},
		// A delivery word in another sentence does not count.
		{"comment", "快递员很好。有货打 13787654321", anxin.OutcomeBlock},
		// Listings are not delivery talk.
		{"listing", "骑手电话 13787654321 送货上门", anxin.OutcomeBlock},
	}
	for _, tt := range tests {
		var out Output
		if tt.kind == "listing" {
			out = e.CheckListing(&anxin.ListingCheck{ID: "l", Title: tt.text}, rules.Merchant{}, nil)
		} else {
			out = e.CheckContent(&anxin.ContentItem{ID: "c", Kind: tt.kind, Text: tt.text}, nil, rules.Merchant{}, nil)
		}
		if out.Result.Outcome != tt.want {
			t.Errorf("check(%s %q) = %s (%v); want %s", tt.kind, tt.text, out.Result.Outcome, out.Result.Labels, tt.want)
		}
	}
	if got := signalsOf(e, "comment", "骑手的电话 13787654321 一直关机")[SigDeliveryPhone]; got != 1 {
		t.Errorf("signal %s = %v; want 1", SigDeliveryPhone, got)
	}
}

// TestPhishingPretextAndAsk checks the pair rule: a pretext or a demand
// alone is ordinary, both together are phishing, and a warning or a news
// report about the scam is not. The texts are not from the evaluation
// corpus.
func TestPhishingPretextAndAsk(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		text string
		want anxin.Outcome
	}{
		{"您的包裹丢失了，我们三倍理赔，请提供银行卡号", anxin.OutcomeBlock},
		{"恭喜您被抽中，领奖前需支付公证费200元", anxin.OutcomeBlock},
		{"您的账户涉嫌违规交易，请按提示操作完成验证", anxin.OutcomeBlock},
		{"your parcel is held at customs, pay the clearance fee today", anxin.OutcomeBlock},
		{"您的账号涉嫌违规，申诉请访问 shensu-kf.top", anxin.OutcomeBlock},
		{"我是派出所的，你涉嫌一起洗钱案，请配合调查", anxin.OutcomeBlock},
		{"店铺上新了，详情见 shop.example.com", anxin.OutcomeReview},
		{"包裹丢失了，客服说给我补发，挺好的", anxin.OutcomeAllow},
		{"付款时需要输入验证码，正常吗", anxin.OutcomeAllow},
		{"警惕！骗子自称快递理赔，要你提供银行卡号和验证码", anxin.OutcomeAllow},
		{"警方通报：一男子以包裹丢失双倍理赔为名骗取验证码，已被抓获", anxin.OutcomeAllow},
		{"平台不会要求你提供银行卡号，所谓三倍理赔都是假的", anxin.OutcomeAllow},
	}
	for _, tt := range tests {
		out := e.CheckContent(&anxin.ContentItem{ID: "c", Kind: "comment", Text: tt.text}, nil, rules.Merchant{}, nil)
		if out.Result.Outcome != tt.want {
			t.Errorf("CheckContent(%q) = %s (%v); want %s", tt.text, out.Result.Outcome, out.Result.Labels, tt.want)
		}
	}
}
