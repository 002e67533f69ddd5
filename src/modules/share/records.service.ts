/**
 * The data path (issue 7 §3-7): records, verification and exports read only the view compiled from
 * the caller's grant. Each request checks the grant's state in the database (revocation and expiry
 * hold on every process at once), counts quotas in the database, and records every chunk of rows in
 * the audit log before that chunk leaves the server.
 */
import type { Db } from '../../db/index.ts';
import { ident } from '../../db/sql.ts';
import { AppError, BadRequestError, ForbiddenError, NotFoundError, TooManyRequestsError } from '../../errors.ts';
import type { Caller } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { DataType, ResourceKind } from '../catalog/catalog.service.ts';
import { blindIndexerOf } from '../protect/blind-index.ts';
import { fieldCipherOf, type DatasetKeys, type Keyring } from '../protect/keyring.ts';
import type { CellValue, MaskedValue } from '../protect/masking.ts';
import { pseudonymizerOf } from '../protect/pseudonym.ts';
import { filterError, isEmptyFilter, parseFilterParams, type Condition, type FilterNode } from './filter.ts';
import {
  clearValue,
  compileCell,
  compileFilter,
  compileRead,
  decodeCursor,
  encodeCursor,
  needsKeys,
  normalizePseudonym,
  Params,
  touchesEncrypted,
  unknownColumn,
  viewColumns,
  type CellContext,
  type Cursor,
  type OrderSpec,
  type ViewColumn,
} from './policy.ts';
import { redactFilter } from './redact.ts';
import { shareRepo, type AccessContext, type AccessGrant } from './share.repo.ts';
import { chinaToday, grantExpired, ipAllowed, type ShareService } from './share.service.ts';

/** Largest page of the records API. */
export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 100;
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
/** Verification answers per minute per grant when the grant sets no request quota. */
export const DEFAULT_VERIFY_PER_MINUTE = 600;
/** Access contexts a process keeps (dataset × organisation × key), least recently used dropped first. */
export const KEPT_CONTEXTS = 2000;

const DATASET = { zh: '数据资源', en: 'Dataset' };
/** Where each kind of resource is read, for the error of a call on the wrong path. */
const READ_AT: Record<ResourceKind, { zh: string; en: string; path: (code: string) => string }> = {
  table: { zh: '库表数据', en: 'a table', path: (c) => `/api/v1/datasets/${c}/records` },
  telemetry: { zh: '时序数据', en: 'a telemetry set', path: (c) => `/api/v1/series/${c}/points` },
  service: { zh: '接口服务', en: 'an interface (service)', path: (c) => `/api/v1/services/${c}/…` },
};

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

function denied(code: string, zh: string, en: string): ForbiddenError {
  return new ForbiddenError(code, { zh, en });
}

/** Parses select=, order=, limit=, after=, grant= and the filters of a query string. */
export function parseRecordsQuery(params: URLSearchParams, options: { maxLimit?: number } = {}): RecordsQuery {
  const maxLimit = options.maxLimit ?? MAX_LIMIT;
  const single = (name: string) => {
    const all = params.getAll(name);
    if (all.length > 1) throw filterError(name, '参数重复', 'given more than once');
    return all[0];
  };
  const selectText = single('select');
  const select = selectText === undefined ? undefined : selectText.split(',').map((s) => s.trim()).filter(Boolean);
  if (select && select.length === 0) throw filterError('select', '没有信息项', 'names no column');
  const orderText = single('order');
  const order: OrderSpec[] = [];
  if (orderText !== undefined) {
    for (const part of orderText.split(',')) {
      const m = /^(.+?)(?:\.(asc|desc))?$/.exec(part.trim());
      if (!m || !m[1]) throw filterError('order', '应写成 信息项.asc 或 信息项.desc', 'expected column.asc or column.desc');
      order.push({ column: m[1], direction: (m[2] as 'asc' | 'desc' | undefined) ?? 'asc' });
    }
    if (order.length > 8) throw filterError('order', '排序信息项过多', 'too many order columns');
  }
  const limitText = single('limit');
  let limit = Math.min(DEFAULT_LIMIT, maxLimit);
  if (limitText !== undefined) {
    if (!/^\d{1,9}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > maxLimit) {
      throw filterError('limit', `应为 1 到 ${maxLimit} 的整数`, `expected an integer from 1 to ${maxLimit}`);
    }
    limit = Number(limitText);
  }
  const after = single('after');
  const grant = single('grant');
  if (grant !== undefined && !/^[0-9a-f-]{36}$/i.test(grant)) throw filterError('grant', '不是授权编号', 'is not a grant id');
  const rowId = single('rowid');
  if (rowId !== undefined && rowId !== 'true' && rowId !== 'false') throw filterError('rowid', '应为 true 或 false', 'expected true or false');
  return {
    ...(select ? { select } : {}),
    filter: parseFilterParams(params.entries()),
    order,
    limit,
    ...(after !== undefined ? { after } : {}),
    ...(grant !== undefined ? { grant } : {}),
    ...(rowId === 'true' ? { rowId: true } : {}),
  };
}

/** The grant a request reads under, and its view. */
export interface ResolvedAccess {
  ctx: AccessContext;
  grant: AccessGrant;
  view: ViewColumn[];
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

function windowStart(now: Date, ms: number): Date {
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/** A kept access context cannot decide this request alone: it is read again. */
class StaleContext extends Error {}

/** The context as of now: a grant past its end is expired, a timed containment past its end is over. */
function asOfNow<T extends AccessContext | undefined>(ctx: T): T {
  if (!ctx) return ctx;
  const now = Date.now();
  return {
    ...ctx,
    grants: ctx.grants.map((g) => ({ ...g, expired: grantExpired(g.expires_at, now) })),
    containments: ctx.containments.filter((c) => c.until === null || Date.parse(c.until) > now),
  };
}

/** The start of today in China (rows-per-day quotas reset at midnight there). */
function chinaDayStart(now: Date): Date {
  return new Date(Date.parse(`${chinaToday(now)}T00:00:00+08:00`));
}

export function createRecordsService(deps: { db: Db; keyring: Pick<Keyring, 'datasetKeys' | 'keysFromRows'>; events: EventSink; share: ShareService }) {
  const { db, keyring, events, share } = deps;
  const repo = shareRepo(db);

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  /**
   * Access contexts kept by this process for the records path. A kept context is used only by a data
   * query that checks, in its own snapshot, that the context's access revisions have not moved
   * (migration 0040); anything else it would decide — a refusal, a stale revision, a failed query —
   * is decided again on a context read now.
   */
  const kept = new Map<string, AccessContext>();
  const keptKey = (code: string, caller: Caller) => `${code}\u0000${caller.principal.orgId}\u0000${caller.principal.apiKeyId ?? ''}`;
  function keep(key: string, ctx: AccessContext): void {
    kept.delete(key);
    kept.set(key, ctx);
    if (kept.size > KEPT_CONTEXTS) kept.delete(kept.keys().next().value!);
  }
  async function readContext(caller: Caller, code: string): Promise<AccessContext | undefined> {
    const ctx = await repo.accessContext(code, caller.principal.orgId, caller.principal.apiKeyId);
    if (ctx) keep(keptKey(code, caller), ctx);
    return ctx;
  }

  /** Picks the grant: the one named, else the newest active requested grant, else the automatic one. */
  function pickGrant(ctx: AccessContext, grantId: string | undefined): AccessGrant | undefined {
    const usable = (g: AccessGrant) => !g.automatic || ctx.dataset.share_type === 'unconditional';
    if (grantId) return ctx.grants.find((g) => g.id === grantId && usable(g));
    const live = ctx.grants.filter((g) => g.state === 'active' && !g.expired && !g.suspended && usable(g));
    return live.find((g) => !g.automatic) ?? live[0] ?? ctx.grants.find(usable);
  }

  /**
   * Every data request starts here: the dataset, the caller's grant as it is in the database now, the
   * grant's state, IP ranges and the view. Errors say why without revealing any data.
   */
  async function resolve(caller: Caller, code: string, grantId?: string, kind: ResourceKind = 'table'): Promise<ResolvedAccess> {
    // A kept context decides when its access revisions are still current (one small read instead of
    // the whole context); anything else is decided on the context read now.
    const key = keptKey(code, caller);
    const keptCtx = kept.get(key);
    if (keptCtx) {
      const current = repo.accessRevision(keptCtx.scopes);
      current.catch(() => undefined);
      try {
        const access = await resolveOrRefuse(caller, code, grantId, kind, keptCtx);
        if ((await current) === keptCtx.revision) return access;
      } catch {
        // decided again below
      }
      kept.delete(key);
    }
    return resolveNow(caller, code, grantId, kind);
  }

  /** `resolve` on the context as it is in the database now; a refusal is recorded. */
  async function resolveNow(caller: Caller, code: string, grantId?: string, kind: ResourceKind = 'table'): Promise<ResolvedAccess> {
    try {
      return await resolveOrRefuse(caller, code, grantId, kind);
    } catch (error) {
      // Every refusal is recorded with its reason (security operations watch IP ranges and denials).
      if (error instanceof AppError) {
        await record(caller, { action: 'access.denied', result: 'denied', dataset: code, details: { reason: error.code, grant: grantId ?? null } });
      }
      throw error;
    }
  }

  async function resolveOrRefuse(caller: Caller, code: string, grantId: string | undefined, kind: ResourceKind, keptCtx?: AccessContext): Promise<ResolvedAccess> {
    const p = caller.principal;
    let ctx = asOfNow(keptCtx ?? (await readContext(caller, code)));
    // Drafts are visible only to their provider: to everyone else the dataset does not exist.
    if (!ctx || (ctx.dataset.status !== 'published' && ctx.dataset.provider_org_id !== p.orgId)) throw new NotFoundError(DATASET);
    if (ctx.dataset.resource_kind !== kind) {
      const where = READ_AT[ctx.dataset.resource_kind];
      throw new BadRequestError(
        'wrong_resource_kind',
        { zh: `资源 ${code} 是${where.zh}，请使用 ${where.path(code)}`, en: `Resource ${code} is ${where.en}; read it at ${where.path(code)}` },
        { kind: ctx.dataset.resource_kind },
      );
    }
    if (ctx.dataset.share_type === 'none') throw denied('not_shareable', '该数据资源为不予共享', 'This dataset is not shared (不予共享)');
    if (ctx.dataset.status !== 'published') throw denied('not_published', '数据资源尚未发布', 'The dataset is not published');
    if (ctx.dataset.provider_org_id === p.orgId) throw denied('no_grant', '本单位没有该数据资源的共享授权', 'Your organisation has no grant for this dataset');
    let grant = pickGrant(ctx, grantId);
    if (!grant && !grantId && ctx.dataset.share_type === 'unconditional' && !ctx.grants.some((g) => g.automatic)) {
      if (keptCtx) throw new StaleContext();
      await share.automaticGrant(caller, ctx);
      ctx = asOfNow(await readContext(caller, code))!;
      grant = pickGrant(ctx, undefined);
    }
    if (!grant) throw denied('no_grant', '本单位没有该数据资源的共享授权', 'Your organisation has no grant for this dataset');
    if (grant.state === 'revoked') throw denied('grant_revoked', '共享授权已被撤销', 'The grant has been revoked');
    if (grant.expired) throw denied('grant_expired', '共享授权已过期', 'The grant has expired');
    if (grant.suspended) throw denied('grant_suspended', '共享授权已暂停（数据回流暂停）', 'The grant is suspended (return flow paused)');
    if (!ipAllowed(caller.ip ?? '', grant.ip_ranges)) throw denied('ip_not_allowed', '请求来源地址不在授权的 IP 范围内', 'Your address is outside the IP ranges of the grant');
    // Containment by security operations (a suspended grant, a frozen dataset, a suspended key), read
    // with the grants: the statement returns only those on this dataset, its grants and this key.
    const pickedId = grant.id;
    const contained = ctx.containments.some((c) => c.kind !== 'suspend_grant' || c.target_id === pickedId);
    if (contained) {
      throw denied('contained', '该访问已被安全管理员暂停（安全处置中）', 'Access is suspended by the security administrator (incident response)');
    }
    return { ctx, grant, view: viewColumns(ctx.columns, grant.columns) };
  }

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
      await record(caller, { action: 'data.quota_exceeded', result: 'denied', dataset: code, details: { grantId: grant.id, quota: 'requests', limit: grant.requests_per_minute } });
      throw new TooManyRequestsError(Math.max(1, Math.ceil((minute.getTime() + 60_000 - now.getTime()) / 1000)));
    }
    if (overDay) {
      await record(caller, { action: 'data.quota_exceeded', result: 'denied', dataset: code, details: { grantId: grant.id, quota: 'calls_per_day', limit: grant.rows_per_day, ...details } });
      throw rowsQuotaError();
    }
  }

  function rowsQuotaError(): TooManyRequestsError {
    const now = Date.now();
    const next = chinaDayStart(new Date()).getTime() + 86_400_000;
    return new TooManyRequestsError(Math.max(1, Math.ceil((next - now) / 1000)), { zh: '已达到授权的每日行数上限', en: 'The daily row quota of the grant is used up' });
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
  async function open(caller: Caller, code: string, query: RecordsQuery, action: 'data.read' | 'data.export' | 'data.push' = 'data.read', audit: Record<string, unknown> = {}): Promise<RecordStream> {
    const key = keptKey(code, caller);
    const keptCtx = kept.get(key);
    if (keptCtx) {
      // Refused, failed or stale on the kept context: decided again below on the context as it is now.
      const ready = await prepare(caller, code, query, action, keptCtx).catch(() => undefined);
      if (ready) return stream(caller, code, query, action, audit, ready);
      kept.delete(key);
    }
    return stream(caller, code, query, action, audit, (await prepare(caller, code, query, action))!);
  }

  /**
   * The grant, the compiled read and its first chunk's query under way, on a context read now or on
   * a kept one (`keptCtx`). On a kept context nothing is written and nothing counted, and the answer
   * waits for the first chunk's query to confirm, in its own snapshot, that the context's access
   * revisions have not moved (undefined when they have).
   */
  async function prepare(caller: Caller, code: string, query: RecordsQuery, action: 'data.read' | 'data.export' | 'data.push', keptCtx?: AccessContext) {
    const access = keptCtx ? await resolveOrRefuse(caller, code, query.grant, 'table', keptCtx) : await resolveNow(caller, code, query.grant);
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
    const flagged = action === 'data.read' && share.hooks.flaggedRows ? share.hooks.flaggedRows(ctx.dataset.id) : Promise.resolve([]);
    flagged.catch(() => undefined);
    const termKeys = encryptedFilter ? await keysPromise : undefined;
    const terms = termKeys ? blindIndexerOf(termKeys) : undefined;
    const compiled = compileRead(ctx.dataset.relation, access.view, grant.row_filter, { ...(query.select ? { select: query.select } : {}), filter: query.filter, order: query.order }, terms);
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

  async function stream(caller: Caller, code: string, query: RecordsQuery, action: 'data.read' | 'data.export' | 'data.push', audit: Record<string, unknown>, ready: NonNullable<Awaited<ReturnType<typeof prepare>>>): Promise<RecordStream> {
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
    const auditFilter = { grant: redactFilter(grant.row_filter, columnMap), request: isEmptyFilter(query.filter) ? null : redactFilter(query.filter, columnMap) };
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

    return { columns, types: compiled.output.map((c) => c.dataType), datasetId: ctx.dataset.id, grantId: grant.id, chunks: chunks(), flagged, next: () => next, finished: () => finished };
  }

  const service = {
    resolve,
    open,
    /** The grant's quotas, for other data paths under the same grants (telemetry series). */
    countRequest,
    reserveRows,
    rowsQuotaError,
    countCall,

    /** 核验: do rows matching every given value exist in the grant's view? Never returns data. */
    async verify(caller: Caller, code: string, match: Record<string, string>, grantId?: string): Promise<boolean> {
      const access = await resolve(caller, code, grantId);
      const { grant, ctx } = access;
      const columns = new Map(access.view.map((c) => [c.name, c]));
      const entries = Object.entries(match);
      if (entries.length === 0 || entries.length > 10) {
        throw new BadRequestError('invalid_match', { zh: 'match 须包含 1 到 10 个信息项', en: 'match must name 1 to 10 columns' }, { field: 'match' });
      }
      for (const [name] of entries) {
        const column = columns.get(name);
        if (!column) throw unknownColumn(name);
        if (column.mode !== 'verify' && column.mode !== 'clear') {
          throw new BadRequestError('column_not_verifiable', { zh: `信息项 ${name} 未授权用于核验`, en: `Column ${name} is not granted for verification` }, { column: name });
        }
        if (column.encrypted && !column.blindIndex) {
          throw new BadRequestError('column_not_verifiable', { zh: `信息项 ${name} 加密存储且无盲索引，不能核验`, en: `Column ${name} is encrypted without a blind index; it cannot be verified` }, { column: name });
        }
      }
      await countRequest(caller, code, grant, 'verify', grant.requests_per_minute ?? DEFAULT_VERIFY_PER_MINUTE);
      const node: FilterNode = { and: entries.map(([column, value]): Condition => ({ column, op: 'eq', value })) };
      const needKeys = touchesEncrypted(node, columns) || touchesEncrypted(grant.row_filter, columns);
      const keys = needKeys ? await keyring.datasetKeys(ctx.dataset.id) : undefined;
      const terms = keys ? blindIndexerOf(keys) : undefined;
      const params = new Params();
      const rowFilter = compileFilter(grant.row_filter, columns, params, 'provider', terms);
      const matchSql = compileFilter(node, columns, params, 'provider', terms);
      const rows = await db.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${ident(ctx.dataset.relation)} WHERE ${rowFilter.sql} AND ${matchSql.sql}) AS found`,
        params.values,
      );
      const found = rows[0]?.found === true;
      await record(caller, {
        action: 'data.verify',
        result: 'success',
        dataset: ctx.dataset.code,
        details: { columns: entries.map(([name]) => ({ name, mode: 'verify' })), rowCount: 0, grantId: grant.id, grant: grant.id, purpose: grant.purpose, filter: { grant: redactFilter(grant.row_filter, columns) }, matched: found },
      });
      return found;
    },
  };
  return service;
}

export type RecordsService = ReturnType<typeof createRecordsService>;
