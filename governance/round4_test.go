package governance

import (
	"testing"

	"anxin"
)

// The tests of this file cover the fourth detection round of issue 12
// (buyer–seller messages: payment and talk moved off the platform, scams
// told as a conversation, and a seller's refusals). Their texts were written
// for them and are not from the evaluation corpus or the probe files.

// TestMessagesOffPlatform checks that payment or talk moved off the
// platform in a conversation is caught, and that a seller's refusal of it
// or a warning about those who ask for it is not.
func TestMessagesOffPlatform(t *testing.T) {
	const stream, comment = anxin.ContentLivestreamSegment, anxin.ContentComment
	checkKindCases(t, []kindCase{
		{comment, "咱们别走担保了，货到了你线下结给我就行", anxin.OutcomeBlock},
		{comment, "亲，钱直接转到我支付宝，这边给你少三十", anxin.OutcomeBlock},
		{comment, "平台上太贵了，你去我们自己的小程序拍，一样的货", anxin.OutcomeBlock},
		{comment, "剩下的尾款你先付到我个人账户上", anxin.OutcomeBlock},
		{comment, "你微信多少，我直接转你，省得平台退款慢", anxin.OutcomeBlock},
		{comment, "有卖家让我私下转账，我没理，还是在平台上付的", anxin.OutcomeAllow},
		{stream, "我们只在直播间卖，想加微信的家人不用问了", anxin.OutcomeAllow},
		{stream, "下单后有问题找客服，不要相信私下联系你的人", anxin.OutcomeAllow},
		{comment, "退款到了，注意查收银行卡短信就行", anxin.OutcomeAllow},
	})
}

// TestMessageScams checks the pretexts and demands of scams written as a
// seller's or a payer's message, and the plain messages beside them.
func TestMessageScams(t *testing.T) {
	const comment = anxin.ContentComment
	checkKindCases(t, []kindCase{
		{comment, "您刚才的付款没成功，麻烦重新扫一下码，第一笔会退回", anxin.OutcomeBlock},
		{comment, "不好意思我多转了两百，你退到我这张卡上吧", anxin.OutcomeBlock},
		{comment, "你好，商品缺货要给您退款，请把收到的验证码发给我", anxin.OutcomeBlock},
		{comment, "您的快件被海关扣了，需要先交清关费才能放行", anxin.OutcomeBlock},
		{comment, "你好，我付款失败了，是不是库存没了", anxin.OutcomeAllow},
		{comment, "之前的订单有点问题，卖家很快处理好了", anxin.OutcomeAllow},
	})
}
