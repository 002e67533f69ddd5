/** The contract of the streaming table readers (see /work/briefs/readers.md). */

export type TableFormat = 'csv' | 'tsv' | 'json' | 'ndjson' | 'xlsx';

export interface OpenTableOptions {
  /** Default: from the file name, else sniffed from the first bytes. */
  format?: TableFormat;
  /** Default: detected (utf-8 with/without BOM, gbk, gb18030). */
  encoding?: string;
  /** csv/tsv only; default detected among , ; | and tab. */
  delimiter?: string;
  /** xlsx only: a sheet name, or its 1-based position among the workbook's tabs; default the first. */
  sheet?: string | number;
  /** Refuse input larger than this many bytes (error code 'file_too_large'). */
  maxBytes?: number;
  /** xlsx only: bounds of what a workbook may expand to (a zip bomb is refused, 'xlsx_too_large'). */
  xlsx?: Partial<XlsxLimits>;
}

/** Bounds of an XLSX read (PDX_XLSX_* variables). */
export interface XlsxLimits {
  /** Decompressed bytes of the shared-string table, which must be held in memory. */
  sharedStringsBytes: number;
  /** Entries of the shared-string table. */
  sharedStrings: number;
  /** Decompressed bytes of the sheet read. */
  sheetBytes: number;
}

/** The defaults of the PDX_XLSX_* variables (src/config.ts). */
export const XLSX_DEFAULTS: XlsxLimits = { sharedStringsBytes: 256 * 1024 * 1024, sharedStrings: 10_000_000, sheetBytes: 8 * 1024 ** 3 };

export interface TableRow {
  /** 1-based source line where the record starts (csv/tsv/ndjson), or row number (xlsx/json). */
  line: number;
  /** Exactly columns.length values; empty cells are null. */
  values: (string | null)[];
  /**
   * A database source's soft-deleted row (never set by a file reader): it is not classified or
   * loaded; the load removes the stored row of its key instead (LoadRequest.key is required).
   */
  deleted?: boolean;
}

export interface TableReader {
  /** 'database': rows read from a database source by the exchange module, not a file. */
  format: TableFormat | 'database';
  /** e.g. 'utf-8', 'gbk', 'gb18030' ('binary' for xlsx). */
  encoding: string;
  delimiter?: string;
  /** Header names, trimmed, BOM removed; empty names become column_N, repeated ones get _2, _3 … */
  columns: string[];
  /** Streamed once; each row has exactly columns.length values. */
  rows: AsyncIterable<TableRow>;
  /** Source bytes consumed so far (for progress). */
  bytesRead(): number;
}
