import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateText } from '../../../test/corpus/texts.ts';
import { scanText, TextScanner } from './text.ts';

const types = (text: string) => scanText(text).map((f) => f.type);

describe('free-text scanning', () => {
  it('finds identifiers in context with code-point offsets and masked values only', () => {
    const text = '😀申请人王小明，身份证号11010519491231002X，手机13812345678。';
    const findings = scanText(text);
    expect(findings.map((f) => f.type)).toEqual(['person_name', 'cn_resident_id', 'cn_mobile']);
    const chars = Array.from(text);
    const id = findings[1]!;
    expect(chars.slice(id.start, id.end).join('')).toBe('11010519491231002X');
    expect(id.masked).toBe('110***********002X');
    expect(JSON.stringify(findings)).not.toContain('13812345678');
  });

  it('needs context for weak types', () => {
    expect(types('护照号码：E12345678。')).toEqual(['passport']);
    expect(types('编号E12345678。')).toEqual([]);
    expect(types('台胞证号码：12345678')).toEqual(['tw_permit']);
    expect(types('数量12345678')).toEqual([]);
    expect(types('出生日期：1987-05-12')).toEqual(['date_of_birth']);
    expect(types('登记日期：1987-05-12')).toEqual([]);
    expect(types('出生日期：1987-02-30')).toEqual([]);
  });

  it('does not take near misses', () => {
    expect(types('订单号202401011234567890，流水号12012345678。')).toEqual([]);
    expect(types('证件号110105194912310021校验位错误')).toEqual([]);
    expect(types('王府井大街附近很热闹，太原路正在施工。')).toEqual([]);
    expect(types('王氏集团有限公司成立于2010年。')).toEqual([]);
    expect(types('电话13812345678')).toEqual(['cn_mobile']);
    expect(types('号码913812345678')).toEqual([]); // no digit boundary
  });

  it('finds addresses, plates, network identifiers and coordinates', () => {
    expect(types('住址：辽宁省沈阳市和平区南京北街12号3单元502室。')).toEqual(['address']);
    expect(types('车牌辽A12345，京AD12345')).toEqual(['cn_plate', 'cn_plate']);
    expect(types('IP 192.168.1.10，IPv6 2001:db8::1，MAC 00:1A:2B:3C:4D:5E')).toEqual(['ipv4', 'ipv6', 'mac']);
    expect(types('坐标39.904200,116.407400')).toEqual(['gps']);
    expect(types('联系欧阳娜娜女士')).toEqual(['person_name']);
  });

  it('gives the same findings whatever the chunking (window boundaries)', () => {
    const { text } = generateText(11, 1500); // > 64K characters
    const whole = scanText(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 8 }), (cuts) => {
        const scanner = new TextScanner();
        const out = [];
        let at = 0;
        for (const size of cuts) {
          out.push(...scanner.push(text.slice(at, at + size)));
          at += size;
        }
        out.push(...scanner.push(text.slice(at)), ...scanner.end());
        expect(out).toEqual(whole);
      }),
      { numRuns: 15 },
    );
  });
});
