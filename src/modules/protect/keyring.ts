/**
 * Envelope encryption (standards.md §5). A master key, given by the operator (PDX_MASTER_KEY or
 * PDX_MASTER_KEY_FILE) or generated into the data directory in embedded mode, wraps one 32-byte data
 * key per dataset and version; the database holds data keys only wrapped. Unwrapped keys live only in
 * this process's memory and are never logged.
 *
 * - `loadMasterKey` resolves the master key from the options.
 * - `openKeyring` checks the master key against the database (refusing the wrong one before anything
 *   is served) and returns the Keyring: field ciphers per dataset and sealing of platform secrets.
 * - `newDataKeyVersion` and `rotateMaster` are the two rotations; `FieldCipher.reencrypt` is the
 *   primitive of the background job that moves a dataset's values to the new version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Queryable } from '../../db/index.ts';
import { CiphertextError, MasterKeyConfigError, MasterKeyMismatchError, UnknownKeyVersionError } from './errors.ts';
import * as repo from './protect.repo.ts';
import {
  decodeCiphertext,
  decryptBytes,
  deriveKey,
  deriveSuiteKeys,
  encodeCiphertext,
  encryptBytes,
  readHeader,
  suiteHmac,
  suiteInfo,
  textPrefix,
  type SuiteId,
  type SuiteKeys,
} from './suites.ts';

/** The scope of the platform's own sealed secrets (audit signing key …) in data_keys. */
export const PLATFORM_SCOPE = '00000000-0000-0000-0000-000000000000';

const MASTER_KEY_FILE = 'master.key';
const CHECK_LABEL = 'pdx master key check';

// ---------------------------------------------------------------------------------------------
// Master key

/** Where the master key comes from (the PDX_MASTER_KEY* variables and the deployment mode). */
export interface MasterKeyOptions {
  /** Base64 of exactly 32 bytes (PDX_MASTER_KEY). */
  masterKey?: string;
  /** File holding the key as base64 text or 32 raw bytes (PDX_MASTER_KEY_FILE). */
  masterKeyFile?: string;
  /** PDX_DATA_DIR: where a generated key is kept in embedded mode. */
  dataDir: string;
  /** true with the embedded PGlite database; a server deployment must be given a key. */
  embedded: boolean;
}

export interface LoadedMasterKey {
  key: Buffer;
  source: 'env' | 'file' | 'generated' | 'data-dir';
  /** The key file, when the key came from one. */
  path?: string;
  /** Something the operator must be told (a generated key to back up, loose file permissions). */
  warning?: string;
}

/** Parses a master key: base64 text of 32 bytes, or (from a file) the 32 raw bytes themselves. */
export function parseMasterKey(input: string | Buffer, where: string): Buffer {
  if (Buffer.isBuffer(input) && input.length === 32) return Buffer.from(input);
  const text = (Buffer.isBuffer(input) ? input.toString('latin1') : input).trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    if (key.length === 32) return key;
  }
  throw new MasterKeyConfigError(
    `${where} 不是有效的主密钥：需要 32 字节的 Base64 编码（例如 openssl rand -base64 32 的输出）`,
    `${where} is not a valid master key: expected 32 bytes, base64-encoded (e.g. the output of openssl rand -base64 32)`,
  );
}

function readKeyFile(file: string, where: string): Buffer {
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new MasterKeyConfigError(`无法读取主密钥文件 ${file}(${reason})`, `Cannot read the master key file ${file} (${reason})`);
  }
  return parseMasterKey(content, where);
}

function loosePermissionsWarning(file: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return (
    `主密钥文件 ${file} 的权限为 ${mode.toString(8)}，其他用户可读；请执行 chmod 600。` +
    ` / The master key file ${file} has mode ${mode.toString(8)} and is readable by other users; run chmod 600.`
  );
}

/**
 * Resolves the master key: PDX_MASTER_KEY, else PDX_MASTER_KEY_FILE, else (embedded mode only) the
 * key in `<dataDir>/master.key`, generated with mode 0600 on first start. Server mode without a key
 * is an error: a server's data directory is not a safe place to keep the key that protects it.
 */
export function loadMasterKey(options: MasterKeyOptions): LoadedMasterKey {
  if (options.masterKey !== undefined && options.masterKeyFile !== undefined) {
    throw new MasterKeyConfigError('PDX_MASTER_KEY 与 PDX_MASTER_KEY_FILE 只能设置一个', 'Set only one of PDX_MASTER_KEY and PDX_MASTER_KEY_FILE');
  }
  if (options.masterKey !== undefined) return { key: parseMasterKey(options.masterKey, 'PDX_MASTER_KEY'), source: 'env' };
  if (options.masterKeyFile !== undefined) {
    const file = path.resolve(options.masterKeyFile);
    const key = readKeyFile(file, `PDX_MASTER_KEY_FILE (${file})`);
    const warning = loosePermissionsWarning(file);
    return { key, source: 'file', path: file, ...(warning ? { warning } : {}) };
  }
  if (!options.embedded) {
    throw new MasterKeyConfigError(
      '服务器模式必须提供主密钥：请设置 PDX_MASTER_KEY（Base64 编码的 32 字节）或 PDX_MASTER_KEY_FILE',
      'A master key is required with a database server: set PDX_MASTER_KEY (32 bytes, base64) or PDX_MASTER_KEY_FILE',
    );
  }
  const file = path.resolve(options.dataDir, MASTER_KEY_FILE);
  if (fs.existsSync(file)) {
    const key = readKeyFile(file, file);
    const warning = loosePermissionsWarning(file);
    return { key, source: 'data-dir', path: file, ...(warning ? { warning } : {}) };
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process generated a moment ago.
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(options);
    throw error;
  }
  fs.chmodSync(file, 0o600); // the umask may have narrowed the mode further, never widened it; be exact
  return {
    key,
    source: 'generated',
    path: file,
    warning:
      `已生成主密钥并保存在 ${file}（权限 0600）。请立即将其备份到数据目录以外的安全位置：丢失该文件将无法解密任何加密数据。` +
      ` / Generated a master key in ${file} (mode 0600). Back it up now, somewhere outside the data directory:` +
      ' without this file no encrypted data can ever be decrypted.',
  };
}

/** A new random master key as base64 (for `pdx keys generate-master` and rotation). */
export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Keyring

/** One unwrapped version of a dataset's data key. */
export interface DataKeyVersion {
  readonly version: number;
  readonly suite: SuiteId;
  readonly state: 'active' | 'retired';
  readonly keys: SuiteKeys;
  /** A subkey for another purpose (blind index, pseudonym), derived with its own label and memoised. */
  derive(label: string): Buffer;
}

/** All known versions of one dataset's data key; `current` encrypts new values. */
export interface DatasetKeys {
  readonly datasetId: string;
  readonly current: DataKeyVersion;
  readonly versions: ReadonlyMap<number, DataKeyVersion>;
}

/** Synchronous, allocation-light encryption of one dataset's field values (ingestion hot path). */
export interface FieldCipher {
  readonly datasetId: string;
  /** Version new values are encrypted with. */
  readonly version: number;
  readonly suite: SuiteId;
  /** The 4-character text prefix of values under the current version (see suites.textPrefix). */
  readonly currentPrefix: string;
  /** Encrypts a value to the text form (unpadded base64url). */
  encrypt(plaintext: string): string;
  /** Decrypts the text form; CiphertextError when tampered, UnknownKeyVersionError for an unknown version. */
  decrypt(ciphertext: string): string;
  /** The key version a ciphertext was made with (no decryption). */
  versionOf(ciphertext: string): number;
  /**
   * Decrypts with the value's recorded version and encrypts with the current one; null when the
   * value is already under the current version (nothing to write back).
   */
  reencrypt(ciphertext: string): string | null;
}

interface CachedVersion extends DataKeyVersion {
  readonly dataKey: Buffer;
}

function makeVersion(version: number, suite: SuiteId, state: 'active' | 'retired', dataKey: Buffer): CachedVersion {
  const derived = new Map<string, Buffer>();
  return {
    version,
    suite,
    state,
    dataKey,
    keys: deriveSuiteKeys(suite, dataKey),
    derive(label) {
      let key = derived.get(label);
      if (!key) {
        key = deriveKey(suite, dataKey, label, 32);
        derived.set(label, key);
      }
      return key;
    },
  };
}

function wrapAad(datasetId: string, version: number): Buffer {
  return Buffer.from(`pdx:data-key:${datasetId.toLowerCase()}:${version}`);
}

/**
 * The master key and the data keys it unwraps. Create it with `openKeyring`; it also implements the
 * audit module's Sealer (seal/unseal platform secrets under the platform scope's data key).
 */
/** A data_keys row as another module may read it with its own query (the key stays wrapped). */
export type StoredDataKey = Pick<repo.DataKeyRow, 'version' | 'suite' | 'state' | 'wrapped_key'>;
/** Protection's part of the sharing module's access context (one statement on the records path). */
export const dataKeysJsonForAccessContext = repo.dataKeysJsonForAccessContext;

export class Keyring {
  /** Suite of new data keys (PDX_CRYPTO). Existing keys keep the suite they were made with. */
  readonly suite: SuiteId;
  readonly #db: Db;
  readonly #wrapKeys = new Map<SuiteId, SuiteKeys>();
  readonly #master: Buffer;
  readonly #cache = new Map<string, Map<number, CachedVersion>>();
  #platform: DatasetKeys | undefined;

  /** Prefer openKeyring, which also verifies the key; this constructor touches no database. */
  constructor(db: Db, masterKey: Buffer, suite: SuiteId) {
    if (masterKey.length !== 32) throw new MasterKeyConfigError('主密钥必须为 32 字节', 'The master key must be 32 bytes');
    this.#db = db;
    this.#master = Buffer.from(masterKey);
    this.suite = suite;
  }

  #wrapKeysFor(suite: SuiteId): SuiteKeys {
    let keys = this.#wrapKeys.get(suite);
    if (!keys) {
      keys = deriveSuiteKeys(suite, deriveKey(suite, this.#master, 'master:wrap', 32));
      this.#wrapKeys.set(suite, keys);
    }
    return keys;
  }

  /** The value stored in master_key_check for this master key under a digest. */
  checkValue(algorithm: 'sha256' | 'sm3'): Buffer {
    const suite: SuiteId = algorithm === 'sm3' ? 'gm' : 'aes';
    return suiteHmac(suite, deriveKey(suite, this.#master, 'master:check', 32), CHECK_LABEL);
  }

  /** Wraps a data key under the master key, bound to its dataset and version. */
  wrapDataKey(datasetId: string, version: number, suite: SuiteId, dataKey: Buffer): Buffer {
    return encryptBytes(this.#wrapKeysFor(suite), 1, dataKey, wrapAad(datasetId, version));
  }

  /** Unwraps a stored data key; CiphertextError when it is not wrapped under this master key. */
  unwrapDataKey(row: Pick<repo.DataKeyRow, 'dataset_id' | 'version' | 'suite' | 'wrapped_key'>): Buffer {
    const header = readHeader(row.wrapped_key);
    if (header.suite !== row.suite) throw new CiphertextError('wrapped key suite does not match its row');
    return decryptBytes(() => this.#wrapKeysFor(row.suite), row.wrapped_key, wrapAad(row.dataset_id, row.version));
  }

  /**
   * Loads (and on first use creates) the data keys of a dataset. Each call re-reads the version list
   * (one indexed query), so a rotation made by another process is seen; only new versions are unwrapped.
   */
  async datasetKeys(datasetId: string): Promise<DatasetKeys> {
    let rows = await repo.listDataKeys(this.#db, datasetId);
    if (rows.length === 0) {
      await this.#db.transaction(async (tx) => {
        // A process still running with a master key that was just rotated away must not wrap new keys under it.
        await verifyMasterKey(tx, this, 'share');
        await repo.insertFirstDataKey(tx, datasetId, this.suite, this.wrapDataKey(datasetId, 1, this.suite, randomBytes(32)));
      });
      rows = await repo.listDataKeys(this.#db, datasetId);
    }
    return this.keysFromRows(datasetId, rows);
  }

  /**
   * The dataset's keys from its data_keys rows as the caller has just read them (the records API
   * reads them in the statement that reads the grant, one round trip less than datasetKeys): only
   * versions not yet cached are unwrapped. An empty list is refused: datasetKeys creates the first key.
   */
  keysFromRows(datasetId: string, rows: readonly StoredDataKey[]): DatasetKeys {
    let cached = this.#cache.get(datasetId);
    if (!cached) {
      cached = new Map();
      this.#cache.set(datasetId, cached);
    }
    const versions = new Map<number, CachedVersion>();
    let current: CachedVersion | undefined;
    for (const row of rows) {
      let entry = cached.get(row.version);
      if (!entry || entry.state !== row.state) {
        entry = makeVersion(row.version, row.suite, row.state, entry?.dataKey ?? this.unwrapDataKey({ ...row, dataset_id: datasetId }));
        cached.set(row.version, entry);
      }
      versions.set(row.version, entry);
      if (row.state === 'active') current = entry;
    }
    if (!current) throw new Error(`dataset ${datasetId} has no active data key`);
    return { datasetId, current, versions };
  }

  /** A synchronous field cipher for one dataset's current key set (see FieldCipher). */
  async fieldCipher(datasetId: string): Promise<FieldCipher> {
    return fieldCipherOf(await this.datasetKeys(datasetId));
  }

  /** Drops cached unwrapped keys (all, or one dataset's). */
  forget(datasetId?: string): void {
    if (datasetId === undefined) this.#cache.clear();
    else this.#cache.delete(datasetId);
  }

  /** Loads the platform scope's key so seal/unseal work synchronously. */
  async loadPlatformKey(): Promise<void> {
    this.#platform = await this.datasetKeys(PLATFORM_SCOPE);
  }

  #platformKeys(): DatasetKeys {
    if (!this.#platform) throw new Error('keyring not opened: call openKeyring');
    return this.#platform;
  }

  /** Encrypts a platform secret (e.g. the audit signing key) for storage. */
  seal(plain: Buffer): Buffer {
    const { current } = this.#platformKeys();
    return encryptBytes(current.keys, current.version, plain, SEAL_AAD);
  }

  /** Decrypts what seal produced; CiphertextError when tampered. */
  unseal(sealed: Buffer): Buffer {
    const { versions } = this.#platformKeys();
    return decryptBytes(({ version }) => keysOf(versions, version), sealed, SEAL_AAD);
  }
}

const SEAL_AAD = Buffer.from('pdx:sealed');

function keysOf(versions: ReadonlyMap<number, DataKeyVersion>, version: number): SuiteKeys {
  const entry = versions.get(version);
  if (!entry) throw new UnknownKeyVersionError(version);
  return entry.keys;
}

/** Builds the synchronous field cipher over one snapshot of a dataset's keys. */
export function fieldCipherOf(dataset: DatasetKeys): FieldCipher {
  const { current, versions } = dataset;
  const keysFor = ({ version }: { version: number }) => keysOf(versions, version);
  const decrypt = (ciphertext: string) => decryptBytes(keysFor, decodeCiphertext(ciphertext)).toString('utf8');
  const encrypt = (plaintext: string) => encodeCiphertext(encryptBytes(current.keys, current.version, Buffer.from(plaintext, 'utf8')));
  const currentPrefix = textPrefix(current.suite, current.version);
  return {
    datasetId: dataset.datasetId,
    version: current.version,
    suite: current.suite,
    currentPrefix,
    encrypt,
    decrypt,
    versionOf: (ciphertext) => readHeader(decodeCiphertext(ciphertext)).version,
    reencrypt(ciphertext) {
      // Decrypt first even when the prefix says "current": a tampered value must not pass silently.
      const plain = decrypt(ciphertext);
      return ciphertext.startsWith(currentPrefix) ? null : encrypt(plain);
    },
  };
}

/**
 * Checks the keyring's master key against the database. On first use of a database it records the
 * check value; afterwards a different master key fails at once with MasterKeyMismatchError
 * ("master key does not match this database"), before anything is served or written.
 */
export async function verifyMasterKey(db: Queryable, keyring: Keyring, lock?: 'share'): Promise<void> {
  let row = await repo.getKeyCheck(db, lock);
  if (!row) {
    // A database with wrapped keys but no check value was not set up by this code: refuse to guess.
    const keys = await repo.countDataKeys(db);
    if ((keys?.n ?? 0) > 0) throw new MasterKeyMismatchError();
    const algorithm = suiteInfo(keyring.suite).digest;
    row = await repo.insertKeyCheck(db, algorithm, keyring.checkValue(algorithm));
  }
  const expected = keyring.checkValue(row.algorithm);
  if (expected.length !== row.check_value.length || !timingSafeEqual(expected, row.check_value)) throw new MasterKeyMismatchError();
}

/** Opens the keyring: verifies the master key against the database and loads the platform key. */
export async function openKeyring(db: Db, options: { masterKey: Buffer; suite: SuiteId }): Promise<Keyring> {
  const keyring = new Keyring(db, options.masterKey, options.suite);
  await verifyMasterKey(db, keyring);
  await keyring.loadPlatformKey();
  return keyring;
}

/**
 * Creates a new data key version for a dataset (suite: the keyring's, so a rotation also moves a
 * dataset to the configured suite) and retires the previous one, which keeps decrypting until the
 * re-encryption job has moved every value. Returns the new version.
 */
export async function newDataKeyVersion(db: Db, keyring: Keyring, datasetId: string): Promise<number> {
  const version = await db.transaction(async (tx) => {
    await verifyMasterKey(tx, keyring, 'share');
    await repo.lockDatasetKeys(tx, datasetId);
    const next = (await repo.maxVersion(tx, datasetId)) + 1;
    await repo.retireActive(tx, datasetId);
    await repo.insertDataKey(tx, datasetId, next, keyring.suite, keyring.wrapDataKey(datasetId, next, keyring.suite, randomBytes(32)));
    return next;
  });
  return version;
}

/**
 * Re-wraps every data key under a new master key in one transaction and replaces the check value;
 * data and data keys are unchanged. Fails (changing nothing) when `oldKeyring` is not the database's
 * master key. Returns the keyring of the new master key.
 */
export async function rotateMaster(db: Db, oldKeyring: Keyring, newMasterKey: Buffer): Promise<{ keyring: Keyring; rewrapped: number }> {
  const next = new Keyring(db, newMasterKey, oldKeyring.suite);
  const rewrapped = await db.transaction(async (tx) => {
    const check = await repo.getKeyCheck(tx, 'update');
    if (!check) throw new MasterKeyMismatchError();
    await verifyMasterKey(tx, oldKeyring);
    const rows = await repo.lockAllDataKeys(tx);
    for (const row of rows) {
      const dataKey = oldKeyring.unwrapDataKey(row);
      await repo.updateWrappedKey(tx, row.dataset_id, row.version, next.wrapDataKey(row.dataset_id, row.version, row.suite, dataKey));
    }
    await repo.updateKeyCheck(tx, check.algorithm, next.checkValue(check.algorithm));
    return rows.length;
  });
  await next.loadPlatformKey();
  return { keyring: next, rewrapped };
}

/** Key versions of every dataset, without key material (for `pdx keys status`). */
export function listKeyVersions(db: Queryable): Promise<repo.DataKeyInfo[]> {
  return repo.listAllKeyInfo(db);
}
