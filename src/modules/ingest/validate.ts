/**
 * Per-column rules checked row by row while a table streams: required, unique key, pattern, range,
 * enumeration, type conformance and identifier checks (the algorithms live in classify; they are
 * injected as `identifierCheck`). Rules are compiled once; a valid row allocates nothing.
 *
 * Unique keys are checked across the whole file with a hash set of 64-bit key hashes (open
 * addressing over typed arrays: 12 bytes a slot, kept between 3/8 and 3/4 full, 16-32 bytes a key;
 * the default bound of 5,000,000 distinct keys per constraint is ~100 MB). Past the bound the
 * check stops and says so (`keyCheck: 'incomplete'`) rather than claim uniqueness. Two different
 * keys share a 64-bit hash with probability ~n²/2⁶⁵ (about 7·10⁻⁷ at 5 M keys), which would report
 * one false duplicate. A key with an empty (null) part is not checked, as in SQL; make the column
 * required to refuse those.
 */
import type { Message } from '../../errors.ts';
import { BadRequestError } from '../../errors.ts';
import { canonical, conforms, type ColumnType } from './infer.ts';
import { hash64, lanes } from '../../lib/hash64.ts';

export type RuleName = 'required' | 'unique' | 'pattern' | 'range' | 'enum' | 'type' | 'identifier';

/** The rules of one column. Omitted rules are not checked. */
export interface ColumnRules {
  column: string;
  /** Declared type: every value must conform (see infer.ts). 'text' checks nothing. */
  type?: ColumnType;
  required?: boolean;
  /** This column alone is a unique key. */
  unique?: boolean;
  /** A regular expression the whole value must match (anchored for you). */
  pattern?: string;
  /** Inclusive bounds: numbers for integer/decimal (and untyped) columns, dates for date/timestamp ones. */
  min?: number | string;
  max?: number | string;
  /** The allowed values. */
  enum?: string[];
  /** An identifier type of standards.md §1 (e.g. 'cn_resident_id'), checked by identifierCheck. */
  identifier?: string;
}

export interface ValidationRules {
  columns: ColumnRules[];
  /** A composite unique key (column names); single-column keys can also be set with `unique`. */
  key?: string[];
}

/** Validates an identifier of a type of standards.md §1 (provided by the classify module). */
export type IdentifierCheck = (type: string, value: string) => boolean;

export interface ValidatorOptions {
  identifierCheck?: IdentifierCheck;
  /** Distinct keys remembered per unique constraint before the check gives up (default 5,000,000). */
  maxKeys?: number;
}

/** One broken rule in one row. `value` is masked: only its first and last characters show. */
export interface RuleFailure {
  line: number;
  column: string;
  rule: RuleName;
  value: string | null;
  message: Message;
  /** For 'unique': the line where the same key appeared first. */
  duplicateOf?: number;
}

export interface Validator {
  /** The failures of one row, or null when it breaks no rule. */
  check(values: readonly (string | null)[], line: number): RuleFailure[] | null;
  /** Rows whose key repeated an earlier one. */
  readonly duplicateKeys: number;
  /** 'none' without unique keys; 'incomplete' once a key set hit its bound. */
  readonly keyCheck: 'none' | 'complete' | 'incomplete';
}

const DEFAULT_MAX_KEYS = 5_000_000;

interface CompiledColumn {
  index: number;
  name: string;
  rules: ColumnRules;
  required: boolean;
  type: ColumnType | undefined;
  pattern: RegExp | undefined;
  range: { kind: 'number' | 'time'; min: number | string | undefined; max: number | string | undefined } | undefined;
  allowed: Set<string> | undefined;
  identifier: string | undefined;
}

interface CompiledKey {
  indexes: number[];
  names: string[];
  set: KeyHashSet;
}

export function createValidator(columns: readonly string[], rules: ValidationRules, options: ValidatorOptions = {}): Validator {
  const indexOf = (name: string): number => {
    const i = columns.indexOf(name);
    if (i < 0) {
      throw new BadRequestError(
        'unknown_column',
        { zh: `规则引用了不存在的列“${name}”`, en: `A rule names a column that does not exist: "${name}"` },
        { column: name },
      );
    }
    return i;
  };
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const compiled = rules.columns.map((r) => compileColumn(r, indexOf(r.column), options.identifierCheck));
  const keys: CompiledKey[] = [];
  for (const r of rules.columns) {
    if (r.unique) keys.push({ indexes: [indexOf(r.column)], names: [r.column], set: new KeyHashSet(maxKeys) });
  }
  if (rules.key && rules.key.length > 0) {
    keys.push({ indexes: rules.key.map(indexOf), names: [...rules.key], set: new KeyHashSet(maxKeys) });
  }
  const identifierCheck = options.identifierCheck;
  let duplicateKeys = 0;

  const check = (values: readonly (string | null)[], line: number): RuleFailure[] | null => {
    let failures: RuleFailure[] | null = null;
    for (let k = 0; k < compiled.length; k++) {
      const c = compiled[k]!;
      const v = values[c.index] ?? null;
      if (v === null) {
        if (c.required) failures = add(failures, line, c.name, 'required', null, REQUIRED);
        continue;
      }
      if (c.type !== undefined && c.type !== 'text' && !conforms(c.type, v)) {
        failures = add(failures, line, c.name, 'type', v, { zh: `不是有效的${TYPE_ZH[c.type]}`, en: `is not a valid ${c.type}` });
        continue; // range and the rest would only repeat the same complaint
      }
      if (c.pattern !== undefined && !c.pattern.test(v)) failures = add(failures, line, c.name, 'pattern', v, PATTERN);
      if (c.range !== undefined && !inRange(c.range, c.type, v)) {
        const bounds = `[${c.range.min ?? '-∞'}, ${c.range.max ?? '+∞'}]`;
        failures = add(failures, line, c.name, 'range', v, { zh: `超出允许范围 ${bounds}`, en: `is outside the allowed range ${bounds}` });
      }
      if (c.allowed !== undefined && !c.allowed.has(v)) failures = add(failures, line, c.name, 'enum', v, ENUM);
      if (c.identifier !== undefined && identifierCheck !== undefined && !identifierCheck(c.identifier, v)) {
        failures = add(failures, line, c.name, 'identifier', v, {
          zh: `不是有效的${IDENTIFIER_ZH[c.identifier] ?? c.identifier}（格式或校验位不符）`,
          en: `is not a valid ${c.identifier} (format or check digit)`,
        });
      }
    }
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const text = keyText(values, key.indexes);
      if (text === undefined) continue;
      const first = key.set.addOrFind(text, line);
      if (first === undefined) continue;
      duplicateKeys++;
      const names = key.names.join(', ');
      const shown = key.indexes.length === 1 ? text : text.replaceAll('\u0000', ', ');
      failures = add(
        failures,
        line,
        key.names.join('+'),
        'unique',
        shown,
        {
          zh: `与第 ${first} 行重复（唯一键：${names}）`,
          en: `repeats line ${first} (unique key: ${names})`,
        },
        first,
      );
    }
    return failures;
  };

  return {
    check,
    get duplicateKeys() {
      return duplicateKeys;
    },
    get keyCheck() {
      if (keys.length === 0) return 'none';
      return keys.some((k) => k.set.full) ? 'incomplete' : 'complete';
    },
  };
}

const REQUIRED: Message = { zh: '值为空，但此列必填', en: 'is empty but the column is required' };
const PATTERN: Message = { zh: '不符合规定格式', en: 'does not match the required pattern' };
const ENUM: Message = { zh: '不在允许的取值之中', en: 'is not one of the allowed values' };

/** Append a failure to the row's list (created on the first one: valid rows allocate nothing). */
function add(
  failures: RuleFailure[] | null,
  line: number,
  column: string,
  rule: RuleName,
  value: string | null,
  what: Message,
  duplicateOf?: number,
): RuleFailure[] {
  const list = failures ?? [];
  list.push(failure(line, column, rule, value, what, duplicateOf));
  return list;
}

const TYPE_ZH: Record<ColumnType, string> = {
  integer: '整数',
  decimal: '数值',
  boolean: '布尔值（是/否）',
  date: '日期',
  timestamp: '日期时间',
  text: '文本',
};

/** Chinese names of the identifier types of standards.md §1, for messages. */
const IDENTIFIER_ZH: Record<string, string> = {
  cn_resident_id: '居民身份证号码',
  cn_uscc: '统一社会信用代码',
  cn_org_code: '组织机构代码',
  cn_mobile: '手机号码',
  cn_landline: '固定电话号码',
  bank_card: '银行卡号',
  email: '电子邮箱',
  passport: '护照号码',
  hk_macau_permit: '港澳通行证号码',
  tw_permit: '台湾居民来往大陆通行证号码',
  cn_plate: '机动车号牌',
  ipv4: 'IPv4 地址',
  ipv6: 'IPv6 地址',
  mac: 'MAC 地址',
};

function compileColumn(r: ColumnRules, index: number, identifierCheck: IdentifierCheck | undefined): CompiledColumn {
  let pattern: RegExp | undefined;
  if (r.pattern !== undefined) {
    try {
      pattern = new RegExp(`^(?:${r.pattern})$`, 'u');
    } catch (err) {
      throw invalidRule(r.column, 'pattern', err instanceof Error ? err.message : String(err));
    }
  }
  if (r.identifier !== undefined && identifierCheck === undefined) {
    throw invalidRule(r.column, 'identifier', 'no identifier check is available');
  }
  return {
    index,
    name: r.column,
    rules: r,
    required: r.required === true,
    type: r.type,
    pattern,
    range: r.min === undefined && r.max === undefined ? undefined : compileRange(r),
    allowed: r.enum === undefined ? undefined : new Set(r.enum),
    identifier: r.identifier,
  };
}

function compileRange(r: ColumnRules): CompiledColumn['range'] {
  if (r.type === 'date' || r.type === 'timestamp') {
    const bound = (b: number | string | undefined): string | undefined => {
      if (b === undefined) return undefined;
      const c = canonical(r.type!, String(b));
      if (c === undefined) throw invalidRule(r.column, 'range', `"${b}" is not a ${r.type}`);
      return c;
    };
    return { kind: 'time', min: bound(r.min), max: bound(r.max) };
  }
  const bound = (b: number | string | undefined): number | undefined => {
    if (b === undefined) return undefined;
    const n = typeof b === 'number' ? b : Number(b);
    if (!Number.isFinite(n)) throw invalidRule(r.column, 'range', `"${b}" is not a number`);
    return n;
  };
  return { kind: 'number', min: bound(r.min), max: bound(r.max) };
}

function inRange(range: NonNullable<CompiledColumn['range']>, type: ColumnType | undefined, v: string): boolean {
  if (range.kind === 'time') {
    const c = canonical(type!, v);
    if (c === undefined) return false;
    return (range.min === undefined || c >= (range.min as string)) && (range.max === undefined || c <= (range.max as string));
  }
  const n = v.trim() === '' ? Number.NaN : Number(v);
  if (Number.isNaN(n)) return false;
  return (range.min === undefined || n >= (range.min as number)) && (range.max === undefined || n <= (range.max as number));
}

function invalidRule(column: string, rule: string, why: string): BadRequestError {
  return new BadRequestError(
    'invalid_rule',
    { zh: `“${column}”列的${rule}规则无效：${why}`, en: `The ${rule} rule of column "${column}" is invalid: ${why}` },
    { column, rule },
  );
}

function keyText(values: readonly (string | null)[], indexes: number[]): string | undefined {
  if (indexes.length === 1) return values[indexes[0]!] ?? undefined;
  let key = '';
  for (let i = 0; i < indexes.length; i++) {
    const v = values[indexes[i]!];
    if (v === null || v === undefined) return undefined;
    key = i === 0 ? v : `${key}\u0000${v}`;
  }
  return key;
}

function failure(line: number, column: string, rule: RuleName, value: string | null, what: Message, duplicateOf?: number): RuleFailure {
  const shown = value === null ? null : maskValue(value);
  const zhValue = shown === null ? '' : `值“${shown}”`;
  const enValue = shown === null ? 'the value' : `value "${shown}"`;
  const f: RuleFailure = {
    line,
    column,
    rule,
    value: shown,
    message: {
      zh: `第 ${line} 行“${column}”列：${zhValue}${what.zh}`,
      en: `Line ${line}, column "${column}": ${enValue} ${what.en}`,
    },
  };
  if (duplicateOf !== undefined) f.duplicateOf = duplicateOf;
  return f;
}

/** A value with all but its first and last characters hidden: '11010519491231002X' → '1**********X'. */
export function maskValue(value: string): string {
  const chars = Array.from(value);
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(Math.min(chars.length - 2, 10))}${chars[chars.length - 1]}`;
}

/** A rule failure as an error, for datasets that reject a version with invalid rows. */
export function ruleError(f: RuleFailure): BadRequestError {
  const details: Record<string, unknown> = { line: f.line, column: f.column, rule: f.rule, value: f.value };
  if (f.duplicateOf !== undefined) details.duplicateOf = f.duplicateOf;
  return new BadRequestError('invalid_value', f.message, details);
}

/**
 * A set of 64-bit key hashes with the line each was first seen on: open addressing, linear probing,
 * typed arrays (no object per key). Grows by doubling up to the bound, then stops accepting keys.
 */
export class KeyHashSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private lines: Uint32Array;
  private size = 0;
  /** True once the bound was reached and a key could not be remembered. */
  full = false;

  constructor(private readonly maxKeys: number) {
    this.hi = new Uint32Array(1024);
    this.lo = new Uint32Array(1024);
    this.lines = new Uint32Array(1024);
  }

  /** Remember the key; if it was already there, return the line it was first seen on. */
  addOrFind(key: string, line: number): number | undefined {
    hash64(key);
    return this.addHash(lanes.h1, lanes.h2 || 1, line);
  }

  private addHash(hi: number, lo: number, line: number): number | undefined {
    const mask = this.hi.length - 1;
    for (let slot = (hi ^ lo) & mask; ; slot = (slot + 1) & mask) {
      if (this.lo[slot] === 0) {
        if (this.size >= this.maxKeys) {
          this.full = true;
          return undefined;
        }
        this.hi[slot] = hi;
        this.lo[slot] = lo;
        this.lines[slot] = line;
        this.size++;
        if (this.size * 4 > this.hi.length * 3) this.grow();
        return undefined;
      }
      if (this.hi[slot] === hi && this.lo[slot] === lo) return this.lines[slot];
    }
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    const capacity = hi.length * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < hi.length; i++) {
      if (lo[i] === 0) continue;
      let slot = (hi[i]! ^ lo[i]!) & mask;
      while (this.lo[slot] !== 0) slot = (slot + 1) & mask;
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.lines[slot] = lines[i]!;
    }
  }
}
