package governance

import (
	"slices"

	"anxin"
	"anxin/detect"
	"anxin/lexicon"
)

// Phone numbers in delivery talk. A buyer's message or comment gives phone
// numbers that lead nowhere off the platform: the courier's (快递员电话打不通),
// the pick-up point's (驿站电话), the buyer's own for the delivery (收件人电话
// 改成…, 发货前打我电话) or for an after-sales call back (退款的事回个电话
// 给我), the shop's service line asked about (售后电话是400…吗). A number counts as delivery talk, and not as an
// off-platform contact, when a delivery word stands in its sentence and the
// text has no diversion word (微信, 加我, 便宜, 私聊, 隐蔽…) and no lexicon hit
// of a contact word or a risky category (an offer of prohibited goods with
// a number is never delivery talk). This applies to comments (where messages are checked) only: a
// listing or a stream that shows a phone number invites contact whatever
// the wording.
const (
	// SigDeliveryPhone counts phone numbers taken as delivery talk; no
	// default rule reads it.
	SigDeliveryPhone = "contact.delivery_phone"

	cueDelivery  = "delivery"
	cueDiversion = "diversion"
	cueInvoice   = "invoice"
)

var (
	deliveryCues = []string{"快递员", "快递小哥", "快递师傅", "派送员", "配送员", "送货员", "外卖员", "骑手", "驿站", "网点", "快递柜",
		"丰巢", "收件人", "收货人", "收件电话", "收货电话", "派送", "配送", "送货", "送件", "取件", "发货前", "收货地址", "填错",
		"快递", "顺丰", "门卫", "门口", "寄到", "送到", "到了给我", "送货前", "收货", "安装", "上门安装", "安装师傅", "维修师傅", "师傅",
		"courier", "delivery", "delivering", "deliver", "driver", "parcel",
		// After-sales talk: a buyer leaves a number to be called back about
		// an order, or asks whether a number is the shop's service line.
		// Not 客服: callers who pose as a shop's service desk give their
		// own number with it.
		"售后", "退款", "退货", "换货", "订单", "回电话", "回个电话", "回电", "打不通", "没接", "未接", "物流", "地址",
		"call me back", "refund", "order number"}
	// invoiceCues make a phone number or an e-mail address invoice talk: a
	// buyer's tax details or the address a seller sends the invoice to.
	invoiceCues = []string{"发票", "开票", "税号", "抬头", "专票", "普票", "invoice"}
	// afterSales are the delivery cues that also make an e-mail address
	// the shop's after-sales desk (售后邮箱, 退货的照片发到…).
	afterSales    = []string{"售后", "退款", "退货", "换货"}
	diversionCues = []string{"微信", "加我", "加v", "vx", "qq", "扣扣", "私聊", "私信", "私我", "便宜", "优惠", "批发", "代理", "找我",
		"联系我", "联系方式", "咨询", "拿货", "货源", "平台外", "线下", "转账", "返现", "好评返", "隐蔽", "保密发货", "whatsapp", "telegram", "wechat", "cheaper",
		"discount", "dm me", "contact me"}
)

// deliveryWords returns the matcher of the delivery, invoice and diversion
// cues, compiled once.
var deliveryWords = builtinMatcher("delivery", cueList{cueDelivery, deliveryCues}, cueList{cueInvoice, invoiceCues}, cueList{cueDiversion, diversionCues})

func isPhone(k detect.Kind) bool {
	return k == detect.Mobile || k == detect.Landline || k == detect.Hotline
}

// deliveryPhones removes from pats the phone numbers that are delivery talk
// in a comment (see SigDeliveryPhone), counting them in the signals with
// evidence of category delivery_contact, and returns the rest. t is the
// normalised text; flagged reports a lexicon hit in it of a contact word or
// of a category that is not neutral. The
// returned slice shares pats' storage.
func deliveryPhones(sc *scratch, kind, fieldName, text string, t lexicon.Text, pats []detect.Hit, flagged bool) []detect.Hit {
	if kind != anxin.ContentComment || flagged || len(pats) == 0 {
		return pats
	}
	phones := false
	for _, h := range pats {
		phones = phones || isPhone(h.Kind) || h.Kind == detect.Email
	}
	if !phones {
		return pats
	}
	m := deliveryWords()
	sc.ctx.cueHits = m.AppendScan(sc.ctx.cueHits[:0], t, "")
	cues := sc.ctx.cueHits
	for _, c := range cues {
		if m.Terms()[c.Term].Category == cueDiversion {
			return pats
		}
	}
	sc.ctx.ends = sentenceEnds(text, sc.ctx.ends[:0])
	ends := sc.ctx.ends
	// An e-mail address is delivery talk only beside an invoice or an
	// after-sales cue; the domain found inside it goes with it.
	var mail [][2]int
	for _, h := range pats {
		if h.Kind == detect.Email && sameSentence(m, cues, ends, h, true) {
			mail = append(mail, [2]int{h.Start, h.End})
		}
	}
	kept := pats[:0]
	for _, h := range pats {
		delivery := isPhone(h.Kind) && sameSentence(m, cues, ends, h, false)
		for _, sp := range mail {
			delivery = delivery || sp[0] <= h.Start && h.End <= sp[1]
		}
		if !delivery {
			kept = append(kept, h)
			continue
		}
		sc.st.sig[SigDeliveryPhone]++
		sc.st.evidence(anxin.Evidence{Kind: "pattern", Field: fieldName, Term: string(h.Kind), Category: "delivery_contact",
			Quote: h.Quote(text), Start: h.Start, End: h.End})
	}
	return kept
}

// sameSentence reports a cue in the sentence of h: an invoice or an
// after-sales cue when invoice is set, else a delivery or an invoice cue.
func sameSentence(m *lexicon.Matcher, cues []lexicon.Hit, ends []int, h detect.Hit, invoice bool) bool {
	sent := sentenceOf(ends, h.Start)
	for _, c := range cues {
		cat := m.Terms()[c.Term].Category
		mailCue := cat == cueInvoice || cat == cueDelivery && slices.Contains(afterSales, m.Terms()[c.Term].Pattern)
		if (mailCue || !invoice && cat == cueDelivery) && sentenceOf(ends, c.OrigStart) == sent {
			return true
		}
	}
	return false
}
