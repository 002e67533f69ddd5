/**
 * Free-text scanning: finds identifiers in text streamed in chunks, with flat memory (a window of
 * ~64K characters plus a small overlap). Offsets are in characters (Unicode code points); findings carry
 * the masked value only.
 *
 * Context rules (standards.md §1): passports, permits, undashed landlines, 9-char org codes and
 * Luhn-valid numbers without a known BIN need a context word just before them (护照, 通行证, 电话, 卡号 …);
 * birth dates need 出生/生日/birth; names need a label (姓名, 联系人, 申请人 …) or an honorific (先生, 女士).
 */
import { COMPOUND_SURNAMES } from './data/surnames.ts';
import { divisionChainAt, divisionFirstChars } from './divisions.ts';
import { mask } from '../protect/masking.ts';
import { STREET_TOKEN_RE } from './recognizers/address.ts';
import { checkBankCard, hasDomesticBin } from './recognizers/bank-card.ts';
import { isPastDate } from './recognizers/dates.ts';
import { checkEmail } from './recognizers/email.ts';
import { checkOrgCode, checkUscc } from './recognizers/enterprise.ts';
import { isCoordinatePair } from './recognizers/location.ts';
import { checkIpv4, checkIpv6, checkMac } from './recognizers/network.ts';
import { checkPersonName, surnameLength } from './recognizers/person-name.ts';
import { checkLandline, checkMobile } from './recognizers/phone.ts';
import { PLATE_SOURCE } from './recognizers/plate.ts';
import { checkResidentId, isProvinceCode } from './recognizers/resident-id.ts';
import { checkHkMacauPermit, checkPassport } from './recognizers/travel-documents.ts';
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
const DOB_RE =
  /(?:出生日期|出生年月日?|出生于|出生|生日|生于|birth ?(?:day|date)?|date of birth|dob)[^\d\n]{0,8}?(\d{4})(?:([-/.年])(\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))(?!\d)/dgi;
const NAME_LABEL_RE =
  /(?:姓名|联系人|法定代表人|法人代表|法人|申请人|负责人|经办人|户主|患者|收件人|寄件人|持卡人|当事人|监护人|驾驶人|车主)(?:[:：为是]|\s)*([\u4e00-\u9fff]{2,8})/dg;
const HONORIFIC_RE = /先生|女士|同志/g;
const isHanCode = (c: number) => c >= 0x4e00 && c <= 0x9fff;
/** Han, ASCII letters and digits, - － #: the characters an address runs over. */
function isAddressChar(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 0xff0d || c === 35;
}
const ADDRESS_END_RE = /(?:号|室|栋|幢|单元|楼|弄|村|组|巷|路|街|道|胡同|里|苑|园|小区|大厦|广场)(?!.*(?:号|室|栋|幢|单元|楼|弄|村|组|巷|路|街|道|胡同|里|苑|园|小区|大厦|广场))/;
const GPS_NEXT_RE = /^\s*[,，]\s*(-?\d{1,3}\.\d{4,})(?![\d.])/;

const CONTEXT = {
  passport: /护照|passport/i,
  hkMacau: /港澳|回乡证|通行证/,
  tw: /台胞证|台湾居民|台湾通行证/,
  landline: /电话|座机|固话|传真|tel|fax|phone/i,
  card: /卡号|账号|帐号|账户|帐户|银行卡|card|account/i,
  uscc: /信用代码|代码/,
  orgCode: /组织机构代码|机构代码/,
  coordinate: /经度|纬度|经纬度|坐标|lat|lng|lon/i,
};

function contextBefore(buffer: string, at: number, re: RegExp, span = 16): boolean {
  return re.test(buffer.slice(Math.max(0, at - span), at));
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

/** Classifies one ASCII token (already trimmed of sentence punctuation). */
function tokenType(buffer: string, start: number, t: string): TypeId | null {
  const n = t.length;
  if (t.includes('@')) return checkEmail(t) === MATCH ? 'email' : null;
  const first = t.charCodeAt(0);
  if (isAllDigits(t)) {
    if (n === 11) return checkMobile(t) === MATCH ? 'cn_mobile' : null;
    if (n === 15 || n === 18) {
      if (checkResidentId(t) === MATCH) return 'cn_resident_id';
      if (n === 18 && checkUscc(t) === MATCH && contextBefore(buffer, start, CONTEXT.uscc)) return 'cn_uscc';
    }
    if (n >= 16 && n <= 19 && checkBankCard(t) === MATCH) {
      // Luhn passes for 1 in 10 random numbers: a card needs a card word before it, or a UnionPay-style BIN
      // on a number that is not a (mistyped) resident ID.
      if (contextBefore(buffer, start, CONTEXT.card) || (hasDomesticBin(t) && !idStructured(t))) return 'bank_card';
    }
    if (n === 8 && contextBefore(buffer, start, CONTEXT.tw)) return 'tw_permit';
    if (n >= 10 && n <= 12 && first === 48 && contextBefore(buffer, start, CONTEXT.landline) && checkLandline(t) === MATCH) return 'cn_landline';
    if (n === 9 && contextBefore(buffer, start, CONTEXT.orgCode) && checkOrgCode(t) === MATCH) return 'cn_org_code';
    return null;
  }
  if (n === 18) {
    if (checkResidentId(t) === MATCH) return 'cn_resident_id';
    if (checkUscc(t) === MATCH && (!idStructured(t) || contextBefore(buffer, start, CONTEXT.uscc))) return 'cn_uscc';
  }
  if (first === 43 || (first === 48 && t.startsWith('0086'))) return checkMobile(t) === MATCH ? 'cn_mobile' : null;
  if (n === 9) {
    if (checkPassport(t) === MATCH && contextBefore(buffer, start, CONTEXT.passport)) return 'passport';
    if (checkHkMacauPermit(t) === MATCH && contextBefore(buffer, start, CONTEXT.hkMacau)) return 'hk_macau_permit';
    if (contextBefore(buffer, start, CONTEXT.orgCode) && checkOrgCode(t) === MATCH) return 'cn_org_code';
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

function regexHits(buffer: string, from: number, out: Hit[]): void {
  PLATE_RE.lastIndex = from;
  for (let m = PLATE_RE.exec(buffer); m; m = PLATE_RE.exec(buffer)) out.push({ type: 'cn_plate', start: m.index, end: m.index + m[0].length });

  DOB_RE.lastIndex = Math.max(0, from - LOOKBEHIND);
  for (let m = DOB_RE.exec(buffer); m; m = DOB_RE.exec(buffer)) {
    const year = Number(m[1]);
    const month = Number(m[3] ?? m[5]);
    const day = Number(m[4] ?? m[6]);
    if (!isPastDate(year, month, day)) continue;
    const start = m.indices![1]![0];
    out.push({ type: 'date_of_birth', start, end: m.index + m[0].length });
  }

  NAME_LABEL_RE.lastIndex = Math.max(0, from - LOOKBEHIND);
  for (let m = NAME_LABEL_RE.exec(buffer); m; m = NAME_LABEL_RE.exec(buffer)) {
    const [s] = m.indices![1]!;
    const length = nameLengthAtStart(m[1]!);
    if (length) out.push({ type: 'person_name', start: s, end: s + length });
  }
  HONORIFIC_RE.lastIndex = from;
  for (let m = HONORIFIC_RE.exec(buffer); m; m = HONORIFIC_RE.exec(buffer)) {
    const e = m.index;
    let s = e;
    while (s > 0 && e - s < 5 && isHanCode(buffer.charCodeAt(s - 1))) s--;
    const length = nameLengthAtEnd(buffer.slice(s, e));
    if (length) out.push({ type: 'person_name', start: e - length, end: e });
  }
  addressHits(buffer, from, out);
}

/** A run of Han characters after a label: the name is the whole run if it is 2-4 long, else its first 3 (or 2, 4) characters. */
function nameLengthAtStart(run: string): number {
  const lengths = run.length <= 4 ? [run.length] : surnameLength(run) === 2 ? [4, 3] : [3, 2];
  for (const n of lengths) if (checkPersonName(run.slice(0, n)) === MATCH) return n;
  return 0;
}

/** A run before 先生/女士: the name is the suffix (3, then 2, then 4 characters) starting with a surname; a compound surname just before wins. */
function nameLengthAtEnd(run: string): number {
  for (const n of [3, 2, 4]) {
    if (run.length < n) continue;
    if (n < 4 && run.length > n && COMPOUND_SURNAMES.has(run.slice(run.length - n - 1, run.length - n + 1))) {
      if (checkPersonName(run.slice(run.length - n - 1)) === MATCH) return n + 1;
    }
    if (checkPersonName(run.slice(run.length - n)) === MATCH) return n;
  }
  return 0;
}

const DIVISION_START_RE = new RegExp(`[${divisionFirstChars()}]`, 'g');

function addressHits(buffer: string, from: number, out: Hit[]): void {
  DIVISION_START_RE.lastIndex = from;
  for (let m = DIVISION_START_RE.exec(buffer); m; m = DIVISION_START_RE.exec(buffer)) {
    const start = m.index;
    const chain = divisionChainAt(buffer, start);
    if (!chain) continue;
    let end = chain.end;
    const limit = Math.min(buffer.length, start + 60);
    while (end < limit && isAddressChar(buffer.charCodeAt(end))) end++;
    const tail = buffer.slice(chain.end, end);
    const last = ADDRESS_END_RE.exec(tail);
    if (!last || !STREET_TOKEN_RE.test(tail)) {
      DIVISION_START_RE.lastIndex = chain.end;
      continue;
    }
    const addressEnd = chain.end + last.index + last[0].length;
    // a house number after the last token (…12号楼3单元502) belongs to the address too
    let extended = addressEnd;
    while (extended < end && /[0-9A-Za-z\-]/.test(buffer[extended]!)) extended++;
    if (extended < end && /[室号]/.test(buffer[extended]!)) extended++;
    else extended = addressEnd;
    out.push({ type: 'address', start, end: extended });
    DIVISION_START_RE.lastIndex = extended;
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
export class TextScanner {
  private buffer = '';
  /** Buffer position from which findings have not been emitted yet. */
  private from = 0;
  /** Code points before buffer[0]. */
  private bufferCodePoints = 0;

  push(chunk: string): TextFinding[] {
    this.buffer += chunk;
    if (this.buffer.length < this.from + WINDOW + OVERLAP) return [];
    return this.process(this.buffer.length - OVERLAP);
  }

  end(): TextFinding[] {
    const out = this.process(this.buffer.length);
    this.buffer = '';
    this.from = 0;
    return out;
  }

  /** Emits the findings that start in [from, until), then drops what no later finding can need. */
  private process(until: number): TextFinding[] {
    const buffer = this.buffer;
    const hits: Hit[] = [];
    tokenHits(buffer, Math.max(0, this.from - LOOKBEHIND), hits);
    regexHits(buffer, this.from, hits);
    const final = resolve(hits).filter((h) => h.start >= this.from && h.start < until);
    const simple = !SURROGATE_RE.test(buffer);
    let cursor = 0;
    let cursorCodePoints = this.bufferCodePoints;
    const findings: TextFinding[] = final.map((h) => {
      if (simple) cursorCodePoints = this.bufferCodePoints + h.start;
      else {
        cursorCodePoints += countCodePoints(buffer, cursor, h.start);
        cursor = h.start;
      }
      const value = buffer.slice(h.start, h.end);
      const length = simple ? value.length : countCodePoints(value, 0, value.length);
      return { type: h.type, start: cursorCodePoints, end: cursorCodePoints + length, masked: mask(h.type, value) };
    });
    // Keep a little context before `until`; findings that started before it are done.
    const lastEnd = final.length ? final[final.length - 1]!.end : 0;
    const nextFrom = Math.max(until, lastEnd);
    const cut = Math.max(0, Math.min(nextFrom - LOOKBEHIND, buffer.length));
    this.bufferCodePoints += simple ? cut : countCodePoints(buffer, 0, cut);
    this.buffer = buffer.slice(cut);
    this.from = nextFrom - cut;
    return findings;
  }
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
