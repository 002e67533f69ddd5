import { describe, expect, it } from 'vitest';
import { Random } from '../../../test/corpus/random.ts';
import * as v from '../../../test/corpus/values.ts';
import { DistinctCounter } from './distinct.ts';
import { classifyRows, TableClassifier } from './engine.ts';
import { DEFAULT_POLICY } from './grades.ts';
import { headerHints } from './headers.ts';

/** Classifies one column of values under a header. */
function classifyColumn(header: string, values: string[]) {
  const c = new TableClassifier([header]);
  for (const value of values) c.addRow([value]);
  return c.finish().result.columns[0]!;
}

const many = (n: number, make: (r: Random) => string, seed = 1) => {
  const r = new Random(seed);
  return Array.from({ length: n }, () => make(r));
};

describe('column classification', () => {
  it('an ID column is an ID column, with its evidence', () => {
    const col = classifyColumn('身份证号', many(200, v.residentId));
    expect(col.types[0]).toMatchObject({ type: 'cn_resident_id', matched: 1, checksumFailed: 0 });
    expect(col.types[0]!.confidence).toBeGreaterThan(0.95);
    expect(col).toMatchObject({ category: '个人身份信息', sensitive: true, grade: 4 });
  });

  it('18-digit numbers that mostly fail the ID checksum are order numbers, whatever the header', () => {
    const orders = classifyColumn('col_3', many(200, v.residentIdBadCheck));
    expect(orders.types).toEqual([]);
    expect(orders.grade).toBe(DEFAULT_POLICY.defaultGrade);
    const orderNumbers = classifyColumn('订单号', many(200, v.orderNumber18));
    expect(orderNumbers.types).toEqual([]);
  });

  it('a few typos do not hide an ID column, and the failed share is reported', () => {
    const values = [...many(190, v.residentId), ...many(10, v.residentIdBadCheck)];
    const col = classifyColumn('证件号码', values);
    expect(col.types[0]).toMatchObject({ type: 'cn_resident_id', matched: 0.95, checksumFailed: 0.05 });
  });

  it('a legacy 15-digit ID column is still an ID column', () => {
    const col = classifyColumn('sfzh', many(100, v.legacyResidentId));
    expect(col.types.map((t) => t.type)).toEqual(['cn_resident_id']);
  });

  it('王小明 in a 姓名 column is a name; 王府井大街 in a 地址 column is not', () => {
    expect(classifyColumn('姓名', ['王小明', '李华', '欧阳娜娜', '张伟']).types.map((t) => t.type)).toEqual(['person_name']);
    const streets = classifyColumn('地址', ['王府井大街', '长安街', '王府井', '张自忠路']);
    expect(streets.types.map((t) => t.type)).not.toContain('person_name');
    expect(streets.types.map((t) => t.type)).not.toContain('address');
  });

  it('company names that start with a surname are not names', () => {
    expect(classifyColumn('单位名称', many(100, v.companyName)).types).toEqual([]);
    expect(classifyColumn('col_9', many(100, v.companyName)).types).toEqual([]);
  });

  it('names are recognised without a header, less confidently', () => {
    const withHeader = classifyColumn('联系人', many(100, v.personName));
    const without = classifyColumn('f7', many(100, v.personName));
    expect(without.types[0]!.type).toBe('person_name');
    expect(without.types[0]!.confidence).toBeLessThan(withHeader.types[0]!.confidence);
  });

  it('11-digit order numbers are not phones; a phone column under 订单号 is not reported', () => {
    expect(classifyColumn('c1', many(100, v.orderNumber11)).types).toEqual([]);
    expect(
      classifyColumn(
        '订单号',
        many(100, (r) => `13${r.digits(9)}`),
      ).types,
    ).toEqual([]);
  });

  it('a 联系电话 column of mobiles and landlines reports both', () => {
    const col = classifyColumn(
      '联系电话',
      many(200, (r) => (r.chance(0.6) ? v.mobile(r) : v.landline(r))),
    );
    expect(col.types.map((t) => t.type).sort()).toEqual(['cn_landline', 'cn_mobile']);
  });

  it('weak types need their header', () => {
    expect(classifyColumn('护照号码', many(50, v.passport)).types.map((t) => t.type)).toEqual(['passport']);
    expect(classifyColumn('备注', many(50, v.passport)).types).toEqual([]);
    expect(classifyColumn('台胞证号码', many(50, v.twPermit)).types.map((t) => t.type)).toEqual(['tw_permit']);
    expect(classifyColumn('编码', many(50, v.twPermit)).types).toEqual([]);
    expect(classifyColumn('出生日期', many(50, v.dateOfBirth)).types.map((t) => t.type)).toEqual(['date_of_birth']);
    expect(classifyColumn('登记日期', many(50, v.recentDate)).types).toEqual([]);
    expect(classifyColumn('纬度', many(50, v.latitude)).types.map((t) => t.type)).toEqual(['gps']);
    expect(classifyColumn('金额', many(50, v.amount)).types).toEqual([]);
  });

  it('passports and permits under generic document headers (zjhm, document_no, 证件号码); C + 8 digits and 10-digit 回乡证', () => {
    const types = (header: string, make: (r: Random) => string) => classifyColumn(header, many(60, make)).types.map((t) => t.type);
    expect(types('zjhm', (r) => 'E' + r.digits(8))).toEqual(['passport']);
    expect(types('document_no', (r) => 'C' + r.digits(8))).toEqual(['hk_macau_permit']);
    expect(types('证件号码', (r) => 'M' + r.digits(10))).toEqual(['hk_macau_permit']);
    expect(types('往来港澳通行证号', (r) => 'C' + r.digits(8))).toEqual(['hk_macau_permit']);
    expect(types('批次', (r) => 'C' + r.digits(8))).toEqual([]);
  });

  it('a column of prose is free text, graded by the most sensitive span type in it', () => {
    const texts = many(40, (r) => `信访人${v.personName(r)}反映，其身份证号${v.residentId(r)}，联系电话${v.mobile(r).replace(/[ -]/g, '')}。`);
    const column = classifyColumn('事项内容', texts);
    expect(column.types).toEqual([]);
    expect(column.text?.spans.map((s) => s.type)).toEqual(['cn_resident_id', 'person_name', 'cn_mobile']);
    expect(column).toMatchObject({ grade: 4, sensitive: true, category: '个人身份信息' });
    const plain = classifyColumn(
      '处理意见',
      many(40, () => '已转交属地街道办事处核实处理，要求7个工作日内回复。'),
    );
    expect(plain).toMatchObject({ types: [], grade: 2, text: { spans: [] } });
  });

  it('Luhn-valid cards: header or BIN; account numbers only under an account header', () => {
    expect(classifyColumn('c2', many(100, v.bankCard)).types.map((t) => t.type)).toEqual(['bank_card']);
    expect(classifyColumn('卡号', many(100, v.bankCardBadLuhn)).types).toEqual([]);
    expect(
      classifyColumn(
        '开户账号',
        many(100, (r) => r.digits(20)),
      ).types.map((t) => t.type),
    ).toEqual(['bank_card']);
  });

  it('IP addresses are personal (3级) only beside personal information', () => {
    const alone = new TableClassifier(['ip']);
    const tied = new TableClassifier(['ip', '姓名']);
    const r = new Random(3);
    for (let i = 0; i < 50; i++) {
      alone.addRow([v.ipv4(r)]);
      tied.addRow([v.ipv4(r), v.personName(r)]);
    }
    expect(alone.finish().result.columns[0]).toMatchObject({ category: null, grade: 2 });
    expect(tied.finish().result.columns[0]).toMatchObject({ category: '网络身份标识信息', grade: 3 });
  });

  it('empty cells and surrounding spaces do not count', () => {
    const col = classifyColumn('手机', ['13812345678', '', ' 13912345678 ', '  ']);
    expect(col.types[0]).toMatchObject({ type: 'cn_mobile', matched: 1 });
  });
});

describe('dataset grade and 重要数据 candidates', () => {
  it('the dataset grade is the highest column grade', async () => {
    const r = new Random(5);
    const rows = Array.from({ length: 30 }, () => ({ values: [v.uscc(r), v.personName(r), v.amount(r)] }));
    const { result } = await classifyRows(['credit_code', '姓名', '金额'], rows);
    expect(result.columns.map((c) => c.grade)).toEqual([2, 3, 2]);
    expect(result.grade).toBe(3);
    expect(result.importantCandidate).toBe(false);
  });

  it('flags ≥ threshold distinct persons (threshold configurable), counted on the identifying column', async () => {
    const r = new Random(6);
    const ids = Array.from({ length: 300 }, () => v.residentId(r));
    const rows = [...ids, ...ids].map((id) => ({ values: [id, v.mobile(r)] }));
    const policy = { ...DEFAULT_POLICY, importantPersonThreshold: 300 };
    const hit = await classifyRows(['身份证号', '手机'], rows, { policy });
    expect(hit.details.persons).toMatchObject({ type: 'cn_resident_id', count: 300, exact: true });
    expect(hit.result.importantCandidate).toBe(true);
    const miss = await classifyRows(['身份证号', '手机'], rows, { policy: { ...policy, importantPersonThreshold: 301 } });
    expect(miss.result.importantCandidate).toBe(false);
  });

  it('switches to an estimate past the exact bound and keeps flagging near the threshold', async () => {
    const r = new Random(7);
    const rows = Array.from({ length: 5000 }, () => ({ values: [v.residentId(r)] }));
    const { details, result } = await classifyRows(['sfzh'], rows, {
      distinctExactLimit: 1000,
      policy: { ...DEFAULT_POLICY, importantPersonThreshold: 5000 },
    });
    expect(details.persons!.exact).toBe(false);
    expect(Math.abs(details.persons!.count - 5000) / 5000).toBeLessThan(0.05);
    expect(result.importantCandidate).toBe(details.persons!.count >= 5000 * (1 - 2 * 0.0081));
  });

  it('extra rules of the secadmin make a candidate', async () => {
    const policy = { ...DEFAULT_POLICY, extraRules: [{ id: 'genetic', description: '基因数据', headerPattern: '基因' }] };
    const { result, details } = await classifyRows(['基因序列', '编号'], [{ values: ['ACGT', '1'] }], { policy });
    expect(result.importantCandidate).toBe(true);
    expect(details.importantReasons[0]).toContain('genetic');
  });

  it('classifies only the first N rows when sampling', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ values: [i < 10 ? '13812345678' : 'x'] }));
    const { result, details } = await classifyRows(['c'], rows, { sampleRows: 10 });
    expect(result.rows).toBe(10);
    expect(details.sampled).toBe(true);
    expect(result.columns[0]!.types[0]!.type).toBe('cn_mobile');
  });
});

describe('header hints', () => {
  it('reads Chinese and English headers', () => {
    expect(headerHints('身份证号').cn_resident_id).toBe(1);
    expect(headerHints('idCard').cn_resident_id).toBe(1);
    expect(headerHints('联系电话')).toMatchObject({ cn_mobile: 1, cn_landline: 1 });
    expect(headerHints('contact_phone').cn_mobile).toBe(1);
    expect(headerHints('住址').address).toBe(1);
    expect(headerHints('IP地址')).toMatchObject({ ipv4: 1, address: -1 });
    expect(headerHints('company_name').person_name).toBe(-1);
    expect(headerHints('单位名称').person_name).toBe(-1);
    expect(headerHints('订单号').cn_mobile).toBe(-1);
    expect(headerHints('shipping').ipv4).toBeUndefined();
    expect(headerHints('plate_relation').gps).toBeUndefined();
  });
});

describe('DistinctCounter', () => {
  it('is exact below its bound and close above it', () => {
    const small = new DistinctCounter(1000);
    for (let i = 0; i < 800; i++) small.add(`v${i % 400}`);
    expect(small.count()).toBe(400);
    expect(small.isExact).toBe(true);
    const big = new DistinctCounter(1000);
    for (let i = 0; i < 200_000; i++) big.add(`id-${i}`);
    expect(big.isExact).toBe(false);
    expect(Math.abs(big.count() - 200_000) / 200_000).toBeLessThan(0.03);
  });
  it('merges', () => {
    const a = new DistinctCounter(100);
    const b = new DistinctCounter(100);
    for (let i = 0; i < 5000; i++) a.add(`x${i}`);
    for (let i = 2500; i < 7500; i++) b.add(`x${i}`);
    a.merge(b);
    expect(Math.abs(a.count() - 7500) / 7500).toBeLessThan(0.05);
  });
});
