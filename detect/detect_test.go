package detect

import (
	"fmt"
	"strings"
	"testing"
)

// found renders hits as "kind:quote" for compact comparison.
func found(s string) []string {
	var out []string
	for _, h := range Find(s) {
		out = append(out, string(h.Kind)+":"+h.Quote(s))
	}
	return out
}

func TestFind(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		// Mobile numbers.
		{"solid", "电话13800138000", []string{"mobile:13800138000"}},
		{"spaced", "电话 138 0013 8000 详询", []string{"mobile:138 0013 8000"}},
		{"dashed", "138-0013-8000", []string{"mobile:138-0013-8000"}},
		{"full-width", "１３８００１３８０００", []string{"mobile:１３８００１３８０００"}},
		{"chinese numerals", "一三八零零一三八零零零", []string{"mobile:一三八零零一三八零零零"}},
		{"capital numerals", "壹叁捌零零壹叁捌零零零", []string{"mobile:壹叁捌零零壹叁捌零零零"}},
		{"mixed scripts", "联系1三8 零零13 八000", []string{"mobile:1三8 零零13 八000"}},
		{"spoken groups with commas", "电话一三九，零二七七，四五八一", []string{"mobile:一三九，零二七七，四五八一"}},
		{"commas between ascii groups", "139,0277,4581", nil},
		{"a list of numerals", "第一，二，三，四点要注意", nil},
		{"digit by digit", "1 3 8 0 0 1 3 8 0 0 0", []string{"mobile:1 3 8 0 0 1 3 8 0 0 0"}},
		{"country code", "+86 138 0013 8000", []string{"mobile:+86 138 0013 8000"}},
		{"yao for one", "幺三八零零幺三八零零零", []string{"mobile:幺三八零零幺三八零零零"}},
		{"two phones, comma", "13800001111,13900002222", []string{"mobile:13800001111", "mobile:13900002222"}},
		{"two phones, slash", "13800001111/13900002222", []string{"mobile:13800001111", "mobile:13900002222"}},
		{"two phones, space", "13800001111 13900002222", []string{"mobile:13800001111", "mobile:13900002222"}},
		// Landlines and service numbers.
		{"beijing", "座机 010-62345678", []string{"landline:010-62345678"}},
		{"local starts with 1", "0755-12345678", nil},
		{"shenzhen", "0755-8888 6666", []string{"landline:0755-8888 6666"}},
		{"brackets", "（0755）86668888", []string{"landline:（0755）86668888"}},
		{"solid after phone word", "电话：075586668888", []string{"landline:075586668888"}},
		{"hotline", "客服 400-820-8820", []string{"hotline:400-820-8820"}},
		{"hotline solid", "4008208820", []string{"hotline:4008208820"}},
		{"800", "800 830 1234", []string{"hotline:800 830 1234"}},
		// QQ and WeChat in context.
		{"qq", "QQ:123456789", []string{"qq:QQ:123456789"}},
		{"koukou", "扣扣 87654321", []string{"qq:扣扣 87654321"}},
		{"penguin numerals", "企鹅号 八七六五四三二一", []string{"qq:企鹅号 八七六五四三二一"}},
		{"lone q", "加我 Q：5566778", []string{"qq:Q：5566778"}},
		{"wechat", "有问题加微信 abc123 详聊", []string{"wechat:微信 abc123"}},
		{"wechat homophone", "薇信：shop_88a", []string{"wechat:薇信：shop_88a"}},
		{"vx", "vx: lucky-2024", []string{"wechat:vx: lucky-2024"}},
		{"v xin", "V信 meimei520", []string{"wechat:V信 meimei520"}},
		{"jia v", "加V→Tom_1988", []string{"wechat:加V→Tom_1988"}},
		{"wechat id english", "wechat id: kevin_shop", []string{"wechat:wechat id: kevin_shop"}},
		{"wechat is a phone", "微信同号13800138000", []string{"mobile:13800138000"}},
		{"glued after invitation", "有货加wxtom_2024", []string{"wechat:wxtom_2024"}},
		{"glued case change", "详情VXmary_88", []string{"wechat:VXmary_88"}},
		{"glued camel case", "私WeChatbob123", []string{"wechat:WeChatbob123"}},
		{"decorated lone v", "v❤ shop_2024", []string{"wechat:v❤ shop_2024"}},
		{"decorated wechat", "微❤ hao27590", []string{"wechat:微❤ hao27590"}},
		{"lone v and space", "售后 V kk54092", []string{"wechat:V kk54092"}},
		{"invited lone v glued", "加Vzz_77082", []string{"wechat:加Vzz_77082"}},
		{"satellite homophone", "卫星：tt_25240", []string{"wechat:卫星：tt_25240"}},
		{"penguin emoji", "🐧：93494942", []string{"qq:🐧：93494942"}},
		{"qiuqiu", "秋秋222990693", []string{"qq:秋秋222990693"}},
		{"kou colon", "扣：1048425016", []string{"qq:扣：1048425016"}},
		{"lone wei after invitation", "私薇ww86120", []string{"wechat:薇ww86120"}},
		{"q glued", "当天取 Q865928584", []string{"qq:Q865928584"}},
		{"dotted mobile", "call 174.4752.5309", []string{"mobile:174.4752.5309"}},
		// Links and addresses.
		{"http", "详见 https://shop.example.com/item?id=3 哦", []string{"url:https://shop.example.com/item?id=3"}},
		{"www", "www.example.cn", []string{"url:www.example.cn"}},
		{"dian com", "上 abc123点com 下单", []string{"obfuscated_url:abc123点com"}},
		{"ideographic full stop", "xyz。com", []string{"obfuscated_url:xyz。com"}},
		{"dot com", "visit mystore dot com today", []string{"obfuscated_url:mystore dot com"}},
		{"www spaces", "www abcd com", []string{"obfuscated_url:www abcd com"}},
		{"www dian", "www点abcd点cn", []string{"obfuscated_url:www点abcd点cn"}},
		{"spaced dots", "abcd . com", []string{"obfuscated_url:abcd . com"}},
		{"bare domain", "官网 example.com.cn", []string{"domain:example.com.cn"}},
		{"email", "发到 zhang.san@163.com 谢谢", []string{"email:zhang.san@163.com"}},
		{"email at word", "abc(at)gmail.com", []string{"email:abc(at)gmail.com"}},
		{"email qq", "123456@qq.com", []string{"email:123456@qq.com"}},
		{"email at", "邮箱 abc at qq.com", []string{"email:abc at qq.com"}},
		{"email ai te", "abc艾特163.com", []string{"email:abc艾特163.com"}},
		// Cards and IDs.
		{"card grouped", "卡号 6222 0212 3456 7890 128", []string{"bank_card:6222 0212 3456 7890 128"}},
		{"card solid", "6217001234567893", []string{"bank_card:6217001234567893"}},
		{"id", "身份证11010519491231002X", []string{"id_number:11010519491231002X"}},
		{"id grouped", "440305 19900307 1236", []string{"id_number:440305 19900307 1236"}},
		{"id leap day", "320106200002294562", []string{"id_number:320106200002294562"}},
		// Hard negatives.
		{"dimensions", "尺寸 30*40*50cm 13*80*01", nil},
		{"dimensions x", "180x200cm 1380x0138x000", nil},
		{"model", "iPhone 15 Pro 256G 国行", nil},
		{"model numbers", "RTX4090 i9-13900K DDR5-6400", nil},
		{"price", "原价¥1380.00 现价 138 元", nil},
		{"date", "2024-06-15 13:45 发货", nil},
		{"date slashes", "生产日期 2024/06/15 保质期 18个月", nil},
		{"order number", "订单号：13800138000", nil},
		{"order number long", "订单号 2024061512345678906", nil},
		{"long solid run", "条码6901234567892 批次 1380013800012345", nil},
		{"luhn fails", "6222021234567890123", nil},
		{"id bad check", "110105194912310021", nil},
		{"id bad date", "110105194913310028", nil},
		{"sizes list", "尺码 36 37 38 39 40 41 42 43", nil},
		{"counting", "1 2 3 4 5 6 7 8 9 10 11", nil},
		{"sim card listing", "移动流量卡 29元月租 135G全国通用 5G手机卡 电话卡 上网卡", nil},
		{"qq without context", "编号 123456789 的商品", nil},
		{"wechat pay", "支持微信支付 支付宝", nil},
		{"handle without context", "user kevin_shop 评价", nil},
		{"short after wechat", "微信 ok", nil},
		{"not a word", "maxwell devx qqmusic 123456", nil},
		{"file names", "readme.md main.go photo.jpg ASP.NET", nil},
		{"decimal", "版本 1.5 升级到 2.0", nil},
		{"q3", "Q3 财报 Q235钢材", nil},
		{"glued word without invitation", "wxyz123 vxabc99 qqmusic2024", nil},
		{"lone v handle without digits", "V neckline 纯棉", nil},
		{"volts", "12V 100000mAh 移动电源", nil},
		{"dotted decimals", "138.0013 1.5 192.168.1.1 3.1415.9265", nil},
		{"name with wei", "张薇 推荐 李薇abc", nil},
		{"kou without colon", "纽扣 扣子 12345678", nil},
		{"time of day", "早上8点开门", nil},
		{"chinese counts", "三五成群 一二三四", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(tt.text)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Find(%q) = %q; want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestFindValues(t *testing.T) {
	tests := []struct {
		text    string
		kind    Kind
		value   string
		context bool
	}{
		{"一三八 零零一三 八零零零", Mobile, "13800138000", false},
		{"报我名字打电话，一八六，三三一二，七七零九", Mobile, "18633127709", false},
		{"QQ 八七六五四三二一", QQ, "87654321", false},
		{"薇信：Shop_88A", WeChat, "shop_88a", false},
		{"户名：张三 开户行：工商银行 卡号 6222 0212 3456 7890 128 转账到这里", BankCard, "6222021234567890128", true},
		{"6217001234567893", BankCard, "6217001234567893", false},
		{"11010519491231002x", IDNumber, "11010519491231002X", false},
	}
	for _, tt := range tests {
		hs := Find(tt.text)
		if len(hs) != 1 || hs[0].Kind != tt.kind || hs[0].Value != tt.value || hs[0].Context != tt.context {
			t.Errorf("Find(%q) = %+v; want one %s %q context=%v", tt.text, hs, tt.kind, tt.value, tt.context)
		}
	}
}

// TestFindQuotes checks on hostile text that every hit quotes a non-empty
// span of the input and that hits do not overlap.
func TestFindQuotes(t *testing.T) {
	for _, s := range []string{
		"\xff\xfe138\x000013 8000", strings.Repeat("1", 5000), strings.Repeat("1 ", 3000), strings.Repeat("微信 ", 2000),
		strings.Repeat("a.com ", 1000), "http://", "www.", "@", "点com", "(0755)", "QQ:", "+86", "X", "1x",
	} {
		end := 0
		for _, h := range Find(s) {
			if h.Start < end || h.End <= h.Start || h.End > len(s) {
				t.Errorf("Find(%.30q): hit %+v out of order or empty", s, h)
			}
			end = h.End
		}
	}
}

func TestRuns(t *testing.T) {
	tests := []struct {
		text  string
		want  []string
		chars int
	}{
		{"国产精品-无码-中文字幕|在线观看_高清/免费", []string{"国产精品", "无码", "中文字幕", "在线观看", "高清", "免费"}, 18},
		{"夏季 女装 连衣裙、显瘦", []string{"夏季", "女装", "连衣裙", "显瘦"}, 9},
		{"一句完整的话。", []string{"一句完整的话"}, 6},
		{"", nil, 0},
		{"---", nil, 0},
	}
	for _, tt := range tests {
		spans, chars := Runs(tt.text, nil)
		var got []string
		for _, sp := range spans {
			got = append(got, tt.text[sp.Start:sp.End])
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || chars != tt.chars {
			t.Errorf("Runs(%q) = %q, %d; want %q, %d", tt.text, got, chars, tt.want, tt.chars)
		}
	}
	if spans, _ := Runs(strings.Repeat("a ", 1000), nil); len(spans) != MaxRuns {
		t.Errorf("Runs of 1000 words = %d runs; want %d", len(spans), MaxRuns)
	}
}

// TestShortLinks checks that a short domain is a link only when a path
// follows it (t.cn/xx8Kd), not alone (x.co).
func TestShortLinks(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"请点击 t.cn/A6xK2q 更新地址", true},
		{"型号 x.co 系列", false},
		{"比例 1/2 的 5.cn", false},
	}
	for _, tt := range tests {
		got := false
		for _, h := range Find(tt.text) {
			got = got || h.Kind == URL
		}
		if got != tt.want {
			t.Errorf("Find(%q) has a URL = %v; want %v", tt.text, got, tt.want)
		}
	}
}
