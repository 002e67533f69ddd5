/** 电子邮箱: the practical subset of RFC 5322 (dot-atom local part, DNS host names, alphabetic TLD). */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

const EMAIL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/;

export function checkEmail(v: string): Verdict {
  const at = v.indexOf('@');
  if (at < 0) return NO;
  if (v.length > 254 || at > 64) return FAILED;
  return EMAIL_RE.test(v) ? MATCH : FAILED;
}
