/**
 * Generalization hierarchies of quasi-identifiers (GB/T 37964-2019 §6 泛化): each column gets a ladder
 * of levels, level 0 the value as stored, the last level `*` (nothing of the value left). Every
 * ladder is nested: a level's value is a function of the level below it, so equivalence classes of a
 * coarser level are unions of the finer ones (the roll-up of deid.ts relies on this).
 *
 *   date      day → month → year → *                (masking.generalize, the read paths' library)
 *   age       years → 5-year band → 10-year band → 20-year band → *
 *   number    value → range w → range 10w → range 100w → *   (w from the data's spread)
 *   region    value → 区县 → 地市 → 省 → *               (GB/T 2260 divisions, src/lib/divisions.ts)
 *   prefix    code → last 2 digits hidden → last 4 hidden → *   (邮编 and similar codes)
 *   category  value → *
 */
import type { Message } from '../../errors.ts';
import { resolveDivision } from '../../lib/divisions.ts';
import { generalize } from '../protect/masking.ts';

export const HIERARCHY_KINDS = ['date', 'age', 'number', 'region', 'prefix', 'category'] as const;
export type HierarchyKind = (typeof HIERARCHY_KINDS)[number];

/** The value of every column at its top level. */
export const SUPPRESSED = '*';

export interface Hierarchy {
  kind: HierarchyKind;
  /** Names of the levels, 0 = as stored, last = `*`. */
  levels: Message[];
  /** The value at a level; null stays null below the top. Never throws. */
  generalize(value: string | null, level: number): string | null;
}

const LEVEL_NAMES: Record<Exclude<HierarchyKind, 'number'>, Message[]> = {
  date: [
    { zh: '原值（日）', en: 'as stored (day)' },
    { zh: '月', en: 'month' },
    { zh: '年', en: 'year' },
    { zh: '全部隐去（*）', en: 'fully generalized (*)' },
  ],
  age: [
    { zh: '原值', en: 'as stored' },
    { zh: '5 岁段', en: '5-year band' },
    { zh: '10 岁段', en: '10-year band' },
    { zh: '20 岁段', en: '20-year band' },
    { zh: '全部隐去（*）', en: 'fully generalized (*)' },
  ],
  region: [
    { zh: '原值', en: 'as stored' },
    { zh: '区县', en: 'district' },
    { zh: '地市', en: 'city' },
    { zh: '省', en: 'province' },
    { zh: '全部隐去（*）', en: 'fully generalized (*)' },
  ],
  prefix: [
    { zh: '原值', en: 'as stored' },
    { zh: '隐去末 2 位', en: 'last 2 characters hidden' },
    { zh: '隐去末 4 位', en: 'last 4 characters hidden' },
    { zh: '全部隐去（*）', en: 'fully generalized (*)' },
  ],
  category: [
    { zh: '原值', en: 'as stored' },
    { zh: '全部隐去（*）', en: 'fully generalized (*)' },
  ],
};

/** Number of levels (including 0 and `*`) of a kind; numbers always have five. */
export function levelCount(kind: HierarchyKind): number {
  return kind === 'number' ? 5 : LEVEL_NAMES[kind].length;
}

function hideTail(value: string, n: number): string {
  const chars = Array.from(value);
  const keep = Math.max(0, chars.length - n);
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - keep);
}

/** 10^k with k chosen so the widest range of level 3 still splits the data's spread in a few parts. */
export function numberBase(min: number, max: number, integer: boolean): number {
  const spread = Math.max(Math.abs(max - min), Math.abs(max), Math.abs(min));
  if (!Number.isFinite(spread) || spread === 0) return 1;
  const base = 10 ** (Math.floor(Math.log10(spread)) - 2);
  return integer ? Math.max(1, base) : base;
}

function regionLabel(value: string, level: number, near: string | undefined): string | null {
  const chain = resolveDivision(value, near);
  // Not a division we know: nothing of it may survive generalization.
  if (!chain) return SUPPRESSED;
  const city = chain.city === chain.province ? chain.province : chain.province + chain.city;
  if (level === 3) return chain.province;
  if (level === 2) return city;
  return chain.county ? city + chain.county : city;
}

/**
 * The hierarchy of one column. `values` are the distinct stored values (as SQL text), needed for the
 * number ranges; `near` is the publisher's region code (to tell 朝阳区 of Beijing from 朝阳县 of 辽宁).
 */
export function hierarchyOf(kind: HierarchyKind, options: { values?: readonly (string | null)[]; near?: string } = {}): Hierarchy {
  const top = levelCount(kind) - 1;
  const wrap = (levels: Message[], at: (value: string, level: number) => string | null): Hierarchy => ({
    kind,
    levels,
    generalize(value, level) {
      if (level >= top) return SUPPRESSED;
      if (value === null) return null;
      if (level <= 0) return value;
      return at(value, level);
    },
  });
  switch (kind) {
    case 'date':
      return wrap(LEVEL_NAMES.date, (v, level) => generalize('date', v, { date: level === 1 ? 'month' : 'year' }));
    case 'age':
      return wrap(LEVEL_NAMES.age, (v, level) =>
        level === 3 ? generalize('number', v, { bucket: 20 }) : generalize('age', v, { ageBand: level === 1 ? 5 : 10 }),
      );
    case 'region':
      return wrap(LEVEL_NAMES.region, (v, level) => regionLabel(v, level, options.near));
    case 'prefix':
      return wrap(LEVEL_NAMES.prefix, (v, level) => hideTail(v, level === 1 ? 2 : 4));
    case 'category':
      return wrap(LEVEL_NAMES.category, () => SUPPRESSED);
    case 'number': {
      const numbers = (options.values ?? []).map((v) => (v === null ? NaN : Number(v))).filter((n) => Number.isFinite(n));
      const integer = numbers.every((n) => Number.isInteger(n));
      let min = Infinity;
      let max = -Infinity;
      for (const n of numbers) {
        if (n < min) min = n;
        if (n > max) max = n;
      }
      const base = numbers.length ? numberBase(min, max, integer) : 1;
      const widths = [base, base * 10, base * 100];
      const fmt = (w: number) => (w >= 1 ? w.toLocaleString('en-US') : String(w));
      const levels: Message[] = [
        { zh: '原值', en: 'as stored' },
        ...widths.map((w) => ({ zh: `区间（宽 ${fmt(w)}）`, en: `range (width ${fmt(w)})` })),
        { zh: '全部隐去（*）', en: 'fully generalized (*)' },
      ];
      return wrap(levels, (v, level) => generalize('number', v, { bucket: widths[level - 1]! }));
    }
  }
}

/** The hierarchy a column most likely wants, from its type, recognised identifier type and name. */
export function defaultHierarchy(column: { name: string; dataType: string; type: string | null }): HierarchyKind {
  const name = column.name;
  if (column.dataType === 'date' || column.dataType === 'timestamp' || column.type === 'date_of_birth') return 'date';
  if (/年龄|岁|age/i.test(name) && (column.dataType === 'integer' || column.dataType === 'decimal')) return 'age';
  if (column.dataType === 'integer' || column.dataType === 'decimal') return 'number';
  if (/邮编|邮政编码|postcode|zip/i.test(name)) return 'prefix';
  if (column.type === 'address' || /省|市|区|县|地区|所在地|户籍地|行政区划|区域|住址|地址|城市|region|city|district|province/i.test(name)) return 'region';
  if (/日期|时间|date/i.test(name)) return 'date';
  return 'category';
}

/** Level names of a kind before the data is known (number ranges get their widths from the data). */
export function levelNamesOf(kind: HierarchyKind): Message[] {
  if (kind !== 'number') return LEVEL_NAMES[kind];
  return [
    { zh: '原值', en: 'as stored' },
    { zh: '区间（细）', en: 'range (fine)' },
    { zh: '区间（中）', en: 'range (medium)' },
    { zh: '区间（粗）', en: 'range (coarse)' },
    { zh: '全部隐去（*）', en: 'fully generalized (*)' },
  ];
}
