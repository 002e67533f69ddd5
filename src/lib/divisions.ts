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

// The trie compiled into flat arrays for the per-cell scans (masking and generalising every address
// a read returns, the address recognizer): the first character indexes a table directly, the few
// children of a node are scanned in a short run of edges. No Map lookup, nothing allocated.
/** Node of each first character (0: no name starts with it). */
const firstNode = new Int32Array(0x10000);
/** Per node: `level << 1 | full` when a name ends there, else 0. */
const nodeEnd: number[] = [0];
/** Per node: its run of edges in edgeChar / edgeNode. */
const edgeFrom: number[] = [0];
const edgeCount: number[] = [0];
const edgeChars: number[] = [];
const edgeNodes: number[] = [];
{
  const compile = (node: TrieNode): number => {
    const id = nodeEnd.length;
    nodeEnd.push(node.level === undefined ? 0 : (node.level << 1) | (node.full === true ? 1 : 0));
    edgeFrom.push(0);
    edgeCount.push(0);
    const children = [...node.next].map(([ch, child]) => [ch, compile(child)] as const);
    edgeFrom[id] = edgeChars.length;
    edgeCount[id] = children.length;
    for (const [ch, child] of children) {
      edgeChars.push(ch);
      edgeNodes.push(child);
    }
    return id;
  };
  for (const [ch, child] of root.next) firstNode[ch] = compile(child);
}
const END = Int32Array.from(nodeEnd);
const FROM = Int32Array.from(edgeFrom);
const COUNT = Int32Array.from(edgeCount);
const EDGE_CHAR = Uint16Array.from(edgeChars);
const EDGE_NODE = Int32Array.from(edgeNodes);

/**
 * The longest division name starting at `at`, packed in one number so the hot paths (address masking
 * and generalisation, per cell) allocate nothing: 0 when there is none, else
 * `length << 3 | level << 1 | full`. divisionAt unpacks it.
 */
export function divisionMatch(text: string, at: number): number {
  if (at >= text.length) return 0;
  let node = firstNode[text.charCodeAt(at)]!;
  if (node === 0) return 0;
  let best = END[node] === 0 ? 0 : (1 << 3) | END[node]!;
  const end = Math.min(text.length, at + maxNameLength);
  for (let i = at + 1; i < end; i++) {
    const ch = text.charCodeAt(i);
    let next = 0;
    for (let e = FROM[node]!, stop = e + COUNT[node]!; e < stop; e++) {
      if (EDGE_CHAR[e] === ch) {
        next = EDGE_NODE[e]!;
        break;
      }
    }
    if (next === 0) break;
    node = next;
    if (END[node] !== 0) best = ((i - at + 1) << 3) | END[node]!;
  }
  return best;
}

/** Longest division name starting at `at`, or null. */
export function divisionAt(text: string, at: number): { length: number; level: DivisionLevel; full: boolean } | null {
  const m = divisionMatch(text, at);
  return m === 0 ? null : { length: m >> 3, level: ((m >> 1) & 3) as DivisionLevel, full: (m & 1) === 1 };
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

// ---------------------------------------------------------------------------------------------
// Codes: which province and city a division belongs to (open-data generalization region → city →
// province, and names of region codes).

/** A division with the province and prefecture above it (a municipality is its own prefecture). */
export interface DivisionChain {
  /** 6-digit GB/T 2260 code of the most specific division found. */
  code: string;
  level: DivisionLevel;
  province: string;
  city: string;
  county: string | null;
}

const nameOfCode = new Map<string, string>();
for (const [code, name] of data.provinces) nameOfCode.set(code, name);
for (const [code, name] of data.cities) nameOfCode.set(code, name);
for (const [code, name] of data.counties) nameOfCode.set(code, name);

/** Division names (full and short) → their codes (2, 4 or 6 digits), per level. */
const codesByName: Record<DivisionLevel, Map<string, string[]>> = { 1: new Map(), 2: new Map(), 3: new Map() };
function indexName(level: DivisionLevel, name: string, code: string): void {
  const list = codesByName[level].get(name) ?? [];
  if (!list.includes(code)) list.push(code);
  codesByName[level].set(name, list);
}
for (const [code, name] of data.provinces) {
  indexName(1, name, code);
  indexName(1, shortName(name, PROVINCE_SUFFIXES), code);
}
for (const [code, name] of data.cities) {
  indexName(2, name, code);
  indexName(2, shortName(name, CITY_SUFFIXES), code);
}
for (const [code, name] of data.counties) if (!name.endsWith('市辖区')) indexName(3, name, code);

function chainOf(code: string): DivisionChain | null {
  const province = nameOfCode.get(code.slice(0, 2));
  if (!province) return null;
  const level: DivisionLevel = code.length === 2 ? 1 : code.length === 4 ? 2 : 3;
  // Municipalities (北京, 天津, 上海, 重庆) have no prefecture level: the municipality stands in for it.
  const city = level === 1 ? province : (nameOfCode.get(code.slice(0, 4)) ?? province);
  const county = level === 3 ? (nameOfCode.get(code) ?? null) : null;
  if (level === 3 && !county) return null;
  return { code: code.padEnd(6, '0'), level, province, city, county };
}

/** The name of a 6-digit region code: 210000 → 辽宁省, 210700 → 锦州市, 211302 → 双塔区. */
export function regionName(code: string): string | null {
  if (!/^\d{6}$/.test(code)) return null;
  const short = code.endsWith('0000') ? code.slice(0, 2) : code.endsWith('00') ? code.slice(0, 4) : code;
  return nameOfCode.get(short) ?? null;
}

/**
 * Resolves a division name (辽宁省, 锦州, 双塔区), the division prefix of an address (辽宁省朝阳市双塔区新华路 8 号)
 * or a 6-digit code (211302) to its chain. Names shared by several divisions (朝阳区, 鼓楼区) are decided
 * by the names above them in the value, then by `near` (the publisher's region code), then by code order.
 */
export function resolveDivision(value: string, near?: string): DivisionChain | null {
  const text = value.trim();
  if (/^\d{6}$/.test(text)) {
    const code = text.endsWith('0000') ? text.slice(0, 2) : text.endsWith('00') && !nameOfCode.has(text) ? text.slice(0, 4) : text;
    return chainOf(code);
  }
  const parts: { level: DivisionLevel; name: string }[] = [];
  let at = 0;
  for (let hit = divisionAt(text, at); hit; hit = divisionAt(text, at)) {
    if (hit.level <= (parts.at(-1)?.level ?? 0)) break;
    parts.push({ level: hit.level, name: text.slice(at, at + hit.length) });
    at += hit.length;
    if (hit.level === 3) break;
  }
  if (!parts.length) return null;
  // Most specific first; every name above must agree with the code's prefix.
  const last = parts.at(-1)!;
  let candidates = codesByName[last.level].get(last.name) ?? [];
  for (const above of parts.slice(0, -1)) {
    const prefixes = codesByName[above.level].get(above.name) ?? [];
    candidates = candidates.filter((c) => prefixes.some((p) => c.startsWith(p)));
  }
  if (!candidates.length) return null;
  if (candidates.length > 1 && near && /^\d{6}$/.test(near)) {
    for (const prefix of [near.slice(0, 4), near.slice(0, 2)]) {
      const close = candidates.filter((c) => c.startsWith(prefix));
      if (close.length) {
        candidates = close;
        break;
      }
    }
  }
  return chainOf([...candidates].sort()[0]!);
}

/**
 * A region and every division below it, as 6-digit codes and full names: 211300 (朝阳市) → 211300,
 * 211302 双塔区, 211303 龙城区 …; a county → itself. Null for a code not in GB/T 2260 or a province
 * (a province is not a level the return flow goes back to). 市辖区 placeholders keep their codes, not the
 * name (it is the same in every city).
 */
export function divisionsWithin(code: string): { codes: string[]; names: string[] } | null {
  const chain = /^\d{6}$/.test(code) ? resolveDivision(code) : null;
  if (!chain || chain.level === 1) return null;
  if (chain.level === 3) return { codes: [chain.code], names: [chain.county!] };
  const prefix = chain.code.slice(0, 4);
  const below = data.counties.filter(([c]) => c.startsWith(prefix));
  return {
    codes: [chain.code, ...below.map(([c]) => c)],
    names: [chain.city, ...below.map(([, name]) => name).filter((name) => !name.endsWith('市辖区'))],
  };
}
