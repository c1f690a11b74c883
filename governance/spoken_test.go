package governance

import (
	"testing"

	"anxin"
	"anxin/rules"
)

// The tests of this file cover the rules of the second spoken-text round of
// issue 12. Their texts were written for them and are not from the
// evaluation corpus.

func checkKind(t *testing.T, e *Engine, kind, text string) rules.Result {
	t.Helper()
	c := &anxin.ContentItem{ID: "c", Kind: kind, Text: text}
	if kind == anxin.ContentLivestreamSegment {
		c.StreamID, c.Seq = "s", 1
	}
	return e.CheckContent(c, nil, rules.Merchant{}, nil).Result
}

// commentCase is a comment and the outcome it must get.
type commentCase struct {
	text string
	want anxin.Outcome
}

func checkComments(t *testing.T, tests []commentCase) {
	t.Helper()
	cases := make([]kindCase, len(tests))
	for i, tt := range tests {
		cases[i] = kindCase{anxin.ContentComment, tt.text, tt.want}
	}
	checkKindCases(t, cases)
}

// TestSpokenCureClaims checks rule any.medical.condition_and_outcome: a
// condition and a cure outcome with words between are a claim; either
// alone, a negated or questioned outcome, or a claim reported from someone
// else is not.
func TestSpokenCureClaims(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		kind, text string
		want       anxin.Outcome
	}{
		{anxin.ContentLivestreamSegment, "我婆婆喝了两个月，降糖药现在都不用吃了", anxin.OutcomeBlock},
		{anxin.ContentLivestreamSegment, "用了这个贴，肩周炎基本好了，胳膊能抬起来", anxin.OutcomeBlock},
		{anxin.ContentComment, "囊肿真的变小了，这个茶太神了", anxin.OutcomeBlock},
		{anxin.ContentComment, "我爸血压高，这个茶能喝吗", anxin.OutcomeAllow},
		{anxin.ContentComment, "鼻炎能治好吗？有用过的说说", anxin.OutcomeAllow},
		{anxin.ContentComment, "医生说痛风不能根治，要长期控制饮食", anxin.OutcomeAllow},
		{anxin.ContentComment, "小区里推销的说能治好糖尿病，骗老人的", anxin.OutcomeAllow},
		{anxin.ContentLivestreamSegment, "快递全好了，明天统一发出", anxin.OutcomeAllow},
	}
	for _, tt := range tests {
		if got := checkKind(t, e, tt.kind, tt.text); got.Outcome != tt.want {
			t.Errorf("check(%s, %q) = %s (%v); want %s", tt.kind, tt.text, got.Outcome, got.Fired, tt.want)
		}
	}
}

// TestSpokenOffers checks the spoken offers written as classes in the pack
// (words between the verb and the thing, the host's own channels) and the
// clean talk around them.
func TestSpokenOffers(t *testing.T) {
	e := defaultEngine(t)
	const stream, comment = anxin.ContentLivestreamSegment, anxin.ContentComment
	tests := []struct {
		kind, text string
		want       anxin.Outcome
	}{
		// The host's group and other account.
		{stream, "想进群的看我简介，群号就在我的简介里", anxin.OutcomeBlock},
		{stream, "链接没挂的那几款，去我的副号看", anxin.OutcomeBlock},
		{stream, "我们不加私人微信，售后都在平台", anxin.OutcomeAllow},
		// Paying the seller directly.
		{comment, "别在这拍了，支付宝直接转我，包邮", anxin.OutcomeBlock},
		{comment, "平台要抽点，私下找我便宜", anxin.OutcomeBlock},
		{comment, "店里不支持私下交易，请在平台下单", anxin.OutcomeAllow},
		{stream, "别私下转账，私下交易平台不保障", anxin.OutcomeAllow},
		// Gambling, documents, credit, cards, accounts said aloud.
		{stream, "今天带家人们回本，跟我下注就行", anxin.OutcomeBlock},
		{stream, "赢了随时提现，充值一百送一百", anxin.OutcomeBlock},
		{stream, "合同章财务章都可以刻，当天拿", anxin.OutcomeBlock},
		{stream, "借呗额度可以变现，手续费低", anxin.OutcomeBlock},
		{stream, "快手号十万粉，要的私", anxin.OutcomeBlock},
		{stream, "这批是和专柜的1比1，懂的来", anxin.OutcomeBlock},
		// Phishing demand and pretext said aloud.
		{stream, "抽中的宝宝注意，先交个运费才能发奖品", anxin.OutcomeBlock},
		// Bare topic nouns raised by an offer cue near them, and not alone.
		{stream, "今晚的比赛我这有盘口，想玩的找我", anxin.OutcomeBlock},
		{stream, "今晚的比赛赔率很悬殊，大家理性看球", anxin.OutcomeAllow},
		{stream, "寂寞的哥哥看过来，我们有学生妹", anxin.OutcomeBlock},
		{stream, "快乐水私我，喝完整晚不困", anxin.OutcomeBlock},
		{stream, "烟花的药我这有，自己回去装", anxin.OutcomeBlock},
		{stream, "征信黑了也别慌，我们有门路", anxin.OutcomeBlock},
		// Late additions: invoices for any item, cards lent, a game that pays out.
		{stream, "要发票的老板，什么项目都可以开", anxin.OutcomeBlock},
		{stream, "家里闲置的卡借给我用，一个月给你八百", anxin.OutcomeBlock},
		{stream, "这个游戏不能提现，纯娱乐", anxin.OutcomeAllow},
		{stream, "我邻居腰椎间盘突出，贴了一个月不用做手术了", anxin.OutcomeBlock},
		// The genuine article sold beside a denied replica.
		{comment, "我家不卖高仿，卖的都是正品，有小票", anxin.OutcomeAllow},
		{comment, "出正品级高仿包，私我", anxin.OutcomeBlock},
	}
	for _, tt := range tests {
		if got := checkKind(t, e, tt.kind, tt.text); got.Outcome != tt.want {
			t.Errorf("check(%s, %q) = %s (%v); want %s", tt.kind, tt.text, got.Outcome, got.Fired, tt.want)
		}
	}
}

// TestAfterSalesPhones checks that a buyer's number left for an after-sales
// call back is delivery talk in a comment, and that 客服 alone (the word
// impersonators use) does not make a number so.
func TestAfterSalesPhones(t *testing.T) {
	tests := []commentCase{
		{"退款的事麻烦回个电话，我的号码13522223333", anxin.OutcomeAllow},
		{"订单一直没发，售后电话是4008123456吗？", anxin.OutcomeAllow},
		{"有事找客服 13522223333", anxin.OutcomeBlock},
	}
	checkComments(t, tests)
}

// TestJudgedScam checks that an offer cue in a sentence that goes on to
// call it a scam (…的那个人是骗子) is reported, not made, and that a seller's
// 不是骗子 is no such verdict.
func TestJudgedScam(t *testing.T) {
	tests := []commentCase{
		{"私信让我加微信领返现的那个号是骗子，大家注意", anxin.OutcomeAllow},
		{"说加我微信能便宜一半的都是假的", anxin.OutcomeAllow},
		{"加我微信便宜一半，我不是骗子", anxin.OutcomeBlock},
	}
	checkComments(t, tests)
}
