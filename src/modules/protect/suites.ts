/**
 * The two cryptographic suites of pdx (standards.md §5) and the self-describing ciphertext format.
 *
 * - `aes`: AES-256-GCM for data, SHA-256 for hashes, HMAC-SHA-256 and HKDF-SHA-256.
 * - `gm` (国密, PDX_CRYPTO=gm): SM4-CTR + HMAC-SM3 encrypt-then-MAC with separate keys derived from
 *   the data key (Node's OpenSSL has no SM4-GCM), SM3 for hashes, HMAC-SM3 and HKDF-SM3.
 *
 * Ciphertext layout (binary; text form is unpadded base64url):
 *
 *   suite (1 byte: 1 = aes, 2 = gm) | key version (uint16 BE) | nonce (12 aes / 16 gm) | body | tag (16)
 *
 * Suite and version fill exactly the first 3 bytes, i.e. the first 4 characters of the text form, so
 * the re-encryption job can find values not yet under the current version with a SQL prefix test.
 *
 * The header (suite, version, nonce) is authenticated together with the body and the caller's
 * associated data, so a flipped bit anywhere is a CiphertextError, never a wrong plaintext.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomFillSync, timingSafeEqual } from 'node:crypto';
import { CiphertextError } from './errors.ts';

export type SuiteId = 'aes' | 'gm';

export const SUITE_IDS: readonly SuiteId[] = ['aes', 'gm'];

interface SuiteSpec {
  code: number;
  /** Node digest name for hashes, HMAC and HKDF. */
  digest: 'sha256' | 'sm3';
  nonceLength: number;
  encKeyLength: number;
  /** Human name for reports and the key table. */
  label: string;
}

const SPECS: Record<SuiteId, SuiteSpec> = {
  aes: { code: 1, digest: 'sha256', nonceLength: 12, encKeyLength: 32, label: 'AES-256-GCM / SHA-256' },
  gm: { code: 2, digest: 'sm3', nonceLength: 16, encKeyLength: 16, label: 'SM4-CTR + HMAC-SM3 / SM3' },
};

const SUITE_BY_CODE = new Map<number, SuiteId>(SUITE_IDS.map((id) => [SPECS[id].code, id]));

/** Bytes before the nonce: suite code and key version. */
const PREFIX_LENGTH = 3;
const TAG_LENGTH = 16;
const MAX_VERSION = 0xffff;

/** Describes a suite (digest name, label) for reports. */
export function suiteInfo(suite: SuiteId): Readonly<SuiteSpec> {
  return SPECS[suite];
}

/** Parses the PDX_CRYPTO value. */
export function parseSuite(value: string | undefined): SuiteId {
  if (value === undefined || value === '' || value === 'aes') return 'aes';
  if (value === 'gm') return 'gm';
  throw new Error(`unknown crypto suite ${JSON.stringify(value)} (expected aes or gm)`);
}

/** SM3 hash (GB/T 32905-2016). */
export function sm3(data: string | Buffer): Buffer {
  return createHash('sm3').update(data).digest();
}

/** The suite's hash: SHA-256 or SM3. */
export function suiteHash(suite: SuiteId, data: string | Buffer): Buffer {
  return createHash(SPECS[suite].digest).update(data).digest();
}

/** The suite's HMAC: HMAC-SHA-256 or HMAC-SM3. */
export function suiteHmac(suite: SuiteId, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(SPECS[suite].digest, key).update(data).digest();
}

/** HKDF with the suite's digest; labels keep the keys derived for different purposes independent. */
export function deriveKey(suite: SuiteId, ikm: Buffer, label: string, length = 32): Buffer {
  return Buffer.from(hkdfSync(SPECS[suite].digest, ikm, Buffer.alloc(0), `pdx:v1:${label}`, length));
}

/** The working keys of one data key under one suite. Never logged, never stored unwrapped. */
export interface SuiteKeys {
  readonly suite: SuiteId;
  readonly encKey: Buffer;
  /** HMAC-SM3 key of the gm suite's encrypt-then-MAC; GCM authenticates by itself. */
  readonly macKey: Buffer | null;
}

/** Derives the encryption (and for gm the separate MAC) key from a 32-byte data key. */
export function deriveSuiteKeys(suite: SuiteId, dataKey: Buffer): SuiteKeys {
  if (dataKey.length !== 32) throw new Error('a data key is 32 bytes');
  const spec = SPECS[suite];
  return suite === 'aes'
    ? { suite, encKey: deriveKey(suite, dataKey, 'aes-256-gcm:enc', spec.encKeyLength), macKey: null }
    : {
        suite,
        encKey: deriveKey(suite, dataKey, 'sm4-ctr:enc', spec.encKeyLength),
        macKey: deriveKey(suite, dataKey, 'hmac-sm3:mac', 32),
      };
}

// Nonces come from a pool refilled in 4 KiB batches: one CSPRNG call per ~300 values instead of one each.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function takeRandom(length: number): Buffer {
  if (poolOffset + length > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + length);
  poolOffset += length;
  return slice;
}

const EMPTY = Buffer.alloc(0);

function macInput(mac: ReturnType<typeof createHmac>, aad: Buffer, authenticated: Buffer): Buffer {
  const aadLength = Buffer.alloc(4);
  aadLength.writeUInt32BE(aad.length);
  return mac.update(aadLength).update(aad).update(authenticated).digest().subarray(0, TAG_LENGTH);
}

/**
 * Encrypts bytes under `keys`, recording the suite and key version in the ciphertext. `aad` is
 * bound to the ciphertext (it must be given again to decrypt) but not stored in it.
 */
export function encryptBytes(keys: SuiteKeys, version: number, plaintext: Buffer, aad: Buffer = EMPTY): Buffer {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw new Error('key version out of range');
  const spec = SPECS[keys.suite];
  const headerLength = PREFIX_LENGTH + spec.nonceLength;
  const out = Buffer.allocUnsafe(headerLength + plaintext.length + TAG_LENGTH);
  out[0] = spec.code;
  out.writeUInt16BE(version, 1);
  const nonce = takeRandom(spec.nonceLength);
  nonce.copy(out, PREFIX_LENGTH);
  const header = out.subarray(0, headerLength);
  if (keys.suite === 'aes') {
    const cipher = createCipheriv('aes-256-gcm', keys.encKey, nonce);
    cipher.setAAD(aad.length ? Buffer.concat([header, aad]) : header);
    let at = headerLength + cipher.update(plaintext).copy(out, headerLength);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
  } else {
    const cipher = createCipheriv('sm4-ctr', keys.encKey, nonce);
    let at = headerLength + cipher.update(plaintext).copy(out, headerLength);
    at += cipher.final().copy(out, at);
    const tag = macInput(createHmac('sm3', keys.macKey as Buffer), aad, out.subarray(0, at));
    tag.copy(out, at);
  }
  return out;
}

/** Suite and key version a ciphertext says it was made with (unauthenticated until decrypted). */
export interface CiphertextHeader {
  suite: SuiteId;
  version: number;
}

/** Reads the header of a binary ciphertext; throws CiphertextError when it cannot be one. */
export function readHeader(ciphertext: Buffer): CiphertextHeader {
  const suite = SUITE_BY_CODE.get(ciphertext[0] ?? -1);
  if (!suite) throw new CiphertextError('unknown suite');
  if (ciphertext.length < PREFIX_LENGTH + SPECS[suite].nonceLength + TAG_LENGTH) throw new CiphertextError('too short');
  const version = ciphertext.readUInt16BE(1);
  if (version < 1) throw new CiphertextError('bad key version');
  return { suite, version };
}

/**
 * Decrypts a binary ciphertext with the keys `keysFor` returns for its suite and version. Any
 * authentication failure, truncation or unknown suite is a CiphertextError.
 */
export function decryptBytes(keysFor: (header: CiphertextHeader) => SuiteKeys, ciphertext: Buffer, aad: Buffer = EMPTY): Buffer {
  const header = readHeader(ciphertext);
  const keys = keysFor(header);
  if (keys.suite !== header.suite) throw new CiphertextError('suite does not match the key');
  const spec = SPECS[header.suite];
  const headerLength = PREFIX_LENGTH + spec.nonceLength;
  const bodyEnd = ciphertext.length - TAG_LENGTH;
  const nonce = ciphertext.subarray(PREFIX_LENGTH, headerLength);
  const body = ciphertext.subarray(headerLength, bodyEnd);
  const tag = ciphertext.subarray(bodyEnd);
  if (header.suite === 'aes') {
    const decipher = createDecipheriv('aes-256-gcm', keys.encKey, nonce);
    const head = ciphertext.subarray(0, headerLength);
    decipher.setAAD(aad.length ? Buffer.concat([head, aad]) : head);
    decipher.setAuthTag(tag);
    const first = decipher.update(body);
    try {
      const last = decipher.final();
      return last.length ? Buffer.concat([first, last]) : first;
    } catch {
      throw new CiphertextError('authentication failed');
    }
  }
  // Encrypt-then-MAC: verify before decrypting anything.
  const expected = macInput(createHmac('sm3', keys.macKey as Buffer), aad, ciphertext.subarray(0, bodyEnd));
  if (!timingSafeEqual(expected, tag)) throw new CiphertextError('authentication failed');
  const decipher = createDecipheriv('sm4-ctr', keys.encKey, nonce);
  const first = decipher.update(body);
  const last = decipher.final();
  return last.length ? Buffer.concat([first, last]) : first;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** By text length mod 4: the mask of unused bits in the last character (length ≡ 1 is never valid). */
const SPARE_BITS: Record<number, number | undefined> = { 0: 0, 2: 0b1111, 3: 0b11 };

/** Text form of a ciphertext: unpadded base64url. */
export function encodeCiphertext(ciphertext: Buffer): string {
  return ciphertext.toString('base64url');
}

/**
 * Parses the text form strictly: Node's decoder silently skips stray characters and ignores the
 * spare bits of the last character, so a changed character could otherwise decode to the same bytes.
 */
export function decodeCiphertext(text: string): Buffer {
  const spare = SPARE_BITS[text.length % 4];
  if (spare === undefined || !BASE64URL.test(text)) throw new CiphertextError('not base64url');
  // The last character's unused low bits must be zero, or two texts would decode to the same bytes.
  if (spare && B64URL_ALPHABET.indexOf(text[text.length - 1] as string) & spare) throw new CiphertextError('non-canonical base64url');
  return Buffer.from(text, 'base64url');
}

/**
 * The 4 characters every text ciphertext under (suite, version) starts with: values still under an
 * older version are `WHERE left(col, 4) <> $prefix`.
 */
export function textPrefix(suite: SuiteId, version: number): string {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw new Error('key version out of range');
  const head = Buffer.alloc(PREFIX_LENGTH);
  head[0] = SPECS[suite].code;
  head.writeUInt16BE(version, 1);
  return head.toString('base64url');
}

/** Reads suite and version from the text form without decrypting (for the re-encryption job). */
export function readTextHeader(text: string): CiphertextHeader {
  return readHeader(decodeCiphertext(text));
}
