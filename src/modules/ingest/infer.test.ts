import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, conforms, Inferrer, parseDate, parseTimestamp, type ColumnType } from './infer.ts';

function infer(values: (string | null)[]): ColumnType {
  const inf = new Inferrer(['c']);
  values.forEach((v, i) => inf.add([v], i + 2));
  return inf.result()[0]!.type;
}

describe('type inference', () => {
  it('picks the narrowest type every value fits', () => {
    expect(infer(['1', '-20', '+3', null])).toBe('integer');
    expect(infer(['1', '2.5', '-.5', '1e3'])).toBe('decimal');
    expect(infer(['是', '否', null, '是'])).toBe('boolean');
    expect(infer(['TRUE', 'false', 'Y', 'n'])).toBe('boolean');
    expect(infer(['2023-09-21', '2023/9/1', '2023年9月21日', '2024.2.29'])).toBe('date');
    expect(infer(['2023-09-21', '2023-09-21 14:30', '2023-09-21T14:30:05.123+08:00'])).toBe('timestamp');
    expect(infer(['1', 'x'])).toBe('text');
    expect(infer([null, null])).toBe('text');
  });

  it('keeps codes as text: leading zeros, 18-digit IDs, thousands separators', () => {
    expect(infer(['007', '123'])).toBe('text');
    expect(infer(['110105194912310038'])).toBe('text');
    expect(infer(['1,234'])).toBe('text');
  });

  it('infers a 0/1 column as integer, yet 1/0 conform once declared boolean', () => {
    expect(infer(['0', '1', '1'])).toBe('integer');
    expect(canonical('boolean', '1')).toBe('true');
    expect(canonical('boolean', '否')).toBe('false');
  });

  it('rejects impossible dates and times', () => {
    expect(parseDate('2023-02-29')).toBeUndefined();
    expect(parseDate('2024-02-29')).toBe('2024-02-29');
    expect(parseDate('2023-13-01')).toBeUndefined();
    expect(parseDate('2023-09/21')).toBeUndefined();
    expect(parseTimestamp('2023-09-21 24:00')).toBeUndefined();
    expect(parseTimestamp('2023年9月21日 8:05')).toBe('2023-09-21 08:05:00');
    expect(parseTimestamp('2023-09-21T08:05:09Z')).toBe('2023-09-21 08:05:09+00:00');
    expect(parseTimestamp('2023-09-21')).toBe('2023-09-21 00:00:00');
    expect(infer(['2023-02-29'])).toBe('text');
  });

  it('counts nulls, keeps distinct examples and says what ruled a type out', () => {
    const inf = new Inferrer(['amount', 'flag'], { examples: 2 });
    inf.add(['1', '是'], 2);
    inf.add(['1', null], 3);
    inf.add(['2.5', '否'], 4);
    inf.add([null, '否'], 5);
    const [amount, flag] = inf.result();
    expect(amount).toMatchObject({ type: 'decimal', rows: 4, nulls: 1, examples: ['1', '2.5'], maxLength: 3 });
    expect(amount!.ruledOut.integer).toEqual({ line: 4, value: '2.5' });
    expect(flag).toMatchObject({ type: 'boolean', nulls: 1, examples: ['是', '否'] });
  });

  it('every inferred type is one every value conforms to (property)', () => {
    const value = fc.oneof(
      fc.integer().map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.constantFrom('是', '否', 'true', 'N', '2023-09-21', '2023/9/1', '2023-09-21 10:00', 'x', '007'),
    );
    fc.assert(
      fc.property(fc.array(fc.option(value, { nil: null }), { minLength: 1, maxLength: 30 }), (values) => {
        const type = infer(values);
        for (const v of values) if (v !== null) expect(conforms(type, v)).toBe(true);
      }),
    );
  });
});
