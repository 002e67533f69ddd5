/**
 * Blind indexes: a keyed HMAC of a normalised value, stored next to an encrypted identifier column,
 * so equality lookups and joins within a dataset work without decrypting. The key is derived from the
 * dataset's data key with its own label (HMAC-SHA-256, or HMAC-SM3 under the gm suite), so it
 * rotates with the data key; during a rotation a lookup matches any of `terms()`.
 */
import type { DatasetKeys, DataKeyVersion, Keyring } from './keyring.ts';
import { suiteHmac } from './suites.ts';

const LABEL = 'blind-index';
/** 128 bits: collisions are negligible even over billions of values, and the column stays short. */
const INDEX_BYTES = 16;

/** Identifier types compared case-insensitively and without separators. */
const ID_TYPES = new Set(['cn_resident_id', 'cn_uscc', 'cn_org_code', 'passport', 'hk_macau_permit', 'tw_permit', 'cn_plate', 'mac']);
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const DIGIT_TYPES = new Set(['bank_card', 'cn_landline']);

/**
 * The canonical form of a value before indexing or pseudonymising: NFKC (full-width digits and
 * letters become ASCII), trimmed; identifiers upper-cased without spaces or hyphens; card and phone
 * numbers reduced to digits (a mobile number without its +86); e-mail lower-cased.
 */
export function normalizeValue(value: string, type?: string): string {
  // Printable ASCII is already NFKC; skipping normalize() doubles the speed on the common case.
  const text = (PRINTABLE_ASCII.test(value) ? value : value.normalize('NFKC')).trim();
  if (type === undefined) return text;
  if (ID_TYPES.has(type)) return text.replace(/[\s\-:.]/g, '').toUpperCase();
  if (DIGIT_TYPES.has(type)) return text.replace(/\D/g, '');
  if (type === 'cn_mobile') {
    const digits = text.replace(/\D/g, '');
    return digits.length > 11 && /^(?:0086|86)1/.test(digits) ? digits.slice(digits.length - 11) : digits;
  }
  if (type === 'email') return text.toLowerCase();
  return text;
}

function indexWith(version: DataKeyVersion, normalized: string): string {
  return suiteHmac(version.suite, version.derive(LABEL), normalized).subarray(0, INDEX_BYTES).toString('base64url');
}

export interface BlindIndexer {
  /** The index of a value under the current key version (22 characters). */
  index(value: string, type?: string): string;
  /** The value's index under every live version: what a lookup must match while a rotation runs. */
  terms(value: string, type?: string): string[];
}

/** A blind indexer over a snapshot of a dataset's keys (synchronous, for ingestion). */
export function blindIndexerOf(keys: DatasetKeys): BlindIndexer {
  return {
    index: (value, type) => indexWith(keys.current, normalizeValue(value, type)),
    terms(value, type) {
      const normalized = normalizeValue(value, type);
      return [...keys.versions.values()].map((v) => indexWith(v, normalized));
    },
  };
}

/** Loads the dataset's keys and returns its blind indexer. */
export async function blindIndexer(keyring: Keyring, datasetId: string): Promise<BlindIndexer> {
  return blindIndexerOf(await keyring.datasetKeys(datasetId));
}
