package sim

import (
	"strings"
)

// The vocabulary the simulator writes with. The brands are fictional.

var categories = []string{
	"beauty", "personal_care", "apparel", "shoes", "bags", "electronics",
	"food_beverage", "fresh", "home", "toys", "plants", "jewelry", "sports",
}

// products per category: Chinese product nouns and a typical price in fen.
var products = map[string][]struct {
	name  string
	price int64
}{
	"beauty":        {{"保湿面霜", 15900}, {"精华液", 29900}, {"口红", 12900}, {"粉底液", 19900}, {"眼霜", 25900}},
	"personal_care": {{"洗发水", 5900}, {"沐浴露", 4900}, {"身体乳", 6900}, {"牙膏", 2500}, {"护手霜", 3900}},
	"apparel":       {{"羽绒服", 59900}, {"卫衣", 19900}, {"衬衫", 15900}, {"连衣裙", 25900}, {"牛仔裤", 19900}},
	"shoes":         {{"运动鞋", 49900}, {"跑步鞋", 39900}, {"板鞋", 29900}, {"皮鞋", 45900}, {"凉鞋", 12900}},
	"bags":          {{"双肩包", 29900}, {"手提包", 89900}, {"钱包", 19900}, {"斜挎包", 39900}, {"行李箱", 49900}},
	"electronics":   {{"蓝牙耳机", 29900}, {"充电宝", 9900}, {"智能手表", 99900}, {"数据线", 2900}, {"音箱", 19900}},
	"food_beverage": {{"坚果礼盒", 9900}, {"绿茶", 6900}, {"蜂蜜", 5900}, {"牛肉干", 4900}, {"咖啡豆", 7900}},
	"fresh":         {{"小龙虾", 12900}, {"草莓", 6900}, {"车厘子", 15900}, {"大闸蟹", 29900}, {"荔枝", 5900}},
	"home":          {{"四件套", 29900}, {"收纳盒", 3900}, {"保温杯", 8900}, {"毛巾", 2900}, {"台灯", 12900}},
	"toys":          {{"积木", 19900}, {"毛绒玩具", 7900}, {"遥控车", 15900}, {"拼图", 4900}, {"合金车模", 9900}},
	"plants":        {{"绿萝", 2900}, {"多肉组合", 3900}, {"发财树", 8900}, {"兰花", 15900}, {"仙人掌", 1900}},
	"jewelry":       {{"项链", 39900}, {"手镯", 59900}, {"耳环", 19900}, {"戒指", 49900}, {"手链", 29900}},
	"sports":        {{"瑜伽垫", 8900}, {"跳绳", 2900}, {"哑铃", 12900}, {"羽毛球拍", 19900}, {"运动水壶", 4900}},
}

var adjectives = []string{"新款", "经典", "轻薄", "加厚", "大容量", "便携", "百搭", "简约", "春季", "限定", "家用", "礼盒装"}

var brandNames = []struct{ name, category string }{
	{"星岚 Xinglan", "beauty"}, {"澜芝 Lanzhi", "beauty"}, {"北峰 Beifeng", "apparel"},
	{"云履 Yunlv", "shoes"}, {"疾风 Jifeng", "shoes"}, {"铂悦 Boyue", "bags"},
	{"曜石 Yaoshi", "bags"}, {"极光 Jiguang", "electronics"}, {"声澜 Shenglan", "electronics"},
	{"瑞时 Ruishi", "jewelry"}, {"沐雪 Muxue", "personal_care"}, {"跃动 Yuedong", "sports"},
}

// term is a phrase and its pinyin spelling, for the pinyin evasion.
type term struct{ text, pinyin string }

// lookAlikes are innocent texts containing a flagged term, per category they
// fit.
var lookAlikes = []struct{ text, category string }{
	{"仿真植物", "plants"}, {"仿真花束", "plants"}, {"高仿真度合金车模", "toys"},
	{"莆田桂圆干", "food_beverage"}, {"莆田荔枝", "fresh"}, {"QQ糖", "food_beverage"},
	{"A字裙", "apparel"}, {"1:18比例车模", "toys"}, {"仿真绿植摆件", "home"},
	{"原单价已降", "home"},
	// Everyday product words that share a character or a word with a
	// violation, written for the simulator without running the engine on
	// them: some of them a text-only check may block, and the sellers'
	// appeals then have something to overturn.
	{"仿羊绒围巾", "apparel"}, {"仿皮草外套", "apparel"}, {"仿麂皮短靴", "shoes"}, {"仿鳄鱼纹手提包", "bags"},
	{"仿珍珠耳环", "jewelry"}, {"仿古铜门把手", "home"}, {"仿大理石餐桌", "home"}, {"刀叉餐具套装", "home"},
	{"泡泡枪玩具", "toys"}, {"水枪沙滩玩具", "toys"}, {"电话手表", "electronics"}, {"取卡针", "electronics"},
	{"微醺果酒", "food_beverage"}, {"成人牙刷", "personal_care"}, {"高光粉饼", "beauty"}, {"原液精华", "beauty"},
	{"射箭护臂", "sports"}, {"拳击沙袋", "sports"}, {"复古运动鞋", "shoes"}, {"一比一还原车模", "toys"},
}

// traditional maps simplified characters of the terms to traditional ones.
var traditional = map[rune]rune{
	'仿': '倣', '货': '貨', '复': '復', '单': '單', '顶': '頂', '级': '級', '纯': '純',
	'专': '專', '柜': '櫃', '质': '質', '网': '網', '枪': '槍', '药': '藥', '头': '頭',
	'发': '發', '证': '證', '号': '號', '聊': '聊', '刷': '刷', '尾': '尾', '气': '氣',
	'针': '針', '孔': '孔', '摄': '攝', '像': '像', '刀': '刀', '具': '具', '开': '開',
	'制': '製', '管': '管', '代': '代', '孕': '孕', '国': '國', '家': '家', '对': '對',
	'绝': '絕', '效': '效', '牌': '牌', '品': '品', '最': '最', '低': '低', '私': '私',
	'下': '下', '交': '交', '易': '易', '微': '微', '信': '信', '眠': '眠', '份': '份',
	'售': '售', '出': '出', '迷': '迷', '精': '精', '超': '超', '原': '原',
	'现': '現', '务': '務', '销': '銷', '价': '價', '计': '計', '实': '實', '话': '話',
	'这': '這', '么': '麼', '应': '應', '点': '點', '优': '優', '惠': '惠',
}

// homoglyphs maps characters to look-alikes.
var homoglyphs = map[rune]rune{
	'高': '髙', '仿': '彷', 'A': 'А' /* Cyrillic */, '单': '単', '原': '厡', '复': '夏',
	'刻': '剋', 'V': 'Ѵ', 'Q': 'Ԛ', '微': '徵', '最': '冣',
	'网': '罔', '枪': '抢', '药': '葯', '1': 'l', '莆': '蒲',
}

var separators = []string{"*", " ", ".", "_", "\u200b", "-", "/", "🔥", "~"}

// evade writes t evasively in the given way and returns the text.
func (g *gen) evade(t term, kind string) string {
	switch kind {
	case EvasionSeparator:
		sep := pick(g, separators)
		rs := []rune(t.text)
		parts := make([]string, len(rs))
		for i, r := range rs {
			parts[i] = string(r)
		}
		return strings.Join(parts, sep)
	case EvasionFullWidth:
		var b strings.Builder
		for _, r := range t.text {
			if r > 0x20 && r < 0x7f {
				r += 0xfee0
			}
			b.WriteRune(r)
		}
		return b.String()
	case EvasionTraditional:
		return mapRunes(t.text, traditional)
	case EvasionHomoglyph:
		return mapRunes(t.text, homoglyphs)
	case EvasionPinyin:
		return t.pinyin
	}
	return t.text
}

// evasionFor picks an evasion kind that changes t.
func (g *gen) evasionFor(t term) string {
	kinds := []string{EvasionSeparator, EvasionFullWidth, EvasionTraditional, EvasionHomoglyph, EvasionPinyin}
	for range 8 {
		k := pick(g, kinds)
		if g.evade(t, k) != t.text {
			return k
		}
	}
	return EvasionSeparator
}

func mapRunes(s string, m map[rune]rune) string {
	var b strings.Builder
	for _, r := range s {
		if v, ok := m[r]; ok {
			r = v
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Names and places for buyers' synthetic personal data.
var (
	surnames  = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
	givenName = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉鹏飞玉梅红波斌宇浩凯琳晨欣怡子轩梓涵一诺雨桐")
	provinces = []struct{ province, city string }{
		{"广东省", "广州市"}, {"广东省", "深圳市"}, {"浙江省", "杭州市"}, {"江苏省", "南京市"},
		{"四川省", "成都市"}, {"湖北省", "武汉市"}, {"北京市", "北京市"}, {"上海市", "上海市"},
		{"福建省", "福州市"}, {"山东省", "济南市"}, {"河南省", "郑州市"}, {"湖南省", "长沙市"},
	}
	districts = []string{"朝阳区", "海淀区", "天河区", "南山区", "西湖区", "鼓楼区", "武侯区", "江汉区", "高新区", "经开区"}
	streets   = []string{"人民路", "建设路", "中山路", "解放路", "和平街", "新华路", "文化路", "青年路", "滨江大道", "长安街"}
)

// Texts for content and complaints.
var (
	streamLines = []string{
		"家人们晚上好，欢迎来到直播间", "今天给大家带来这款%s", "点击下方小黄车就能下单", "库存不多了，抓紧时间",
		"这个颜色特别百搭", "新来的宝宝点个关注", "质量大家放心，七天无理由", "我们再来看一下细节",
		"这款是我们的爆款", "今天直播间专属价", "大家有问题可以在评论区问", "这一批是刚到的货",
	}
	videoLines = []string{
		"开箱测评：%s真的好用吗", "三分钟看懂%s怎么选", "%s日常搭配分享", "实测%s一周的感受", "%s使用小技巧",
	}
	commentLines = []string{
		"已下单，期待收货", "主播讲得很清楚", "上次买的很好用，回购了", "有没有其他颜色", "什么时候发货呀",
		"包装很用心", "性价比很高", "尺码标准吗", "物流好快", "求链接",
	}
	complaintTexts = map[string][]string{
		"after_sales":      {"申请退货退款一直没人处理", "退款什么时候到账", "想换个尺码怎么操作"},
		"logistics":        {"下单好几天了还没发货", "物流三天没更新了", "快递显示签收但我没收到"},
		"quality":          {"收到的东西有破损", "质量太差了和描述不符", "用了两天就坏了"},
		"counterfeit":      {"怀疑买到假货，和专柜的不一样", "防伪码查不到，是假的吗", "商品是仿冒的"},
		"allergy_safety":   {"用了面霜脸上过敏起红疹", "使用后皮肤发痒红肿", "孩子用了出现过敏"},
		"fresh_produce":    {"收到的小龙虾都死了", "草莓烂了一大半", "水果到手已经变质"},
		"livestream":       {"直播间说的赠品没有收到", "主播承诺的价格和实际不一样", "直播间下单的订单找不到"},
		"merchant_support": {"商家不回复消息", "商家拒绝退款", "商家态度很差"},
		"ip":               {"这家店盗用了我们的商品图片", "这个商品侵犯我们的商标"},
		"privacy_security": {"下单后接到陌生骚扰电话", "怀疑个人信息被泄露", "账号被盗了"},
		"payment":          {"付款成功但订单显示未支付", "被重复扣款了", "优惠券没有抵扣"},
		"escalation":       {"投诉多次没有解决，要求平台介入", "要求平台客服主管处理", "准备向消费者协会投诉"},
	}
	carriers  = []string{"SF", "ZTO", "YTO", "STO", "YUNDA", "JD", "EMS"}
	locations = []string{"广州转运中心", "杭州转运中心", "上海分拨中心", "北京分拨中心", "武汉转运中心", "成都分拨中心", "郑州转运中心"}
)
