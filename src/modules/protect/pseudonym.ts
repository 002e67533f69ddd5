/**
 * Pseudonyms (standards.md §3): a keyed HMAC of the normalised value under a key derived from the
 * dataset's current data key and the consumer organisation's id. The same person gets the same
 * pseudonym in every response to one organisation, and unrelated pseudonyms in two organisations'
 * responses. Rotating the dataset's key changes its pseudonyms (rotation is also how a leaked
 * pseudonym key is revoked).
 */
import type { DatasetKeys, Keyring } from './keyring.ts';
import { normalizeValue } from './blind-index.ts';
import { suiteHmac } from './suites.ts';

/** Crockford base32: no I, L, O, U, so a token read aloud or retyped is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 80 bits → 16 characters: collisions stay negligible for a billion distinct values. */
const TOKEN_BYTES = 10;

/** The first TOKEN_BYTES bytes in base32, grouped by 4 with dashes (7K3M-9QXD-2HTF-AB12), built in one pass. */
function token(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < TOKEN_BYTES; i++) {
    acc = (acc << 8) | bytes[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      if (n > 0 && n % 4 === 0) out += '-';
      out += ALPHABET[(acc >> bits) & 31];
      n++;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Turns a value into its pseudonym for one consumer, e.g. `7K3M-9QXD-2HTF-AB12`. */
export type Pseudonymizer = (value: string, type?: string) => string;

/** The pseudonymizer of one dataset for one consumer organisation (synchronous). */
export function pseudonymizerOf(keys: DatasetKeys, consumerOrgId: string): Pseudonymizer {
  const org = consumerOrgId.trim().toLowerCase();
  if (!org) throw new Error('a pseudonym needs the consumer organisation');
  const { current } = keys;
  const key = current.derive(`pseudonym:${org}`);
  return (value, type) => token(suiteHmac(current.suite, key, normalizeValue(value, type)));
}

/** Loads the dataset's keys and returns its pseudonymizer for a consumer organisation. */
export async function pseudonymizer(keyring: Keyring, datasetId: string, consumerOrgId: string): Promise<Pseudonymizer> {
  return pseudonymizerOf(await keyring.datasetKeys(datasetId), consumerOrgId);
}
