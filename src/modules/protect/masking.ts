/**
 * The column operators every read path applies (API responses, file exports, previews, open data).
 *
 * Operators a grant chooses per column (standards.md §3): `clear`, `masked` (the per-type convention
 * of lib/mask.ts), `pseudonym` (keyed, see pseudonym.ts), `generalized`, `redacted` (free text with
 * every detected span masked or replaced by a typed placeholder), `null`, `hidden` (the column is not
 * in the view at all).
 *
 * The functions an operator needs that belong to other modules come in with the call, as the
 * pseudonymizer does: the `redacted` operator's text redactor is classification's (classify/redact.ts,
 * which finds the spans), handed over by the read path that compiles the view (share/policy.ts).
 */
import { BadRequestError } from '../../errors.ts';
import { addressPrefix, DATE_RE, mask, type AddressLevel } from '../../lib/mask.ts';

export const MASK_OPERATORS = ['clear', 'masked', 'pseudonym', 'generalized', 'redacted', 'null', 'hidden'] as const;
export type MaskOperator = (typeof MASK_OPERATORS)[number];

/** A cell as read paths hand it over: text, a number, a date, or SQL NULL. */
export type CellValue = string | number | bigint | boolean | Date | null | undefined;
/** A cell after its operator: never a Date (dates become text), undefined only for `hidden`. */
export type MaskedValue = string | number | boolean | null;

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
  return addressPrefix(value, level) || null;
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
  /** Required by `redacted`: the text redactor of the column's style (spans masked or as typed placeholders). */
  redact?: (text: string) => string;
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
      if (!ctx.redact) throw new Error('the redacted operator needs a text redactor');
      return ctx.redact(asText(value));
  }
}

/** One column of a view: its name, type and the operator the grant chose. */
export interface ColumnRule {
  name: string;
  type?: string;
  operator: MaskOperator;
  generalize?: GeneralizeOptions;
  /** `redacted` columns: the text redactor (required). */
  redact?: (text: string) => string;
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
  if (visible.some((r) => r.operator === 'redacted' && !r.redact)) throw new Error('the redacted operator needs a text redactor');
  const contexts = visible.map((r) => ({
    rule: r,
    ctx: {
      ...(r.type !== undefined ? { type: r.type } : {}),
      ...(pseudonym ? { pseudonym } : {}),
      ...(r.generalize ? { generalize: r.generalize } : {}),
      ...(r.redact ? { redact: r.redact } : {}),
    },
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
