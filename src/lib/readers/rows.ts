/** Row-level checks shared by the readers. */
import { errorAt, type Place } from './errors.ts';

/** Index of the first value holding U+FFFD (the mark of bytes that did not decode), or -1. */
export function firstReplacement(values: readonly (string | null | undefined)[]): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string' && v.includes('\uFFFD')) return i;
  }
  return -1;
}

export function undecodableAt(place: Place, column: string, encoding: string): Error {
  return errorAt(
    'undecodable_bytes',
    { ...place, column },
    {
      zh: `含有无法按 ${encoding} 解码的字节；请确认文件编码（可指定 UTF-8、GBK 或 GB18030）`,
      en: `holds bytes that are not valid ${encoding}; check the file's encoding (UTF-8, GBK or GB18030 can be given)`,
    },
    { encoding },
  );
}

/**
 * A record with too few or too many fields. Too few: names the first missing column; too many: the
 * first field beyond the header, as "#N" (1-based).
 */
export function wrongFieldCount(line: number, actual: number, columns: readonly string[]): Error {
  const expected = columns.length;
  const column = actual < expected ? columns[actual]! : `#${expected + 1}`;
  return errorAt(
    'wrong_field_count',
    { line, column },
    {
      zh: `有 ${actual} 个字段，表头有 ${expected} 列`,
      en: `has ${actual} field${actual === 1 ? '' : 's'} but the header has ${expected} columns`,
    },
    { expected, actual },
  );
}
