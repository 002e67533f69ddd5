/**
 * Streaming table readers: a file or an upload in, a header and an async stream of rows out, in
 * memory that does not grow with the file. The contract is fixed in /work/briefs/readers.md.
 *
 *   const table = await openTable('/path/data.csv', { maxBytes: 1 << 30 });
 *   for await (const row of table.rows) use(row.line, row.values);
 *
 * Errors are BadRequestError with codes: empty_file, unclosed_quote, bad_quote, wrong_field_count,
 * undecodable_bytes, not_xlsx, invalid_json, file_too_large, unsupported_format,
 * unsupported_encoding, record_too_large, sheet_not_found, invalid_delimiter, nul_byte, too_deep.
 */
import { detectEncoding, decodeSample, namedEncoding } from './encoding.ts';
import { emptyFile, readerError } from './errors.ts';
import { openDelimited } from './csv.ts';
import { openJsonArray, openNdjson } from './json.ts';
import { formatFromBytes, formatFromName } from './sniff.ts';
import { openSource, type ByteSource } from './source.ts';
import type { OpenTableOptions, TableFormat, TableReader } from './types.ts';
import { openXlsx, WorkbookReadRace } from './xlsx.ts';

export type { OpenTableOptions, TableFormat, TableReader, TableRow, XlsxLimits } from './types.ts';
export { XLSX_DEFAULTS } from './types.ts';

const FORMATS: readonly TableFormat[] = ['csv', 'tsv', 'json', 'ndjson', 'xlsx'];

/** input: a file path or a Readable of raw bytes (an upload). name: used to guess the format. */
export async function openTable(input: string | NodeJS.ReadableStream, options: OpenTableOptions & { name?: string } = {}): Promise<TableReader> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(input, options);
    } catch (err) {
      if (!(err instanceof WorkbookReadRace)) throw err;
      // A file on disk is read again (xlsx.ts, WorkbookReadRace); an upload stream cannot be.
      if (typeof input !== 'string' || attempt === 3) throw err.refusal;
    }
  }
}

async function openOnce(input: string | NodeJS.ReadableStream, options: OpenTableOptions & { name?: string }): Promise<TableReader> {
  if (options.format !== undefined && !FORMATS.includes(options.format)) throw unsupportedFormat(String(options.format));
  const named = options.encoding !== undefined ? namedEncoding(options.encoding) : undefined;
  const source = await openSource(input, options.maxBytes);
  try {
    return await openFromSource(source, options, options.name ?? (typeof input === 'string' ? input : undefined), named);
  } catch (err) {
    source.close();
    throw err;
  }
}

async function openFromSource(
  source: ByteSource,
  options: OpenTableOptions,
  name: string | undefined,
  named: ReturnType<typeof namedEncoding> | undefined,
): Promise<TableReader> {
  if (source.head.length === 0) throw emptyFile();
  const byName = options.format ?? formatFromName(name);
  if (byName === 'unknown') throw unsupportedFormat(name ?? '');
  if (byName === 'xlsx' || byName === 'xls') return openXlsx(source, options.sheet, options.xlsx);

  const encoding = named ?? detectEncoding(source.head, source.complete);
  const sampleText = decodeSample(source.head, encoding);
  const byBytes = formatFromBytes(source.head, sampleText);
  // A zip or OLE file is a spreadsheet whatever its name says; xlsx decides whether it is a good one.
  if (byBytes === 'xlsx' || byBytes === 'xls') {
    if (options.format === undefined) return openXlsx(source, options.sheet, options.xlsx);
  }
  if (byBytes === undefined) throw unsupportedFormat(name ?? '');

  let format: TableFormat;
  if (byName === 'sniff') format = byBytes === 'xls' ? 'csv' : byBytes;
  else format = byName;
  // A .json file of one object per line is NDJSON in all but name.
  if (format === 'json' && byBytes === 'ndjson' && options.format === undefined) format = 'ndjson';

  switch (format) {
    case 'csv':
    case 'tsv':
      return openDelimited(source, encoding, format, options.delimiter);
    case 'json':
      return openJsonArray(source, encoding);
    case 'ndjson':
      return openNdjson(source, encoding);
    case 'xlsx':
      return openXlsx(source, options.sheet, options.xlsx);
  }
}

function unsupportedFormat(what: string) {
  return readerError(
    'unsupported_format',
    `不支持的文件格式${what ? `“${what}”` : ''}：支持 CSV、TSV、JSON、NDJSON、XLSX`,
    `Unsupported file format${what ? ` "${what}"` : ''}: CSV, TSV, JSON, NDJSON and XLSX are supported`,
    { name: what },
  );
}
