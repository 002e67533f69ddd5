/** All SQL of the protection module: the key-check value and the wrapped data keys. */
import type { Queryable } from '../../db/index.ts';
import { maybeOne } from '../../db/index.ts';
import type { SuiteId } from './suites.ts';

export interface KeyCheckRow {
  algorithm: 'sha256' | 'sm3';
  check_value: Buffer;
  created_at: Date;
  rotated_at: Date | null;
}

export interface DataKeyRow {
  dataset_id: string;
  version: number;
  suite: SuiteId;
  wrapped_key: Buffer;
  state: 'active' | 'retired';
  created_at: Date;
  retired_at: Date | null;
}

/** Data key rows without the wrapped key, for listings. */
export type DataKeyInfo = Omit<DataKeyRow, 'wrapped_key'>;

/**
 * For the sharing module's access context, the one statement the records path reads per request
 * (share.repo.ts `accessContext`): the data keys of the dataset `datasetId` (an SQL expression), still
 * wrapped (base64), oldest version first. keyring.ts re-exports it for the sharing module.
 */
export const dataKeysJsonForAccessContext = (datasetId: string) =>
  `(SELECT json_agg(json_build_object('version', k.version, 'suite', k.suite, 'state', k.state, 'wrapped_key', encode(k.wrapped_key, 'base64')) ORDER BY k.version)
      FROM data_keys k WHERE k.dataset_id = ${datasetId})`;

/**
 * Reads the check value. `update` is taken by a master rotation; `share` by anything that wraps a
 * new data key, so no key can be wrapped under a master key that a concurrent rotation is replacing.
 */
export function getKeyCheck(db: Queryable, lock?: 'update' | 'share'): Promise<KeyCheckRow | undefined> {
  const suffix = lock === 'update' ? ' FOR UPDATE' : lock === 'share' ? ' FOR SHARE' : '';
  return maybeOne<KeyCheckRow>(db, `SELECT algorithm, check_value, created_at, rotated_at FROM master_key_check${suffix}`);
}

/** Inserts the check value unless another process did first; returns the row that won. */
export async function insertKeyCheck(db: Queryable, algorithm: string, checkValue: Buffer): Promise<KeyCheckRow> {
  await db.query('INSERT INTO master_key_check (algorithm, check_value) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [algorithm, checkValue]);
  return (await getKeyCheck(db)) as KeyCheckRow;
}

export async function updateKeyCheck(db: Queryable, algorithm: string, checkValue: Buffer): Promise<void> {
  await db.query('UPDATE master_key_check SET algorithm = $1, check_value = $2, rotated_at = now()', [algorithm, checkValue]);
}

export function countDataKeys(db: Queryable): Promise<{ n: number } | undefined> {
  return maybeOne<{ n: number }>(db, 'SELECT count(*)::int AS n FROM data_keys');
}

export function listDataKeys(db: Queryable, datasetId: string): Promise<DataKeyRow[]> {
  return db.query<DataKeyRow>('SELECT * FROM data_keys WHERE dataset_id = $1 ORDER BY version', [datasetId]);
}

/** Every dataset's versions without key material, for `pdx keys status`. */
export function listAllKeyInfo(db: Queryable): Promise<DataKeyInfo[]> {
  return db.query<DataKeyInfo>('SELECT dataset_id, version, suite, state, created_at, retired_at FROM data_keys ORDER BY dataset_id, version');
}

/** All rows, locked, for re-wrapping under a new master key. */
export function lockAllDataKeys(db: Queryable): Promise<DataKeyRow[]> {
  return db.query<DataKeyRow>('SELECT * FROM data_keys ORDER BY dataset_id, version FOR UPDATE');
}

/** Inserts version 1 unless the dataset already has keys (another process got there first). */
export async function insertFirstDataKey(db: Queryable, datasetId: string, suite: SuiteId, wrapped: Buffer): Promise<void> {
  await db.query(
    `INSERT INTO data_keys (dataset_id, version, suite, wrapped_key, state) VALUES ($1, 1, $2, $3, 'active')
     ON CONFLICT DO NOTHING`,
    [datasetId, suite, wrapped],
  );
}

/** Serialises version changes of one dataset across processes until the transaction ends. */
export async function lockDatasetKeys(db: Queryable, datasetId: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('pdx.data_keys:' || $1::text, 0))", [datasetId]);
}

export async function maxVersion(db: Queryable, datasetId: string): Promise<number> {
  const row = await maybeOne<{ v: number | null }>(db, 'SELECT max(version) AS v FROM data_keys WHERE dataset_id = $1', [datasetId]);
  return row?.v ?? 0;
}

export async function retireActive(db: Queryable, datasetId: string): Promise<void> {
  await db.query("UPDATE data_keys SET state = 'retired', retired_at = now() WHERE dataset_id = $1 AND state = 'active'", [datasetId]);
}

export async function insertDataKey(db: Queryable, datasetId: string, version: number, suite: SuiteId, wrapped: Buffer): Promise<void> {
  await db.query(`INSERT INTO data_keys (dataset_id, version, suite, wrapped_key, state) VALUES ($1, $2, $3, $4, 'active')`, [
    datasetId,
    version,
    suite,
    wrapped,
  ]);
}

export async function updateWrappedKey(db: Queryable, datasetId: string, version: number, wrapped: Buffer): Promise<void> {
  await db.query('UPDATE data_keys SET wrapped_key = $3 WHERE dataset_id = $1 AND version = $2', [datasetId, version, wrapped]);
}
