/**
 * The filter language of the data API (PostgREST style) and of grant row filters:
 *
 *   户籍地=eq.朝阳市   人口数=gte.3   姓名=like.张*   户籍地=in.(朝阳市,锦州市)   手机号=is.null
 *   住址=not.is.null   or=(户籍地.eq.朝阳市,and(人口数.gt.2,人口数.lt.5))
 *
 * Text is parsed into an AST (plain JSON, stored as is in grants) and compiled to SQL by access/compile.ts,
 * where each column is resolved through the catalogue and each value becomes a bound parameter.
 * Nothing in this file produces SQL from request text.
 */
import { BadRequestError } from '../../errors.ts';

export const OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'in', 'is'] as const;
export type Operator = (typeof OPERATORS)[number];

/** One comparison: `column op value`; `in` has a list, `is` has null. */
export interface Condition {
  column: string;
  op: Operator;
  value: string | string[] | null;
  not?: boolean;
}
export type FilterNode = Condition | { and: FilterNode[] } | { or: FilterNode[] };

/** Bounds that keep parsing and the compiled SQL small whatever the input. */
export const FILTER_LIMITS = { conditions: 64, depth: 6, valueLength: 2000, inItems: 1000, columnLength: 128 } as const;

/** The query parameters that are not column filters. */
export const RESERVED_PARAMS = new Set(['select', 'order', 'limit', 'after', 'or', 'and', 'grant', 'rowid']);

const OP_AFTER_DOT = /^(not\.)?(eq|neq|gt|gte|lt|lte|like|in|is)\./;

export function isCondition(node: FilterNode): node is Condition {
  return 'column' in node;
}

/** A 400 naming the parameter and what is wrong with it. */
export function filterError(parameter: string, zh: string, en: string): BadRequestError {
  return new BadRequestError('invalid_filter', { zh: `过滤条件 ${parameter} 无效：${zh}`, en: `Invalid filter ${parameter}: ${en}` }, { parameter });
}

interface Budget {
  conditions: number;
  parameter: string;
}

function spend(budget: Budget): void {
  if (++budget.conditions > FILTER_LIMITS.conditions) {
    throw filterError(budget.parameter, `条件超过 ${FILTER_LIMITS.conditions} 个`, `more than ${FILTER_LIMITS.conditions} conditions`);
  }
}

function checkColumn(column: string, budget: Budget): string {
  if (column.length === 0) throw filterError(budget.parameter, '缺少信息项名称', 'missing column name');
  if (column.length > FILTER_LIMITS.columnLength) throw filterError(budget.parameter, '信息项名称过长', 'column name too long');
  return column;
}

function checkValue(value: string, budget: Budget): string {
  if (value.length > FILTER_LIMITS.valueLength) throw filterError(budget.parameter, '值过长', 'value too long');
  return value;
}

/** Removes the quotes of a "quoted" value (PostgREST: for values holding , . ( ) or "). */
function unquote(text: string, budget: Budget): string {
  if (!text.startsWith('"')) return text;
  if (text.length < 2 || !text.endsWith('"')) throw filterError(budget.parameter, '引号未闭合', 'unclosed quote');
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length - 1) {
      out += text[++i];
    } else if (c === '"') {
      throw filterError(budget.parameter, '引号位置错误', 'misplaced quote');
    } else {
      out += c;
    }
  }
  return out;
}

/** Splits text at top-level commas, respecting "quotes" and (parentheses). */
function splitTopLevel(text: string, budget: Budget): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (--depth < 0) throw filterError(budget.parameter, '括号不匹配', 'unbalanced parentheses');
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) throw filterError(budget.parameter, '引号未闭合', 'unclosed quote');
  if (depth !== 0) throw filterError(budget.parameter, '括号不匹配', 'unbalanced parentheses');
  parts.push(text.slice(start));
  return parts;
}

/** Parses `[not.]op.value` for a column. */
function parseOperation(column: string, text: string, budget: Budget): Condition {
  spend(budget);
  let rest = text;
  let not = false;
  if (rest.startsWith('not.')) {
    not = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = (dot < 0 ? rest : rest.slice(0, dot)) as Operator;
  if (!OPERATORS.includes(op)) {
    throw filterError(budget.parameter, `未知的运算符，应为 ${OPERATORS.join('、')} 之一`, `unknown operator; expected one of ${OPERATORS.join(', ')}`);
  }
  if (dot < 0) throw filterError(budget.parameter, `运算符 ${op} 缺少值`, `operator ${op} needs a value`);
  const raw = checkValue(rest.slice(dot + 1), budget);
  const condition = (value: Condition['value']): Condition => ({ column: checkColumn(column, budget), op, value, ...(not ? { not } : {}) });
  if (op === 'is') {
    if (raw !== 'null') throw filterError(budget.parameter, 'is 只支持 null', 'is supports only null');
    return condition(null);
  }
  if (op === 'in') {
    if (!raw.startsWith('(') || !raw.endsWith(')')) throw filterError(budget.parameter, 'in 的值应写成 (a,b)', 'in expects a list (a,b)');
    const inner = raw.slice(1, -1);
    const items = inner === '' ? [] : splitTopLevel(inner, budget).map((item) => unquote(item, budget));
    if (items.length === 0) throw filterError(budget.parameter, 'in 列表为空', 'empty in list');
    if (items.length > FILTER_LIMITS.inItems)
      throw filterError(budget.parameter, `in 列表超过 ${FILTER_LIMITS.inItems} 项`, `in list longer than ${FILTER_LIMITS.inItems}`);
    return condition(items);
  }
  return condition(unquote(raw, budget));
}

/** Parses one item of an or=/and= group: `col.op.value`, `and(…)` or `or(…)`. */
function parseGroupItem(text: string, budget: Budget, depth: number): FilterNode {
  for (const kind of ['and', 'or'] as const) {
    if (text.startsWith(`${kind}(`)) return parseGroup(kind, text.slice(kind.length), budget, depth + 1);
  }
  // The column ends at the first dot followed by an operator (信息项 names may hold dots).
  for (let i = text.indexOf('.'); i >= 0; i = text.indexOf('.', i + 1)) {
    if (OP_AFTER_DOT.test(text.slice(i + 1))) return parseOperation(text.slice(0, i), text.slice(i + 1), budget);
  }
  throw filterError(budget.parameter, '条件应写成 信息项.运算符.值', 'expected column.operator.value');
}

/** Parses `(item,item,…)` into an and/or node. */
function parseGroup(kind: 'and' | 'or', text: string, budget: Budget, depth: number): FilterNode {
  if (depth > FILTER_LIMITS.depth) throw filterError(budget.parameter, '嵌套过深', 'nested too deeply');
  if (!text.startsWith('(') || !text.endsWith(')'))
    throw filterError(budget.parameter, `${kind} 的值应写成 (条件,条件)`, `${kind} expects (condition,condition)`);
  const inner = text.slice(1, -1);
  if (inner === '') throw filterError(budget.parameter, `${kind} 为空`, `empty ${kind}`);
  const items = splitTopLevel(inner, budget).map((item) => parseGroupItem(item, budget, depth));
  return kind === 'and' ? { and: items } : { or: items };
}

/**
 * Parses the filter parameters of a request (every parameter except the reserved ones, plus or= and
 * and=) into one AND node. Throws a 400 naming the parameter on any malformed input.
 */
export function parseFilterParams(entries: Iterable<[string, string]>): FilterNode {
  const items: FilterNode[] = [];
  const budget: Budget = { conditions: 0, parameter: '' };
  for (const [key, value] of entries) {
    budget.parameter = key;
    if (key === 'or' || key === 'and') items.push(parseGroup(key, value, budget, 1));
    else if (!RESERVED_PARAMS.has(key)) items.push(parseOperation(key, value, budget));
  }
  return { and: items };
}

/** Parses a grant's row filter written as a query string (`户籍地=eq.朝阳市&人口数=gt.1`). */
export function parseFilterText(text: string): FilterNode {
  const params = new URLSearchParams(text.trim());
  for (const key of params.keys()) {
    if (RESERVED_PARAMS.has(key) && key !== 'or' && key !== 'and') {
      throw filterError(key, '行过滤条件只能包含信息项条件和 or/and', 'a row filter holds only column conditions and or/and');
    }
  }
  return parseFilterParams(params.entries());
}

/** True when the node has no condition at all. */
export function isEmptyFilter(node: FilterNode | null | undefined): boolean {
  if (!node) return true;
  if (isCondition(node)) return false;
  const items = 'and' in node ? node.and : node.or;
  return items.every(isEmptyFilter);
}

/** Every column a filter names (for validation and for the audit record). */
export function filterColumns(node: FilterNode, out = new Set<string>()): Set<string> {
  if (isCondition(node)) out.add(node.column);
  else for (const item of 'and' in node ? node.and : node.or) filterColumns(item, out);
  return out;
}

function quoteItem(value: string): string {
  return /[,.()"\\\s]/.test(value) || value === '' ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

function operationText(c: Condition, inGroup: boolean): string {
  const raw = c.op === 'is' ? 'null' : Array.isArray(c.value) ? `(${c.value.map(quoteItem).join(',')})` : String(c.value);
  // Inside a group every value is quoted when needed; at the top level only a leading quote needs it.
  const value = c.op === 'is' || Array.isArray(c.value) ? raw : inGroup || raw.startsWith('"') ? quoteItem(raw) : raw;
  return `${c.not ? 'not.' : ''}${c.op}.${value}`;
}

function groupItemText(node: FilterNode): string {
  if (isCondition(node)) return `${node.column}.${operationText(node, true)}`;
  return 'and' in node ? `and(${node.and.map(groupItemText).join(',')})` : `or(${node.or.map(groupItemText).join(',')})`;
}

/** The filter as query parameters (key, value), lossless: parseFilterParams gives the AST back. */
export function filterParams(node: FilterNode | null | undefined): [string, string][] {
  if (!node || isEmptyFilter(node)) return [];
  const top = 'and' in node ? node.and : [node];
  return top.map((item): [string, string] => {
    if (isCondition(item)) return [item.column, operationText(item, false)];
    if ('or' in item) return ['or', `(${item.or.map(groupItemText).join(',')})`];
    return ['and', `(${item.and.map(groupItemText).join(',')})`];
  });
}

/** The filter as an encoded query string (for links and export queries). */
export function filterQuery(node: FilterNode | null | undefined): string {
  return new URLSearchParams(filterParams(node)).toString();
}

/** The filter written for people (consoles, audit views): `户籍地=eq.朝阳市&人口数=gt.1`. */
export function filterText(node: FilterNode | null | undefined): string {
  return filterParams(node)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Validates a stored AST's shape (grants are read back from the database). */
export function isFilterNode(value: unknown, depth = 0): value is FilterNode {
  if (depth > FILTER_LIMITS.depth + 1 || typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.and)) return v.and.every((n) => isFilterNode(n, depth + 1));
  if (Array.isArray(v.or)) return v.or.every((n) => isFilterNode(n, depth + 1));
  if (typeof v.column !== 'string' || !OPERATORS.includes(v.op as Operator)) return false;
  if (v.op === 'is') return v.value === null;
  if (v.op === 'in') return Array.isArray(v.value) && v.value.every((x) => typeof x === 'string');
  return typeof v.value === 'string';
}
