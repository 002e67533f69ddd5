/** Quality on the labelled corpus (deterministic seed): per-type precision and recall thresholds. */
import { describe, expect, it } from 'vitest';
import { CHECKSUMMED, scoreTables, scoreText } from '../../../test/corpus/evaluate.ts';
import { generateTables } from '../../../test/corpus/tables.ts';
import { generateText } from '../../../test/corpus/texts.ts';
import { TableClassifier } from './engine.ts';
import { scanText } from './text.ts';
import { TYPE_IDS } from './types.ts';

function thresholds(type: string): number {
  return CHECKSUMMED.includes(type as never) ? 0.99 : 0.95;
}

describe('labelled corpus', () => {
  it('tables: precision and recall per type', () => {
    const tables = generateTables(2024, 80, 120);
    const predicted = tables.map((t) => {
      const c = new TableClassifier(t.columns.map((x) => x.header));
      for (let i = 0; i < t.rows; i++) c.addRow(t.columns.map((x) => x.values[i]!));
      return c.finish().result.columns.map((col) => col.types.map((x) => x.type));
    });
    const { scores, mistakes } = scoreTables(tables, predicted);
    for (const type of TYPE_IDS) {
      const s = scores.get(type)!;
      expect(s.tp, `${type} appears in the corpus`).toBeGreaterThan(0);
      expect(s.precision, `${type} precision; ${JSON.stringify(mistakes.slice(0, 5))}`).toBeGreaterThanOrEqual(thresholds(type));
      expect(s.recall, `${type} recall; ${JSON.stringify(mistakes.slice(0, 5))}`).toBeGreaterThanOrEqual(thresholds(type));
    }
  });

  it('text: precision and recall per type (exact spans)', () => {
    const { text, spans } = generateText(2025, 1200);
    const { scores, mistakes } = scoreText(spans, scanText(text));
    for (const type of TYPE_IDS) {
      const s = scores.get(type)!;
      expect(s.tp, `${type} appears in the corpus`).toBeGreaterThan(0);
      expect(s.precision, `${type} precision; ${mistakes.slice(0, 5).join(' | ')}`).toBeGreaterThanOrEqual(thresholds(type));
      expect(s.recall, `${type} recall; ${mistakes.slice(0, 5).join(' | ')}`).toBeGreaterThanOrEqual(thresholds(type));
    }
  });
});
