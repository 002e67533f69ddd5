/** 居民身份证号码, GB 11643-1999 (18 characters, ISO 7064 MOD 11-2) and the legacy 15-digit form. */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';
import { digitsAt, isPastDate } from './dates.ts';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/** Province codes (first two digits) of GB/T 2260: 11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82. */
export function isProvinceCode(code: number): boolean {
  return (
    (code >= 11 && code <= 15) ||
    (code >= 21 && code <= 23) ||
    (code >= 31 && code <= 37) ||
    (code >= 41 && code <= 46) ||
    (code >= 50 && code <= 54) ||
    (code >= 61 && code <= 65) ||
    code === 71 ||
    code === 81 ||
    code === 82
  );
}

/** The check character of the first 17 digits (caller guarantees they are digits). */
export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/**
 * NO when the value does not look like an ID (length, digits); FAILED when it does but the province,
 * the birth date or the check character is wrong; MATCH when valid.
 */
export function checkResidentId(v: string): Verdict {
  if (v.length === 18) {
    for (let i = 0; i < 17; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) return NO;
    }
    const last = v.charCodeAt(17);
    const isDigit = last >= 48 && last <= 57;
    if (!isDigit && last !== 88 && last !== 120) return NO; // X / x
    if (!isProvinceCode(digitsAt(v, 0, 2))) return FAILED;
    if (!isPastDate(digitsAt(v, 6, 4), digitsAt(v, 10, 2), digitsAt(v, 12, 2))) return FAILED;
    const expected = residentIdCheckChar(v);
    return expected === (last === 120 ? 'X' : v[17]) ? MATCH : FAILED;
  }
  if (v.length === 15) {
    if (digitsAt(v, 0, 8) < 0 || digitsAt(v, 8, 7) < 0) return NO;
    if (!isProvinceCode(digitsAt(v, 0, 2))) return FAILED;
    return isPastDate(1900 + digitsAt(v, 6, 2), digitsAt(v, 8, 2), digitsAt(v, 10, 2)) ? MATCH : FAILED;
  }
  return NO;
}
