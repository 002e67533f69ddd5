/**
 * Errors of the table readers: one BadRequestError per kind of bad input, with a stable code, a
 * zh/en message that names the line (or row) and the column, and the same facts in `details`.
 */
import { BadRequestError } from '../../errors.ts';

export type ReaderErrorCode =
  | 'empty_file'
  | 'unclosed_quote'
  | 'wrong_field_count'
  | 'undecodable_bytes'
  | 'not_xlsx'
  | 'invalid_json'
  | 'file_too_large'
  | 'unsupported_format'
  | 'unsupported_encoding'
  | 'record_too_large'
  | 'sheet_not_found'
  | 'bad_quote'
  | 'invalid_delimiter'
  | 'nul_byte'
  | 'too_deep'
  | 'xlsx_too_large';

/** Where in the source a problem is: `line` for csv/tsv/ndjson, `row` for json/xlsx. */
export interface Place {
  line?: number;
  row?: number;
  column?: string;
}

export function readerError(code: ReaderErrorCode, zh: string, en: string, details: Record<string, unknown> = {}): BadRequestError {
  return new BadRequestError(code, { zh, en }, details);
}

/** "第 3 行“姓名”列" / "line 3, column "name"" — the place phrase every message starts with. */
export function placeText(place: Place): { zh: string; en: string } {
  const zh: string[] = [];
  const en: string[] = [];
  if (place.line !== undefined) {
    zh.push(`第 ${place.line} 行`);
    en.push(`line ${place.line}`);
  } else if (place.row !== undefined) {
    zh.push(`第 ${place.row} 条记录`);
    en.push(`row ${place.row}`);
  }
  if (place.column !== undefined) {
    zh.push(`“${place.column}”列`);
    en.push(`column "${place.column}"`);
  }
  return { zh: zh.join(''), en: en.join(', ') };
}

/** An error at a place: the message is "<place>: <what>", details carry the place and extras. */
export function errorAt(code: ReaderErrorCode, place: Place, what: { zh: string; en: string }, extra: Record<string, unknown> = {}): BadRequestError {
  const p = placeText(place);
  const zh = p.zh ? `${p.zh}：${what.zh}` : what.zh;
  const en = p.en ? `${capitalise(p.en)}: ${what.en}` : capitalise(what.en);
  return readerError(code, zh, en, { ...placeDetails(place), ...extra });
}

function placeDetails(place: Place): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (place.line !== undefined) d.line = place.line;
  if (place.row !== undefined) d.row = place.row;
  if (place.column !== undefined) d.column = place.column;
  return d;
}

function capitalise(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}

export function emptyFile(): BadRequestError {
  return readerError('empty_file', '文件为空：没有表头，也没有数据', 'The file is empty: no header and no data');
}

export function fileTooLarge(maxBytes: number, seen: number): BadRequestError {
  return readerError('file_too_large', `文件超过大小上限 ${formatBytes(maxBytes)}`, `The file is larger than the limit of ${formatBytes(maxBytes)}`, {
    maxBytes,
    bytes: seen,
  });
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${+(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** A NUL character, which PostgreSQL cannot store in text (and which no honest table holds). */
export function nulByteAt(place: Place): BadRequestError {
  return errorAt('nul_byte', place, {
    zh: '含有 NUL 字节（0x00），无法存储；文件可能已损坏，或不是文本文件',
    en: 'holds a NUL byte (0x00), which cannot be stored; the file may be damaged or not text',
  });
}

/** Deepest nesting of objects and arrays accepted in one JSON record. */
export const MAX_JSON_DEPTH = 64;

export function tooDeepAt(place: Place, depth: number): BadRequestError {
  return errorAt(
    'too_deep',
    place,
    { zh: `JSON 嵌套超过 ${MAX_JSON_DEPTH} 层（至少 ${depth} 层）`, en: `JSON is nested more than ${MAX_JSON_DEPTH} levels deep (at least ${depth})` },
    { maxDepth: MAX_JSON_DEPTH, depth },
  );
}
