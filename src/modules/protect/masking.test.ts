import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../errors.ts';
import { applyOperator, createRowMasker, generalize, operatorsFor } from './masking.ts';

describe('operators', () => {
  it('clear, masked, null and hidden', () => {
    expect(applyOperator('clear', '13812345678', { type: 'cn_mobile' })).toBe('13812345678');
    expect(applyOperator('clear', 42)).toBe(42);
    expect(applyOperator('masked', '13812345678', { type: 'cn_mobile' })).toBe('138****5678');
    expect(applyOperator('masked', 13812345678, { type: 'cn_mobile' })).toBe('138****5678');
    expect(applyOperator('null', '13812345678')).toBeNull();
    expect(applyOperator('hidden', '13812345678')).toBeUndefined();
    for (const op of ['clear', 'masked', 'pseudonym', 'generalized'] as const) expect(applyOperator(op, null, { type: 'age' })).toBeNull();
  });

  it('pseudonym needs the consumer-keyed pseudonymizer', () => {
    expect(applyOperator('pseudonym', 'x', { pseudonym: (v) => `P(${v})` })).toBe('P(x)');
    expect(() => applyOperator('pseudonym', 'x')).toThrow();
  });

  it('redacted needs the text redactor the read path hands in (classification finds the spans)', () => {
    expect(applyOperator('redacted', '联系人王小明', { redact: (t) => `R(${t})` })).toBe('R(联系人王小明)');
    expect(applyOperator('redacted', 42, { redact: (t) => `R(${t})` })).toBe('R(42)');
    expect(applyOperator('redacted', null, { redact: (t) => `R(${t})` })).toBeNull();
    expect(() => applyOperator('redacted', '联系人王小明')).toThrow(/text redactor/);
    expect(() => createRowMasker([{ name: 'note', operator: 'redacted' }])).toThrow(/text redactor/);
    expect(createRowMasker([{ name: 'note', operator: 'redacted', redact: (t) => t.length.toString() }]).apply({ note: '信访' })).toEqual({ note: '2' });
  });

  it('generalizes dates, ages, addresses and numbers', () => {
    expect(generalize('date_of_birth', '1987-06-15')).toBe('1987');
    expect(generalize('date_of_birth', '1987年6月15日', { date: 'month' })).toBe('1987-06');
    expect(generalize('date', new Date('2020-03-04T00:00:00Z'), { date: 'month' })).toBe('2020-03');
    expect(generalize('age', 37)).toBe('30-39');
    expect(generalize('age', '37', { ageBand: 5 })).toBe('35-39');
    const address = '辽宁省沈阳市和平区三好街88号';
    expect(generalize('address', address)).toBe('辽宁省沈阳市和平区');
    expect(generalize('address', address, { address: 'city' })).toBe('辽宁省沈阳市');
    expect(generalize('address', address, { address: 'province' })).toBe('辽宁省');
    expect(generalize('address', '三好街88号')).toBeNull();
    expect(generalize('number', 1234)).toBe('1000-1999');
    expect(generalize('amount', '1,234', { bucket: 500 })).toBe('1000-1499');
    expect(generalize('amount', '12.5')).toBe('[10, 20)');
    expect(generalize('number', 'n/a')).toBeNull();
    expect(() => generalize('cn_mobile', '13812345678')).toThrow(BadRequestError);
    expect(operatorsFor('cn_mobile')).not.toContain('generalized');
    expect(operatorsFor('age')).toContain('generalized');
  });

  it('property: a generalized date or age shows no more than the year, month or band', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString().slice(0, 10);
        expect(generalize('date_of_birth', iso)).toBe(iso.slice(0, 4));
        expect(generalize('date_of_birth', iso, { date: 'month' })).toBe(iso.slice(0, 7));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 120 }), fc.constantFrom(5 as const, 10 as const), (age, width) => {
        const [lo, hi] = (generalize('age', age, { ageBand: width }) ?? '').split('-').map(Number) as [number, number];
        expect(lo % width).toBe(0);
        expect(hi - lo).toBe(width - 1);
        expect(age >= lo && age <= hi).toBe(true);
      }),
    );
  });

  it('a row masker keeps only the view columns, in order, each under its operator', () => {
    const masker = createRowMasker(
      [
        { name: 'name', type: 'person_name', operator: 'masked' },
        { name: 'id_card', type: 'cn_resident_id', operator: 'hidden' },
        { name: 'mobile', type: 'cn_mobile', operator: 'pseudonym' },
        { name: 'birth', type: 'date_of_birth', operator: 'generalized' },
        { name: 'note', operator: 'null' },
      ],
      (v) => `P:${v.length}`,
    );
    expect(masker.columns).toEqual(['name', 'mobile', 'birth', 'note']);
    const out = masker.apply({ name: '欧阳娜娜', id_card: '21010219870615123X', mobile: '13812345678', birth: '1987-06-15', note: 'x', secret: 'leak' });
    expect(out).toEqual({ name: '欧阳**', mobile: 'P:11', birth: '1987', note: null });
    expect(() => createRowMasker([{ name: 'm', operator: 'pseudonym' }])).toThrow();
  });
});
