import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { filterQuery, filterText, parseFilterParams, parseFilterText, type FilterNode } from './filter.ts';
import { compileRead, likePattern, viewColumns, checkValue } from './access/compile.ts';
import { parseRecordsQuery } from './records.service.ts';

const q = (text: string) => parseFilterParams(new URLSearchParams(text).entries());

describe('filter parser', () => {
  it('parses the PostgREST operators into an AST', () => {
    expect(q('户籍地=eq.朝阳市&人口数=gte.3')).toEqual({
      and: [
        { column: '户籍地', op: 'eq', value: '朝阳市' },
        { column: '人口数', op: 'gte', value: '3' },
      ],
    });
    expect(q('户籍地=in.(朝阳市,"锦州,市")')).toEqual({ and: [{ column: '户籍地', op: 'in', value: ['朝阳市', '锦州,市'] }] });
    expect(q('住址=not.is.null')).toEqual({ and: [{ column: '住址', op: 'is', value: null, not: true }] });
    expect(q('姓名=like.张*')).toEqual({ and: [{ column: '姓名', op: 'like', value: '张*' }] });
    expect(q('or=(户籍地.eq.朝阳市,and(人口数.gt.1,人口数.lt.5))')).toEqual({
      and: [
        {
          or: [
            { column: '户籍地', op: 'eq', value: '朝阳市' },
            {
              and: [
                { column: '人口数', op: 'gt', value: '1' },
                { column: '人口数', op: 'lt', value: '5' },
              ],
            },
          ],
        },
      ],
    });
    // Dots inside a column name: the column ends at the first dot followed by an operator.
    expect(q('or=(a.b.eq.1)')).toEqual({ and: [{ or: [{ column: 'a.b', op: 'eq', value: '1' }] }] });
    expect(q('select=x&limit=3&order=a.asc')).toEqual({ and: [] });
    expect(filterText(q('户籍地=eq.朝阳市&or=(人口数.gt.1,户籍地.in.(a,"b,c"))'))).toBe('户籍地=eq.朝阳市&or=(人口数.gt.1,户籍地.in.(a,"b,c"))');
  });

  it('names the parameter of a malformed filter', () => {
    for (const bad of [
      'a=zz.1',
      'a=eq',
      'a=in.1',
      'a=in.()',
      'a=is.nul',
      'or=a.eq.1',
      'or=(a.eq.1',
      'or=(a)',
      'or=()',
      'a=in.("x)',
      `or=(${'or('.repeat(20)}a.eq.1${')'.repeat(21)}`,
    ]) {
      let error: unknown;
      try {
        q(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(AppError);
      expect((error as AppError).status, bad).toBe(400);
      expect((error as AppError).details, bad).toMatchObject({ parameter: bad.split('=')[0] });
    }
  });

  it('LIKE wildcards of the value are literal; * is the wildcard', () => {
    expect(likePattern('a%b_c\\d*')).toBe('a\\%b\\_c\\\\d%');
  });

  it('checks values by column type before SQL sees them', () => {
    expect(checkValue('n', 'integer', '-12')).toBe('-12');
    for (const [type, value] of [
      ['integer', '1.5'],
      ['integer', '99999999999999999999'],
      ['date', '2024-02-30'],
      ['date', '0000-01-01'],
      ['decimal', '1e999'],
      ['boolean', 'yes'],
      ['text', 'a\u0000b'],
      ['timestamp', '2024-01-01T25:00'],
    ] as const) {
      expect(() => checkValue('c', type, value), `${type} ${value}`).toThrow(AppError);
    }
    expect(checkValue('d', 'date', '2024-02-29')).toBe('2024-02-29');
  });

  it('accepts UTC offsets PostgreSQL accepts (±15:59) and refuses the others with a 400 naming the column', () => {
    for (const ok of [
      '2020-01-01T00:00:00+15:59',
      '2020-01-01T00:00:00-1559',
      '2020-01-01T00:00:00+08',
      '2020-01-01+08',
      '2020-01-01T00:00:00Z',
      '2020-01-01 00:00',
    ]) {
      expect(checkValue('采集时间', 'timestamp', ok), ok).toBe(ok);
    }
    for (const bad of [
      '2020-01-01T00:00:00+99:00',
      '2020-01-01T00:00:00-99',
      '2020-01-01T00:00:00+23:59',
      '2020-01-01T00:00:00+16:00',
      '2020-01-01T00:00:00+08:60',
      '2020-01-01+16',
    ]) {
      let error: unknown;
      try {
        checkValue('采集时间', 'timestamp', bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(AppError);
      expect((error as AppError).status).toBe(400);
      expect((error as AppError).details).toEqual({ column: '采集时间', type: 'timestamp' });
      expect((error as AppError).text.zh).toContain('时区偏移超出范围');
    }
  });

  it('fuzz: 100,000 arbitrary query strings parse or fail with a 400, never anything else', () => {
    const pieces = [
      '户籍地',
      '人口数',
      '姓名',
      '=',
      '&',
      '.',
      ',',
      '(',
      ')',
      '"',
      '\\',
      '*',
      '%',
      'eq',
      'neq',
      'gt',
      'in',
      'is',
      'null',
      'not',
      'like',
      'or',
      'and',
      'select',
      'order',
      'limit',
      'after',
      'asc',
      'desc',
      '1',
      ' ',
      '\u0000',
      "'",
      ';',
      '--',
      '%2C',
      '%26',
      '+',
    ];
    const text = fc.oneof(
      fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((a) => a.join('')),
      fc.string({ maxLength: 60, unit: 'binary' }),
    );
    let ok = 0;
    let refused = 0;
    fc.assert(
      fc.property(text, (s) => {
        try {
          parseRecordsQuery(new URLSearchParams(s));
          ok++;
        } catch (e) {
          if (!(e instanceof AppError) || e.status !== 400) throw e;
          refused++;
        }
      }),
      { numRuns: 100_000 },
    );
    expect(ok + refused).toBe(100_000);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  const column = fc.constantFrom('户籍地', '人口数', 'a.b', 'x y');
  const value = fc.string({ maxLength: 8 }).filter((s) => !s.includes('\u0000'));
  const condition: fc.Arbitrary<FilterNode> = fc.oneof(
    fc.record({ column, op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like'), value }).map((c) => c as FilterNode),
    fc.record({ column, op: fc.constant('in'), value: fc.array(value, { minLength: 1, maxLength: 3 }) }).map((c) => c as FilterNode),
    fc.record({ column, op: fc.constant('is'), value: fc.constant(null), not: fc.constant(true) }).map((c) => c as FilterNode),
  );
  const tree = fc.letrec<{ node: FilterNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      condition,
      fc.record({ or: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ and: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    ),
  })).node;

  it('property: a filter written back as text parses to the same AST', () => {
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 3 }), (items) => {
        const node: FilterNode = { and: items.map((i) => ('and' in i ? { or: [i] } : i)) };
        let parsed: FilterNode | undefined;
        try {
          parsed = parseFilterText(filterQuery(node));
        } catch (e) {
          // Only the documented bounds may refuse a generated tree.
          if (!(e instanceof AppError) || !/nested|条件超过|嵌套/.test(e.text.zh + e.text.en)) throw e;
          return;
        }
        expect(parsed).toEqual(node);
      }),
      { numRuns: 2000 },
    );
  });

  it('compiles to SQL whose values are all bound parameters', () => {
    const columns = viewColumns(
      [
        {
          dataset_id: 'd',
          position: 1,
          physical: 'c001',
          name: '户籍地',
          label: '',
          data_type: 'text',
          length: null,
          description: '',
          rules: {},
          classification: {},
          grade: 1,
          encrypted: false,
          blind_index: false,
        },
        {
          dataset_id: 'd',
          position: 2,
          physical: 'c002',
          name: '人口数',
          label: '',
          data_type: 'integer',
          length: null,
          description: '',
          rules: {},
          classification: {},
          grade: 1,
          encrypted: false,
          blind_index: false,
        },
      ],
      [
        { name: '户籍地', mode: 'clear' },
        { name: '人口数', mode: 'clear' },
      ],
    );
    const evil = "x' OR 1=1; DROP TABLE users; --";
    const read = compileRead('d_abc', columns, q('户籍地=eq.朝阳市'), {
      filter: q(`户籍地=eq.${encodeURIComponent(evil)}&or=(人口数.eq.1,户籍地.like.${encodeURIComponent(evil)})`),
      order: [{ column: '人口数', direction: 'desc' }],
    });
    const sql = read.chunk([3, 10], 100);
    expect(sql.text).not.toContain('DROP');
    expect(sql.text).not.toContain('朝阳市');
    expect(sql.values).toContain(evil);
    expect(sql.values).toContain('朝阳市');
    expect(sql.text).toMatch(/^SELECT "_row", "c001", "c002" FROM "d_abc" WHERE /);
  });
});
