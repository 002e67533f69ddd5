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
  const size = rows.length;
  // Column by column: one dictionary and one property name per loop keeps the lookups monomorphic.
  const encode = (key: string) => {
    const codes = new Map<string | null, number>();
    const values: (string | null)[] = [];
    const out = new Int32Array(size);
    for (let r = 0; r < size; r++) {
      const raw = rows[r]![key];
      const v = typeof raw === 'string' ? raw : asText(raw);
      let c = codes.get(v);
      if (c === undefined) {
        c = values.length;
        codes.set(v, c);
        values.push(v);
      }
      out[r] = c;
    }
    return { out, values };
  };
  const qiColumns = specs.map((_, j) => encode(`q${j}`));
  const sColumns = sensitiveNames.map((_, j) => encode(`s${j}`));
  const qi = qiColumns.map((c) => c.out);
  const sens = sColumns.map((c) => c.out);
  const n = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) {
    const count = Number(rows[r]!.n);
    n[r] = count;
    total += count;
  }
  const qis = specs.map((spec, j): QiModel => {
    const raw = qiColumns[j]!.values;
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
    sensitive: sensitiveNames.map((name, j) => ({ name, values: sColumns[j]!.values })),
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
 * Groups rows by a key of several small integer code columns: the codes are packed into one exact
 * float per row (when the radices' product stays below 2^53; joined as text beyond) and looked up in
 * an open-addressing table. Returns each row's group, the number of groups and each group's first row.
 */
function groupRows(columns: readonly Int32Array[], radices: readonly number[], size: number): { groupOf: Int32Array; groups: number; first: Int32Array } {
  const groupOf = new Int32Array(size);
  const first = new Int32Array(size);
  let groups = 0;
  let product = 1;
  for (const r of radices) product *= Math.max(1, r);
  if (product >= 2 ** 53) {
    const index = new Map<string, number>();
    for (let r = 0; r < size; r++) {
      let key = '';
      for (const c of columns) key += `${c[r]},`;
      let g = index.get(key);
      if (g === undefined) {
        g = groups++;
        index.set(key, g);
        first[g] = r;
      }
      groupOf[r] = g;
    }
    return { groupOf, groups, first };
  }
  const keys = new Float64Array(size);
  columns.forEach((c, i) => {
    const radix = Math.max(1, radices[i]!);
    for (let r = 0; r < size; r++) keys[r] = keys[r]! * radix + c[r]!;
  });
  let capacity = 16;
  while (capacity < size * 2) capacity *= 2;
  const mask = capacity - 1;
  const slots = new Float64Array(capacity).fill(-1);
  const slotGroup = new Int32Array(capacity);
  for (let r = 0; r < size; r++) {
    const key = keys[r]!;
    let h = Math.imul((key >>> 0) ^ Math.imul((key / 4294967296) | 0, 0x27d4eb2d), 0x9e3779b1);
    h = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const at = slots[h]!;
      if (at === key) break;
      if (at === -1) {
        slots[h] = key;
        slotGroup[h] = groups;
        first[groups] = r;
        groups++;
        break;
      }
      h = (h + 1) & mask;
    }
    groupOf[r] = slotGroup[h]!;
  }
  return { groupOf, groups, first };
}

/** The table at coarser levels: codes mapped up the hierarchies, identical rows merged. */
export function rollUp(model: Model, table: Table, levels: readonly number[]): Table {
  const m = model.qis.length;
  if (levels.every((l, j) => l === table.levels[j])) return table;
  for (let j = 0; j < m; j++) if (levels[j]! < table.levels[j]!) throw new Error('rollUp only generalizes further');
  const mapped = model.qis.map((q, j) => {
    if (levels[j] === table.levels[j]) return table.qi[j]!;
    const map = transition(q, table.levels[j]!, levels[j]!);
    const from = table.qi[j]!;
    const out = new Int32Array(table.size);
    for (let r = 0; r < table.size; r++) out[r] = map[from[r]!]!;
    return out;
  });
  const radices = [...model.qis.map((q, j) => q.labels[levels[j]!]!.length), ...model.sensitive.map((s) => s.values.length)];
  const { groupOf, groups, first } = groupRows([...mapped, ...table.sens], radices, table.size);
  const n = new Float64Array(groups);
  for (let r = 0; r < table.size; r++) n[groupOf[r]!]! += table.n[r]!;
  const pick = (column: Int32Array) => {
    const out = new Int32Array(groups);
    for (let g = 0; g < groups; g++) out[g] = column[first[g]!]!;
    return out;
  };
  return { levels: [...levels], qi: mapped.map(pick), sens: table.sens.map(pick), n, size: groups };
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
  // Table rows are distinct (quasi-identifiers, sensitive values): without sensitive attributes each
  // row is a class already.
  let classOf: Int32Array;
  let classes: number;
  if (p === 0) {
    classOf = new Int32Array(table.size);
    for (let r = 0; r < table.size; r++) classOf[r] = r;
    classes = table.size;
  } else {
    const grouped = groupRows(
      table.qi,
      model.qis.map((q, j) => q.labels[table.levels[j]!]!.length),
      table.size,
    );
    classOf = grouped.groupOf;
    classes = grouped.groups;
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
    const bucket = histogram[s <= 2 ? Math.max(0, s - 1) : s <= 4 ? 2 : s <= 9 ? 3 : s <= 19 ? 4 : s <= 49 ? 5 : s <= 99 ? 6 : 7]!;
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
  /**
   * greedy: each step the one-level generalization saving most suppressed rows per information lost;
   * no_suppression: generalize further until nothing is suppressed; least_loss: the cheapest step each
   * time; path (large tables): the first passing node on the path of per-column steps that remove the
   * most distinctness per information lost.
   */
  strategy: 'greedy' | 'no_suppression' | 'least_loss' | 'path';
  result: NodeResult;
}

/** Tables larger than this are searched along one path (binary search), not by evaluating every step. */
export const EXACT_SEARCH_ROWS = 20_000;

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
 * The path from `start` to the top, one level of one column per step: each step takes the column whose
 * next level removes the most distinctness (ln of its distinct values in the data) per unit of
 * information lost, judged on each column alone (cheap: dictionaries, no grouping of rows).
 */
function pathFrom(model: Model, start: readonly number[]): number[][] {
  const rows = model.base;
  const stats = model.qis.map((q, j) => {
    const weight = new Float64Array(q.raw.length);
    for (let r = 0; r < rows.size; r++) weight[rows.qi[j]![r]!]! += rows.n[r]!;
    return q.gen.map((gen, level) => {
      const seen = new Set<number>();
      let loss = 0;
      for (let c = 0; c < q.raw.length; c++) {
        if (weight[c]! > 0) seen.add(gen[c]!);
        loss += weight[c]! * q.loss[level]![gen[c]!]!;
      }
      return { distinct: Math.max(1, seen.size), loss: model.total > 0 ? loss / model.total : 0 };
    });
  });
  const path = [[...start]];
  const levels = [...start];
  for (;;) {
    let best = -1;
    let bestGain = -Infinity;
    model.qis.forEach((q, j) => {
      const a = levels[j]!;
      if (a >= q.top) return;
      const from = stats[j]![a]!;
      const to = stats[j]![a + 1]!;
      const gain = (Math.log(from.distinct) - Math.log(to.distinct)) / Math.max(1e-9, to.loss - from.loss);
      if (gain > bestGain) {
        bestGain = gain;
        best = j;
      }
    });
    if (best < 0) return path;
    levels[best]!++;
    path.push([...levels]);
  }
}

/**
 * The first node on the path that satisfies `done`, by binary search (suppression only falls as a path
 * climbs, so `passes` is monotone along it). Each node is rolled up from the nearest finer node measured.
 */
function searchPath(model: Model, first: Step, path: number[][], t: Thresholds, done: (s: Step) => boolean): Step | undefined {
  const measured = new Map<number, Step>([[0, first]]);
  const at = (i: number): Step => {
    let step = measured.get(i);
    if (!step) {
      const finer = Math.max(...[...measured.keys()].filter((k) => k < i));
      const table = rollUp(model, measured.get(finer)!.table, path[i]!);
      step = { table, result: measure(model, table, t).result };
      measured.set(i, step);
    }
    return step;
  };
  let hi = path.length - 1;
  if (!done(at(hi))) return undefined;
  let lo = 0;
  if (done(at(lo))) return at(lo);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (done(at(mid))) hi = mid;
    else lo = mid;
  }
  return at(hi);
}

/**
 * Generalizations (with the suppression they still need) that pass the thresholds, starting from the
 * measured start node: up to `max` distinct proposals, best first.
 */
function proposeFrom(model: Model, first: Step, t: Thresholds, max: number, exactRows: number): Proposal[] {
  const proposals: Proposal[] = [];
  const add = (strategy: Proposal['strategy'], s: Step | undefined) => {
    if (!s || proposals.length >= max) return;
    if (proposals.some((p) => p.result.levels.join() === s.result.levels.join())) return;
    proposals.push({ strategy, result: s.result });
  };
  const passes = (s: Step) => s.result.passes;
  const clean = (s: Step) => s.result.passes && s.result.suppressedRows === 0;
  if (first.table.size > exactRows) {
    const path = pathFrom(model, first.table.levels);
    const found = searchPath(model, first, path, t, passes);
    add('path', found);
    if (proposals.length < max && found && found.result.suppressedRows > 0) add('no_suppression', searchPath(model, first, path, t, clean));
    return proposals;
  }
  const greedy = climb(model, first, t, byGain, passes);
  add('greedy', greedy);
  if (proposals.length < max && greedy && greedy.result.suppressedRows > 0) add('no_suppression', climb(model, greedy, t, byGain, clean));
  if (proposals.length < max) add('least_loss', climb(model, first, t, byLoss, passes));
  return proposals;
}

/**
 * The check of a node (the officer's levels) and, when it misses the thresholds, up to `maxProposals`
 * generalizations from there that pass.
 */
export function check(
  model: Model,
  start: readonly number[],
  t: Thresholds,
  maxProposals = 3,
  options: { exactSearchRows?: number } = {},
): { result: NodeResult; proposals: Proposal[] } {
  const table = rollUp(model, model.base, start);
  const first: Step = { table, result: measure(model, table, t).result };
  return {
    result: first.result,
    proposals: first.result.passes || maxProposals <= 0 ? [] : proposeFrom(model, first, t, maxProposals, options.exactSearchRows ?? EXACT_SEARCH_ROWS),
  };
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
