package lexicon

import (
	"strings"
	"unicode"
)

// pinyinTable lists toneless pinyin syllables, each followed by the common
// simplified characters read that way (about 2,500 characters). A character
// with several readings appears under each; pinyinPrimary picks the reading
// used for generated aliases.
const pinyinTable = "" +
	"a 啊阿\n" +
	"ai 爱哎唉埃挨矮艾碍癌\n" +
	"an 安按暗岸案俺氨胺鞍\n" +
	"ang 昂\n" +
	"ao 奥澳傲熬袄凹\n" +
	"ba 八吧把爸巴拔霸罢坝芭捌叭扒\n" +
	"bai 白百摆败拜柏佰\n" +
	"ban 办半班般板版搬伴扮拌瓣颁斑\n" +
	"bang 帮邦棒榜膀绑傍磅\n" +
	"bao 包保报宝抱薄饱暴爆胞堡豹鲍雹褒\n" +
	"bei 被北备背杯贝倍辈悲碑卑臂\n" +
	"ben 本奔笨\n" +
	"beng 崩泵蹦绷\n" +
	"bi 比必笔避币闭毕逼鼻彼碧壁弊臂庇蔽毙\n" +
	"bian 边变便遍编辩扁鞭贬辨辫\n" +
	"biao 表标彪膘镖\n" +
	"bie 别憋鳖\n" +
	"bin 宾滨彬斌鬓濒\n" +
	"bing 并病兵冰饼丙柄秉\n" +
	"bo 波博播拨伯薄玻泊剥勃舶脖搏驳钵铂\n" +
	"bu 不部步布补捕卜簿哺埠\n" +
	"ca 擦\n" +
	"cai 才材采财菜彩猜裁蔡踩睬\n" +
	"can 参餐残蚕惨灿\n" +
	"cang 藏仓苍舱沧\n" +
	"cao 草操曹槽糙\n" +
	"ce 策测侧厕册\n" +
	"ceng 层曾蹭\n" +
	"cha 查茶差插察叉岔诧刹\n" +
	"chai 柴拆差\n" +
	"chan 产馋缠蝉铲颤阐禅\n" +
	"chang 长场常唱厂尝肠昌偿畅倡敞\n" +
	"chao 超朝潮炒抄吵巢钞\n" +
	"che 车彻撤扯澈\n" +
	"chen 陈沉趁臣尘晨衬称辰\n" +
	"cheng 成城程称承乘诚呈撑惩橙秤\n" +
	"chi 吃持迟池尺齿赤翅斥耻痴驰\n" +
	"chong 冲充重虫宠崇\n" +
	"chou 抽丑愁臭仇筹酬绸\n" +
	"chu 出处初除础储触厨楚畜锄雏\n" +
	"chuan 传川船穿串喘\n" +
	"chuang 创窗床闯疮\n" +
	"chui 吹垂锤炊\n" +
	"chun 春纯唇蠢醇\n" +
	"chuo 戳绰\n" +
	"ci 次此词辞刺瓷磁雌赐慈\n" +
	"cong 从丛聪葱匆\n" +
	"cou 凑\n" +
	"cu 粗促醋簇\n" +
	"cuan 窜篡\n" +
	"cui 催脆翠崔摧粹\n" +
	"cun 村存寸\n" +
	"cuo 错措挫搓\n" +
	"da 大打达答搭\n" +
	"dai 代带待戴袋贷呆逮怠黛\n" +
	"dan 但单蛋担旦淡丹胆弹诞氮\n" +
	"dang 当党档挡荡\n" +
	"dao 到道导倒刀岛盗稻蹈悼\n" +
	"de 的得德\n" +
	"deng 等灯登邓凳瞪\n" +
	"di 地第低底敌帝滴弟递抵堤笛迪\n" +
	"dian 点电店典殿垫淀甸碘\n" +
	"diao 调掉吊钓雕\n" +
	"die 跌爹叠蝶碟\n" +
	"ding 定顶订丁钉鼎\n" +
	"diu 丢\n" +
	"dong 动东懂冬洞冻栋\n" +
	"dou 都斗豆抖陡逗兜\n" +
	"du 度读独毒督都堵赌渡肚杜镀\n" +
	"duan 段短断端锻缎\n" +
	"dui 对队堆兑\n" +
	"dun 吨顿盾蹲墩敦\n" +
	"duo 多夺朵躲堕舵\n" +
	"e 额俄饿鹅恶娥蛾讹\n" +
	"en 恩\n" +
	"er 而二儿耳尔饵贰\n" +
	"fa 发法罚伐乏阀筏\n" +
	"fan 反饭范犯翻番凡繁烦返泛贩帆矾\n" +
	"fang 方放房防访仿纺妨芳肪坊\n" +
	"fei 非飞费肥废肺菲匪沸诽\n" +
	"fen 分份粉纷奋愤坟芬氛焚\n" +
	"feng 风封丰峰锋蜂疯逢缝奉讽凤冯\n" +
	"fo 佛\n" +
	"fou 否\n" +
	"fu 服府复父富负附福夫副扶浮付符幅腐伏肤妇赴辅抚覆孵俘敷斧芙拂辐赋缚\n" +
	"ga 嘎\n" +
	"gai 该改概盖钙溉丐\n" +
	"gan 干感敢赶甘肝杆竿柑\n" +
	"gang 刚港钢岗纲缸杠\n" +
	"gao 高告搞稿膏糕\n" +
	"ge 个各格歌哥革隔割鸽搁阁葛胳戈\n" +
	"gei 给\n" +
	"gen 根跟\n" +
	"geng 更耕耿羹\n" +
	"gong 工公共功供宫攻贡弓恭巩拱躬\n" +
	"gou 够构购沟狗钩勾苟垢\n" +
	"gu 古故顾股骨谷鼓固姑孤估雇辜菇\n" +
	"gua 挂瓜刮寡\n" +
	"guai 怪乖拐\n" +
	"guan 关管观官馆惯冠贯罐灌\n" +
	"guang 光广逛\n" +
	"gui 规贵归轨鬼柜桂跪硅龟闺瑰\n" +
	"gun 滚棍\n" +
	"guo 国过果锅郭裹\n" +
	"ha 哈\n" +
	"hai 还海害孩亥骇\n" +
	"han 汉含寒喊汗韩函旱焊憾罕\n" +
	"hang 行航杭巷\n" +
	"hao 好号毫豪耗浩郝\n" +
	"he 和合河何核喝贺盒荷鹤赫\n" +
	"hei 黑嘿\n" +
	"hen 很恨狠痕\n" +
	"heng 横恒衡哼\n" +
	"hong 红洪宏虹轰哄鸿\n" +
	"hou 后候厚猴喉吼侯\n" +
	"hu 和户护乎湖呼胡虎互糊狐壶弧沪\n" +
	"hua 话化花华画划滑哗\n" +
	"huai 坏怀淮槐\n" +
	"huan 还换环欢缓幻患唤焕\n" +
	"huang 黄皇荒慌晃谎凰簧\n" +
	"hui 会回汇灰挥辉毁惠绘悔恢徽贿慧\n" +
	"hun 混婚昏魂浑\n" +
	"huo 或活火获货伙祸惑霍\n" +
	"ji 机几及记级基即计集济际技极积击急继纪迹激疾吉辑寄季绩籍鸡肌饥剂挤忌妓\n" +
	"jia 家加价假架甲佳夹嘉驾嫁稼贾钾\n" +
	"jian 见间建件检简坚减剑健尖监渐键鉴舰肩兼艰荐煎拣捡碱剪践溅\n" +
	"jiang 将讲江降奖姜僵浆酱疆\n" +
	"jiao 交教较叫角脚焦觉胶娇郊浇骄椒搅缴\n" +
	"jie 界接结节解街姐届借介阶杰洁截皆揭戒劫竭\n" +
	"jin 进金今近尽紧仅禁劲津斤锦筋晋浸襟\n" +
	"jing 经精京境警竟静惊景井镜净敬径晶竞颈鲸\n" +
	"jiong 窘\n" +
	"jiu 就九旧究久酒救纠揪舅\n" +
	"ju 局举据具句聚剧巨居拒距菊橘矩俱惧锯\n" +
	"juan 卷捐娟倦绢\n" +
	"jue 决觉绝角掘爵倔诀\n" +
	"jun 军均君菌俊骏\n" +
	"ka 卡咖\n" +
	"kai 开凯慨楷\n" +
	"kan 看刊砍堪\n" +
	"kang 康抗扛炕\n" +
	"kao 考靠烤\n" +
	"ke 可科克客课刻颗渴壳柯棵咳苛\n" +
	"ken 肯恳啃垦\n" +
	"keng 坑\n" +
	"kong 空控孔恐\n" +
	"kou 口扣寇\n" +
	"ku 苦库哭酷裤枯窟\n" +
	"kua 跨夸垮\n" +
	"kuai 快块筷会\n" +
	"kuan 宽款\n" +
	"kuang 况矿狂框旷筐\n" +
	"kui 亏愧溃馈葵魁\n" +
	"kun 困昆捆坤\n" +
	"kuo 扩括阔廓\n" +
	"la 拉啦辣蜡腊喇\n" +
	"lai 来赖莱\n" +
	"lan 蓝兰烂拦篮览懒滥栏\n" +
	"lang 浪郎朗狼廊\n" +
	"lao 老劳牢涝姥捞\n" +
	"le 了乐勒\n" +
	"lei 类累雷泪垒蕾\n" +
	"leng 冷愣\n" +
	"li 里理力利立李历例离丽礼励厉梨黎粒隶璃莉狸荔\n" +
	"lian 连联练脸恋怜莲廉炼链镰帘\n" +
	"liang 量两亮良辆凉梁粮谅\n" +
	"liao 料了疗聊辽僚燎\n" +
	"lie 列烈裂劣猎\n" +
	"lin 林临邻淋琳磷鳞\n" +
	"ling 领令零灵另岭铃龄凌陵\n" +
	"liu 流六留刘柳溜瘤硫\n" +
	"long 龙隆笼聋拢垄\n" +
	"lou 楼漏露搂陋\n" +
	"lu 路露陆录鲁炉卢鹿芦颅卤禄\n" +
	"lv 律绿率虑旅铝驴屡缕\n" +
	"luan 乱卵\n" +
	"lue 略掠\n" +
	"lun 论轮伦\n" +
	"luo 落罗络逻裸洛骆萝锣\n" +
	"ma 吗马妈麻码骂嘛\n" +
	"mai 买卖麦埋迈脉\n" +
	"man 满慢漫曼蛮瞒馒\n" +
	"mang 忙盲茫芒\n" +
	"mao 毛冒贸猫帽茂矛貌\n" +
	"me 么\n" +
	"mei 没美每妹煤媒眉梅霉镁\n" +
	"men 们门闷\n" +
	"meng 梦蒙猛盟孟萌\n" +
	"mi 米密秘迷蜜谜弥眯\n" +
	"mian 面免棉眠绵缅\n" +
	"miao 秒苗描妙庙\n" +
	"mie 灭蔑\n" +
	"min 民敏闽悯\n" +
	"ming 明名命鸣铭\n" +
	"miu 谬\n" +
	"mo 模末莫摸磨魔默墨膜抹漠\n" +
	"mou 某谋\n" +
	"mu 目母木幕墓慕牧姆亩穆\n" +
	"na 那拿纳哪娜\n" +
	"nai 乃奶耐\n" +
	"nan 南男难\n" +
	"nang 囊\n" +
	"nao 脑闹恼\n" +
	"ne 呢\n" +
	"nei 内\n" +
	"nen 嫩\n" +
	"neng 能\n" +
	"ni 你尼泥拟逆腻\n" +
	"nian 年念粘\n" +
	"niang 娘酿\n" +
	"niao 鸟尿\n" +
	"nie 捏聂\n" +
	"nin 您\n" +
	"ning 宁凝拧柠\n" +
	"niu 牛扭纽\n" +
	"nong 农弄浓\n" +
	"nu 女怒奴努\n" +
	"nuan 暖\n" +
	"nue 虐疟\n" +
	"nuo 诺挪\n" +
	"ou 欧偶呕殴\n" +
	"pa 怕爬帕\n" +
	"pai 派排拍牌\n" +
	"pan 判盘盼攀叛畔\n" +
	"pang 旁胖庞\n" +
	"pao 跑炮泡抛袍\n" +
	"pei 配陪培赔佩\n" +
	"pen 盆喷\n" +
	"peng 朋碰棚蓬膨鹏\n" +
	"pi 批皮匹披疲脾屁辟僻\n" +
	"pian 片篇偏骗\n" +
	"piao 票漂飘\n" +
	"pin 品拼频贫聘\n" +
	"ping 平评瓶凭屏苹萍\n" +
	"po 破坡迫婆颇泼\n" +
	"pou 剖\n" +
	"pu 普铺扑朴谱葡浦\n" +
	"qi 起其气期七器企汽奇齐骑旗弃妻启戚欺漆岂棋\n" +
	"qia 恰洽\n" +
	"qian 前钱千签欠浅迁潜牵铅谦遣歉\n" +
	"qiang 强枪墙抢腔\n" +
	"qiao 桥巧悄敲瞧乔翘\n" +
	"qie 且切窃茄\n" +
	"qin 亲琴勤秦侵禽寝\n" +
	"qing 情请青清轻庆倾晴氢\n" +
	"qiong 穷琼\n" +
	"qiu 求球秋丘\n" +
	"qu 去区取曲趣渠驱屈躯\n" +
	"quan 全权泉劝拳券圈犬\n" +
	"que 却确缺雀\n" +
	"qun 群裙\n" +
	"ran 然燃染\n" +
	"rang 让嚷壤\n" +
	"rao 绕扰饶\n" +
	"re 热惹\n" +
	"ren 人认任仁忍刃韧\n" +
	"reng 仍扔\n" +
	"ri 日\n" +
	"rong 容荣融绒溶熔\n" +
	"rou 肉柔揉\n" +
	"ru 如入乳儒\n" +
	"ruan 软\n" +
	"rui 瑞锐\n" +
	"run 润闰\n" +
	"ruo 若弱\n" +
	"sa 撒洒萨\n" +
	"sai 赛塞腮\n" +
	"san 三散伞\n" +
	"sang 桑丧嗓\n" +
	"sao 扫嫂骚\n" +
	"se 色涩瑟\n" +
	"sen 森\n" +
	"sha 杀沙傻啥纱砂鲨\n" +
	"shai 晒筛\n" +
	"shan 山善闪衫扇删陕\n" +
	"shang 上商伤尚赏\n" +
	"shao 少烧绍稍勺哨\n" +
	"she 设社射涉舍蛇摄舌\n" +
	"shei 谁\n" +
	"shen 身深神什甚审伸申肾慎渗婶\n" +
	"sheng 生声省胜升圣盛剩牲绳\n" +
	"shi 是时十事实使世市式示识始石师试失史施视室势食士适氏释湿诗饰尸驶誓逝\n" +
	"shou 手受收首守售授寿兽瘦\n" +
	"shu 数书术树输属熟鼠署述束叔舒殊蔬薯梳暑\n" +
	"shua 刷耍\n" +
	"shuai 帅摔衰甩\n" +
	"shuan 拴涮\n" +
	"shuang 双爽霜\n" +
	"shui 水谁税睡\n" +
	"shun 顺瞬\n" +
	"shuo 说硕烁\n" +
	"si 四思死司私斯丝似寺饲撕\n" +
	"song 送宋松颂诵耸\n" +
	"sou 搜艘\n" +
	"su 速素苏诉塑宿肃俗酥\n" +
	"suan 算酸蒜\n" +
	"sui 虽随岁碎遂穗隧\n" +
	"sun 孙损笋\n" +
	"suo 所锁缩索\n" +
	"ta 他她它塔踏\n" +
	"tai 太台态泰抬胎\n" +
	"tan 谈探弹坦摊贪滩叹毯炭碳\n" +
	"tang 堂唐糖汤躺趟塘烫\n" +
	"tao 套讨逃桃陶淘涛掏\n" +
	"te 特\n" +
	"teng 疼腾藤\n" +
	"ti 提题体替梯踢剃\n" +
	"tian 天田填甜添\n" +
	"tiao 条调跳挑\n" +
	"tie 铁贴\n" +
	"ting 听停庭挺厅亭\n" +
	"tong 同通统痛童铜筒桶\n" +
	"tou 头投透偷\n" +
	"tu 图土突途徒涂吐兔\n" +
	"tuan 团\n" +
	"tui 推退腿\n" +
	"tun 吞屯\n" +
	"tuo 托脱拖妥驼\n" +
	"wa 挖娃瓦袜\n" +
	"wai 外歪\n" +
	"wan 万完晚玩湾碗弯挽丸顽\n" +
	"wang 王望往网忘亡旺汪\n" +
	"wei 为位未委卫维围微威伟味尾危谓慰唯违魏胃喂伪\n" +
	"wen 问文闻温稳吻纹\n" +
	"weng 翁\n" +
	"wo 我握卧窝沃\n" +
	"wu 无五物务武午误屋吴舞乌污雾悟伍\n" +
	"xi 系西细息希习喜席洗戏吸析惜锡稀袭溪熙膝牺\n" +
	"xia 下夏峡虾吓霞狭瞎侠\n" +
	"xian 现先线显县限险鲜仙献闲陷宪纤嫌弦\n" +
	"xiang 想相向项香象像乡响详享箱厢\n" +
	"xiao 小笑效校消销晓孝萧\n" +
	"xie 些写谢鞋协血斜械胁泄卸\n" +
	"xin 新心信辛欣薪芯锌\n" +
	"xing 行性型兴星形姓醒幸刑\n" +
	"xiong 雄兄胸凶熊\n" +
	"xiu 修休秀绣袖锈\n" +
	"xu 需许续须序虚蓄叙徐绪\n" +
	"xuan 选宣悬旋玄\n" +
	"xue 学雪血穴靴\n" +
	"xun 训寻迅讯循巡询\n" +
	"ya 压亚牙呀鸭雅押涯崖\n" +
	"yan 研眼言严验演烟沿延盐岩燕颜艳宴掩焰\n" +
	"yang 样养阳洋扬羊杨仰氧\n" +
	"yao 要药摇腰遥咬姚邀\n" +
	"ye 也业夜叶页爷野液耶\n" +
	"yi 一以已意义议易医依衣亿艺益异移忆疑遗仪椅宜姨蚁\n" +
	"yin 因音引银印隐饮阴\n" +
	"ying 应影英营硬迎赢映鹰樱\n" +
	"yong 用永拥勇涌泳佣\n" +
	"you 有又由游友油右优幽犹邮诱悠\n" +
	"yu 于与语育遇鱼雨余预域欲宇愈娱誉玉狱渔御\n" +
	"yuan 元原员院远愿源园圆援缘袁\n" +
	"yue 月越约乐阅跃岳\n" +
	"yun 运云允孕韵晕\n" +
	"za 杂砸\n" +
	"zai 在再载灾\n" +
	"zan 赞暂咱\n" +
	"zang 脏葬藏\n" +
	"zao 早造遭燥澡灶\n" +
	"ze 则责泽择\n" +
	"zei 贼\n" +
	"zen 怎\n" +
	"zeng 增赠\n" +
	"zha 炸扎闸诈眨\n" +
	"zhai 宅摘债窄寨\n" +
	"zhan 战展站占沾斩盏粘\n" +
	"zhang 长张章掌障涨帐丈账\n" +
	"zhao 找照招召赵罩\n" +
	"zhe 这着者折哲遮\n" +
	"zhen 真阵针镇珍震诊枕\n" +
	"zheng 正政争证整征症挣睁\n" +
	"zhi 之只知制指直治至支值职质志纸致置植止执智织肢脂秩旨稚\n" +
	"zhong 中种重众终钟忠肿仲\n" +
	"zhou 周州洲轴舟皱昼\n" +
	"zhu 主住注助著逐竹祝猪朱珠株柱筑嘱\n" +
	"zhua 抓\n" +
	"zhuan 专转传赚砖撰\n" +
	"zhuang 装状壮庄撞\n" +
	"zhui 追坠缀\n" +
	"zhun 准\n" +
	"zhuo 着桌卓捉浊\n" +
	"zi 子自资字紫姿籽滋\n" +
	"zong 总综宗纵踪\n" +
	"zou 走奏\n" +
	"zu 足组族祖租阻\n" +
	"zuan 钻\n" +
	"zui 最罪嘴醉\n" +
	"zun 尊遵\n" +
	"zuo 作做坐左座\n" +
	"pu 莆蒲仆瀑\n" +
	"nu 弩\n" +
	"bi 匕\n" +
	"piao 嫖\n" +
	"chang 娼\n" +
	"xi 犀\n" +
	"fei 啡\n" +
	"yin 淫\n" +
	"wei 薇\n" +
	"tan 坛\n" +
	"luo 洛\n" +
	"bo 泊\n" +
	"yan 烟\n" +
	"xie 蝎\n" +
	"she 麝\n" +
	"ling 羚\n" +
	"pian 骗\n" +
	"gai 钙\n" +
	"zhuo 琢\n" +
	"jin 烬\n" +
	"zhi 脂\n" +
	"yi 乙\n" +
	"lun 仑\n" +
	"zuo 唑\n" +
	"jian 奸\n" +
	"mi 醚\n" +
	// Characters of the default pack's risky vocabulary.
	"kang 亢\n" +
	"zuo 佐\n" +
	"xia 匣\n" +
	"bei 呗\n" +
	"ka 咔\n" +
	"zi 咨\n" +
	"mi 咪\n" +
	"yan 咽\n" +
	"wa 哇\n" +
	"pai 哌\n" +
	"xiao 哮肖\n" +
	"pa 啪\n" +
	"ding 啶\n" +
	"hai 嗨\n" +
	"zhi 址枝汁\n" +
	"ji 姬\n" +
	"xie 屑\n" +
	"you 幼\n" +
	"ting 廷艇\n" +
	"wu 戊\n" +
	"ban 扳\n" +
	"yi 抑\n" +
	"mo 摩蘑\n" +
	"lu 撸\n" +
	"geng 梗\n" +
	"leng 棱\n" +
	"zhui 椎\n" +
	"liu 榴\n" +
	"xiang 橡\n" +
	"lv 氯\n" +
	"pan 泮\n" +
	"yan 炎\n" +
	"ju 狙\n" +
	"dai 玳\n" +
	"shan 珊\n" +
	"mao 瑁\n" +
	"hu 瑚\n" +
	"yang 疡\n" +
	"you 疣\n" +
	"pao 疱\n" +
	"zhen 疹\n" +
	"quan 痊\n" +
	"zhi 痔\n" +
	"xian 痫\n" +
	"wei 痿\n" +
	"dian 癜癫\n" +
	"xuan 癣\n" +
	"kui 盔\n" +
	"miao 瞄\n" +
	"che 砗\n" +
	"xiao 硝箫\n" +
	"tu 秃\n" +
	"jian 箭\n" +
	"su 粟\n" +
	"ying 罂\n" +
	"qiang 羟\n" +
	"gang 肛\n" +
	"yi 胰\n" +
	"wan 腕\n" +
	"fu 腹\n" +
	"xian 腺\n" +
	"ben 苯\n" +
	"hun 荤\n" +
	"guan 莞\n" +
	"bo 菠\n" +
	"zhu 蛛\n" +
	"zhi 蜘\n" +
	"hu 蝴\n" +
	"yu 逾郁\n" +
	"tong 酮\n" +
	"zhi 酯\n" +
	"na 钠\n" +
	"an 铵\n" +
	"zhuo 镯\n" +
	"sun 隼\n" +
	"xian 霰\n" +
	"liang 靓\n" +
	"tou 骰\n" +
	"ya 鸦\n" +
	""

// pinyinPrimary names the reading of characters listed under several
// syllables: the character followed by its most common reading.
const pinyinPrimary = "骰tou 莞guan 棱leng 臂bi 薄bao 差cha 称cheng 都dou 和he 还hai 觉jue 角jiao 会hui 了le 露lu 谁shui 弹dan 调diao 行xing 血xue 乐le 藏cang 粘nian 长chang 重zhong 传chuan 着zhe"

// pinyinOf maps a character to its primary toneless reading.
var pinyinOf = func() map[rune]string {
	m := make(map[rune]string, 2600)
	for _, line := range strings.Split(pinyinTable, "\n") {
		syl, chars, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		for _, c := range chars {
			if _, dup := m[c]; !dup {
				m[c] = syl
			}
		}
	}
	for _, f := range strings.Fields(pinyinPrimary) {
		rs := []rune(f)
		m[rs[0]] = string(rs[1:])
	}
	return m
}()

// Pinyin returns the toneless pinyin of the normalised text s (each Chinese
// character replaced by its primary reading, other characters kept) and its
// initials abbreviation (each Chinese character replaced by the first letter
// of its reading). ok is false if a Chinese character has no reading in the
// embedded table, or s has no Chinese character.
func Pinyin(s string) (full, initials string, ok bool) {
	var f, in strings.Builder
	han := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			p, found := pinyinOf[r]
			if !found {
				return "", "", false
			}
			han++
			f.WriteString(p)
			in.WriteByte(p[0])
			continue
		}
		f.WriteRune(r)
		in.WriteRune(r)
	}
	return f.String(), in.String(), han > 0
}
