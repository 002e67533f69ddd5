/** 机动车号牌 (GA 36): 7 characters, or 8 for new-energy plates with D/F in position 3 or 8 (GA 36-2018). */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

export const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领';
const P = `[${PLATE_PROVINCES}]`;
const L = '[A-HJ-NP-Z]';
const LD = '[A-HJ-NP-Z0-9]';
/** The plate grammar without anchors (text scanning reuses it). */
export const PLATE_SOURCE = `${P}${L}[·•・ \\-]?(?:${LD}{4}[A-HJ-NP-Z0-9挂学警港澳]|[DF]${LD}\\d{4}|\\d{5}[DF])`;
const PLATE_RE = new RegExp(`^(?:${P}${L}(?:${LD}{4}[A-HJ-NP-Z0-9挂学警港澳]|[DF]${LD}\\d{4}|\\d{5}[DF]))$`);
const PROVINCE_SET = new Set(Array.from(PLATE_PROVINCES));

export function checkPlate(raw: string): Verdict {
  if (raw.length < 7 || raw.length > 9 || !PROVINCE_SET.has(raw[0]!)) return NO;
  const v = raw.replace(/[·•\s-]/, '').toUpperCase();
  if (v.length !== 7 && v.length !== 8) return NO;
  return PLATE_RE.test(v) ? MATCH : FAILED;
}
