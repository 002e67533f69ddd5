/**
 * Masking of text findings (standards.md §3). A minimal local version: the protect module owns the
 * configurable masking operators; scan output only needs the default masked form, never the clear value.
 */
import { divisionPrefixLength } from './divisions.ts';
import { surnameLength } from './recognizers/person-name.ts';
import type { TypeId } from './types.ts';

const stars = (n: number) => '*'.repeat(Math.max(0, n));

/** Keeps the first `head` and last `tail` characters; everything else becomes '*'. */
export function keepEnds(value: string, head: number, tail: number): string {
  const chars = Array.from(value);
  if (chars.length <= head + tail) return chars.length <= 1 ? '*' : chars[0] + stars(chars.length - 1);
  return chars.slice(0, head).join('') + stars(chars.length - head - tail) + chars.slice(chars.length - tail).join('');
}

function maskLandline(v: string): string {
  // keep the area code and the last 2 digits: 024-*****78
  const m = /^(\(?0\d{2,3}\)?[- ]?)(.*)$/.exec(v);
  if (!m) return keepEnds(v, 0, 2);
  const rest = m[2]!;
  return m[1] + stars(rest.length - 2) + rest.slice(-2);
}

function maskEmail(v: string): string {
  const at = v.lastIndexOf('@');
  if (at <= 0) return keepEnds(v, 1, 0);
  return `${v[0]}***${v.slice(at)}`; // fixed width: the local part's length is not shown
}

function maskDate(v: string): string {
  return v.slice(0, 4) + v.slice(4).replace(/\d/g, '*');
}

function maskAddress(v: string): string {
  const keep = divisionPrefixLength(v);
  return keep > 0 ? v.slice(0, keep) + '****' : keepEnds(v, 2, 0);
}

/** The default masked form of a value of `type`. Types without a §3 rule keep their first 2 and last 2 characters. */
export function maskValue(type: TypeId, value: string): string {
  switch (type) {
    case 'cn_resident_id':
    case 'cn_mobile':
      return keepEnds(value, 3, 4);
    case 'cn_landline':
      return maskLandline(value);
    case 'bank_card':
      return keepEnds(value.replace(/[\s-]/g, ''), 6, 4);
    case 'person_name':
      return keepEnds(value, surnameLength(value) || 1, 0);
    case 'address':
      return maskAddress(value);
    case 'email':
      return maskEmail(value);
    case 'cn_plate':
      return keepEnds(value, 2, 1);
    case 'date_of_birth':
      return maskDate(value);
    case 'gps':
      // a coordinate rounded to 0.1° (≈ 11 km) is no longer a precise location
      return value.replace(/(-?\d{1,3})\.(\d)\d+/g, '$1.$2*');
    default:
      return keepEnds(value, 2, 2);
  }
}
