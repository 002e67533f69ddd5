/**
 * Streaming a read under its grant (issue 14, point 3): the compiled read (compile.ts) of the grant
 * chosen and checked (grant.ts) runs in chunks; each chunk is masked, counted against the grant's
 * quotas in the database (every process counts against the same numbers) and recorded in the audit
 * log before it leaves the server.
 */
import type { Db } from '../../../db/index.ts';
import { TooManyRequestsError } from '../../../errors.ts';
import type { Caller } from '../../../http/access.ts';
import type { AuditEvent } from '../../audit/events.ts';
import type { DataType } from '../../catalog/catalog.service.ts';
import { blindIndexerOf } from '../../protect/blind-index.ts';
import { fieldCipherOf, type DatasetKeys, type Keyring } from '../../protect/keyring.ts';
import type { CellValue, MaskedValue } from '../../protect/masking.ts';
import { pseudonymizerOf } from '../../protect/pseudonym.ts';
import { isEmptyFilter, type FilterNode } from '../filter.ts';
import { redactFilter } from '../redact.ts';
import type { AccessContext, AccessGrant, ShareRepo } from '../share.repo.ts';
import {
  clearValue,
  compileCell,
  compileRead,
  decodeCursor,
  encodeCursor,
  needsKeys,
  normalizePseudonym,
  touchesEncrypted,
  type CellContext,
  type Cursor,
  type OrderSpec,
  type ViewColumn,
} from './compile.ts';
import { chinaToday, StaleContext, type GrantResolver, type ResolvedAccess } from './grant.ts';

/** Largest page of the records API. */
export const MAX_LIMIT = 10_000;
/** Rows fetched, masked and audited per step: a page is streamed in chunks of at most this many. */
export const CHUNK_ROWS = 1000;
/**
 * Rows a pseudonym filter may scan (decrypt and pseudonymise) in one request before it answers with a
 * cursor to continue: no more than the largest plain page, so a filter on a pseudonym column costs a
 * request no more than reading MAX_LIMIT rows does, whatever the size of the grant's view.
 */
export const PSEUDONYM_SCAN_ROWS = MAX_LIMIT;
/** The same bound for an export file, written by a background job rather than while a caller waits. */
export const EXPORT_PSEUDONYM_SCAN_ROWS = 100_000;

/** The parsed query of a records request (also stored with an export). */
export interface RecordsQuery {
  select?: string[];
  filter: FilterNode;
  order: OrderSpec[];
  limit: number;
  after?: string;
  grant?: string;
  /** rowid=true: each row also carries `_row`, its row number in the dataset (to name it in an objection). */
  rowId?: boolean;
}

/** One streamed read: chunks of rows in their granted forms, each audited before it is yielded. */
export interface RecordStream {
  columns: { name: string; mode: string }[];
  /** The catalogue type of each output column, in `columns` order (a push target types its columns by it). */
  types: DataType[];
  datasetId: string;
  grantId: string;
  chunks: AsyncGenerator<Record<string, MaskedValue>[], void, void>;
  /** Rows of the dataset flagged to every reader (an open objection), read alongside the first chunk (records reads only). */
  flagged: Promise<number[]>;
  /** The cursor of the next page, or null at the end (read after the chunks are done). */
  next(): string | null;
  /** True once the last chunk has been yielded (then next() is final). */
  finished(): boolean;
}

export type StreamAction = 'data.read' | 'data.export' | 'data.push';

function windowStart(now: Date, ms: number): Date {
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/** The start of today in China (rows-per-day quotas reset at midnight there). */
function chinaDayStart(now: Date): Date {
  return new Date(Date.parse(`${chinaToday(now)}T00:00:00+08:00`));
}

/**
 * Streams and quotas over the grant resolver: `open` a read, and the quota counters other data
 * paths under the same grants use (verification, telemetry series, interface calls).
 */
export function createRecordStreams(deps: {
  db: Db;
  repo: Pick<ShareRepo, 'addUsage' | 'addUsages' | 'accessRevision'>;
  keyring: Pick<Keyring, 'datasetKeys' | 'keysFromRows'>;
  grants: GrantResolver;
  /** Rows of a dataset flagged to every reader (the duties' objections), named by a records read. */
  flaggedRows?: (datasetId: string) => Promise<number[]>;
  record: (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => Promise<void>;
}) {
  const { db, repo, keyring, grants, record } = deps;

  /** Counts one request against the grant's per-minute quota (across every process); a refusal is recorded. */
  async function countRequest(caller: Caller, code: string, grant: AccessGrant, kind: 'requests' | 'verify', perMinute: number | null): Promise<void> {
    if (perMinute === null) return;
    const now = new Date();
    const start = windowStart(now, 60_000);
    const used = await repo.addUsage(grant.id, kind, start, 1);
    if (used > perMinute) {
      await record(caller, { action: 'data.quota_exceeded', result: 'denied', dataset: code, details: { grantId: grant.id, quota: kind, limit: perMinute } });
      throw new TooManyRequestsError(Math.max(1, Math.ceil((start.getTime() + 60_000 - now.getTime()) / 1000)));
    }
  }

  /** Reserves up to `rows` of the grant's daily row quota; returns how many may be sent. */
  async function reserveRows(grant: AccessGrant, rows: number): Promise<number> {
    if (grant.rows_per_day === null || rows === 0) return rows;
    const start = chinaDayStart(new Date());
    const used = await repo.addUsage(grant.id, 'rows', start, rows);
    const allowed = Math.max(0, Math.min(rows, grant.rows_per_day - (used - rows)));
    if (allowed < rows) await repo.addUsage(grant.id, 'rows', start, allowed - rows);
    return allowed;
  }

  /**
   * One call of a service grant against both its quotas in one statement: the per-minute request
   * count and the daily count of calls (`rows_per_day`). A refusal is recorded and thrown; a refused
   * call is not counted against the day.
   */
  async function countCall(caller: Caller, code: string, grant: AccessGrant, details: Record<string, unknown>): Promise<void> {
    const now = new Date();
    const minute = windowStart(now, 60_000);
    const day = chinaDayStart(now);
    const items = [
      ...(grant.requests_per_minute === null ? [] : [{ kind: 'requests' as const, windowStart: minute, amount: 1 }]),
      ...(grant.rows_per_day === null ? [] : [{ kind: 'rows' as const, windowStart: day, amount: 1 }]),
    ];
    if (!items.length) return;
    const used = await repo.addUsages(grant.id, items);
    const overMinute = grant.requests_per_minute !== null && used.get('requests')! > grant.requests_per_minute;
    const overDay = grant.rows_per_day !== null && used.get('rows')! > grant.rows_per_day;
    if (overDay || (overMinute && grant.rows_per_day !== null)) await repo.addUsage(grant.id, 'rows', day, -1);
    if (overMinute) {
      await record(caller, {
        action: 'data.quota_exceeded',
        result: 'denied',
        dataset: code,
        details: { grantId: grant.id, quota: 'requests', limit: grant.requests_per_minute },
      });
      throw new TooManyRequestsError(Math.max(1, Math.ceil((minute.getTime() + 60_000 - now.getTime()) / 1000)));
    }
    if (overDay) {
      await record(caller, {
        action: 'data.quota_exceeded',
        result: 'denied',
        dataset: code,
        details: { grantId: grant.id, quota: 'calls_per_day', limit: grant.rows_per_day, ...details },
      });
      throw rowsQuotaError();
    }
  }

  function rowsQuotaError(): TooManyRequestsError {
    const now = Date.now();
    const next = chinaDayStart(new Date()).getTime() + 86_400_000;
    return new TooManyRequestsError(Math.max(1, Math.ceil((next - now) / 1000)), {
      zh: '已达到授权的每日行数上限',
      en: 'The daily row quota of the grant is used up',
    });
  }

  /**
   * The rows flagged to every reader, read once per access context and kept with it: an objection
   * raised, changed or closed raises the dataset's access revision (migration 0045), so a kept
   * context whose revisions hold (the first chunk's query checks them) has current flagged rows. The
   * read is issued after its context was read, never before, so it sees every change the context's
   * revision does not. Keyed by the context's dataset record, which the copies asOfNow makes of one
   * context read share.
   */
  const flaggedByContext = new WeakMap<AccessContext['dataset'], Promise<number[]>>();
  function flaggedRowsOf(ctx: AccessContext): Promise<number[]> {
    if (!deps.flaggedRows) return Promise.resolve([]);
    let rows = flaggedByContext.get(ctx.dataset);
    if (!rows) {
      const read = deps.flaggedRows(ctx.dataset.id);
      rows = read;
      flaggedByContext.set(ctx.dataset, read);
      read.catch(() => flaggedByContext.get(ctx.dataset) === read && flaggedByContext.delete(ctx.dataset));
    }
    return rows;
  }

  async function keysFor(access: ResolvedAccess, filterTouchesEncrypted: boolean, keptCtx: boolean): Promise<DatasetKeys | undefined> {
    if (!needsKeys(access.view) && !filterTouchesEncrypted) return undefined;
    // The key rows came with the grant (one statement); before the dataset's first key, datasetKeys makes it.
    const { id } = access.ctx.dataset;
    if (access.ctx.dataKeys.length) return keyring.keysFromRows(id, access.ctx.dataKeys);
    if (keptCtx) throw new StaleContext();
    return keyring.datasetKeys(id);
  }

  /**
   * Opens a streamed read. Throws before anything is sent on every refusal (grant, column, filter,
   * quota); the route awaits the first chunk (audited) before it sends headers. `data.push` is a
   * delivery into a consumer's database (exchange module); `audit` adds to each chunk's record
   * (where the rows go).
   */
  async function open(
    caller: Caller,
    code: string,
    query: RecordsQuery,
    action: StreamAction = 'data.read',
    audit: Record<string, unknown> = {},
  ): Promise<RecordStream> {
    const keptCtx = grants.kept(caller, code);
    if (keptCtx) {
      // Refused, failed or stale on the kept context: decided again below on the context as it is now.
      const ready = await prepare(caller, code, query, action, keptCtx).catch(() => undefined);
      if (ready) return stream(caller, code, query, action, audit, ready);
      grants.forget(caller, code);
    }
    return stream(caller, code, query, action, audit, (await prepare(caller, code, query, action))!);
  }

  /**
   * The grant, the compiled read and its first chunk's query under way, on a context read now or on
   * a kept one (`keptCtx`). On a kept context nothing is written and nothing counted, and the answer
   * waits for the first chunk's query to confirm, in its own snapshot, that the context's access
   * revisions have not moved (undefined when they have).
   */
  async function prepare(caller: Caller, code: string, query: RecordsQuery, action: StreamAction, keptCtx?: AccessContext) {
    const access = keptCtx ? await grants.resolveOrRefuse(caller, code, query.grant, 'table', keptCtx) : await grants.resolveNow(caller, code, query.grant);
    const { grant, ctx } = access;
    const columnMap = new Map(access.view.map((c) => [c.name, c]));
    const encryptedFilter = touchesEncrypted(grant.row_filter, columnMap) || touchesEncrypted(query.filter, columnMap);
    // The key load, the quota count and the first chunk's query are independent round trips: run
    // them together (the blind-index terms are needed before the query only when a filter touches
    // an encrypted column).
    const keysPromise = keysFor(access, encryptedFilter, keptCtx !== undefined);
    keysPromise.catch(() => undefined);
    const quota = action === 'data.read' && !keptCtx ? countRequest(caller, code, grant, 'requests', grant.requests_per_minute) : undefined;
    quota?.catch(() => undefined);
    const flagged = action === 'data.read' ? flaggedRowsOf(ctx) : Promise.resolve([]);
    flagged.catch(() => undefined);
    const termKeys = encryptedFilter ? await keysPromise : undefined;
    const terms = termKeys ? blindIndexerOf(termKeys) : undefined;
    const compiled = compileRead(
      ctx.dataset.relation,
      access.view,
      grant.row_filter,
      { ...(query.select ? { select: query.select } : {}), filter: query.filter, order: query.order },
      terms,
    );
    const cursor0: Cursor | undefined = query.after === undefined ? undefined : decodeCursor(query.after, compiled.order);
    const firstSize = compiled.post.length ? CHUNK_ROWS : Math.min(CHUNK_ROWS, query.limit);
    const firstSql = compiled.chunk(cursor0, firstSize, keptCtx ? { scopes: ctx.scopes, revision: ctx.revision } : undefined);
    const firstRows = db.query(firstSql.text, firstSql.values);
    firstRows.catch(() => undefined);
    if (keptCtx) {
      // The query answers nothing once the revisions moved; a short answer may be that, or the end.
      const rows = await firstRows;
      if (rows.length < firstSize && (await repo.accessRevision(ctx.scopes)) !== ctx.revision) return undefined;
      await keysPromise;
    }
    return { access, columnMap, keysPromise, quota, flagged, compiled, cursor0, firstRows, kept: keptCtx !== undefined };
  }

  async function stream(
    caller: Caller,
    code: string,
    query: RecordsQuery,
    action: StreamAction,
    audit: Record<string, unknown>,
    ready: NonNullable<Awaited<ReturnType<typeof prepare>>>,
  ): Promise<RecordStream> {
    const scanBudget = action === 'data.export' ? EXPORT_PSEUDONYM_SCAN_ROWS : PSEUDONYM_SCAN_ROWS;
    const { access, columnMap, keysPromise, flagged, compiled, cursor0, firstRows } = ready;
    const { grant, ctx } = access;
    const quota = ready.quota ?? (ready.kept && action === 'data.read' ? countRequest(caller, code, grant, 'requests', grant.requests_per_minute) : undefined);
    const [keys] = await Promise.all([keysPromise, quota]);
    const cipher = keys && compiled.fetch.some((c) => c.encrypted) ? fieldCipherOf(keys) : undefined;
    const cellCtx: CellContext = {
      ...(cipher ? { decrypt: cipher.decrypt } : {}),
      ...(keys && compiled.fetch.some((c) => c.mode === 'pseudonym') ? { pseudonym: pseudonymizerOf(keys, caller.principal.orgId) } : {}),
    };
    const columns = compiled.output.map((c) => ({ name: c.name, mode: c.mode }));
    // Values on personal columns are recorded masked: the audit log must not become a copy of the data.
    const auditFilter = {
      grant: redactFilter(grant.row_filter, columnMap),
      request: isEmptyFilter(query.filter) ? null : redactFilter(query.filter, columnMap),
    };
    let next: string | null = null;
    let finished = false;

    // Per-column work compiled once for the request. `output` is the start of `fetch` (fetch adds
    // the columns only a pseudonym filter reads), so clear[i] is output[i]'s value for i < outputCount.
    const fetch = compiled.fetch;
    const fetchCount = fetch.length;
    const physical = fetch.map((c) => c.physical);
    const outputCount = compiled.output.length;
    const outputNames = compiled.output.map((c) => c.name);
    const writers = compiled.output.map((c) => compileCell(c, cellCtx));
    const postIndex = compiled.post.map((p) => fetch.indexOf(p.column));
    if (compiled.output.some((c, i) => fetch[i] !== c) || postIndex.includes(-1)) throw new Error('compiled read: output is not the start of fetch');
    /** One row's clear values, reused from row to row. */
    const clear: CellValue[] = new Array<CellValue>(fetchCount);

    async function* chunks(): AsyncGenerator<Record<string, MaskedValue>[], void, void> {
      let cursor = cursor0;
      let sent = 0;
      let scanned = 0;
      let part = 0;
      const post = compiled.post;
      for (;;) {
        const chunkStart = cursor;
        const want = query.limit - sent;
        const fetchSize = post.length ? CHUNK_ROWS : Math.min(CHUNK_ROWS, want);
        let rows: Record<string, unknown>[];
        if (part === 0 && scanned === 0) {
          rows = await firstRows;
        } else {
          const sql = compiled.chunk(cursor, fetchSize);
          rows = await db.query(sql.text, sql.values);
        }
        const out: Record<string, MaskedValue>[] = [];
        // The rows sent; a cursor is made only of the rows a page ends on.
        const emitted: Record<string, unknown>[] = [];
        let last: Record<string, unknown> | undefined;
        let full = false;
        for (const row of rows) {
          last = row;
          scanned++;
          for (let i = 0; i < fetchCount; i++) clear[i] = clearValue(fetch[i]!, row[physical[i]!], cellCtx);
          if (post.length && !post.every((p, k) => matchesPseudonym(p, clear[postIndex[k]!]))) continue;
          const item: Record<string, MaskedValue> = {};
          for (let i = 0; i < outputCount; i++) item[outputNames[i]!] = writers[i]!(clear[i]);
          if (query.rowId) item._row = Number(row._row);
          out.push(item);
          emitted.push(row);
          if (sent + out.length >= query.limit) {
            full = true;
            break;
          }
        }
        if (last) cursor = compiled.cursorOf(last);
        const allowed = await reserveRows(grant, out.length);
        if (allowed === 0 && out.length > 0 && part === 0) throw rowsQuotaError();
        const truncated = allowed < out.length;
        const exhausted = rows.length < fetchSize;
        let stop = true;
        if (truncated) {
          // The daily quota ran out: send what it allows; the next page starts after the last row sent.
          out.length = allowed;
          const end = allowed > 0 ? compiled.cursorOf(emitted[allowed - 1]!) : chunkStart;
          next = end ? encodeCursor(end) : null;
        } else if (full) {
          next = encodeCursor(compiled.cursorOf(emitted.at(-1)!));
        } else if (exhausted) {
          next = null;
        } else if (scanned >= scanBudget) {
          // A pseudonym filter scanned its budget: answer with a cursor to continue from.
          next = cursor ? encodeCursor(cursor) : null;
        } else {
          stop = false;
        }
        // A pseudonym scan step that matched nothing sends nothing and needs no record.
        if (!stop && out.length === 0) continue;
        // Audit before answer: this chunk leaves only once its record is committed.
        await record(caller, {
          action,
          result: 'success',
          dataset: ctx.dataset.code,
          details: {
            columns,
            rowCount: out.length,
            grantId: grant.id,
            grant: grant.id,
            purpose: grant.purpose,
            filter: auditFilter,
            ...(query.order.length ? { order: query.order } : {}),
            ...(part > 0 ? { part } : {}),
            ...audit,
          },
        });
        part++;
        sent += out.length;
        finished = stop;
        yield out;
        if (stop) return;
      }
    }

    function matchesPseudonym(p: { column: ViewColumn; values: ReadonlySet<string> }, value: unknown): boolean {
      if (value === null || value === undefined || !cellCtx.pseudonym) return false;
      return p.values.has(normalizePseudonym(cellCtx.pseudonym(String(value), p.column.type)));
    }

    return {
      columns,
      types: compiled.output.map((c) => c.dataType),
      datasetId: ctx.dataset.id,
      grantId: grant.id,
      chunks: chunks(),
      flagged,
      next: () => next,
      finished: () => finished,
    };
  }

  return { open, countRequest, reserveRows, rowsQuotaError, countCall };
}

export type RecordStreams = ReturnType<typeof createRecordStreams>;
