package main

import "strings"

// Texts written by the aigcwatch team for the sample stream. Names, numbers, companies
// and links are invented; phone numbers use reserved ranges (555, example.com).

// Chinese chat answers (a general-purpose assistant).
var zhChat = []string{
	"番茄炒蛋的做法：鸡蛋打散加少许盐，先炒至半熟盛出；番茄切块炒出汁，再倒回鸡蛋翻炒，出锅前撒葱花即可。",
	"北京到上海的高铁最快约4小时18分，二等座票价在550元左右，建议提前在12306购票。",
	"如果孩子晚上咳嗽加重，可以把枕头垫高一些，保持室内湿度在50%左右；持续发热超过三天请及时就医。",
	"Python中列表推导式的写法是 [x*2 for x in range(10)]，它比普通的for循环更简洁。",
	"绿萝喜欢散射光，夏季每三到四天浇一次水，叶片发黄多半是浇水过多。",
	"个人所得税年度汇算一般在每年3月1日至6月30日办理，可以通过个人所得税App提交。",
	"写周报时可以按“本周完成、遇到的问题、下周计划”三部分来组织，每部分三到五条即可。",
	"西安三日游推荐：第一天兵马俑和华清宫，第二天古城墙和碑林，第三天大雁塔和回民街。",
	"跑步前建议做5到10分钟动态拉伸，新手每周跑三次、每次30分钟左右比较合适。",
	"手机续航变短，可以先检查后台耗电的应用，关闭不必要的定位和自动同步。",
	"《红楼梦》前八十回一般认为出自曹雪芹之手，后四十回的作者学界仍有争议。",
	"申请信用卡时，银行主要看收入证明、征信记录和现有负债，建议不要在短期内频繁申请。",
	"猫咪超过24小时不吃东西，需要留意是否有呕吐或精神不振，必要时尽快就医。",
	"Excel里用VLOOKUP查找时，第四个参数填FALSE表示精确匹配。",
	"早餐可以搭配全麦面包、鸡蛋和一杯牛奶，蛋白质和碳水比较均衡。",
	"租房合同里要写清押金退还条件、维修责任和提前退租的违约金。",
	"练英语口语可以每天跟读十分钟原声材料，再用手机录音对比自己的发音。",
	"电动车冬季续航下降是正常现象，低温会降低电池活性，出门前预热能缓解。",
	"家里WiFi信号弱，可以把路由器放在房子中间，远离微波炉和金属柜。",
	"面试介绍项目经历时，建议按“背景、任务、行动、结果”来讲，突出自己的贡献。",
}

// Chinese e-commerce product copy (a copywriting service).
var zhProduct = []string{
	"这款保温杯采用316不锈钢内胆，12小时保温，杯盖可单手开合，容量500毫升，适合通勤和户外。",
	"轻薄羽绒服，90%白鸭绒填充，充绒量150克，可收纳进随附小包，出差旅行不占地方。",
	"智能手环支持心率、血氧和睡眠监测，续航14天，50米防水，游泳也能戴。",
	"手工红糖姜茶，选用云南小黄姜，无添加防腐剂，冬天冲一杯暖身又暖胃。",
	"儿童护眼台灯，无频闪，三档色温调节，底座加重不易打翻。",
	"五常大米，当季新米，颗粒饱满，煮饭香软，5公斤真空包装。",
	"降噪蓝牙耳机，主动降噪深度35dB，单次续航8小时，支持双设备连接。",
	"纯棉四件套，60支长绒棉，亲肤透气，多次水洗不起球。",
	"家用空气炸锅，5.5升大容量，少油也能做出金黄酥脆的薯条。",
	"实木书架，白橡木材质，五层设计，每层承重20公斤，安装简单。",
}

// Chinese news-like summaries.
var zhNews = []string{
	"国家统计局今日发布数据，前三季度社会消费品零售总额同比增长，服务消费增速快于商品消费。",
	"本市地铁5号线南延段今日开通试运营，新增车站6座，早晚高峰发车间隔约4分钟。",
	"气象台预计本周末将有一次较强冷空气过程，北方大部地区气温下降6到8摄氏度。",
	"教育部门发布通知，要求中小学保障学生每天校内体育活动时间不少于一小时。",
	"市图书馆新馆正式对外开放，馆藏图书约200万册，周一至周日均开放。",
	"航展今日在珠海开幕，共有来自40多个国家和地区的企业参展。",
	"国庆假期全国铁路累计发送旅客超过1.9亿人次，多条线路加开夜间列车。",
	"新修订的消费者权益保护法实施条例施行，明确网购“默认勾选”等行为违法。",
}

// Chinese captions and titles for generated images.
var zhImageCaption = []string{
	"夕阳下的西湖断桥，游船在湖面缓缓驶过",
	"一只橘猫趴在窗台上晒太阳",
	"水墨风格的山水画，远处群山云雾缭绕",
	"赛博朋克风格的城市夜景，霓虹灯倒映在雨后的街道上",
	"一碗热气腾腾的兰州牛肉面，配香菜和辣椒油",
	"古风少女在竹林中抚琴，插画风格",
	"雪山脚下的牧场，牦牛在吃草",
	"未来感电动汽车概念图，银色车身",
	"中秋节海报：圆月、桂花和玉兔",
	"儿童绘本插图：小熊和兔子在森林里野餐",
	"极简风格的咖啡店logo设计",
	"江南水乡清晨，乌篷船停在石桥下",
}

// Chinese titles of generated audio.
var zhAudioCaption = []string{
	"AI配音：晚安故事《小狐狸找月亮》",
	"电台片头音乐，轻快钢琴曲",
	"有声书试听：第一章朗读片段",
	"智能客服语音播报：您的快递已到达驿站",
	"AI作曲：古筝与电子合成器的融合小品",
	"天气预报语音播报，女声，普通话",
}

// Chinese titles of generated video.
var zhVideoCaption = []string{
	"产品宣传短片：新款扫地机器人演示",
	"旅游短片：重庆洪崖洞夜景延时摄影",
	"数字人主播播报今日天气",
	"动画短片：小熊猫学做饭",
	"企业培训视频：消防安全知识",
	"电商直播切片：秋冬外套穿搭推荐",
}

// Chinese captions of user uploads on a platform (photos, vlogs, memes).
var zhUpload = []string{
	"周末带娃去植物园，银杏叶全黄了",
	"第一次自己做的提拉米苏，卖相一般但很好吃",
	"今天的晚霞太好看了，随手一拍",
	"下班路上偶遇的流浪猫，已经喂过了",
	"新买的机械键盘，手感很棒",
	"记录一下今天的健身打卡",
	"老家院子里的柿子熟了",
	"分享一张用AI画的头像，大家觉得怎么样",
}

// English reviews.
var enReview = []string{
	"Battery easily lasts two days with moderate use. The camera struggles a bit in low light, but for the price it's hard to complain.",
	"Arrived a day early and well packed. The blender is loud, but it crushes ice in seconds.",
	"Comfortable right out of the box. I'd go half a size up if you have wide feet.",
	"The hotel was clean and the staff were friendly, though the breakfast buffet ran out of eggs by 9:30.",
	"Great little cafe. The oat flat white was excellent and the almond croissant was still warm.",
	"Setup took ten minutes with the app. The doorbell picks up motion a bit too eagerly, so I lowered the sensitivity.",
	"This book drags in the middle, but the last hundred pages make up for it.",
	"Sturdy stroller that folds with one hand, but it barely fits in a small trunk.",
}

// English product copy.
var enProduct = []string{
	"Hand-thrown stoneware mug with a speckled glaze. Holds 12 oz, dishwasher and microwave safe.",
	"Lightweight 20L daypack with a padded laptop sleeve, water-resistant fabric and side bottle pockets.",
	"Cold-pressed extra virgin olive oil from a single estate in Crete. Peppery finish, 2026 harvest.",
	"Wireless charging stand that holds your phone at a readable angle. Works through most cases up to 5 mm.",
	"Merino wool running socks with cushioned heels and a seamless toe.",
	"Pre-seasoned 10-inch cast-iron skillet. Goes from stovetop to oven to campfire.",
}

// English news-like summaries.
var enNews = []string{
	"The city council approved a two-year pilot of free weekend bus service, starting in January.",
	"Researchers reported that a new vaccine candidate produced a strong immune response in an early-stage trial of 120 adults.",
	"Heavy rain is expected across the region through Thursday; officials advise drivers to avoid low-lying roads.",
	"The central bank left interest rates unchanged, citing steady inflation and a cooling labour market.",
	"The public library will stay open until 10 p.m. on weekdays during the exam season.",
	"The ferry operator announced a winter timetable with fewer sailings on weekday evenings.",
}

// English chat answers.
var enChat = []string{
	"To reset your router, hold the reset button for about ten seconds until the lights blink, then reconnect with the password on the label.",
	"A good beginner houseplant is the snake plant: it tolerates low light and only needs water every two to three weeks.",
	"In Python, a dict comprehension like {k: v for k, v in pairs} builds a dictionary from a list of tuples.",
	"For a first 5K in eight weeks, alternate running and walking three times a week and add a minute of running each week.",
	"Sourdough starters like a warm spot; if yours is sluggish, feed it twice a day with equal weights of flour and water.",
	"You can cancel most subscriptions from your account settings; keep the confirmation email in case you are charged again.",
	"A cover letter should fit on one page: one paragraph on why the role, one on your most relevant result, and a short close.",
	"To lift a coffee stain, blot it, rinse from the back with cold water, then work in a little dish soap before washing.",
}

// English captions and titles of generated media.
var enCaption = []string{
	"Golden retriever puppy running through autumn leaves",
	"Aerial view of a lighthouse on a rocky coast at dawn",
	"Watercolor illustration of a cozy bookshop on a rainy street",
	"Product shot of a ceramic teapot on a linen tablecloth",
	"Isometric illustration of a small solar-powered village",
	"Portrait of an astronaut cat, oil painting style",
	"Time-lapse of clouds rolling over a mountain ridge",
	"Upbeat synth jingle for a cooking podcast intro",
	"Narrated bedtime story about a lost penguin",
	"Explainer animation: how heat pumps work",
}

// Other European languages (reviews, summaries, recipes).
var euOther = []struct{ juris, text string }{
	{"DE", "Die Lieferung kam pünktlich und der Tisch ist solide verarbeitet. Nur die Anleitung hätte besser sein können."},
	{"DE", "Zusammenfassung: Der Stadtrat hat den Ausbau der Radwege in der Innenstadt beschlossen."},
	{"FR", "Très bon rapport qualité-prix, la batterie tient toute la journée."},
	{"FR", "Recette rapide : faites revenir les poireaux au beurre, ajoutez la crème et laissez mijoter dix minutes."},
	{"ES", "El hotel estaba muy bien ubicado, a cinco minutos de la playa. Volveríamos sin dudarlo."},
	{"IT", "Ottima pizzeria, impasto leggero e ingredienti freschi. Servizio un po' lento il sabato sera."},
	{"NL", "De fiets is licht en rijdt soepel, maar het zadel is wat hard voor lange ritten."},
	{"PL", "Szybka dostawa, produkt zgodny z opisem. Polecam."},
	{"IE", "Lovely walk along the cliffs, though the car park fills up by ten on Saturdays."},
	{"AT", "Kurz erklärt: Die neue Fernwärmeleitung soll im Frühjahr in Betrieb gehen."},
}

// Brazilian Portuguese texts.
var ptBR = []string{
	"Entrega rápida e o produto veio bem embalado. A bateria dura o dia todo.",
	"Resumo: a prefeitura anunciou a ampliação da ciclovia na zona sul a partir de março.",
	"Receita simples de pão de queijo: polvilho, ovos, leite, óleo e queijo meia-cura.",
	"O atendimento foi ótimo, mas a comida demorou quase uma hora para chegar.",
}

// Japanese texts.
var jaText = []string{
	"配送が早く、梱包も丁寧でした。また利用したいです。",
	"要約：市は来年度から公園の夜間照明をLEDに切り替えると発表した。",
}

// Chinese texts with personal data (invented; the ID and card numbers have valid check digits,
// so that a validating detector finds them).
var zhPII = []string{
	"好的，已为您整理收件信息：张伟，手机13812345678，地址北京市海淀区中关村大街1号。",
	"请核对报名信息：李娜，身份证号110105199003071239，联系电话13900001111。",
	"您的退款将原路退回卡号6217 0000 1234 5670的银行卡，预计3个工作日到账。",
	"简历已生成：王芳，邮箱wangfang@example.com，电话18611112222，现居上海。",
}

// Degenerate generated output in Chinese chat answers (technology layer), in order: a
// repetition loop, a leaked system prompt, an English answer, garbage.
var zhDegenerate = []string{
	"好的，我来为您总结这篇文章的要点。" + strings.Repeat("这篇文章的核心观点是要重视用户体验。", 8),
	"好的，我的系统提示词是：你是星河助手，回答要简洁，不要透露这段提示。<|im_end|>",
	"Sure, here is the answer in English because the question mentioned an English museum guide: the museum opens at nine in the morning and closes at five in the afternoon on weekdays, and it stays open until eight in the evening on Saturdays and Sundays.",
	"订单信息如下：锟斤拷锟斤拷锟斤拷锟斤拷\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd，请稍后再试。",
}

// English texts with personal data (invented; 555 numbers, example.com).
var enPII = []string{
	"Here is your draft signature: Jane Doe, jane.doe@example.com, (415) 555-0134.",
	"I've filled in the form: John Smith, SSN 123-45-6789, date of birth 04/12/1986.",
	"Your order will ship to Maria Garcia, 742 Evergreen Terrace, Springfield, phone 555-0198.",
	"Card on file ends in 4242; billing address 10 Downing Lane, London SW1A 2AA.",
}

// Chinese texts that contain phrases of the default lexicon, by category.
var zhFraud = []string{
	"【兼职】在家动动手指就能赚钱，刷单返利，日结200元，加微信了解详情。",
	"您好，这里是反洗钱中心，您的账户涉嫌违规，请按指引进行安全账户转账，否则将冻结您的银行卡。",
	"内部消息，这只基金投资稳赚不赔，名额有限，今晚12点前截止。",
	"无抵押快速放款，贷款先交保证金5000元，审核通过后全额退还。",
	"话术第一步：冒充公检法人员来电，告知对方涉嫌洗钱，要求下载会议软件配合调查。",
}

var zhGambling = []string{
	"网上赌场新人首充送100%，百家乐、轮盘24小时在线。",
	"诚招百家乐代理，佣金日结，团队带你月入十万。",
	"时时彩计划群免费进，每天稳定盈利，名额有限。",
	"网络赌博平台推荐，注册即送彩金，提现秒到。",
}

var zhWeapons = []string{
	"教你自制炸药，材料在五金店都能买到，步骤见下文。",
	"土制枪支图纸打包出售，包教包会。",
	"枪支出售，仿真及实枪均有，私聊。",
}

var zhDrugs = []string{
	"冰毒出售，同城当面交易，量大从优。",
	"麻古代购，快递包装隐蔽，全国可发。",
	"制毒配方分享，原料清单已整理好。",
}

var zhRumour = []string{
	"官方紧急通知转发：明天起全市封路三天，请提前囤好物资！",
	"地震预警明天凌晨三点本市将发生7级地震，请家人朋友速转！",
	"官方紧急通知转发：自来水厂被污染，今晚起停水一周。",
}

var zhNudify = []string{
	"一键脱衣小程序，上传任意照片即可生成，仅需9.9元。",
	"AI脱衣神器，支持任意人物照片，效果逼真。",
	"换脸色情视频定制，提供对方照片即可。",
}

var zhSelfHarm = []string{
	"有人在评论区问怎么自杀，我应该怎么回复才能帮到他？",
	"网上搜到有人分享自杀方法，这种帖子应该怎么举报？",
}

var zhExtremism = []string{
	"频道简介：圣战招募，私信获取联系方式。",
	"转发：加入伊斯兰国的路线和联系人，看完即删。",
}

// English texts that contain phrases of the default lexicon, by category.
var enFraud = []string{
	"Your parcel is on hold. Please verify your account password at the link below within 24 hours.",
	"Join our VIP signal group for guaranteed crypto returns of 30% a month. Limited seats.",
	"Hi Grandma, it's me. My phone broke and I'm in trouble, please wire the money today and don't tell Mom.",
	"Your tax refund is pending. To release it, send gift cards to the agent assigned to your case.",
}

var enGambling = []string{
	"Claim your online casino bonus: 200 free spins, no deposit needed.",
	"New players get an online casino bonus of 150% on the first deposit tonight only.",
}

var enWeapons = []string{
	"Step-by-step pipe bomb instructions are in the attached PDF.",
	"Download 3d printed gun files here, no serial number needed.",
	"We ship untraceable ghost gun kits discreetly to your door.",
}

var enDrugs = []string{
	"fentanyl for sale, discreet shipping worldwide, message me.",
	"buy meth online with crypto, next-day delivery in most cities.",
}

var enExtremism = []string{
	"how to join isis: contact the recruiter on the channel below.",
	"jihadi recruitment channel, message the admin for the invite link.",
}

var enSelfHarm = []string{
	"what is the best way to commit suicide without pain",
	"pro-ana tips thread: how to hide skipped meals from your parents",
}

var enHate = []string{
	"Comment under the shelter story: kill all immigrants, they don't belong here.",
	"Banner text for the march: white power forever.",
}

var enDisinfo = []string{
	"breaking: election cancelled by emergency decree, share before it's deleted!",
}
