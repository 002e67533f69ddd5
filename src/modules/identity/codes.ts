/**
 * The identifiers an organisation carries: 统一社会信用代码 (GB 32100-2015, containing the
 * 组织机构代码 of GB 11714) and the GB/T 2260 region code.
 */
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
]);

/** The check character of the first 17 characters of a USCC, or undefined if a character is invalid. */
export function usccCheckChar(body17: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = USCC_CHARS.indexOf(body17[i] ?? '');
    if (value < 0) return undefined;
    sum += value * USCC_WEIGHTS[i]!;
  }
  return USCC_CHARS[(31 - (sum % 31)) % 31];
}

/** The GB 11714 check character of an 8-character organisation code body. */
export function orgCodeCheckChar(body8: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = body8[i] ?? '';
    const value = /[0-9]/.test(c) ? Number(c) : /[A-Z]/.test(c) ? c.charCodeAt(0) - 55 : -1;
    if (value < 0) return undefined;
    sum += value * ORG_WEIGHTS[i]!;
  }
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

/** True for an 18-character USCC whose check character is right. */
export function isValidUscc(code: string): boolean {
  return /^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code) && usccCheckChar(code.slice(0, 17)) === code[17];
}

/** Builds a valid USCC from registration authority, entity type, region and an org-code body. */
export function makeUscc(authority: string, type: string, region: string, orgBody8: string): string {
  const orgCheck = orgCodeCheckChar(orgBody8);
  const body = `${authority}${type}${region}${orgBody8}${orgCheck}`;
  const check = usccCheckChar(body);
  if (!orgCheck || !check || body.length !== 17) throw new Error(`cannot build a USCC from ${body}`);
  return body + check;
}

/** A six-digit GB/T 2260 code whose first two digits are a real province. */
export function isValidRegionCode(code: string): boolean {
  return /^\d{6}$/.test(code) && PROVINCES.has(Number(code.slice(0, 2)));
}
