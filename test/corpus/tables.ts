/**
 * Labelled table corpus: columns of every type under Chinese, English and neutral headers, and near-miss
 * columns (order numbers, wrong check digits, impossible dates, company names, street names) labelled
 * with no type.
 */
import type { TypeId } from '../../src/modules/classify/types.ts';
import { Random } from './random.ts';
import * as v from './values.ts';

export interface CorpusColumn {
  header: string;
  /** The types a correct classifier reports for this column (empty: none). */
  labels: TypeId[];
  values: string[];
}

export interface CorpusTable {
  name: string;
  columns: CorpusColumn[];
  rows: number;
}

interface ColumnKind {
  headers: string[];
  labels: TypeId[];
  value: (r: Random) => string;
}

const neutral = (r: Random) => r.pick(['字段', 'col_', 'f', 'c']) + String(r.int(1, 40));
const NEUTRAL = '\u0000neutral';

const KINDS: ColumnKind[] = [
  { headers: ['身份证号', '公民身份号码', '证件号码', 'id_card', 'sfzh', NEUTRAL], labels: ['cn_resident_id'], value: v.VALID.cn_resident_id },
  { headers: ['统一社会信用代码', 'credit_code', NEUTRAL], labels: ['cn_uscc'], value: v.uscc },
  { headers: ['组织机构代码', 'org_code', NEUTRAL], labels: ['cn_org_code'], value: v.orgCode },
  { headers: ['手机号码', '手机', 'mobile', 'phone', NEUTRAL], labels: ['cn_mobile'], value: v.mobile },
  { headers: ['固定电话', '办公电话', 'tel', NEUTRAL], labels: ['cn_landline'], value: v.landline },
  { headers: ['联系电话', '联系方式'], labels: ['cn_mobile', 'cn_landline'], value: (r) => (r.chance(0.6) ? v.mobile(r) : v.landline(r)) },
  { headers: ['银行卡号', '开户账号', 'card_no', NEUTRAL], labels: ['bank_card'], value: v.bankCard },
  { headers: ['电子邮箱', 'email', NEUTRAL], labels: ['email'], value: v.email },
  { headers: ['护照号码', 'passport_no'], labels: ['passport'], value: v.passport },
  { headers: ['港澳通行证号码', '回乡证号'], labels: ['hk_macau_permit'], value: v.hkMacauPermit },
  { headers: ['台胞证号码', '台湾居民来往大陆通行证号'], labels: ['tw_permit'], value: v.twPermit },
  { headers: ['车牌号', 'plate_no', NEUTRAL], labels: ['cn_plate'], value: v.plate },
  { headers: ['IP地址', 'client_ip', NEUTRAL], labels: ['ipv4'], value: v.ipv4 },
  { headers: ['IPv6地址', 'ipv6', NEUTRAL], labels: ['ipv6'], value: v.ipv6 },
  { headers: ['MAC地址', 'mac', NEUTRAL], labels: ['mac'], value: v.mac },
  { headers: ['经纬度', 'location', NEUTRAL], labels: ['gps'], value: v.gpsPair },
  { headers: ['纬度', 'lat'], labels: ['gps'], value: v.latitude },
  { headers: ['经度', 'lng'], labels: ['gps'], value: v.longitude },
  { headers: ['出生日期', 'birth_date', '生日'], labels: ['date_of_birth'], value: v.dateOfBirth },
  { headers: ['姓名', '联系人', '申请人', 'name', NEUTRAL], labels: ['person_name'], value: v.personName },
  { headers: ['住址', '通讯地址', 'address', NEUTRAL], labels: ['address'], value: v.address },
  // near misses
  { headers: ['订单号', 'order_no', '业务流水号', NEUTRAL], labels: [], value: v.orderNumber18 },
  { headers: ['交易编号', 'serial_no', NEUTRAL], labels: [], value: v.orderNumber11 },
  { headers: [NEUTRAL], labels: [], value: v.residentIdBadCheck },
  { headers: [NEUTRAL], labels: [], value: v.residentIdImpossibleDate },
  { headers: [NEUTRAL, '代码'], labels: [], value: v.usccBadCheck },
  { headers: [NEUTRAL], labels: [], value: v.orgCodeBadCheck },
  { headers: [NEUTRAL, '卡号'], labels: [], value: v.bankCardBadLuhn },
  { headers: ['出生日期'], labels: [], value: v.impossibleDate },
  { headers: ['单位名称', 'company_name', '企业名称', NEUTRAL], labels: [], value: v.companyName },
  { headers: ['街道', '道路名称', NEUTRAL], labels: [], value: v.streetName },
  { headers: ['金额', 'amount', NEUTRAL], labels: [], value: v.amount },
  { headers: ['登记日期', 'created_at', NEUTRAL], labels: [], value: v.recentDate },
  { headers: ['编码', NEUTRAL], labels: [], value: v.twPermit },
  { headers: ['备注编号', NEUTRAL], labels: [], value: v.passport },
  { headers: ['性别'], labels: [], value: (r) => r.pick(['男', '女']) },
  { headers: ['民族'], labels: [], value: (r) => r.pick(['汉族', '满族', '回族', '蒙古族', '壮族']) },
  { headers: ['职业', NEUTRAL], labels: [], value: (r) => r.pick(['教师', '工人', '农民', '医生', '司机', '干部', '学生', '个体', '退休']) },
];

export const KIND_COUNT = KINDS.length;

/**
 * `tables` tables of `rows` rows; every column kind appears in turn (so each appears tables·perTable/KIND_COUNT
 * times), under a random one of its headers. Values of positive columns are 2% empty.
 */
export function generateTables(seed: number, tables: number, rows: number, perTable = 8): CorpusTable[] {
  const r = new Random(seed);
  const out: CorpusTable[] = [];
  let k = 0;
  for (let t = 0; t < tables; t++) {
    const columns: CorpusColumn[] = [];
    for (let c = 0; c < perTable; c++) {
      const kind = KINDS[k++ % KINDS.length]!;
      const h = r.pick(kind.headers);
      const header = h === NEUTRAL ? neutral(r) : h;
      const values = Array.from({ length: rows }, () => (r.chance(0.02) ? '' : kind.value(r)));
      columns.push({ header, labels: kind.labels, values });
    }
    out.push({ name: `table_${t}`, columns, rows });
  }
  return out;
}

export function toCsv(table: CorpusTable): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [table.columns.map((c) => quote(c.header)).join(',')];
  for (let i = 0; i < table.rows; i++) lines.push(table.columns.map((c) => quote(c.values[i]!)).join(','));
  return lines.join('\n') + '\n';
}
