package care

import (
	"math/rand/v2"
	"strings"

	"anxin"
)

// GroupDef describes a default skill group: its display name and the
// phrases buyers, merchants and rights holders typically use for it. The
// phrases seed the classifier before any ticket has been labelled and drive
// the keyword router used as its baseline.
type GroupDef struct {
	ID       string
	Name     string
	Phrases  []string
	Business bool // works business hours rather than 24/7
}

// Groups are the twelve default skill groups.
var Groups = []GroupDef{
	{anxin.GroupAfterSales, "After-sales & refunds", []string{"退款", "退货", "申请售后", "换货", "refund", "return the item", "money back", "退款还没到账", "exchange", "七天无理由"}, false},
	{anxin.GroupLogistics, "Logistics", []string{"物流", "快递", "没收到", "包裹", "发货", "parcel", "delivery", "tracking number", "not delivered", "courier", "still not shipped", "派送"}, false},
	{anxin.GroupQuality, "Product quality", []string{"质量", "质量问题", "做工", "坏了", "破损", "broken", "poor quality", "defective", "stopped working", "掉色", "开线"}, false},
	{anxin.GroupCounterfeit, "Counterfeit", []string{"假货", "假冒", "不是正品", "高仿", "fake", "counterfeit", "not genuine", "replica", "鉴定", "防伪码"}, false},
	{anxin.GroupAllergySafety, "Allergy & safety", []string{"过敏", "红肿", "皮疹", "安全隐患", "allergy", "allergic reaction", "rash", "burned", "unsafe", "起火", "漏电", "孩子误食"}, false},
	{anxin.GroupFreshProduce, "Fresh produce", []string{"生鲜", "小龙虾", "草莓", "水果", "烂了", "变质", "死虾", "rotten", "spoiled", "crayfish", "strawberries", "not fresh", "发臭"}, false},
	{anxin.GroupLivestream, "Livestream purchases", []string{"直播间", "主播", "直播", "小黄车", "livestream", "streamer", "live stream", "host said", "直播承诺", "达人"}, false},
	{anxin.GroupMerchantSupport, "Merchant support", []string{"店铺", "保证金", "商家后台", "结算", "扣分", "my shop", "deposit", "seller centre", "payout", "penalty points", "申诉", "提现"}, true},
	{anxin.GroupIP, "IP & rights holders", []string{"侵权", "商标", "版权", "专利", "trademark", "copyright", "patent", "infringing", "brand owner", "授权书"}, true},
	{anxin.GroupPrivacySecurity, "Privacy & account security", []string{"隐私", "个人信息", "泄露", "骚扰电话", "账号被盗", "privacy", "personal data", "account hacked", "leaked", "password", "spam calls", "注销"}, false},
	{anxin.GroupPayment, "Payment", []string{"支付", "扣款", "重复扣款", "付款", "优惠券", "payment", "charged twice", "card declined", "coupon", "bill", "分期", "发票"}, false},
	{anxin.GroupComplaints, "Complaints & escalation", []string{"投诉", "差评", "态度", "不满意", "12315", "complaint", "escalate", "manager", "unacceptable", "rude", "媒体曝光", "升级处理"}, false},
}

// GroupName returns the display name of a default group, or id.
func GroupName(id string) string {
	for _, g := range Groups {
		if g.ID == id {
			return g.Name
		}
	}
	return id
}

// DefaultTargets are the SLA budgets per priority, in minutes (doc/domain.md, Care SLAs:
// first response 60 min and resolution 72 h for a normal request).
var DefaultTargets = map[string]anxin.SLATarget{
	anxin.PriorityLow:    {FirstResponseMin: 240, NextResponseMin: 480, ResolutionMin: 72 * 60},
	anxin.PriorityNormal: {FirstResponseMin: 60, NextResponseMin: 240, ResolutionMin: 72 * 60},
	anxin.PriorityHigh:   {FirstResponseMin: 30, NextResponseMin: 120, ResolutionMin: 48 * 60},
	anxin.PriorityUrgent: {FirstResponseMin: 15, NextResponseMin: 60, ResolutionMin: 24 * 60},
}

// DefaultWarnBP is the default escalation threshold: 80 % of a budget.
const DefaultWarnBP = 8000

// BusinessCalendar is the default calendar of the groups that work office
// hours: Monday to Friday, 09:00–12:00 and 13:00–18:00 Asia/Shanghai.
func BusinessCalendar() anxin.Calendar {
	day := [][2]int{{9 * 60, 12 * 60}, {13 * 60, 18 * 60}}
	c := anxin.Calendar{ID: "business", Name: "Business hours (Mon–Fri)", TimeZone: "Asia/Shanghai"}
	for wd := 1; wd <= 5; wd++ {
		c.Hours[wd] = day
	}
	return c
}

// DefaultGroups returns the default skill groups with their calendars and
// targets.
func DefaultGroups() []anxin.SkillGroup {
	out := make([]anxin.SkillGroup, 0, len(Groups))
	for _, g := range Groups {
		cal := "24x7"
		if g.Business {
			cal = "business"
		}
		t := map[string]anxin.SLATarget{}
		for k, v := range DefaultTargets {
			t[k] = v
		}
		out = append(out, anxin.SkillGroup{ID: g.ID, Name: g.Name, CalendarID: cal, Targets: t, WarnAtBP: DefaultWarnBP})
	}
	return out
}

// Example is one labelled ticket text. ID, when set (a ticket id), decides
// its side of a Split instead of the text, so tickets that repeat the same
// words land on both sides as real traffic does.
type Example struct {
	ID    string
	Text  string
	Group string
}

// SeedExamples returns n labelled examples per group built from the groups'
// phrases with filler words, deterministically for a seed. They bootstrap
// the classifier until agents have labelled real tickets; they are not
// evaluation data for real traffic.
func SeedExamples(perGroup int, seed uint64) []Example {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fillers := []string{"您好", "请问", "麻烦处理一下", "订单", "昨天买的", "hello", "please help", "my order", "I bought", "谢谢", "急", "怎么办", "这个", "again", "今天"}
	var out []Example
	for _, g := range Groups {
		for i := 0; i < perGroup; i++ {
			var b strings.Builder
			n := 1 + r.IntN(2)
			for j := 0; j < n; j++ {
				b.WriteString(fillers[r.IntN(len(fillers))])
				b.WriteByte(' ')
			}
			k := 1 + r.IntN(2)
			for j := 0; j < k; j++ {
				b.WriteString(g.Phrases[r.IntN(len(g.Phrases))])
				b.WriteByte(' ')
			}
			b.WriteString(fillers[r.IntN(len(fillers))])
			out = append(out, Example{Text: b.String(), Group: g.ID})
		}
	}
	return out
}

// KeywordRouter routes by counting group phrases found in the text; the
// group with most hits wins and ties go to the earlier group, with
// complaints as the fallback. It is the baseline the classifier is
// measured against.
type KeywordRouter struct {
	phrases [][]string
}

// NewKeywordRouter returns a router over the default groups' phrases.
func NewKeywordRouter() *KeywordRouter {
	k := &KeywordRouter{}
	for _, g := range Groups {
		ps := make([]string, len(g.Phrases))
		for i, p := range g.Phrases {
			ps[i] = strings.ToLower(p)
		}
		k.phrases = append(k.phrases, ps)
	}
	return k
}

// Route returns the group for text.
func (k *KeywordRouter) Route(text string) string {
	t := strings.ToLower(text)
	best, bestN := anxin.GroupComplaints, 0
	for i, ps := range k.phrases {
		n := 0
		for _, p := range ps {
			if strings.Contains(t, p) {
				n++
			}
		}
		if n > bestN {
			best, bestN = Groups[i].ID, n
		}
	}
	return best
}
