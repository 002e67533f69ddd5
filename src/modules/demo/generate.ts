/**
 * Deterministic generators of realistic, checksum-valid Liaoning data for the demo world: names from
 * the shipped surname list, resident IDs (GB 11643) and credit codes (GB 32100) with correct check
 * characters, mobile numbers, and addresses in the province's 14 cities.
 */
import { createRequire } from 'node:module';
import { residentIdCheckChar } from '../classify/recognizers/resident-id.ts';
import { makeUscc } from '../identity/codes.ts';

const divisions = createRequire(import.meta.url)('../../lib/data/divisions.json') as {
  cities: [string, string][];
  counties: [string, string][];
};

/** The 14 cities of 辽宁 with their GB/T 2260 codes. */
export const LIAONING_CITIES = divisions.cities.filter(([code]) => code.startsWith('21')).map(([code, name]) => ({ code: `${code}00`, name }));
const COUNTIES = divisions.counties.filter(([code, name]) => code.startsWith('21') && !name.endsWith('市辖区'));

const SURNAMES =
  '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const GIVEN =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉鹏飞宇浩然博晨阳雪梅丹凤海波春燕佳琪子涵欣怡一鸣思远俊杰晓东立新振兴永胜淑珍凤兰德福';
const ROADS = [
  '中山路',
  '北京街',
  '南京街',
  '黄河大街',
  '长江路',
  '青年大街',
  '文化路',
  '胜利街',
  '和平大街',
  '新华路',
  '解放路',
  '人民街',
  '友谊路',
  '建设大路',
];
const MOBILE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '155',
  '157',
  '158',
  '159',
  '177',
  '180',
  '181',
  '186',
  '187',
  '188',
  '189',
  '199',
];
const ORG_CODE_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** mulberry32: small, fast and the same on every machine for the same seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: ArrayLike<T>): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function personName(r: Rng): string {
  const given = r.next() < 0.6 ? r.pick(GIVEN) + r.pick(GIVEN) : r.pick(GIVEN);
  return r.pick(SURNAMES) + given;
}

export function birthDate(r: Rng, from = 1940, to = 2020): string {
  const y = r.int(from, to);
  const m = r.int(1, 12);
  const d = r.int(1, m === 2 ? 28 : [4, 6, 9, 11].includes(m) ? 30 : 31);
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** A county of the given city (code prefix), or of any city. */
export function county(r: Rng, cityCode?: string): [string, string] {
  const pool = cityCode ? COUNTIES.filter(([c]) => c.startsWith(cityCode.slice(0, 4))) : COUNTIES;
  return r.pick(pool.length ? pool : COUNTIES);
}

/** A GB 11643 resident ID born on `birth`, registered in `countyCode`, odd sequence for men. */
export function residentId(r: Rng, countyCode: string, birth: string, male: boolean): string {
  let seq = r.int(0, 999);
  if ((seq % 2 === 1) !== male) seq = (seq + 1) % 1000;
  const first17 = `${countyCode}${birth.replaceAll('-', '')}${pad(seq, 3)}`;
  return first17 + residentIdCheckChar(first17);
}

export function mobile(r: Rng): string {
  return r.pick(MOBILE_PREFIXES) + r.digits(8);
}

export function address(r: Rng, city: { code: string; name: string }, countyName: string): string {
  return `辽宁省${city.name}${countyName}${r.pick(ROADS)}${r.int(1, 399)}号${r.int(1, 30)}栋${r.int(1, 6)}单元${r.int(1, 28)}0${r.int(1, 4)}室`;
}

/** A valid 统一社会信用代码 registered in the given region: an enterprise ('91') or an organ ('11'). */
export function uscc(r: Rng, region: string, kind: '91' | '11' = '91'): string {
  let body = '';
  for (let i = 0; i < 8; i++) body += r.pick(ORG_CODE_CHARS.slice(0, i === 0 ? 31 : 10));
  return makeUscc(kind[0]!, kind[1]!, region, body);
}

const TOPICS = [
  '小区冬季供暖温度长期不达标，多次向物业反映未果',
  '拆迁补偿款至今未发放到位',
  '邻居私搭乱建，占用消防通道',
  '工程款被拖欠，涉及农民工工资约12万元',
  '低保资格被取消，对复核结果有异议',
  '宅基地确权存在争议',
  '路面塌陷存在安全隐患',
  '企业违规排放污水，周边群众意见较大',
  '医保报销比例与政策规定不符',
];
const FOLLOW_UPS: ((r: Rng, name: string, other: string) => string)[] = [
  (_r, _name, other) => `此事由${other}负责跟进。`,
  (r, name, other) => `${name}、${other}等${r.int(2, 9)}人联名反映。`,
  (_r, _name, other) => `其邻居${other}也反映了同样的问题。`,
  (r, _name, other) => `经社区网格员${other}核实，情况属实，联系电话${spaced(mobile(r))}。`,
  (r, name) =>
    `${name}称已于${birthDate(r, 2023, 2023)
      .replaceAll('-', '年')
      .replace(/年(\d+)$/, '月$1日')}向街道反映。`,
];

/** 138 1234 5678: how people write numbers in letters and notes. */
function spaced(n: string): string {
  return `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`;
}

/**
 * The 事项内容 of a petition: prose about the petitioner (name, birth date, resident ID, address,
 * phone) and the people involved, as a 信访 clerk writes it.
 */
export function petitionText(r: Rng, petitioner: { name: string; phone: string; city: { code: string; name: string } }): string {
  const [countyCode, countyName] = county(r, petitioner.city.code);
  const birth = birthDate(r, 1945, 2000);
  const male = r.next() < 0.5;
  const id = residentId(r, countyCode, birth, male);
  const [y, m, d] = birth.split('-').map(Number);
  const other = personName(r);
  const phone = r.next() < 0.5 ? petitioner.phone : spaced(petitioner.phone);
  return (
    `信访人${petitioner.name}，${male ? '男' : '女'}，${y}年${m}月${d}日出生，身份证号${id}，现住${address(r, petitioner.city, countyName)}，联系电话${phone}。` +
    `${petitioner.name}反映：${r.pick(TOPICS)}，要求尽快解决。` +
    r.pick(FOLLOW_UPS)(r, petitioner.name, other)
  );
}
