/**
 * Delimited text (CSV/TSV) as a stream of rows: bytes → UTF-8 (transcoded when needed) → csv-parse.
 * Each row's line is where its record starts, computed from csv-parse's `info` (the line a record
 * ends on, plus the blank lines it skipped), so multi-line quoted values keep line numbers right.
 */
import { Readable } from 'node:stream';
import { CsvError, Parser, type Info, type Options } from 'csv-parse';
import type { DetectedEncoding } from './encoding.ts';
import { createTranscoder, decodeSample } from './encoding.ts';
import { emptyFile, errorAt, readerError } from './errors.ts';
import { normaliseHeader } from './header.ts';
import { detectDelimiter, detectQuote } from './sniff.ts';
import type { ByteSource } from './source.ts';
import type { TableReader, TableRow } from './types.ts';
import { firstReplacement, undecodableAt, wrongFieldCount } from './rows.ts';

/** A single record larger than this is refused rather than buffered (bytes of UTF-8). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export async function openDelimited(
  source: ByteSource,
  encoding: DetectedEncoding,
  format: 'csv' | 'tsv',
  delimiterOption: string | undefined,
): Promise<TableReader> {
  const sample = decodeSample(source.head, encoding);
  if (sample.trim() === '' && source.complete) {
    source.close();
    throw emptyFile();
  }
  const delimiter = delimiterOption ?? (format === 'tsv' ? '\t' : detectDelimiter(sample, source.complete));
  const quote = detectQuote(sample, delimiter);
  const transcoder = createTranscoder(encoding);

  async function* utf8Chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of source.chunks()) {
      const out = transcoder.write(chunk);
      if (out.length > 0) yield out;
    }
    const rest = transcoder.end();
    if (rest.length > 0) yield rest;
  }

  // Rows are shaped as csv-parse pushes each record (see RowParser): the line bookkeeping is then
  // exact even when an error arrives while earlier rows are still queued.
  let lastEndLine = 0;
  let lastEmptyLines = 0;
  let columns: string[] | undefined;
  let width = 0;
  const shape = (record: string[], info: Info): TableRow => {
    const line = lastEndLine + 1 + (info.empty_lines - lastEmptyLines);
    lastEndLine = info.lines;
    lastEmptyLines = info.empty_lines;
    if (columns === undefined) {
      if (transcoder.suspect) {
        const bad = firstReplacement(record);
        if (bad >= 0) throw undecodableAt({ line }, `#${bad + 1}`, encoding.name);
      }
      columns = normaliseHeader(record);
      width = columns.length;
      return { line, values: record };
    }
    if (record.length !== width) throw wrongFieldCount(line, record.length, columns);
    if (transcoder.suspect) {
      const bad = firstReplacement(record);
      if (bad >= 0) throw undecodableAt({ line }, columns[bad]!, encoding.name);
    }
    const values: (string | null)[] = record;
    for (let i = 0; i < width; i++) if (record[i] === '') values[i] = null;
    return { line, values };
  };

  const parser = new RowParser(
    {
      delimiter,
      quote: quote ?? false,
      escape: quote ?? '"',
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_BYTES,
    },
    shape,
  );
  const input = Readable.from(utf8Chunks());
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<TableRow>;

  const stop = (): void => {
    input.destroy();
    parser.destroy();
    source.close();
  };
  const next = async (): Promise<IteratorResult<TableRow>> => {
    try {
      return await records.next();
    } catch (err) {
      stop();
      if (err instanceof CsvError) throw csvProblem(err, lastEndLine, lastEmptyLines, columns ?? []);
      throw err;
    }
  };

  const first = await next();
  if (first.done || columns === undefined) {
    stop();
    throw emptyFile();
  }
  const header = columns;

  async function* rows(): AsyncGenerator<TableRow> {
    try {
      for (;;) {
        const r = await next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      stop();
    }
  }

  const reader: TableReader = {
    format: delimiter === '\t' ? 'tsv' : format,
    encoding: encoding.name,
    delimiter,
    columns: header,
    rows: rows(),
    bytesRead: source.bytesRead,
  };
  return reader;
}

/**
 * csv-parse's Parser, shaping each record into a row at the moment it is pushed, when the parser's
 * live `info` describes exactly that record. (Its `info`/`on_record` options would do the same but
 * copy the info object twice per record, which costs more than the parsing of a short row.)
 */
class RowParser extends Parser {
  constructor(
    options: Options,
    private readonly shape: (record: string[], info: Info) => TableRow,
  ) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null);
    if (this.destroyed) return false;
    let row: TableRow;
    try {
      row = this.shape(chunk as string[], this.info);
    } catch (err) {
      this.destroy(err as Error);
      return false;
    }
    return super.push(row, encoding);
  }
}

/** Turn a csv-parse error into ours, with the line the broken record starts on and the column. */
function csvProblem(err: CsvError, lastEndLine: number, lastEmptyLines: number, columns: string[]): Error {
  const e = err as CsvError & Partial<Info> & { column?: number | string | null };
  const emptySince = typeof e.empty_lines === 'number' ? e.empty_lines - lastEmptyLines : 0;
  const line = lastEndLine + 1 + Math.max(0, emptySince);
  const column = typeof e.column === 'number' ? (columns[e.column] ?? `#${e.column + 1}`) : undefined;
  const place = column === undefined ? { line } : { line, column };
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return errorAt('unclosed_quote', place, {
        zh: '引号未闭合(从此处起到文件末尾都在引号内)',
        en: 'quote is never closed (everything from here to the end of the file is inside it)',
      });
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
      return errorAt('bad_quote', place, {
        zh: '引号使用有误:值中的引号须写成两个双引号(""),且整个值用引号括起',
        en: 'misplaced quote: a quote inside a value must be doubled ("") and the whole value quoted',
      });
    case 'CSV_MAX_RECORD_SIZE':
      return errorAt('record_too_large', place, {
        zh: `一条记录超过 ${MAX_RECORD_BYTES / 1024 / 1024} MiB,可能是引号未闭合`,
        en: `a record is larger than ${MAX_RECORD_BYTES / 1024 / 1024} MiB; perhaps a quote is not closed`,
      });
    default:
      return readerError('invalid_csv', `第 ${line} 行:无法解析(${err.message})`, `Line ${line}: cannot parse (${err.message})`, {
        line,
        reason: err.code,
      });
  }
}
