/**
 * One set of value parsers for both backends, so a row reads the same on PGlite and on a server.
 * Keys are PostgreSQL type OIDs; values receive the text form of a value. Types not listed
 * (timestamptz → Date, json → parsed, bool, int4, float) already agree between the two drivers.
 */
const INT8 = 20;
const BYTEA = 17;
const DATE = 1082;
const TIMESTAMP = 1114;
const NUMERIC = 1700;

function parseInt8(text: string): number | string {
  const n = Number(text);
  // Counts and ids fit; anything beyond 2^53 stays exact as text.
  return Number.isSafeInteger(n) ? n : text;
}

export const valueParsers: Record<number, (text: string) => unknown> = {
  [INT8]: parseInt8,
  [BYTEA]: (text) => Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex'),
  [DATE]: (text) => text,
  [TIMESTAMP]: (text) => text,
  [NUMERIC]: (text) => text,
};
