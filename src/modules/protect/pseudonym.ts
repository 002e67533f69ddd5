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

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
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
  return (value, type) => {
    const token = base32(suiteHmac(current.suite, key, normalizeValue(value, type)).subarray(0, TOKEN_BYTES));
    return `${token.slice(0, 4)}-${token.slice(4, 8)}-${token.slice(8, 12)}-${token.slice(12, 16)}`;
  };
}

/** Loads the dataset's keys and returns its pseudonymizer for a consumer organisation. */
export async function pseudonymizer(keyring: Keyring, datasetId: string, consumerOrgId: string): Promise<Pseudonymizer> {
  return pseudonymizerOf(await keyring.datasetKeys(datasetId), consumerOrgId);
}
