/**
 * Character encodings of text inputs: detection on the prefix sample, and a streaming decoder that
 * turns raw chunks into UTF-8 bytes while flagging chunks with bytes that do not decode.
 *
 * Detection, in order: a byte-order mark (UTF-8, UTF-16LE/BE, GB18030); a sample that is valid
 * UTF-8; a sample that is structurally valid GB18030 (reported as `gbk` unless a four-byte sequence
 * appears, then `gb18030`; both decode with the GB18030 table, a superset of GBK, so a four-byte
 * character after the sample still decodes). A sample valid in neither is broken somewhere: chardet
 * decides which of the two it most resembles, and the reader then reports the line of the bad bytes.
 */
import { isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { readerError } from './errors.ts';

export interface DetectedEncoding {
  /** Name reported to callers: 'utf-8', 'gbk', 'gb18030', 'utf-16le', 'utf-16be' or an iconv name. */
  name: string;
  /** Name given to iconv-lite; 'utf-8' means the bytes pass through unchanged. */
  decodeAs: string;
}

const GB_FAMILY = new Set(['gbk', 'gb2312', 'gb18030', 'cp936', 'euc-cn', 'x-gbk']);

/** The encoding named by the caller, checked against what iconv-lite can decode. */
export function namedEncoding(name: string): DetectedEncoding {
  const lower = name.trim().toLowerCase();
  if (lower === 'utf8' || lower === 'utf-8') return { name: 'utf-8', decodeAs: 'utf-8' };
  if (GB_FAMILY.has(lower)) return { name: lower === 'gb18030' ? 'gb18030' : 'gbk', decodeAs: 'gb18030' };
  if (iconv.encodingExists(lower)) return { name: lower, decodeAs: lower };
  throw readerError('unsupported_encoding', `不支持的字符编码“${name}”`, `Unsupported character encoding "${name}"`, {
    encoding: name,
  });
}

/** Guess the encoding of a text input from its first bytes. `complete`: the sample is the whole input. */
export function detectEncoding(sample: Buffer, complete: boolean): DetectedEncoding {
  if (startsWith(sample, [0xef, 0xbb, 0xbf])) return { name: 'utf-8', decodeAs: 'utf-8' };
  if (startsWith(sample, [0x84, 0x31, 0x95, 0x33])) return { name: 'gb18030', decodeAs: 'gb18030' };
  if (startsWith(sample, [0xff, 0xfe])) return { name: 'utf-16le', decodeAs: 'utf-16le' };
  if (startsWith(sample, [0xfe, 0xff])) return { name: 'utf-16be', decodeAs: 'utf-16be' };

  const utf8End = complete ? sample.length : sample.length - utf8IncompleteTail(sample);
  if (isUtf8(sample.subarray(0, utf8End))) return { name: 'utf-8', decodeAs: 'utf-8' };

  const gb = scanGb18030(sample, complete);
  if (gb.firstBad < 0) return gbEncoding(gb.fourByte);

  // Broken in both: follow chardet between the two we support, else whichever breaks later.
  for (const guess of chardet.analyse(sample)) {
    if (guess.name === 'UTF-8') return { name: 'utf-8', decodeAs: 'utf-8' };
    if (guess.name === 'GB18030') return gbEncoding(gb.fourByte);
  }
  return firstBadUtf8(sample) >= gb.firstBad ? { name: 'utf-8', decodeAs: 'utf-8' } : gbEncoding(gb.fourByte);
}

function gbEncoding(fourByte: boolean): DetectedEncoding {
  return { name: fourByte ? 'gb18030' : 'gbk', decodeAs: 'gb18030' };
}

function startsWith(buf: Buffer, bytes: number[]): boolean {
  if (buf.length < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[i] !== bytes[i]) return false;
  return true;
}

/** Bytes at the end of `buf` that begin a UTF-8 sequence the next chunk will finish (0-3). */
export function utf8IncompleteTail(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc0) return 0;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return need > back ? back : 0;
  }
  return 0;
}

/** Offset of the first byte that is not valid UTF-8 (buf.length if none). */
function firstBadUtf8(buf: Buffer): number {
  let lo = 0;
  let hi = buf.length;
  // isUtf8 is native and fast; bisect on prefixes (a prefix ending mid-character is "bad" too, so
  // this finds the first bad character to within 3 bytes, which is all the ranking needs).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (isUtf8(buf.subarray(0, mid - utf8IncompleteTail(buf.subarray(0, mid))))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Walk GB18030's byte structure (1, 2 or 4 bytes per character). Returns the offset of the first
 * byte that breaks it (-1 if none) and whether a four-byte sequence occurs.
 */
export function scanGb18030(buf: Buffer, complete: boolean): { firstBad: number; fourByte: boolean } {
  const n = buf.length;
  let fourByte = false;
  let i = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b === 0x80 || b === 0xff) return { firstBad: i, fourByte };
    if (i + 1 >= n) return { firstBad: complete ? i : -1, fourByte };
    const b2 = buf[i + 1]!;
    if ((b2 >= 0x40 && b2 <= 0x7e) || (b2 >= 0x80 && b2 <= 0xfe)) {
      i += 2;
      continue;
    }
    if (b2 >= 0x30 && b2 <= 0x39) {
      if (i + 3 >= n) return { firstBad: complete ? i : -1, fourByte };
      const b3 = buf[i + 2]!;
      const b4 = buf[i + 3]!;
      if (b3 >= 0x81 && b3 <= 0xfe && b4 >= 0x30 && b4 <= 0x39) {
        fourByte = true;
        i += 4;
        continue;
      }
    }
    return { firstBad: i, fourByte };
  }
  return { firstBad: -1, fourByte };
}

/**
 * Turns raw chunks into UTF-8 bytes for the parsers. `suspect` is set once any chunk held bytes
 * that do not decode (they become U+FFFD), so the reader then looks for U+FFFD in values to name
 * the line and column; until then the per-row path does no such check.
 */
export interface Utf8Transcoder {
  write(chunk: Buffer): Buffer;
  end(): Buffer;
  readonly suspect: boolean;
}

const EMPTY = Buffer.alloc(0);

export function createTranscoder(encoding: DetectedEncoding): Utf8Transcoder {
  return encoding.decodeAs === 'utf-8' ? utf8Passthrough() : iconvTranscoder(encoding.decodeAs);
}

/** UTF-8 stays bytes (csv-parse decodes fields itself); only validity is checked, per chunk, natively. */
function utf8Passthrough(): Utf8Transcoder {
  let carry: Buffer = EMPTY;
  let suspect = false;
  return {
    get suspect() {
      return suspect;
    },
    write(chunk) {
      if (!suspect) {
        const whole = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const tail = utf8IncompleteTail(whole);
        if (!isUtf8(whole.subarray(0, whole.length - tail))) suspect = true;
        carry = tail > 0 ? Buffer.from(whole.subarray(whole.length - tail)) : EMPTY;
      }
      return chunk;
    },
    end() {
      if (carry.length > 0) suspect = true;
      return EMPTY;
    },
  };
}

function iconvTranscoder(name: string): Utf8Transcoder {
  const decoder = iconv.getDecoder(name);
  let suspect = false;
  let first = true;
  const convert = (text: string): Buffer => {
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!suspect && text.includes('\uFFFD')) suspect = true;
    return Buffer.from(text, 'utf8');
  };
  return {
    get suspect() {
      return suspect;
    },
    write: (chunk) => convert(decoder.write(chunk)),
    end: () => convert(decoder.end() ?? ''),
  };
}

/** Decode a whole sample to text (for sniffing delimiters); a split character at the end is dropped. */
export function decodeSample(sample: Buffer, encoding: DetectedEncoding): string {
  let text: string;
  if (encoding.decodeAs === 'utf-8') text = sample.toString('utf8', 0, sample.length - utf8IncompleteTail(sample));
  else text = iconv.getDecoder(encoding.decodeAs).write(sample);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
