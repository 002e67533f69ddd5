import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPOUND_SURNAMES, SINGLE_SURNAMES } from './data/surnames.ts';
import { addressPrefix, mask, MASKED_TYPES, maskDefault, parseAddressPrefix } from './mask.ts';

const cps = (s: string) => Array.from(s);
const INFORMATIVE = /[\p{L}\p{N}]/u;

/** Characters of the clear value the masked value shows at the same position. */
function revealedPositions(clear: string, masked: string): number[] {
  const c = cps(clear);
  const m = cps(masked);
  expect(m).toHaveLength(c.length);
  return c.flatMap((ch, i) => (m[i] === ch && ch !== '*' && INFORMATIVE.test(ch) ? [i] : []));
}

const digit = fc.constantFrom(...'0123456789');
const digits = (min: number, max = min) => fc.array(digit, { minLength: min, maxLength: max }).map((a) => a.join(''));
const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);

describe('masking conventions of standards.md §3', () => {
  it('masks the documented examples exactly', () => {
    expect(mask('cn_resident_id', '21010219870615123X')).toBe('210***********123X');
    expect(mask('cn_mobile', '13812345678')).toBe('138****5678');
    expect(mask('cn_landline', '024-1234578')).toBe('024-*****78');
    expect(mask('bank_card', '6222021234561234')).toBe('622202******1234');
    expect(mask('person_name', '张三')).toBe('张*');
    expect(mask('person_name', '欧阳娜娜')).toBe('欧阳**');
    expect(mask('address', '辽宁省沈阳市和平区三好街88号华润小区5-2-1')).toBe('辽宁省沈阳市和平区****');
    expect(mask('email', 'zhangsan@example.cn')).toBe('z***@example.cn');
    expect(mask('cn_plate', '辽A12345')).toBe('辽A****5');
    expect(mask('date_of_birth', '1987-06-15')).toBe('1987-**-**');
  });

  it('handles the common variants of each type', () => {
    expect(mask('cn_resident_id', '210102870615123')).toBe('210********0123'.replace('0123', '5123'));
    expect(mask('cn_mobile', '+86 138-1234-5678')).toBe('+86 138-****-5678');
    expect(mask('cn_landline', '02412345678')).toBe('024******78');
    expect(mask('cn_landline', '(0411)87654321转123')).toBe('(0411)******21转***');
    // Full-width brackets, a dash after the bracket, a grouped local number (how letters write them)
    expect(mask('cn_landline', '（0421）2345678')).toBe('（0421）*****78');
    expect(mask('cn_landline', '（0421）-2818888转6')).toBe('（0421）-*****88转*');
    expect(mask('cn_landline', '024 3943 1591')).toBe('024 **** **91');
    expect(mask('cn_landline', '0411-8888 6666')).toBe('0411-**** **66');
    expect(mask('bank_card', '6222 0212 3456 1234 567')).toBe('6222 02** **** ***4 567');
    expect(mask('person_name', '阿依古丽·买买提')).toBe('阿***·***');
    expect(mask('person_name', '欧阳')).toBe('欧*');
    expect(mask('address', '北京市朝阳区建国路88号')).toBe('北京市朝阳区****');
    expect(mask('address', '太原路88号')).toBe('****'); // a street named after a city is not a division
    expect(mask('address', '沈阳和平区三好街')).toBe('沈阳和平区****');
    expect(mask('cn_plate', '辽AD12345')).toBe('辽A*****5');
    expect(mask('date_of_birth', '1987年6月15日')).toBe('1987年**月**日');
    expect(mask('ipv4', '192.168.1.20')).toBe('192.168.*.*');
    expect(mask('mac', 'AA:BB:CC:DD:EE:FF')).toBe('AA:BB:CC:**:**:**');
    expect(mask('passport', 'E12345678')).toBe('E*******8');
    expect(mask(undefined, 'abc')).toBe('***');
  });

  it('masks a malformed value of a type by the stricter default rule', () => {
    expect(mask('cn_resident_id', '2101021987')).toBe(maskDefault('2101021987'));
    expect(mask('cn_mobile', '1381234')).toBe(maskDefault('1381234'));
    expect(mask('email', 'not-an-email')).toBe(maskDefault('not-an-email'));
  });
});

describe('property: a masked value never shows more of the clear value than its convention allows', () => {
  it('cn_resident_id: length kept, only the first 3 and last 4 shown', () => {
    const id = fc.tuple(digits(17), pick([...'0123456789X'])).map(([a, b]) => a + b);
    fc.assert(
      fc.property(fc.oneof(id, digits(15)), (clear) => {
        const masked = mask('cn_resident_id', clear);
        const n = clear.length;
        expect(revealedPositions(clear, masked).every((i) => i < 3 || i >= n - 4)).toBe(true);
        expect(masked.slice(3, n - 4)).toBe('*'.repeat(n - 7));
        expect(masked.slice(0, 3) + masked.slice(n - 4)).toBe(clear.slice(0, 3) + clear.slice(n - 4));
      }),
    );
  });

  it('cn_mobile: country prefix and separators kept, only the first 3 and last 4 digits shown', () => {
    const mobile = fc.tuple(pick(['', '+86 ', '+86-', '0086']), pick([...'3456789']), digits(9), fc.boolean());
    fc.assert(
      fc.property(mobile, ([prefix, second, rest, dashed]) => {
        const national = `1${second}${rest}`;
        const shown = dashed ? `${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}` : national;
        const masked = mask('cn_mobile', prefix + shown);
        expect(masked.startsWith(prefix)).toBe(true);
        const maskedDigits = masked.slice(prefix.length).replace(/-/g, '');
        expect(maskedDigits).toBe(`${national.slice(0, 3)}****${national.slice(7)}`);
      }),
    );
  });

  it('cn_landline: the area code and the last 2 digits only', () => {
    const area = fc.oneof(
      fc.constant('010'),
      digits(1).map((d) => `02${d}`),
      fc.tuple(pick([...'3456789']), digits(2)).map(([a, b]) => `0${a}${b}`),
    );
    fc.assert(
      fc.property(area, pick(['-', '', ' ']), digits(7, 8), (code, sep, local) => {
        const clear = code + sep + local;
        const masked = mask('cn_landline', clear);
        expect(masked).toBe(`${code}${sep}${'*'.repeat(local.length - 2)}${local.slice(-2)}`);
        expect(revealedPositions(clear, masked).length).toBeLessThanOrEqual(code.length + 2);
      }),
    );
  });

  it('bank_card: the first 6 and last 4 digits only, grouping kept', () => {
    fc.assert(
      fc.property(digits(16, 19), fc.boolean(), (card, grouped) => {
        const clear = grouped ? (card.match(/.{1,4}/g) ?? []).join(' ') : card;
        const masked = mask('bank_card', clear);
        const shown = masked.replace(/\s/g, '');
        expect(shown).toBe(card.slice(0, 6) + '*'.repeat(card.length - 10) + card.slice(-4));
        expect(revealedPositions(clear, masked)).toHaveLength(10);
      }),
    );
  });

  it('person_name: the surname only', () => {
    const han = fc.constantFrom(...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华');
    const surname = fc.oneof(pick([...SINGLE_SURNAMES]), pick([...COMPOUND_SURNAMES]));
    fc.assert(
      fc.property(surname, fc.array(han, { minLength: 1, maxLength: 2 }), (family, given) => {
        const clear = family + given.join('');
        const masked = mask('person_name', clear);
        const kept = masked.replace(/\*+$/, '');
        expect(cps(masked)).toHaveLength(cps(clear).length);
        expect(clear.startsWith(kept)).toBe(true);
        expect(cps(kept).length).toBeLessThanOrEqual(cps(family).length);
        expect(cps(kept).length).toBeLessThan(cps(clear).length);
      }),
    );
  });

  it('address: nothing after the county/district', () => {
    const divisions = ['辽宁省沈阳市和平区', '北京市朝阳区', '广东省深圳市南山区', '浙江省杭州市西湖区', '四川省成都市武侯区', '大连市中山区', ''];
    const street = fc.array(pick(['三好街', '中山路', '人民大街', '华润小区', '太原街', '和平里', '88号', '3单元', '501室', '沈阳路', '南京街', '东区']), {
      minLength: 1,
      maxLength: 5,
    });
    fc.assert(
      fc.property(pick(divisions), street, (division, parts) => {
        const clear = division + parts.join('');
        const masked = mask('address', clear);
        expect(masked.endsWith('****')).toBe(true);
        const kept = masked.slice(0, -4);
        expect(clear.startsWith(kept)).toBe(true);
        expect(kept.length).toBeLessThanOrEqual(division.length);
      }),
    );
  });

  it('email: the first character of the local part and the domain only', () => {
    const local = fc.array(pick([...'abcdefghijklmnopqrstuvwxyz0123456789._']), { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
    fc.assert(
      fc.property(local, pick(['example.cn', 'gov.cn', 'ln.gov.cn', 'qq.com']), (user, domain) => {
        const masked = mask('email', `${user}@${domain}`);
        expect(masked).toBe(`${user.length >= 2 ? user[0] : ''}***@${domain}`);
      }),
    );
  });

  it('cn_plate: province, letter and the last character only', () => {
    const alnum = pick([...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789']);
    fc.assert(
      fc.property(pick([...'京津沪渝冀豫云辽黑湘皖鲁新苏浙']), pick([...'ABCDEFGH']), fc.array(alnum, { minLength: 5, maxLength: 6 }), (p, l, rest) => {
        const clear = p + l + rest.join('');
        const masked = mask('cn_plate', clear);
        const n = cps(clear).length;
        expect(revealedPositions(clear, masked).every((i) => i < 2 || i === n - 1)).toBe(true);
        expect(
          cps(masked)
            .slice(2, n - 1)
            .every((c) => c === '*'),
        ).toBe(true);
      }),
    );
  });

  it('date_of_birth: the year only', () => {
    const day = fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true });
    fc.assert(
      fc.property(day, pick(['iso', 'slash', 'compact', 'zh'] as const), (d, style) => {
        const [y, m, dd] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()].map(String) as [string, string, string];
        const clear = {
          iso: `${y}-${m.padStart(2, '0')}-${dd.padStart(2, '0')}`,
          slash: `${y}/${m}/${dd}`,
          compact: `${y}${m.padStart(2, '0')}${dd.padStart(2, '0')}`,
          zh: `${y}年${m}月${dd}日`,
        }[style];
        const masked = mask('date_of_birth', clear);
        expect(masked.startsWith(y)).toBe(true);
        expect(masked.slice(4)).not.toMatch(/\d/);
      }),
    );
  });

  it('any text under any type: never the clear value, never more than the type allows', () => {
    const maxShown: Record<string, number> = { cn_resident_id: 7, cn_mobile: 9, cn_landline: 6, bank_card: 10, cn_plate: 3, ipv4: 6, mac: 6 };
    const lengthKept = new Set([...Object.keys(maxShown), 'passport', 'cn_uscc', undefined]);
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...'0123456789X-@. 辽A张欧阳省市区'), maxLength: 25 }),
    );
    fc.assert(
      fc.property(pick([...MASKED_TYPES, 'passport', 'cn_uscc', undefined]), text, (type, clear) => {
        const masked = mask(type, clear);
        if (INFORMATIVE.test(clear)) expect(masked).not.toBe(clear);
        if (!lengthKept.has(type)) return;
        const shown = revealedPositions(clear, masked).length;
        const defaultLimit = Math.min(4, Math.floor(cps(clear).length / 4));
        expect(shown).toBeLessThanOrEqual(Math.max(defaultLimit, type ? (maxShown[type] ?? 0) : 0));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('address prefix', () => {
  it('parses the division prefix of an address', () => {
    expect(parseAddressPrefix('辽宁省沈阳市和平区三好街')).toEqual({ province: '辽宁省', city: '沈阳市', district: '和平区', rest: '三好街' });
    // A short form counts only before a further division; a two-character district alone is not one.
    expect(parseAddressPrefix(' 沈阳和平区中华路 ')).toEqual({ province: '', city: '沈阳', district: '和平区', rest: '中华路' });
    expect(parseAddressPrefix('沈阳路5号')).toEqual({ province: '', city: '', district: '', rest: '沈阳路5号' });
    expect(parseAddressPrefix('东区花园')).toEqual({ province: '', city: '', district: '', rest: '东区花园' });
    expect(parseAddressPrefix('辽宁省沈阳中华路')).toEqual({ province: '辽宁省', city: '', district: '', rest: '沈阳中华路' });
    expect(parseAddressPrefix('辽宁省和平区沈阳市')).toEqual({ province: '辽宁省', city: '', district: '和平区', rest: '沈阳市' });
  });

  it('addressPrefix is the parsed prefix joined down to the level', () => {
    const pieces = [
      '辽宁省',
      '辽宁',
      '沈阳市',
      '沈阳',
      '和平区',
      '朝阳市',
      '朝阳区',
      '北京市',
      '东区',
      '中山路',
      '三好街',
      '88号',
      ' ',
      '新疆维吾尔自治区',
      '乌鲁木齐市',
      '天山区',
    ];
    fc.assert(
      fc.property(fc.array(pick(pieces), { maxLength: 5 }), (parts) => {
        const value = parts.join('');
        const p = parseAddressPrefix(value);
        expect(addressPrefix(value, 'province')).toBe(p.province);
        expect(addressPrefix(value, 'city')).toBe(p.province + p.city);
        expect(addressPrefix(value, 'district')).toBe(p.province + p.city + p.district);
        expect(addressPrefix(value)).toBe(p.province + p.city + p.district);
        expect(value.trim()).toBe(p.province + p.city + p.district + p.rest);
      }),
    );
  });
});
