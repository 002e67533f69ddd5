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
  mode: 'replace' | 'incremental' | 'cdc';
  cursor_column: string | null;
  key_column: string | null;
  /** Soft-delete column (migration 0038; needs key_column): boolean true, or a date/time set, when the row is deleted. */
  soft_delete_column: string | null;
  interval_minutes: number | null;
  /** A cron expression in Asia/Shanghai (schedule.ts); at most one of it and interval_minutes. */
  cron: string | null;
  next_run_at: Date | null;
  high_water: string | null;
  last_version: number | null;
  pending_job: string | null;
  consecutive_failures: number;
  last_error: { code: string; message: { zh: string; en: string }; details?: unknown } | null;
  state: 'active' | 'paused';
  /** cdc (migration 0039): the replication slot and publication at the source; whether pdx created the publication. */
  cdc_slot: string | null;
  cdc_publication: string | null;
  cdc_publication_owned: boolean;
  /** End LSN of the last source transaction applied ('0/0': the snapshot, nothing streamed yet; null: no snapshot yet). */
  cdc_lsn: string | null;
  cdc_applied_at: Date | null;
  /** The running job of the process streaming the binding. */
  cdc_job: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** One sync run of a binding (the console's run history). */
export interface RunRow {
  id: string;
  binding_id: string;
  job_id: string | null;
  state: 'running' | 'succeeded' | 'unchanged' | 'failed';
  version: number | null;
  rows_read: string | number;
  rows_applied: string | number;
  rows_quarantined: string | number;
  /** Soft-deleted source rows whose key's stored row the run removed. */
  rows_deleted: string | number;
  high_water: string | null;
  error: { code: string; message: { zh: string; en: string } } | null;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
}

/** Connection fields an officer may change; the password only when a new one is given. */
export type SourceChanges = Partial<Pick<SourceRow, 'name' | 'host' | 'port' | 'database' | 'username' | 'password_sealed' | 'tls' | 'tls_ca'>>;

export function exchangeRepo(db: Queryable) {
  return {
    insertSource: (s: Omit<SourceRow, 'state' | 'created_at' | 'updated_at'> & { created_by: string }) =>
      db.query(
        `INSERT INTO exchange_sources (id, org_id, name, kind, host, port, database, username, password_sealed, tls, tls_ca, created_by, purpose)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [s.id, s.org_id, s.name, s.kind, s.host, s.port, s.database, s.username, s.password_sealed, s.tls, s.tls_ca, s.created_by, s.purpose],
      ),
    sourceById: async (id: string) => (await db.query<SourceRow>('SELECT * FROM exchange_sources WHERE id = $1', [id]))[0],
    sourceByName: async (orgId: string, name: string) =>
      (await db.query<SourceRow>('SELECT * FROM exchange_sources WHERE org_id = $1 AND name = $2', [orgId, name]))[0],
    sourcesOf: (orgId: string, purpose: SourceRow['purpose'] = 'source') =>
      db.query<SourceRow>('SELECT * FROM exchange_sources WHERE org_id = $1 AND purpose = $2 ORDER BY name', [orgId, purpose]),
    setSourceState: (id: string, state: SourceRow['state']) =>
      db.query('UPDATE exchange_sources SET state = $2, updated_at = now() WHERE id = $1', [id, state]),
    /** Sets the given connection fields (a field left out keeps its value; tls_ca may be set to null). */
    updateSource: (id: string, c: SourceChanges) =>
      db.query(
        `UPDATE exchange_sources SET name = COALESCE($2, name), host = COALESCE($3, host), port = COALESCE($4, port), database = COALESCE($5, database),
           username = COALESCE($6, username), password_sealed = COALESCE($7, password_sealed), tls = COALESCE($8, tls),
           tls_ca = CASE WHEN $9::boolean THEN $10 ELSE tls_ca END, updated_at = now()
         WHERE id = $1`,
        [
          id,
          c.name ?? null,
          c.host ?? null,
          c.port ?? null,
          c.database ?? null,
          c.username ?? null,
          c.password_sealed ?? null,
          c.tls ?? null,
          'tls_ca' in c,
          c.tls_ca ?? null,
        ],
      ),

    insertBinding: (
      b: Pick<
        BindingRow,
        | 'id'
        | 'dataset_id'
        | 'source_id'
        | 'source_schema'
        | 'source_table'
        | 'source_columns'
        | 'mapping'
        | 'mode'
        | 'cursor_column'
        | 'key_column'
        | 'soft_delete_column'
        | 'interval_minutes'
        | 'cron'
        | 'next_run_at'
      > &
        Partial<Pick<BindingRow, 'cdc_slot' | 'cdc_publication' | 'cdc_publication_owned'>> & { created_by: string },
    ) =>
      db.query(
        `INSERT INTO exchange_bindings (id, dataset_id, source_id, source_schema, source_table, source_columns, mapping, mode, cursor_column, key_column,
           interval_minutes, cron, next_run_at, created_by, soft_delete_column, cdc_slot, cdc_publication, cdc_publication_owned)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [
          b.id,
          b.dataset_id,
          b.source_id,
          b.source_schema,
          b.source_table,
          JSON.stringify(b.source_columns),
          JSON.stringify(b.mapping),
          b.mode,
          b.cursor_column,
          b.key_column,
          b.interval_minutes,
          b.cron,
          b.next_run_at,
          b.created_by,
          b.soft_delete_column,
          b.cdc_slot ?? null,
          b.cdc_publication ?? null,
          b.cdc_publication_owned ?? false,
        ],
      ),
    setState: (id: string, state: BindingRow['state']) => db.query('UPDATE exchange_bindings SET state = $2, updated_at = now() WHERE id = $1', [id, state]),
    /** Active cdc bindings of active sources, with the job streaming each (whether it is alive is the job queue's to say). */
    cdcBindings: () =>
      db.query<BindingRow>(
        `SELECT b.* FROM exchange_bindings b WHERE b.mode = 'cdc' AND b.state = 'active'
           AND EXISTS (SELECT 1 FROM exchange_sources s WHERE s.id = b.source_id AND s.state = 'active')`,
      ),
    /** Locks a binding's row for the rest of the transaction; its streaming job, or undefined when it is gone. */
    lockCdcJob: async (id: string) => (await db.query<{ cdc_job: string | null }>('SELECT cdc_job FROM exchange_bindings WHERE id = $1 FOR UPDATE', [id]))[0],
    /** Points a cdc binding (locked by lockCdcJob) at the job if it is still an active cdc binding of an active source. */
    cdcClaim: async (id: string, job: string) =>
      (
        await db.query<BindingRow>(
          `UPDATE exchange_bindings b SET cdc_job = $2
           WHERE b.id = $1 AND b.mode = 'cdc' AND b.state = 'active'
             AND EXISTS (SELECT 1 FROM exchange_sources s WHERE s.id = b.source_id AND s.state = 'active')
           RETURNING b.*`,
          [id, job],
        )
      )[0],
    /**
     * Part of the transaction that makes a cdc batch's version visible (or, with no version, of its
     * own): the LSN moves with it, only from the LSN the batch started at and only for the job that
     * holds the binding. False when either changed (nothing commits).
     */
    commitCdc: async (id: string, r: { from: string | null; lsn: string; version: number | null; job: string }) =>
      (
        await db.query(
          `UPDATE exchange_bindings SET cdc_lsn = $2, cdc_applied_at = now(), last_version = COALESCE($3, last_version), consecutive_failures = 0, last_error = NULL, updated_at = now()
           WHERE id = $1 AND cdc_lsn IS NOT DISTINCT FROM $4 AND cdc_job = $5 RETURNING id`,
          [id, r.lsn, r.version, r.from, r.job],
        )
      ).length === 1,
    setSchedule: (id: string, s: Pick<BindingRow, 'interval_minutes' | 'cron' | 'next_run_at'>) =>
      db.query('UPDATE exchange_bindings SET interval_minutes = $2, cron = $3, next_run_at = $4, updated_at = now() WHERE id = $1', [
        id,
        s.interval_minutes,
        s.cron,
        s.next_run_at,
      ]),
    bindingById: async (id: string) => (await db.query<BindingRow>('SELECT * FROM exchange_bindings WHERE id = $1', [id]))[0],
    /** The bindings of an organisation's sources, with the source's name. */
    bindingsOfOrg: (orgId: string) =>
      db.query<BindingRow & { source_name: string }>(
        `SELECT b.*, s.name AS source_name FROM exchange_bindings b JOIN exchange_sources s ON s.id = b.source_id WHERE s.org_id = $1 ORDER BY s.name, b.created_at`,
        [orgId],
      ),
    bindingOf: async (datasetId: string) => (await db.query<BindingRow>('SELECT * FROM exchange_bindings WHERE dataset_id = $1', [datasetId]))[0],
    deleteBinding: (id: string) => db.query('DELETE FROM exchange_bindings WHERE id = $1', [id]),

    /**
     * Inside a transaction: bindings whose time has come, row-locked (SKIP LOCKED) until the caller
     * has moved their next run on (setNextRun) and committed, so two pdx processes on one database
     * never both take one.
     */
    lockDue: () =>
      db.query<BindingRow>(
        `SELECT * FROM exchange_bindings WHERE state = 'active' AND (interval_minutes IS NOT NULL OR cron IS NOT NULL) AND next_run_at <= now()
         ORDER BY next_run_at FOR UPDATE SKIP LOCKED`,
      ),
    setNextRun: (id: string, at: Date | null) => db.query('UPDATE exchange_bindings SET next_run_at = $2 WHERE id = $1', [id, at]),

    insertRun: (r: { id: string; bindingId: string; jobId: string }) =>
      db.query(`INSERT INTO exchange_runs (id, binding_id, job_id, state) VALUES ($1, $2, $3, 'running')`, [r.id, r.bindingId, r.jobId]),
    finishRun: (
      id: string,
      r: {
        state: RunRow['state'];
        version?: number | null;
        read?: number;
        applied?: number;
        quarantined?: number;
        deleted?: number;
        highWater?: string | null;
        error?: unknown;
      },
    ) =>
      db.query(
        `UPDATE exchange_runs SET state = $2, version = $3, rows_read = $4, rows_applied = $5, rows_quarantined = $6, high_water = $7, error = $8, rows_deleted = $9,
           finished_at = clock_timestamp(), duration_ms = GREATEST(0, round(extract(epoch FROM clock_timestamp() - started_at) * 1000))::int
         WHERE id = $1`,
        [
          id,
          r.state,
          r.version ?? null,
          r.read ?? 0,
          r.applied ?? 0,
          r.quarantined ?? 0,
          r.highWater ?? null,
          r.error === undefined ? null : JSON.stringify(r.error),
          r.deleted ?? 0,
        ],
      ),
    deleteRun: (id: string) => db.query('DELETE FROM exchange_runs WHERE id = $1', [id]),
    /** Runs still marked running (few: at most one live run per binding). */
    runningRuns: () => db.query<RunRow>(`SELECT * FROM exchange_runs WHERE state = 'running' ORDER BY started_at`),
    /** Ends a run whose process stopped before it recorded an outcome; false when it ended meanwhile. */
    interruptRun: async (id: string, error: unknown) =>
      (
        await db.query(
          `UPDATE exchange_runs SET state = 'failed', error = $2, finished_at = clock_timestamp(),
             duration_ms = GREATEST(0, round(extract(epoch FROM clock_timestamp() - started_at) * 1000))::int
           WHERE id = $1 AND state = 'running' RETURNING id`,
          [id, JSON.stringify(error)],
        )
      ).length > 0,
    runsOf: (bindingId: string, limit: number) =>
      db.query<RunRow>('SELECT * FROM exchange_runs WHERE binding_id = $1 ORDER BY started_at DESC, id LIMIT $2', [bindingId, limit]),
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
