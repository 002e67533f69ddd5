/** The policy compiler's handling of free-text columns and the `redacted` mode (issue 24). */
import { describe, expect, it } from 'vitest';
import type { ColumnRow } from '../../catalog/catalog.service.ts';
import { compileRead, defaultMode, isFreeText, outputValue, viewColumns } from './compile.ts';

const column = (over: Partial<ColumnRow>): ColumnRow => ({
  dataset_id: 'd',
  position: 1,
  physical: 'c001',
  name: '事项内容',
  label: '事项内容',
  data_type: 'text',
  length: null,
  description: '',
  rules: {},
  classification: {},
  grade: 2,
  encrypted: false,
  blind_index: false,
  ...over,
});

const petition = column({ grade: 4, classification: { types: [], grade: 4, text: { spans: [{ type: 'cn_resident_id', count: 3 }], scanned: 3 } } });
const remark = column({ name: '备注', physical: 'c002', grade: 2, classification: { types: [], grade: 2 } });
const TEXT = '信访人秦明辉，身份证号11010519491231002X，手机13812345678。';

describe('free-text columns in the policy', () => {
  it('shares a graded free-text column redacted by default (无条件共享), other columns as before', () => {
    expect(isFreeText(petition)).toBe(true);
    expect(defaultMode(petition)).toBe('redacted');
    expect(isFreeText(remark)).toBe(false);
    expect(defaultMode(remark)).toBe('clear');
  });

  it('reads a redacted column with its spans masked or as placeholders, never the clear value', () => {
    const [masked] = viewColumns([petition], [{ name: '事项内容', mode: 'redacted' }]);
    expect(masked!.redact).toBe('masked');
    expect(outputValue(masked!, TEXT, {})).toBe('信访人秦**，身份证号110***********002X，手机138****5678。');
    const [placeholder] = viewColumns([petition], [{ name: '事项内容', mode: 'redacted', redact: 'placeholder' }]);
    expect(outputValue(placeholder!, TEXT, {})).toBe('信访人〔姓名〕，身份证号〔身份证号〕，手机〔手机号〕。');
    expect(outputValue(placeholder!, null, {})).toBeNull();
  });

  it('refuses to filter or order on a redacted column', () => {
    const view = viewColumns(
      [petition, remark],
      [
        { name: '事项内容', mode: 'redacted' },
        { name: '备注', mode: 'clear' },
      ],
    );
    const read =
      (filter: object, order: { column: string; direction: 'asc' | 'desc' }[] = []) =>
      () =>
        compileRead('d_1', view, null, { filter: filter as never, order });
    expect(read({ column: '事项内容', op: 'like', value: '*秦*' })).toThrow(expect.objectContaining({ code: 'column_not_filterable' }));
    expect(read({ and: [] }, [{ column: '事项内容', direction: 'asc' }])).toThrow(expect.objectContaining({ code: 'column_not_orderable' }));
    expect(read({ column: '备注', op: 'eq', value: 'x' })).not.toThrow();
  });
});
