/**
 * 中文姓名: 2-4 Han characters starting with a known surname (single or compound). No surname match → no
 * name. Values that are place names or end like a place or an organisation (沈阳市, 王府井大街, 李宁公司)
 * are not names.
 */
import { COMPOUND_SURNAMES, SINGLE_SURNAMES } from '../../../lib/data/surnames.ts';
import { isPlaceName } from '../../../lib/divisions.ts';
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

/** Last characters that end place, road, building and organisation names, never given names. */
const NON_NAME_ENDINGS = new Set(Array.from('市区县省镇乡村街路道巷弄号室楼栋局厅处院所店厂司部族队站港'));
const NON_NAME_PARTS_RE = /公司|集团|大街|中心|银行|医院|学校|大学|中学|小学|委员|有限|大厦|广场|小区/;

export function isHan(code: number): boolean {
  return code >= 0x4e00 && code <= 0x9fff;
}

/** Length of the surname the value starts with (2 for compound, 1 for single), or 0. */
export function surnameLength(v: string): 0 | 1 | 2 {
  if (v.length >= 3 && COMPOUND_SURNAMES.has(v.slice(0, 2))) return 2;
  return SINGLE_SURNAMES.has(v[0]!) ? 1 : 0;
}

export function checkPersonName(v: string): Verdict {
  if (v.length < 2 || v.length > 4) return NO;
  for (let i = 0; i < v.length; i++) if (!isHan(v.charCodeAt(i))) return NO;
  if (NON_NAME_ENDINGS.has(v[v.length - 1]!)) return NO;
  if (v.length > 2 && NON_NAME_PARTS_RE.test(v)) return NO;
  if (isPlaceName(v)) return NO;
  return surnameLength(v) > 0 ? MATCH : FAILED;
}
