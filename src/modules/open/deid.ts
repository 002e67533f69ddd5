/**
 * The de-identification check of a release (GB/T 37964-2019 去标识化 process step "validate"; GB/T
 * 42460-2023 effect evaluation): k-anonymity over the quasi-identifiers, distinct l-diversity of each
 * sensitive attribute, the re-identification risks as ARX reports them, and generalization proposals
 * with their information loss. Pure functions over a class table: the counting itself is SQL (one
 * GROUP BY over the quasi-identifiers and sensitive attributes, see open.repo.ts `classTable`), and
 * everything here works on its result, whose size is the number of distinct combinations, not rows.
 *
 * Formulas (README.md of this module gives the references):
 *   equivalence class c: the rows sharing every quasi-identifier value at the chosen levels
 *   suppressed: every row of a class with |c| < k, or with fewer than l distinct values of a sensitive attribute
 *   k achieved = min |c| over kept classes;  l achieved = min distinct values over kept classes
 *   prosecutor:  records at risk = Σ{|c| : 1/|c| > 1/k} / N';  highest risk = 1 / min|c|;  success rate = #classes / N'
 *   journalist:  as prosecutor (the release is its own population: no population table is assumed)
 *   marketer:    success rate = #classes / N'
 *   information loss (Iyengar's LM): per value (leaves(g) − 1) / (|D| − 1), averaged over kept rows and
 *   quasi-identifiers, a suppressed row counting 1 per quasi-identifier.
 */
import type { Message } from '../../errors.ts';
import { hierarchyOf, levelCount, SUPPRESSED, type Hierarchy, type HierarchyKind } from './hierarchies.ts';

export interface Thresholds {
  /** Every kept class has at least k rows. */
  k: number;
  /** Every kept class has at least l distinct values of each sensitive attribute. */
  l: number;
  /** Largest share of rows that may be suppressed (0–1). */
  maxSuppression: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { k: 5, l: 2, maxSuppression: 0.05 };

/** One quasi-identifier of the model. */
export interface QiSpec {
  name: string;
  kind: HierarchyKind;
  /** The publisher's region code, to resolve ambiguous division names. */
  near?: string;
}

interface QiModel {
  name: string;
  hierarchy: Hierarchy;
  top: number;
  /** Distinct stored values (dictionary); code = index. */
  raw: (string | null)[];
  /** Per level: raw code → code of the generalized value. */
  gen: Int32Array[];
  /** Per level: generalized code → value. */
  labels: (string | null)[][];
  /** Per level: generalized code → information loss of a value generalized to it. */
  loss: Float64Array[];
  /** Cached level a → level b code maps (nested hierarchies). */
  trans: Map<string, Int32Array>;
}

/** Distinct (quasi-identifier, sensitive) combinations at some levels, with their row counts. */
export interface Table {
  levels: number[];
  qi: Int32Array[];
  sens: Int32Array[];
  n: Float64Array;
  size: number;
}

export interface Model {
  qis: QiModel[];
  sensitive: { name: string; values: (string | null)[] }[];
  total: number;
  base: Table;
}

/** A row of the class table as SQL returns it: q0…, s0…, n. */
export type ClassRow = Record<string, unknown>;

function dictionary(): { codes: Map<string | null, number>; values: (string | null)[]; code(v: string | null): number } {
  const codes = new Map<string | null, number>();
  const values: (string | null)[] = [];
  return {
    codes,
    values,
    code(v) {
      let c = codes.get(v);
      if (c === undefined) {
        c = values.length;
        codes.set(v, c);
        values.push(v);
      }
      return c;
    },
  };
}

const asText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Builds the model from the class table rows (columns q0…q{m-1}, s0…s{p-1}, n). */
export function buildModel(specs: readonly QiSpec[], sensitiveNames: readonly string[], rows: readonly ClassRow[]): Model {
  const m = specs.length;
  const p = sensitiveNames.length;
  const qiDicts = specs.map(() => dictionary());
  const sDicts = sensitiveNames.map(() => dictionary());
  const qiKeys = specs.map((_, j) => `q${j}`);
  const sKeys = sensitiveNames.map((_, j) => `s${j}`);
  const qi = specs.map(() => new Int32Array(rows.length));
  const sens = sensitiveNames.map(() => new Int32Array(rows.length));
  const n = new Float64Array(rows.length);
  let total = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let j = 0; j < m; j++) qi[j]![r] = qiDicts[j]!.code(asText(row[qiKeys[j]!]));
    for (let j = 0; j < p; j++) sens[j]![r] = sDicts[j]!.code(asText(row[sKeys[j]!]));
    const count = Number(row.n);
    n[r] = count;
    total += count;
  }
  const qis = specs.map((spec, j): QiModel => {
    const raw = qiDicts[j]!.values;
    const hierarchy = hierarchyOf(spec.kind, { values: raw, ...(spec.near ? { near: spec.near } : {}) });
    const top = levelCount(spec.kind) - 1;
    const gen: Int32Array[] = [];
    const labels: (string | null)[][] = [];
    const loss: Float64Array[] = [];
    for (let level = 0; level <= top; level++) {
      const d = dictionary();
      const map = new Int32Array(raw.length);
      for (let c = 0; c < raw.length; c++) map[c] = d.code(level === 0 ? raw[c]! : hierarchy.generalize(raw[c]!, level));
      const leaves = new Int32Array(d.values.length);
      for (let c = 0; c < raw.length; c++) leaves[map[c]!]!++;
      const lossOf = new Float64Array(d.values.length);
      for (let g = 0; g < d.values.length; g++) {
        lossOf[g] = raw.length > 1 ? (leaves[g]! - 1) / (raw.length - 1) : level === top ? 1 : 0;
      }
      // The top level loses everything, whatever the data: a fully generalized column says nothing.
      if (level === top) lossOf.fill(1);
      gen.push(map);
      labels.push(d.values);
      loss.push(lossOf);
    }
    return { name: spec.name, hierarchy, top, raw, gen, labels, loss, trans: new Map() };
  });
  return {
    qis,
    sensitive: sensitiveNames.map((name, j) => ({ name, values: sDicts[j]!.values })),
    total,
    base: { levels: specs.map(() => 0), qi, sens, n, size: rows.length },
  };
}

/** Level a → level b code map of a nested hierarchy. */
function transition(q: QiModel, a: number, b: number): Int32Array {
  const key = `${a}>${b}`;
  let map = q.trans.get(key);
  if (!map) {
    map = new Int32Array(q.labels[a]!.length).fill(-1);
    for (let r = 0; r < q.raw.length; r++) {
      const from = q.gen[a]![r]!;
      const to = q.gen[b]![r]!;
      if (map[from] !== -1 && map[from] !== to) throw new Error(`hierarchy ${q.hierarchy.kind} of ${q.name} is not nested between levels ${a} and ${b}`);
      map[from] = to;
    }
    q.trans.set(key, map);
  }
  return map;
}

/**
 * Groups rows by a key made of several small integer codes. Keys are packed into one exact float
 * when the radices allow (< 2^53), else joined as text.
 */
function grouper(radices: readonly number[]) {
  let product = 1;
  for (const r of radices) product *= Math.max(1, r);
  const packed = product < 2 ** 53;
  const numberKeys = new Map<number, number>();
  const textKeys = new Map<string, number>();
  return {
    /** The group index of the key formed by codes(i) for i < radices.length; new groups get the next index. */
    index(codes: (i: number) => number, next: number): number {
      if (packed) {
        let key = 0;
        for (let i = 0; i < radices.length; i++) key = key * Math.max(1, radices[i]!) + codes(i);
        const found = numberKeys.get(key);
        if (found !== undefined) return found;
        numberKeys.set(key, next);
        return next;
      }
      let key = '';
      for (let i = 0; i < radices.length; i++) key += `${codes(i)},`;
      const found = textKeys.get(key);
      if (found !== undefined) return found;
      textKeys.set(key, next);
      return next;
    },
  };
}

/** The table at coarser levels: codes mapped up the hierarchies, identical rows merged. */
export function rollUp(model: Model, table: Table, levels: readonly number[]): Table {
  const m = model.qis.length;
  if (levels.every((l, j) => l === table.levels[j])) return table;
  for (let j = 0; j < m; j++) if (levels[j]! < table.levels[j]!) throw new Error('rollUp only generalizes further');
  const maps = model.qis.map((q, j) => (levels[j] === table.levels[j] ? null : transition(q, table.levels[j]!, levels[j]!)));
  const radices = [...model.qis.map((q, j) => q.labels[levels[j]!]!.length), ...model.sensitive.map((s) => s.values.length)];
  const groups = grouper(radices);
  const qi = model.qis.map(() => new Int32Array(table.size));
  const sens = model.sensitive.map(() => new Int32Array(table.size));
  const n = new Float64Array(table.size);
  let size = 0;
  const mapped = new Int32Array(m);
  for (let r = 0; r < table.size; r++) {
    for (let j = 0; j < m; j++) {
      const code = table.qi[j]![r]!;
      mapped[j] = maps[j] ? maps[j]![code]! : code;
    }
    const g = groups.index((i) => (i < m ? mapped[i]! : table.sens[i - m]![r]!), size);
    if (g === size) {
      for (let j = 0; j < m; j++) qi[j]![g] = mapped[j]!;
      for (let j = 0; j < sens.length; j++) sens[j]![g] = table.sens[j]![r]!;
      size++;
    }
    n[g]! += table.n[r]!;
  }
  return { levels: [...levels], qi: qi.map((a) => a.subarray(0, size)), sens: sens.map((a) => a.subarray(0, size)), n: n.subarray(0, size), size };
}

export interface RiskSummary {
  /** Share of released rows whose re-identification probability is above 1/k. */
  recordsAtRisk: number;
  /** Highest probability of re-identifying one released row: 1 / smallest class. */
  highestRisk: number;
  /** Share of released rows re-identified on average: classes / rows. */
  successRate: number;
}

export interface NodeResult {
  /** Generalization level per quasi-identifier (in the order of the model). */
  levels: number[];
  passes: boolean;
  /** What the node misses: k, l (some sensitive attribute), suppression limit. */
  misses: ('k' | 'l' | 'suppression')[];
  rows: number;
  keptRows: number;
  suppressedRows: number;
  /** suppressedRows / rows. */
  suppression: number;
  /** Equivalence classes released. */
  classes: number;
  /** Smallest released class (null without quasi-identifiers: k-anonymity does not apply). */
  k: number | null;
  /** Fewest distinct values per sensitive attribute over released classes (null when nothing is released). */
  l: (number | null)[];
  /** 0 (nothing lost) … 1 (nothing left). */
  informationLoss: number;
  risks: { prosecutor: RiskSummary; journalist: RiskSummary; marketer: { successRate: number } };
  /** Classes by size before suppression: how close the table is to k. */
  classSizes: { from: number; to: number | null; classes: number; rows: number }[];
}

const SIZE_BUCKETS: [number, number | null][] = [
  [1, 1],
  [2, 2],
  [3, 4],
  [5, 9],
  [10, 19],
  [20, 49],
  [50, 99],
  [100, null],
];

interface Evaluation {
  result: NodeResult;
  /** Class index of each table row, and which classes are suppressed. */
  classOf: Int32Array;
  suppressed: Uint8Array;
}

/** Measures one table against the thresholds. */
function measure(model: Model, table: Table, t: Thresholds): Evaluation {
  const m = model.qis.length;
  const p = model.sensitive.length;
  const groups = grouper(model.qis.map((q, j) => q.labels[table.levels[j]!]!.length));
  const classOf = new Int32Array(table.size);
  let classes = 0;
  for (let r = 0; r < table.size; r++) {
    const c = groups.index((i) => table.qi[i]![r]!, classes);
    if (c === classes) classes++;
    classOf[r] = c;
  }
  const size = new Float64Array(classes);
  for (let r = 0; r < table.size; r++) size[classOf[r]!]! += table.n[r]!;
  // Distinct sensitive values per class: with one sensitive attribute every table row is a distinct
  // (class, value) pair; with several, pairs are deduplicated per attribute.
  const distinct = model.sensitive.map(() => new Int32Array(classes));
  for (let j = 0; j < p; j++) {
    const counts = distinct[j]!;
    if (p === 1) {
      for (let r = 0; r < table.size; r++) counts[classOf[r]!]!++;
      continue;
    }
    const card = Math.max(1, model.sensitive[j]!.values.length);
    const seen = new Set<number>();
    for (let r = 0; r < table.size; r++) {
      const key = classOf[r]! * card + table.sens[j]![r]!;
      if (!seen.has(key)) {
        seen.add(key);
        counts[classOf[r]!]!++;
      }
    }
  }
  const applyK = m > 0;
  const suppressed = new Uint8Array(classes);
  const histogram = SIZE_BUCKETS.map(([from, to]) => ({ from, to, classes: 0, rows: 0 }));
  let suppressedRows = 0;
  let keptClasses = 0;
  let kMin = Infinity;
  const lMin = model.sensitive.map(() => Infinity);
  let missK = false;
  let missL = false;
  let atRisk = 0;
  for (let c = 0; c < classes; c++) {
    const s = size[c]!;
    const bucket = histogram.find((b) => s >= b.from && (b.to === null || s <= b.to))!;
    bucket.classes++;
    bucket.rows += s;
    const smallK = applyK && s < t.k;
    let smallL = false;
    for (let j = 0; j < p; j++) if (distinct[j]![c]! < t.l) smallL = true;
    if (smallK || smallL) {
      suppressed[c] = 1;
      suppressedRows += s;
      missK ||= smallK;
      missL ||= smallL;
      continue;
    }
    keptClasses++;
    if (s < kMin) kMin = s;
    if (1 / s > 1 / t.k) atRisk += s;
    for (let j = 0; j < p; j++) if (distinct[j]![c]! < lMin[j]!) lMin[j] = distinct[j]![c]!;
  }
  const rows = model.total;
  const keptRows = rows - suppressedRows;
  let lossSum = suppressedRows * m;
  if (m > 0) {
    for (let r = 0; r < table.size; r++) {
      if (suppressed[classOf[r]!]) continue;
      let l = 0;
      for (let j = 0; j < m; j++) l += model.qis[j]!.loss[table.levels[j]!]![table.qi[j]![r]!]!;
      lossSum += l * table.n[r]!;
    }
  }
  const suppression = rows === 0 ? 0 : suppressedRows / rows;
  const misses: NodeResult['misses'] = [];
  // Suppressing whole classes fixes k and l; what fails is the share it takes (or everything).
  if (suppression > t.maxSuppression || (rows > 0 && keptRows === 0)) misses.push('suppression');
  if (misses.length && missK) misses.push('k');
  if (misses.length && missL) misses.push('l');
  const success = keptRows === 0 ? 0 : keptClasses / keptRows;
  const highest = keptRows === 0 ? 0 : 1 / kMin;
  const prosecutor = { recordsAtRisk: keptRows === 0 ? 0 : atRisk / keptRows, highestRisk: highest, successRate: success };
  return {
    classOf,
    suppressed,
    result: {
      levels: [...table.levels],
      passes: misses.length === 0,
      misses,
      rows,
      keptRows,
      suppressedRows,
      suppression,
      classes: keptClasses,
      k: !applyK ? null : keptRows === 0 ? 0 : kMin,
      l: lMin.map((v) => (Number.isFinite(v) ? v : null)),
      informationLoss: rows === 0 ? 0 : m === 0 ? suppression : lossSum / (rows * m),
      risks: { prosecutor, journalist: { ...prosecutor }, marketer: { successRate: success } },
      classSizes: histogram.filter((b) => b.classes > 0),
    },
  };
}

/** The check at given levels (rolled up from the base table). */
export function evaluate(model: Model, levels: readonly number[], t: Thresholds): NodeResult {
  return measure(model, rollUp(model, model.base, levels), t).result;
}

/** Level names of a node, for reports. */
export function levelNames(model: Model, levels: readonly number[]): { name: string; level: number; label: Message }[] {
  return model.qis.map((q, j) => ({ name: q.name, level: levels[j]!, label: q.hierarchy.levels[levels[j]!]! }));
}

/** The top level of each quasi-identifier. */
export function topLevels(model: Model): number[] {
  return model.qis.map((q) => q.top);
}

export interface Proposal {
  /** greedy: least information loss per row saved; no_suppression: generalize until nothing is suppressed; least_loss: cheapest step each time. */
  strategy: 'greedy' | 'no_suppression' | 'least_loss';
  result: NodeResult;
}

type Step = { table: Table; result: NodeResult };

/** Every one-level generalization of the current table, measured. */
function children(model: Model, current: Table, t: Thresholds): Step[] {
  const out: Step[] = [];
  model.qis.forEach((q, j) => {
    if (current.levels[j]! >= q.top) return;
    const levels = [...current.levels];
    levels[j]!++;
    const table = rollUp(model, current, levels);
    out.push({ table, result: measure(model, table, t).result });
  });
  return out;
}

/**
 * Walks up the generalization lattice from `start` one level at a time, choosing each step by
 * `pick`, until `done`. Each step re-measures only the candidates of the current node, on the current
 * (already merged) table, so the work shrinks as the classes grow.
 */
function climb(model: Model, start: Step, t: Thresholds, pick: (from: Step, options: Step[]) => Step, done: (s: Step) => boolean): Step | undefined {
  let current = start;
  for (;;) {
    if (done(current)) return current;
    const options = children(model, current.table, t);
    if (!options.length) return undefined;
    const winners = options.filter(done);
    if (winners.length) return winners.reduce((a, b) => (b.result.informationLoss < a.result.informationLoss ? b : a));
    current = pick(current, options);
  }
}

/** Rows saved from suppression per unit of information lost; ties go to the smaller loss. */
function byGain(from: Step, options: Step[]): Step {
  const gain = (s: Step) => (from.result.suppressedRows - s.result.suppressedRows) / Math.max(1e-9, s.result.informationLoss - from.result.informationLoss);
  return options.reduce((a, b) => {
    const ga = gain(a);
    const gb = gain(b);
    return gb > ga || (gb === ga && b.result.informationLoss < a.result.informationLoss) ? b : a;
  });
}

const byLoss = (_from: Step, options: Step[]): Step => options.reduce((a, b) => (b.result.informationLoss < a.result.informationLoss ? b : a));

/**
 * Generalizations (with the suppression they still need) that pass the thresholds, starting from the
 * measured start node: up to `max` distinct proposals, best first.
 */
function proposeFrom(model: Model, first: Step, t: Thresholds, max: number): Proposal[] {
  const proposals: Proposal[] = [];
  const add = (strategy: Proposal['strategy'], s: Step | undefined) => {
    if (!s || proposals.length >= max) return;
    if (proposals.some((p) => p.result.levels.join() === s.result.levels.join())) return;
    proposals.push({ strategy, result: s.result });
  };
  const passes = (s: Step) => s.result.passes;
  const greedy = climb(model, first, t, byGain, passes);
  add('greedy', greedy);
  if (proposals.length < max && greedy && greedy.result.suppressedRows > 0) {
    add('no_suppression', climb(model, greedy, t, byGain, (s) => s.result.passes && s.result.suppressedRows === 0));
  }
  if (proposals.length < max) add('least_loss', climb(model, first, t, byLoss, passes));
  return proposals;
}

/**
 * The check of a node (the officer's levels) and, when it misses the thresholds, up to `maxProposals`
 * generalizations from there that pass.
 */
export function check(model: Model, start: readonly number[], t: Thresholds, maxProposals = 3): { result: NodeResult; proposals: Proposal[] } {
  const table = rollUp(model, model.base, start);
  const first: Step = { table, result: measure(model, table, t).result };
  return { result: first.result, proposals: first.result.passes || maxProposals <= 0 ? [] : proposeFrom(model, first, t, maxProposals) };
}

/**
 * What the snapshot needs to apply a node in SQL: per quasi-identifier the stored values with the code
 * and value of their generalization, and the classes to suppress as `code,code,…` keys.
 */
export interface SnapshotPlan {
  qis: { raw: string[]; code: number[]; label: (string | null)[]; nullCode: number; nullLabel: string | null }[];
  suppressed: string[];
}

export function snapshotPlan(model: Model, levels: readonly number[], t: Thresholds): SnapshotPlan {
  const table = rollUp(model, model.base, levels);
  const { classOf, suppressed } = measure(model, table, t);
  const keys = new Set<string>();
  for (let r = 0; r < table.size; r++) {
    if (suppressed[classOf[r]!]) keys.add(model.qis.map((_, j) => table.qi[j]![r]!).join(','));
  }
  return {
    qis: model.qis.map((q, j) => {
      const level = levels[j]!;
      const raw: string[] = [];
      const code: number[] = [];
      const label: (string | null)[] = [];
      let nullCode = -1;
      q.raw.forEach((value, c) => {
        const g = q.gen[level]![c]!;
        if (value === null) nullCode = g;
        else {
          raw.push(value);
          code.push(g);
          label.push(q.labels[level]![g]!);
        }
      });
      return { raw, code, label, nullCode, nullLabel: level >= q.top ? SUPPRESSED : null };
    }),
    suppressed: [...keys],
  };
}
