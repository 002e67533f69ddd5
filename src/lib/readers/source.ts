/**
 * The raw bytes of an input (a file path or an upload stream), read once, in chunks, with a
 * prefix kept aside for sniffing the format, encoding and delimiter. Enforces the size limit while
 * reading, so an upload that lies about its size is still cut off.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileTooLarge } from './errors.ts';

/** How much of the start is read before deciding format, encoding and delimiter. */
export const SAMPLE_BYTES = 64 * 1024;
const READ_CHUNK = 256 * 1024;

export interface ByteSource {
  /** The first bytes (up to SAMPLE_BYTES, fewer if the input is shorter). */
  readonly head: Buffer;
  /** True when `head` is the whole input. */
  readonly complete: boolean;
  /** File path, when the input is one (the xlsx reader re-opens nothing, but error text may use it). */
  readonly path?: string;
  /** Every byte from the start, head included; may be called once. */
  chunks(): AsyncGenerator<Buffer, void, undefined>;
  /** Bytes handed out by chunks() so far. */
  bytesRead(): number;
  /** Stop reading and release the file or stream. Safe to call twice. */
  close(): void;
}

export async function openSource(input: string | NodeJS.ReadableStream, maxBytes?: number): Promise<ByteSource> {
  let stream: NodeJS.ReadableStream;
  let path: string | undefined;
  if (typeof input === 'string') {
    path = input;
    const { size } = await stat(input);
    if (maxBytes !== undefined && size > maxBytes) throw fileTooLarge(maxBytes, size);
    stream = createReadStream(input, { highWaterMark: READ_CHUNK });
  } else {
    stream = input;
  }
  const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let received = 0;
  let handedOut = 0;
  let closed = false;

  const close = (): void => {
    if (closed) return;
    closed = true;
    void iterator.return?.()?.catch?.(() => undefined);
    const destroy = (stream as { destroy?: () => void }).destroy;
    if (typeof destroy === 'function') destroy.call(stream);
  };

  /** Next raw chunk from the input, counted against the limit; undefined at the end. */
  const pull = async (): Promise<Buffer | undefined> => {
    const next = await iterator.next();
    if (next.done) return undefined;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    received += chunk.length;
    if (maxBytes !== undefined && received > maxBytes) {
      close();
      throw fileTooLarge(maxBytes, received);
    }
    return chunk;
  };

  const pending: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  try {
    while (headLength < SAMPLE_BYTES) {
      const chunk = await pull();
      if (chunk === undefined) {
        ended = true;
        break;
      }
      if (chunk.length === 0) continue;
      pending.push(chunk);
      headLength += chunk.length;
    }
  } catch (err) {
    close();
    throw err;
  }
  const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
  const head = joined.length > SAMPLE_BYTES ? joined.subarray(0, SAMPLE_BYTES) : joined;

  let started = false;
  async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
    if (started) throw new Error('ByteSource.chunks() may be called once');
    started = true;
    try {
      for (const chunk of pending) {
        handedOut += chunk.length;
        yield chunk;
      }
      pending.length = 0;
      if (ended) return;
      for (;;) {
        const chunk = await pull();
        if (chunk === undefined) return;
        handedOut += chunk.length;
        yield chunk;
      }
    } finally {
      close();
    }
  }

  const source: ByteSource = {
    head,
    complete: ended && head.length === joined.length,
    chunks,
    bytesRead: () => handedOut,
    close,
  };
  if (path !== undefined) return { ...source, path };
  return source;
}
