/**
 * The policy compiler: a grant plus the catalogue becomes the only view a consumer can read.
 *
 * - every catalogue column gets exactly one mode from the grant (columns the grant does not name are
 *   hidden): clear, masked, pseudonym, generalized, redacted (free text with every detected span
 *   masked or replaced by a typed placeholder), verify (核验 only) or hidden;
 * - the grant's row filter is always ANDed in, compiled with the provider's view of the columns;
 * - the caller's select/filter/order are checked against the modes (a hidden or verify column cannot
 *   be selected, filtered or ordered; a masked, generalized or redacted one cannot be filtered or ordered; a
 *   pseudonym column can be filtered with eq/in on the pseudonym, evaluated after decryption);
 * - identifiers come only from the catalogue (`physical`, quoted by ident()); every value is a bound
 *   parameter with an explicit cast, checked here first so a bad value is a 400, never an SQL error.
 */
import { BadRequestError } from '../../../errors.ts';
import { ident } from '../../../db/sql.ts';
import type { ColumnRow, DataType } from '../../catalog/catalog.service.ts';
import {
  applyOperator,
  canGeneralize,
  type CellValue,
  type GeneralizeOptions,
  type MaskedValue,
  type MaskOperator,
  type OperatorContext,
} from '../../protect/masking.ts';
import { redactorOf, type RedactStyle } from '../../classify/redact.ts';
import { isCondition, type Condition, type FilterNode } from '../filter.ts';
import { withoutValue } from '../redact.ts';

export const GRANT_MODES = ['clear', 'masked', 'pseudonym', 'generalized', 'redacted', 'verify', 'hidden'] as const;
export type GrantMode = (typeof GRANT_MODES)[number];

/** One column of a grant as stored: the 信息项 name, its mode, generalisation options. */
export interface GrantColumn {
  name: string;
  mode: GrantMode;
  generalize?: GeneralizeOptions;
  /** `redacted` columns: spans masked (default) or replaced by typed placeholders. */
  redact?: RedactStyle;
}

/** A catalogue column with the mode the grant gives it. */
export interface ViewColumn {
  name: string;
  physical: string;
  mode: GrantMode;
  dataType: DataType;
  encrypted: boolean;
  blindIndex: boolean;
  grade: number | null;
  /** Recognised type (standards.md §1) used for masking, pseudonym normalisation and generalisation. */
  type: string | undefined;
  maskAs: string | undefined;
  generalizeAs: string | undefined;
  generalize?: GeneralizeOptions;
  redact?: RedactStyle;
}

export type OrderSpec = { column: string; direction: 'asc' | 'desc' };

/** What the caller asked for, parsed but not yet checked against the grant. */
export interface ReadRequest {
  select?: string[];
  filter: FilterNode;
  order: OrderSpec[];
  limit: number;
  after?: string;
}

export interface BlindTerms {
  terms(value: string, type?: string): string[];
}

const NEEDS_CLEAR_VALUE: ReadonlySet<GrantMode> = new Set(['clear', 'masked', 'pseudonym', 'generalized', 'redacted']);
/** Modes whose column appears in the records view. */
export const VISIBLE_MODES: ReadonlySet<GrantMode> = NEEDS_CLEAR_VALUE;

function classificationOf(column: Pick<ColumnRow, 'classification'>): { type?: string; maskAs?: string; defaultOperator?: string; freeText: boolean } {
  const c = column.classification as { types?: { type?: string }[]; protection?: { maskAs?: string | null; defaultOperator?: string }; text?: unknown };
  return {
    type: c.types?.[0]?.type,
    maskAs: c.protection?.maskAs ?? undefined,
    defaultOperator: c.protection?.defaultOperator,
    freeText: c.text !== undefined && c.text !== null,
  };
}

/** A column the classification found to hold free text (its spans graded it). */
export function isFreeText(column: Pick<ColumnRow, 'classification'>): boolean {
  return classificationOf(column).freeText;
}

const DATA_TYPE_GENERALIZE: Partial<Record<DataType, string>> = { date: 'date', timestamp: 'timestamp', integer: 'integer', decimal: 'decimal' };

/** The type generalisation works with: the recognised type if it can be generalised, else the SQL type. */
export function generalizeTypeOf(column: Pick<ColumnRow, 'classification' | 'data_type'>): string | undefined {
  const { type, maskAs } = classificationOf(column);
  if (canGeneralize(maskAs)) return maskAs;
  if (canGeneralize(type)) return type;
  return DATA_TYPE_GENERALIZE[column.data_type];
}

/** The default mode of a column when shared without a request (无条件共享): its grade's default. */
export function defaultMode(column: Pick<ColumnRow, 'classification' | 'grade'>): GrantMode {
  const { defaultOperator, freeText } = classificationOf(column);
  // Masking a whole text hides everything; a graded free-text column is shared with its spans redacted.
  if (freeText && (column.grade ?? 1) >= 3) return 'redacted';
  if (defaultOperator === 'clear' || defaultOperator === 'masked') return defaultOperator;
  return (column.grade ?? 1) >= 3 ? 'masked' : 'clear';
}

/** Joins the catalogue's columns with a grant's modes; columns the grant does not name are hidden. */
export function viewColumns(catalogue: readonly ColumnRow[], grant: readonly GrantColumn[]): ViewColumn[] {
  const byName = new Map(grant.map((g) => [g.name, g]));
  return catalogue.map((c) => {
    const g = byName.get(c.name);
    const { type, maskAs } = classificationOf(c);
    return {
      name: c.name,
      physical: c.physical,
      mode: g?.mode ?? 'hidden',
      dataType: c.data_type,
      encrypted: c.encrypted,
      blindIndex: c.blind_index,
      grade: c.grade,
      type,
      maskAs: maskAs ?? type,
      generalizeAs: generalizeTypeOf(c),
      ...(g?.generalize ? { generalize: g.generalize } : {}),
      ...(g?.mode === 'redacted' ? { redact: g.redact ?? 'masked' } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Errors naming the column

function columnError(code: string, column: string, zh: string, en: string): BadRequestError {
  return new BadRequestError(code, { zh: `信息项 ${column} ${zh}`, en: `Column ${column} ${en}` }, { column });
}

export const unknownColumn = (column: string) => columnError('unknown_column', column, '不存在', 'does not exist');
const notGranted = (column: string) => columnError('column_not_granted', column, '不在授权范围内', 'is not granted to you');
const verifyOnly = (column: string) =>
  columnError(
    'column_verify_only',
    column,
    '仅授权用于核验，不能查询、过滤或排序',
    'is granted for verification only; it cannot be selected, filtered or ordered',
  );
const notFilterable = (column: string, mode: string) =>
  columnError('column_not_filterable', column, `以${MODE_ZH[mode] ?? mode}形式授权，不能用于过滤`, `is granted ${mode}; it cannot be used in a filter`);
const notOrderable = (column: string, mode: string) =>
  columnError(
    'column_not_orderable',
    column,
    `以${MODE_ZH[mode] ?? mode}形式授权或加密存储，不能用于排序`,
    `is granted ${mode} or stored encrypted; it cannot be used to order`,
  );

const MODE_ZH: Record<string, string> = {
  clear: '明文',
  masked: '脱敏',
  pseudonym: '假名',
  generalized: '泛化',
  redacted: '去标识',
  verify: '核验',
  hidden: '隐藏',
};

function lookup(columns: ReadonlyMap<string, ViewColumn>, name: string): ViewColumn {
  const column = columns.get(name);
  if (!column) throw unknownColumn(name);
  return column;
}

/** A column the caller may read at all (not hidden, not verify-only). */
function readable(columns: ReadonlyMap<string, ViewColumn>, name: string): ViewColumn {
  const column = lookup(columns, name);
  if (column.mode === 'hidden') throw notGranted(name);
  if (column.mode === 'verify') throw verifyOnly(name);
  return column;
}

// ---------------------------------------------------------------------------------------------
// Values

/** Collects bound parameters; returns their placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const INTEGER = /^[+-]?\d{1,18}$/;
const DECIMAL = /^[+-]?(?:\d{1,60}(?:\.\d{0,40})?|\.\d{1,40})(?:[eE][+-]?\d{1,3})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$/;
/** PostgreSQL refuses a UTC offset beyond ±15:59 (a 500 if it reached the database): the largest accepted here. */
export const MAX_UTC_OFFSET_HOURS = 15;
const CASTS: Record<DataType, string> = { integer: 'bigint', decimal: 'numeric', boolean: 'boolean', date: 'date', timestamp: 'timestamptz', text: 'text' };

function validDate(y: string, m: string, d: string): boolean {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(2000, month, 0)).getUTCDate() && (month !== 2 || day <= 28 || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)));
}

function badValue(column: string, type: DataType, value: string): BadRequestError {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return new BadRequestError(
    'invalid_value',
    {
      zh: `信息项 ${column} 的值 ${JSON.stringify(shown)} 不是有效的 ${type}`,
      en: `Value ${JSON.stringify(shown)} is not a valid ${type} for column ${column}`,
    },
    { column, type },
  );
}

function badOffset(column: string, value: string): BadRequestError {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return new BadRequestError(
    'invalid_value',
    {
      zh: `信息项 ${column} 的值 ${JSON.stringify(shown)} 的时区偏移超出范围（应在 -15:59 到 +15:59 之间）`,
      en: `Value ${JSON.stringify(shown)} for column ${column} has a UTC offset out of range (-15:59 to +15:59)`,
    },
    { column, type: 'timestamp' },
  );
}

/** Checks a value against the column's SQL type; returns the text to bind (cast in SQL). */
export function checkValue(column: string, type: DataType, value: string): string {
  if (value.includes('\u0000')) throw badValue(column, type, value.replaceAll('\u0000', '\\0'));
  switch (type) {
    case 'integer':
      if (!INTEGER.test(value)) throw badValue(column, type, value);
      return value;
    case 'decimal': {
      if (!DECIMAL.test(value)) throw badValue(column, type, value);
      const exponent = /[eE]([+-]?\d+)$/.exec(value);
      if (exponent && Math.abs(Number(exponent[1])) > 300) throw badValue(column, type, value);
      return value;
    }
    case 'boolean':
      if (value !== 'true' && value !== 'false') throw badValue(column, type, value);
      return value;
    case 'date': {
      const m = DATE.exec(value);
      if (!m || !validDate(m[1]!, m[2]!, m[3]!)) throw badValue(column, type, value);
      return value;
    }
    case 'timestamp': {
      const m = TIMESTAMP.exec(value);
      if (!m || !validDate(m[1]!, m[2]!, m[3]!) || Number(m[1]) < 1000 || Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) {
        throw badValue(column, type, value);
      }
      if (Number(m[7] ?? 0) > MAX_UTC_OFFSET_HOURS || Number(m[8] ?? 0) > 59) throw badOffset(column, value);
      return value;
    }
    case 'text':
      return value;
  }
}

/** A LIKE pattern from the API's `*` wildcard; %, _ and \ in the value are literal characters. */
export function likePattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}

// ---------------------------------------------------------------------------------------------
// Filters → SQL

/** A pseudonym condition evaluated on the decrypted value after the SQL query (eq/in only). */
export interface PostCondition {
  column: ViewColumn;
  /** Accepted pseudonyms, normalised (upper case, trimmed). */
  values: ReadonlySet<string>;
}

type Audience = 'consumer' | 'provider';

interface CompileContext {
  columns: ReadonlyMap<string, ViewColumn>;
  params: Params;
  audience: Audience;
  terms?: BlindTerms;
  post: PostCondition[];
}

const COMPARISONS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

export function normalizePseudonym(value: string): string {
  return value.trim().toUpperCase();
}

function compileCondition(c: Condition, ctx: CompileContext, topLevel: boolean): string {
  const column = ctx.audience === 'provider' ? lookup(ctx.columns, c.column) : readable(ctx.columns, c.column);
  try {
    return compileConditionOn(column, c, ctx, topLevel);
  } catch (error) {
    throw withoutValue(error, column, c.column);
  }
}

function compileConditionOn(column: ViewColumn, c: Condition, ctx: CompileContext, topLevel: boolean): string {
  if (ctx.audience === 'consumer') {
    if (column.mode === 'pseudonym') {
      if (!topLevel || c.not || (c.op !== 'eq' && c.op !== 'in')) {
        throw columnError(
          'column_not_filterable',
          c.column,
          '以假名形式授权，只能在顶层用 eq 或 in 按假名过滤',
          'is granted as a pseudonym; filter it only with eq or in on the pseudonym, at the top level',
        );
      }
      const values = (Array.isArray(c.value) ? c.value : [c.value ?? '']).map(normalizePseudonym);
      ctx.post.push({ column, values: new Set(values) });
      return 'TRUE';
    }
    if (column.mode !== 'clear') throw notFilterable(c.column, column.mode);
  }
  const expr = ident(column.physical);
  const negate = (sql: string) => (c.not ? `NOT (${sql})` : sql);
  if (c.op === 'is') return `${expr} IS ${c.not ? 'NOT ' : ''}NULL`;

  if (column.encrypted) {
    // Ciphertext can only be matched for equality, through the blind index.
    if (!column.blindIndex || (c.op !== 'eq' && c.op !== 'in')) {
      throw columnError(
        'column_not_filterable',
        c.column,
        '加密存储，只能用 eq、in 或 is.null 过滤（需盲索引）',
        'is stored encrypted; filter it only with eq, in or is.null (needs a blind index)',
      );
    }
    if (!ctx.terms) throw new Error('blind index terms not loaded');
    const values = Array.isArray(c.value) ? c.value : [c.value ?? ''];
    for (const v of values) checkValue(c.column, 'text', v);
    const terms = values.flatMap((v) => ctx.terms!.terms(v, column.type));
    return negate(`${ident(`${column.physical}_bi`)} = ANY(${ctx.params.add(terms)}::text[])`);
  }

  const cast = CASTS[column.dataType];
  if (c.op === 'in') {
    const values = (c.value as string[]).map((v) => checkValue(c.column, column.dataType, v));
    return negate(`${expr} = ANY(${ctx.params.add(values)}::${cast}[])`);
  }
  const value = c.value as string;
  if (c.op === 'like') {
    checkValue(c.column, 'text', value);
    return negate(`${expr}::text LIKE ${ctx.params.add(likePattern(value))} ESCAPE '\\'`);
  }
  return negate(`${expr} ${COMPARISONS[c.op]} ${ctx.params.add(checkValue(c.column, column.dataType, value))}::${cast}`);
}

function compileNode(node: FilterNode, ctx: CompileContext, topLevel: boolean): string {
  if (isCondition(node)) return compileCondition(node, ctx, topLevel);
  if ('and' in node) {
    const parts = node.and.map((n) => compileNode(n, ctx, topLevel)).filter((s) => s !== 'TRUE');
    return parts.length === 0 ? 'TRUE' : parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
  }
  if (node.or.length === 0) return 'FALSE';
  return `(${node.or.map((n) => compileNode(n, ctx, false)).join(' OR ')})`;
}

/** Compiles a filter to an SQL condition with bound parameters. */
export function compileFilter(
  node: FilterNode | null | undefined,
  columns: ReadonlyMap<string, ViewColumn>,
  params: Params,
  audience: Audience,
  terms?: BlindTerms,
): { sql: string; post: PostCondition[] } {
  if (!node) return { sql: 'TRUE', post: [] };
  const ctx: CompileContext = { columns, params, audience, post: [], ...(terms ? { terms } : {}) };
  return { sql: compileNode(node, ctx, true), post: ctx.post };
}

/** Does the filter touch an encrypted column (the blind-index keys must then be loaded)? */
export function touchesEncrypted(node: FilterNode | null | undefined, columns: ReadonlyMap<string, ViewColumn>): boolean {
  if (!node) return false;
  if (isCondition(node)) return columns.get(node.column)?.encrypted === true;
  return ('and' in node ? node.and : node.or).some((n) => touchesEncrypted(n, columns));
}

// ---------------------------------------------------------------------------------------------
// The compiled read

/** A keyset position: the values of the order columns of the last row, then its _row. */
export type Cursor = (string | number | null)[];

export interface CompiledRead {
  /** Output columns, in order. */
  output: ViewColumn[];
  /** Columns fetched (output plus pseudonym filter columns). */
  fetch: ViewColumn[];
  post: PostCondition[];
  order: { column: ViewColumn; direction: 'asc' | 'desc' }[];
  /**
   * The SQL of one chunk after `cursor` (or from the start); with `guard`, it answers no rows unless
   * the access revisions of the guard's scopes still sum to its revision (a kept access context).
   */
  chunk(cursor: Cursor | undefined, limit: number, guard?: { scopes: string[]; revision: number }): { text: string; values: unknown[] };
  /** The cursor of a fetched row (its order values and _row). */
  cursorOf(row: Record<string, unknown>): Cursor;
}

function cursorValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'number' ? v : String(v);
}

/** Encodes a cursor for the API: a plain row number, or base64url JSON when ordered by columns. */
export function encodeCursor(cursor: Cursor): string {
  return cursor.length === 1 ? String(cursor[0]) : Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function badCursor(): BadRequestError {
  return new BadRequestError(
    'invalid_cursor',
    { zh: '参数 after 不是本查询返回的游标', en: 'Parameter after is not a cursor returned by this query' },
    { parameter: 'after' },
  );
}

/** Decodes and checks `after` against the order columns' types; anything else is a 400. */
export function decodeCursor(text: string, order: CompiledRead['order']): Cursor {
  let cursor: unknown;
  if (/^\d{1,18}$/.test(text)) cursor = [Number(text)];
  else {
    try {
      cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      throw badCursor();
    }
  }
  if (!Array.isArray(cursor) || cursor.length !== order.length + 1) throw badCursor();
  const row = cursor.at(-1);
  if (typeof row !== 'number' || !Number.isSafeInteger(row)) throw badCursor();
  order.forEach((o, i) => {
    const v = cursor[i];
    if (v === null) return;
    if (typeof v !== 'string' && typeof v !== 'number') throw badCursor();
    try {
      checkValue(o.column.name, o.column.dataType, String(v));
    } catch {
      throw badCursor();
    }
  });
  return cursor as Cursor;
}

/**
 * Rows strictly after the cursor in (order…, _row) order. ASC sorts NULLS LAST and DESC NULLS FIRST
 * (PostgreSQL's defaults), written out so the keyset condition and the ORDER BY agree.
 */
function keysetCondition(order: CompiledRead['order'], cursor: Cursor, params: Params): string {
  const terms: string[] = [];
  const equal: string[] = [];
  order.forEach((o, i) => {
    const expr = ident(o.column.physical);
    const v = cursor[i];
    const cast = CASTS[o.column.dataType];
    const p = v === null ? '' : `${params.add(String(v))}::${cast}`;
    let after: string;
    if (o.direction === 'asc') after = v === null ? 'FALSE' : `(${expr} > ${p} OR ${expr} IS NULL)`;
    else after = v === null ? `${expr} IS NOT NULL` : `${expr} < ${p}`;
    terms.push([...equal, after].join(' AND '));
    equal.push(v === null ? `${expr} IS NULL` : `${expr} = ${p}`);
  });
  terms.push([...equal, `_row > ${params.add(cursor.at(-1))}::bigint`].join(' AND '));
  return `(${terms.map((t) => `(${t})`).join(' OR ')})`;
}

/**
 * Compiles a read of a grant's view: checks select/filter/order against the modes and returns the
 * chunked SQL. `relation` and every column come from the catalogue.
 */
export function compileRead(
  relation: string,
  view: readonly ViewColumn[],
  rowFilter: FilterNode | null | undefined,
  request: Omit<ReadRequest, 'limit' | 'after'>,
  terms?: BlindTerms,
): CompiledRead {
  const columns = new Map(view.map((c) => [c.name, c]));
  const output =
    request.select && request.select.length > 0 && !(request.select.length === 1 && request.select[0] === '*')
      ? [...new Set(request.select)].map((name) => readable(columns, name))
      : view.filter((c) => VISIBLE_MODES.has(c.mode));
  if (output.length === 0) {
    // A verify-only grant reads no rows at all: not even how many there are.
    throw new BadRequestError('no_readable_columns', {
      zh: '该授权没有可查询的信息项（仅可核验）',
      en: 'This grant has no readable columns (verification only)',
    });
  }
  const order = request.order.map((o) => {
    const column = readable(columns, o.column);
    if (column.mode !== 'clear' || column.encrypted) throw notOrderable(o.column, column.mode);
    return { column, direction: o.direction };
  });

  const base = new Params();
  const grantFilter = compileFilter(rowFilter, columns, base, 'provider', terms);
  const callerFilter = compileFilter(request.filter, columns, base, 'consumer', terms);
  const post = callerFilter.post;
  const fetch = [...output];
  for (const p of post) if (!fetch.includes(p.column)) fetch.push(p.column);
  // Order columns are read too (the cursor is made of their values) even when not selected.
  const extra = order.map((o) => o.column).filter((c) => !fetch.includes(c));
  const select = ['_row', ...fetch.map((c) => c.physical), ...extra.map((c) => c.physical)].map(ident).join(', ');
  const orderBy = [...order.map((o) => `${ident(o.column.physical)} ${o.direction === 'asc' ? 'ASC NULLS LAST' : 'DESC NULLS FIRST'}`), '_row ASC'].join(', ');
  const where = [grantFilter.sql, callerFilter.sql].filter((s) => s !== 'TRUE');

  return {
    output,
    fetch,
    post,
    order,
    chunk(cursor, limit, guard) {
      const params = new Params();
      params.values.push(...base.values);
      const conditions = [...where];
      if (cursor) conditions.push(keysetCondition(order, cursor, params));
      // Uncorrelated: evaluated once per statement, in its snapshot (migration 0040).
      if (guard)
        conditions.push(
          `(SELECT coalesce(sum(rev), 0) FROM access_revisions WHERE scope = ANY(${params.add(guard.scopes)}::text[])) = ${params.add(guard.revision)}::bigint`,
        );
      const text = `SELECT ${select} FROM ${ident(relation)}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${orderBy} LIMIT ${params.add(limit)}::int`;
      return { text, values: params.values };
    },
    cursorOf(row) {
      return [...order.map((o) => cursorValue(row[o.column.physical])), Number(row._row)];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The compiled verification (核验)

/** A checked verification: the match as a filter, on columns the grant lets the caller verify. */
export interface VerifyMatch {
  /** Every given value as an `eq` condition, ANDed. */
  node: FilterNode;
  columns: ReadonlyMap<string, ViewColumn>;
  /** The match or the grant's row filter touches an encrypted column: the blind-index terms are needed. */
  needsTerms: boolean;
}

/**
 * Checks a verification's match against the grant's view: 1 to 10 columns, each granted `verify` or
 * `clear`, and an encrypted one only through its blind index. Throws a 400 naming the column.
 */
export function verifyMatch(view: readonly ViewColumn[], rowFilter: FilterNode | null | undefined, match: Record<string, string>): VerifyMatch {
  const columns = new Map(view.map((c) => [c.name, c]));
  const entries = Object.entries(match);
  if (entries.length === 0 || entries.length > 10) {
    throw new BadRequestError('invalid_match', { zh: 'match 须包含 1 到 10 个信息项', en: 'match must name 1 to 10 columns' }, { field: 'match' });
  }
  for (const [name] of entries) {
    const column = lookup(columns, name);
    if (column.mode !== 'verify' && column.mode !== 'clear') {
      throw new BadRequestError(
        'column_not_verifiable',
        { zh: `信息项 ${name} 未授权用于核验`, en: `Column ${name} is not granted for verification` },
        { column: name },
      );
    }
    if (column.encrypted && !column.blindIndex) {
      throw new BadRequestError(
        'column_not_verifiable',
        { zh: `信息项 ${name} 加密存储且无盲索引，不能核验`, en: `Column ${name} is encrypted without a blind index; it cannot be verified` },
        { column: name },
      );
    }
  }
  const node: FilterNode = { and: entries.map(([column, value]): Condition => ({ column, op: 'eq', value })) };
  return { node, columns, needsTerms: touchesEncrypted(node, columns) || touchesEncrypted(rowFilter, columns) };
}

/**
 * The SQL of a verification: whether a row of the grant's view (its row filter ANDed in) matches
 * every value. It answers one boolean, never a value or a count.
 */
export function compileVerify(
  relation: string,
  rowFilter: FilterNode | null | undefined,
  match: VerifyMatch,
  terms?: BlindTerms,
): { text: string; values: unknown[] } {
  const params = new Params();
  const grantFilter = compileFilter(rowFilter, match.columns, params, 'provider', terms);
  const matchSql = compileFilter(match.node, match.columns, params, 'provider', terms);
  return { text: `SELECT EXISTS (SELECT 1 FROM ${ident(relation)} WHERE ${grantFilter.sql} AND ${matchSql.sql}) AS found`, values: params.values };
}

// ---------------------------------------------------------------------------------------------
// Values out

export interface CellContext {
  decrypt?: (ciphertext: string) => string;
  pseudonym?: (value: string, type?: string) => string;
}

/** The clear value of a fetched cell (decrypted when stored encrypted); null on a damaged ciphertext. */
export function clearValue(column: ViewColumn, raw: unknown, ctx: CellContext): CellValue {
  if (raw === null || raw === undefined) return null;
  if (!column.encrypted) return raw as CellValue;
  if (!ctx.decrypt) throw new Error('decryption keys not loaded');
  try {
    return ctx.decrypt(String(raw));
  } catch {
    return null;
  }
}

/** A column's granted form compiled once per request: clear value in, value as sent out. */
export type CellWriter = (clear: CellValue) => MaskedValue;

/**
 * Compiles a column's operator once for every cell of a request: the operator's options (type,
 * pseudonymizer, generalisation, redaction) are fixed per column, so no object is built per cell.
 * Every value still goes through the one masking library's applyOperator; a `redacted` column's
 * operator gets classification's text redactor of the granted style (masked by default) here.
 */
export function compileCell(column: ViewColumn, ctx: CellContext): CellWriter {
  const op = column.mode as MaskOperator;
  const options: OperatorContext = {
    ...(column.mode === 'generalized'
      ? { type: column.generalizeAs }
      : column.mode === 'masked'
        ? { type: column.maskAs }
        : column.type
          ? { type: column.type }
          : {}),
    ...(ctx.pseudonym ? { pseudonym: ctx.pseudonym } : {}),
    ...(column.generalize ? { generalize: column.generalize } : {}),
    ...(column.mode === 'redacted' ? { redact: redactorOf(column.redact ?? 'masked') } : {}),
  };
  return (clear) => {
    const value = applyOperator(op, clear, options);
    return value === undefined ? null : value;
  };
}

/** The value of a cell in its granted form, through the one masking library. */
export function outputValue(column: ViewColumn, clear: CellValue, ctx: CellContext): MaskedValue {
  return compileCell(column, ctx)(clear);
}

/** Does a view need the dataset's keys (decryption, pseudonyms, blind index)? */
export function needsKeys(columns: readonly ViewColumn[]): boolean {
  return columns.some((c) => c.mode === 'pseudonym' || (c.encrypted && NEEDS_CLEAR_VALUE.has(c.mode)));
}
