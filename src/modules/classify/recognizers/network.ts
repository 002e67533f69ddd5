/** Network identifiers with strict numeric ranges: IPv4 (no leading zeros), IPv6 (node's parser), MAC. */
import { isIPv6 } from 'node:net';
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

const IPV4_SHAPE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function checkIpv4(v: string): Verdict {
  const dot = v.indexOf('.');
  if (dot < 1 || dot > 3 || v.length < 7 || v.length > 15 || !IPV4_SHAPE.test(v)) return NO;
  for (const part of v.split('.')) if (!OCTET.test(part)) return FAILED;
  return MATCH;
}

const IPV6_SHAPE = /^[0-9A-Fa-f:.]+$/;

export function checkIpv6(v: string): Verdict {
  if (v.length < 2 || v.length > 45) return NO;
  const first = v.indexOf(':');
  if (first < 0 || v.indexOf(':', first + 1) < 0 || !IPV6_SHAPE.test(v)) return NO;
  return isIPv6(v) ? MATCH : FAILED;
}

const MAC_RE = /^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/;
const MAC_SHAPE = /^[0-9A-Za-z]{2}([:-])(?:[0-9A-Za-z]{2}\1){4}[0-9A-Za-z]{2}$/;

export function checkMac(v: string): Verdict {
  if (v.length !== 17 && v.length !== 14) return NO;
  if (MAC_RE.test(v)) return MATCH;
  return MAC_SHAPE.test(v) ? FAILED : NO;
}
