/**
 * A second, independent set of document frames (issue 24 audit, 2026-12-04): sentences written
 * after the recognizers were, without looking at which phrasings they handle, with values from
 * values.ts (a different surname and given-name draw from documents.ts). It checks that the figures of
 * documents.ts are not an artefact of its own templates. Do not tune the recognizers to it: add new
 * frames here instead when a miss is fixed.
 */
import type { TypeId } from '../../src/modules/classify/types.ts';
import { Random } from './random.ts';
import { assembleLines, type CorpusText } from './texts.ts';
import * as v from './values.ts';

type Piece = string | [TypeId, string];

const spaced = (n: string) => `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`;

const FRAMES: ((r: Random) => Piece[])[] = [
  (r) => ['据', ['person_name', v.personName(r)], '本人陈述，其于去年10月搬入该小区。'],
  (r) => ['经与', ['person_name', v.personName(r)], '（电话', ['cn_mobile', mobile(r)], '）核实，情况属实。'],
  (r) => ['当事人', ['person_name', v.personName(r)], '，公民身份号码', ['cn_resident_id', v.residentId(r)], '，户籍所在地', ['address', v.address(r)], '。'],
  (r) => ['请', ['person_name', v.personName(r)], '同志于三日内到窗口补交材料。'],
  (r) => ['该户户主', ['person_name', v.personName(r)], '与其妻', ['person_name', v.personName(r)], '均已签字确认。'],
  (r) => ['申请人出生于', ['date_of_birth', birth(r)], '，现年已满六十周岁。'],
  (r) => ['回访电话：', ['cn_landline', v.landline(r)], '；邮箱：', ['email', v.email(r)], '。'],
  (r) => ['涉事车辆（', ['cn_plate', v.plate(r)], '）已被暂扣。'],
  (r) => ['退款请汇入其本人名下银行卡', ['bank_card', v.bankCard(r)], '。'],
  (r) => ['出入境记录显示，其所持护照（号码', ['passport', v.passport(r)], '）于2023年出境。'],
  (r) => ['港澳居民来往内地通行证号码：', ['hk_macau_permit', v.hkMacauPermit(r)], '。'],
  (r) => ['其台湾居民来往大陆通行证号为', ['tw_permit', v.twPermit(r)], '。'],
  (r) => ['事发地点位于北纬', ['gps', v.gpsPair(r)], '附近。'],
  (r) => ['该账号最近一次登录来自', ['ipv4', v.ipv4(r)], '，设备MAC为', ['mac', v.mac(r)], '。'],
  (r) => ['涉及企业统一社会信用代码', ['cn_uscc', v.uscc(r)], '，组织机构代码', ['cn_org_code', v.orgCode(r)], '。'],
  (r) => ['网格员', ['person_name', v.personName(r)], '和民警', ['person_name', v.personName(r)], '一同上门。'],
  (r) => [['person_name', v.personName(r)], '、', ['person_name', v.personName(r)], '夫妇二人于昨日来访。'],
  (r) => ['现已联系上其女儿', ['person_name', v.personName(r)], '，对方答应周末回家照看老人。'],
  (r) => ['办理人：', ['person_name', v.personName(r)], ' 联系方式：', ['cn_mobile', mobile(r)]],
  (r) => ['该同志系', ['address', v.address(r)], '居民。'],
  () => ['本周共办结工单312件，群众满意率96.2%。'],
  () => ['周边商户反映夜市噪音较大，城管部门已介入。'],
  () => ['万元以上的补助资金须经集体研究决定。'],
  () => ['马上安排人员对路面坑洼进行修补。'],
  () => ['关于高温天气期间户外作业的通知已转发。'],
];

function mobile(r: Random): string {
  const m = v.mobile(r).replace(/\D/g, '').slice(-11);
  return r.chance(0.3) ? spaced(m) : m;
}

function birth(r: Random): string {
  const { y, m, d } = v.birthDate(r, 1940, 2005);
  return r.chance(0.5) ? `${y}年${m}月${d}日` : `${y}.${m}.${d}`;
}

/** `count` lines of one to three frames each. */
export function generateUnseenDocuments(seed: number, count: number): CorpusText {
  const r = new Random(seed);
  return assembleLines(Array.from({ length: count }, () => Array.from({ length: r.int(1, 3) }, () => r.pick(FRAMES)(r)).flat()));
}
