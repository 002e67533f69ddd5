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
}

export interface TableRow {
  /** 1-based source line where the record starts (csv/tsv/ndjson), or row number (xlsx/json). */
  line: number;
  /** Exactly columns.length values; empty cells are null. */
  values: (string | null)[];
}

export interface TableReader {
  format: TableFormat;
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
