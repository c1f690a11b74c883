package sim

import (
	"fmt"
	"strings"
)

// The simulator's own writer of violating and clean texts. Its fragments are
// written for the simulator alone, in the words a seller or spammer would
// use, and are deliberately not taken from the default policy pack or the
// evaluation corpus: the demo's ground-truth figures then measure how the
// engine does on wording it was not written against, not how well it
// recognises its own vocabulary. Each text is composed from a lead, a core
// (the violating words, which the ground truth records) and a tail, and the
// core is written evasively at random.

// core is a violating phrase with its pinyin, for the pinyin evasion.
type core = term

// violationText holds the fragments of one violation kind.
type violationText struct {
	leads, tails []string
	cores        []core
}

var violationTexts = map[string]violationText{
	ViolationCounterfeit: {
		leads: []string{"和专柜对比看不出的", "工厂同线出的", "细节对版", "老客都懂的", "原厂模具"},
		cores: []core{
			{"高仿款", "gao fang kuan"}, {"仿版", "fang ban"}, {"复刻版", "fu ke ban"}, {"一比一复刻", "yi bi yi fu ke"},
			{"原单货", "yuan dan huo"}, {"顶级仿品", "ding ji fang pin"}, {"莆田货", "pu tian huo"},
			{"精仿货", "jing fang huo"}, {"超A版", "chao A ban"}, {"A货包", "A huo bao"},
		},
		tails: []string{"介意勿拍", "懂货的来", "支持对比", "质量放心", "拍前咨询"},
	},
	ViolationProhibited: {
		leads: []string{"私人渠道", "老客户专享", "低调发货", "同城可送", "隐秘包装"},
		cores: []core{
			{"仿真手枪", "fang zhen shou qiang"}, {"气枪配件", "qi qiang pei jian"}, {"管制刀", "guan zhi dao"},
			{"迷幻药", "mi huan yao"}, {"安眠片", "an mian pian"}, {"偷拍摄像头", "tou pai she xiang tou"},
			{"代开发票", "dai kai fa piao"}, {"刷单返现", "shua dan fan xian"}, {"出售身份证", "chu shou shen fen zheng"},
			{"代孕服务", "dai yun fu wu"},
		},
		tails: []string{"不问用途", "量大优惠", "懂的私", "先到先得", "绝对安全"},
	},
	ViolationDiversion: {
		leads: []string{"平台价太高", "想便宜点的", "售后找我", "有优惠", "要同款的"},
		cores: []core{
			{"加微信", "jia wei xin"}, {"加我微信", "jia wo wei xin"}, {"微信号", "wei xin hao"},
			{"加VX", "jia VX"}, {"私下交易", "si xia jiao yi"}, {"加QQ", "jia QQ"},
		},
		tails: []string{"更便宜", "直接发货", "不走平台", "另有优惠"},
	},
	ViolationAbsoluteClaim: {
		leads: []string{"本店", "这款", "我们家", "今年"},
		cores: []core{
			{"全网最低价", "quan wang zui di jia"}, {"销量第一", "xiao liang di yi"}, {"最好用的", "zui hao yong de"},
			{"国家级品质", "guo jia ji pin zhi"}, {"百分百有效", "bai fen bai you xiao"}, {"绝对第一", "jue dui di yi"},
		},
		tails: []string{"放心买", "不服来比", "闭眼入"},
	},
}

// Clean texts that share vocabulary with violations: warnings, news and
// product words that only look risky.
var (
	cleanComments = []string{
		"有人在评论区让加微信，大家别信，是骗子", "提醒大家私下交易不受平台保护", "这家是正品，和专柜买的一样",
		"之前买到过仿的，这家是真的", "看新闻说有人卖假证被抓了", "客服说退款走平台就行", "刀具收到了，厨房用很顺手",
		"孩子的玩具水枪很好玩", "仿真绿植摆在客厅很好看",
	}
	cleanStreamLines = []string{
		"提醒家人们，找你私下转账的都是骗子", "我们家只做正品，假一赔十", "这个是仿真花，不用浇水",
		"下单请在直播间，私下交易没有保障",
	}
)

// contactForms write an off-platform contact the way spammers do.
var contactForms = []string{"微信 %s", "V：%s", "vx %s", "薇❤ %s", "加V %s", "扣扣 %d", "QQ：%d", "电话 %s"}

// violationPhrase writes a violating phrase of the kind: lead, core (evasive
// at random) and tail. It returns the text, the core and the evasion used
// ("" when none).
func (g *gen) violationPhrase(violation string, evasiveP float64) (text, coreText, evasion string) {
	vt := violationTexts[violation]
	c := pick(g, vt.cores)
	written := c.text
	if g.chance(evasiveP) {
		evasion = g.evasionFor(c)
		written = g.evade(c, evasion)
	}
	var b strings.Builder
	if g.chance(0.6) {
		b.WriteString(pick(g, vt.leads))
	}
	b.WriteString(written)
	if violation == ViolationDiversion || g.chance(0.15) {
		b.WriteString(" " + g.contact())
	}
	if g.chance(0.6) {
		b.WriteString("，" + pick(g, vt.tails))
	}
	return b.String(), c.text, evasion
}

// contact returns a contact detail in one of the spammers' forms.
func (g *gen) contact() string {
	f := pick(g, contactForms)
	switch {
	case strings.Contains(f, "%d"):
		return fmt.Sprintf(f, 10000000+g.r.IntN(900000000))
	case strings.HasPrefix(f, "电话"):
		sep := pick(g, []string{"", " ", "-"})
		return fmt.Sprintf(f, fmt.Sprintf("1%d%d%s%04d%s%04d", 3+g.r.IntN(7), g.r.IntN(10), sep, g.r.IntN(10000), sep, g.r.IntN(10000)))
	}
	return fmt.Sprintf(f, g.handle())
}
