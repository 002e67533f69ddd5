/** All SQL of the exchange module's sources and bindings (migrations 0017, 0024), bound parameters only. */
import type { Queryable } from '../../db/index.ts';
import type { SourceColumn } from './connector.ts';

export interface SourceRow {
  id: string;
  org_id: string;
  name: string;
  kind: string;
  host: string;
  port: number;
  database: string;
  username: string;
  password_sealed: Buffer | Uint8Array;
  tls: 'verify-full' | 'require' | 'off';
  tls_ca: string | null;
  state: 'active' | 'disabled';
  /** source: read by sync runs (data officers); target: written by push deliveries (the consumer's users). */
  purpose: 'source' | 'target';
  created_at: Date;
  updated_at: Date;
}

export interface MappedColumn {
  /** Column of the source table. */
  source: string;
  /** The dataset's 信息项 it loads into. */
  name: string;
}

export interface BindingRow {
  id: string;
  dataset_id: string;
  source_id: string;
  source_schema: string;
  source_table: string;
  source_columns: SourceColumn[];
  mapping: MappedColumn[];
  mode: 'replace' | 'incremental';
  cursor_column: string | null;
  key_column: string | null;
  interval_minutes: number | null;
  next_run_at: Date | null;
  high_water: string | null;
  last_version: number | null;
  pending_job: string | null;
  consecutive_failures: number;
  last_error: { code: string; message: { zh: string; en: string }; details?: unknown } | null;
  state: 'active' | 'paused';
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export function exchangeRepo(db: Queryable) {
  return {
    insertSource: (s: Omit<SourceRow, 'state' | 'created_at' | 'updated_at'> & { created_by: string }) =>
      db.query(
        `INSERT INTO exchange_sources (id, org_id, name, kind, host, port, database, username, password_sealed, tls, tls_ca, created_by, purpose)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [s.id, s.org_id, s.name, s.kind, s.host, s.port, s.database, s.username, s.password_sealed, s.tls, s.tls_ca, s.created_by, s.purpose],
      ),
    sourceById: async (id: string) => (await db.query<SourceRow>('SELECT * FROM exchange_sources WHERE id = $1', [id]))[0],
    sourceByName: async (orgId: string, name: string) => (await db.query<SourceRow>('SELECT * FROM exchange_sources WHERE org_id = $1 AND name = $2', [orgId, name]))[0],
    sourcesOf: (orgId: string, purpose: SourceRow['purpose'] = 'source') =>
      db.query<SourceRow>('SELECT * FROM exchange_sources WHERE org_id = $1 AND purpose = $2 ORDER BY name', [orgId, purpose]),
    setSourceState: (id: string, state: SourceRow['state']) => db.query('UPDATE exchange_sources SET state = $2, updated_at = now() WHERE id = $1', [id, state]),

    insertBinding: (b: Pick<BindingRow, 'id' | 'dataset_id' | 'source_id' | 'source_schema' | 'source_table' | 'source_columns' | 'mapping' | 'mode' | 'cursor_column' | 'key_column' | 'interval_minutes'> & { created_by: string }) =>
      db.query(
        `INSERT INTO exchange_bindings (id, dataset_id, source_id, source_schema, source_table, source_columns, mapping, mode, cursor_column, key_column,
           interval_minutes, next_run_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $11::int IS NULL THEN NULL ELSE now() END, $12)`,
        [b.id, b.dataset_id, b.source_id, b.source_schema, b.source_table, JSON.stringify(b.source_columns), JSON.stringify(b.mapping), b.mode, b.cursor_column, b.key_column, b.interval_minutes, b.created_by],
      ),
    bindingById: async (id: string) => (await db.query<BindingRow>('SELECT * FROM exchange_bindings WHERE id = $1', [id]))[0],
    bindingOf: async (datasetId: string) => (await db.query<BindingRow>('SELECT * FROM exchange_bindings WHERE dataset_id = $1', [datasetId]))[0],
    deleteBinding: (id: string) => db.query('DELETE FROM exchange_bindings WHERE id = $1', [id]),

    /**
     * Bindings whose time has come: their next run moves one interval on in the same statement, so
     * two pdx processes on one database never both take one (SKIP LOCKED).
     */
    claimDue: () =>
      db.query<BindingRow>(
        `UPDATE exchange_bindings SET next_run_at = now() + make_interval(mins => interval_minutes)
         WHERE id IN (SELECT id FROM exchange_bindings WHERE state = 'active' AND interval_minutes IS NOT NULL AND next_run_at <= now()
                      FOR UPDATE SKIP LOCKED)
         RETURNING *`,
      ),
    setPending: (id: string, jobId: string | null) => db.query('UPDATE exchange_bindings SET pending_job = $2 WHERE id = $1', [id, jobId]),
    /**
     * Part of the transaction that makes the run's version visible: the mark advances with it, and
     * only from the mark the run started at (a second run of the same range commits nothing).
     * Returns false when another run moved the mark first.
     */
    commitRun: async (id: string, r: { from: string | null; highWater: string | null; version: number }) =>
      (
        await db.query(
          `UPDATE exchange_bindings SET high_water = COALESCE($2, high_water), last_version = $3, consecutive_failures = 0, last_error = NULL, updated_at = now()
           WHERE id = $1 AND high_water IS NOT DISTINCT FROM $4 RETURNING id`,
          [id, r.highWater, r.version, r.from],
        )
      ).length === 1,
    /** A run that found nothing new. */
    noChange: (id: string) => db.query('UPDATE exchange_bindings SET consecutive_failures = 0, last_error = NULL, updated_at = now() WHERE id = $1', [id]),
    failRun: async (id: string, error: unknown) =>
      (
        await db.query<{ consecutive_failures: number }>(
          'UPDATE exchange_bindings SET consecutive_failures = consecutive_failures + 1, last_error = $2, updated_at = now() WHERE id = $1 RETURNING consecutive_failures',
          [id, JSON.stringify(error)],
        )
      )[0]?.consecutive_failures ?? 0,
  };
}
