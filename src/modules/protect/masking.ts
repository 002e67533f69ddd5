/**
 * The one masking library every read path uses (API responses, file exports, previews, open data).
 *
 * Operators a grant chooses per column (standards.md §3): `clear`, `masked` (the per-type convention
 * below), `pseudonym` (keyed, see pseudonym.ts), `generalized`, `redacted` (free text with every
 * detected span masked or replaced by a typed placeholder, see redact.ts), `null`, `hidden` (the column
 * is not in the view at all). `mask(type, value)` applies the conventions:
 *
 *   cn_resident_id  first 3 + last 4       210***********123X
 *   cn_mobile       first 3 + last 4       138****5678
 *   cn_landline     area code + last 2     024-*****78
 *   bank_card       first 6 + last 4       622202******1234
 *   person_name     the surname            张*  欧阳**
 *   address         up to county/district  辽宁省沈阳市和平区****
 *   email           first char + domain    z***@example.cn
 *   cn_plate        province, letter, last 辽A****5
 *   date_of_birth   the year               1987-**-**
 *   ipv4 / ipv6 / mac  network part        192.168.*.*
 *   anything else   at most a quarter of the characters, split between both ends, never more than 4
 *
 * A value that does not have its type's shape is masked by the stricter default rule, so a malformed
 * value never reveals more than a well-formed one would.
 */
import { BadRequestError } from '../../errors.ts';
import { COMPOUND_SURNAMES } from '../../lib/data/surnames.ts';
import { divisionAt, type DivisionLevel } from '../../lib/divisions.ts';
import { redactText, type RedactStyle } from './redact.ts';

export const MASK_OPERATORS = ['clear', 'masked', 'pseudonym', 'generalized', 'redacted', 'null', 'hidden'] as const;
export type MaskOperator = (typeof MASK_OPERATORS)[number];

/** A cell as read paths hand it over: text, a number, a date, or SQL NULL. */
export type CellValue = string | number | bigint | boolean | Date | null | undefined;
/** A cell after its operator: never a Date (dates become text), undefined only for `hidden`. */
export type MaskedValue = string | number | boolean | null;

const STAR = '*';
const stars = (n: number) => STAR.repeat(Math.max(0, n));

// ---------------------------------------------------------------------------------------------
// Helpers

/** Keeps the first `head` and last `tail` characters matching `keep`, stars the others of that kind, leaves the rest (separators). */
function maskPositions(value: string, head: number, tail: number, keep: RegExp): string {
  const chars = Array.from(value);
  const positions: number[] = [];
  chars.forEach((c, i) => {
    if (keep.test(c)) positions.push(i);
  });
  positions.forEach((pos, k) => {
    if (k >= head && k < positions.length - tail) chars[pos] = STAR;
  });
  return chars.join('');
}

const ALNUM = /[0-9A-Za-z]/;
/** Letters and digits of any script: what a masked value could give away. */
const INFORMATIVE = /[\p{L}\p{N}]/u;
const DIGIT = /[0-9]/;

function countMatching(value: string, re: RegExp): number {
  let n = 0;
  for (const c of value) if (re.test(c)) n++;
  return n;
}

/**
 * The default for types without a convention and for values without their type's shape: reveal at
 * most ⌊n/4⌋ characters (never more than 4), split between the start and the end.
 */
export function maskDefault(value: string): string {
  const chars = Array.from(value);
  const n = chars.length;
  const keep = Math.min(4, Math.floor(n / 4));
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return chars.slice(0, head).join('') + stars(n - keep) + chars.slice(n - tail).join('');
}

// ---------------------------------------------------------------------------------------------
// Per-type conventions

/** Keeps the first `head` and last `tail` characters of a value with no separators (the fast path). */
function keepEnds(value: string, head: number, tail: number): string {
  return value.slice(0, head) + stars(value.length - head - tail) + value.slice(value.length - tail);
}

function maskResidentId(value: string): string {
  if (/^(?:\d{17}[\dXx]|\d{15})$/.test(value)) return keepEnds(value, 3, 4);
  const n = countMatching(value, ALNUM);
  return n === 15 || n === 18 ? maskPositions(value, 3, 4, ALNUM) : maskDefault(value);
}

const MOBILE_PREFIX = /^(\s*(?:\+|00)86[\s-]?)/;

function maskMobile(value: string): string {
  if (/^1\d{10}$/.test(value)) return keepEnds(value, 3, 4);
  const prefix = MOBILE_PREFIX.exec(value)?.[1] ?? '';
  const rest = value.slice(prefix.length);
  return countMatching(rest, DIGIT) === 11 && countMatching(rest, ALNUM) === 11 ? prefix + maskPositions(rest, 3, 4, DIGIT) : maskDefault(value);
}

const EXTENSION = /^(?:\s*(?:-|转|ext\.?|x)\s*\d{1,6})?$/i;

/** Splits a landline into area code (with its separator), local number and extension. */
function splitLandline(text: string): { prefix: string; local: string; ext: string } | null {
  // (024)39431591, （0421）-2818888, 024 3943 1591: brackets of either width, the local number grouped or not.
  const separated = /^([(（]0\d{2,3}[)）][\s-]?|0\d{2,3}[\s-])(\d{3,4}[\s-]?\d{4})(.*)$/.exec(text);
  if (separated) {
    const [, prefix = '', local = '', ext = ''] = separated;
    return EXTENSION.test(ext) ? { prefix, local, ext } : null;
  }
  // Without a separator the split is the numbering plan's: 010 and 02x are 3-digit area codes.
  const run = /^\d+/.exec(text)?.[0] ?? '';
  if (!run.startsWith('0')) return null;
  const areaLength = /^0[12]/.test(run) ? 3 : 4;
  const local = run.slice(areaLength);
  const ext = text.slice(run.length);
  return local.length >= 7 && local.length <= 8 && EXTENSION.test(ext) ? { prefix: run.slice(0, areaLength), local, ext } : null;
}

function maskLandline(value: string): string {
  const parts = splitLandline(value);
  if (!parts) return maskDefault(value);
  // The local number's grouping is kept; all its digits but the last 2 are starred.
  const digits = parts.local.replace(/\D/g, '').length;
  let seen = 0;
  const local = parts.local.replace(/\d/g, (d) => (++seen > digits - 2 ? d : STAR));
  return `${parts.prefix}${local}${parts.ext.replace(/\d/g, STAR)}`;
}

function maskBankCard(value: string): string {
  if (/^\d{15,19}$/.test(value)) return keepEnds(value, 6, 4);
  const digits = countMatching(value, DIGIT);
  if (digits !== countMatching(value, ALNUM)) return maskDefault(value);
  if (digits >= 15) return maskPositions(value, 6, 4, DIGIT);
  return maskDefault(value);
}

const HAN = /^\p{Script=Han}+$/u;
const NAME_SEPARATOR = /[\s·•.-]/;

function maskPersonName(value: string): string {
  const text = value.trim();
  const chars = Array.from(text);
  if (chars.length <= 1) return stars(chars.length || 1);
  if (HAN.test(text)) {
    const surname = chars.length > 2 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join('')) ? 2 : 1;
    return chars.slice(0, surname).join('') + stars(chars.length - surname);
  }
  // Transliterated (阿依古丽·买买提) and Latin names have no surname in front: keep the first letter when
  // another one is left to hide, star the other letters and keep the separators.
  const letters = chars.filter((c) => INFORMATIVE.test(c)).length;
  return chars.map((c, i) => (NAME_SEPARATOR.test(c) || (i === 0 && letters >= 2) ? c : STAR)).join('');
}

export type AddressLevel = 'province' | 'city' | 'district';
const LEVEL_NAMES: Record<DivisionLevel, AddressLevel> = { 1: 'province', 2: 'city', 3: 'district' };

/**
 * Splits the leading administrative divisions (GB/T 2260 names, from the classify module's list)
 * off an address: province, city, district, each possibly ''. Levels must descend; a short name
 * (沈阳) counts only when a further division follows it (沈阳和平区), so the 太原 of 太原路 is a street.
 */
export function parseAddressPrefix(value: string): Record<AddressLevel, string> & { rest: string } {
  const text = value.trim();
  const parts: { level: DivisionLevel; name: string; full: boolean }[] = [];
  let at = 0;
  for (let hit = divisionAt(text, at); hit; hit = divisionAt(text, at)) {
    if (hit.level <= (parts.at(-1)?.level ?? 0)) break;
    parts.push({ level: hit.level, name: text.slice(at, at + hit.length), full: hit.full });
    at += hit.length;
    if (hit.level === 3) break;
  }
  // A two-character district standing alone (东区, 中区) is as likely a part of a compound as a division.
  const alone = parts.length === 1 && parts[0]!.level === 3 && parts[0]!.name.length < 3;
  while (parts.length && (!parts.at(-1)!.full || alone)) {
    const dropped = parts.pop()!;
    at -= dropped.name.length;
  }
  const out = { province: '', city: '', district: '', rest: text.slice(at) };
  for (const part of parts) out[LEVEL_NAMES[part.level]] = part.name;
  return out;
}

function maskAddress(value: string): string {
  const p = parseAddressPrefix(value);
  return `${p.province}${p.city}${p.district}****`;
}

function maskEmail(value: string): string {
  const text = value.trim();
  const at = text.lastIndexOf('@');
  if (at < 1 || at === text.length - 1) return maskDefault(value);
  const local = Array.from(text.slice(0, at));
  return `${local.length >= 2 ? local[0] : ''}***${text.slice(at)}`;
}

function maskPlate(value: string): string {
  const n = countMatching(value, INFORMATIVE);
  return n === 7 || n === 8 ? maskPositions(value, 2, 1, INFORMATIVE) : maskDefault(value);
}

const DATE_RE = /^\s*(\d{4})([-/.年]?)(\d{1,2})([-/.月]?)(\d{1,2})(日?)(?:[T\s].*)?$/;

function maskDateOfBirth(value: string): string {
  const m = DATE_RE.exec(value);
  if (!m) return maskDefault(value);
  const [, year, s1 = '', , s2 = '', , s3 = ''] = m;
  return `${year}${s1}**${s2}**${s3}`;
}

function maskIpv4(value: string): string {
  const parts = value.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return maskDefault(value);
  return `${parts[0]}.${parts[1]}.*.*`;
}

function maskIpv6(value: string): string {
  const groups = value.trim().split(':');
  if (groups.length < 3 || !groups.every((g) => /^[0-9A-Fa-f]{0,4}$/.test(g)) || !groups[0] || !groups[1]) return maskDefault(value);
  return `${groups[0]}:${groups[1]}:*`;
}

function maskMac(value: string): string {
  const text = value;
  if (!/^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$/.test(text)) return maskDefault(value);
  return text.slice(0, 8) + text.slice(8).replace(/[0-9A-Fa-f]/g, STAR);
}

const MASKERS: Record<string, (value: string) => string> = {
  cn_resident_id: maskResidentId,
  cn_mobile: maskMobile,
  cn_landline: maskLandline,
  bank_card: maskBankCard,
  person_name: maskPersonName,
  address: maskAddress,
  email: maskEmail,
  cn_plate: maskPlate,
  date_of_birth: maskDateOfBirth,
  ipv4: maskIpv4,
  ipv6: maskIpv6,
  mac: maskMac,
};

/** Types with their own masking convention (others use maskDefault). */
export const MASKED_TYPES: readonly string[] = Object.keys(MASKERS);

/** Masks a value by its type's convention (standards.md §3); the default rule for other types. */
export function mask(type: string | undefined, value: string): string {
  const masker = type === undefined ? undefined : MASKERS[type];
  return (masker ?? maskDefault)(value);
}

// ---------------------------------------------------------------------------------------------
// Generalisation

export interface GeneralizeOptions {
  /** Dates: keep the year (default) or the month. */
  date?: 'year' | 'month';
  /** Ages: 5- or 10-year bands (default 10). */
  ageBand?: 5 | 10;
  /** Addresses: the level kept (default district). */
  address?: AddressLevel;
  /** Numbers: bucket width (default: the value's order of magnitude, 1234 → 1000-1999). */
  bucket?: number;
}

const DATE_TYPES = new Set(['date_of_birth', 'date', 'datetime', 'timestamp']);
const NUMBER_TYPES = new Set(['number', 'integer', 'decimal', 'amount']);

function generalizeDate(value: CellValue, level: 'year' | 'month'): string | null {
  let year: string;
  let month: string;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    year = String(value.getUTCFullYear());
    month = String(value.getUTCMonth() + 1);
  } else {
    const m = DATE_RE.exec(String(value)) ?? /^\s*(\d{4})([-/.年]?)(\d{1,2})/.exec(String(value));
    if (!m) return null;
    year = m[1] ?? '';
    month = m[3] ?? '';
  }
  return level === 'year' ? year : `${year}-${month.padStart(2, '0')}`;
}

function toNumber(value: CellValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value.trim().replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

function band(n: number, width: number): string {
  const lo = Math.floor(n / width) * width;
  return Number.isInteger(n) && Number.isInteger(width) ? `${lo}-${lo + width - 1}` : `[${lo}, ${lo + width})`;
}

function generalizeNumber(value: CellValue, bucket: number | undefined): string | null {
  const n = toNumber(value);
  if (n === null) return null;
  const width = bucket ?? (n === 0 ? 1 : 10 ** Math.floor(Math.log10(Math.abs(n))));
  return band(n, width);
}

function generalizeAddress(value: string, level: AddressLevel): string | null {
  const p = parseAddressPrefix(value);
  const kept = level === 'province' ? p.province : level === 'city' ? p.province + p.city : p.province + p.city + p.district;
  return kept || null;
}

/** Whether `generalized` means something for a type. */
export function canGeneralize(type: string | undefined): boolean {
  return type !== undefined && (DATE_TYPES.has(type) || NUMBER_TYPES.has(type) || type === 'age' || type === 'address');
}

/**
 * Generalises a value: date → year or month, age → 5/10-year band, address → district/city/province,
 * number → bucket. A value that cannot be read as its type becomes null (never the clear value).
 */
export function generalize(type: string | undefined, value: CellValue, options: GeneralizeOptions = {}): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'age') {
    const n = toNumber(value);
    return n === null ? null : band(n, options.ageBand ?? 10);
  }
  if (type === 'address') return generalizeAddress(String(value), options.address ?? 'district');
  if (type !== undefined && DATE_TYPES.has(type)) return generalizeDate(value, options.date ?? 'year');
  if (type !== undefined && NUMBER_TYPES.has(type)) return generalizeNumber(value, options.bucket);
  throw new BadRequestError('operator_not_applicable', {
    zh: `类型 ${type ?? '（未知）'} 不支持泛化`,
    en: `Type ${type ?? '(unknown)'} cannot be generalized`,
  });
}

// ---------------------------------------------------------------------------------------------
// Operators

/** The operators a grant may choose for a column of this type (for validating grants up front). */
export function operatorsFor(type: string | undefined): MaskOperator[] {
  return MASK_OPERATORS.filter((op) => op !== 'generalized' || canGeneralize(type));
}

export interface OperatorContext {
  /** The column's recognised type (standards.md §1 type id), if any. */
  type?: string;
  /** Required by `pseudonym`: the dataset's pseudonymizer for the consuming organisation. */
  pseudonym?: (value: string, type?: string) => string;
  generalize?: GeneralizeOptions;
  /** `redacted`: spans in their masked form (default) or as typed placeholders. */
  redact?: RedactStyle;
}

function asText(value: Exclude<CellValue, null | undefined>): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/**
 * Applies a column operator to one cell. NULL stays NULL under every operator; `hidden` returns
 * undefined (a read path must drop the column; as undefined it is also left out of JSON).
 */
export function applyOperator(op: MaskOperator, value: CellValue, ctx: OperatorContext = {}): MaskedValue | undefined {
  if (op === 'hidden') return undefined;
  if (value === null || value === undefined || op === 'null') return null;
  switch (op) {
    case 'clear':
      if (value instanceof Date) return value.toISOString();
      return typeof value === 'bigint' ? value.toString() : value;
    case 'masked':
      return mask(ctx.type, asText(value));
    case 'pseudonym':
      if (!ctx.pseudonym) throw new Error('the pseudonym operator needs a pseudonymizer');
      return ctx.pseudonym(asText(value), ctx.type);
    case 'generalized':
      return generalize(ctx.type, value, ctx.generalize);
    case 'redacted':
      return redactText(asText(value), ctx.redact ?? 'masked');
  }
}

/** One column of a view: its name, type and the operator the grant chose. */
export interface ColumnRule {
  name: string;
  type?: string;
  operator: MaskOperator;
  generalize?: GeneralizeOptions;
  redact?: RedactStyle;
}

export interface RowMasker {
  /** The columns in the view, in order (hidden ones left out). */
  readonly columns: readonly string[];
  /** Masks one row; keys not in the rules are never copied, so an unexpected column cannot leak. */
  apply(row: Readonly<Record<string, CellValue>>): Record<string, MaskedValue>;
}

/** Compiles a view's column rules once for many rows. */
export function createRowMasker(rules: readonly ColumnRule[], pseudonym?: (value: string, type?: string) => string): RowMasker {
  const visible = rules.filter((r) => r.operator !== 'hidden');
  if (visible.some((r) => r.operator === 'pseudonym') && !pseudonym) throw new Error('the pseudonym operator needs a pseudonymizer');
  const contexts = visible.map((r) => ({
    rule: r,
    ctx: { ...(r.type !== undefined ? { type: r.type } : {}), ...(pseudonym ? { pseudonym } : {}), ...(r.generalize ? { generalize: r.generalize } : {}), ...(r.redact ? { redact: r.redact } : {}) },
  }));
  return {
    columns: visible.map((r) => r.name),
    apply(row) {
      const out: Record<string, MaskedValue> = {};
      for (const { rule, ctx } of contexts) out[rule.name] = applyOperator(rule.operator, row[rule.name], ctx) as MaskedValue;
      return out;
    },
  };
}
