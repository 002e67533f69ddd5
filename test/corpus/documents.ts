/**
 * Labelled corpus of documents: petition-style prose (信访事项), 12345 hotline work orders, case notes
 * (案件笔记) and record lines, with every type of standards.md §1 in the forms people write them:
 * names without a label word ("此事由秦明辉负责跟进", "村民X反映", "X、Y等3人"), numbers grouped with
 * spaces, dashes, dots or brackets, context before or after a value ("1995年6月23日出生"), plates with
 * a middle dot, permits and passports, and near misses that must not be found (words that start with
 * a surname, "户主原身份证号", order numbers, wrong check digits, titles such as 王经理).
 *
 * Develop on one seed, report on another (`generateDocuments(seed, n)`): templates are assembled from
 * parts and every value is drawn at random, so two seeds share no sentence.
 */
import type { TypeId } from '../../src/modules/classify/types.ts';
import { Random } from './random.ts';
import * as v from './values.ts';
import type { Span } from './texts.ts';

type Piece = string | [TypeId, string];

// ------------------------------------------------------------------------------------------------
// Values in the forms found in documents

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝';
const COMPOUND = ['欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '慕容', '令狐', '司徒', '夏侯', '公孙', '尉迟', '长孙', '宇文', '端木', '独孤'];
/** Given-name characters, common ones first (drawn with a bias towards the front). */
const GIVEN =
  '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉兰萍红鹏辉建国志文斌宇浩凯晨欣怡梓涵子轩雨婷佳琪思远嘉俊博晓东海波丹倩立新永春梅德福金凤淑珍振庆云飞翔宏亮成林荣福生贵兴昌隆瑞祥和顺安宁泰康健龙虎豹鸿鹤雁燕莺蓉莲菊竹松柏杨柳青碧翠彩霖露雪冰清琳璐瑶琼玲珊瑾璇妍婉媛嫣娇婕雯蕾薇芸芝茜蓓蕊兵武威雄毅坚刚锋铭钢锐鑫森淼焱垚鹏程骏驰腾跃昊旭晖晓曦阳昕晟睿哲聪颖慧敬恒信义仁礼智忠孝廉耀光宗祖继承传家树培育植根基正直秀丽雅静淑贤惠婷娴妮莎蓓爽双喜乐欢笑悦怡畅达通广博宽容厚德载物佳嘉家恩泽润沛涵洁澄溪滨涛洪浩渊湘江汉川山峰岩岭崇嵩岳巍峻';
const ROLE_BEFORE = [
  '村民',
  '居民',
  '市民',
  '群众',
  '业主',
  '租户',
  '老人',
  '农民工',
  '个体户',
  '职工',
  '退休职工',
  '学生家长',
  '网格员',
  '社区主任',
  '村支书',
  '经办民警',
  '承办人',
  '工作人员',
  '律师',
  '邻居',
  '其丈夫',
  '其妻子',
  '其子',
  '其女',
  '其母亲',
  '其父亲',
  '驾驶员',
];
const VERB_AFTER = ['反映', '称', '表示', '来访', '来电', '诉称', '要求', '投诉', '举报', '提出', '认为', '说', '介绍', '陈述'];
const ROAD = [
  '人民路',
  '解放路',
  '中山路',
  '建设街',
  '和平大街',
  '胜利街',
  '新华路',
  '长江路',
  '黄河大街',
  '青年大街',
  '文化路',
  '友谊街',
  '朝阳大街',
  '燕都路',
  '龙山街',
  '迎宾路',
  '站前街',
  '光明巷',
];
const COMMUNITY = ['幸福小区', '阳光花园', '锦绣家园', '龙城苑', '翠湖新村', '金地华府', '滨河湾小区', '世纪城'];
const PETITION_TOPICS = [
  '小区供暖温度不达标，多次向物业反映未果',
  '拆迁补偿款至今未发放到位',
  '邻居私搭乱建，占用消防通道',
  '工程款被拖欠，涉及农民工工资约12万元',
  '楼上住户装修噪音扰民',
  '低保资格被取消，对复核结果有异议',
  '宅基地确权存在争议',
  '路面塌陷存在安全隐患',
  '企业违规排放污水，周边群众意见较大',
  '医保报销比例与政策规定不符',
];
const HANDLING = [
  '已转交属地街道办事处核实处理，要求7个工作日内回复',
  '经调查，反映情况基本属实，已责令限期整改',
  '已与信访人沟通解释相关政策，信访人表示理解',
  '承办单位已现场查看，协调相关部门于本周内解决',
  '已按程序答复，告知其可依法申请复查',
];
/** Prose with words that start with surname characters and must not become names. */
const NEGATIVE_PROSE = [
  '各单位要高度重视，落实常态化排查机制，及时化解矛盾纠纷。',
  '周边环境整治工作已纳入年度任务，资金由市财政统筹安排。',
  '金额较大的案件，应当按程序报请上级审批后方可办理。',
  '户主原身份证号已注销，需持户口簿到派出所办理变更。',
  '于是工作组决定向上级部门汇报，并同步通报相关单位。',
  '万达广场附近的马路两侧存在占道经营现象，石材堆放影响通行。',
  '华为公司和李宁公司的门店已完成安全检查。',
  '王府井大街、张自忠路等路段的改造方案已公示。',
  '方案明确了应急处置流程和责任分工，江河堤防巡查每日一次。',
  '林业部门将加强巡查，黄色预警期间暂停户外作业。',
  '王经理和张主任到场处理，李师傅负责维修。',
  '经核查，该户常年在外务工，房屋由亲属代管。',
  '程序上存在瑕疵的，由承办单位负责纠正。',
  '安全隐患已全部整改到位，群众满意度明显提升。',
  '高速公路管理处已安排养护，司机师傅反映的问题得到解决。',
  '全年共受理信访事项1523件，办结率98.6%，同比上升2.1个百分点。',
  '请于2024年3月31日前完成材料报送，逾期视为放弃。',
  '订单号202306150000123456已退款，流水号12012345678。',
  '证件号110105194912310021校验位错误，已退回补正。',
  '卡号6222021234567890120无效，请重新提供。',
  '编号E12345678为内部档案编号。',
  '原告诉请事项第一项，被告已于2023年6月23日履行。',
  '黄山市黄山区和张家口市的考察报告已印发。',
  '钱款去向不明，曾多次催要，何时归还尚无结果。',
  '董事会决议由公司秘书处存档，任期三年。',
  '童装店、金店和石锅拌饭店均已办理营业执照。',
  '关于加强和改进信访工作的意见已经市委常委会审议通过。',
  '包括车辆、房屋在内的财产已依法查封。',
  '经多方协调，宁可多跑一趟，也要把问题解决在基层。',
  '向阳街道和平安社区联合开展了普法宣传。',
];

function given(r: Random): string {
  // A bias towards common characters: half the draws from the first 60.
  const one = () => (r.chance(0.5) ? GIVEN[r.int(0, 59)]! : GIVEN[r.int(0, GIVEN.length - 1)]!);
  return r.chance(0.25) ? one() : one() + one();
}

export function name(r: Random): string {
  const surname = r.chance(0.04) ? r.pick(COMPOUND) : SURNAMES[r.int(0, r.chance(0.7) ? 99 : SURNAMES.length - 1)]!;
  return surname + given(r);
}

function grouped(digits: string, sizes: number[], sep: string): string {
  const out: string[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(digits.slice(at, at + n));
    at += n;
  }
  if (at < digits.length) out.push(digits.slice(at));
  return out.join(sep);
}

export function mobileText(r: Random): string {
  const n = r.pick(['13', '15', '18', '17', '19', '16', '14']) + String(r.int(0, 9)) + r.digits(8);
  const f = r.int(0, 9);
  if (f <= 3) return n;
  if (f === 4) return grouped(n, [3, 4, 4], ' ');
  if (f === 5) return grouped(n, [3, 4, 4], '-');
  if (f === 6) return `+86 ${grouped(n, [3, 4, 4], ' ')}`;
  if (f === 7) return `+86-${n}`;
  if (f === 8) return grouped(n, [3, 4, 4], '.');
  return `(+86)${n}`;
}

export function landlineText(r: Random): string {
  const area = r.pick(['024', '0421', '0411', '0416', '0419', '0427', '010', '021', '0431', '0451']);
  const local = String(r.int(2, 8)) + r.digits(area.length === 3 ? 7 : r.pick([6, 7]));
  const f = r.int(0, 5);
  if (f === 0) return `(${area})${local}`;
  if (f === 1) return `（${area}）${local}`;
  if (f === 2) return `${area}-${local}`;
  if (f === 3) return `${area} ${local}`;
  if (f === 4) return `${area}-${grouped(local, [local.length - 4], ' ')}`;
  return `${area}-${local}转${r.int(100, 899)}`;
}

export function bankCardText(r: Random): string {
  const card = v.bankCard(r);
  const f = r.int(0, 3);
  if (f === 0) return card;
  return grouped(card, [4, 4, 4, 4], f === 3 ? '-' : ' ');
}

export function residentIdText(r: Random): string {
  if (r.chance(0.05)) return v.legacyResidentId(r);
  let id = v.residentId(r);
  if (id.endsWith('X') && r.chance(0.4)) id = id.slice(0, 17) + 'x';
  if (r.chance(0.1)) return grouped(id, [6, 8], ' ');
  return id;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function birth(r: Random): string {
  const { y, m, d } = v.birthDate(r, 1940, 2015);
  return r.pick([`${y}年${m}月${d}日`, `${y}-${pad(m)}-${pad(d)}`, `${y}.${m}.${d}`, `${y}/${pad(m)}/${pad(d)}`, `${y}年${pad(m)}月${pad(d)}日`]);
}

export function plateText(r: Random): string {
  const p = v.plate(r);
  const f = r.int(0, 4);
  if (f === 0) return `${p.slice(0, 2)}·${p.slice(2)}`;
  if (f === 1) return `${p.slice(0, 2)} ${p.slice(2)}`;
  return p;
}

export function passportText(r: Random): string {
  return r.pick([
    () => 'E' + r.digits(8),
    () => r.pick(['EA', 'EB', 'EC', 'ED']) + r.digits(7),
    () => 'G' + r.digits(8),
    () => r.pick(['SE', 'DE', 'PE']) + r.digits(7),
  ])();
}

/** 往来港澳通行证 (C + 8 digits, or C + letter + 7) and 回乡证 (H/M + 8 digits, older cards 10). */
export function mainlandPermit(r: Random): string {
  return r.chance(0.6) ? 'C' + r.digits(8) : 'C' + r.pick(Array.from('ABCDEFGHJKLMN')) + r.digits(7);
}
export function homeReturnPermit(r: Random): string {
  return r.pick(['H', 'M']) + r.digits(r.chance(0.3) ? 10 : 8);
}

function liaoningAddress(r: Random): string {
  const city = r.pick([
    '沈阳市',
    '大连市',
    '鞍山市',
    '抚顺市',
    '本溪市',
    '丹东市',
    '锦州市',
    '营口市',
    '阜新市',
    '辽阳市',
    '铁岭市',
    '朝阳市',
    '盘锦市',
    '葫芦岛市',
  ]);
  const county: Record<string, string[]> = {
    沈阳市: ['和平区', '沈河区', '铁西区', '皇姑区', '浑南区'],
    大连市: ['中山区', '西岗区', '沙河口区', '甘井子区'],
    鞍山市: ['铁东区', '铁西区', '立山区'],
    抚顺市: ['新抚区', '望花区'],
    本溪市: ['平山区', '明山区'],
    丹东市: ['元宝区', '振兴区'],
    锦州市: ['古塔区', '凌河区', '太和区'],
    营口市: ['站前区', '西市区', '鲅鱼圈区'],
    阜新市: ['海州区', '细河区'],
    辽阳市: ['白塔区', '文圣区'],
    铁岭市: ['银州区', '清河区'],
    朝阳市: ['双塔区', '龙城区', '朝阳县', '建平县'],
    盘锦市: ['兴隆台区', '双台子区'],
    葫芦岛市: ['连山区', '龙港区', '兴城市'],
  };
  const c = r.pick(county[city]!);
  const withProvince = r.chance(0.4);
  const f = r.int(0, 3);
  let tail: string;
  if (f === 0) tail = `${r.pick(ROAD)}${r.int(1, 399)}号`;
  else if (f === 1) tail = `${r.pick(ROAD)}${r.int(1, 399)}号${r.int(1, 30)}栋${r.int(1, 6)}单元${r.int(1, 28)}0${r.int(1, 4)}室`;
  else if (f === 2) tail = `${r.pick(COMMUNITY)}${r.int(1, 40)}号楼${r.int(1, 6)}单元${r.int(1, 28)}0${r.int(1, 4)}室`;
  else tail = `${r.pick(['红旗', '前进', '东风', '新民', '太平'])}村${r.pick(['一', '二', '三', '四', '五'])}组`;
  return `${withProvince ? '辽宁省' : ''}${city}${c}${tail}`;
}

function addressText(r: Random): string {
  return r.chance(0.8) ? liaoningAddress(r) : v.address(r);
}

function recent(r: Random): string {
  const { y, m, d } = v.birthDate(r, 2022, 2024);
  return r.pick([`${y}年${m}月${d}日`, `${y}-${pad(m)}-${pad(d)}`]);
}

// ------------------------------------------------------------------------------------------------
// Clauses

type Clause = (r: Random, who: string) => Piece[];

const N = (n: string): Piece => ['person_name', n];

/** Ways of mentioning a person without a label word. */
const MENTIONS: ((r: Random, n: string) => Piece[])[] = [
  (r, n) => [r.pick(ROLE_BEFORE), N(n), r.pick(VERB_AFTER)],
  (r, n) => ['此事由', N(n), r.pick(['负责跟进', '负责协调', '牵头办理', '具体承办'])],
  (r, n) => [N(n), '、', N(name(r)), '等', String(r.int(2, 9)), '人', r.pick(['到市信访局上访', '联名反映', '来访'])],
  (r, n) => ['与邻居', N(n), '因', r.pick(['宅基地边界', '排水沟', '停车位', '噪音']), '问题发生纠纷'],
  (r, n) => [N(n), r.pick(['于', '在']), recent(r), r.pick(['到社区办事', '来电咨询', '到现场查看'])],
  (r, n) => ['经', N(n), '介绍，', N(name(r)), '同意调解'],
  (r, n) => [N(n), '同志', r.pick(['已到场', '表示将督促整改', '对处理结果满意'])],
  (r, n) => ['请', N(n), '于3日内补充材料'],
  (r, n) => [N(n), '的', r.pick(['儿子', '女儿', '妻子', '丈夫']), N(name(r)), r.pick(['陪同来访', '在外地务工', '代为签收'])],
  (r, n) => ['联系人', N(n), '，电话', ['cn_mobile', mobileText(r)]],
  (r, n) => ['将情况告知', N(n), '本人'],
  (r, n) => [N(n), '（', r.pick(['男', '女']), '，', String(r.int(20, 85)), '岁）', r.pick(VERB_AFTER)],
];

const CLAUSES: Clause[] = [
  (r, who) => [
    '信访人',
    N(who),
    '，',
    r.pick(['男', '女']),
    '，',
    ['date_of_birth', birth(r)],
    '出生，身份证号',
    ['cn_resident_id', residentIdText(r)],
    '，现住',
    ['address', addressText(r)],
    '。',
  ],
  (r, who) => [
    N(who),
    '，',
    r.pick(['男', '女']),
    '，公民身份号码：',
    ['cn_resident_id', residentIdText(r)],
    '，联系电话：',
    ['cn_mobile', mobileText(r)],
    '。',
  ],
  (r, who) => ['来电人', N(who), '（手机', ['cn_mobile', mobileText(r)], '）反映：', r.pick(PETITION_TOPICS), '。'],
  (r, who) => [N(who), '生于', ['date_of_birth', birth(r)], '，家住', ['address', addressText(r)], '。'],
  (r, who) => ['当事人', N(who), '，出生日期', ['date_of_birth', birth(r)], '，户籍地', ['address', addressText(r)], '。'],
  (r, who) => [
    N(who),
    r.pick(VERB_AFTER),
    r.pick(PETITION_TOPICS),
    '，联系方式',
    ['cn_mobile', mobileText(r)],
    '，座机',
    ['cn_landline', landlineText(r)],
    '。',
  ],
  (r) => ['承办单位电话', ['cn_landline', landlineText(r)], '，', r.pick(HANDLING), '。'],
  (r, who) => ['补偿款已打入', N(who), '名下银行卡', ['bank_card', bankCardText(r)], '。'],
  (r, who) => [N(who), '提供的收款账号为', ['bank_card', bankCardText(r)], '（开户行：中国工商银行朝阳分行）。'],
  (r, who) => ['驾驶人', N(who), '驾驶车牌号为', ['cn_plate', plateText(r)], '的小型轿车，于', recent(r), '在', r.pick(ROAD), '发生剐蹭。'],
  (r, who) => ['一辆', ['cn_plate', plateText(r)], '号牌的货车长期占用', N(who), '家门前通道。'],
  (r, who) => [N(who), '持护照（号码', ['passport', passportText(r)], '）办理了出境手续。'],
  (r, who) => [N(who), '出示的', ['passport', passportText(r)], '号护照已过期。'],
  (r, who) => ['港澳居民', N(who), '，回乡证号码', ['hk_macau_permit', homeReturnPermit(r)], '，来电咨询社保转移。'],
  (r, who) => [N(who), '持往来港澳通行证', ['hk_macau_permit', mainlandPermit(r)], '赴港探亲。'],
  (r, who) => ['台胞', N(who), '（台胞证号码', ['tw_permit', v.twPermit(r)], '）反映其在朝阳投资的企业遇到用地问题。'],
  (r, who) => [N(who), '的电子邮箱', ['email', v.email(r)], '，已将答复意见发送至该邮箱。'],
  (r) => ['被投诉企业统一社会信用代码', ['cn_uscc', v.uscc(r)], '，组织机构代码', ['cn_org_code', v.orgCode(r).replace(/^(.{8})-?(.)$/, '$1-$2')], '。'],
  (r) => ['网上信访来源IP：', ['ipv4', v.ipv4(r)], '，设备MAC：', ['mac', v.mac(r)], '。'],
  (r) => ['事发地点定位坐标：', ['gps', v.gpsPair(r)], '，已派员核查。'],
  (r, who) => [
    N(who),
    '，',
    ['date_of_birth', birth(r)],
    '出生，',
    r.pick(['汉族', '满族', '蒙古族', '回族']),
    '，',
    r.pick(['初中', '高中', '大专', '本科']),
    '文化。',
  ],
  (r, who) => [...MENTIONS[r.int(0, MENTIONS.length - 1)]!(r, who), '。'],
  (r, who) => [...MENTIONS[r.int(0, MENTIONS.length - 1)]!(r, who), '，', r.pick(PETITION_TOPICS), '。'],
  (r) => [r.pick(NEGATIVE_PROSE)],
  (r) => [r.pick(NEGATIVE_PROSE)],
];

/** A 12345 hotline work order: labelled fields, the prose in 诉求内容 and 处理意见. */
function workOrder(r: Random): Piece[][] {
  const who = name(r);
  return [
    [`工单编号：GD${r.int(2022, 2024)}${r.digits(8)}`],
    ['来电人：', N(who), '　来电号码：', ['cn_mobile', mobileText(r)]],
    ['诉求内容：市民', N(who), '反映', r.pick(PETITION_TOPICS), '，地址：', ['address', addressText(r)], '，要求尽快处理。'],
    ['处理意见：', r.pick(HANDLING), '。', ...(r.chance(0.5) ? ['回访人', N(name(r)), '，回访电话', ['cn_landline', landlineText(r)] as Piece, '。'] : [])],
  ];
}

/** A case note: one paragraph, several clauses about the same people. */
function caseNote(r: Random): Piece[][] {
  const who = name(r);
  const clauses = Array.from({ length: r.int(2, 5) }, () => r.pick(CLAUSES)(r, r.chance(0.6) ? who : name(r)));
  return [[recent(r), '，', ...clauses.flat()]];
}

/** A petition: a header line and a paragraph. */
function petition(r: Random): Piece[][] {
  const who = name(r);
  return [
    [`信访事项编号：XF${r.int(2022, 2024)}${r.digits(6)}`],
    [
      ...r.pick(CLAUSES.slice(0, 2))(r, who),
      ...r.pick(CLAUSES)(r, who),
      N(who),
      r.pick(VERB_AFTER),
      '：',
      r.pick(PETITION_TOPICS),
      '。',
      ...r.pick(CLAUSES)(r, name(r)),
    ],
  ];
}

/** Record lines, as exported from another system: fields separated by tabs or vertical bars. */
function recordLines(r: Random): Piece[][] {
  const sep = r.pick(['\t', '|', '，', ' ']);
  return Array.from({ length: r.int(2, 4) }, () => {
    const fields: Piece[][] = [
      [N(name(r))],
      [r.pick(['男', '女'])],
      [['cn_resident_id', residentIdText(r)]],
      [['cn_mobile', mobileText(r)]],
      [['address', addressText(r)]],
    ];
    if (r.chance(0.3)) fields.push(['证件类型：护照', sep, ['passport', passportText(r)]]);
    return fields.flatMap((f, i) => (i === 0 ? f : [sep, ...f]));
  });
}

const DOCUMENTS = [petition, workOrder, caseNote, recordLines, petition, caseNote];

export interface CorpusDocument {
  text: string;
  spans: Span[];
}

/**
 * `count` documents, joined by blank lines, with labelled spans in code points. `eol` is the line
 * ending (CRLF for files from Windows systems).
 */
export function generateDocuments(seed: number, count: number, eol = '\n'): CorpusDocument {
  const r = new Random(seed);
  let text = '';
  let offset = 0;
  const spans: Span[] = [];
  const add = (s: string, type?: TypeId) => {
    const length = Array.from(s).length;
    if (type) spans.push({ type, start: offset, end: offset + length });
    text += s;
    offset += length;
  };
  for (let i = 0; i < count; i++) {
    const lines = r.pick(DOCUMENTS)(r);
    for (const line of lines) {
      for (const piece of line) {
        if (typeof piece === 'string') add(piece);
        else add(piece[1], piece[0]);
      }
      add(eol);
    }
    add(eol);
  }
  return { text, spans };
}
