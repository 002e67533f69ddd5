/**
 * Canonical encoding of audit records and tree heads: deterministic JSON in the style of RFC 8785
 * (JSON Canonicalization Scheme): object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers exactly as ECMAScript's JSON.stringify writes them. Any verifier with a JSON library can
 * reproduce the bytes (docs/audit-proofs.md shows how).
 */
import { createHash } from 'node:crypto';

/** A JSON value as stored in the log (after normalisation: no undefined, NaN, Date, lone surrogates). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The hash algorithms of the two crypto suites: SHA-256 by default, SM3 under the 国密 suite. */
export type HashAlg = 'sha256' | 'sm3';

/** Encodes a normalised JSON value canonically (sorted keys, no whitespace). */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`).join(',')}}`;
}

/**
 * Text as PostgreSQL stores it: NUL is refused by `text` and `jsonb`, lone surrogates by `jsonb`; both
 * become U+FFFD so an event can always be stored and reads back byte for byte.
 */
export function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

/**
 * Turns any details object into the JSON value that survives a round trip through jsonb unchanged:
 * JSON.stringify semantics (undefined dropped, NaN → null, Date → ISO string, toJSON honoured),
 * then storable text in every key and string.
 */
export function normaliseJson(value: unknown): Json {
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return sanitise(JSON.parse(text) as Json);
}

function sanitise(value: Json): Json {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sanitise);
  const out: { [key: string]: Json } = {};
  for (const [key, inner] of Object.entries(value)) out[storableText(key)] = sanitise(inner);
  return out;
}

/** H(parts…) with the suite's hash. */
export function hashOf(alg: HashAlg, ...parts: (Buffer | string)[]): Buffer {
  const h = createHash(alg);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** Length of every hash in the log (SHA-256 and SM3 are both 256-bit). */
export const HASH_BYTES = 32;

/** The previous hash of record 1. */
export const GENESIS_HASH = Buffer.alloc(HASH_BYTES);
