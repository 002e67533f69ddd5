import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { createValidator, KeyHashSet, maskValue, ruleError, type RuleFailure } from './validate.ts';

const columns = ['身份证号', '姓名', '年龄', '状态', '出生日期', '编码'];
/** A stand-in for classify's checks: only the known valid sample is a resident ID. */
const identifierCheck = (type: string, value: string) => type === 'cn_resident_id' && value === '11010519491231002X';

describe('validation rules', () => {
  const v = createValidator(
    columns,
    {
      columns: [
        { column: '身份证号', required: true, unique: true, identifier: 'cn_resident_id' },
        { column: '年龄', type: 'integer', min: 0, max: 150 },
        { column: '状态', enum: ['有效', '注销'] },
        { column: '出生日期', type: 'date', min: '1900-01-01', max: '2030-12-31' },
        { column: '编码', pattern: '[A-Z]{2}\\d{4}' },
      ],
    },
    { identifierCheck },
  );

  it('passes a valid row without allocating failures', () => {
    expect(v.check(['11010519491231002X', '张三', '30', '有效', '1990/1/2', 'AB1234'], 2)).toBeNull();
  });

  it('reports each broken rule with line, column, rule and a masked value', () => {
    const failures = v.check(['110105194912310038', '李四', '200', '未知', '1890-01-01', 'ab12'], 3)!;
    const byRule = Object.fromEntries(failures.map((f) => [f.rule, f]));
    expect(Object.keys(byRule).sort()).toEqual(['enum', 'identifier', 'pattern', 'range']);
    expect(byRule.identifier).toMatchObject({ line: 3, column: '身份证号', value: '1**********8' });
    expect(byRule.identifier!.message.zh).toContain('第 3 行“身份证号”列');
    expect(byRule.identifier!.message.zh).toContain('居民身份证号码');
    expect(byRule.identifier!.message.zh).not.toContain('110105194912310038');
    expect(failures.filter((f) => f.rule === 'range').map((f) => f.column)).toEqual(['年龄', '出生日期']);
  });

  it('checks required and type conformance', () => {
    const failures = v.check([null, 'x', 'abc', null, '2023-02-30', null], 4)!;
    expect(failures.map((f) => [f.rule, f.column])).toEqual([
      ['required', '身份证号'],
      ['type', '年龄'],
      ['type', '出生日期'],
    ]);
    expect(failures[0]!.value).toBeNull();
  });

  it('finds a repeated key anywhere in the file and names the first line', () => {
    const failures = v.check(['11010519491231002X', '王五', null, null, null, null], 9)!;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ rule: 'unique', duplicateOf: 2, line: 9 });
    expect(v.duplicateKeys).toBe(1);
    expect(v.keyCheck).toBe('complete');
  });

  it('checks composite keys and skips keys with an empty part', () => {
    const k = createValidator(['a', 'b'], { columns: [], key: ['a', 'b'] });
    expect(k.check(['1', 'x'], 2)).toBeNull();
    expect(k.check(['1', 'y'], 3)).toBeNull();
    expect(k.check(['1', null], 4)).toBeNull();
    expect(k.check(['1', null], 5)).toBeNull();
    expect(k.check(['1', 'x'], 6)![0]).toMatchObject({ column: 'a+b', duplicateOf: 2 });
  });

  it('turns a failure into a clear error for datasets that reject invalid versions', () => {
    const f: RuleFailure = v.check(['1', null, null, null, null, null], 12)!.find((x) => x.rule === 'identifier')!;
    const err = ruleError(f);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('invalid_value');
    expect(err.details).toMatchObject({ line: 12, column: '身份证号', rule: 'identifier' });
  });

  it('refuses rules on unknown columns and broken patterns', () => {
    expect(() => createValidator(['a'], { columns: [{ column: 'b', required: true }] })).toThrow(/b/);
    expect(() => createValidator(['a'], { columns: [{ column: 'a', pattern: '(' }] })).toThrow(AppError);
    expect(() => createValidator(['a'], { columns: [{ column: 'a', identifier: 'cn_mobile' }] })).toThrow(AppError);
  });
});

describe('key hash set', () => {
  it('remembers a million distinct keys with no false duplicates and finds every repeat', () => {
    const set = new KeyHashSet(5_000_000);
    let falseDuplicates = 0;
    for (let i = 0; i < 1_000_000; i++) if (set.addOrFind(`k${i}`, i + 1) !== undefined) falseDuplicates++;
    expect(falseDuplicates).toBe(0);
    const found: (number | undefined)[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 1_000_000; i += 9973) {
      found.push(set.addOrFind(`k${i}`, 0));
      expected.push(i + 1);
    }
    expect(found).toEqual(expected);
  });

  it('stops remembering at its bound and says so', () => {
    const set = new KeyHashSet(10);
    for (let i = 0; i < 20; i++) set.addOrFind(String(i), i);
    expect(set.full).toBe(true);
    expect(set.addOrFind('3', 99)).toBe(3);
  });
});

describe('masking', () => {
  it('keeps only the first and last characters', () => {
    expect(maskValue('11010519491231002X')).toBe('1**********X');
    expect(maskValue('张三丰')).toBe('张*丰');
    expect(maskValue('张三')).toBe('张*');
    expect(maskValue('x')).toBe('*');
    expect(maskValue('𠮷a𠮷')).toBe('𠮷*𠮷');
  });
});
