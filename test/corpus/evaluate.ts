/** Precision and recall per type, for the table corpus (per column) and the text corpus (per span). */
import type { TextFinding, TypeId } from '../../src/modules/classify/types.ts';
import { TYPE_IDS } from '../../src/modules/classify/types.ts';
import type { CorpusTable } from './tables.ts';
import type { Span } from './texts.ts';

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

function score(tp: number, fp: number, fn: number): Score {
  return { tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
}

export interface Mistake {
  where: string;
  expected: TypeId[];
  got: TypeId[];
}

/** Scores per type: a column counts once per type, found (reported among its types) or not. */
export function scoreTables(tables: CorpusTable[], predicted: TypeId[][][]): { scores: Map<TypeId, Score>; mistakes: Mistake[] } {
  const counts = new Map<TypeId, [number, number, number]>(TYPE_IDS.map((t) => [t, [0, 0, 0]]));
  const mistakes: Mistake[] = [];
  tables.forEach((table, t) =>
    table.columns.forEach((column, c) => {
      const got = predicted[t]![c]!;
      for (const type of TYPE_IDS) {
        const expected = column.labels.includes(type);
        const found = got.includes(type);
        const k = counts.get(type)!;
        if (expected && found) k[0]++;
        else if (found) k[1]++;
        else if (expected) k[2]++;
      }
      const sameSet = got.length === column.labels.length && got.every((g) => column.labels.includes(g));
      if (!sameSet) mistakes.push({ where: `${table.name}.${column.header}`, expected: column.labels, got });
    }),
  );
  return { scores: new Map([...counts].map(([t, [tp, fp, fn]]) => [t, score(tp, fp, fn)])), mistakes };
}

/** Scores per type: a finding is right when type, start and end equal a labelled span. */
export function scoreText(spans: Span[], findings: TextFinding[]): { scores: Map<TypeId, Score>; mistakes: string[] } {
  const key = (s: { type: string; start: number; end: number }) => `${s.type}:${s.start}:${s.end}`;
  const gold = new Set(spans.map(key));
  const got = new Set(findings.map(key));
  const counts = new Map<TypeId, [number, number, number]>(TYPE_IDS.map((t) => [t, [0, 0, 0]]));
  const mistakes: string[] = [];
  for (const f of findings) {
    const k = counts.get(f.type)!;
    if (gold.has(key(f))) k[0]++;
    else {
      k[1]++;
      mistakes.push(`false ${key(f)} ${f.masked}`);
    }
  }
  for (const s of spans) {
    if (!got.has(key(s))) {
      counts.get(s.type)![2]++;
      mistakes.push(`missed ${key(s)}`);
    }
  }
  return { scores: new Map([...counts].map(([t, [tp, fp, fn]]) => [t, score(tp, fp, fn)])), mistakes };
}

/** Types whose values validate by checksum or strict ranges: held to precision and recall ≥ 0.99. */
export const CHECKSUMMED: readonly TypeId[] = [
  'cn_resident_id',
  'cn_uscc',
  'cn_org_code',
  'bank_card',
  'cn_mobile',
  'email',
  'ipv4',
  'ipv6',
  'mac',
  'cn_plate',
];

export function formatScores(title: string, scores: Map<TypeId, Score>): string {
  const lines = [`${title.padEnd(18)} ${'precision'.padStart(9)} ${'recall'.padStart(7)}   tp/fp/fn`];
  for (const [type, s] of scores) {
    if (s.tp + s.fp + s.fn === 0) continue;
    lines.push(`${type.padEnd(18)} ${s.precision.toFixed(3).padStart(9)} ${s.recall.toFixed(3).padStart(7)}   ${s.tp}/${s.fp}/${s.fn}`);
  }
  return lines.join('\n');
}
