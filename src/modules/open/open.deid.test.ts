import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildModel, check, evaluate, snapshotPlan, type ClassRow, type QiSpec, type Thresholds } from './deid.ts';
import { defaultHierarchy, hierarchyOf, levelCount } from './hierarchies.ts';

/** The class table SQL would return for these rows: GROUP BY every column, with counts. */
function classTable(rows: (string | null)[][], m: number): ClassRow[] {
  const counts = new Map<string, { row: (string | null)[]; n: number }>();
  for (const row of rows) {
    const key = JSON.stringify(row);
    const entry = counts.get(key) ?? { row, n: 0 };
    entry.n++;
    counts.set(key, entry);
  }
  return [...counts.values()].map(({ row, n }) => Object.fromEntries([...row.map((v, i) => [i < m ? `q${i}` : `s${i - m}`, v]), ['n', n]]));
}

/**
 * Applies a node to the raw rows outside the model (each value through its hierarchy, the suppressed
 * classes dropped) and checks what a published release must satisfy.
 */
function assertReleaseSatisfies(specs: QiSpec[], rows: (string | null)[][], levels: number[], p: number, t: Thresholds) {
  const model = buildModel(
    specs,
    Array.from({ length: p }, (_, i) => `s${i}`),
    classTable(rows, specs.length),
  );
  const plan = snapshotPlan(model, levels, t);
  const hierarchies = specs.map((s, j) => hierarchyOf(s.kind, { values: model.qis[j]!.raw, ...(s.near ? { near: s.near } : {}) }));
  const suppressed = new Set(plan.suppressed);
  const classes = new Map<string, { n: number; values: Set<string | null>[] }>();
  let kept = 0;
  for (const row of rows) {
    const codes = specs.map((_, j) => {
      const q = plan.qis[j]!;
      const v = row[j]!;
      return v === null ? q.nullCode : q.code[q.raw.indexOf(v)]!;
    });
    if (suppressed.has(codes.join(','))) continue;
    kept++;
    const generalized = specs.map((_, j) => hierarchies[j]!.generalize(row[j]!, levels[j]!));
    const key = JSON.stringify(generalized);
    const c = classes.get(key) ?? { n: 0, values: Array.from({ length: p }, () => new Set<string | null>()) };
    c.n++;
    for (let i = 0; i < p; i++) c.values[i]!.add(row[specs.length + i]!);
    classes.set(key, c);
  }
  expect(rows.length - kept).toBeLessThanOrEqual(t.maxSuppression * rows.length + 1e-9);
  for (const c of classes.values()) {
    if (specs.length) expect(c.n).toBeGreaterThanOrEqual(t.k);
    for (const values of c.values) expect(values.size).toBeGreaterThanOrEqual(t.l);
  }
}

const SEXES = ['男', '女'];
const REGIONS = ['双塔区', '龙城区', '朝阳县', '太和区', '古塔区', '和平区', '沈河区', '辽宁省锦州市凌河区解放路 3 号', null];
const KINDS = ['劳动社保', '城乡建设', '教育', '医疗'];

const personRow = fc.tuple(
  fc.constantFrom(...SEXES),
  fc.integer({ min: 0, max: 99 }).map(String),
  fc.date({ min: new Date('1950-01-01'), max: new Date('2010-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom(...REGIONS),
  fc.constantFrom(...KINDS),
);
const SPECS: QiSpec[] = [
  { name: '性别', kind: 'category' },
  { name: '年龄', kind: 'age' },
  { name: '出生日期', kind: 'date' },
  { name: '所在地', kind: 'region', near: '211300' },
];

describe('de-identification check', () => {
  it('measures k, l, the ARX risks and the information loss of a known table', () => {
    const rows: (string | null)[][] = [
      ['男', '30', 'A'],
      ['男', '30', 'B'],
      ['男', '30', 'A'],
      ['女', '41', 'A'],
      ['女', '42', 'B'],
      ['女', '47', 'C'],
    ];
    const model = buildModel(
      [
        { name: '性别', kind: 'category' },
        { name: '年龄', kind: 'age' },
      ],
      ['病种'],
      classTable(rows, 2),
    );
    const t = { k: 3, l: 2, maxSuppression: 0 };
    const raw = evaluate(model, [0, 0], t);
    // Classes {男,30}×3, {女,41}, {女,42}, {女,47}: three rows below k.
    expect(raw).toMatchObject({ passes: false, suppressedRows: 3, k: 3, classes: 1, misses: ['suppression', 'k', 'l'] });
    const banded = evaluate(model, [0, 2], t);
    // 10-year bands: {男,30-39}×3 (A,B) and {女,40-49}×3 (A,B,C).
    expect(banded).toMatchObject({ passes: true, suppressedRows: 0, k: 3, l: [2], classes: 2 });
    expect(banded.risks.prosecutor).toEqual({ recordsAtRisk: 0, highestRisk: 1 / 3, successRate: 2 / 6 });
    expect(banded.risks.journalist).toEqual(banded.risks.prosecutor);
    expect(banded.risks.marketer.successRate).toBeCloseTo(2 / 6);
    // Loss: 性别 kept (0); 年龄: 30 stays alone in 30-39 (0 of 3 others), 41/42/47 merge (2/3) → (3·0 + 3·2/3) / (6·2).
    expect(banded.informationLoss).toBeCloseTo((3 * (2 / 3)) / 12);
    const { result, proposals } = check(model, [0, 0], t);
    expect(result.passes).toBe(false);
    expect(proposals[0]!.result).toMatchObject({ passes: true, levels: [0, 2] });
  });

  it('without quasi-identifiers k does not apply and l still does', () => {
    const model = buildModel([], ['类别'], classTable([['A'], ['A']], 0));
    expect(evaluate(model, [], { k: 5, l: 2, maxSuppression: 0.05 })).toMatchObject({ passes: false, k: null, suppressedRows: 2 });
    const plain = buildModel([], [], classTable([[], [], []], 0));
    expect(evaluate(plain, [], { k: 5, l: 2, maxSuppression: 0.05 })).toMatchObject({ passes: true, k: null, keptRows: 3 });
  });

  it('generalizes regions through the GB/T 2260 divisions: district → city → province', () => {
    const h = hierarchyOf('region', { near: '211300' });
    expect(h.generalize('双塔区', 1)).toBe('辽宁省朝阳市双塔区');
    expect(h.generalize('双塔区', 2)).toBe('辽宁省朝阳市');
    expect(h.generalize('辽宁省锦州市凌河区解放路 3 号', 2)).toBe('辽宁省锦州市');
    expect(h.generalize('211302', 3)).toBe('辽宁省');
    expect(h.generalize('朝阳区', 2)).toBe('北京市');
    expect(h.generalize('不是地名', 1)).toBe('*');
    expect(h.generalize('双塔区', levelCount('region') - 1)).toBe('*');
    expect(hierarchyOf('date').generalize('1987-03-05', 1)).toBe('1987-03');
    expect(hierarchyOf('age').generalize('37', 1)).toBe('35-39');
    expect(hierarchyOf('prefix').generalize('121000', 1)).toBe('1210**');
    expect(hierarchyOf('number', { values: ['12', '950', '3300'] }).generalize('3300', 1)).toBe('3300-3309');
    // The whole ladders of issue 18: dates → month → year, age → 5/10-year bands, numbers → ranges.
    expect([0, 1, 2, 3].map((l) => hierarchyOf('date').generalize('1987-03-05', l))).toEqual(['1987-03-05', '1987-03', '1987', '*']);
    expect([0, 1, 2, 3, 4].map((l) => hierarchyOf('age').generalize('37', l))).toEqual(['37', '35-39', '30-39', '20-39', '*']);
    expect([0, 1, 2, 3, 4].map((l) => hierarchyOf('number', { values: ['12', '950', '3300'] }).generalize('3300', l))).toEqual([
      '3300',
      '3300-3309',
      '3300-3399',
      '3000-3999',
      '*',
    ]);
    expect([0, 1, 2, 3, 4].map((l) => hierarchyOf('region', { near: '210700' }).generalize('凌河区', l))).toEqual([
      '凌河区',
      '辽宁省锦州市凌河区',
      '辽宁省锦州市',
      '辽宁省',
      '*',
    ]);
    expect(defaultHierarchy({ name: '邮编', dataType: 'text', type: null })).toBe('prefix');
    expect(defaultHierarchy({ name: '区县', dataType: 'text', type: null })).toBe('region');
  });

  it('every passing node and every proposal satisfies its thresholds on random tables (property)', () => {
    fc.assert(
      fc.property(
        fc.array(personRow, { minLength: 1, maxLength: 120 }),
        fc.record({ k: fc.integer({ min: 2, max: 6 }), l: fc.integer({ min: 1, max: 3 }), maxSuppression: fc.constantFrom(0, 0.05, 0.2) }),
        fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 })),
        (people, t, start) => {
          const rows = people.map((r) => [...r] as (string | null)[]);
          const model = buildModel(SPECS, ['s0'], classTable(rows, SPECS.length));
          // Both searches: every step measured (small tables), and the path searched by halves (large ones).
          const exact = check(model, start, t);
          const path = check(model, start, t, 2, { exactSearchRows: 0 });
          const { result } = exact;
          const proposals = [...exact.proposals, ...path.proposals];
          expect(path.proposals.every((p) => p.strategy === 'path' || p.strategy === 'no_suppression')).toBe(true);
          const nodes = [...(result.passes ? [result] : []), ...proposals.map((p) => p.result)];
          for (const node of nodes) {
            expect(node.passes).toBe(true);
            assertReleaseSatisfies(SPECS, rows, node.levels, 1, t);
          }
          // A proposal only generalizes further than the officer chose.
          for (const p of proposals) p.result.levels.forEach((l, j) => expect(l).toBeGreaterThanOrEqual(start[j]!));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rolling up from a finer table gives the same figures as generalizing the raw rows (property)', () => {
    fc.assert(
      fc.property(
        fc.array(personRow, { minLength: 1, maxLength: 80 }),
        fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 })),
        (people, levels) => {
          const rows = people.map((r) => [...r] as (string | null)[]);
          const t = { k: 3, l: 2, maxSuppression: 0.1 };
          const model = buildModel(SPECS, ['s0'], classTable(rows, SPECS.length));
          // The same data generalized before counting, as one model at level 0.
          const hierarchies = SPECS.map((s, j) => hierarchyOf(s.kind, { values: model.qis[j]!.raw, near: '211300' }));
          const pre = rows.map((r) => [...SPECS.map((_, j) => hierarchies[j]!.generalize(r[j]!, levels[j]!)), r[4]!]);
          const flat = buildModel(
            SPECS.map((s) => ({ ...s, kind: 'category' as const })),
            ['s0'],
            classTable(pre, SPECS.length),
          );
          const a = evaluate(model, levels, t);
          const b = evaluate(
            flat,
            SPECS.map(() => 0),
            t,
          );
          expect({ k: a.k, l: a.l, classes: a.classes, suppressedRows: a.suppressedRows }).toEqual({
            k: b.k,
            l: b.l,
            classes: b.classes,
            suppressedRows: b.suppressedRows,
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});
