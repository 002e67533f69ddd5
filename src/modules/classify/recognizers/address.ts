/**
 * 地址: a province/city/district name of the division list (GB/T 2260) followed by street-level tokens
 * (路 街 号 室 村 …). A street name alone (王府井大街) has no division name and is not an address.
 */
import { findDivisionEnd } from '../../../lib/divisions.ts';
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';
import { isHan } from './person-name.ts';

/** Street-level tokens that make a place name an address. */
export const STREET_TOKEN_RE = /路|街|道|巷|弄|胡同|号|室|村|镇|乡|小区|大厦|楼|栋|幢|单元|组|社区|里|苑|广场|花园/;

export function checkAddress(v: string): Verdict {
  if (v.length < 6 || v.length > 120 || !isHan(v.charCodeAt(0))) return NO;
  const end = findDivisionEnd(v);
  if (end < 0) return STREET_TOKEN_RE.test(v) ? FAILED : NO;
  return STREET_TOKEN_RE.test(v.slice(end)) ? MATCH : NO;
}
