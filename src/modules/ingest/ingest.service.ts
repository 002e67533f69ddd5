import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Db } from '../../db/index.ts';
import { AppError, BadRequestError, ConflictError } from '../../errors.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { searchTextOf, type CatalogService } from '../catalog/catalog.service.ts';
import type { ColumnRow, DatasetRow, DataType } from '../catalog/catalog.service.ts';
import { catalogRepo } from '../catalog/catalog.repo.ts';
import { TableClassifier, type TableClassification } from '../classify/engine.ts';
import { columnProtection, type GradePolicy } from '../classify/grades.ts';
import { loadPolicy } from '../classify/review.service.ts';
import type { ColumnResult, TableScanResult } from '../classify/types.ts';
import type { Caller } from '../../http/access.ts';
import { jobsRepo } from '../jobs/jobs.repo.ts';
import { RetryLater, type JobContext, type Jobs } from '../jobs/jobs.service.ts';
import { ingestRepo, physicalColumns } from './ingest.repo.ts';
import { blindIndexerOf } from '../protect/blind-index.ts';
import { fieldCipherOf, type Keyring } from '../protect/keyring.ts';
import { canonical, Inferrer } from './infer.ts';
import { openTable, type OpenTableOptions, type TableReader, type XlsxLimits } from './readers/index.ts';
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
}

/** Sizes a column's physical SQL type; encrypted values are ciphertext text. */
function sqlType(column: Pick<ColumnRow, 'data_type' | 'encrypted'>): string {
  return column.encrypted ? 'text' : SQL_TYPES[column.data_type];
}

function topType(result: ColumnResult | undefined): string | undefined {
  return result?.types[0]?.type;
}

/** Aggregation: files in, atomic versions out (issue 4), classified and protected on the way. */
export function createIngestService(deps: { db: Db; jobs: Jobs; catalog: CatalogService; keyring: Keyring; events: EventSink; spoolDir: string; maxBytes: number; xlsx?: XlsxLimits }) {
  const { db, jobs, catalog, keyring, events } = deps;
  const repo = catalog.repo;

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
      const protection = columnProtection(c, policy);
      const encrypted = protection.encryptAtRest;
      return {
        dataset_id: dataset.id,
        position: i + 1,
        physical: `c${String(i + 1).padStart(3, '0')}`,
        name,
        label: name,
        // Identifiers (phone numbers, codes) are text even when they look like numbers.
        data_type: encrypted || (c.types.length > 0 && (inferred[i]!.type === 'integer' || inferred[i]!.type === 'decimal')) ? 'text' : inferred[i]!.type,
        length: inferred[i]!.maxLength || null,
        description: '',
        rules: topType(c) && ['cn_resident_id', 'cn_uscc', 'cn_org_code', 'bank_card'].includes(topType(c)!) ? { identifier: topType(c)! } : {},
        classification: { ...c, protection },
        grade: c.grade,
        encrypted,
        blind_index: encrypted && INDEXED_TYPES.has(topType(c) ?? ''),
      };
    });
    await db.transaction(async (tx) => {
      for (const column of columns) await catalogRepo(tx).insertColumn(column);
      await catalogRepo(tx).setSearchText(dataset.id, searchTextOf(dataset, columns));
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
          zh: `文件的列与数据资源的信息项不一致:${missing.length ? `缺少 ${missing.join('、')}` : ''}${missing.length && extra.length ? ';' : ''}${extra.length ? `多出 ${extra.join('、')}` : ''}`,
          en: `File columns do not match the dataset: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unexpected ${extra.join(', ')}` : ''}`,
        },
        { missing, extra },
      );
    }
    return columns.map((c) => header.indexOf(c.name));
  }

  const dropTable = (table: string) => ingestRepo(db).dropTable(table);

  const INTERRUPTED = { code: 'interrupted', message: { zh: '加载被中断(进程退出),该版本未生效', en: 'Load was interrupted (process exited); this version never became visible' } };

  /**
   * Reserves the next version of a dataset for this job, under a row lock on the dataset so two
   * loads of one dataset never interleave. A 'loading' version whose job is still alive means
   * another load is under way: this job waits its turn. One whose job died (killed process, or this
   * job's own earlier attempt) is marked failed, its job too, and its rows are dropped.
   */
  async function reserveVersion(ctx: JobContext, dataset: DatasetRow, payload: IngestPayload, totalBytes: number) {
    const reserved = await db.transaction(async (tx) => {
      const r = ingestRepo(tx);
      await r.lockDataset(dataset.id);
      const loading = await r.loadingVersions(dataset.id, jobs.staleSeconds);
      if (loading.some((v) => v.job_id !== ctx.job.id && v.alive)) return undefined;
      for (const v of loading) {
        await r.failVersion(dataset.id, v.version, INTERRUPTED);
        if (v.job_id && v.job_id !== ctx.job.id) await jobsRepo(tx).failAbandoned(v.job_id, INTERRUPTED);
      }
      const versions = await catalogRepo(tx).versions(dataset.id);
      const version = (versions[0]?.version ?? 0) + 1;
      const table = `${dataset.relation}_v${version}`;
      const active = versions.filter((v) => v.state === 'active');
      const firstRow = payload.mode === 'replace' ? 1 : 1 + active.reduce((n, v) => Math.max(n, v.first_row + v.rows_loaded - 1), 0);
      await r.insertLoadingVersion({
        datasetId: dataset.id,
        version,
        mode: payload.mode,
        table,
        jobId: ctx.job.id,
        source: { fileName: payload.fileName, bytes: totalBytes },
        firstRow,
        userId: payload.userId,
      });
      return { version, table, active, firstRow, dead: loading.map((v) => v.relation) };
    });
    if (!reserved) throw new RetryLater(5);
    for (const table of reserved.dead) await dropTable(table);
    return reserved;
  }

  /** Loads one file into a new version table, then makes it visible in one short transaction. */
  async function runIngest(ctx: JobContext) {
    const payload = ctx.job.payload as unknown as IngestPayload;
    const dataset = await repo.byId(payload.datasetId);
    if (!dataset) throw new BadRequestError('unknown_dataset', { zh: '数据资源不存在', en: 'Dataset not found' });
    const totalBytes = fs.statSync(payload.file).size;
    const { version, table, active, firstRow } = await reserveVersion(ctx, dataset, payload, totalBytes);
    const policy = await loadPolicy(db);
    const open = () => openTable(payload.file, { ...payload.options, name: payload.fileName, maxBytes: deps.maxBytes, ...(deps.xlsx ? { xlsx: deps.xlsx } : {}) });

    try {
      let columns = await repo.columns(dataset.id);
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
            zh: `新版本中发现须加密的敏感列(${encrypt.map((c) => c.name).join('、')}),请以替换方式重新上传全部数据`,
            en: `This version revealed sensitive columns that must be encrypted (${encrypt.map((c) => c.name).join(', ')}); upload all data again in replace mode`,
          });
        }
        const names = new Set(encrypt.map((c) => c.name));
        columns = columns.map((c, i) =>
          names.has(c.name) ? { ...c, encrypted: true, data_type: 'text' as const, blind_index: INDEXED_TYPES.has(topType(found[i]) ?? '') } : c,
        );
      }
      const outcome = await loadVersion(ctx, dataset, columns, table, version, open, firstRow, totalBytes);
      return await finish(ctx, dataset, columns, table, version, payload, { ...outcome, classification: scan.classification.result, details: scan.classification.details }, active, encrypt);
    } catch (error) {
      await dropTable(table).catch(() => undefined);
      const stored = error instanceof AppError ? { code: error.code, message: error.text, details: error.details } : { code: 'load_failed', message: { zh: String(error), en: String(error) } };
      await ingestRepo(db).failVersion(dataset.id, version, stored);
      await record({ action: 'dataset.version_failed', result: 'failure', actor: { userId: payload.userId }, dataset: dataset.code, details: { version, error: stored.code } });
      throw error;
    } finally {
      if (payload.spooled) fs.rmSync(payload.file, { force: true });
    }
  }

  /** Streams every row: checks, quarantine, encryption, COPY in chunks (the second pass). */
  async function loadVersion(ctx: JobContext, dataset: DatasetRow, columns: ColumnRow[], table: string, version: number, open: () => Promise<TableReader>, firstRow: number, totalBytes: number) {
    const reader = await open();
    const order = mapHeader(columns, reader.columns);
    await ingestRepo(db).createVersionTable(table, columns.map((c) => ({ ...c, sqlType: sqlType(c) })));
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
          await db.transaction((tx) =>
            tx.copyRows('quarantined_rows', ['dataset_id', 'version', 'line', 'problems'], toAsync(q.map((r) => [dataset.id, version, r.line, JSON.stringify(r.problems)]))),
          );
        }
        await ctx.progress(progress);
      })();
      // Keep an early failure from being reported as unhandled before the next flush awaits it.
      inFlight.catch(() => undefined);
    };

    for await (const row of reader.rows) {
      rowsSeen++;
      const values = order.map((i) => row.values[i] ?? null);
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
    if (rowsSeen === 0) throw new BadRequestError('no_rows', { zh: '文件只有表头,没有数据行', en: 'The file has a header but no data rows' });
    await ingestRepo(db).indexVersionTable(table, columns);
    return {
      loaded,
      quarantined: rowsSeen - loaded,
      quality: quality.report(),
      source: { format: reader.format, encoding: reader.encoding, delimiter: reader.delimiter ?? null },
    };
  }

  /** Makes the loaded version visible (and supersedes the old ones on replace) in one transaction. */
  async function finish(
    ctx: JobContext,
    dataset: DatasetRow,
    columns: ColumnRow[],
    table: string,
    version: number,
    payload: IngestPayload,
    outcome: Awaited<ReturnType<typeof loadVersion>> & { classification: TableScanResult; details: TableClassification['details'] },
    active: { relation: string; version: number; rows_loaded: number }[],
    encrypt: ColumnResult[],
  ) {
    const keep = payload.mode === 'replace' ? [] : active;
    const rowCount = keep.reduce((n, v) => n + v.rows_loaded, 0) + outcome.loaded;
    await db.transaction(async (tx) => {
      const r = ingestRepo(tx);
      for (const c of encrypt) await r.markEncrypted(dataset.id, c.name, INDEXED_TYPES.has(topType(c) ?? ''));
      await r.rebuildView(dataset.relation, [...keep.map((v) => v.relation), table], columns);
      if (payload.mode === 'replace') await r.supersedeActive(dataset.id);
      await r.activateVersion(dataset.id, version, { ...outcome, classification: { ...outcome.classification, details: outcome.details } });
      await r.setCurrentVersion(dataset.id, version, rowCount, outcome.classification.grade, outcome.classification.importantCandidate);
    });
    if (payload.mode === 'replace') for (const v of active) await dropTable(v.relation).catch(() => undefined);
    await service.afterVersion?.(dataset.id);
    await record({
      action: 'dataset.version_load',
      result: 'success',
      actor: { userId: payload.userId },
      dataset: dataset.code,
      details: { version, mode: payload.mode, rows: outcome.loaded, quarantined: outcome.quarantined, grade: outcome.classification.grade },
    });
    await ctx.progress({ phase: 'done', rows: outcome.loaded + outcome.quarantined });
    return { version, rows: outcome.loaded, quarantined: outcome.quarantined, grade: outcome.classification.grade };
  }

  jobs.handle('ingest', runIngest);

  const service = {
    /** Called after a version becomes visible (the review module re-applies officers' overrides). */
    afterVersion: undefined as ((datasetId: string) => Promise<void>) | undefined,

    /**
     * Streams an upload to the spool directory (refusing it past the size limit, keeping nothing
     * partial), then queues the load and returns its job id.
     */
    async upload(caller: Caller, code: string, stream: NodeJS.ReadableStream, request: { fileName: string; mode: 'append' | 'replace'; options: IngestPayload['options'] }) {
      const dataset = await catalog.getOwned(caller.principal, code);
      catalog.assertTable(dataset);
      fs.mkdirSync(deps.spoolDir, { recursive: true });
      const file = path.join(deps.spoolDir, `${randomUUID()}.upload`);
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (bytes > deps.maxBytes) done(new BadRequestError('file_too_large', { zh: `文件超过大小上限(${deps.maxBytes} 字节)`, en: `File exceeds the size limit (${deps.maxBytes} bytes)` }, { limit: deps.maxBytes }));
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
    async importFile(caller: Caller, code: string, file: string, request: { mode: 'append' | 'replace'; options: IngestPayload['options'] }) {
      const dataset = await catalog.getOwned(caller.principal, code);
      catalog.assertTable(dataset);
      if (!fs.existsSync(file)) throw new BadRequestError('file_not_found', { zh: `文件不存在:${file}`, en: `No such file: ${file}` });
      return service.enqueue(caller, dataset, { file: path.resolve(file), fileName: path.basename(file), spooled: false, ...request }, fs.statSync(file).size);
    },

    async enqueue(caller: Caller, dataset: DatasetRow, job: Omit<IngestPayload, 'datasetId' | 'userId'>, bytes: number) {
      const payload: IngestPayload = { ...job, datasetId: dataset.id, userId: caller.principal.userId };
      const jobId = await jobs.enqueue('ingest', { ...payload }, caller.principal.userId, bytes);
      await events.record(
        callerEvent(caller, { action: 'dataset.upload', result: 'success', dataset: dataset.code, details: { jobId, fileName: job.fileName, bytes, mode: job.mode } }),
      );
      return jobId;
    },
  };
  return service;
}

async function* toAsync<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

export type IngestService = ReturnType<typeof createIngestService>;
