package norm

// homoglyphs maps Cyrillic and Greek letters that look like Latin letters to them.
// Upper-case look-alikes map to upper-case Latin so that case folding, when on,
// treats them like Latin capitals.
var homoglyphs = map[rune]rune{
	// Cyrillic lower case
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'i', 'ї': 'i', 'ј': 'j', 'к': 'k', 'м': 'm',
	'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'ԁ': 'd',
	'ԛ': 'q', 'ԝ': 'w', 'ɡ': 'g', 'ү': 'y', 'ӏ': 'l',
	// Cyrillic upper case
	'А': 'A', 'В': 'B', 'Е': 'E', 'Ё': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P',
	'С': 'C', 'Т': 'T', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'У': 'Y', 'Ү': 'Y', 'Һ': 'H',
	'Ԁ': 'D', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'I',
	// Greek lower case
	'α': 'a', 'ο': 'o', 'ν': 'v', 'ρ': 'p', 'τ': 't', 'ι': 'i', 'κ': 'k', 'χ': 'x', 'υ': 'u',
	'ϲ': 'c', 'ε': 'e', 'ω': 'w', 'γ': 'y',
	// Greek upper case
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N',
	'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'Ϲ': 'C',
}

// homoTable is homoglyphs as a dense table over U+0250..U+052F (IPA, Greek,
// Cyrillic), the only range it covers.
var homoTable = func() (t [0x530 - 0x250]rune) {
	for from, to := range homoglyphs {
		t[from-0x250] = to
	}
	return t
}()

func homoglyph(r rune) rune {
	if r >= 0x250 && r < 0x530 {
		if to := homoTable[r-0x250]; to != 0 {
			return to
		}
	}
	return r
}

// t2sPairs lists traditional characters followed by their simplified forms, pair by
// pair: common characters whose simplification is one to one. It is a small table
// (see T2SCoverage), not a converter: ambiguous characters (乾/干, 髮/發/发, 後/后,
// 著/着, 裏/里, …) are left out or mapped only where the mapping is unambiguous.
const t2sPairs = "" +
	"這这個个們们來来時时說说國国對对會会經经過过還还學学發发開开問问從从實实現现" +
	"點点麼么動动種种長长樣样關关機机進进體体業业當当兩两將将與与產产頭头見见間间" +
	"爲为為为無无線线義义聽听讓让氣气員员據据電电處处聲声區区書书報报門门記记許许" +
	"萬万話话黨党難难車车幾几條条號号認认導导義义議议變变軍军親亲術术價价們们總总" +
	"給给並并結结強强張张園园廣广東东張张華华興兴陸陆應应題题質质織织組组級级極极" +
	"歲岁歷历師师誰谁論论語语讀读調调談谈請请識识證证護护設设試试詞词該该詳详說说" +
	"視视規规覺觉觀观計计訊讯訴诉診诊評评詩诗誌志課课謝谢講讲讚赞貝贝負负貨货販贩" +
	"貧贫購购貴贵費费賣卖買买質质賽赛贏赢趙赵車车軟软輕轻較较輸输轉转辦办農农連连" +
	"運运達达違违遠远選选遺遗郵邮鄉乡醫医鐵铁錢钱銀银錯错鍵键鎮镇長长門门閉闭閒闲" +
	"閱阅隊队陽阳陰阴際际險险隨随隱隐雖虽雙双雜杂離离雞鸡雲云電电靈灵韓韩頁页順顺" +
	"須须預预領领頻频顏颜願愿類类顧顾風风飛飞飯饭飲饮餘余館馆馬马駕驾騎骑驗验體体" +
	"髮发鬥斗魚鱼鳥鸟鳳凤麥麦黃黄齊齐齒齿龍龙龜龟藥药蘭兰處处虛虚號号蟲虫蠶蚕衛卫" +
	"衝冲補补裝装製制複复襲袭見见規规親亲覽览觸触訂订訪访證证變变貓猫賊贼資资賓宾" +
	"賴赖賺赚趨趋跡迹踐践蹤踪躍跃輛辆輩辈輪轮辭辞邊边鄰邻釋释針针鋼钢錄录鍋锅鏡镜" +
	"鐘钟鑰钥閃闪閣阁闊阔陳陈陣阵隻只雛雏難难霧雾靜静響响頂顶項项順顺頓顿頸颈額额" +
	"風风颱台飄飘餓饿駐驻騙骗驅驱驚惊髒脏鬧闹魯鲁鮮鲜鳴鸣鴨鸭鵝鹅麗丽黨党齡龄傳传" +
	"傷伤僅仅億亿價价儀仪優优兒儿內内冊册凍冻劃划劇剧劑剂勞劳勢势勝胜勵励區区協协" +
	"厲厉參参叢丛吳吴員员嗎吗嘆叹團团圖图圓圆圍围場场塊块塵尘墜坠壓压壞坏夢梦奪夺" +
	"奮奋婦妇媽妈孫孙寧宁寫写寶宝實实審审對对專专尋寻層层屬属嶺岭幣币幫帮廟庙廠厂" +
	"彈弹彥彦徑径從从復复徵征憂忧懷怀態态慘惨慮虑慶庆戀恋戰战戲戏擊击擔担據据擁拥" +
	"擇择擴扩攝摄敗败數数斷断暫暂曆历會会樂乐標标樹树橋桥機机檢检權权歡欢殺杀殼壳" +
	"氣气湯汤準准溫温滅灭滿满漢汉潔洁澤泽濟济災灾為为烏乌無无煙烟熱热燈灯爭争爺爷" +
	"牆墙獄狱獨独獲获現现環环產产畫画畢毕異异療疗癡痴盜盗盡尽監监盤盘眾众礎础禮礼" +
	"禍祸種种稱称穩稳窮穷競竞筆笔築筑節节範范簡简糧粮紀纪約约紅红純纯紙纸級级細细" +
	"終终組组結结絕绝統统絲丝經经綠绿維维網网緊紧線线練练縣县總总績绩繁繁繼继續续" +
	"罰罚罵骂習习聖圣聯联職职肅肃腦脑腳脚興兴舉举艦舰藝艺蘇苏蘋苹號号虧亏蝦虾術术" +
	"衛卫裡里襪袜讓让豐丰豬猪貢贡責责貪贪貼贴賀贺賠赔賞赏賢贤質质趕赶跡迹蹟迹軌轨" +
	"載载輔辅輯辑農农邏逻郵邮醜丑釣钓鋪铺錦锦鐵铁鑒鉴門门陸陆隨随雞鸡靜静韌韧" +
	"頭头顯显飽饱餐餐驕骄騷骚鬆松魂魂鹽盐麵面黑黑點点鼓鼓齋斋龐庞殺杀淚泪滬沪濕湿" +
	"瀏浏熊熊燒烧爛烂狀状猶犹獎奖瑪玛盧卢矯矫碼码確确礙碍祿禄稅税穀谷窩窝競竞糾纠" +
	"紛纷紹绍絡络綜综緒绪緣缘縮缩織织繩绳罷罢聞闻膚肤臉脸莊庄華华葉叶蒼苍蓋盖蔣蒋" +
	"薦荐薩萨藍蓝蘿萝螢萤蠻蛮裏里補补覆覆觀观訓训託托設设詐诈詢询誇夸誠诚誤误誘诱" +
	"課课誼谊諸诸謀谋謂谓謠谣證证譜谱護护讀读豈岂貿贸賦赋賭赌贈赠趣趣蹤踪軍军輝辉" +
	"轄辖辯辩迴回遞递適适遲迟遷迁還还邁迈鄭郑醬酱鋒锋錶表鍾钟闆板闖闯闡阐陳陈隸隶" +
	"雋隽韋韦頌颂頒颁頗颇題题颶飓飢饥餅饼餵喂館馆駁驳騰腾驢驴骯肮髏髅鬱郁鮑鲍鴻鸿" +
	"鵬鹏鷹鹰麼么黴霉齣出龔龚"

var t2sTable = func() map[rune]rune {
	m := make(map[rune]rune)
	rs := []rune(t2sPairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			m[rs[i]] = rs[i+1]
		}
	}
	return m
}()

// t2sDense is t2sTable as a dense table over the CJK Unified Ideographs block.
var t2sDense = func() []rune {
	t := make([]rune, 0x9FFF-0x4E00+1)
	for from, to := range t2sTable {
		if from >= 0x4E00 && from <= 0x9FFF {
			t[from-0x4E00] = to
		}
	}
	return t
}()

// t2sHas marks, one bit per CJK Unified Ideograph, those t2sDense maps to another.
// An array, not a pointer to one: cjkRun's look-ups load no base and check no nil.
var t2sHas = func() (h [lastIdeographWord + 1]uint64) {
	for k, to := range t2sDense {
		if to != 0 {
			h[k>>6] |= 1 << (k & 63)
		}
	}
	return h
}()

// T2SCoverage returns the number of traditional characters the built-in table maps.
func T2SCoverage() int { return len(t2sTable) }

// t2s returns the simplified form of r, or r. The bitmap first: the 84 KiB table is
// read only for the characters it has (a look-up in it for each ideograph that came
// this way missed the cache often enough to show in the stream's profile).
func t2s(r rune) rune {
	if u := r - 0x4E00; u >= 0 && u <= 0x9FFF-0x4E00 && t2sHas[u>>6]&(1<<(u&63)) != 0 {
		if to := t2sDense[u]; to != 0 {
			return to
		}
	}
	return r
}
