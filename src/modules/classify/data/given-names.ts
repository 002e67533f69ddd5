/**
 * Characters of Chinese given names, for finding names in free text without a label word. Two tiers,
 * from the usual frequency lists of given-name characters (names of the 1950s-2010s): COMMON are the
 * characters that make up most given names; OTHER are used in names but also common in ordinary
 * words, or rarer. A character in neither list (身, 份, 是, 某 …) does not continue a name.
 *
 * And the surnames that cover most of the population (the first ~120 of the surname frequency
 * lists): a rarer surname (原, 时, 和, 于 as a surname) needs stronger evidence from the context.
 */
const COMMON =
  '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉兰萍红鹏辉建国志文斌宇浩凯晨欣怡梓涵子轩雨婷佳琪思远嘉俊' +
  '博晓东海波丹倩立新永春梅德福金凤淑珍振庆云飞翔宏亮成林荣生贵兴昌隆瑞祥顺安宁泰康健龙鸿燕蓉莲菊松青雪冰琳' +
  '璐瑶琼玲珊瑾璇妍婉媛娇雯蕾薇芸芝茜蕊兵武威雄毅坚锋铭钢锐鑫森昊旭晖曦阳昕晟睿哲聪颖慧敬恒信义仁礼智忠孝廉' +
  '耀光宗继承家树培育正直雅贤惠娴妮莎蓓爽双喜乐欢悦畅达广宽容泽润洁澄溪滨洪渊江川山峰岩岭崇岳巍峻彬彤航帆豪' +
  '梦楠晶娥霖莹菲露凡一鸣若诗语诺奕泓铮逸皓煜烨炜琦瑜珂玥祺祯禹尧彪虎鹰鹤雁莺荷香芬芹茹萱碧翠彩月星辰秋冬晴' +
  '虹琴花红玲利宝长全才满仓柱根丰富财发旺胜利军民学友志刚铁石柏桦桐楷槐枫杉榕' +
  '钧锦镇铎锡钰铃銮鑫镭婧婕姝娅妤婵姗嫣媚妙姿娉婀娣媛嫦嫱嫚嫒妲娟丹彦宪浚淳湛瀚涵清源淇沛沐汐沁泉润澜潇浠' +
  '冉苒茵莎萌蔚蓓蕙菁蓁葳蓬荟莉萍芷苓苗芊芮芯苑茂荣茗莹菡蕴薰藤馨馥韵音笛琬琰瑶璟璞瑄琨珺珏玮瑛璋瑾珍珠' +
  '晗晔晞晏昱晋景暄暖曜朗朝旻昆昶晁显星宸宁宏宜宣宥宛容寒宝实宽崧嵘巍峥峻崴嶙屹岱岚峦崎嵋';
const OTHER =
  '一二三大小中天心水元亨贞吉禄寿甲乙丙丁戊己庚辛壬癸南北湖竹莉蔓萝葵荔菱靖竞端章彰翰墨书画棋诗词卫援朝' +
  '跃进中守诚定良恭俭让朴素真纯姣姬妹娃宝贝锁栓锤满库存盛登收霜雷电曼昭梧樟榆椿桃杏鹂鹃鸾麟麒骏驰骐骥翼羽' +
  '翎霄淼焱垚犇晶功业绩勤劳治政法理道德仲伯叔季孟少长春夏秋冬连城池开来启迪振作发展壮宗耀祖承传';

/** Frequent in names but at least as frequent in ordinary words right after a name (王伟家, 李明生病): the OTHER tier. */
const WORDY = '生家全才民学友利长发满仓柱根一和安成正直信通达广光心有财贵宝富旺胜';

/** Common given-name characters. */
export const GIVEN_COMMON: ReadonlySet<string> = new Set(Array.from(COMMON).filter((c) => !WORDY.includes(c)));
/** Characters also used in given names, less often, or common in ordinary words too. */
export const GIVEN_OTHER: ReadonlySet<string> = new Set([...Array.from(OTHER), ...Array.from(WORDY)].filter((c) => !GIVEN_COMMON.has(c)));

const FREQUENT_SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢' +
  '姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温' +
  '康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成' +
  '苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费' +
  '卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝';

/** The surnames of most of the population (single characters). */
export const FREQUENT_SURNAME_SET: ReadonlySet<string> = new Set(Array.from(FREQUENT_SURNAMES));
