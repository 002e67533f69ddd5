/** 银行卡号: 16-19 digits passing Luhn; corporate account numbers only by header context. */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

/** Luhn (ISO/IEC 7812) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Removes the usual 4-digit grouping spaces/dashes of a card number; null when other characters remain. */
export function cardDigits(v: string): string | null {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) out += v[i];
    else if ((c === 32 || c === 45) && i > 0 && i % 5 === 4) continue;
    else return null;
  }
  return out;
}

/** 16-19 digits: MATCH when Luhn passes, FAILED when not. */
export function checkBankCard(v: string): Verdict {
  if (v.length < 16 || v.length > 23) return NO;
  const digits = /^\d+$/.test(v) ? v : cardDigits(v);
  if (digits === null || digits.length < 16 || digits.length > 19) return NO;
  return luhnValid(digits) ? MATCH : FAILED;
}

/**
 * Known issuer prefixes: 62 (UnionPay, also 60/65 ranges of domestic debit cards), the old domestic 9
 * prefixes (95588… ICBC, 9559 ABC), and the international schemes issued by domestic banks (4 Visa,
 * 51-55 Mastercard, 35 JCB). A column whose cards mostly carry one is a card column even without a header.
 */
export function hasKnownBin(v: string): boolean {
  const a = v.charCodeAt(0);
  const b = v.charCodeAt(1);
  if (a === 54) return b === 50 || b === 48 || b === 53; // 62, 60, 65
  if (a === 52) return true; // 4
  if (a === 53) return b >= 49 && b <= 53; // 51-55
  if (a === 51) return b === 53; // 35
  if (a === 57) return v.startsWith('955') || v.startsWith('9559');
  return false;
}

/** Domestic issuers only (62 UnionPay, 60/65 debit ranges, 955/9559): specific enough for free text. */
export function hasDomesticBin(v: string): boolean {
  const a = v.charCodeAt(0);
  const b = v.charCodeAt(1);
  if (a === 54) return b === 50 || b === 48 || b === 53;
  return a === 57 && v.startsWith('955');
}

/** Corporate (对公) account numbers: 8-30 digits, optionally grouped; only meaningful under an account header. */
export function checkAccountNumber(v: string): Verdict {
  if (v.length < 8 || v.length > 36) return NO;
  let digits = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 32 && c !== 45) return NO;
  }
  return digits >= 8 && digits <= 30 ? MATCH : NO;
}
