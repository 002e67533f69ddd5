import { describe, expect, it } from 'vitest';
import { csvText, tempDir, writeText } from '../../../test/fixtures/tables.ts';
import { QualityCollector } from './quality.ts';
import { openTable } from '../../lib/readers/index.ts';
import { createValidator } from './validate.ts';

describe('quality report', () => {
  it('counts rows, nulls, invalid values and duplicate keys while streaming a file', async () => {
    const dir = tempDir();
    try {
      const file = writeText(
        dir.file('people.csv'),
        csvText([
          ['id', 'name', 'age'],
          ['1', '张三', '30'],
          ['2', null, 'abc'],
          ['1', '李四', null],
          ['3', '王五', '200'],
        ]),
        'gbk',
      );
      const table = await openTable(file);
      const validator = createValidator(table.columns, {
        columns: [
          { column: 'id', unique: true, required: true },
          { column: 'age', type: 'integer', max: 150 },
        ],
      });
      const quality = new QualityCollector(table.columns, { maxExamples: 2 });
      for await (const row of table.rows) quality.add(row.values, row.line, validator.check(row.values, row.line));
      const report = quality.report(validator);

      expect(report.rows).toBe(4);
      expect(report.invalidRows).toBe(3);
      expect(report.invalidLines).toEqual([3, 4, 5]);
      expect(report.duplicateKeys).toBe(1);
      expect(report.keyCheck).toBe('complete');
      expect(report.failuresByRule).toEqual({ type: 1, unique: 1, range: 1 });
      expect(report.columns).toEqual([
        { name: 'id', nulls: 0, nullRate: 0, invalid: 1 },
        { name: 'name', nulls: 1, nullRate: 0.25, invalid: 0 },
        { name: 'age', nulls: 1, nullRate: 0.25, invalid: 2 },
      ]);
      expect(report.examples.map((e) => [e.line, e.column, e.rule])).toEqual([
        [3, 'age', 'type'],
        [4, 'id', 'unique'],
      ]);
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    } finally {
      dir.remove();
    }
  });

  it('reports an empty table without dividing by zero', () => {
    const report = new QualityCollector(['a']).report();
    expect(report).toMatchObject({ rows: 0, invalidRows: 0, keyCheck: 'none', columns: [{ name: 'a', nulls: 0, nullRate: 0, invalid: 0 }] });
  });
});
