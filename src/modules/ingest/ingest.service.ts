import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Db, Queryable } from '../../db/index.ts';
import { AppError, BadRequestError, ConflictError } from '../../errors.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { searchTextOf, type CatalogService } from '../catalog/catalog.service.ts';
import type { ColumnRow, DatasetRow, DataType, VersionSource } from '../catalog/catalog.service.ts';
import type { IngestResult } from './result.ts';
import { TableClassifier, type TableClassification } from '../classify/engine.ts';
import { columnProtection, type GradePolicy } from '../classify/grades.ts';
import { loadPolicy } from '../classify/review.service.ts';
import type { ColumnResult, TableScanResult } from '../classify/types.ts';
import type { Caller } from '../../http/access.ts';
import { RetryLater, type JobContext, type Jobs } from '../jobs/jobs.service.ts';
import { ingestRepo, physicalColumns, type VersionTable } from './ingest.repo.ts';
import { blindIndexerOf } from '../protect/blind-index.ts';
import { fieldCipherOf, type Keyring } from '../protect/keyring.ts';
import { canonical, Inferrer, type ColumnInference } from './infer.ts';
import { openTable, type OpenTableOptions, type TableReader, type XlsxLimits } from '../../lib/readers/index.ts';
import { QualityCollector } from './quality.ts';
import { createValidator, ruleError, type RuleFailure } from './validate.ts';
import { isValidIdentifier } from '../classify/validate.ts';
import type { TypeId } from '../classify/types.ts';

/** Rows classified and inferred before the first version's schema and protection are decided. */
export const SAMPLE_ROWS = 20_000;
/** Rows per COPY transaction: bounded memory, and other requests get the database between chunks. */
const CHUNK_ROWS = 10_000;
/** Identifier types whose encrypted columns get a blind index for equality lookups. */
const INDEXED_TYPES = new Set(['cn_resident_id', 'cn_mobile', 'bank_card', 'passport', 'hk_macau_permit', 'tw_permit', 'email', 'cn_uscc', 'cn_plate']);

const SQL_TYPES: Record<DataType, string> = {
  integer: 'bigint',
  decimal: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamptz',
  text: 'text',
};

export interface IngestPayload {
  datasetId: string;
  file: string;
  fileName: string;
  /** Delete the file after the job (spooled uploads), keep it (CLI imports). */
  spooled: boolean;
  mode: 'append' | 'replace';
  options: Pick<OpenTableOptions, 'encoding' | 'delimiter' | 'sheet' | 'format'>;
  userId: string;
  /**
   * When the file's data was extracted (数据截至), ISO instant, if the officer declared it: the upkeep
   * of the catalogue entry (更新周期) is judged by it rather than by the upload time.
   */
  asOf?: string;
}

/** Refuses a declared data time in the future. */
function checkAsOf(asOf: string | undefined): void {
  if (asOf !== undefined && !(Date.parse(asOf) <= Date.now())) {
    throw new BadRequestError('invalid_as_of', { zh: '数据截至时间不能晚于现在', en: 'The data time (asOf) cannot be in the future' }, { field: 'asOf' });
  }
}

/**
 * One load through the pipeline, whatever the rows come from: an uploaded file, or a database
 * source (the exchange module). `open` is called twice (classification pass, then loading pass) and
 * must yield the same rows both times. `commit` runs inside the transaction that makes the version
 * visible, so what the caller stores with it (a high-water mark) commits with the version or not at all.
 */
export interface LoadRequest {
  datasetId: string;
  userId: string;
  mode: 'append' | 'replace';
  /** Stored with the version (file name and bytes, or the source table). */
  source: VersionSource;
  totalBytes: number;
  open: () => Promise<TableReader>;
  /**
   * append only: the 信息项 whose value identifies a row; a row loaded later replaces the earlier
   * row with the same value (upsert), and a row the reader marks `deleted` removes it. An encrypted
   * key needs its blind index.
   */
  key?: string | undefined;
  commit?: (tx: Queryable, version: number) => Promise<void>;
}

/** A key 信息项 as the load compares it: physical column, its SQL type, its position among the columns. */
interface LoadKey {
  physical: string;
  sqlType: string;
  index: number;
}

/**
 * Most physical tables behind a dataset's view. Each append (an incremental run, a CDC batch) adds
 * one; past this number a load merges the newest into one table in its own commit.
 */
const MAX_VERSION_TABLES = 8;

/**
 * The physical tables behind the given versions, oldest first, with the rows loaded into each.
 * Versions merged into one table share it; a merged table hides nothing (it holds the rows as shown).
 */
function versionTables(versions: readonly { relation: string; mode: string; version: number; rows_loaded: number }[]): (VersionTable & { rows: number })[] {
  const tables = new Map<string, VersionTable & { rows: number }>();
  for (const v of [...versions].sort((a, b) => a.version - b.version)) {
    const t = tables.get(v.relation);
    if (t) tables.set(v.relation, { relation: v.relation, mode: 'append', rows: t.rows + v.rows_loaded });
    else tables.set(v.relation, { relation: v.relation, mode: v.mode, rows: v.rows_loaded });
  }
  return [...tables.values()];
}

/**
 * Where merging starts when there are too many tables: at the oldest table that holds no more rows
 * than all the tables after it (size-tiered, so a row is copied a few times in its life rather than
 * at every load, and a large first version is left alone until the later ones add up to it). From
 * the first table when a correction is among them: it hides rows of tables before it.
 */
export function mergeFrom(tables: readonly { mode: string; rows: number }[]): number | undefined {
  if (tables.length <= MAX_VERSION_TABLES) return undefined;
  let from = tables.length - 2;
  let after = 0;
  for (let i = tables.length - 1; i > 0; i--) {
    after += tables[i]!.rows;
    if (tables[i - 1]!.rows <= after) from = i - 1;
  }
  return tables.slice(from).some((t) => t.mode === 'correct') ? 0 : from;
}

/** Sizes a column's physical SQL type; encrypted values are ciphertext text. */
function sqlType(column: Pick<ColumnRow, 'data_type' | 'encrypted'>): string {
  return column.encrypted ? 'text' : SQL_TYPES[column.data_type];
}

function topType(result: ColumnResult | undefined): string | undefined {
  return result?.types[0]?.type;
}

/**
 * What the first load makes of a column: its SQL type (identifiers stay text even when they look
 * like numbers), whether it is stored encrypted (and blind-indexed), its protection and rules.
 */
function columnDraft(c: ColumnResult, inferred: ColumnInference, policy: GradePolicy) {
  const protection = columnProtection(c, policy);
  const encrypted = protection.encryptAtRest;
  return {
    data_type: (encrypted || (c.types.length > 0 && (inferred.type === 'integer' || inferred.type === 'decimal')) ? 'text' : inferred.type) as DataType,
    rules: topType(c) && ['cn_resident_id', 'cn_uscc', 'cn_org_code', 'bank_card'].includes(topType(c)!) ? { identifier: topType(c)! } : {},
    protection,
    encrypted,
    blind_index: encrypted && INDEXED_TYPES.has(topType(c) ?? ''),
  };
}

/** Aggregation: files in, atomic versions out (issue 4), classified and protected on the way. */
export function createIngestService(deps: {
  db: Db;
  jobs: Pick<Jobs, 'handle' | 'enqueue' | 'failAbandoned' | 'alive'>;
  catalog: Pick<CatalogService, 'get' | 'getOwned' | 'byId' | 'columnsOf' | 'within' | 'assertTable' | 'quarantine'>;
  keyring: Pick<Keyring, 'datasetKeys'>;
  events: EventSink;
  spoolDir: string;
  maxBytes: number;
  xlsx?: XlsxLimits;
  /** Called after a version becomes visible (the classification review re-applies officers' overrides). */
  afterVersion?: (datasetId: string) => Promise<void>;
}) {
  const { db, jobs, catalog, keyring, events, afterVersion } = deps;

  const record = (event: AuditEvent) => events.record(event);

  /**
   * The first pass over a file, writing nothing: every row is classified (and for a new dataset the
   * first SAMPLE_ROWS rows inferred), so which columns are encrypted is decided before any value
   * reaches the database, whose WAL, temp files and replicas would keep a late 4级 value in clear.
   * `columns`: the dataset's 信息项 (values are classified in their order), or none for a new one.
   */
  async function classifyFile(ctx: JobContext, reader: TableReader, columns: readonly { name: string }[], policy: GradePolicy, totalBytes: number) {
    const names = columns.length ? columns.map((c) => c.name) : reader.columns;
    const order = columns.length ? mapHeader(columns, reader.columns) : undefined;
    const classifier = new TableClassifier(names, { policy });
    const inferrer = columns.length ? undefined : new Inferrer(reader.columns);
    let rows = 0;
    for await (const row of reader.rows) {
      if (row.deleted) continue;
      const values = order ? order.map((i) => row.values[i] ?? null) : row.values;
      classifier.addRow(values);
      if (inferrer && rows < SAMPLE_ROWS) inferrer.add(values, row.line);
      // Rows here are rows classified; the loading phase counts again from 0.
      if (++rows % CHUNK_ROWS === 0) await ctx.progress({ phase: 'classifying', rows, bytes: reader.bytesRead(), totalBytes });
    }
    return { header: reader.columns, classification: classifier.finish(), inferred: inferrer?.result() };
  }

  /** Creates the dataset's 信息项 from the first file's pass: inferred types, classification, protection. */
  async function createSchema(dataset: DatasetRow, scan: Awaited<ReturnType<typeof classifyFile>>, policy: GradePolicy): Promise<ColumnRow[]> {
    const inferred = scan.inferred!;
    const classified = scan.classification.result.columns;
    const columns: ColumnRow[] = scan.header.map((name, i) => {
      const c = classified[i]!;
      const draft = columnDraft(c, inferred[i]!, policy);
      return {
        dataset_id: dataset.id,
        position: i + 1,
        physical: `c${String(i + 1).padStart(3, '0')}`,
        name,
        label: name,
        data_type: draft.data_type,
        length: inferred[i]!.maxLength || null,
        description: '',
        rules: draft.rules,
        classification: { ...c, protection: draft.protection },
        grade: c.grade,
        encrypted: draft.encrypted,
        blind_index: draft.blind_index,
      };
    });
    await db.transaction(async (tx) => {
      for (const column of columns) await catalog.within(tx).insertColumn(column);
      await catalog.within(tx).setSearchText(dataset.id, searchTextOf(dataset, columns));
    });
    return columns;
  }

  /** Maps the file's header to the dataset's columns; a missing or unknown column fails clearly. */
  function mapHeader(columns: readonly { name: string }[], header: string[]): number[] {
    const missing = columns.filter((c) => !header.includes(c.name)).map((c) => c.name);
    const extra = header.filter((h) => !columns.some((c) => c.name === h));
    if (missing.length || extra.length) {
      throw new BadRequestError(
        'schema_mismatch',
        {
          zh: `文件的列与数据资源的信息项不一致：${missing.length ? `缺少 ${missing.join('、')}` : ''}${missing.length && extra.length ? ';' : ''}${extra.length ? `多出 ${extra.join('、')}` : ''}`,
          en: `File columns do not match the dataset: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unexpected ${extra.join(', ')}` : ''}`,
        },
        { missing, extra },
      );
    }
    return columns.map((c) => header.indexOf(c.name));
  }

  /**
   * What a key 信息项 is compared on: its physical column (itself, or its blind index when
   * encrypted) with that column's SQL type, and its position among the columns.
   */
  function keyOf(columns: ColumnRow[], name: string): LoadKey {
    const index = columns.findIndex((c) => c.name === name);
    const c = columns[index];
    if (!c) throw new BadRequestError('unknown_key_column', { zh: `数据资源没有信息项 ${name}`, en: `The dataset has no column ${name}` }, { column: name });
    if (c.encrypted && !c.blind_index) {
      throw new BadRequestError(
        'key_not_comparable',
        { zh: `键列 ${name} 加密存储且无盲索引，无法按键更新`, en: `Key column ${name} is encrypted without a blind index: rows cannot be matched by it` },
        { column: name },
      );
    }
    return c.encrypted ? { physical: `${c.physical}_bi`, sqlType: 'text', index } : { physical: c.physical, sqlType: sqlType(c), index };
  }

  const dropTable = (table: string) => ingestRepo(db).dropTable(table);

  const INTERRUPTED = {
    code: 'interrupted',
    message: { zh: '加载被中断（进程退出），该版本未生效', en: 'Load was interrupted (process exited); this version never became visible' },
  };

  /**
   * Reserves the next version of a dataset for this job, under a row lock on the dataset so two
   * loads of one dataset never interleave. A 'loading' version whose job is still alive means
   * another load is under way: this job waits its turn. One whose job died (killed process, or this
   * job's own earlier attempt) is marked failed, its job too, and its rows are dropped.
   */
  async function reserveVersion(ctx: JobContext, dataset: DatasetRow, payload: LoadRequest) {
    const reserved = await db.transaction(async (tx) => {
      const c = catalog.within(tx);
      await c.lockDataset(dataset.id);
      const loading = await c.loadingVersions(dataset.id);
      // Their jobs' heartbeats are read under the dataset's lock (no statement when nothing else loads).
      const others = loading.flatMap((v) => (v.job_id !== ctx.job.id ? [v.job_id] : []));
      const alive = await jobs.alive(tx, others);
      if (alive.size > 0) return undefined;
      for (const v of loading) {
        await c.failVersion(dataset.id, v.version, INTERRUPTED);
        if (v.job_id && v.job_id !== ctx.job.id) await jobs.failAbandoned(tx, v.job_id, INTERRUPTED);
      }
      const versions = await c.versions(dataset.id);
      const version = (versions[0]?.version ?? 0) + 1;
      const table = `${dataset.relation}_v${version}`;
      const active = versions.filter((v) => v.state === 'active');
      const firstRow = payload.mode === 'replace' ? 1 : 1 + active.reduce((n, v) => Math.max(n, v.first_row + v.rows_loaded - 1), 0);
      await c.insertLoadingVersion({
        datasetId: dataset.id,
        version,
        mode: payload.mode,
        table,
        jobId: ctx.job.id,
        source: payload.source,
        firstRow,
        userId: payload.userId,
      });
      // Tables no version reads any more, left by a process that died after a commit (a load that just
      // committed drops the same ones itself; both drop IF EXISTS).
      const stray = await c.strayTables(dataset.relation);
      return { version, table, active, firstRow, dead: [...loading.map((v) => v.relation), ...stray] };
    });
    if (!reserved) throw new RetryLater(5);
    for (const table of reserved.dead) await dropTable(table);
    return reserved;
  }

  /** Loads one file into a new version table, then makes it visible in one short transaction. */
  async function runIngest(ctx: JobContext) {
    const payload = ctx.job.payload as unknown as IngestPayload;
    try {
      const bytes = fs.statSync(payload.file).size;
      return await load(ctx, {
        datasetId: payload.datasetId,
        userId: payload.userId,
        mode: payload.mode,
        totalBytes: bytes,
        source: { fileName: payload.fileName, bytes, ...(payload.asOf ? { asOf: payload.asOf } : {}) },
        open: () => openTable(payload.file, { ...payload.options, name: payload.fileName, maxBytes: deps.maxBytes, ...(deps.xlsx ? { xlsx: deps.xlsx } : {}) }),
      });
    } finally {
      if (payload.spooled) fs.rmSync(payload.file, { force: true });
    }
  }

  /** Classifies, then loads the rows of one request into a new version, made visible atomically. */
  async function load(ctx: JobContext, payload: LoadRequest) {
    const dataset = await catalog.byId(payload.datasetId);
    if (!dataset) throw new BadRequestError('unknown_dataset', { zh: '数据资源不存在', en: 'Dataset not found' });
    const { totalBytes, open } = payload;
    const { version, table, active, firstRow } = await reserveVersion(ctx, dataset, payload);
    const policy = await loadPolicy(db);

    try {
      let columns = await catalog.columnsOf(dataset.id);
      await ctx.progress({ phase: 'classifying', totalBytes });
      const scan = await classifyFile(ctx, await open(), columns, policy, totalBytes);
      const found = scan.classification.result.columns;
      // Columns that this file shows must be encrypted: written encrypted from the first value, and
      // marked so in the transaction that makes the version visible.
      let encrypt: ColumnResult[] = [];
      if (columns.length === 0) {
        columns = await createSchema(dataset, scan, policy);
      } else {
        encrypt = found.filter((c, i) => columnProtection(c, policy).encryptAtRest && !columns[i]!.encrypted);
        if (encrypt.length && payload.mode === 'append' && active.length) {
          throw new ConflictError('reload_required', {
            zh: `新版本中发现须加密的敏感列（${encrypt.map((c) => c.name).join('、')}），请以替换方式重新上传全部数据`,
            en: `This version revealed sensitive columns that must be encrypted (${encrypt.map((c) => c.name).join(', ')}); upload all data again in replace mode`,
          });
        }
        const names = new Set(encrypt.map((c) => c.name));
        columns = columns.map((c, i) =>
          names.has(c.name) ? { ...c, encrypted: true, data_type: 'text' as const, blind_index: INDEXED_TYPES.has(topType(found[i]) ?? '') } : c,
        );
      }
      const key = payload.key ? keyOf(columns, payload.key) : undefined;
      const outcome = await loadVersion(ctx, dataset, columns, table, version, open, firstRow, totalBytes, key);
      return await finish(
        ctx,
        dataset,
        columns,
        table,
        version,
        payload,
        { ...outcome, classification: scan.classification.result, details: scan.classification.details },
        active,
        encrypt,
        key,
      );
    } catch (error) {
      await dropTable(table).catch(() => undefined);
      const stored =
        error instanceof AppError
          ? { code: error.code, message: error.text, details: error.details }
          : { code: 'load_failed', message: { zh: String(error), en: String(error) } };
      await catalog.within(db).failVersion(dataset.id, version, stored);
      await record({
        action: 'dataset.version_failed',
        result: 'failure',
        actor: { userId: payload.userId },
        dataset: dataset.code,
        details: { version, error: stored.code },
      });
      throw error;
    }
  }

  /**
   * Streams every row: checks, quarantine, encryption, COPY in chunks (the second pass). A
   * soft-deleted row is not loaded: the stored form of its key (as the key column holds it, its
   * blind index when encrypted) is kept for the commit, which removes that key's stored row.
   */
  async function loadVersion(
    ctx: JobContext,
    dataset: DatasetRow,
    columns: ColumnRow[],
    table: string,
    version: number,
    open: () => Promise<TableReader>,
    firstRow: number,
    totalBytes: number,
    key?: LoadKey,
  ) {
    const reader = await open();
    const order = mapHeader(columns, reader.columns);
    await ingestRepo(db).createVersionTable(
      table,
      columns.map((c) => ({ ...c, sqlType: sqlType(c) })),
    );
    const keys = columns.some((c) => c.encrypted) ? await keyring.datasetKeys(dataset.id) : undefined;
    const cipher = keys ? fieldCipherOf(keys) : undefined;
    const indexer = keys ? blindIndexerOf(keys) : undefined;
    const physical = physicalColumns(columns);
    const names = columns.map((c) => c.name);
    const validator = createValidator(
      names,
      { columns: columns.map((c) => ({ column: c.name, type: c.data_type, ...c.rules })) },
      { identifierCheck: (type, value) => isValidIdentifier(type as TypeId, value) },
    );
    const quality = new QualityCollector(names);
    const types = columns.map((c) => (c.classification as { types?: { type: string }[] }).types?.[0]?.type);

    let batch: unknown[][] = [];
    let quarantine: { line: number; problems: RuleFailure[] }[] = [];
    let loaded = 0;
    let rowsSeen = 0;
    let deletedRows = 0;
    const deleted: unknown[] = [];
    // One chunk is written while the next is parsed: at most one COPY in flight, so memory stays
    // bounded by two chunks and a failed COPY stops the load at the next flush.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      await inFlight;
      const rows = batch;
      const q = quarantine;
      const progress = { phase: 'loading', rows: rowsSeen, bytes: reader.bytesRead(), totalBytes };
      batch = [];
      quarantine = [];
      inFlight = (async () => {
        if (rows.length) await db.transaction((tx) => tx.copyRows(table, physical, toAsync(rows)));
        if (q.length) {
          await db.transaction((tx) => catalog.quarantine(tx, dataset.id, version, q));
        }
        await ctx.progress(progress);
      })();
      // Keep an early failure from being reported as unhandled before the next flush awaits it.
      inFlight.catch(() => undefined);
    };

    for await (const row of reader.rows) {
      const values = order.map((i) => row.values[i] ?? null);
      if (row.deleted) {
        if (!key) throw new BadRequestError('delete_needs_key', { zh: '删除源数据行需要键列', en: 'Deleting rows needs a key column' });
        deletedRows++;
        const raw = values[key.index] ?? null;
        if (raw === null) continue;
        const c = columns[key.index]!;
        const v = canonical(c.data_type, raw) ?? raw;
        deleted.push(c.encrypted ? indexer!.index(v, types[key.index]) : v);
        continue;
      }
      rowsSeen++;
      const problems = validator.check(values, row.line);
      quality.add(values, row.line, problems);
      if (problems) {
        if (dataset.on_invalid === 'reject') throw ruleError(problems[0]!);
        quarantine.push({ line: row.line, problems });
        continue;
      }
      const out: unknown[] = [firstRow + loaded];
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i]!;
        const raw = values[i] ?? null;
        const v = raw === null ? null : (canonical(c.data_type, raw) ?? raw);
        if (c.encrypted && v !== null) {
          out.push(cipher!.encrypt(v));
          if (c.blind_index) out.push(indexer!.index(v, types[i]));
        } else {
          out.push(v);
          if (c.blind_index) out.push(null);
        }
      }
      batch.push(out);
      loaded++;
      if (batch.length >= CHUNK_ROWS) await flush();
    }
    await flush();
    await inFlight;
    if (rowsSeen === 0 && deletedRows === 0)
      throw new BadRequestError('no_rows', { zh: '文件只有表头，没有数据行', en: 'The file has a header but no data rows' });
    await ingestRepo(db).indexVersionTable(table, columns);
    return {
      loaded,
      quarantined: rowsSeen - loaded,
      deleted,
      quality: quality.report(),
      source: { format: reader.format, encoding: reader.encoding, delimiter: reader.delimiter ?? null, ...(deletedRows ? { deleted: deletedRows } : {}) },
    };
  }

  /** Makes the loaded version visible (and supersedes the old ones on replace) in one transaction. */
  async function finish(
    ctx: JobContext,
    dataset: DatasetRow,
    columns: ColumnRow[],
    table: string,
    version: number,
    payload: LoadRequest,
    outcome: Awaited<ReturnType<typeof loadVersion>> & { classification: TableScanResult; details: TableClassification['details'] },
    active: { relation: string; version: number; rows_loaded: number; mode: string }[],
    encrypt: ColumnResult[],
    key?: LoadKey,
  ): Promise<IngestResult> {
    const keep = payload.mode === 'replace' ? [] : active;
    // A correction version repeats rows already counted.
    let rowCount = keep.reduce((n, v) => n + (v.mode === 'correct' ? 0 : v.rows_loaded), 0) + outcome.loaded;
    let tables = versionTables([...keep, { relation: table, mode: payload.mode, version, rows_loaded: outcome.loaded }]);
    const from = mergeFrom(tables);
    const merged = from === undefined ? [] : tables.slice(from).map((t) => t.relation);
    await db.transaction(async (tx) => {
      const r = ingestRepo(tx);
      const cat = catalog.within(tx);
      // A key rotation's batches wait while the version switches (a merge copies values they rewrite).
      await cat.lockDataset(dataset.id);
      for (const c of encrypt) await cat.markEncrypted(dataset.id, c.name, INDEXED_TYPES.has(topType(c) ?? ''));
      // Soft-deleted keys leave every earlier version table in the same commit as the new version.
      if (key && outcome.deleted.length) for (const t of tables.slice(0, -1)) await r.deleteKeys(t.relation, key.physical, key.sqlType, outcome.deleted);
      if (from !== undefined) {
        const into = `${dataset.relation}_m${version}`;
        await r.createVersionTable(
          into,
          columns.map((c) => ({ ...c, sqlType: sqlType(c) })),
        );
        await r.mergeInto(into, tables.slice(from), columns, key?.physical);
        await r.indexVersionTable(into, columns);
        await cat.moveVersions(dataset.id, merged, into);
        tables = [...tables.slice(0, from), { relation: into, mode: 'append', rows: 0 }];
      }
      await r.rebuildView(dataset.relation, tables, columns, key?.physical);
      if (key) rowCount = await r.countRows(dataset.relation);
      if (payload.mode === 'replace') await cat.supersedeActive(dataset.id);
      const source = payload.key ? { ...outcome.source, keyItem: payload.key } : outcome.source;
      await cat.activateVersion(dataset.id, version, { ...outcome, source, classification: { ...outcome.classification, details: outcome.details } });
      await cat.setCurrentVersion(dataset.id, version, rowCount, outcome.classification.grade, outcome.classification.importantCandidate);
      await payload.commit?.(tx, version);
    });
    const unused = payload.mode === 'replace' ? active.map((v) => v.relation) : merged;
    for (const relation of new Set(unused)) await dropTable(relation).catch(() => undefined);
    await afterVersion?.(dataset.id);
    await record({
      action: 'dataset.version_load',
      result: 'success',
      actor: { userId: payload.userId },
      dataset: dataset.code,
      details: {
        version,
        mode: payload.mode,
        rows: outcome.loaded,
        quarantined: outcome.quarantined,
        grade: outcome.classification.grade,
        ...(outcome.source.deleted ? { deleted: outcome.source.deleted } : {}),
      },
    });
    await ctx.progress({ phase: 'done', rows: outcome.loaded + outcome.quarantined });
    return {
      version,
      rows: outcome.loaded,
      quarantined: outcome.quarantined,
      ...(outcome.source.deleted ? { deleted: outcome.source.deleted } : {}),
      grade: outcome.classification.grade,
    };
  }

  jobs.handle('ingest', runIngest);

  /** A stored cell as text, for the before/after of a correction. */
  const textOf = (raw: unknown, c: ColumnRow, cipher: ReturnType<typeof fieldCipherOf> | undefined): string | null => {
    if (raw === null || raw === undefined) return null;
    if (c.encrypted) return cipher!.decrypt(String(raw));
    if (raw instanceof Date) return c.data_type === 'date' ? chinaDay(raw) : raw.toISOString();
    return String(raw);
  };

  const service = {
    /** Runs one load of rows from elsewhere (a database source) inside the caller's job. */
    load,

    /**
     * What a first load of these rows would make of them, storing nothing: per column the SQL type,
     * the detected types, category and grade, and whether it would be stored encrypted — the same
     * classifier, inference and grade policy as an upload (the binding wizard's preview).
     */
    async preview(header: readonly string[], rows: readonly (readonly (string | null)[])[]) {
      const policy = await loadPolicy(db);
      const classifier = new TableClassifier(header, { policy });
      const inferrer = new Inferrer(header);
      rows.forEach((values, i) => {
        classifier.addRow(values);
        inferrer.add(values, i + 1);
      });
      const { result } = classifier.finish();
      const inferred = inferrer.result();
      return {
        grade: result.grade,
        importantCandidate: result.importantCandidate,
        columns: result.columns.map((c, i) => {
          const draft = columnDraft(c, inferred[i]!, policy);
          return {
            name: header[i]!,
            dataType: draft.data_type,
            types: c.types.map((x) => x.type),
            category: c.category,
            sensitive: c.sensitive,
            grade: c.grade,
            encrypted: draft.encrypted,
            maskAs: draft.protection.maskAs,
          };
        }),
      };
    },

    /**
     * Streams an upload to the spool directory (refusing it past the size limit, keeping nothing
     * partial), then queues the load and returns its job id.
     */
    async upload(
      caller: Caller,
      code: string,
      stream: NodeJS.ReadableStream,
      request: { fileName: string; mode: 'append' | 'replace'; options: IngestPayload['options']; asOf?: string },
    ) {
      checkAsOf(request.asOf);
      const dataset = await catalog.getOwned(caller.principal, code);
      catalog.assertTable(dataset);
      fs.mkdirSync(deps.spoolDir, { recursive: true });
      const file = path.join(deps.spoolDir, `${randomUUID()}.upload`);
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (bytes > deps.maxBytes)
            done(
              new BadRequestError(
                'file_too_large',
                { zh: `文件超过大小上限（${deps.maxBytes} 字节）`, en: `File exceeds the size limit (${deps.maxBytes} bytes)` },
                { limit: deps.maxBytes },
              ),
            );
          else done(null, chunk);
        },
      });
      try {
        await pipeline(stream, limit, fs.createWriteStream(file, { mode: 0o600 }));
      } catch (error) {
        fs.rmSync(file, { force: true });
        throw error;
      }
      if (bytes === 0) {
        fs.rmSync(file, { force: true });
        throw new BadRequestError('empty_file', { zh: '文件为空', en: 'The file is empty' }, { field: 'file' });
      }
      return service.enqueue(caller, dataset, { file, spooled: true, ...request }, bytes);
    },

    /** Queues the load of a file already on this machine (pdx import). */
    async importFile(caller: Caller, code: string, file: string, request: { mode: 'append' | 'replace'; options: IngestPayload['options']; asOf?: string }) {
      checkAsOf(request.asOf);
      const dataset = await catalog.getOwned(caller.principal, code);
      catalog.assertTable(dataset);
      if (!fs.existsSync(file)) throw new BadRequestError('file_not_found', { zh: `文件不存在：${file}`, en: `No such file: ${file}` });
      return service.enqueue(caller, dataset, { file: path.resolve(file), fileName: path.basename(file), spooled: false, ...request }, fs.statSync(file).size);
    },

    /**
     * A correction (数据纠错): a new version holding only the corrected rows (every other cell copied
     * as stored); it hides those rows of the earlier versions, which stay, so before and after are
     * both kept. Each new value is checked against the column's type and rules and protected like a
     * loaded one (encrypted, blind-indexed). Returns the version and every changed cell.
     */
    async correct(input: { datasetId: string; userId: string; reason: string; cells: { row: number; column: string; value: string | null }[] }) {
      const dataset = await catalog.byId(input.datasetId);
      if (!dataset) throw new BadRequestError('unknown_dataset', { zh: '数据资源不存在', en: 'Dataset not found' });
      catalog.assertTable(dataset);
      const columns = await catalog.columnsOf(dataset.id);
      const byName = new Map(columns.map((c) => [c.name, c]));
      const policyTypes = new Map(columns.map((c) => [c.name, (c.classification as { types?: { type: string }[] }).types?.[0]?.type]));
      const cells = input.cells.map((cell) => {
        const column = byName.get(cell.column);
        if (!column)
          throw new BadRequestError(
            'unknown_column',
            { zh: `信息项 ${cell.column} 不存在`, en: `No column ${cell.column}` },
            { column: cell.column, row: cell.row },
          );
        if (cell.value === null) return { ...cell, column, value: null };
        const problems = createValidator(
          [column.name],
          { columns: [{ column: column.name, type: column.data_type, ...column.rules }] },
          { identifierCheck: (type, value) => isValidIdentifier(type as TypeId, value) },
        ).check([cell.value], cell.row);
        const value = canonical(column.data_type, cell.value);
        if (problems || value === undefined) {
          throw new BadRequestError(
            'invalid_correction',
            { zh: `第 ${cell.row} 行信息项 ${column.name} 的更正值无效`, en: `The corrected value of ${column.name} in row ${cell.row} is invalid` },
            { row: cell.row, column: column.name, problems },
          );
        }
        return { ...cell, column, value };
      });
      const rows = [...new Set(cells.map((c) => c.row))].sort((a, b) => a - b);
      if (rows.length === 0) throw new BadRequestError('no_rows', { zh: '没有要更正的行', en: 'No rows to correct' }, { field: 'cells' });
      const reserved = await db.transaction(async (tx) => {
        const c = catalog.within(tx);
        await c.lockDataset(dataset.id);
        const loading = (await c.loadingVersions(dataset.id)).map((v) => v.job_id);
        const alive = await jobs.alive(tx, loading);
        if (alive.size > 0) return undefined;
        const versions = await c.versions(dataset.id);
        const version = (versions[0]?.version ?? 0) + 1;
        const table = `${dataset.relation}_v${version}`;
        await c.insertLoadingVersion({
          datasetId: dataset.id,
          version,
          mode: 'correct',
          table,
          jobId: null,
          source: { correction: input.reason, rows: rows.length },
          firstRow: rows[0]!,
          userId: input.userId,
        });
        return { version, table, active: versions.filter((v) => v.state === 'active') };
      });
      if (!reserved)
        throw new ConflictError('load_in_progress', {
          zh: '该数据资源正在装载新版本，请稍后再更正',
          en: 'A version of this dataset is loading; correct it afterwards',
        });
      const { version, table, active } = reserved;
      const r = ingestRepo(db);
      try {
        const keys = columns.some((c) => c.encrypted) ? await keyring.datasetKeys(dataset.id) : undefined;
        const cipher = keys ? fieldCipherOf(keys) : undefined;
        const indexer = keys ? blindIndexerOf(keys) : undefined;
        const before = new Map((await r.readRows(dataset.relation, columns, rows)).map((row) => [Number(row._row), row]));
        const missing = rows.find((n) => !before.has(n));
        if (missing !== undefined)
          throw new BadRequestError('unknown_row', { zh: `第 ${missing} 行不存在`, en: `Row ${missing} does not exist` }, { row: missing });
        await r.createVersionTable(
          table,
          columns.map((c) => ({ ...c, sqlType: sqlType(c) })),
        );
        await r.copyRowsFrom(table, dataset.relation, columns, rows);
        const changes: { row: number; column: string; before: string | null; after: string | null; encrypted: boolean }[] = [];
        for (const cell of cells) {
          const c = cell.column;
          const stored = c.encrypted && cell.value !== null ? cipher!.encrypt(cell.value) : cell.value;
          const bi = c.blind_index && cell.value !== null ? indexer!.index(cell.value, policyTypes.get(c.name)) : null;
          await r.setCell(table, c, cell.row, stored, bi);
          changes.push({
            row: cell.row,
            column: c.name,
            before: textOf(before.get(cell.row)![c.physical], c, cipher),
            after: cell.value,
            encrypted: c.encrypted,
          });
        }
        await r.indexVersionTable(table, columns);
        const last = active[0];
        // A keyed dataset (an incremental or CDC binding) keeps showing one row per key.
        const keyItem = active.map((v) => v.source.keyItem).find((k) => k !== undefined);
        const key = keyItem ? keyOf(columns, keyItem) : undefined;
        await db.transaction(async (tx) => {
          const t = ingestRepo(tx);
          const cat = catalog.within(tx);
          await cat.lockDataset(dataset.id);
          await t.rebuildView(
            dataset.relation,
            versionTables([...active, { relation: table, mode: 'correct', version, rows_loaded: rows.length }]),
            columns,
            key?.physical,
          );
          await cat.activateVersion(dataset.id, version, {
            loaded: rows.length,
            quarantined: 0,
            quality: null,
            classification: last?.classification ?? null,
            source: {},
          });
          await cat.setCurrentVersion(dataset.id, version, dataset.row_count ?? 0, dataset.grade ?? 0, dataset.important_candidate);
        });
        await afterVersion?.(dataset.id);
        await record({
          action: 'dataset.version_correct',
          result: 'success',
          actor: { userId: input.userId },
          dataset: dataset.code,
          details: { version, rows, columns: [...new Set(cells.map((c) => c.column.name))], reason: input.reason },
        });
        return { version, changes };
      } catch (error) {
        await dropTable(table).catch(() => undefined);
        const stored =
          error instanceof AppError
            ? { code: error.code, message: error.text }
            : { code: 'correction_failed', message: { zh: String(error), en: String(error) } };
        await catalog.within(db).failVersion(dataset.id, version, stored);
        throw error;
      }
    },

    async enqueue(caller: Caller, dataset: DatasetRow, job: Omit<IngestPayload, 'datasetId' | 'userId'>, bytes: number) {
      const payload: IngestPayload = { ...job, datasetId: dataset.id, userId: caller.principal.userId };
      const jobId = await jobs.enqueue('ingest', { ...payload }, caller.principal.userId, bytes);
      await events.record(
        callerEvent(caller, {
          action: 'dataset.upload',
          result: 'success',
          dataset: dataset.code,
          details: { jobId, fileName: job.fileName, bytes, mode: job.mode, ...(job.asOf ? { asOf: job.asOf } : {}) },
        }),
      );
      return jobId;
    },
  };
  return service;
}

/** The China date of a date column's value. */
function chinaDay(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

async function* toAsync<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

export type IngestService = ReturnType<typeof createIngestService>;
