/**
 * `pdx scan --redact FILE`: a redacted copy of a text or table file, for officers preparing a file
 * for release. The copy keeps the file's format and encoding (GBK stays GBK, CRLF stays CRLF, a BOM
 * stays); memory stays flat with the file size.
 *
 * - Text: every span the free-text scanner finds is replaced (masked or by a typed placeholder).
 * - Tables (CSV/TSV/JSON/NDJSON/XLSX): the file is classified first; a column of a detected type is
 *   masked value by value (standards.md §3, as a masked grant would); every other cell, free text
 *   or not, is redacted like text, so a stray phone number in a remarks column does not get out.
 *   JSON values are written back as text (the readers read every value as text).
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { loadExcel } from '../../heavy.ts';
import iconv from 'iconv-lite';
import { openTable } from '../../lib/readers/index.ts';
import { mask } from '../../lib/mask.ts';
import { createRedactor, redactText, type RedactStyle } from './redact.ts';
import { isTableName, scanTable, decodeText, type TextEncoding } from './scan.ts';
import type { TypeId } from './types.ts';

export interface RedactFileResult {
  kind: 'text' | 'table';
  output: string;
  /** Table: the columns masked by type, and those redacted as text. */
  masked?: { column: string; type: TypeId }[];
}

/** `notes.txt` → `notes.redacted.txt`. */
export function defaultRedactedName(file: string): string {
  const dot = file.lastIndexOf('.');
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return dot > slash + 1 ? `${file.slice(0, dot)}.redacted${file.slice(dot)}` : `${file}.redacted`;
}

async function write(out: WriteStream, data: string | Buffer): Promise<void> {
  if (!out.write(data)) await once(out, 'drain');
}

async function close(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

/** Writes text in an encoding: UTF-8 as is, anything else through iconv-lite. */
function encoderFor(encoding: TextEncoding['encoding']): (text: string) => Buffer {
  if (encoding.decodeAs === 'utf-8') return (text) => Buffer.from(text, 'utf8');
  const encoder = iconv.getEncoder(encoding.decodeAs);
  return (text) => encoder.write(text);
}

async function redactTextFile(file: string, output: string, style: RedactStyle): Promise<void> {
  const out = createWriteStream(output);
  const redactor = createRedactor(style);
  let encode: ((text: string) => Buffer) | undefined;
  const onEncoding = (e: TextEncoding) => {
    encode = encoderFor(e.encoding);
    // the BOM is written back as it was
    if (e.bom) out.write(encode('\ufeff'));
  };
  try {
    for await (const chunk of decodeText(createReadStream(file, { highWaterMark: 1 << 20 }), onEncoding)) {
      const text = redactor.push(chunk);
      if (text) await write(out, encode!(text));
    }
    const rest = redactor.end();
    if (rest) await write(out, encode ? encode(rest) : Buffer.from(rest));
  } finally {
    await close(out);
  }
}

function csvField(value: string, delimiter: string): string {
  return value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Whether the first bytes of a file use CRLF line ends, and whether it starts with a UTF-8 byte-order mark. */
async function fileStart(file: string): Promise<{ crlf: boolean; bom: boolean }> {
  for await (const chunk of createReadStream(file, { start: 0, end: 65535 })) {
    const b = chunk as Buffer;
    return { crlf: b.includes('\r\n'), bom: b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf };
  }
  return { crlf: false, bom: false };
}

async function redactTableFile(file: string, output: string, style: RedactStyle, encoding?: string): Promise<RedactFileResult> {
  const classification = await scanTable(file, file, encoding ? { encoding } : {});
  const types = classification.result.columns.map((c) => (c.text ? undefined : c.types[0]?.type));
  const reader = await openTable(file, { name: file, ...(encoding ? { encoding } : {}) });
  const cell = (value: string | null, i: number): string | null => {
    if (value === null || value === '') return value;
    const type = types[i];
    return type ? mask(type, value) : redactText(value, style);
  };
  const masked = reader.columns.flatMap((column, i) => (types[i] ? [{ column, type: types[i]! }] : []));

  if (reader.format === 'xlsx') {
    const ExcelJS = await loadExcel();
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: output, useSharedStrings: false });
    const sheet = workbook.addWorksheet('Sheet1');
    sheet.addRow(reader.columns).commit();
    for await (const row of reader.rows) sheet.addRow(row.values.map(cell)).commit();
    await workbook.commit();
    return { kind: 'table', output, masked };
  }

  const out = createWriteStream(output);
  try {
    if (reader.format === 'csv' || reader.format === 'tsv') {
      const delimiter = reader.delimiter ?? (reader.format === 'tsv' ? '\t' : ',');
      const start = await fileStart(file);
      const eol = start.crlf ? '\r\n' : '\n';
      const encode = encoderFor({ name: reader.encoding, decodeAs: reader.encoding });
      if (start.bom) await write(out, encode('\ufeff'));
      const line = (values: (string | null)[]) => values.map((v) => csvField(v ?? '', delimiter)).join(delimiter) + eol;
      await write(out, encode(line(reader.columns)));
      let batch = '';
      for await (const row of reader.rows) {
        batch += line(row.values.map(cell));
        if (batch.length >= 1 << 16) {
          await write(out, encode(batch));
          batch = '';
        }
      }
      if (batch) await write(out, encode(batch));
    } else {
      const json = reader.format === 'json';
      if (json) await write(out, '[\n');
      let first = true;
      for await (const row of reader.rows) {
        const object = Object.fromEntries(reader.columns.map((c, i) => [c, cell(row.values[i] ?? null, i)]));
        await write(out, `${json && !first ? ',\n' : ''}${JSON.stringify(object)}${json ? '' : '\n'}`);
        first = false;
      }
      if (json) await write(out, '\n]\n');
    }
  } finally {
    await close(out);
  }
  return { kind: 'table', output, masked };
}

/** Writes a redacted copy of `file` to `output` (default: NAME.redacted.EXT beside it). */
export async function redactFile(file: string, options: { output?: string; style?: RedactStyle; encoding?: string } = {}): Promise<RedactFileResult> {
  const output = options.output ?? defaultRedactedName(file);
  const style = options.style ?? 'masked';
  if (isTableName(file)) return redactTableFile(file, output, style, options.encoding);
  await redactTextFile(file, output, style);
  return { kind: 'text', output };
}
