/**
 * XLSX through exceljs's streaming WorkbookReader: one chosen sheet, row by row. The header is the
 * sheet's first non-empty row. Shared strings are cached by exceljs (cells refer to them by index),
 * so their table is bounded here (PDX_XLSX_MAX_SHARED_STRINGS*): a small zip that inflates to
 * gigabytes of strings is refused at the bound instead of filling memory. The sheet itself streams,
 * and its decompressed size is bounded too (PDX_XLSX_MAX_UNZIPPED_BYTES); cells are never held
 * beyond their row.
 */
import { Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import type { BadRequestError } from '../../errors.ts';
import { loadExcel } from '../../heavy.ts';
import { emptyFile, errorAt, formatBytes, readerError } from './errors.ts';
import { normaliseHeader } from './header.ts';
import { hasMagic, OLE2_MAGIC, ZIP_MAGIC } from './sniff.ts';
import type { ByteSource } from './source.ts';
import { XLSX_DEFAULTS, type TableReader, type TableRow, type XlsxLimits } from './types.ts';

/** What exceljs's streaming reader exposes at run time but does not declare in its types. */
interface SheetReader extends AsyncIterable<ExcelJS.Row> {
  name?: string;
  id?: number;
}
interface BookReader extends AsyncIterable<SheetReader> {
  model?: { sheets?: { name: string; id: number; rId: string }[] };
  sharedStrings?: unknown[];
  // exceljs's internal steps, wrapped below to count what the zip inflates to.
  _parseSharedStrings(entry: NodeJS.ReadableStream): AsyncGenerator<unknown>;
  _parseWorksheet(iterator: AsyncIterable<Buffer>, sheetNo: string): Generator<unknown>;
}

function tooLarge(what: { zh: string; en: string }, limit: number, variable: string) {
  return readerError(
    'xlsx_too_large',
    `工作簿${what.zh}超过上限 ${formatBytes(limit)}(${variable})，已拒绝；可能是压缩炸弹`,
    `The workbook's ${what.en} exceeds the limit of ${formatBytes(limit)} (${variable}); refused (possibly a zip bomb)`,
    { limit, variable },
  );
}

/** Counts the bytes of a stream, failing it once they pass `limit`. */
async function* bounded(chunks: AsyncIterable<Buffer | string>, limit: number, onOver: () => Error, each?: () => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of chunks) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += b.length;
    if (total > limit) throw onOver();
    each?.();
    yield b;
  }
}

/** Bounds exceljs's reading of the shared strings and of worksheets by what they inflate to. */
function limit(book: BookReader, limits: XlsxLimits): void {
  const strings = book._parseSharedStrings.bind(book);
  const worksheet = book._parseWorksheet.bind(book);
  const over = () => tooLarge({ zh: '共享字符串表', en: 'shared-string table' }, limits.sharedStringsBytes, 'PDX_XLSX_MAX_SHARED_STRINGS_BYTES');
  const count = () => {
    if ((book.sharedStrings?.length ?? 0) > limits.sharedStrings) {
      throw readerError(
        'xlsx_too_large',
        `工作簿的共享字符串超过 ${limits.sharedStrings} 个（PDX_XLSX_MAX_SHARED_STRINGS），已拒绝`,
        `The workbook has more than ${limits.sharedStrings} shared strings (PDX_XLSX_MAX_SHARED_STRINGS); refused`,
        { limit: limits.sharedStrings, variable: 'PDX_XLSX_MAX_SHARED_STRINGS' },
      );
    }
  };
  book._parseSharedStrings = (entry) => strings(Readable.from(bounded(entry as AsyncIterable<Buffer>, limits.sharedStringsBytes, over, count)));
  book._parseWorksheet = (iterator, sheetNo) => {
    // A sheet exceljs parked in a temp file and that is not read (not the chosen one) has its file
    // removed by exceljs while the file's stream may still be opening: its error is no one's, and
    // unheard it would end the process.
    if (iterator instanceof Readable) iterator.on('error', () => undefined);
    return worksheet(
      bounded(iterator, limits.sheetBytes, () => tooLarge({ zh: '工作表', en: 'sheet' }, limits.sheetBytes, 'PDX_XLSX_MAX_UNZIPPED_BYTES')),
      sheetNo,
    );
  };
}

export async function openXlsx(source: ByteSource, sheet: string | number | undefined, limits: Partial<XlsxLimits> = {}): Promise<TableReader> {
  if (source.head.length === 0) {
    source.close();
    throw emptyFile();
  }
  if (!hasMagic(source.head, ZIP_MAGIC)) {
    source.close();
    throw notXlsx(hasMagic(source.head, OLE2_MAGIC));
  }
  const input = Readable.from(source.chunks());
  const ExcelJS = await loadExcel();
  const book = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache', // needed to tell date cells from numbers
    hyperlinks: 'ignore',
    entries: 'ignore',
  }) as unknown as BookReader;
  limit(book, { ...XLSX_DEFAULTS, ...limits });

  const seenNames: string[] = [];
  async function* sheetRows(): AsyncGenerator<ExcelJS.Row> {
    let found = false;
    for await (const ws of book) {
      if (found) continue; // later sheets are drained by exceljs, not read
      const wanted = wantedSheetName(book, sheet);
      if (ws.name !== undefined) seenNames.push(ws.name);
      const match = wanted === undefined || ws.name === wanted;
      if (!match) continue;
      found = true;
      yield* ws;
    }
    if (!found) throw sheetNotFound(sheet, book.model?.sheets?.map((s) => s.name) ?? seenNames);
  }

  const it = sheetRows();
  const close = async (): Promise<void> => {
    input.destroy();
    source.close();
  };
  const next = async (): Promise<IteratorResult<ExcelJS.Row>> => {
    try {
      return await it.next();
    } catch (err) {
      await close();
      if (isAppError(err)) throw err;
      if (err instanceof TypeError && /reading 'sheets'/.test(err.message)) throw new WorkbookReadRace(notXlsx(false, err));
      throw notXlsx(false, err);
    }
  };

  const first = await next();
  if (first.done) {
    await close();
    throw emptyFile();
  }
  const headerCells = rowTexts(first.value);
  const columns = normaliseHeader(headerCells);
  const width = columns.length;

  async function* rows(): AsyncGenerator<TableRow> {
    try {
      for (;;) {
        const r = await next();
        if (r.done) return;
        const values = rowTexts(r.value);
        if (values.length > width) {
          const extra = values.findIndex((v, i) => i >= width && v !== null);
          if (extra >= 0) {
            throw errorAt(
              'wrong_field_count',
              { row: r.value.number, column: columnLetter(extra + 1) },
              {
                zh: `在表头之外的第 ${extra + 1} 列（${columnLetter(extra + 1)} 列）有值，表头只有 ${width} 列`,
                en: `has a value in column ${extra + 1} (${columnLetter(extra + 1)}), beyond the ${width} columns of the header`,
              },
              { expected: width, actual: extra + 1 },
            );
          }
          values.length = width;
        }
        while (values.length < width) values.push(null);
        yield { line: r.value.number, values };
      }
    } finally {
      await it.return(undefined);
      await close();
    }
  }

  return { format: 'xlsx', encoding: 'binary', columns, rows: rows(), bytesRead: source.bytesRead };
}

/** The name of the sheet to read, once exceljs has read the workbook part (usually the first). */
function wantedSheetName(book: BookReader, sheet: string | number | undefined): string | undefined {
  if (typeof sheet === 'string') return sheet;
  const sheets = book.model?.sheets;
  if (!sheets) return undefined;
  const position = typeof sheet === 'number' ? sheet : 1;
  return sheets[position - 1]?.name ?? `#${position}`;
}

/** Cell texts of a row, 0-based, up to its last cell; empty cells null. */
function rowTexts(row: ExcelJS.Row): (string | null)[] {
  const out: (string | null)[] = [];
  row.eachCell({ includeEmpty: false }, (cell, col) => {
    while (out.length < col - 1) out.push(null);
    out[col - 1] = cellText(cell.value);
  });
  return out;
}

/** A cell's value as text: numbers as Excel shows them (15 significant digits), dates ISO, formulas by result. */
export function cellText(v: ExcelJS.CellValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return dateText(v) || null;
  if ('richText' in v) return cellText(v.richText.map((part) => part.text).join(''));
  if ('formula' in v || 'sharedFormula' in v) return cellText((v as { result?: ExcelJS.CellValue }).result);
  if ('text' in v) return cellText((v as { text: ExcelJS.CellValue }).text);
  if ('error' in v) return String(v.error);
  return String(v);
}

function numberText(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(15)));
}

function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString(); // exceljs builds dates in UTC from the serial number
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export function columnLetter(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

/**
 * exceljs's streaming reader now and then finds no workbook part by the time it parses the first
 * sheet of a valid workbook ("Cannot read properties of undefined (reading 'sheets')", exceljs issue
 * #962), about one read in a hundred on a busy machine and with exceljs alone. It happens before any
 * row is handed out, so a file on disk is simply read again (openTable); a stream cannot be, and gets
 * `refusal`.
 */
export class WorkbookReadRace extends Error {
  constructor(readonly refusal: BadRequestError) {
    super(refusal.message);
  }
}

function notXlsx(oldXls: boolean, cause?: unknown) {
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return oldXls
    ? readerError(
        'not_xlsx',
        '这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传',
        'This is an old Excel (.xls) file; save it as .xlsx in Excel and upload again',
      )
    : readerError('not_xlsx', `不是有效的 XLSX 文件${why}`, `Not a valid XLSX file${why}`);
}

function sheetNotFound(sheet: string | number | undefined, names: string[]) {
  const label = sheet === undefined ? '' : String(sheet);
  return readerError(
    'sheet_not_found',
    `工作簿中没有工作表“${label}”（现有：${names.join('、') || '无'}）`,
    `The workbook has no sheet "${label}" (it has: ${names.join(', ') || 'none'})`,
    { sheet: label, sheets: names },
  );
}

function isAppError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && 'status' in err;
}
