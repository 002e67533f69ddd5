/**
 * Guessing what an input is from its name and first bytes: the format, and for delimited text the
 * delimiter and the quote character.
 */
import type { TableFormat } from './types.ts';

const BY_EXTENSION: Record<string, TableFormat | 'sniff' | 'xls'> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  txt: 'sniff',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  xlsx: 'xlsx',
  xlsm: 'xlsx',
  xls: 'xls',
};

/** What the file name says: a format, 'sniff' (look at the bytes), 'xls' (old binary Excel), or 'unknown'. */
export function formatFromName(name: string | undefined): TableFormat | 'sniff' | 'xls' | 'unknown' {
  if (!name) return 'sniff';
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot < name.lastIndexOf('/')) return 'sniff';
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? 'unknown';
}

export const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** OLE2 compound file: old .xls (and .doc) — not something we can read as xlsx. */
export const OLE2_MAGIC = [0xd0, 0xcf, 0x11, 0xe0];

export function hasMagic(head: Buffer, magic: number[]): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return false;
  return true;
}

/**
 * The format suggested by the first bytes: zip → xlsx; first non-blank character `[` → json,
 * `{` → ndjson; mostly control bytes (outside UTF-16) → binary (undefined); else delimited text.
 */
export function formatFromBytes(head: Buffer, text: string): TableFormat | 'xls' | undefined {
  if (hasMagic(head, ZIP_MAGIC)) return 'xlsx';
  if (hasMagic(head, OLE2_MAGIC)) return 'xls';
  // A few NUL bytes in text are damage the reader reports with their line; mostly control bytes is binary.
  if (text.includes('\u0000') && looksBinary(text)) return undefined;
  const first = /\S/.exec(text)?.[0];
  if (first === '[') return 'json';
  if (first === '{') return 'ndjson';
  return 'csv';
}

/** More than 5% control characters (other than tab, line feed, form feed, carriage return): not text. */
function looksBinary(text: string): boolean {
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) control++;
  }
  return control > text.length * 0.05;
}

const DELIMITERS = [',', '\t', ';', '|'] as const;
const MAX_SAMPLE_RECORDS = 200;

/**
 * The delimiter that splits the sample's records most consistently: for each candidate, the count
 * in the header record, and the share of later records with that same count (counted outside
 * double quotes, so quoted commas and line breaks do not mislead). Single-column text → ','.
 */
export function detectDelimiter(sample: string, complete: boolean): string {
  const counts = recordCounts(sample, complete);
  const header = counts[0];
  if (!header) return ',';
  let best = ',';
  let bestScore = 0;
  DELIMITERS.forEach((d, k) => {
    const h = header[k]!;
    if (h === 0) return;
    let same = 0;
    for (let r = 1; r < counts.length; r++) if (counts[r]![k] === h) same++;
    const consistency = counts.length > 1 ? same / (counts.length - 1) : 1;
    // Consistency first; among equally consistent ones, more fields wins.
    const score = consistency * 1000 + Math.min(h, 999);
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  });
  return best;
}

/** Per sample record, the count of each candidate delimiter outside double quotes. */
function recordCounts(sample: string, complete: boolean): number[][] {
  const records: number[][] = [];
  let current = [0, 0, 0, 0];
  let inQuotes = false;
  let nonEmpty = false;
  const n = sample.length;
  for (let i = 0; i < n && records.length < MAX_SAMPLE_RECORDS; i++) {
    const c = sample.charCodeAt(i);
    if (c === 34 /* " */) {
      inQuotes = !inQuotes;
      nonEmpty = true;
    } else if (inQuotes) {
      continue;
    } else if (c === 10 /* \n */ || c === 13 /* \r */) {
      if (nonEmpty) records.push(current);
      current = [0, 0, 0, 0];
      nonEmpty = false;
    } else {
      nonEmpty = true;
      if (c === 44) current[0]!++;
      else if (c === 9) current[1]!++;
      else if (c === 59) current[2]!++;
      else if (c === 124) current[3]!++;
    }
  }
  // The last record of an incomplete sample is probably cut short: leave it out.
  if (complete && nonEmpty && !inQuotes && records.length < MAX_SAMPLE_RECORDS) records.push(current);
  return records;
}

/**
 * The quote character: `"` when some field of the sample starts with one (and always for comma-like
 * delimiters, the CSV norm); `'` only when fields start with it and none with `"`; none for
 * tab-separated text that shows no quoting, since TSV exports often carry bare quotes in values.
 */
export function detectQuote(sample: string, delimiter: string): '"' | "'" | null {
  let double = 0;
  let single = 0;
  let atFieldStart = true;
  const d = delimiter.charCodeAt(0);
  const n = Math.min(sample.length, 64 * 1024);
  for (let i = 0; i < n; i++) {
    const c = sample.charCodeAt(i);
    if (atFieldStart) {
      if (c === 34) double++;
      else if (c === 39) single++;
    }
    atFieldStart = c === d || c === 10 || c === 13;
  }
  if (double > 0) return '"';
  if (single > 1) return "'";
  return delimiter === '\t' ? null : '"';
}
