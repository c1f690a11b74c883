package governance

import (
	"testing"

	"anxin"
	"anxin/rules"
)

// TestTalkAboutHarm checks that a comment that warns about, reports on,
// asks about or looks back on a harm is not taken for an offer of it, and
// that an offer dressed as such talk still is. The texts are not from the
// evaluation corpus.
func TestTalkAboutHarm(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		text string
		want anxin.Outcome
	}{
		// A caution or news cue far from the harm, and no offer anywhere.
		{"科普：哪些算管制刀具？甩棍、弹簧刀、三棱刮刀都算", anxin.OutcomeAllow},
		// A look back on a habit the writer gave up.
		{"我以前沉迷博彩，去年彻底戒了", anxin.OutcomeAllow},
		// 出 of 退出 is "out", not "to sell".
		{"网赌那一行我早就退出了，水太深", anxin.OutcomeAllow},
		// A question from a buyer.
		{"请问这件是正品吗，不会是高仿吧", anxin.OutcomeAllow},
		// A ban lists acts: the offer cues of its clause are negated.
		{"本店群规：严禁发代办假证、发博彩链接", anxin.OutcomeAllow},
		// A warning quoting a pitch.
		{"什么“包过”的代考都是假的，别交钱", anxin.OutcomeAllow},
		// An offer anywhere keeps the block, whatever the wording around it.
		{"别买外面的假货，我家顶级高仿，加我看图", anxin.OutcomeBlock},
		{"以前我也输过，现在带你玩真人百家乐，私聊", anxin.OutcomeBlock},
		{"提醒：正品太贵，高仿包350元一个", anxin.OutcomeBlock},
		// A rhetorical question before an offer is not a question.
		{"征信花了？我们专业征信修复，私我", anxin.OutcomeBlock},
	}
	for _, tt := range tests {
		out := e.CheckContent(&anxin.ContentItem{ID: "c", Kind: "comment", Text: tt.text}, nil, rules.Merchant{}, nil)
		if out.Result.Outcome != tt.want {
			t.Errorf("check(%q) = %s (%v); want %s", tt.text, out.Result.Outcome, out.Result.Labels, tt.want)
		}
	}
}

// TestInvoiceContacts checks that a phone number or an e-mail address given
// for an invoice or a delivery is not an off-platform contact, and that one
// given for a cheaper deal still is.
func TestInvoiceContacts(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		text string
		want anxin.Outcome
	}{
		{"开票信息发我邮箱 tax.dept@example-firm.cn，抬头写公司全称", anxin.OutcomeAllow},
		{"顺丰到了麻烦打 13611112222，我下楼拿", anxin.OutcomeAllow},
		{"发票的事加我微信 13611112222 私聊更便宜", anxin.OutcomeBlock},
		{"有事发邮件 deal.cheap@example-firm.cn", anxin.OutcomeBlock},
	}
	for _, tt := range tests {
		out := e.CheckContent(&anxin.ContentItem{ID: "c", Kind: "comment", Text: tt.text}, nil, rules.Merchant{}, nil)
		if out.Result.Outcome != tt.want {
			t.Errorf("check(%q) = %s (%v); want %s", tt.text, out.Result.Outcome, out.Result.Labels, tt.want)
		}
	}
}

// TestQuestionsDenialsAndTopics checks the sentence-level reading of a text:
// a question about a harm in one sentence of a longer comment, a denial
// before a risky term, a claim the writer reports from someone else, and a
// bare topic noun that blocks only with an offer cue near it. The texts are
// not from the evaluation corpus.
func TestQuestionsDenialsAndTopics(t *testing.T) {
	checkOutcomes(t, defaultEngine(t), []outcomeCase{
		// A yes/no question in the first sentence, more talk after it.
		{"comment", "这双鞋是高仿的吗？鞋底有点硬", anxin.OutcomeAllow},
		// A question that asks for the goods is a solicitation, not a question.
		{"comment", "有高仿的吗？要顶级的", anxin.OutcomeBlock},
		// A denial before the term.
		{"comment", "拿去专柜验过了，不是高仿，放心", anxin.OutcomeAllow},
		// A claim reported from someone else, in a buyer's comment.
		{"comment", "听说这个能根治糖尿病，我不太信", anxin.OutcomeAllow},
		// A topic noun is talk; with a cue that offers the thing itself
		// near it, an offer; the cues of ordinary goods do not raise it.
		{"comment", "新闻说有人网购枪的零件被查了", anxin.OutcomeAllow},
		{"livestream_segment", "枪的配件我都能做，要的找我", anxin.OutcomeBlock},
		{"livestream_segment", "这款卡包能放身份证和银行卡，下单送挂绳", anxin.OutcomeAllow},
		{"comment", "化肥 硝酸铵 农用 现货包邮", anxin.OutcomeAllow},
	})
}

// outcomeCase is a text checked as a content kind and the outcome wanted.
type outcomeCase struct {
	kind, text string
	want       anxin.Outcome
}

// checkOutcomes checks each case's text with e.
func checkOutcomes(t *testing.T, e *Engine, cases []outcomeCase) {
	t.Helper()
	for _, tt := range cases {
		out := e.CheckContent(&anxin.ContentItem{ID: "c", Kind: tt.kind, Text: tt.text}, nil, rules.Merchant{}, nil)
		if out.Result.Outcome != tt.want {
			t.Errorf("check(%s %q) = %s (%v); want %s", tt.kind, tt.text, out.Result.Outcome, out.Result.Labels, tt.want)
		}
	}
}
