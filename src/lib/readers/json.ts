/**
 * JSON inputs: a top-level array of objects (streamed with stream-json, numbers kept as their source
 * text), or NDJSON (one object per line, parsed line by line). The header is the union of the keys of
 * the first HEADER_SAMPLE objects, in order of first appearance; a later object with a key outside it
 * is an error naming the row and the key (a column is never silently dropped). A missing key is null.
 */
import { StringDecoder } from 'node:string_decoder';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import streamArray from 'stream-json/streamers/stream-array.js';
import type { DetectedEncoding } from './encoding.ts';
import { createTranscoder, decodeSample } from './encoding.ts';
import { emptyFile, errorAt, MAX_JSON_DEPTH, nulByteAt, tooDeepAt } from './errors.ts';
import { normaliseHeader } from './header.ts';
import { firstReplacement, undecodableAt } from './rows.ts';
import type { ByteSource } from './source.ts';
import type { TableReader, TableRow } from './types.ts';
import { MAX_RECORD_BYTES } from './csv.ts';
import { JsonTooDeep, jsonCell, quoteNumbers } from './values.ts';

/** How many leading objects are read to learn the columns. */
export const HEADER_SAMPLE = 100;

/** One parsed record before it is laid out by columns: its place and its object. */
interface RawRecord {
  line: number;
  object: Record<string, unknown>;
}

type Place = { line: number } | { row: number };

/** An element of the top-level array, as stream-json's streamArray hands it out. */
interface ArrayItem {
  key: number;
  value: unknown;
}

export async function openJsonArray(source: ByteSource, encoding: DetectedEncoding): Promise<TableReader> {
  const transcoder = createTranscoder(encoding);
  let lastRow = 0;

  // withParser() is fed chunk by chunk, so every element before a syntax error has been handed out
  // (and counted) when the error surfaces: the row it names is the one that is broken.
  async function* records(): AsyncGenerator<RawRecord> {
    // Every token passes the filter: an element nested too deep is refused while it is assembled,
    // before its depth can reach anything recursive.
    // The filter sees depth 1 once for the opening bracket and once as each element completes.
    let atTop = 0;
    const tooDeep = (asm: { depth: number }) => {
      if (asm.depth === 1) atTop++;
      else if (asm.depth > MAX_JSON_DEPTH + 1) throw tooDeepAt({ row: atTop }, asm.depth - 1);
      return undefined;
    };
    const parse = streamArray.withParser({ numberAsString: true, objectFilter: tooDeep, includeUndecided: true });
    const take = function* (item: ArrayItem): Generator<RawRecord> {
      lastRow = item.key + 1;
      if (!isPlainObject(item.value)) throw notAnObject({ row: lastRow });
      yield { line: lastRow, object: item.value };
    };
    const text = new StringDecoder('utf8');
    try {
      for await (const chunk of transcoded(source, transcoder)) {
        for await (const item of outputs<ArrayItem>(parse(text.write(chunk)))) yield* take(item);
      }
      for await (const item of outputs<ArrayItem>(parse(text.end()))) yield* take(item);
      for await (const item of outputs<ArrayItem>(parse(none as never))) yield* take(item);
    } catch (err) {
      if (isBadRequest(err)) throw err;
      throw errorAt('invalid_json', { row: lastRow + 1 }, { zh: `JSON 格式错误（${jsonReason(err)}）`, en: `invalid JSON (${jsonReason(err)})` });
    } finally {
      source.close();
    }
  }
  return tableFromRecords(source, encoding, 'json', records(), transcoder, (line) => ({ row: line }));
}

export async function openNdjson(source: ByteSource, encoding: DetectedEncoding): Promise<TableReader> {
  const transcoder = createTranscoder(encoding);

  async function* records(): AsyncGenerator<RawRecord> {
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let line = 0;
    const parseLine = (text: string): RawRecord | undefined => {
      line++;
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim() === '') return undefined;
      let value: unknown;
      try {
        value = JSON.parse(quoteNumbers(text, MAX_JSON_DEPTH));
      } catch (err) {
        if (err instanceof JsonTooDeep) throw tooDeepAt({ line }, err.depth);
        throw errorAt('invalid_json', { line }, { zh: `JSON 格式错误（${jsonReason(err)}）`, en: `invalid JSON (${jsonReason(err)})` });
      }
      if (!isPlainObject(value)) throw notAnObject({ line });
      return { line, object: value };
    };
    try {
      for await (const chunk of transcoded(source, transcoder)) {
        const text = carry + decoder.write(chunk);
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          const record = parseLine(text.slice(start, nl));
          start = nl + 1;
          if (record) yield record;
        }
        carry = text.slice(start);
        if (carry.length > MAX_RECORD_BYTES) {
          throw errorAt(
            'record_too_large',
            { line: line + 1 },
            {
              zh: `一行超过 ${MAX_RECORD_BYTES / 1024 / 1024} MiB`,
              en: `a line is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB`,
            },
          );
        }
      }
      const last = parseLine(carry + decoder.end());
      if (last) yield last;
    } finally {
      source.close();
    }
  }
  return tableFromRecords(source, encoding, 'ndjson', records(), transcoder, (line) => ({ line }));
}

async function* transcoded(source: ByteSource, transcoder: ReturnType<typeof createTranscoder>): AsyncGenerator<Buffer> {
  for await (const chunk of source.chunks()) {
    const out = transcoder.write(chunk);
    if (out.length > 0) yield out;
  }
  const rest = transcoder.end();
  if (rest.length > 0) yield rest;
}

/** Learn the columns from the first objects, then lay every object out in that order. */
async function tableFromRecords(
  source: ByteSource,
  encoding: DetectedEncoding,
  format: 'json' | 'ndjson',
  records: AsyncGenerator<RawRecord>,
  transcoder: { readonly suspect: boolean },
  place: (line: number) => Place,
): Promise<TableReader> {
  if (source.complete && decodeSample(source.head, encoding).trim() === '') {
    source.close();
    throw emptyFile();
  }
  const buffered: RawRecord[] = [];
  const keys = new Map<string, number>();
  while (buffered.length < HEADER_SAMPLE) {
    const next = await records.next();
    if (next.done) break;
    buffered.push(next.value);
    for (const k of Object.keys(next.value.object)) if (!keys.has(k)) keys.set(k, keys.size);
  }
  if (keys.size === 0) {
    await records.return(undefined);
    throw emptyFile();
  }
  const rawKeys = [...keys.keys()];
  const columns = normaliseHeader(rawKeys);
  const width = rawKeys.length;

  const layout = (record: RawRecord): TableRow => {
    const values: (string | null)[] = new Array<string | null>(width).fill(null);
    for (const k in record.object) {
      const index = keys.get(k);
      if (index === undefined) {
        throw errorAt(
          'wrong_field_count',
          { ...place(record.line), column: k },
          {
            zh: `出现表头之外的字段（表头取自前 ${HEADER_SAMPLE} 条记录的字段）`,
            en: `has a field that is not in the header (taken from the keys of the first ${HEADER_SAMPLE} records)`,
          },
        );
      }
      values[index] = jsonCell(record.object[k]);
    }
    if (transcoder.suspect) {
      const bad = firstReplacement(values);
      if (bad >= 0) throw undecodableAt(place(record.line), columns[bad]!, encoding.name);
    }
    // "\u0000" is a valid JSON escape but no text PostgreSQL can store.
    const nul = values.findIndex((v) => v !== null && v.includes('\u0000'));
    if (nul >= 0) throw nulByteAt({ ...place(record.line), column: columns[nul]! });
    return { line: record.line, values };
  };

  async function* rows(): AsyncGenerator<TableRow> {
    try {
      for (const record of buffered.splice(0)) yield layout(record);
      for await (const record of records) yield layout(record);
    } finally {
      await records.return(undefined);
    }
  }

  return { format, encoding: encoding.name, columns, rows: rows(), bytesRead: source.bytesRead };
}

/**
 * What one call of a stream-chain pipeline function gives: nothing, one item, several, or (for
 * generator stages, as withParser is at run time) an async iterable of them.
 */
async function* outputs<T>(result: unknown): AsyncGenerator<T> {
  if (result === none) return;
  if (typeof result === 'object' && result !== null && Symbol.asyncIterator in result) {
    yield* result as AsyncIterable<T>;
  } else if (isMany(result)) {
    yield* getManyValues(result) as T[];
  } else {
    yield result as T;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function notAnObject(place: Place) {
  return errorAt('invalid_json', place, { zh: '不是 JSON 对象（{…}）', en: 'is not a JSON object ({…})' });
}

function jsonReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isBadRequest(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && 'status' in err;
}
