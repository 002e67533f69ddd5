/**
 * Generators of realistic values for every type of standards.md §1, and of near misses (wrong check
 * digits, impossible dates, order numbers, company names that start with a surname, street names).
 */
import { readFileSync } from 'node:fs';
import { luhnValid } from '../../src/modules/classify/recognizers/bank-card.ts';
import { orgCodeCheckChar, usccCheckChar } from '../../src/modules/classify/recognizers/enterprise.ts';
import { residentIdCheckChar } from '../../src/modules/classify/recognizers/resident-id.ts';
import type { TypeId } from '../../src/modules/classify/types.ts';
import type { Random } from './random.ts';

interface Divisions {
  provinces: [string, string][];
  cities: [string, string][];
  counties: [string, string][];
}
const divisions = JSON.parse(readFileSync(new URL('../../src/lib/data/divisions.json', import.meta.url), 'utf8')) as Divisions;
const provinceByCode = new Map(divisions.provinces);
const cityByCode = new Map(divisions.cities);
/** Counties with a known province (and usually a city), for consistent addresses and ID division codes. */
const counties = divisions.counties.filter(([code]) => provinceByCode.has(code.slice(0, 2)));

const COMMON_SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const COMPOUND = ['欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '慕容', '令狐', '司徒', '夏侯'];
const GIVEN =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯晨欣怡梓涵子轩雨婷佳琪思远嘉俊博文晓东海波丹丹倩倩立新永红春梅德福金凤淑珍振华国庆';
const ROAD_STEMS = [
  '人民',
  '解放',
  '中山',
  '建设',
  '和平',
  '胜利',
  '新华',
  '长江',
  '黄河',
  '青年',
  '文化',
  '光明',
  '友谊',
  '幸福',
  '南京北',
  '北京南',
  '太原',
  '迎宾',
  '滨江',
  '学府',
];
const ROAD_KINDS = ['路', '街', '大街', '大道', '巷'];
const DOMAINS = ['example.cn', 'mail.example.com', 'gov.example.cn', 'example.org', 'corp.example.net'];
const PINYIN = [
  'zhang',
  'wang',
  'li',
  'liu',
  'chen',
  'yang',
  'huang',
  'zhao',
  'wu',
  'zhou',
  'xu',
  'sun',
  'ma',
  'zhu',
  'hu',
  'guo',
  'he',
  'lin',
  'wei',
  'fang',
  'min',
  'jing',
  'hua',
  'ming',
  'jun',
  'yan',
];
const AREA_CODES = [
  '010',
  '020',
  '021',
  '022',
  '023',
  '024',
  '025',
  '027',
  '028',
  '029',
  '0411',
  '0755',
  '0571',
  '0512',
  '0731',
  '0871',
  '0431',
  '0451',
  '0532',
  '0591',
];
const CARD_BINS = ['622202', '621700', '622848', '623058', '621226', '622700', '625965', '436742', '955880'];
const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const ORG_BODY_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function birthDate(r: Random, from = 1935, to = 2018): { y: number; m: number; d: number } {
  const y = r.int(from, to);
  const m = r.int(1, 12);
  const d = r.int(1, m === 2 ? 28 : [4, 6, 9, 11].includes(m) ? 30 : 31);
  return { y, m, d };
}

export function residentId(r: Random): string {
  const [code] = r.pick(counties);
  const { y, m, d } = birthDate(r);
  const first17 = `${code}${y}${pad(m, 2)}${pad(d, 2)}${r.digits(3)}`;
  return first17 + residentIdCheckChar(first17);
}

export function legacyResidentId(r: Random): string {
  const [code] = r.pick(counties);
  const { y, m, d } = birthDate(r, 1935, 1985);
  return `${code}${pad(y % 100, 2)}${pad(m, 2)}${pad(d, 2)}${r.digits(3)}`;
}

/** A resident ID with a wrong check character. */
export function residentIdBadCheck(r: Random): string {
  const id = residentId(r);
  const good = id[17]!;
  const other = '0123456789X'.replace(good, '');
  return id.slice(0, 17) + r.pick(Array.from(other));
}

/** A resident ID whose birth date does not exist (Feb 30, month 13) but whose check character is right. */
export function residentIdImpossibleDate(r: Random): string {
  const [code] = r.pick(counties);
  const date = r.chance(0.5) ? `${r.int(1950, 2000)}0230` : `${r.int(1950, 2000)}13${pad(r.int(1, 28), 2)}`;
  const first17 = `${code}${date}${r.digits(3)}`;
  return first17 + residentIdCheckChar(first17);
}

/** 18-digit order numbers: yyyymmdd + 10 digits (start with 20: no province). */
export function orderNumber18(r: Random): string {
  const { y, m, d } = birthDate(r, 2019, 2024);
  return `${y}${pad(m, 2)}${pad(d, 2)}${r.digits(10)}`;
}

/** 11-digit order/serial numbers that look like phone numbers to a careless pattern. */
export function orderNumber11(r: Random): string {
  return r.pick(['10', '11', '12', '20', '30', '50', '90']) + r.digits(9);
}

export function orgCodeBody(r: Random): string {
  return r.chars(ORG_BODY_CHARS, 8);
}

export function orgCode(r: Random): string {
  const body = orgCodeBody(r);
  const check = orgCodeCheckChar(body)!;
  return r.chance(0.5) ? `${body}-${check}` : body + check;
}

export function orgCodeBadCheck(r: Random): string {
  const body = orgCodeBody(r);
  const check = orgCodeCheckChar(body)!;
  return `${body}-${check === '0' ? '1' : '0'}`;
}

export function uscc(r: Random): string {
  const [code] = r.pick(counties);
  const body = orgCodeBody(r);
  const first17 = `${r.pick(['9', '1', '5', 'Y'])}${r.pick(['1', '2', '3'])}${code}${body}${orgCodeCheckChar(body)}`;
  return first17 + usccCheckChar(first17)!;
}

export function usccBadCheck(r: Random): string {
  const good = uscc(r);
  const other = USCC_CHARS.replace(good[17]!, '');
  return good.slice(0, 17) + r.pick(Array.from(other));
}

export function mobile(r: Random): string {
  const prefix = r.pick(['13', '15', '18', '17', '19', '14', '16']) + String(r.int(0, 9));
  const n = prefix + r.digits(8);
  const f = r.next();
  if (f < 0.05) return `+86 ${n}`;
  if (f < 0.1) return `${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`;
  return n;
}

export function landline(r: Random): string {
  const area = r.pick(AREA_CODES);
  const localLength = area.length === 3 ? 8 : r.pick([7, 8]);
  const local = String(r.int(2, 8)) + r.digits(localLength - 1);
  return r.chance(0.8) ? `${area}-${local}` : area + local;
}

export function bankCard(r: Random): string {
  const bin = r.pick(CARD_BINS);
  const length = bin.startsWith('955') ? 19 : r.pick([16, 19, 19]);
  const partial = bin + r.digits(length - bin.length - 1);
  for (let d = 0; d < 10; d++) if (luhnValid(partial + d)) return partial + d;
  throw new Error('unreachable');
}

export function bankCardBadLuhn(r: Random): string {
  const card = bankCard(r);
  const last = Number(card[card.length - 1]);
  return card.slice(0, -1) + String((last + r.int(1, 9)) % 10);
}

export function email(r: Random): string {
  const local = r.pick(PINYIN) + (r.chance(0.5) ? '.' + r.pick(PINYIN) : '') + (r.chance(0.5) ? String(r.int(1, 999)) : '');
  return `${local}@${r.pick(DOMAINS)}`;
}

export function passport(r: Random): string {
  return r.chance(0.7) ? 'E' + r.digits(8) : r.pick(['EA', 'EB', 'EC']) + r.digits(7);
}

export function hkMacauPermit(r: Random): string {
  return r.chance(0.5) ? r.pick(['H', 'M']) + r.digits(8) : 'C' + r.pick(Array.from('ABCDEFGHJKLMN')) + r.digits(7);
}

export function twPermit(r: Random): string {
  return String(r.int(1, 9)) + r.digits(7);
}

export function plate(r: Random): string {
  const province = r.pick(Array.from(PLATE_PROVINCES));
  const letter = r.pick(Array.from(PLATE_LETTERS));
  const f = r.next();
  if (f < 0.1) return `${province}${letter}${r.pick(['D', 'F'])}${r.pick(Array.from('0123456789ABCDEFGHJK'))}${r.digits(4)}`;
  if (f < 0.15) return `${province}${letter}${r.digits(5)}${r.pick(['D', 'F'])}`;
  const tail = Array.from({ length: 5 }, (_, i) => (i < 2 && r.chance(0.2) ? r.pick(Array.from(PLATE_LETTERS)) : String(r.int(0, 9)))).join('');
  return province + letter + tail;
}

export function ipv4(r: Random): string {
  return [r.int(1, 223), r.int(0, 255), r.int(0, 255), r.int(1, 254)].join('.');
}

export function ipv6(r: Random): string {
  const groups = Array.from({ length: 8 }, () => r.int(0, 0xffff).toString(16));
  if (r.chance(0.5)) return `2001:db8::${groups[6]}:${groups[7]}`;
  return groups.join(':');
}

export function mac(r: Random): string {
  const sep = r.pick([':', '-']);
  return Array.from({ length: 6 }, () => r.int(0, 255).toString(16).padStart(2, '0').toUpperCase()).join(sep);
}

export function latitude(r: Random): string {
  return (18 + r.next() * 35).toFixed(6);
}
export function longitude(r: Random): string {
  return (73 + r.next() * 62).toFixed(6);
}
export function gpsPair(r: Random): string {
  return `${latitude(r)},${longitude(r)}`;
}

export function dateOfBirth(r: Random): string {
  const { y, m, d } = birthDate(r);
  const f = r.next();
  if (f < 0.6) return `${y}-${pad(m, 2)}-${pad(d, 2)}`;
  if (f < 0.8) return `${y}/${m}/${d}`;
  if (f < 0.9) return `${y}${pad(m, 2)}${pad(d, 2)}`;
  return `${y}年${m}月${d}日`;
}

export function impossibleDate(r: Random): string {
  return r.pick([`${r.int(1950, 2000)}-02-30`, `${r.int(1950, 2000)}-13-01`, `${r.int(2090, 2099)}-01-01`, `${r.int(1950, 2000)}-04-31`]);
}

export function surname(r: Random): string {
  return r.chance(0.03) ? r.pick(COMPOUND) : r.pick(Array.from(COMMON_SURNAMES));
}

export function personName(r: Random): string {
  const given = r.chance(0.3) ? r.pick(Array.from(GIVEN)) : r.pick(Array.from(GIVEN)) + r.pick(Array.from(GIVEN));
  return surname(r) + given;
}

/** 省 + 市 + 区/县 + road + number (+ unit and room). */
export function address(r: Random): string {
  const [code, county] = r.pick(counties);
  const province = provinceByCode.get(code.slice(0, 2))!;
  const city = cityByCode.get(code.slice(0, 4));
  const road = r.pick(ROAD_STEMS) + r.pick(ROAD_KINDS);
  const number = `${r.int(1, 999)}号`;
  const unit = r.chance(0.5) ? `${r.int(1, 30)}栋${r.int(1, 6)}单元${r.int(1, 30)}0${r.int(1, 4)}室` : '';
  const withProvince = r.chance(0.85) || !city;
  return (withProvince ? province : '') + (city ?? '') + county + road + number + unit;
}

/** Street names without any division: not addresses, not names (王府井大街). */
export function streetName(r: Random): string {
  return r.pick(['王府井大街', '长安街', '张自忠路', '李村大集', '高新大道', '黄河路', '周家嘴路', '陈家祠路', ...ROAD_STEMS.map((s) => s + '路')]);
}

/** Company names that start with a surname: not person names. */
export function companyName(r: Random): string {
  const s = r.pick(Array.from(COMMON_SURNAMES));
  return s + r.pick(['氏集团有限公司', '记餐饮店', '家食品厂', '宁体育用品有限公司', '大福珠宝有限公司', '氏兄弟商贸有限公司', '明建筑工程有限公司', '记']);
}

export function amount(r: Random): string {
  return (r.next() * 100000).toFixed(2);
}

export function recentDate(r: Random): string {
  const { y, m, d } = birthDate(r, 2019, 2024);
  return `${y}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** Value generator per type (valid values). */
export const VALID: Record<TypeId, (r: Random) => string> = {
  cn_resident_id: (r) => (r.chance(0.05) ? legacyResidentId(r) : residentId(r)),
  cn_uscc: uscc,
  cn_org_code: orgCode,
  cn_mobile: mobile,
  cn_landline: landline,
  bank_card: bankCard,
  email,
  passport,
  hk_macau_permit: hkMacauPermit,
  tw_permit: twPermit,
  cn_plate: plate,
  ipv4,
  ipv6,
  mac,
  gps: gpsPair,
  date_of_birth: dateOfBirth,
  person_name: personName,
  address,
};
