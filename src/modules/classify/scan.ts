/**
 * `pdx scan` and POST /api/v1/scan: classify a file or an upload without server or database.
 * CSV/TSV/XLSX/JSON/NDJSON are read as tables through the streaming readers of the ingest module;
 * anything else is scanned as free text (decoded as UTF-8 or GBK/GB18030, streamed, flat memory).
 */
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import iconv from 'iconv-lite';
import { BadRequestError } from '../../errors.ts';
import { detectEncoding, type DetectedEncoding } from '../../lib/readers/encoding.ts';
import { openTable } from '../../lib/readers/index.ts';
import { classifyRows, type ClassifyOptions, type TableClassification } from './engine.ts';
import { scanTextStream } from './text.ts';
import type { ScanResult, TextFinding } from './types.ts';

/** Extensions read as tables; every other file is free text. */
export const TABLE_EXTENSIONS: ReadonlySet<string> = new Set(['.csv', '.tsv', '.xlsx', '.json', '.ndjson', '.jsonl']);

export interface ScanOptions extends ClassifyOptions {
  /** Refuse inputs larger than this (uploads). */
  maxBytes?: number;
  /** Table encoding override (default: detected). */
  encoding?: string;
}

export function isTableName(name: string): boolean {
  return TABLE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Classifies a table file or upload; the full result plus the details for the review queue. */
export async function scanTable(input: string | NodeJS.ReadableStream, name: string, options: ScanOptions = {}): Promise<TableClassification> {
  const reader = await openTable(input, { name, maxBytes: options.maxBytes, encoding: options.encoding });
  return classifyRows(reader.columns, reader.rows, options);
}

const SAMPLE_BYTES = 64 * 1024;

/** The encoding decodeText found, and whether the text started with a byte-order mark (for writing a copy back the same way). */
export interface TextEncoding {
  encoding: DetectedEncoding;
  bom: boolean;
}

/** Decodes a byte stream to text chunks: UTF-8 (with or without BOM), or what the prefix sample says (GBK, GB18030, UTF-16). */
export async function* decodeText(bytes: AsyncIterable<Buffer | string>, onEncoding?: (e: TextEncoding) => void): AsyncGenerator<string> {
  const head: Buffer[] = [];
  let headLength = 0;
  let decode: ((b: Buffer) => string) | null = null;
  let flush: () => string = () => '';
  const start = (complete: boolean) => {
    const sample = Buffer.concat(head);
    const encoding = detectEncoding(sample, complete);
    if (encoding.decodeAs === 'utf-8') {
      const d = new StringDecoder('utf8');
      decode = (b) => d.write(b);
      flush = () => d.end();
    } else {
      const d = iconv.getDecoder(encoding.decodeAs);
      decode = (b) => d.write(b);
      flush = () => d.end() ?? '';
    }
    const text = decode(sample);
    const bom = text.charCodeAt(0) === 0xfeff;
    onEncoding?.({ encoding, bom });
    return bom ? text.slice(1) : text;
  };
  for await (const chunk of bytes) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (decode) {
      yield (decode as (b: Buffer) => string)(b);
      continue;
    }
    head.push(b);
    headLength += b.length;
    if (headLength >= SAMPLE_BYTES) yield start(false);
  }
  if (!decode) yield start(true);
  const rest = flush();
  if (rest) yield rest;
}

/** Findings of a text file or upload, streamed. */
export function scanTextInput(input: string | NodeJS.ReadableStream): AsyncGenerator<TextFinding> {
  const bytes = typeof input === 'string' ? createReadStream(input, { highWaterMark: 1 << 20 }) : input;
  return scanTextStream(decodeText(bytes as AsyncIterable<Buffer>));
}

/**
 * The function behind POST /api/v1/scan: an uploaded file (its name decides table or text) classified
 * in memory that does not grow with its size (text findings are collected: they are the answer).
 */
export async function scanUpload(readable: NodeJS.ReadableStream, name: string, options: ScanOptions = {}): Promise<ScanResult> {
  if (isTableName(name)) return (await scanTable(readable, name, options)).result;
  const findings: TextFinding[] = [];
  const input = options.maxBytes === undefined ? readable : limitBytes(readable, options.maxBytes);
  for await (const f of scanTextInput(input)) findings.push(f);
  return { kind: 'text', findings };
}

function limitBytes(readable: NodeJS.ReadableStream, max: number): NodeJS.ReadableStream {
  async function* limited() {
    let total = 0;
    for await (const chunk of readable as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) {
        throw new BadRequestError('file_too_large', { zh: `文件超过 ${max} 字节上限`, en: `File exceeds the ${max}-byte limit` }, { maxBytes: max });
      }
      yield chunk;
    }
  }
  return limited() as unknown as NodeJS.ReadableStream;
}
