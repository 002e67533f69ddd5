/**
 * Filter values as the audit log and error messages may show them (issue 23, finding 1): on a
 * column whose values are personal (graded 3级 or 4级, stored encrypted, or recognised as a personal
 * type) a value is recorded masked by its type's convention (standards.md §3), never in clear. The
 * audit log can never be purged and is in every dump; it must not become a copy of the data.
 */
import { BadRequestError } from '../../errors.ts';
import { gradingOf } from '../classify/grades.ts';
import { isTypeId } from '../classify/types.ts';
import { mask } from '../../lib/mask.ts';
import { isCondition, type Condition, type FilterNode } from './filter.ts';

/** What redaction needs to know of a column (a ViewColumn has it). */
export interface RedactColumn {
  grade: number | null;
  encrypted: boolean;
  type: string | undefined;
  maskAs: string | undefined;
}

export function isPersonalColumn(c: RedactColumn): boolean {
  return (c.grade ?? 0) >= 3 || c.encrypted || (c.type !== undefined && isTypeId(c.type) && gradingOf(c.type).category !== null);
}

function redactCondition(c: Condition, column: RedactColumn | undefined): Condition {
  // An unknown column is refused before anything is recorded; treat it as personal all the same.
  if (c.value === null || (column && !isPersonalColumn(column))) return c;
  const as = column?.maskAs ?? column?.type;
  return { ...c, value: Array.isArray(c.value) ? c.value.map((v) => mask(as, v)) : mask(as, c.value) };
}

/** The filter with every value on a personal column masked (null stays null). */
export function redactFilter(node: FilterNode | null | undefined, columns: ReadonlyMap<string, RedactColumn>): FilterNode | null {
  if (!node) return null;
  if (isCondition(node)) return redactCondition(node, columns.get(node.column));
  return 'and' in node ? { and: node.and.map((n) => redactFilter(n, columns)!) } : { or: node.or.map((n) => redactFilter(n, columns)!) };
}

/** An invalid-value error on a personal column, re-raised without the value it quoted. */
export function withoutValue(error: unknown, column: RedactColumn, name: string): unknown {
  if (!(error instanceof BadRequestError) || error.code !== 'invalid_value' || !isPersonalColumn(column)) return error;
  const type = (error.details as { type?: string } | undefined)?.type ?? 'value';
  return new BadRequestError(
    'invalid_value',
    {
      zh: `信息项 ${name} 的值不是有效的 ${type}（个人信息的值不回显）`,
      en: `The value is not a valid ${type} for column ${name} (values of personal columns are not echoed)`,
    },
    { column: name, type },
  );
}
