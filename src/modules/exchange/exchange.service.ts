/**
 * Database exchange (库表汇聚): departments' databases as data sources, datasets bound to one of
 * their tables, and sync runs that stream the table's rows through the ingest pipeline — the same
 * classification, validation, 4级 encryption, quality report, atomic version and audit as an upload.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { AppError, BadRequestError, ConflictError, NotFoundError } from '../../errors.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { Caller } from '../../http/kit.ts';
import type { IngestService, LoadRequest } from '../ingest/ingest.service.ts';
import type { TableReader, TableRow } from '../../lib/readers/index.ts';
import { RetryLater, type JobContext, type Jobs } from '../jobs/jobs.service.ts';
import type { EgressService } from '../egress/egress.service.ts';
import type { Keyring } from '../protect/keyring.ts';
import { mask } from '../../lib/mask.ts';
import {
  compareLsn,
  unreachable,
  type Connector,
  type ConnectorFactory,
  type RowChange,
  type RowRange,
  type SourceTransaction,
  type SourceColumn,
  type SourceSettings,
  type TableRef,
  type TestOutcome,
} from './connector.ts';
import { CONNECTORS, type SourceKind } from './connectors.ts';
import { exchangeRepo, type BindingRow, type MappedColumn, type RunRow, type SourceChanges, type SourceRow } from './exchange.repo.ts';
import { checkSchedule, nextRun } from './schedule.ts';

export const SYNC_JOB = 'exchange.sync';

export interface SourceInput {
  name: string;
  kind: SourceKind;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  tls: SourceSettings['tls'];
  ca?: string | undefined;
}

export interface BindingInput {
  sourceId: string;
  schema: string;
  table: string;
  /** Default: every column of the source table, under its own name. */
  columns?: MappedColumn[] | undefined;
  mode: BindingRow['mode'];
  cursorColumn?: string | undefined;
  keyColumn?: string | undefined;
  /** incremental with a key only: a boolean (true when deleted) or a date/time (set when deleted) column. */
  softDeleteColumn?: string | undefined;
  intervalMinutes?: number | undefined;
  /** Cron expression in Asia/Shanghai; at most one of it and intervalMinutes. */
  cron?: string | undefined;
}

interface SyncPayload {
  bindingId: string;
  userId: string;
}

const SOURCE = { zh: '数据源', en: 'Data source' };
const TARGET = { zh: '目标库', en: 'Target database' };
type Purpose = SourceRow['purpose'];
const BINDING = { zh: '库表绑定', en: 'Binding' };

/** A source as the API shows it: never the password. */
export function sourceView(s: SourceRow) {
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.username,
    tls: s.tls,
    hasCa: s.tls_ca !== null,
    state: s.state,
    createdAt: s.created_at,
  };
}

/** A run as the history shows it. */
export function runView(r: RunRow) {
  return {
    id: r.id,
    jobId: r.job_id,
    state: r.state,
    version: r.version,
    rowsRead: Number(r.rows_read),
    rowsApplied: Number(r.rows_applied),
    rowsQuarantined: Number(r.rows_quarantined),
    rowsDeleted: Number(r.rows_deleted),
    highWater: r.high_water,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  };
}

export function bindingView(b: BindingRow) {
  return {
    id: b.id,
    sourceId: b.source_id,
    schema: b.source_schema,
    table: b.source_table,
    columns: b.mapping,
    mode: b.mode,
    cursorColumn: b.cursor_column,
    keyColumn: b.key_column,
    softDeleteColumn: b.soft_delete_column,
    intervalMinutes: b.interval_minutes,
    cron: b.cron,
    nextRunAt: b.next_run_at,
    highWater: b.high_water,
    lastVersion: b.last_version,
    consecutiveFailures: b.consecutive_failures,
    lastError: b.last_error,
    state: b.state,
    cdc: b.mode === 'cdc' ? { slot: b.cdc_slot!, publication: b.cdc_publication!, lsn: b.cdc_lsn, appliedAt: b.cdc_applied_at } : null,
  };
}

/** The names pdx gives a cdc binding's replication slot and publication (63-byte limits kept). */
export const cdcName = (bindingId: string) => `pdx_${bindingId.replaceAll('-', '')}`;

/**
 * What changed at the source since the binding was made; the run stops on any change and names the
 * column, so the officer decides (map, ignore, new version) instead of pdx guessing.
 */
export function schemaDrift(bound: SourceColumn[], now: SourceColumn[]) {
  const changes: { column: string; change: 'removed' | 'added' | 'retyped'; from?: string; to?: string }[] = [];
  for (const c of bound) {
    const found = now.find((n) => n.name === c.name);
    if (!found) changes.push({ column: c.name, change: 'removed' });
    else if (found.type !== c.type) changes.push({ column: c.name, change: 'retyped', from: c.type, to: found.type });
  }
  for (const n of now) if (!bound.some((c) => c.name === n.name)) changes.push({ column: n.name, change: 'added', to: n.type });
  return changes;
}

/**
 * How a soft-delete column says a row is deleted, from its source type: a boolean (PostgreSQL
 * boolean; MySQL BOOLEAN = tinyint(1), or bit(1)) when true; a date or time (date, timestamp,
 * datetime) when set (MySQL's zero date counts as not set). Undefined for any other type.
 */
export function deletedTest(type: string): ((value: string | null) => boolean) | undefined {
  if (/^(boolean|bool|tinyint\(1\)|bit\(1\))/i.test(type)) return (v) => v !== null && /^(true|t|1|\u0001)$/i.test(v);
  if (/^(date|datetime|timestamp)\b/i.test(type)) return (v) => v !== null && !v.startsWith('0000-00-00');
  return undefined;
}

const CHANGE_TEXT = {
  removed: { zh: '已删除', en: 'was removed' },
  added: { zh: '是新增的', en: 'was added' },
  retyped: { zh: '类型已变化', en: 'changed type' },
} as const;

/** A soft-delete column needs incremental mode with a key (deletions remove the key's stored row) and a boolean or date/time type. */
function checkSoftDelete(input: BindingInput, column: SourceColumn): void {
  if (input.mode !== 'incremental' || !input.keyColumn) {
    throw new BadRequestError(
      'soft_delete_needs_key',
      {
        zh: '字段 softDeleteColumn（软删除列）需要增量模式和键列（keyColumn）：删除按键移除已存储的行',
        en: 'Field softDeleteColumn (soft-delete column) needs incremental mode and a key column (keyColumn): a deletion removes the stored row of its key',
      },
      { field: 'softDeleteColumn' },
    );
  }
  if (!deletedTest(column.type)) {
    throw new BadRequestError(
      'soft_delete_type',
      {
        zh: `字段 softDeleteColumn：软删除列 ${column.name} 的类型为 ${column.type}，须为布尔（删除时为真）或日期时间（删除时有值）`,
        en: `Field softDeleteColumn: soft-delete column ${column.name} is of type ${column.type}; it must be a boolean (true when deleted) or a date/time (set when deleted)`,
      },
      { field: 'softDeleteColumn', column: column.name },
    );
  }
}

export function createExchangeService(deps: {
  db: Db;
  events: EventSink;
  jobs: Pick<Jobs, 'enqueue' | 'handle' | 'get' | 'staleSeconds' | 'begin' | 'failAbandoned' | 'alive'>;
  ingest: Pick<IngestService, 'load' | 'preview'>;
  catalog: Pick<CatalogService, 'getOwned' | 'assertTable' | 'byId'>;
  sealer: Pick<Keyring, 'seal' | 'unseal'>;
  egress: Pick<EgressService, 'checkHost' | 'resolve'>;
  /** Connector kinds (default: CONNECTORS). */
  connectors?: Record<string, ConnectorFactory>;
}) {
  const { db, events, jobs, sealer } = deps;
  const connectors: Record<string, ConnectorFactory> = deps.connectors ?? CONNECTORS;
  const repo = exchangeRepo(db);

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  /** The source (or target) if it belongs to the caller's organisation; otherwise "not found". */
  async function ownSource(caller: Caller, id: string, purpose: Purpose = 'source'): Promise<SourceRow> {
    const s = await repo.sourceById(id);
    if (!s || s.org_id !== caller.principal.orgId || s.purpose !== purpose) throw new NotFoundError(purpose === 'source' ? SOURCE : TARGET);
    return s;
  }

  /** A connector to the source at an address the egress guard checked just now (TLS still checks the host name). */
  async function connectorOf(s: SourceRow): Promise<Connector> {
    return (await connectTo(s)).connector;
  }

  /** connectorOf, with the checked address it connects to (a push delivery checks the grant's IP ranges against it). */
  async function connectTo(s: SourceRow): Promise<{ connector: Connector; address: string }> {
    const factory = connectors[s.kind];
    if (!factory) throw new BadRequestError('unknown_source_kind', { zh: `不支持的数据源类型：${s.kind}`, en: `Unsupported source kind: ${s.kind}` });
    let address: string;
    try {
      address = (await deps.egress.resolve('host', s.host, s.port))[0]!.address;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw unreachable(`${s.host}:${s.port} (${(error as { code?: string }).code ?? 'ENOTFOUND'})`, s.purpose);
    }
    const connector = factory({
      host: address,
      servername: s.host,
      port: s.port,
      database: s.database,
      user: s.username,
      password: sealer.unseal(Buffer.from(s.password_sealed)).toString('utf8'),
      tls: s.tls,
      ca: s.tls_ca ?? undefined,
      role: s.purpose,
    });
    return { connector, address };
  }

  async function withConnector<T>(s: SourceRow, fn: (c: Connector) => Promise<T>): Promise<T> {
    const c = await connectorOf(s);
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  }

  /** The source table's columns, or a clear error naming the table. */
  async function sourceColumns(c: Connector, table: TableRef): Promise<SourceColumn[]> {
    const columns = await c.columns(table);
    if (!columns) {
      throw new BadRequestError(
        'source_table_missing',
        { zh: `数据源中没有表或视图 ${table.schema}.${table.table}`, en: `The source has no table or view ${table.schema}.${table.table}` },
        { field: 'table' },
      );
    }
    return columns;
  }

  /** One run: source rows → ingest pipeline → a version; the mark moves only with that version. */
  async function runSync(ctx: JobContext) {
    const payload = ctx.job.payload as unknown as SyncPayload;
    const binding = await repo.bindingById(payload.bindingId);
    if (!binding) throw new NotFoundError(BINDING);
    // An earlier attempt of this job (its process died, the job was taken over) left its run open.
    await closeInterruptedRuns();
    const runId = randomUUID();
    await repo.insertRun({ id: runId, bindingId: binding.id, jobId: ctx.job.id });
    let retry = false;
    try {
      const source = (await repo.sourceById(binding.source_id))!;
      if (source.state !== 'active')
        throw new ConflictError('source_disabled', { zh: `数据源 ${source.name} 已停用`, en: `Data source ${source.name} is disabled` });
      const result = await withConnector(source, (c) => syncWith(ctx, c, source, binding, payload));
      await repo.finishRun(runId, {
        state: result.unchanged ? 'unchanged' : 'succeeded',
        version: result.version,
        read: result.rows + result.quarantined + result.deleted,
        applied: result.rows,
        quarantined: result.quarantined,
        deleted: result.deleted,
        highWater: result.highWater,
      });
      return result;
    } catch (error) {
      if (error instanceof RetryLater) {
        // Another load of the dataset holds it: the job comes back later, this attempt is no run.
        retry = true;
        await repo.deleteRun(runId);
        throw error;
      }
      const stored =
        error instanceof AppError
          ? { code: error.code, message: error.text, details: error.details }
          : { code: 'sync_failed', message: { zh: String(error), en: String(error) } };
      await repo.finishRun(runId, { state: 'failed', error: { code: stored.code, message: stored.message } });
      const failures = await repo.failRun(binding.id, stored);
      await events.record({
        action: 'exchange.sync_failed',
        result: 'failure',
        actor: { userId: payload.userId },
        target: { type: 'binding', id: binding.id },
        details: { error: stored.code, consecutiveFailures: failures },
      });
      throw error;
    } finally {
      if (!retry) await repo.setPending(binding.id, null);
    }
  }

  /** Refuses to read a source table whose columns are no longer those the binding was made with, naming the first change. */
  async function assertNoDrift(c: Connector, binding: Pick<BindingRow, 'source_schema' | 'source_table' | 'source_columns'>) {
    const table = { schema: binding.source_schema, table: binding.source_table };
    const drift = schemaDrift(binding.source_columns, await sourceColumns(c, table));
    if (drift.length === 0) return;
    const first = drift[0]!;
    throw new ConflictError(
      'schema_drift',
      {
        zh: `源表 ${table.schema}.${table.table} 的结构已变化：列 ${first.column} ${CHANGE_TEXT[first.change].zh}${drift.length > 1 ? `（共 ${drift.length} 处变化）` : ''}；请重新绑定或调整映射`,
        en: `The structure of source table ${table.schema}.${table.table} changed: column ${first.column} ${CHANGE_TEXT[first.change].en}${drift.length > 1 ? ` (${drift.length} changes)` : ''}; bind again or adjust the mapping`,
      },
      { column: first.column, changes: drift },
    );
  }

  /** `commit`: replaces the high-water commit (a cdc binding's snapshot stores its LSN instead). */
  async function syncWith(
    ctx: JobContext,
    c: Connector,
    source: SourceRow,
    binding: BindingRow,
    payload: SyncPayload,
    commit?: (tx: Parameters<NonNullable<LoadRequest['commit']>>[0], version: number) => Promise<void>,
  ) {
    const table = { schema: binding.source_schema, table: binding.source_table };
    await assertNoDrift(c, binding);
    const snapshot = await c.snapshot();
    try {
      let range: RowRange | undefined;
      if (binding.mode === 'incremental') {
        const upTo = await snapshot.max(table, binding.cursor_column!, binding.high_water);
        if (upTo === null) {
          await repo.noChange(binding.id);
          await ctx.progress({ phase: 'done', rows: 0 });
          return { version: null, rows: 0, quarantined: 0, deleted: 0, highWater: binding.high_water, unchanged: true as boolean };
        }
        range = { cursor: binding.cursor_column!, after: binding.high_water, upTo };
      }
      const sourceNames = binding.mapping.map((m) => m.source);
      // The soft-delete column is read after the mapped ones (whether or not it is loaded too).
      const softDelete = binding.mode === 'incremental' && binding.soft_delete_column ? binding.soft_delete_column : undefined;
      const isDeleted = softDelete ? deletedTest(binding.source_columns.find((c) => c.name === softDelete)?.type ?? '') : undefined;
      const open = async (): Promise<TableReader> => ({
        format: 'database',
        encoding: 'utf-8',
        columns: binding.mapping.map((m) => m.name),
        rows: numbered(snapshot.rows(table, isDeleted ? [...sourceNames, softDelete!] : sourceNames, range), isDeleted),
        bytesRead: () => 0,
      });
      const loaded = await deps.ingest.load(ctx, {
        datasetId: binding.dataset_id,
        userId: payload.userId,
        mode: binding.mode === 'replace' ? 'replace' : 'append',
        // `key` is kept with the version: push subscriptions deliver such a version in full (rows replaced by key).
        source: {
          kind: 'database',
          source: source.name,
          table: `${table.schema}.${table.table}`,
          ...(range ? { after: range.after, upTo: range.upTo } : {}),
          ...(binding.mode === 'incremental' && binding.key_column ? { key: binding.key_column } : {}),
          ...(softDelete ? { softDelete } : {}),
        },
        totalBytes: 0,
        open,
        ...(binding.mode === 'incremental' && binding.key_column ? { key: binding.mapping.find((m) => m.source === binding.key_column)?.name } : {}),
        commit:
          commit ??
          (async (tx, version) => {
            if (!(await exchangeRepo(tx).commitRun(binding.id, { from: binding.high_water, highWater: range?.upTo ?? null, version }))) {
              // Rolls the version back: another run of this binding committed the same range first.
              throw new ConflictError('sync_overtaken', {
                zh: '另一次同步已提交了同一范围的数据，本次同步未生效',
                en: 'Another run of this binding committed the same range first; this run changed nothing',
              });
            }
          }),
      });
      await events.record({
        action: 'exchange.sync',
        result: 'success',
        actor: { userId: payload.userId },
        target: { type: 'binding', id: binding.id, label: `${source.name}:${table.schema}.${table.table}` },
        details: {
          mode: binding.mode,
          version: loaded.version,
          rows: loaded.rows,
          quarantined: loaded.quarantined,
          ...(loaded.deleted ? { deleted: loaded.deleted } : {}),
          ...(range ? { highWater: range.upTo } : {}),
        },
      });
      return { ...loaded, deleted: loaded.deleted ?? 0, version: loaded.version as number | null, highWater: range?.upTo ?? null, unchanged: false as boolean };
    } finally {
      await snapshot.close();
    }
  }

  const INTERRUPTED = {
    code: 'interrupted',
    message: {
      zh: '同步运行中断：执行它的进程已退出，未记录结果',
      en: 'The run was interrupted: the process running it stopped before it recorded an outcome',
    },
  };

  /**
   * Ends the runs left "running" by a process that stopped (killed, crashed, restarted): their job
   * has ended, been taken over by a later attempt (claimed after the run started), or stopped
   * beating. A version such a run loaded is visible only if it committed with its mark, so the run
   * history never claims more than the versions show.
   */
  async function closeInterruptedRuns(): Promise<number> {
    let closed = 0;
    for (const run of await repo.runningRuns()) {
      const job = run.job_id ? await jobs.get(run.job_id) : undefined;
      const stale = job?.heartbeat_at && job.heartbeat_at.getTime() < Date.now() - jobs.staleSeconds * 1000;
      const takenOver = job?.started_at && job.started_at > run.started_at;
      if (!job || job.state !== 'running' || stale || takenOver) {
        if (await repo.interruptRun(run.id, INTERRUPTED)) closed++;
      }
    }
    return closed;
  }

  jobs.handle(SYNC_JOB, runSync);

  /** Queues a run unless one is queued or running already; returns the job id. */
  async function enqueue(binding: BindingRow, userId: string): Promise<string> {
    if (binding.pending_job) {
      const job = await jobs.get(binding.pending_job);
      if (job && (job.state === 'queued' || job.state === 'running')) return job.id;
    }
    const jobId = await jobs.enqueue(SYNC_JOB, { bindingId: binding.id, userId } satisfies SyncPayload, userId);
    await repo.setPending(binding.id, jobId);
    return jobId;
  }

  const CDC_ONLY_PG = { zh: 'CDC 模式仅支持 PostgreSQL 数据源', en: 'CDC mode is for PostgreSQL sources only' };

  /**
   * A cdc binding's initial snapshot: the replace read of the whole table as a version, its commit
   * marking the snapshot done (cdc_lsn '0/0': stream from the slot's start, which was made before
   * the snapshot; changes the snapshot already shows are applied again, by key, to the same end).
   */
  async function cdcSnapshot(ctx: JobContext, binding: BindingRow, source: SourceRow, c: Connector) {
    const runId = randomUUID();
    await repo.insertRun({ id: runId, bindingId: binding.id, jobId: ctx.job.id });
    const mark = (tx: Parameters<NonNullable<LoadRequest['commit']>>[0], version: number | null) =>
      cdcCommit(tx, binding, { from: null, lsn: '0/0', version, job: ctx.job.id });
    try {
      const result = await syncWith(ctx, c, source, { ...binding, mode: 'replace' }, { bindingId: binding.id, userId: binding.created_by! }, mark).catch(
        async (error: unknown) => {
          // An empty table: nothing to load, the stream starts at once.
          if (!(error instanceof AppError && error.code === 'no_rows')) throw error;
          await mark(db, null);
          return { version: null, rows: 0, quarantined: 0, deleted: 0, highWater: null, unchanged: true };
        },
      );
      await repo.finishRun(runId, {
        state: result.unchanged ? 'unchanged' : 'succeeded',
        version: result.version,
        read: result.rows + result.quarantined,
        applied: result.rows,
        quarantined: result.quarantined,
        highWater: '0/0',
      });
    } catch (error) {
      await failCdcRun(runId, binding, error);
      throw error;
    }
  }

  async function cdcCommit(
    tx: Parameters<NonNullable<LoadRequest['commit']>>[0],
    binding: BindingRow,
    r: { from: string | null; lsn: string; version: number | null; job: string },
  ) {
    if (!(await exchangeRepo(tx).commitCdc(binding.id, r))) {
      throw new ConflictError('sync_overtaken', {
        zh: '另一进程已接管该绑定的变更同步，本批未生效',
        en: 'Another process took the binding over; this batch changed nothing',
      });
    }
  }

  async function failCdcRun(runId: string, binding: BindingRow, error: unknown) {
    const stored =
      error instanceof AppError ? { code: error.code, message: error.text } : { code: 'sync_failed', message: { zh: String(error), en: String(error) } };
    await repo.finishRun(runId, { state: 'failed', error: stored });
    const failures = await repo.failRun(binding.id, stored);
    await events.record({
      action: 'exchange.sync_failed',
      result: 'failure',
      actor: { userId: binding.created_by! },
      target: { type: 'binding', id: binding.id },
      details: { error: stored.code, consecutiveFailures: failures, mode: 'cdc' },
    });
  }

  /**
   * Applies committed source transactions (all after `from`) as one version, through the same load
   * as an incremental run with a key: the last change of each key wins; a delete removes the key's
   * stored row. The LSN moves in the transaction that makes the version visible.
   */
  async function cdcApply(ctx: JobContext, binding: BindingRow, source: SourceRow, txs: readonly SourceTransaction[], from: string) {
    const lsn = txs.at(-1)!.lsn;
    const keyColumn = binding.key_column!;
    const latest = new Map<string, RowChange>();
    for (const tx of txs) {
      for (const change of tx.changes) {
        const key = change.values[keyColumn];
        if (key === null || key === undefined)
          throw new BadRequestError('cdc_no_key', {
            zh: `变更中缺少键列 ${keyColumn}（键列须为表的主键或复制标识）`,
            en: `A change lacks key column ${keyColumn} (it must be the table's primary key or replica identity)`,
          });
        latest.delete(key);
        latest.set(key, change);
      }
    }
    if (latest.size === 0) {
      await db.transaction((tx) => cdcCommit(tx, binding, { from, lsn, version: null, job: ctx.job.id }));
      return { version: null, rows: 0, quarantined: 0, deleted: 0, lsn };
    }
    const rows: TableRow[] = [...latest.values()].map((change, i) => {
      if (change.op === 'delete')
        return { line: i + 1, values: binding.mapping.map((m) => (m.source === keyColumn ? change.values[keyColumn]! : null)), deleted: true };
      return {
        line: i + 1,
        values: binding.mapping.map((m) => {
          const v = change.values[m.source];
          if (v === undefined) {
            throw new BadRequestError('cdc_unchanged_value', {
              zh: `源表未发送列 ${m.source} 未变的大值；请数据库管理员对该表设置 REPLICA IDENTITY FULL`,
              en: `The source did not send the unchanged large value of column ${m.source}; the DBA should set REPLICA IDENTITY FULL on the table`,
            });
          }
          return v;
        }),
      };
    });
    const runId = randomUUID();
    await repo.insertRun({ id: runId, bindingId: binding.id, jobId: ctx.job.id });
    const table = `${binding.source_schema}.${binding.source_table}`;
    try {
      const loaded = await deps.ingest.load(ctx, {
        datasetId: binding.dataset_id,
        userId: binding.created_by!,
        mode: 'append',
        source: { kind: 'database', source: source.name, table, cdc: { after: from, upTo: lsn }, key: keyColumn },
        totalBytes: 0,
        open: async () => ({ format: 'database', encoding: 'utf-8', columns: binding.mapping.map((m) => m.name), rows: listed(rows), bytesRead: () => 0 }),
        key: binding.mapping.find((m) => m.source === keyColumn)!.name,
        commit: (tx, version) => cdcCommit(tx, binding, { from, lsn, version, job: ctx.job.id }),
      });
      const deleted = loaded.deleted ?? 0;
      await repo.finishRun(runId, {
        state: 'succeeded',
        version: loaded.version,
        read: rows.length,
        applied: loaded.rows,
        quarantined: loaded.quarantined,
        deleted,
        highWater: lsn,
      });
      await events.record({
        action: 'exchange.sync',
        result: 'success',
        actor: { userId: binding.created_by! },
        target: { type: 'binding', id: binding.id, label: `${source.name}:${table}` },
        details: { mode: 'cdc', version: loaded.version, rows: loaded.rows, quarantined: loaded.quarantined, ...(deleted ? { deleted } : {}), lsn },
      });
      return { version: loaded.version, rows: loaded.rows, quarantined: loaded.quarantined, deleted, lsn };
    } catch (error) {
      await failCdcRun(runId, binding, error);
      throw error;
    }
  }

  /** What the cdc worker needs of the service. */
  const cdc = {
    snapshot: cdcSnapshot,
    apply: cdcApply,
    /** The source sent the table's definition (at a stream's start, and after every change of it): stop when it drifted. */
    checkDrift: assertNoDrift,
    /** A stream that failed outside a batch (connection, slot, drift): a failed run in the history, counted toward the alert. */
    async failed(ctx: JobContext, binding: BindingRow, error: unknown) {
      const runId = randomUUID();
      await repo.insertRun({ id: runId, bindingId: binding.id, jobId: ctx.job.id });
      await failCdcRun(runId, binding, error);
    },
    /** Set by the worker: stops this process's stream of a binding (before its slot is dropped). */
    stopLocal: async (_bindingId: string) => undefined as void,
  };

  const service = {
    repo,
    ownSource,
    cdc,
    /** A connector to a registered database at the address the egress guard checks now; the caller closes it. */
    connect: connectTo,

    /** Registers a department database (a source) or, with purpose 'target', a consumer's push target. */
    async addSource(caller: Caller, input: SourceInput, purpose: Purpose = 'source') {
      if (!connectors[input.kind])
        throw new BadRequestError(
          'unknown_source_kind',
          { zh: `不支持的数据源类型：${input.kind}`, en: `Unsupported source kind: ${input.kind}` },
          { field: 'kind' },
        );
      if (input.tls === 'verify-full' && !input.ca) {
        throw new BadRequestError(
          'ca_required',
          { zh: 'verify-full 模式需要提供签发服务器证书的 CA(PEM)', en: 'verify-full needs the CA (PEM) that signs the server certificate' },
          { field: 'ca' },
        );
      }
      await deps.egress.checkHost('host', input.host, input.port);
      if (await repo.sourceByName(caller.principal.orgId, input.name)) {
        throw new ConflictError(
          'source_exists',
          { zh: `本单位已有名为“${input.name}”的数据源或目标库`, en: `Your organisation already has a data source or target named "${input.name}"` },
          { field: 'name' },
        );
      }
      const id = randomUUID();
      await repo.insertSource({
        id,
        org_id: caller.principal.orgId,
        name: input.name,
        kind: input.kind,
        host: input.host,
        port: input.port,
        database: input.database,
        username: input.user,
        password_sealed: sealer.seal(Buffer.from(input.password, 'utf8')),
        tls: input.tls,
        tls_ca: input.ca ?? null,
        created_by: caller.principal.userId,
        purpose,
      });
      await record(caller, {
        action: purpose === 'source' ? 'exchange.source_add' : 'exchange.target_add',
        result: 'success',
        target: { type: purpose, id, label: input.name },
        details: { kind: input.kind, host: input.host, port: input.port, database: input.database, user: input.user, tls: input.tls },
      });
      return sourceView((await repo.sourceById(id))!);
    },

    listSources: async (caller: Caller, purpose: Purpose = 'source') => (await repo.sourcesOf(caller.principal.orgId, purpose)).map(sourceView),
    getSource: async (caller: Caller, id: string, purpose: Purpose = 'source') => sourceView(await ownSource(caller, id, purpose)),

    async setSourceState(caller: Caller, id: string, state: SourceRow['state'], purpose: Purpose = 'source') {
      const s = await ownSource(caller, id, purpose);
      await repo.setSourceState(s.id, state);
      await record(caller, {
        action: `exchange.${purpose}_${state === 'active' ? 'enable' : 'disable'}`,
        result: 'success',
        target: { type: purpose, id, label: s.name },
      });
      return sourceView((await repo.sourceById(id))!);
    },

    /**
     * Reachability, server version and the user's privileges; a failure is an answer, not an error.
     * A source warns when its user can write; a target when its user cannot.
     */
    async testSource(
      caller: Caller,
      id: string,
      purpose: Purpose = 'source',
    ): Promise<
      { ok: true; outcome: TestOutcome; warnings: { zh: string; en: string }[] } | { ok: false; error: { code: string; message: { zh: string; en: string } } }
    > {
      const s = await ownSource(caller, id, purpose);
      try {
        const outcome = await withConnector(s, (c) => c.test());
        const warnings =
          purpose === 'source'
            ? outcome.canWrite
              ? [
                  {
                    zh: '该用户可以修改数据源中的数据或结构；建议改用只读用户（仅授予 SELECT）',
                    en: 'This user can change data or schema at the source; use a read-only user (SELECT only)',
                  },
                ]
              : []
            : outcome.canWrite
              ? []
              : [
                  {
                    zh: '该用户不能在目标库建表或写入；推送将失败（需 CREATE、INSERT、DELETE 权限）',
                    en: 'This user cannot create tables or write at the target; deliveries will fail (CREATE, INSERT, DELETE needed)',
                  },
                ];
        if (s.tls === 'off') warnings.push({ zh: '连接未加密（TLS 已关闭）', en: 'The connection is not encrypted (TLS off)' });
        await record(caller, {
          action: `exchange.${purpose}_test`,
          result: 'success',
          target: { type: purpose, id, label: s.name },
          details: { canWrite: outcome.canWrite },
        });
        return { ok: true, outcome, warnings };
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        await record(caller, {
          action: `exchange.${purpose}_test`,
          result: 'failure',
          target: { type: purpose, id, label: s.name },
          details: { error: error.code },
        });
        return { ok: false, error: { code: error.code, message: error.text } };
      }
    },

    /**
     * Changes a source's connection fields; a field left out (a blank password) keeps its value. The
     * kind is fixed. The host is checked by the egress guard again; verify-full still needs a CA.
     */
    async updateSource(caller: Caller, id: string, input: Partial<Omit<SourceInput, 'kind'>>, purpose: Purpose = 'source') {
      const s = await ownSource(caller, id, purpose);
      const tls = input.tls ?? s.tls;
      if (tls === 'verify-full' && !(input.ca ?? s.tls_ca)) {
        throw new BadRequestError(
          'ca_required',
          { zh: 'verify-full 模式需要提供签发服务器证书的 CA(PEM)', en: 'verify-full needs the CA (PEM) that signs the server certificate' },
          { field: 'ca' },
        );
      }
      if (input.host !== undefined || input.port !== undefined) await deps.egress.checkHost('host', input.host ?? s.host, input.port ?? s.port);
      if (input.name !== undefined && input.name !== s.name && (await repo.sourceByName(caller.principal.orgId, input.name))) {
        throw new ConflictError(
          'source_exists',
          { zh: `本单位已有名为“${input.name}”的数据源或目标库`, en: `Your organisation already has a data source or target named "${input.name}"` },
          { field: 'name' },
        );
      }
      const changes: SourceChanges = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.host !== undefined ? { host: input.host } : {}),
        ...(input.port !== undefined ? { port: input.port } : {}),
        ...(input.database !== undefined ? { database: input.database } : {}),
        ...(input.user !== undefined ? { username: input.user } : {}),
        ...(input.password ? { password_sealed: sealer.seal(Buffer.from(input.password, 'utf8')) } : {}),
        ...(input.tls !== undefined ? { tls: input.tls } : {}),
        ...(input.ca !== undefined ? { tls_ca: input.ca || null } : {}),
      };
      await repo.updateSource(s.id, changes);
      // The audit names what changed, never a password.
      const fields = Object.keys(changes).map((k) => (k === 'password_sealed' ? 'password' : k === 'tls_ca' ? 'ca' : k === 'username' ? 'user' : k));
      await record(caller, {
        action: `exchange.${purpose}_update`,
        result: 'success',
        target: { type: purpose, id, label: input.name ?? s.name },
        details: { fields },
      });
      return sourceView((await repo.sourceById(id))!);
    },

    /**
     * The first rows of a source table and what an upload of them would make of each column (type,
     * detected types, grade, encryption) through the ingest pipeline's own classification. Values
     * of columns that would be stored encrypted are shown masked.
     */
    async preview(caller: Caller, id: string, table: TableRef, limit: number) {
      return withConnector(await ownSource(caller, id), async (c) => {
        const columns = await sourceColumns(c, table);
        const rows: (string | null)[][] = [];
        const snapshot = await c.snapshot();
        try {
          for await (const row of snapshot.rows(
            table,
            columns.map((x) => x.name),
          )) {
            rows.push(row);
            if (rows.length >= limit) break;
          }
        } finally {
          await snapshot.close();
        }
        const found = await deps.ingest.preview(
          columns.map((x) => x.name),
          rows,
        );
        return {
          grade: found.grade,
          importantCandidate: found.importantCandidate,
          columns: found.columns.map((x, i) => ({ ...x, sourceType: columns[i]!.type })),
          rows: rows.map((r) => r.map((v, i) => (v !== null && found.columns[i]!.encrypted ? mask(found.columns[i]!.maskAs ?? undefined, v) : v))),
        };
      });
    },

    tables: async (caller: Caller, id: string) => withConnector(await ownSource(caller, id), (c) => c.tables()),
    columns: async (caller: Caller, id: string, table: TableRef) => withConnector(await ownSource(caller, id), (c) => sourceColumns(c, table)),

    /** Binds a dataset of the caller's organisation to a table of one of its sources. */
    async bind(caller: Caller, code: string, input: BindingInput) {
      const dataset = await deps.catalog.getOwned(caller.principal, code);
      deps.catalog.assertTable(dataset);
      const source = await ownSource(caller, input.sourceId);
      if (await repo.bindingOf(dataset.id))
        throw new ConflictError('binding_exists', { zh: '该数据资源已绑定库表，请先解除绑定', en: 'This dataset is bound already; remove the binding first' });
      const table = { schema: input.schema, table: input.table };
      const columns = await withConnector(source, (c) => sourceColumns(c, table));
      const has = (name: string) => columns.some((c) => c.name === name);
      const mapping = input.columns ?? columns.map((c) => ({ source: c.name, name: c.name }));
      const unknown = mapping.find((m) => !has(m.source));
      if (unknown)
        throw new BadRequestError(
          'unknown_source_column',
          { zh: `源表没有列 ${unknown.source}`, en: `The source table has no column ${unknown.source}` },
          { field: 'columns', column: unknown.source },
        );
      if (input.mode === 'cdc') {
        if (!input.keyColumn) {
          throw new BadRequestError(
            'key_required',
            { zh: 'CDC 模式需要键列（keyColumn，表的主键或复制标识）', en: 'CDC mode needs a key column (keyColumn: the primary key or replica identity)' },
            { field: 'keyColumn' },
          );
        }
        if (input.softDeleteColumn || input.cursorColumn) {
          throw new BadRequestError(
            'cdc_fields',
            {
              zh: 'CDC 模式不使用游标列和软删除列（变更由数据源的复制日志给出）',
              en: 'CDC mode takes no cursor or soft-delete column (the source’s replication log gives the changes)',
            },
            { field: input.cursorColumn ? 'cursorColumn' : 'softDeleteColumn' },
          );
        }
      }
      if (input.mode === 'incremental' && !input.cursorColumn) {
        throw new BadRequestError(
          'cursor_required',
          { zh: '增量模式需要指定游标列（单调递增的编号或更新时间）', en: 'Incremental mode needs a cursor column (a monotonic id or update time)' },
          { field: 'cursorColumn' },
        );
      }
      for (const [field, name] of [
        ['cursorColumn', input.cursorColumn],
        ['keyColumn', input.keyColumn],
        ['softDeleteColumn', input.softDeleteColumn],
      ] as const) {
        if (name && !has(name))
          throw new BadRequestError(
            'unknown_source_column',
            { zh: `源表没有列 ${name}`, en: `The source table has no column ${name}` },
            { field, column: name },
          );
      }
      if (input.softDeleteColumn)
        checkSoftDelete(
          input,
          columns.find((c) => c.name === input.softDeleteColumn)!,
        );
      checkSchedule(input);
      if (input.keyColumn && !mapping.some((m) => m.source === input.keyColumn)) {
        throw new BadRequestError(
          'key_not_loaded',
          { zh: `键列 ${input.keyColumn} 须在加载的列中`, en: `Key column ${input.keyColumn} must be one of the loaded columns` },
          { field: 'keyColumn' },
        );
      }
      const id = randomUUID();
      // cdc: the slot (and the publication, when pdx may make it) exist before the binding does.
      let cdcFields: Pick<BindingRow, 'cdc_slot' | 'cdc_publication' | 'cdc_publication_owned'> | undefined;
      if (input.mode === 'cdc') {
        const name = cdcName(id);
        const made = await withConnector(source, (c) => {
          if (!c.replication) throw new BadRequestError('cdc_unsupported', CDC_ONLY_PG, { field: 'mode' });
          return c.replication.prepare(table, name, name);
        });
        cdcFields = { cdc_slot: name, cdc_publication: made.publication, cdc_publication_owned: made.created };
      }
      await repo
        .insertBinding({
          ...cdcFields,
          id,
          dataset_id: dataset.id,
          source_id: source.id,
          source_schema: input.schema,
          source_table: input.table,
          source_columns: columns,
          mapping,
          mode: input.mode,
          cursor_column: input.mode === 'incremental' ? input.cursorColumn! : null,
          key_column: input.keyColumn ?? null,
          soft_delete_column: input.softDeleteColumn ?? null,
          interval_minutes: input.mode === 'cdc' ? null : (input.intervalMinutes ?? null),
          cron: input.mode === 'cdc' ? null : (input.cron?.trim() ?? null),
          // An interval binding runs right away; a cron one at its first time; a cdc one runs continuously.
          next_run_at: input.mode === 'cdc' ? null : input.cron ? nextRun(input) : input.intervalMinutes ? new Date() : null,
          created_by: caller.principal.userId,
        })
        .catch(async (error: unknown) => {
          if (cdcFields)
            await withConnector(source, (c) =>
              c.replication!.drop(cdcFields.cdc_slot!, cdcFields.cdc_publication_owned ? cdcFields.cdc_publication : null),
            ).catch(() => undefined);
          throw error;
        });
      await record(caller, {
        action: 'exchange.bind',
        result: 'success',
        dataset: code,
        target: { type: 'binding', id, label: `${source.name}:${input.schema}.${input.table}` },
        details: { mode: input.mode, columns: mapping.length, ...(input.softDeleteColumn ? { softDeleteColumn: input.softDeleteColumn } : {}) },
      });
      return bindingView((await repo.bindingById(id))!);
    },

    /** Every binding of the caller's organisation's sources, with its dataset and source names (the console's list). */
    async bindings(caller: Caller) {
      const rows = await repo.bindingsOfOrg(caller.principal.orgId);
      return Promise.all(
        rows.map(async (b) => {
          const d = await deps.catalog.byId(b.dataset_id);
          return { ...bindingView(b), dataset: d?.code ?? '', datasetName: d?.name ?? '', sourceName: b.source_name };
        }),
      );
    },

    async binding(caller: Caller, code: string) {
      const dataset = await deps.catalog.getOwned(caller.principal, code);
      const b = await repo.bindingOf(dataset.id);
      if (!b) throw new NotFoundError(BINDING);
      return b;
    },

    async unbind(caller: Caller, code: string) {
      const b = await service.binding(caller, code);
      if (b.mode === 'cdc') {
        // Paused first: no process takes the stream up again while the slot is dropped at the source.
        await repo.setState(b.id, 'paused');
        try {
          await cdc.stopLocal(b.id);
          const source = (await repo.sourceById(b.source_id))!;
          await withConnector(source, (c) => c.replication!.drop(b.cdc_slot!, b.cdc_publication_owned ? b.cdc_publication : null));
        } catch (error) {
          // The slot is still there: the binding stays, streaming again, so nothing is left behind unowned.
          await repo.setState(b.id, b.state);
          throw error;
        }
      }
      await repo.deleteBinding(b.id);
      await record(caller, { action: 'exchange.unbind', result: 'success', dataset: code, target: { type: 'binding', id: b.id } });
    },

    /** Queues one run now (pdx sync, the console's 立即同步). */
    async sync(caller: Caller, code: string): Promise<string> {
      const b = await service.binding(caller, code);
      if (b.mode === 'cdc')
        throw new BadRequestError('cdc_continuous', {
          zh: 'CDC 绑定由服务持续同步，无需手动同步',
          en: 'A CDC binding is applied continuously by the server; there is no run to request',
        });
      const jobId = await enqueue(b, caller.principal.userId);
      await record(caller, { action: 'exchange.sync_request', result: 'success', dataset: code, target: { type: 'binding', id: b.id }, details: { jobId } });
      return jobId;
    },

    /** Changes the schedule of a binding (none: runs only on request); the next run is computed anew. */
    async schedule(caller: Caller, code: string, input: { intervalMinutes?: number | undefined; cron?: string | undefined }) {
      const b = await service.binding(caller, code);
      checkSchedule(input);
      await repo.setSchedule(b.id, { interval_minutes: input.intervalMinutes ?? null, cron: input.cron?.trim() ?? null, next_run_at: nextRun(input) });
      await record(caller, {
        action: 'exchange.schedule',
        result: 'success',
        dataset: code,
        target: { type: 'binding', id: b.id },
        details: { intervalMinutes: input.intervalMinutes ?? null, cron: input.cron ?? null },
      });
      return (await repo.bindingById(b.id))!;
    },

    /**
     * A cdc binding's lag: WAL bytes the slot has not confirmed (asked of the source now; null with
     * the source's error when it cannot answer), and the time of the last applied change.
     */
    async lag(caller: Caller, code: string) {
      const b = await service.binding(caller, code);
      if (b.mode !== 'cdc') throw new BadRequestError('not_cdc', { zh: '该绑定不是 CDC 模式', en: 'This binding is not in CDC mode' });
      let bytes: number | null = null;
      let error: { code: string; message: { zh: string; en: string } } | null = null;
      try {
        bytes = (await withConnector((await repo.sourceById(b.source_id))!, (c) => c.replication!.lag(b.cdc_slot!))) ?? null;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        error = { code: e.code, message: e.text };
      }
      const job = b.cdc_job ? await jobs.get(b.cdc_job) : undefined;
      const streaming = !!job && job.state === 'running' && !!job.heartbeat_at && job.heartbeat_at.getTime() > Date.now() - jobs.staleSeconds * 1000;
      return {
        bytes,
        lsn: b.cdc_lsn,
        appliedAt: b.cdc_applied_at,
        secondsSinceApplied: b.cdc_applied_at ? Math.max(0, Math.round((Date.now() - b.cdc_applied_at.getTime()) / 1000)) : null,
        streaming,
        error,
      };
    },

    /** The latest runs of the dataset's binding, newest first. */
    async runs(caller: Caller, code: string, limit = 50) {
      const b = await service.binding(caller, code);
      return (await repo.runsOf(b.id, limit)).map(runView);
    },

    /**
     * Queues the runs whose schedule has come (called every few seconds by the module). The due
     * bindings stay row-locked until their next run has moved on, so a binding is queued by one
     * process only even when several share the database.
     */
    async tick(): Promise<number> {
      await closeInterruptedRuns();
      const due = await db.transaction(async (tx) => {
        const r = exchangeRepo(tx);
        const rows = await r.lockDue();
        const now = new Date();
        for (const b of rows) await r.setNextRun(b.id, nextRun({ intervalMinutes: b.interval_minutes, cron: b.cron }, now));
        return rows;
      });
      // Runs on behalf of the officer who made the binding.
      for (const b of due) await enqueue(b, b.created_by!);
      return due.length;
    },
  };
  return service;
}

/**
 * Numbers source rows 1, 2, … (the 'line' quarantine and validation errors name). With a
 * soft-delete test, each row's last value is the soft-delete column's: it is taken off the row and
 * marks the row deleted when the test says so.
 */
async function* numbered(rows: AsyncIterable<(string | null)[]>, isDeleted?: (value: string | null) => boolean): AsyncIterable<TableRow> {
  let line = 0;
  for await (const values of rows) {
    if (!isDeleted) yield { line: ++line, values };
    else {
      const flag = values.pop() ?? null;
      yield isDeleted(flag) ? { line: ++line, values, deleted: true } : { line: ++line, values };
    }
  }
}

async function* listed(rows: readonly TableRow[]): AsyncIterable<TableRow> {
  yield* rows;
}

/** LSN order (the cdc worker skips a resent transaction at or below the applied one). */
export const lsnAfter = (lsn: string, applied: string | null) => applied === null || compareLsn(lsn, applied) > 0;

export type ExchangeService = ReturnType<typeof createExchangeService>;
