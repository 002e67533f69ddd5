/** 出生日期: any real past date; weak, only a header or context (出生/生日/birth) says it is a birth date. */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';
import { isPastDate, parseDate } from './dates.ts';

export function checkDateOfBirth(v: string): Verdict {
  if (v.length < 8 || v.length > 30) return NO;
  const c = v.charCodeAt(0);
  if (c < 49 || c > 50) return NO; // years start with 1 or 2
  if (v.length !== 8 && !'-/.年'.includes(v[4]!)) return NO;
  const d = parseDate(v);
  if (!d) return NO;
  return isPastDate(d.year, d.month, d.day) ? MATCH : FAILED;
}
