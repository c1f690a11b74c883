package governance

import (
	"testing"

	"anxin"
)

// The tests of this file cover the rules of the third detection round of
// issue 12 (ordinary comments and captions taken for offers, spoken offers
// with words between). Their texts were written for them and are not from
// the evaluation corpus or the probe files.

// kindCase is a text of a content kind and the outcome it must get.
type kindCase struct {
	kind, text string
	want       anxin.Outcome
}

func checkKindCases(t *testing.T, tests []kindCase) {
	t.Helper()
	e := defaultEngine(t)
	for _, tt := range tests {
		if got := checkKind(t, e, tt.kind, tt.text); got.Outcome != tt.want {
			t.Errorf("check(%s, %q) = %s (%v); want %s", tt.kind, tt.text, got.Outcome, got.Fired, tt.want)
		}
	}
}

// TestVerdictsAndRefusals checks that an offer its sentence calls a scam,
// a crime or reported, a buyer's refusal of it, a no-protection warning and
// a thing its clause calls banned are talk, and that a seller's denial of
// such a verdict is not.
func TestVerdictsAndRefusals(t *testing.T) {
	const stream, comment = anxin.ContentLivestreamSegment, anxin.ContentComment
	tests := []kindCase{
		{comment, "那种说能代办学位证的都是骗钱的，别交定金", anxin.OutcomeAllow},
		{comment, "有人在评论区私信我出售微信号，已举报", anxin.OutcomeAllow},
		{comment, "帮陌生人出借银行卡可能构成帮信罪，会留案底", anxin.OutcomeAllow},
		{comment, "店员说可以加微信返现，我没理，直接给了好评", anxin.OutcomeAllow},
		{comment, "那个群里说私下转账能便宜，出了问题平台不管的", anxin.OutcomeAllow},
		{stream, "管制刀具是违禁的，我们这里只有菜刀和水果刀", anxin.OutcomeAllow},
		{stream, "管制刀具不是违禁的，我这有，私我", anxin.OutcomeBlock},
		{stream, "我们不接受任何私下转账，都在小黄车拍", anxin.OutcomeAllow},
		{comment, "收购微信号，日结，不是骗子", anxin.OutcomeBlock},
	}
	checkKindCases(t, tests)
}

// TestOrdinaryWordsNotOffers checks words of ordinary text that the
// engine read as offers or contact words: 出 of a mishap, 看不出, a phone
// number asked about (手机号吗, not the homophone of 手机号码), a phone
// benchmark, a model gun, a genuine article named before a new clause and
// a shop's after-sales e-mail.
func TestOrdinaryWordsNotOffers(t *testing.T) {
	const stream, comment = anxin.ContentLivestreamSegment, anxin.ContentComment
	tests := []kindCase{
		{comment, "私下交易出了问题没人管，还是在平台买吧", anxin.OutcomeAllow},
		{comment, "能换绑手机号吗？旧号码注销了", anxin.OutcomeAllow},
		{stream, "这款手机跑分九十万，追剧打游戏都流畅", anxin.OutcomeAllow},
		{stream, "这把仿真枪模型只能摆着看，打不出任何东西", anxin.OutcomeAllow},
		{stream, "我们不卖高仿，只卖正品，检测报告在详情页", anxin.OutcomeAllow},
		{comment, "有问题发邮件到售后邮箱help@lanshan-store.cn，附上订单截图", anxin.OutcomeAllow},
		{comment, "加我微信，邮箱abc@xyz-mail.cn也行，便宜卖", anxin.OutcomeBlock},
		{stream, "高仿包，外行根本看不出，私我", anxin.OutcomeBlock},
		{comment, "跑分兼职，日结佣金", anxin.OutcomeBlock},
	}
	checkKindCases(t, tests)
}

// TestSpokenOffersThirdRound checks the spoken offers of the third round:
// bank cards, accounts, table games and drugs named bare with an offer cue
// near them, replica comparisons (review, as the other comparisons), the
// host's profile, group or screen, and cure outcomes promised within a
// course.
func TestSpokenOffersThirdRound(t *testing.T) {
	const stream = anxin.ContentLivestreamSegment
	tests := []struct {
		text string
		want anxin.Outcome
	}{
		{"有不用的储蓄卡的宝宝，可以租给我们，按月给钱", anxin.OutcomeBlock},
		{"银行卡套有六个卡位，喜欢的扣1", anxin.OutcomeAllow},
		{"出一个两万粉的号，橱窗已开", anxin.OutcomeBlock},
		{"今晚群里玩牌九，底注五十，想来的找我", anxin.OutcomeBlock},
		{"这双和柜台的没区别，八百带走", anxin.OutcomeReview},
		{"想要实拍图的，去主页简介找我", anxin.OutcomeBlock},
		{"营业时间写在主页简介里，客服十点下班", anxin.OutcomeAllow},
		{"群号打在公屏上了，进群便宜", anxin.OutcomeBlock},
		{"静脉曲张的家人，穿这个袜子一个疗程就好", anxin.OutcomeBlock},
		{"这款袜子是普通的棉袜，一个疗程就好这种话我们不说", anxin.OutcomeAllow},
	}
	cases := make([]kindCase, len(tests))
	for i, tt := range tests {
		cases[i] = kindCase{stream, tt.text, tt.want}
	}
	checkKindCases(t, cases)
}

// TestEnglishContextAndDenials checks that English warnings reach the terms
// a few words away, that a denial names what a product is free of (无火药,
// no gunpowder, but not the "no" at the end of casino), and that 有没有 is
// a question, not a denial.
func TestEnglishContextAndDenials(t *testing.T) {
	const stream, comment = anxin.ContentLivestreamSegment, anxin.ContentComment
	tests := []kindCase{
		{comment, "Stay away from people who tell you to chat on WhatsApp, they are scammers", anxin.OutcomeAllow},
		{comment, "The shop wanted me to talk on WeChat for the refund, I refused", anxin.OutcomeAllow},
		{stream, "These sparklers make light and sound only, no gunpowder inside", anxin.OutcomeAllow},
		{stream, "这款电子鞭炮不含火药，插电就响", anxin.OutcomeAllow},
		{comment, "Add me on WhatsApp for a cheaper price", anxin.OutcomeReview},
		{comment, "有没有一类卡，我这边收，价格好说", anxin.OutcomeBlock},
	}
	checkKindCases(t, tests)
}
