/**
 * Free-text scanning: finds identifiers in text streamed in chunks, with flat memory (a window of
 * ~64K characters plus a small overlap). Offsets are in characters (Unicode code points); findings carry
 * the masked value only.
 *
 * Forms people write (issue 24): numbers grouped with spaces, dashes, dots or brackets (199 3619 0080,
 * +86 176 4475 7198, (024)39431591, 6259 6519 9430 2402 203), landline extensions (转588), plates with a
 * middle dot (辽J·18777), 往来港澳通行证 C + 8 digits and 10-digit 回乡证.
 *
 * Context rules (standards.md §1): passports, permits, undashed landlines, 9-char org codes and
 * Luhn-valid numbers without a known BIN need a context word near them, before (护照号码：E…) or right
 * after (E12345678号护照); the nearest document word decides between passport and permit. Birth dates
 * need 出生/生日/birth before or 出生/生 after (1995年6月23日出生). Names: see text-names.ts.
 */
import { divisionChainAt, divisionFirstChars } from '../../lib/divisions.ts';
import { mask } from '../../lib/mask.ts';
import { checkBankCard, hasDomesticBin, luhnValid } from './recognizers/bank-card.ts';
import { isPastDate } from './recognizers/dates.ts';
import { checkEmail } from './recognizers/email.ts';
import { checkOrgCode, checkUscc } from './recognizers/enterprise.ts';
import { isCoordinatePair } from './recognizers/location.ts';
import { checkIpv4, checkIpv6, checkMac } from './recognizers/network.ts';
import { checkLandline, checkMobile } from './recognizers/phone.ts';
import { PLATE_SOURCE } from './recognizers/plate.ts';
import { checkResidentId, isProvinceCode } from './recognizers/resident-id.ts';
import { checkHkMacauPermit, checkPassport } from './recognizers/travel-documents.ts';
import { nameHits } from './text-names.ts';
import { MATCH, type TextFinding, type TypeId } from './types.ts';

interface Hit {
  type: TypeId;
  /** UTF-16 offsets relative to the buffer. */
  start: number;
  end: number;
}

const WINDOW = 1 << 16;
/** Longest match we guarantee to see whole across a window boundary. */
const OVERLAP = 512;
/** Context kept before the window, for labels such as 护照号码：. */
const LOOKBEHIND = 48;

const TOKEN_RE = /[0-9A-Za-z+:][0-9A-Za-z@._%+\-:]*/g;
const PLATE_RE = new RegExp(`(?:${PLATE_SOURCE})(?![A-Za-z0-9])`, 'g');
const DATE_SOURCE = String.raw`(\d{4})(?:([-/.年])(\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))(?!\d)`;
const DOB_RE = new RegExp(String.raw`(?:出生日期|出生年月日?|出生于|出生|生日|生于|birth ?(?:day|date)?|date of birth|dob)[^\d\n]{0,8}?${DATE_SOURCE}`, 'dgi');
/** A date followed by 出生 / 生 (1995年6月23日出生, 1995-06-23生). */
const DOB_AFTER_RE = new RegExp(String.raw`(?<![\d.])${DATE_SOURCE}\s?(?:出生|生人|生(?=[，,。；;、\s)）]|$))`, 'dg');
/**
 * Digits in groups (spaces, dashes, dots) with an optional +86 / (+86) prefix or a bracketed area code,
 * and an optional landline extension.
 */
const GROUPED_RE =
  /(?<![0-9A-Za-z])(?:(?:\+|00)86[ -]?|[(（]\+?86[)）] ?)?(?:[(（]0\d{2,3}[)）][ -]?)?\d+(?:[ .-]\d+)*[Xx]?(?:(?:转|分机|ext\.?|-)\d{1,6})?(?![0-9A-Za-z])/g;
const GPS_NEXT_RE = /^\s*[,，]\s*(-?\d{1,3}\.\d{4,})(?![\d.])/;

/** Words that say what a document number is; the nearest one before (or right after) a value decides. */
const DOCUMENT_WORDS: [RegExp, 'passport' | 'hk_macau_permit' | 'tw_permit'][] = [
  [/护照|passport/gi, 'passport'],
  [/港澳|回乡证/g, 'hk_macau_permit'],
  [/台胞证|台湾居民|台湾通行证|台胞/g, 'tw_permit'],
];

const CONTEXT = {
  landline: /电话|座机|固话|传真|tel|fax|phone/i,
  card: /卡号|账号|帐号|账户|帐户|银行卡|card|account/i,
  uscc: /信用代码|代码/,
  orgCode: /组织机构代码|机构代码/,
  coordinate: /经度|纬度|经纬度|坐标|lat|lng|lon/i,
};

function contextBefore(buffer: string, at: number, re: RegExp, span = 16): boolean {
  return re.test(buffer.slice(Math.max(0, at - span), at));
}

function contextNear(buffer: string, start: number, end: number, re: RegExp, before = 16, after = 6): boolean {
  return contextBefore(buffer, start, re, before) || re.test(buffer.slice(end, end + after));
}

/**
 * The document type named nearest to a value: a document word right after it (E12345678号护照), else
 * the last one within 20 characters before it, else one within 8 characters after it.
 */
function documentContext(buffer: string, start: number, end: number): 'passport' | 'hk_macau_permit' | 'tw_permit' | null {
  const firstAfter = (limit: number) => {
    const after = buffer.slice(end, end + limit);
    let first: { at: number; type: 'passport' | 'hk_macau_permit' | 'tw_permit' } | null = null;
    for (const [re, type] of DOCUMENT_WORDS) {
      re.lastIndex = 0;
      const m = re.exec(after);
      if (m && (!first || m.index < first.at)) first = { at: m.index, type };
    }
    return first;
  };
  // A word right after the value names it (E12345678号护照, C12345678（通行证）) even after another document.
  const right = firstAfter(4);
  if (right && /^号?[（(]?$/.test(buffer.slice(end, end + right.at))) return right.type;
  const before = buffer.slice(Math.max(0, start - 20), start);
  let best: { at: number; type: 'passport' | 'hk_macau_permit' | 'tw_permit' } | null = null;
  for (const [re, type] of DOCUMENT_WORDS) {
    re.lastIndex = 0;
    for (let m = re.exec(before); m; m = re.exec(before)) if (!best || m.index + m[0].length > best.at) best = { at: m.index + m[0].length, type };
  }
  return best?.type ?? firstAfter(8)?.type ?? null;
}

function isAllDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** 18 digits (or 17 + X) with a real province code and a 19xx/20xx birth year: an ID, valid or not, never a card or a USCC. */
function idStructured(t: string): boolean {
  return t.length === 18 && isProvinceCode(Number(t.slice(0, 2))) && (t.startsWith('19', 6) || t.startsWith('20', 6));
}

/** A Luhn-valid card number: with a card word near it, or a domestic BIN on a number that is not a (mistyped) resident ID. */
function isCard(buffer: string, start: number, end: number, digits: string): boolean {
  if (digits.length < 16 || digits.length > 19 || !luhnValid(digits)) return false;
  return contextNear(buffer, start, end, CONTEXT.card) || (hasDomesticBin(digits) && !idStructured(digits));
}

/** Passport or permit by the nearest document word. */
function documentType(buffer: string, start: number, end: number, t: string): TypeId | null {
  const context = documentContext(buffer, start, end);
  if (context === 'passport' && checkPassport(t) === MATCH) return 'passport';
  if (context === 'hk_macau_permit' && checkHkMacauPermit(t) === MATCH) return 'hk_macau_permit';
  if (context === 'tw_permit' && t.length === 8 && isAllDigits(t)) return 'tw_permit';
  return null;
}

/** Classifies one ASCII token (already trimmed of sentence punctuation). */
function tokenType(buffer: string, start: number, t: string): TypeId | null {
  const n = t.length;
  const end = start + n;
  if (t.includes('@')) return checkEmail(t) === MATCH ? 'email' : null;
  const first = t.charCodeAt(0);
  if (isAllDigits(t)) {
    // 11 digits starting with 0 are a landline without its dash (04514572908), not a mobile.
    if (n === 11 && first !== 48) return checkMobile(t) === MATCH ? 'cn_mobile' : null;
    if (n === 15 || n === 18) {
      if (checkResidentId(t) === MATCH) return 'cn_resident_id';
      if (n === 18 && checkUscc(t) === MATCH && contextBefore(buffer, start, CONTEXT.uscc)) return 'cn_uscc';
    }
    // Luhn passes for 1 in 10 random numbers: a card needs a card word near it, or a UnionPay-style BIN.
    if (n >= 16 && n <= 19 && checkBankCard(t) === MATCH && isCard(buffer, start, end, t)) return 'bank_card';
    if (n === 8) return documentContext(buffer, start, end) === 'tw_permit' ? 'tw_permit' : null;
    if (n >= 10 && n <= 12 && first === 48 && contextNear(buffer, start, end, CONTEXT.landline) && checkLandline(t) === MATCH) return 'cn_landline';
    if (n === 9) {
      const doc = documentType(buffer, start, end, t);
      if (doc) return doc;
      if (contextBefore(buffer, start, CONTEXT.orgCode) && checkOrgCode(t) === MATCH) return 'cn_org_code';
    }
    return null;
  }
  if (n === 18) {
    if (checkResidentId(t) === MATCH) return 'cn_resident_id';
    if (checkUscc(t) === MATCH && (!idStructured(t) || contextBefore(buffer, start, CONTEXT.uscc))) return 'cn_uscc';
  }
  if (first === 43 || (first === 48 && t.startsWith('0086'))) return checkMobile(t) === MATCH ? 'cn_mobile' : null;
  if (n === 9 || n === 11) {
    const doc = documentType(buffer, start, end, t);
    if (doc) return doc;
    if (n === 9 && contextBefore(buffer, start, CONTEXT.orgCode) && checkOrgCode(t) === MATCH) return 'cn_org_code';
  }
  if (n === 10 && t[8] === '-' && checkOrgCode(t) === MATCH) return 'cn_org_code';
  if (t.includes('-')) {
    if (first === 48 && checkLandline(t) === MATCH) return 'cn_landline';
    if (first === 49 && checkMobile(t) === MATCH) return 'cn_mobile';
    if (n === 17 && checkMac(t) === MATCH) return 'mac';
    return null;
  }
  if (t.includes(':')) {
    if (n === 17 && checkMac(t) === MATCH) return 'mac';
    return checkIpv6(t) === MATCH ? 'ipv6' : null;
  }
  if (n >= 7 && n <= 15 && checkIpv4(t) === MATCH) return 'ipv4';
  return null;
}

/** Trims sentence punctuation a token regex may have swallowed (a full stop after an email). */
function trimToken(t: string): [number, number] {
  let a = 0;
  let b = t.length;
  while (a < b && ':.+'.includes(t[a]!) && !(t[a] === '+' && t[a + 1] === '8')) a++;
  while (b > a && '.-:_%@+'.includes(t[b - 1]!)) b--;
  return [a, b];
}

function tokenHits(buffer: string, from: number, out: Hit[]): void {
  TOKEN_RE.lastIndex = from;
  for (let m = TOKEN_RE.exec(buffer); m; m = TOKEN_RE.exec(buffer)) {
    const raw = m[0];
    if (raw.length < 7) continue;
    const [a, b] = trimToken(raw);
    const start = m.index + a;
    const t = raw.slice(a, b);
    if (t.length < 7) continue;
    const type = tokenType(buffer, start, t);
    if (type) {
      out.push({ type, start, end: start + t.length });
      continue;
    }
    gpsHit(buffer, start, t, out);
  }
}

/** Sizes of the digit groups of a grouped number (separators removed). */
function groupSizes(body: string): number[] {
  return body.split(/[ .-]/).map((g) => g.length);
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Numbers written in groups or with brackets: mobiles (3-4-4, with +86), landlines ((024)39431591,
 * 024 3943 1591, extensions), card numbers in groups of 4, IDs in groups (6-8-4).
 */
function groupedHits(buffer: string, from: number, out: Hit[]): void {
  GROUPED_RE.lastIndex = from;
  for (let m = GROUPED_RE.exec(buffer); m; m = GROUPED_RE.exec(buffer)) {
    const raw = m[0];
    if (raw.length < 10) continue;
    const start = m.index;
    const hit = groupedType(buffer, start, raw);
    if (hit) {
      out.push({ type: hit.type, start, end: start + hit.length });
      continue;
    }
    // Fields separated by spaces run together (…3182 139 4030 7842…): try runs of consecutive groups.
    const groups = [...raw.matchAll(/\d+[Xx]?/g)].map((g) => ({ start: g.index, end: g.index + g[0].length }));
    for (let i = 0; i < groups.length;) {
      let found = 0;
      for (let k = Math.min(groups.length, i + 6); k >= i + 1 && !found; k--) {
        const a = groups[i]!.start;
        const sub = raw.slice(a, groups[k - 1]!.end);
        if (sub.length < 10 || (k - 1 === i && sub.length !== raw.length)) continue;
        const h = groupedType(buffer, start + a, sub);
        if (h && h.length === sub.length) {
          out.push({ type: h.type, start: start + a, end: start + a + sub.length });
          found = k - i;
        }
      }
      i += found || 1;
    }
  }
}

function groupedType(buffer: string, start: number, raw: string): { type: TypeId; length: number } | null {
  const ext = /(?:转|分机|ext\.?)\d{1,6}$/.exec(raw);
  const text = ext ? raw.slice(0, ext.index) : raw;
  const prefix = /^(?:(?:\+|00)86[ -]?|[(（]\+?86[)）] ?)/.exec(text)?.[0] ?? '';
  const area = /^[(（](0\d{2,3})[)）][ -]?/.exec(text.slice(prefix.length));
  const body = text.slice(prefix.length + (area ? area[0].length : 0));
  const digits = body.replace(/[ .-]/g, '');
  const sizes = groupSizes(body);
  const separators = new Set(body.replace(/[\dXx]/g, ''));
  const dots = separators.has('.');
  if (area) {
    // (024)39431591, (024) 3943 1591, （0421）-2818888
    const local = digits;
    if (!/^[2-9]\d{6,7}$/.test(local) || dots) return null;
    if (checkLandline(`${area[1]}-${local}`) !== MATCH) return null;
    return { type: 'cn_landline', length: raw.length };
  }
  if (prefix) {
    if (/^1[3-9]\d{9}$/.test(digits) && (sizes.length === 1 || same(sizes, [3, 4, 4]) || same(sizes, [3, 8])))
      return { type: 'cn_mobile', length: prefix.length + body.length };
    return null;
  }
  if (ext) {
    // 0421-8095768转588
    if (checkLandline(text) === MATCH || checkLandline(text.replace(' ', '-')) === MATCH) return { type: 'cn_landline', length: raw.length };
    return null;
  }
  if (/^1[3-9]\d{9}$/.test(digits) && (same(sizes, [3, 4, 4]) || (!dots && same(sizes, [3, 8])))) return { type: 'cn_mobile', length: raw.length };
  if (digits.startsWith('0') && !dots && sizes.length >= 2 && sizes.length <= 3 && digits.length >= 10 && digits.length <= 12) {
    // 024 39431591, 0411-8888 6666: the first group is the area code
    const areaCode = digits.slice(0, sizes[0]);
    const local = digits.slice(sizes[0]);
    if (/^0\d{2,3}$/.test(areaCode) && checkLandline(`${areaCode}-${local}`) === MATCH) return { type: 'cn_landline', length: raw.length };
    // 0421-8095768-123: a landline and its extension
    if (sizes.length === 3 && sizes[2]! <= 4) {
      const main = body.slice(0, body.lastIndexOf('-'));
      if (body.lastIndexOf('-') > 0 && checkLandline(main) === MATCH) return { type: 'cn_landline', length: raw.length };
    }
    return null;
  }
  if (dots || sizes.length < 2) return null;
  const compact = body.replace(/[ -]/g, '');
  if (compact.length === 18 && /^\d{17}[\dXx]$/.test(compact) && checkResidentId(compact) === MATCH) return { type: 'cn_resident_id', length: raw.length };
  if (isAllDigits(compact) && sizes.slice(0, -1).every((s) => s === 4 || s === 6) && isCard(buffer, start, start + raw.length, compact))
    return { type: 'bank_card', length: raw.length };
  return null;
}

function gpsHit(buffer: string, start: number, t: string, out: Hit[]): void {
  const dot = t.indexOf('.');
  if (dot < 1 || dot > 4 || t.length - dot - 1 < 4 || !/^-?\d{1,3}\.\d+$/.test(t)) return;
  const end = start + t.length;
  const next = GPS_NEXT_RE.exec(buffer.slice(end, end + 24));
  if (next) {
    if (isCoordinatePair(Number(t), Number(next[1]))) out.push({ type: 'gps', start, end: end + next[0].length });
    return;
  }
  if (Math.abs(Number(t)) <= 180 && contextBefore(buffer, start, CONTEXT.coordinate, 8)) out.push({ type: 'gps', start, end });
}

function dateOfBirth(m: RegExpExecArray): boolean {
  const year = Number(m[1]);
  const month = Number(m[3] ?? m[5]);
  const day = Number(m[4] ?? m[6]);
  return isPastDate(year, month, day);
}

function regexHits(buffer: string, from: number, out: Hit[]): void {
  PLATE_RE.lastIndex = from;
  for (let m = PLATE_RE.exec(buffer); m; m = PLATE_RE.exec(buffer)) out.push({ type: 'cn_plate', start: m.index, end: m.index + m[0].length });

  DOB_RE.lastIndex = Math.max(0, from - LOOKBEHIND);
  for (let m = DOB_RE.exec(buffer); m; m = DOB_RE.exec(buffer)) {
    if (!dateOfBirth(m)) continue;
    const start = m.indices![1]![0];
    out.push({ type: 'date_of_birth', start, end: m.indices![0]![1] });
  }
  DOB_AFTER_RE.lastIndex = from;
  for (let m = DOB_AFTER_RE.exec(buffer); m; m = DOB_AFTER_RE.exec(buffer)) {
    if (!dateOfBirth(m)) continue;
    const end = Math.max(...[4, 6].map((g) => m.indices![g]?.[1] ?? 0));
    const dayEnd = buffer[end] === '日' ? end + 1 : end;
    out.push({ type: 'date_of_birth', start: m.index, end: dayEnd });
  }
  nameHits(buffer, from, out as Parameters<typeof nameHits>[2]);
  addressHits(buffer, from, out);
}

/**
 * The parts of an address after its division chain, in the order they are written: town or street
 * office, village or community, road, house number, residential compound, building, unit, room. Han
 * parts never contain words of prose (的, 附近 …), so "燕都路3号附近的小区" ends after 3号.
 */
const NAME_PART = String.raw`(?:(?!的|了|在|是|附近|对面|旁边|门口|一带)[\u4e00-\u9fff0-9])`;
const ADDRESS_PARTS: { re: RegExp; level: number }[] = [
  { re: new RegExp(String.raw`${NAME_PART}{1,6}?(?:街道|乡|镇|开发区|工业园区)`, 'y'), level: 1 },
  { re: new RegExp(String.raw`${NAME_PART}{1,6}?(?:村|社区|屯|嘎查)`, 'y'), level: 2 },
  { re: /[一二三四五六七八九十\d]{1,3}(?:组|队)/y, level: 3 },
  { re: new RegExp(String.raw`${NAME_PART}{1,8}?(?:大街|大道|大路|路|街|巷|胡同|弄|里)(?![道])`, 'y'), level: 3 },
  { re: /\d+(?:-\d+)?号(?:院)?(?![楼])/y, level: 4 },
  {
    re: new RegExp(String.raw`${NAME_PART}{2,8}?(?:小区|花园|家园|新村|公寓|大厦|广场|苑|园|城|府|湾|公馆)(?!小区|花园|家园|新村|公寓|大厦|广场|苑|园)`, 'y'),
    level: 5,
  },
  { re: /(?:\d+|[A-Za-z]\d*)(?:号楼|栋|幢|座|号楼|楼)/y, level: 6 },
  { re: /\d+单元/y, level: 7 },
  { re: /\d+(?:室|号)?/y, level: 8 },
];
/** Levels a part may not start with (a bare room number only after a unit or a building). */
const NEEDS_BEFORE: Record<number, number> = { 8: 6 };

/** Where the street-level part of an address starting at `at` ends, or -1 when there is none. */
function addressTailEnd(buffer: string, at: number, limit: number): number {
  let p = at;
  let level = 0;
  let street = false;
  for (;;) {
    let matched = false;
    for (const part of ADDRESS_PARTS) {
      if (part.level < level || (NEEDS_BEFORE[part.level] !== undefined && level < NEEDS_BEFORE[part.level]!)) continue;
      part.re.lastIndex = p;
      const m = part.re.exec(buffer);
      if (!m || p + m[0].length > limit) continue;
      p += m[0].length;
      level = part.level === 3 && level === 3 ? 3.5 : part.level;
      street = true;
      matched = true;
      break;
    }
    if (!matched || p >= limit) break;
  }
  return street ? p : -1;
}

const DIVISION_START_RE = new RegExp(`[${divisionFirstChars()}]`, 'g');

function addressHits(buffer: string, from: number, out: Hit[]): void {
  DIVISION_START_RE.lastIndex = from;
  for (let m = DIVISION_START_RE.exec(buffer); m; m = DIVISION_START_RE.exec(buffer)) {
    const start = m.index;
    const chain = divisionChainAt(buffer, start);
    if (!chain) continue;
    const limit = Math.min(buffer.length, start + 80);
    let end = addressTailEnd(buffer, chain.end, limit);
    // A chain that swallowed the start of a street (中山 of 中山路, 太原 of 太原街): parse from an earlier part.
    for (let cut = chain.end - 1; end < 0 && cut > start + 1; cut--) {
      const shorter = divisionChainAt(buffer.slice(0, cut), start);
      if (shorter && shorter.end === cut) end = addressTailEnd(buffer, cut, limit);
    }
    if (end < 0) {
      DIVISION_START_RE.lastIndex = chain.end;
      continue;
    }
    out.push({ type: 'address', start, end });
    DIVISION_START_RE.lastIndex = end;
  }
}

/** Sorted, overlap-free: the earlier (then longer) finding wins. */
function resolve(hits: Hit[]): Hit[] {
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Hit[] = [];
  let lastEnd = -1;
  for (const h of hits) {
    if (h.start < lastEnd) continue;
    out.push(h);
    lastEnd = h.end;
  }
  return out;
}

function countCodePoints(s: string, from: number, to: number): number {
  let n = to - from;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > from) n--; // low surrogate of a pair
  }
  return n;
}

const SURROGATE_RE = /[\ud800-\udfff]/;

/** Incremental scanner: push chunks of text, read findings as they become final, then end(). */
/** One detected span: UTF-16 offsets in the window's buffer. */
export interface Span {
  type: TypeId;
  start: number;
  end: number;
}

/**
 * The streaming window both the scanner and the redactor run on: text is pushed in chunks; each step
 * finds the spans that start in [from, until) and then drops the text no later span can need.
 */
abstract class SpanWindow {
  protected buffer = '';
  /** Buffer position from which spans have not been emitted yet. */
  protected from = 0;

  /** Called once per step with the buffer, its final spans (ordered, overlap-free) and where the text is final. */
  protected abstract take(buffer: string, spans: Span[], final: number): void;
  /** Called before the buffer loses its first `cut` characters. */
  protected abstract dropped(buffer: string, cut: number): void;

  protected add(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length >= this.from + WINDOW + OVERLAP) this.step(this.buffer.length - OVERLAP);
  }

  protected finish(): void {
    this.step(this.buffer.length);
    this.buffer = '';
    this.from = 0;
  }

  private step(until: number): void {
    const buffer = this.buffer;
    const hits: Hit[] = [];
    tokenHits(buffer, Math.max(0, this.from - LOOKBEHIND), hits);
    groupedHits(buffer, Math.max(0, this.from - LOOKBEHIND), hits);
    regexHits(buffer, this.from, hits);
    const spans = resolve(hits).filter((h) => h.start >= this.from && h.start < until);
    // Keep a little context before `until`; spans that started before it are done.
    const lastEnd = spans.length ? spans[spans.length - 1]!.end : 0;
    const nextFrom = Math.max(until, lastEnd);
    this.take(buffer, spans, nextFrom);
    const cut = Math.max(0, Math.min(nextFrom - LOOKBEHIND, buffer.length));
    this.dropped(buffer, cut);
    this.buffer = buffer.slice(cut);
    this.from = nextFrom - cut;
  }
}

/** Incremental scanner: push chunks of text, read findings as they become final, then end(). */
export class TextScanner extends SpanWindow {
  /** Code points before buffer[0]. */
  private bufferCodePoints = 0;
  private out: TextFinding[] = [];

  push(chunk: string): TextFinding[] {
    this.add(chunk);
    return this.drain();
  }

  end(): TextFinding[] {
    this.finish();
    return this.drain();
  }

  private drain(): TextFinding[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  protected take(buffer: string, spans: Span[]): void {
    const simple = !SURROGATE_RE.test(buffer);
    let cursor = 0;
    let cursorCodePoints = this.bufferCodePoints;
    for (const h of spans) {
      if (simple) cursorCodePoints = this.bufferCodePoints + h.start;
      else {
        cursorCodePoints += countCodePoints(buffer, cursor, h.start);
        cursor = h.start;
      }
      const value = buffer.slice(h.start, h.end);
      const length = simple ? value.length : countCodePoints(value, 0, value.length);
      this.out.push({ type: h.type, start: cursorCodePoints, end: cursorCodePoints + length, masked: mask(h.type, value) });
    }
  }

  protected dropped(buffer: string, cut: number): void {
    this.bufferCodePoints += SURROGATE_RE.test(buffer) ? countCodePoints(buffer, 0, cut) : cut;
  }
}

/** What a redactor puts in place of a span (its type and clear value). */
export type Replacement = (type: TypeId, value: string) => string;

/**
 * Incremental redactor: push chunks of text, read the text back with every detected span replaced
 * (the output lags the input by at most the window's overlap), then end().
 */
export class TextRedactor extends SpanWindow {
  /** Buffer position up to which text has been written out. */
  private written = 0;
  private out = '';

  constructor(private readonly replace: Replacement) {
    super();
  }

  push(chunk: string): string {
    this.add(chunk);
    return this.drain();
  }

  end(): string {
    this.finish();
    this.written = 0;
    return this.drain();
  }

  private drain(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  protected take(buffer: string, spans: Span[], final: number): void {
    let at = this.written;
    for (const h of spans) {
      if (h.start < at) continue;
      this.out += buffer.slice(at, h.start) + this.replace(h.type, buffer.slice(h.start, h.end));
      at = h.end;
    }
    if (final > at) {
      this.out += buffer.slice(at, final);
      at = final;
    }
    this.written = at;
  }

  protected dropped(_buffer: string, cut: number): void {
    this.written -= cut;
  }
}

/** Every span of a whole string (small inputs: one cell, one request), UTF-16 offsets. */
export function findSpans(text: string): Span[] {
  const spans: Span[] = [];
  const window = new (class extends SpanWindow {
    protected take(_buffer: string, found: Span[]): void {
      spans.push(...found.map((s) => ({ ...s, start: s.start + this.offset, end: s.end + this.offset })));
    }
    private offset = 0;
    protected dropped(_buffer: string, cut: number): void {
      this.offset += cut;
    }
    run(): void {
      this.add(text);
      this.finish();
    }
  })();
  window.run();
  return spans;
}

/** Redacts a whole string (one cell): every span replaced. */
export function redactString(text: string, replace: Replacement): string {
  const redactor = new TextRedactor(replace);
  return redactor.push(text) + redactor.end();
}

/** Scans a stream of text chunks; yields findings in order. */
export async function* scanTextStream(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<TextFinding> {
  const scanner = new TextScanner();
  for await (const chunk of chunks) yield* scanner.push(chunk);
  yield* scanner.end();
}

/** Scans a whole string (tests, small inputs). */
export function scanText(text: string): TextFinding[] {
  const scanner = new TextScanner();
  return [...scanner.push(text), ...scanner.end()];
}
