/**
 * Column types, inferred while rows stream past, and the value parsers behind them (shared with
 * validation and with loading, which stores the canonical text `canonical()` returns).
 *
 * Types and what counts as one (Chinese-friendly, and strict where a wrong guess would lose data):
 * - integer: optional sign and 1-15 digits, no leading zero ("007" and 18-digit ID or bank-card
 *   numbers are codes, not quantities: they stay text so no digit or leading zero is ever lost).
 * - decimal: an integer, or digits with a decimal point and/or exponent ("3.14", "-.5", "1e3"),
 *   under the same code rules (no leading zero, at most 15 digits before the point). No thousands
 *   separators ("1,234" is text: the comma is ambiguous).
 * - boolean: true/false, yes/no, y/n (any case), 是/否, 真/假. Not 1/0: a column of 0 and 1 is
 *   inferred integer (it is as often a code as a flag); the officer can change it to boolean, and
 *   then 1/0 conform (see BOOLEAN_WITH_DIGITS).
 * - date: 2023-09-21, 2023/9/21, 2023.9.21, 2023年9月21日 (a real calendar date; years 1000-9999).
 *   Compact 20230921 is not taken as a date (it is as often a serial number).
 * - timestamp: a date as above, then T or spaces, then H:mm[:ss[.fraction]] and an optional zone
 *   (Z, +08:00, +0800). A column mixing dates and timestamps is timestamp.
 * - text: anything else. A column with no values at all is text.
 * When several types fit every value, the narrowest wins: boolean, integer, decimal, date,
 * timestamp, text.
 */

export type ColumnType = 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'text';
export const COLUMN_TYPES: readonly ColumnType[] = ['integer', 'decimal', 'boolean', 'date', 'timestamp', 'text'];

const INTEGER = 1;
const DECIMAL = 2;
const BOOLEAN = 4;
const DATE = 8;
const TIMESTAMP = 16;
const ALL = INTEGER | DECIMAL | BOOLEAN | DATE | TIMESTAMP;
/** Narrowest first: the first bit still set after every value decides the type. */
const PRECEDENCE: readonly [number, ColumnType][] = [
  [BOOLEAN, 'boolean'],
  [INTEGER, 'integer'],
  [DECIMAL, 'decimal'],
  [DATE, 'date'],
  [TIMESTAMP, 'timestamp'],
];

const MAX_INTEGER_DIGITS = 15;
const DECIMAL_RE = /^[+-]?(?:(?:0|[1-9]\d{0,14})(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d{1,3})?$/;
const TIMESTAMP_RE =
  /^(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日)(?:T|\s+|T\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

const TRUE_WORDS = new Set(['true', 'yes', 'y', '是', '真']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '否', '假']);
/** Once the officer has declared a column boolean, 1 and 0 conform too. */
export const BOOLEAN_WITH_DIGITS = true;

/** Integer text: sign, 1-15 digits, no leading zero. Char codes, not a regex: this runs per value. */
export function isInteger(v: string): boolean {
  const n = v.length;
  let i = 0;
  const c0 = v.charCodeAt(0);
  if (c0 === 43 /* + */ || c0 === 45 /* - */) i = 1;
  const digits = n - i;
  if (digits < 1 || digits > MAX_INTEGER_DIGITS) return false;
  if (digits > 1 && v.charCodeAt(i) === 48 /* 0 */) return false;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function isDecimal(v: string): boolean {
  return DECIMAL_RE.test(v);
}

/** 'true' / 'false' for a boolean word, undefined otherwise. `digits`: accept 1/0. */
export function parseBoolean(v: string, digits = false): 'true' | 'false' | undefined {
  const w = v.length <= 5 ? v.toLowerCase() : v;
  if (TRUE_WORDS.has(w)) return 'true';
  if (FALSE_WORDS.has(w)) return 'false';
  if (digits && v === '1') return 'true';
  if (digits && v === '0') return 'false';
  return undefined;
}

// The parts of the last date scanDate read (module state: no allocation per value).
let Y = 0;
let M = 0;
let D = 0;

/**
 * Read a date at the start of v by char codes (this runs per value): yyyy-m-d with one separator
 * of - / . used twice, or yyyy年m月d日. Returns the index after it, or -1; the parts land in Y, M, D.
 */
function scanDate(v: string): number {
  const n = v.length;
  if (n < 8) return -1;
  let y = 0;
  for (let i = 0; i < 4; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    y = y * 10 + c;
  }
  const sep = v.charCodeAt(4);
  const chinese = sep === 0x5e74; /* 年 */
  if (!chinese && sep !== 45 && sep !== 47 && sep !== 46) return -1;
  let i = 5;
  const m = scanNumber(v, i);
  if (m < 0) return -1;
  i = NEXT;
  if (v.charCodeAt(i) !== (chinese ? 0x6708 /* 月 */ : sep)) return -1;
  const d = scanNumber(v, i + 1);
  if (d < 0) return -1;
  i = NEXT;
  if (chinese) {
    if (v.charCodeAt(i) !== 0x65e5 /* 日 */) return -1;
    i++;
  }
  Y = y;
  M = m;
  D = d;
  return i;
}

let NEXT = 0;
/** One or two digits at i; the value, or -1. The index after them is left in NEXT. */
function scanNumber(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48;
  if (!(a >= 0 && a <= 9)) return -1;
  const b = v.charCodeAt(i + 1) - 48;
  if (b >= 0 && b <= 9) {
    NEXT = i + 2;
    return a * 10 + b;
  }
  NEXT = i + 1;
  return a;
}

function validDay(y: number, m: number, d: number): boolean {
  if (y < 1000 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]!);
}

/** Whether v is a date in one of the accepted forms and a real calendar day (no allocation). */
export function isDate(v: string): boolean {
  return scanDate(v) === v.length && validDay(Y, M, D);
}

/** 'YYYY-MM-DD' for a date in one of the accepted forms that is a real calendar day. */
export function parseDate(v: string): string | undefined {
  if (!isDate(v)) return undefined;
  return `${Y}-${pad2(M)}-${pad2(D)}`;
}

/** 'YYYY-MM-DD HH:MM:SS[.fraction][zone]' for a timestamp (or a bare date, at midnight). */
export function parseTimestamp(v: string): string | undefined {
  const date = parseDate(v);
  if (date !== undefined) return `${date} 00:00:00`;
  const m = TIMESTAMP_RE.exec(v);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[3] ?? m[5]);
  const d = Number(m[4] ?? m[6]);
  if (!validDay(y, mo, d)) return undefined;
  const day = `${m[1]}-${pad2(mo)}-${pad2(d)}`;
  const h = Number(m[7]);
  const min = Number(m[8]);
  const s = m[9] === undefined ? 0 : Number(m[9]);
  if (h > 23 || min > 59 || s > 59) return undefined;
  const fraction = m[10] === undefined ? '' : `.${m[10]}`;
  const zone = m[11] === undefined ? '' : normaliseZone(m[11]);
  if (zone === undefined) return undefined;
  return `${day} ${pad2(h)}:${pad2(min)}:${pad2(s)}${fraction}${zone}`;
}

function normaliseZone(z: string): string | undefined {
  if (z === 'Z') return '+00:00';
  const sign = z[0]!;
  const digits = z.slice(1).replace(':', '');
  const hh = Number(digits.slice(0, 2));
  const mm = Number(digits.slice(2, 4));
  if (hh > 14 || mm > 59) return undefined;
  return `${sign}${digits.slice(0, 2)}:${digits.slice(2, 4)}`;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * The canonical text of a value of a type (what gets stored), or undefined when it does not conform:
 * integers and decimals as written (sign '+' dropped), booleans 'true'/'false', dates ISO,
 * timestamps ISO with a space. Text is itself.
 */
export function canonical(type: ColumnType, v: string): string | undefined {
  switch (type) {
    case 'text':
      return v;
    case 'integer':
      return isInteger(v) ? (v.charCodeAt(0) === 43 ? v.slice(1) : v) : undefined;
    case 'decimal':
      return isDecimal(v) ? (v.charCodeAt(0) === 43 ? v.slice(1) : v) : undefined;
    case 'boolean':
      return parseBoolean(v, BOOLEAN_WITH_DIGITS);
    case 'date':
      return parseDate(v);
    case 'timestamp':
      return parseTimestamp(v);
  }
}

/** Whether a value conforms to a type (the check validation applies per value). */
export function conforms(type: ColumnType, v: string): boolean {
  switch (type) {
    case 'text':
      return true;
    case 'integer':
      return isInteger(v);
    case 'decimal':
      return isDecimal(v);
    case 'boolean':
      return parseBoolean(v, BOOLEAN_WITH_DIGITS) !== undefined;
    case 'date':
      return isDate(v);
    case 'timestamp':
      return isDate(v) || parseTimestamp(v) !== undefined;
  }
}

/** What inference concluded about one column. */
export interface ColumnInference {
  name: string;
  type: ColumnType;
  /** Rows seen, and how many had no value (null). */
  rows: number;
  nulls: number;
  /** Up to `examples` distinct non-null values, in order of first appearance. */
  examples: string[];
  /** Longest value, in characters (for sizing and display). */
  maxLength: number;
  /** For each narrower type ruled out: the first value (and its line) that ruled it out. */
  ruledOut: Partial<Record<Exclude<ColumnType, 'text'>, { line: number | null; value: string }>>;
}

export interface InferrerOptions {
  /** Distinct examples kept per column (default 5). */
  examples?: number;
}

const BIT_NAMES: readonly [number, Exclude<ColumnType, 'text'>][] = [
  [INTEGER, 'integer'],
  [DECIMAL, 'decimal'],
  [BOOLEAN, 'boolean'],
  [DATE, 'date'],
  [TIMESTAMP, 'timestamp'],
];

/**
 * Feed rows (arrays of string|null, as the readers give them); ask for the result at any time.
 * Memory is per column, not per row. Once a column can only be text, its values are only counted.
 */
export class Inferrer {
  private readonly masks: Uint8Array;
  private readonly nulls: number[];
  private readonly maxLength: number[];
  private readonly examples: string[][];
  private readonly ruledOut: ColumnInference['ruledOut'][];
  private readonly exampleLimit: number;
  private rows = 0;

  constructor(
    readonly columns: readonly string[],
    options: InferrerOptions = {},
  ) {
    const n = columns.length;
    this.masks = new Uint8Array(n).fill(ALL);
    this.nulls = new Array<number>(n).fill(0);
    this.maxLength = new Array<number>(n).fill(0);
    this.examples = Array.from({ length: n }, () => []);
    this.ruledOut = Array.from({ length: n }, () => ({}));
    this.exampleLimit = options.examples ?? 5;
  }

  /** One row; `line` (optional) is kept only for the first value that rules a type out. */
  add(values: readonly (string | null)[], line?: number): void {
    this.rows++;
    const n = this.masks.length;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        this.nulls[i]!++;
        continue;
      }
      if (v.length > this.maxLength[i]!) this.maxLength[i] = v.length;
      const ex = this.examples[i]!;
      if (ex.length < this.exampleLimit && !ex.includes(v)) ex.push(v);
      const mask = this.masks[i]!;
      if (mask === 0) continue;
      const left = narrow(mask, v);
      if (left !== mask) {
        this.noteRuledOut(i, mask & ~left, v, line);
        this.masks[i] = left;
      }
    }
  }

  private noteRuledOut(i: number, bits: number, value: string, line: number | undefined): void {
    const notes = this.ruledOut[i]!;
    for (const [bit, name] of BIT_NAMES) if (bits & bit) notes[name] = { line: line ?? null, value };
  }

  /** Rows added so far. */
  get rowCount(): number {
    return this.rows;
  }

  result(): ColumnInference[] {
    return this.columns.map((name, i) => {
      const seen = this.rows - this.nulls[i]!;
      const mask = this.masks[i]!;
      const type = seen === 0 ? 'text' : (PRECEDENCE.find(([bit]) => mask & bit)?.[1] ?? 'text');
      return {
        name,
        type,
        rows: this.rows,
        nulls: this.nulls[i]!,
        examples: [...this.examples[i]!],
        maxLength: this.maxLength[i]!,
        ruledOut: { ...this.ruledOut[i]! },
      };
    });
  }
}

/** The candidate types of `mask` that `v` still fits. */
function narrow(mask: number, v: string): number {
  let m = mask;
  if (m & INTEGER && !isInteger(v)) m &= ~INTEGER;
  if (m & DECIMAL && !(m & INTEGER) && !isDecimal(v)) m &= ~DECIMAL;
  if (m & BOOLEAN && parseBoolean(v) === undefined) m &= ~BOOLEAN;
  if (m & (DATE | TIMESTAMP)) {
    // Dates and timestamps start with four digits: skip the regexes for anything else.
    const c = v.charCodeAt(0);
    if (v.length < 8 || c < 48 || c > 57) m &= ~(DATE | TIMESTAMP);
    else {
      if (m & DATE && !isDate(v)) m &= ~DATE;
      if (m & TIMESTAMP && !(m & DATE) && parseTimestamp(v) === undefined) m &= ~TIMESTAMP;
    }
  }
  return m;
}
