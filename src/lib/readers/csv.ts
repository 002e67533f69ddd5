/**
 * Delimited text (CSV/TSV) as a stream of rows: bytes → UTF-8 (transcoded when needed) → the
 * CsvTokenizer (see csv-tokenizer.ts for why it is not csv-parse). Each row's line is the line its
 * record starts on, so multi-line quoted values keep later line numbers right.
 */
import type { DetectedEncoding } from './encoding.ts';
import { createTranscoder, decodeSample } from './encoding.ts';
import { CsvSyntaxError, CsvTokenizer } from './csv-tokenizer.ts';
import { emptyFile, errorAt, nulByteAt, readerError } from './errors.ts';
import { normaliseHeader } from './header.ts';
import { firstReplacement, undecodableAt, wrongFieldCount } from './rows.ts';
import { detectDelimiter, detectQuote } from './sniff.ts';
import type { ByteSource } from './source.ts';
import type { TableReader, TableRow } from './types.ts';

/** A single record larger than this is refused rather than buffered (bytes of UTF-8). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export async function openDelimited(
  source: ByteSource,
  encoding: DetectedEncoding,
  format: 'csv' | 'tsv',
  delimiterOption: string | undefined,
): Promise<TableReader> {
  const sample = decodeSample(source.head, encoding);
  if (sample.trim() === '' && source.complete) throw emptyFile();
  if (delimiterOption !== undefined && !/^[\x01-\x7f]$/.test(delimiterOption)) {
    throw readerError(
      'invalid_delimiter',
      `分隔符须为单个 ASCII 字符，收到“${delimiterOption}”`,
      `The delimiter must be one ASCII character, got "${delimiterOption}"`,
      {
        delimiter: delimiterOption,
      },
    );
  }
  const delimiter = delimiterOption ?? (format === 'tsv' ? '\t' : detectDelimiter(sample, source.complete));
  const quote = detectQuote(sample, delimiter);
  // Old Mac files end lines with a lone CR; everything else with LF (or CRLF).
  const eol = !sample.includes('\n') && sample.includes('\r') ? '\r' : '\n';
  const transcoder = createTranscoder(encoding);

  let columns: string[] | undefined;
  let width = 0;
  let batch: TableRow[] = [];
  // Set once a chunk holds a NUL byte (one native scan per chunk); only then are records searched.
  let nul = false;
  const shape = (record: string[], line: number): void => {
    if (nul) {
      const bad = record.findIndex((v) => v.includes('\u0000'));
      if (bad >= 0) throw nulByteAt({ line, column: columns?.[bad] ?? `#${bad + 1}` });
    }
    if (columns === undefined) {
      if (transcoder.suspect) {
        const bad = firstReplacement(record);
        if (bad >= 0) throw undecodableAt({ line }, `#${bad + 1}`, encoding.name);
      }
      columns = normaliseHeader(record);
      width = columns.length;
      return;
    }
    if (record.length !== width) throw wrongFieldCount(line, record.length, columns);
    if (transcoder.suspect) {
      const bad = firstReplacement(record);
      if (bad >= 0) throw undecodableAt({ line }, columns[bad]!, encoding.name);
    }
    const values: (string | null)[] = record;
    for (let i = 0; i < width; i++) if (record[i] === '') values[i] = null;
    batch.push({ line, values });
  };
  const tokenizer = new CsvTokenizer({ delimiter, quote, eol, maxRecordBytes: MAX_RECORD_BYTES }, shape);

  const chunks = source.chunks();
  let ended = false;
  /** Rows parsed from the next chunk (possibly none); undefined once the input is exhausted. */
  const nextBatch = async (): Promise<TableRow[] | undefined> => {
    if (ended) return undefined;
    batch = [];
    try {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        const rest = transcoder.end();
        nul ||= rest.includes(0);
        if (rest.length > 0) tokenizer.write(rest);
        tokenizer.end();
      } else {
        const bytes = transcoder.write(next.value);
        nul ||= bytes.includes(0);
        if (bytes.length > 0) tokenizer.write(bytes);
      }
    } catch (err) {
      source.close();
      if (err instanceof CsvSyntaxError) throw syntaxProblem(err, columns ?? []);
      throw err;
    }
    return batch;
  };

  // Read until the header is known.
  let pending: TableRow[] = [];
  while (columns === undefined) {
    const rows = await nextBatch();
    if (rows === undefined) throw emptyFile();
    pending = rows;
  }
  const header: string[] = columns;

  async function* rows(): AsyncGenerator<TableRow> {
    try {
      for (let b: TableRow[] | undefined = pending; b !== undefined; b = await nextBatch()) {
        for (let i = 0; i < b.length; i++) yield b[i]!;
      }
    } finally {
      source.close();
    }
  }

  return {
    format: delimiter === '\t' ? 'tsv' : format,
    encoding: encoding.name,
    delimiter,
    columns: header,
    rows: rows(),
    bytesRead: source.bytesRead,
  };
}

/** A tokenizer error as ours, naming the line the broken record starts on and the column. */
function syntaxProblem(err: CsvSyntaxError, columns: string[]): Error {
  const column = columns[err.field] ?? `#${err.field + 1}`;
  const place = { line: err.line, column };
  switch (err.kind) {
    case 'unclosed_quote':
      return errorAt('unclosed_quote', place, {
        zh: '引号未闭合（从此处起到文件末尾都在引号内）',
        en: 'quote is never closed (everything from here to the end of the file is inside it)',
      });
    case 'bad_quote':
      return errorAt('bad_quote', place, {
        zh: '引号使用有误：值中的引号须写成两个双引号（""），且整个值用引号括起',
        en: 'misplaced quote: a quote inside a value must be doubled ("") and the whole value quoted',
      });
    case 'record_too_large':
      return errorAt(
        'record_too_large',
        { line: err.line },
        {
          zh: `一条记录超过 ${MAX_RECORD_BYTES / 1024 / 1024} MiB，可能是引号未闭合`,
          en: `a record is larger than ${MAX_RECORD_BYTES / 1024 / 1024} MiB; perhaps a quote is not closed`,
        },
      );
  }
}
