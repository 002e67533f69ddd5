import { describe, expect, it } from 'vitest';
import { columnProtection, DEFAULT_POLICY, datasetGrade, GRADE_PROTECTION, gradeColumn, importantCandidate, protectionFor } from './grades.ts';

const t = (type: Parameters<typeof gradeColumn>[0][number]['type']) => ({ type, confidence: 1, matched: 1, checksumFailed: 0 });

describe('grade table (standards.md §2)', () => {
  it('grades types by the default table', () => {
    expect(gradeColumn([t('cn_resident_id')], true)).toEqual({ category: '个人身份信息', sensitive: true, grade: 4 });
    expect(gradeColumn([t('bank_card')], true)).toEqual({ category: '个人财产信息', sensitive: true, grade: 4 });
    expect(gradeColumn([t('gps')], true)).toEqual({ category: '个人位置信息', sensitive: true, grade: 4 });
    expect(gradeColumn([t('person_name')], true)).toEqual({ category: '个人基本资料', sensitive: false, grade: 3 });
    expect(gradeColumn([t('cn_uscc')], true)).toEqual({ category: null, sensitive: false, grade: 2 });
    expect(gradeColumn([], true)).toEqual({ category: null, sensitive: false, grade: DEFAULT_POLICY.defaultGrade });
  });
  it('takes the highest grade of a column and of a dataset (就高从严)', () => {
    expect(gradeColumn([t('cn_mobile'), t('cn_resident_id')], true).grade).toBe(4);
    expect(datasetGrade([{ grade: 2 }, { grade: 4 }, { grade: 3 }])).toBe(4);
    expect(datasetGrade([])).toBe(DEFAULT_POLICY.defaultGrade);
  });
  it('lets the policy override a type', () => {
    const policy = { ...DEFAULT_POLICY, types: { cn_plate: { category: '其他' as const, sensitive: false, grade: 4 as const } } };
    expect(gradeColumn([t('cn_plate')], true, policy).grade).toBe(4);
  });
});

describe('protection by grade', () => {
  it('encrypts 4级 at rest and masks 3级 and 4级 by default', () => {
    expect(GRADE_PROTECTION[4]).toMatchObject({ encryptAtRest: true, defaultShare: 'masked', clearRequires: ['provider', 'security'] });
    expect(GRADE_PROTECTION[3]).toMatchObject({ encryptAtRest: false, defaultShare: 'masked', clearRequires: ['provider'] });
    expect(GRADE_PROTECTION[2]).toMatchObject({ encryptAtRest: false, defaultShare: 'clear' });
    expect(GRADE_PROTECTION[1]).toMatchObject({ defaultShare: 'clear', openable: true });
    expect(protectionFor(2, 'general', true).grade).toBe(4); // an important-data candidate stays 4级-protected
    expect(protectionFor(3, 'important').encryptAtRest).toBe(true);
    expect(columnProtection({ types: [t('cn_mobile')], grade: 3 })).toMatchObject({ defaultOperator: 'masked', maskAs: 'cn_mobile', encryptAtRest: false });
  });
});

describe('重要数据 candidate rule', () => {
  const input = { rows: 10, columns: [{ name: '身份证号', types: [{ type: 'cn_resident_id' as const }] }], distinctStandardError: 0 };
  it('fires from 1,000,000 distinct persons by default', () => {
    expect(importantCandidate({ ...input, distinctPersons: 999_999 }).candidate).toBe(false);
    expect(importantCandidate({ ...input, distinctPersons: 1_000_000 }).candidate).toBe(true);
  });
  it('errs on the side of review for an estimated count near the line', () => {
    expect(importantCandidate({ ...input, distinctPersons: 990_000, distinctStandardError: 0.0081 }).candidate).toBe(true);
    expect(importantCandidate({ ...input, distinctPersons: 900_000, distinctStandardError: 0.0081 }).candidate).toBe(false);
  });
  it('evaluates extra rules with all their conditions', () => {
    const policy = { ...DEFAULT_POLICY, extraRules: [{ id: 'ids-10', description: 'ID numbers, 10 rows', types: ['cn_resident_id' as const], minRows: 10 }] };
    expect(importantCandidate({ ...input, distinctPersons: 1 }, policy).candidate).toBe(true);
    expect(importantCandidate({ ...input, rows: 9, distinctPersons: 1 }, policy).candidate).toBe(false);
  });
});
