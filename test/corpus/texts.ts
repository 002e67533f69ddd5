/** Labelled free-text corpus: sentences with every type in context, and near misses that must not be found. */
import type { TypeId } from '../../src/modules/classify/types.ts';
import { Random } from './random.ts';
import * as v from './values.ts';

export interface Span {
  type: TypeId;
  /** Code-point offsets, end exclusive. */
  start: number;
  end: number;
}

export interface CorpusText {
  text: string;
  spans: Span[];
}

type Piece = string | [TypeId, string];

const SENTENCES: ((r: Random) => Piece[])[] = [
  (r) => [
    '申请人',
    ['person_name', v.personName(r)],
    '，身份证号',
    ['cn_resident_id', v.VALID.cn_resident_id(r)],
    '，联系电话',
    ['cn_mobile', v.mobile(r).replace(/[ -]/g, '')],
    '。',
  ],
  (r) => [
    '请联系',
    ['person_name', v.personName(r)],
    r.pick(['先生', '女士']),
    '，办公电话',
    ['cn_landline', `${v.landline(r).replace(/^(0(?:10|2\d|\d{3}))-?/, '$1-')}`],
    '。',
  ],
  (r) => ['住址：', ['address', v.address(r)], '。'],
  (r) => ['电子邮箱：', ['email', v.email(r)], '；如有疑问请回复。'],
  (r) => ['统一社会信用代码：', ['cn_uscc', v.uscc(r)], '，组织机构代码：', ['cn_org_code', v.orgCode(r).replace(/^(.{8})-?(.)$/, '$1-$2')], '。'],
  (r) => ['银行卡号：', ['bank_card', v.bankCard(r)], '，开户行：中国工商银行。'],
  (r) => [
    '护照号码：',
    ['passport', v.passport(r)],
    '；港澳通行证：',
    ['hk_macau_permit', v.hkMacauPermit(r)],
    '；台胞证号码：',
    ['tw_permit', v.twPermit(r)],
    '。',
  ],
  (r) => ['车牌号码', ['cn_plate', v.plate(r)], '的车辆于', v.recentDate(r), '驶入停车场。'],
  (r) => ['服务器IP ', ['ipv4', v.ipv4(r)], '，IPv6 ', ['ipv6', v.ipv6(r)], '，MAC ', ['mac', v.mac(r)], '。'],
  (r) => ['定位坐标：', ['gps', v.gpsPair(r)], '。'],
  (r) => ['出生日期：', ['date_of_birth', v.dateOfBirth(r).replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')], '。'],
  (r) => ['姓名：', ['person_name', v.personName(r)], '，性别：', r.pick(['男', '女']), '。'],
  // near misses
  (r) => ['订单号', v.orderNumber18(r), '已发货，流水号', v.orderNumber11(r), '。'],
  (r) => ['证件号', v.residentIdBadCheck(r), '校验位错误；', v.residentIdImpossibleDate(r), '日期不存在。'],
  (r) => [v.companyName(r), '成立于2010年，法定代表人', ['person_name', v.personName(r)], '。'],
  (r) => [v.streetName(r), '附近很热闹，', v.streetName(r), '正在施工。'],
  (r) => ['金额', v.amount(r), '元，日期', v.recentDate(r), '，数量', String(r.int(1, 99999999)), '。'],
  (r) => ['卡号', v.bankCardBadLuhn(r), '无效，编号', v.passport(r), '。'],
  (r) => ['出生日期：', v.impossibleDate(r), '（有误）。'],
];

/** `count` sentences (every template in turn), joined by newlines, with the spans in code points. */
export function generateText(seed: number, count: number): CorpusText {
  const r = new Random(seed);
  return assembleLines(Array.from({ length: count }, (_, i) => SENTENCES[i % SENTENCES.length]!(r)));
}

/** Lines of labelled pieces joined by newlines, with the spans in code points. */
export function assembleLines(lines: readonly (readonly (string | [TypeId, string])[])[]): CorpusText {
  let text = '';
  let offset = 0;
  const spans: Span[] = [];
  for (const line of lines) {
    for (const piece of line) {
      const s = typeof piece === 'string' ? piece : piece[1];
      const length = Array.from(s).length;
      if (typeof piece !== 'string') spans.push({ type: piece[0], start: offset, end: offset + length });
      text += s;
      offset += length;
    }
    text += '\n';
    offset += 1;
  }
  return { text, spans };
}

/** Unlabelled text sentences for large files (throughput). */
export function* textSentences(seed: number): Generator<string> {
  const r = new Random(seed);
  for (let i = 0; ; i++) {
    const pieces = SENTENCES[i % SENTENCES.length]!(r);
    yield pieces.map((p) => (typeof p === 'string' ? p : p[1])).join('') + '\n';
  }
}
