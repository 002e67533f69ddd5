/** Row encodings of the data path: JSON page, NDJSON and CSV (shared by the API and export files). */
import type { MaskedValue } from '../protect/masking.ts';

export type RecordFormat = 'json' | 'ndjson' | 'csv';

export const CONTENT_TYPES: Record<RecordFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** Picks the format from the Accept header: NDJSON or CSV when asked for, JSON otherwise. */
export function formatOf(accept: string | undefined): RecordFormat {
  const a = (accept ?? '').toLowerCase();
  if (a.includes('application/x-ndjson') || a.includes('application/ndjson')) return 'ndjson';
  if (a.includes('text/csv')) return 'csv';
  return 'json';
}

/**
 * One CSV field: quoted when needed; a text cell starting with = + - @ or a control character gets a
 * leading apostrophe so a spreadsheet never runs it as a formula.
 */
export function csvCell(value: MaskedValue | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly (MaskedValue | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** Encodes a chunk of rows; `first` tells JSON whether a separating comma is needed. */
export function encodeChunk(format: RecordFormat, columns: readonly string[], rows: readonly Record<string, MaskedValue>[], first: boolean): string {
  if (format === 'ndjson') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (format === 'csv') return rows.map((r) => csvLine(columns.map((c) => r[c]))).join('');
  const body = rows.map((r) => JSON.stringify(r)).join(',');
  return body === '' ? '' : first ? body : `,${body}`;
}

/** What comes before the rows (JSON opening, CSV header, UTF-8 BOM for spreadsheets). */
export function prologue(format: RecordFormat, columns: readonly string[], bom = false): string {
  if (format === 'json') return '{"rows":[';
  if (format === 'csv') return `${bom ? '\uFEFF' : ''}${csvLine(columns)}`;
  return '';
}

/** What comes after the rows (JSON: the next cursor). */
export function epilogue(format: RecordFormat, next: string | null): string {
  return format === 'json' ? `],"next":${JSON.stringify(next)}}` : '';
}
