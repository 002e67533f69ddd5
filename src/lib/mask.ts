/**
 * The masking conventions (standards.md §3): how a value of a recognised type is shown masked. Not a
 * domain of its own: the grant operators (protect/masking.ts), the free-text redactor and the review's
 * examples (classify), the gateway, exchange and the audit log's filter values all mask through
 * `mask(type, value)`, so one value is masked the same way everywhere.
 *
 *   cn_resident_id  first 3 + last 4       210***********123X
 *   cn_mobile       first 3 + last 4       138****5678
 *   cn_landline     area code + last 2     024-*****78
 *   bank_card       first 6 + last 4       622202******1234
 *   person_name     the surname            张*  欧阳**
 *   address         up to county/district  辽宁省沈阳市和平区****
 *   email           first char + domain    z***@example.cn
 *   cn_plate        province, letter, last 辽A****5
 *   date_of_birth   the year               1987-**-**
 *   ipv4 / ipv6 / mac  network part        192.168.*.*
 *   anything else   at most a quarter of the characters, split between both ends, never more than 4
 *
 * A value that does not have its type's shape is masked by the stricter default rule, so a malformed
 * value never reveals more than a well-formed one would.
 */
import { COMPOUND_SURNAMES } from './data/surnames.ts';
import { divisionMatch, type DivisionLevel } from './divisions.ts';

const STAR = '*';
const stars = (n: number) => STAR.repeat(Math.max(0, n));

// ---------------------------------------------------------------------------------------------
// Helpers

/** Keeps the first `head` and last `tail` characters matching `keep`, stars the others of that kind, leaves the rest (separators). */
function maskPositions(value: string, head: number, tail: number, keep: RegExp): string {
  const chars = Array.from(value);
  const positions: number[] = [];
  chars.forEach((c, i) => {
    if (keep.test(c)) positions.push(i);
  });
  positions.forEach((pos, k) => {
    if (k >= head && k < positions.length - tail) chars[pos] = STAR;
  });
  return chars.join('');
}

const ALNUM = /[0-9A-Za-z]/;
/** Letters and digits of any script: what a masked value could give away. */
const INFORMATIVE = /[\p{L}\p{N}]/u;
const DIGIT = /[0-9]/;

function countMatching(value: string, re: RegExp): number {
  let n = 0;
  for (const c of value) if (re.test(c)) n++;
  return n;
}

/**
 * The default for types without a convention and for values without their type's shape: reveal at
 * most ⌊n/4⌋ characters (never more than 4), split between the start and the end.
 */
export function maskDefault(value: string): string {
  const chars = Array.from(value);
  const n = chars.length;
  const keep = Math.min(4, Math.floor(n / 4));
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return chars.slice(0, head).join('') + stars(n - keep) + chars.slice(n - tail).join('');
}

// ---------------------------------------------------------------------------------------------
// Per-type conventions

/** Keeps the first `head` and last `tail` characters of a value with no separators (the fast path). */
function keepEnds(value: string, head: number, tail: number): string {
  return value.slice(0, head) + stars(value.length - head - tail) + value.slice(value.length - tail);
}

function maskResidentId(value: string): string {
  if (/^(?:\d{17}[\dXx]|\d{15})$/.test(value)) return keepEnds(value, 3, 4);
  const n = countMatching(value, ALNUM);
  return n === 15 || n === 18 ? maskPositions(value, 3, 4, ALNUM) : maskDefault(value);
}

const MOBILE_PREFIX = /^(\s*(?:\+|00)86[\s-]?)/;

function maskMobile(value: string): string {
  if (/^1\d{10}$/.test(value)) return keepEnds(value, 3, 4);
  const prefix = MOBILE_PREFIX.exec(value)?.[1] ?? '';
  const rest = value.slice(prefix.length);
  return countMatching(rest, DIGIT) === 11 && countMatching(rest, ALNUM) === 11 ? prefix + maskPositions(rest, 3, 4, DIGIT) : maskDefault(value);
}

const EXTENSION = /^(?:\s*(?:-|转|ext\.?|x)\s*\d{1,6})?$/i;

/** Splits a landline into area code (with its separator), local number and extension. */
function splitLandline(text: string): { prefix: string; local: string; ext: string } | null {
  // (024)39431591, （0421）-2818888, 024 3943 1591: brackets of either width, the local number grouped or not.
  const separated = /^([(（]0\d{2,3}[)）][\s-]?|0\d{2,3}[\s-])(\d{3,4}[\s-]?\d{4})(.*)$/.exec(text);
  if (separated) {
    const [, prefix = '', local = '', ext = ''] = separated;
    return EXTENSION.test(ext) ? { prefix, local, ext } : null;
  }
  // Without a separator the split is the numbering plan's: 010 and 02x are 3-digit area codes.
  const run = /^\d+/.exec(text)?.[0] ?? '';
  if (!run.startsWith('0')) return null;
  const areaLength = /^0[12]/.test(run) ? 3 : 4;
  const local = run.slice(areaLength);
  const ext = text.slice(run.length);
  return local.length >= 7 && local.length <= 8 && EXTENSION.test(ext) ? { prefix: run.slice(0, areaLength), local, ext } : null;
}

function maskLandline(value: string): string {
  const parts = splitLandline(value);
  if (!parts) return maskDefault(value);
  // The local number's grouping is kept; all its digits but the last 2 are starred.
  const digits = parts.local.replace(/\D/g, '').length;
  let seen = 0;
  const local = parts.local.replace(/\d/g, (d) => (++seen > digits - 2 ? d : STAR));
  return `${parts.prefix}${local}${parts.ext.replace(/\d/g, STAR)}`;
}

function maskBankCard(value: string): string {
  if (/^\d{15,19}$/.test(value)) return keepEnds(value, 6, 4);
  const digits = countMatching(value, DIGIT);
  if (digits !== countMatching(value, ALNUM)) return maskDefault(value);
  if (digits >= 15) return maskPositions(value, 6, 4, DIGIT);
  return maskDefault(value);
}

const HAN = /^\p{Script=Han}+$/u;
const NAME_SEPARATOR = /[\s·•.-]/;

function maskPersonName(value: string): string {
  const text = value.trim();
  const chars = Array.from(text);
  if (chars.length <= 1) return stars(chars.length || 1);
  if (HAN.test(text)) {
    const surname = chars.length > 2 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join('')) ? 2 : 1;
    return chars.slice(0, surname).join('') + stars(chars.length - surname);
  }
  // Transliterated (阿依古丽·买买提) and Latin names have no surname in front: keep the first letter when
  // another one is left to hide, star the other letters and keep the separators.
  const letters = chars.filter((c) => INFORMATIVE.test(c)).length;
  return chars.map((c, i) => (NAME_SEPARATOR.test(c) || (i === 0 && letters >= 2) ? c : STAR)).join('');
}

export type AddressLevel = 'province' | 'city' | 'district';
const LEVEL_OF: Record<AddressLevel, DivisionLevel> = { province: 1, city: 2, district: 3 };

/** Scratch of scanAddressPrefix: level, end offset and full name (1) or short form (0) of each division found (at most three). */
const prefixLevels = new Uint8Array(3);
const prefixEnds = new Int32Array(3);
const prefixFull = new Uint8Array(3);

/**
 * Splits the leading administrative divisions (GB/T 2260 names, lib/divisions.ts) off a trimmed
 * address into prefixLevels / prefixEnds and returns how many there are (0–3). Levels must descend;
 * a short name (沈阳) counts only when a further division follows it (沈阳和平区), so the 太原 of 太原路
 * is a street. Allocates nothing: it runs for every address cell a read masks or generalises.
 */
function scanAddressPrefix(text: string): number {
  let count = 0;
  let at = 0;
  for (let m = divisionMatch(text, 0); m !== 0; m = divisionMatch(text, at)) {
    const level = (m >> 1) & 3;
    if (count > 0 && level <= prefixLevels[count - 1]!) break;
    at += m >> 3;
    prefixLevels[count] = level;
    prefixEnds[count] = at;
    prefixFull[count] = m & 1;
    count++;
    if (level === 3) break;
  }
  // A two-character district standing alone (东区, 中区) is as likely a part of a compound as a division.
  if (count === 1 && prefixLevels[0] === 3 && prefixEnds[0]! < 3) return 0;
  // Only full names end the prefix: trailing short forms (沈阳 of 沈阳路) are dropped.
  while (count > 0 && prefixFull[count - 1] === 0) count--;
  return count;
}

/**
 * Splits the leading administrative divisions off an address: province, city, district, each
 * possibly '' (see scanAddressPrefix), and the rest.
 */
export function parseAddressPrefix(value: string): Record<AddressLevel, string> & { rest: string } {
  const text = value.trim();
  const count = scanAddressPrefix(text);
  const out = { province: '', city: '', district: '', rest: text.slice(count ? prefixEnds[count - 1] : 0) };
  for (let i = 0, start = 0; i < count; start = prefixEnds[i]!, i++) {
    const level = prefixLevels[i]!;
    const name = text.slice(start, prefixEnds[i]);
    if (level === 1) out.province = name;
    else if (level === 2) out.city = name;
    else out.district = name;
  }
  return out;
}

/**
 * The address's leading divisions down to `level` (province, city or district), as written
 * (辽宁省沈阳市和平区…, level city → 辽宁省沈阳市); '' when it starts with none. The same as joining
 * parseAddressPrefix's parts down to that level, without building them.
 */
export function addressPrefix(value: string, level: AddressLevel = 'district'): string {
  const text = value.trim();
  const count = scanAddressPrefix(text);
  const deepest = LEVEL_OF[level];
  let end = 0;
  for (let i = 0; i < count && prefixLevels[i]! <= deepest; i++) end = prefixEnds[i]!;
  return text.slice(0, end);
}

function maskAddress(value: string): string {
  return `${addressPrefix(value)}****`;
}

function maskEmail(value: string): string {
  const text = value.trim();
  const at = text.lastIndexOf('@');
  if (at < 1 || at === text.length - 1) return maskDefault(value);
  const local = Array.from(text.slice(0, at));
  return `${local.length >= 2 ? local[0] : ''}***${text.slice(at)}`;
}

function maskPlate(value: string): string {
  const n = countMatching(value, INFORMATIVE);
  return n === 7 || n === 8 ? maskPositions(value, 2, 1, INFORMATIVE) : maskDefault(value);
}

/** A written date (2024-01-05, 2024/1/5, 2024年1月5日, a time after it): year, separator, month, separator, day, 日. */
export const DATE_RE = /^\s*(\d{4})([-/.年]?)(\d{1,2})([-/.月]?)(\d{1,2})(日?)(?:[T\s].*)?$/;

function maskDateOfBirth(value: string): string {
  const m = DATE_RE.exec(value);
  if (!m) return maskDefault(value);
  const [, year, s1 = '', , s2 = '', , s3 = ''] = m;
  return `${year}${s1}**${s2}**${s3}`;
}

function maskIpv4(value: string): string {
  const parts = value.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return maskDefault(value);
  return `${parts[0]}.${parts[1]}.*.*`;
}

function maskIpv6(value: string): string {
  const groups = value.trim().split(':');
  if (groups.length < 3 || !groups.every((g) => /^[0-9A-Fa-f]{0,4}$/.test(g)) || !groups[0] || !groups[1]) return maskDefault(value);
  return `${groups[0]}:${groups[1]}:*`;
}

function maskMac(value: string): string {
  const text = value;
  if (!/^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$/.test(text)) return maskDefault(value);
  return text.slice(0, 8) + text.slice(8).replace(/[0-9A-Fa-f]/g, STAR);
}

const MASKERS: Record<string, (value: string) => string> = {
  cn_resident_id: maskResidentId,
  cn_mobile: maskMobile,
  cn_landline: maskLandline,
  bank_card: maskBankCard,
  person_name: maskPersonName,
  address: maskAddress,
  email: maskEmail,
  cn_plate: maskPlate,
  date_of_birth: maskDateOfBirth,
  ipv4: maskIpv4,
  ipv6: maskIpv6,
  mac: maskMac,
};

/** Types with their own masking convention (others use maskDefault). */
export const MASKED_TYPES: readonly string[] = Object.keys(MASKERS);

/** Masks a value by its type's convention (standards.md §3); the default rule for other types. */
export function mask(type: string | undefined, value: string): string {
  const masker = type === undefined ? undefined : MASKERS[type];
  return (masker ?? maskDefault)(value);
}
