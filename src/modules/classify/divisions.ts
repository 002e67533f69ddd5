/**
 * Administrative division names (GB/T 2260, shipped in data/divisions.json) for the address recognizer,
 * the person-name exclusions (黄山, 常州 are places, not people) and address masking (keep up to the county).
 */
import { readFileSync } from 'node:fs';

interface DivisionData {
  provinces: [string, string][];
  cities: [string, string][];
  counties: [string, string][];
  otherPlaces: string[];
}

const data = JSON.parse(readFileSync(new URL('./data/divisions.json', import.meta.url), 'utf8')) as DivisionData;

/** 1 province, 2 prefecture, 3 county/district. */
export type DivisionLevel = 1 | 2 | 3;

const PROVINCE_SUFFIXES = ['维吾尔自治区', '壮族自治区', '回族自治区', '特别行政区', '自治区', '省', '市'];
const CITY_SUFFIXES = ['自治州', '地区', '盟', '市'];
const COUNTY_SUFFIXES = ['自治县', '自治旗', '新区', '林区', '特区', '区', '县', '市', '旗'];

/** 辽宁省 → 辽宁, 广西壮族自治区 → 广西, 延边朝鲜族自治州 → 延边, 沈阳市 → 沈阳. */
export function shortName(name: string, suffixes: string[]): string {
  for (const suffix of suffixes) {
    if (name.length > suffix.length + 1 && name.endsWith(suffix)) {
      const stem = name.slice(0, -suffix.length);
      if (suffix.startsWith('自治')) return stem.slice(0, 2); // drop the ethnic group name
      return stem;
    }
  }
  return name;
}

interface TrieNode {
  next: Map<number, TrieNode>;
  /** Set when a division name ends here: its level. */
  level?: DivisionLevel;
  /** A full name (辽宁省, 沈阳市, 和平区), not only a short form (沈阳). */
  full?: boolean;
}

const root: TrieNode = { next: new Map() };
let maxNameLength = 0;
/** Every full and short name, for "is this value just a place name?". */
const allNames = new Set<string>();

function addName(name: string, level: DivisionLevel, full: boolean): void {
  if (name.length < 2) return;
  allNames.add(name);
  maxNameLength = Math.max(maxNameLength, name.length);
  let node = root;
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    let child = node.next.get(ch);
    if (!child) {
      child = { next: new Map() };
      node.next.set(ch, child);
    }
    node = child;
  }
  if (node.level === undefined || level < node.level) node.level = level;
  if (full) node.full = true;
}

for (const [, name] of data.provinces) {
  addName(name, 1, true);
  addName(shortName(name, PROVINCE_SUFFIXES), 1, false);
}
for (const [, name] of data.cities) {
  addName(name, 2, true);
  addName(shortName(name, CITY_SUFFIXES), 2, false);
}
for (const [, name] of data.counties) addName(name, 3, true);
for (const name of data.otherPlaces) addName(name, 3, true);
// County short names (朝阳, 和平) are ordinary words too often to start an address, but a value that is
// only such a name is still a place, not a person.
const countyShortNames = new Set(data.counties.map(([, n]) => shortName(n, COUNTY_SUFFIXES)).filter((n) => n.length >= 2));

/** Longest division name starting at `at`, or null. */
export function divisionAt(text: string, at: number): { length: number; level: DivisionLevel; full: boolean } | null {
  let node: TrieNode | undefined = root;
  let best: { length: number; level: DivisionLevel; full: boolean } | null = null;
  for (let i = at; i < text.length && i - at < maxNameLength; i++) {
    node = node.next.get(text.charCodeAt(i));
    if (!node) break;
    if (node.level !== undefined) best = { length: i - at + 1, level: node.level, full: node.full === true };
  }
  return best;
}

/**
 * The division chain an address starts with at `at` (辽宁省沈阳市和平区, 沈阳和平区), or null. A short name
 * alone (太原 in 太原路, 中山 in 中山路) is a street named after a place, not a division.
 */
export function divisionChainAt(text: string, at: number): { end: number } | null {
  let end = at;
  let parts = 0;
  let full = false;
  for (let hit = divisionAt(text, end); hit; hit = divisionAt(text, end)) {
    end += hit.length;
    parts++;
    full ||= hit.full;
  }
  return parts > 1 || full ? { end } : null;
}

/** Where the first division chain in the text ends, or -1. */
export function findDivisionEnd(text: string, from = 0): number {
  for (let i = from; i < text.length; i++) {
    if (!root.next.has(text.charCodeAt(i))) continue;
    const chain = divisionChainAt(text, i);
    if (chain) return chain.end;
  }
  return -1;
}

/** True when the whole value is a place name (full or short, any level). */
export function isPlaceName(value: string): boolean {
  return allNames.has(value) || countyShortNames.has(value);
}

/** Length of the leading province/city/county chain (辽宁省沈阳市和平区…), for masking "keep up to the county". */
export function divisionPrefixLength(address: string): number {
  let at = 0;
  let lastLevel = 0;
  for (;;) {
    const hit = divisionAt(address, at);
    if (!hit || hit.level <= lastLevel) break;
    at += hit.length;
    lastLevel = hit.level;
    if (hit.level === 3) break;
  }
  return at;
}

/** Every character that starts a division name (for a fast regex character class). */
export function divisionFirstChars(): string {
  return String.fromCharCode(...root.next.keys());
}
