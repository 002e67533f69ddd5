/** 手机号 and 固定电话 (mainland China). */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

const MOBILE_RE = /^(?:(?:\+|00)86[- ]?)?1[3-9]\d{9}$/;
/** The common 3-4-4 grouping (138 1234 5678, 138-1234-5678) is the same number. */
const MOBILE_GROUPED_RE = /^(?:(?:\+|00)86[- ]?)?1[3-9]\d[- ]\d{4}[- ]\d{4}$/;
const MOBILE_SHAPE_RE = /^(?:(?:\+|00)86[- ]?)?1\d{2}[- ]?\d{4}[- ]?\d{4}$/;

/** standards.md §1: `^(?:(?:\+|00)86[- ]?)?1[3-9]\d{9}$`; an 11-digit number starting 10-12 has the shape but no network. */
export function checkMobile(v: string): Verdict {
  const c = v.charCodeAt(0);
  if (c !== 49 && c !== 43 && c !== 48) return NO; // 1, +, 0
  if (v.length < 11 || v.length > 19) return NO;
  if (MOBILE_RE.test(v) || MOBILE_GROUPED_RE.test(v)) return MATCH;
  return MOBILE_SHAPE_RE.test(v) ? FAILED : NO;
}

const LANDLINE_RE = /^(?:\((0\d{2,3})\)|(0\d{2,3}))[- ]?(\d{7,8})(?:(?:-|转|#|ext\.?)\d{1,6})?$/i;

/** Area codes: 010 and 020-029 have three digits; every other area code has four (03xx-09xx). */
function splitAreaCode(digits: string): { area: string; local: string } | null {
  if (digits.startsWith('010') || /^02\d/.test(digits)) return { area: digits.slice(0, 3), local: digits.slice(3) };
  if (digits[1] === '1' || digits[1] === '0') return null;
  return { area: digits.slice(0, 4), local: digits.slice(4) };
}

/** Area code `0\d{2,3}` + optional separator + 7-8 digit local number (not starting 0/1), optional extension. */
export function checkLandline(v: string): Verdict {
  const c = v.charCodeAt(0);
  if (c !== 48 && c !== 40) return NO; // 0, (
  if (v.length < 10 || v.length > 24) return NO;
  const m = LANDLINE_RE.exec(v);
  if (!m) return NO;
  const area = m[1] ?? m[2]!;
  const local = m[3]!;
  const split = splitAreaCode(area + local);
  if (!split) return FAILED;
  // The written separator must agree with the area-code length when there is one.
  if ((m[1] !== undefined || v.length > area.length + local.length) && split.area !== area) return FAILED;
  const first = split.local.charCodeAt(0);
  if (split.local.length < 7 || split.local.length > 8 || first === 48 || first === 49) return FAILED;
  return MATCH;
}
