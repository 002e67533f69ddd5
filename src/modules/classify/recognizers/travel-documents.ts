/**
 * 护照号, 港澳居民来往内地通行证 / 往来港澳通行证, 台湾居民来往大陆通行证. The patterns are weak (they
 * collide with each other and with other codes), so the engine needs a header or context to report them.
 */
import { MATCH, NO, type Verdict } from '../types.ts';

const PASSPORT_RE = /^(?:[EeKkGgDdSsPpHh]\d{8}|(?:E[A-Fa-f]|[DSP]E|KJ|MA|1[45])\d{7})$/;
/** 回乡证: H/M + 8 digits (older cards + 10); 往来港澳通行证: C + letter + 7 digits, or C + 8 digits (the card type since 2014). */
const HK_MACAU_RE = /^(?:[HM]\d{8}(?:\d{2})?|C[A-HJ-NP-Z0-9]\d{7})$/;
const TW_RE = /^\d{8}$/;

export function checkPassport(v: string): Verdict {
  return v.length === 9 && PASSPORT_RE.test(v) ? MATCH : NO;
}

export function checkHkMacauPermit(v: string): Verdict {
  return (v.length === 9 || v.length === 11) && HK_MACAU_RE.test(v) ? MATCH : NO;
}

export function checkTwPermit(v: string): Verdict {
  return v.length === 8 && TW_RE.test(v) ? MATCH : NO;
}
