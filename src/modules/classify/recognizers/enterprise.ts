/** Enterprise identifiers: 统一社会信用代码 (GB 32100-2015) and 组织机构代码 (GB 11714). */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const USCC_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < USCC_CHARS.length; i++) USCC_VALUE[USCC_CHARS.charCodeAt(i)] = i;

/** The USCC check character for the first 17 characters, or null when one is outside the 31-char set. */
export function usccCheckChar(first17: string): string | null {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = USCC_VALUE[first17.charCodeAt(i)] ?? -1;
    if (value < 0) return null;
    sum += value * USCC_WEIGHTS[i]!;
  }
  const c = 31 - (sum % 31);
  return USCC_CHARS[c === 31 ? 0 : c]!;
}

/** 18 characters of the USCC set with a 6-digit division code at positions 3-8; FAILED on a wrong check character. */
export function checkUscc(raw: string): Verdict {
  if (raw.length !== 18) return NO;
  const v = raw.toUpperCase();
  for (let i = 0; i < 18; i++) if ((USCC_VALUE[v.charCodeAt(i)] ?? -1) < 0) return NO;
  for (let i = 2; i < 8; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return NO;
  }
  return usccCheckChar(v) === v[17] ? MATCH : FAILED;
}

const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

function orgCharValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55; // A = 10 … Z = 35
  return -1;
}

/** The GB 11714 check character of an 8-character body, or null when the body has a character outside 0-9A-Z. */
export function orgCodeCheckChar(body: string): string | null {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const value = orgCharValue(body.charCodeAt(i));
    if (value < 0) return null;
    sum += value * ORG_WEIGHTS[i]!;
  }
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/** `M000100Y4` or `M000100Y-4`. */
export function checkOrgCode(raw: string): Verdict {
  let v: string;
  if (raw.length === 9) v = raw;
  else if (raw.length === 10 && raw[8] === '-') v = raw.slice(0, 8) + raw[9];
  else return NO;
  v = v.toUpperCase();
  const expected = orgCodeCheckChar(v);
  if (expected === null) return NO;
  const last = v.charCodeAt(8);
  if (!((last >= 48 && last <= 57) || last === 88)) return NO;
  return expected === v[8] ? MATCH : FAILED;
}
