/**
 * The data path (issue 7 §3-7): records, verification and exports read only the view compiled from
 * the caller's grant. Each request checks the grant's state in the database (revocation and expiry
 * hold on every process at once), counts quotas in the database, and records every chunk of rows in
 * the audit log before that chunk leaves the server.
 *
 * The policy is one folder, access/: choosing and checking the grant (grant.ts), compiling it to SQL
 * (compile.ts), streaming under its quotas and audit (stream.ts). This service wires them and runs
 * the verification (核验).
 */
import type { Db } from '../../db/index.ts';
import type { Caller } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { blindIndexerOf } from '../protect/blind-index.ts';
import type { Keyring } from '../protect/keyring.ts';
import { compileVerify, verifyMatch, type OrderSpec } from './access/compile.ts';
import { createGrantResolver } from './access/grant.ts';
import { createRecordStreams, MAX_LIMIT, type RecordsQuery } from './access/stream.ts';
import { filterError, parseFilterParams } from './filter.ts';
import { redactFilter } from './redact.ts';
import { shareRepo } from './share.repo.ts';
import type { ShareHooks, ShareService } from './share.service.ts';

export type { ResolvedAccess } from './access/grant.ts';
export { CHUNK_ROWS, EXPORT_PSEUDONYM_SCAN_ROWS, MAX_LIMIT, PSEUDONYM_SCAN_ROWS, type RecordStream, type RecordsQuery } from './access/stream.ts';

export const DEFAULT_LIMIT = 100;
/** Verification answers per minute per grant when the grant sets no request quota. */
export const DEFAULT_VERIFY_PER_MINUTE = 600;

/** Parses select=, order=, limit=, after=, grant= and the filters of a query string. */
export function parseRecordsQuery(params: URLSearchParams, options: { maxLimit?: number } = {}): RecordsQuery {
  const maxLimit = options.maxLimit ?? MAX_LIMIT;
  const single = (name: string) => {
    const all = params.getAll(name);
    if (all.length > 1) throw filterError(name, '参数重复', 'given more than once');
    return all[0];
  };
  const selectText = single('select');
  const select =
    selectText === undefined
      ? undefined
      : selectText
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
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

export function createRecordsService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'datasetKeys' | 'keysFromRows'>;
  events: EventSink;
  share: Pick<ShareService, 'automaticGrant'> & { hooks: Pick<ShareHooks, 'flaggedRows'> };
}) {
  const { db, keyring, events, share } = deps;
  const repo = shareRepo(db);
  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));
  const grants = createGrantResolver({ repo, automaticGrant: (caller, ctx) => share.automaticGrant(caller, ctx), record });
  const streams = createRecordStreams({ db, repo, keyring, grants, record, ...(share.hooks.flaggedRows ? { flaggedRows: share.hooks.flaggedRows } : {}) });

  return {
    resolve: grants.resolve,
    open: streams.open,
    /** The grant's quotas, for other data paths under the same grants (telemetry series). */
    countRequest: streams.countRequest,
    reserveRows: streams.reserveRows,
    rowsQuotaError: streams.rowsQuotaError,
    countCall: streams.countCall,

    /** 核验: do rows matching every given value exist in the grant's view? Never returns data. */
    async verify(caller: Caller, code: string, match: Record<string, string>, grantId?: string): Promise<boolean> {
      const access = await grants.resolve(caller, code, grantId);
      const { grant, ctx } = access;
      const checked = verifyMatch(access.view, grant.row_filter, match);
      await streams.countRequest(caller, code, grant, 'verify', grant.requests_per_minute ?? DEFAULT_VERIFY_PER_MINUTE);
      const keys = checked.needsTerms ? await keyring.datasetKeys(ctx.dataset.id) : undefined;
      const sql = compileVerify(ctx.dataset.relation, grant.row_filter, checked, keys ? blindIndexerOf(keys) : undefined);
      const rows = await db.query<{ found: boolean }>(sql.text, sql.values);
      const found = rows[0]?.found === true;
      await record(caller, {
        action: 'data.verify',
        result: 'success',
        dataset: ctx.dataset.code,
        details: {
          columns: Object.keys(match).map((name) => ({ name, mode: 'verify' })),
          rowCount: 0,
          grantId: grant.id,
          grant: grant.id,
          purpose: grant.purpose,
          filter: { grant: redactFilter(grant.row_filter, checked.columns) },
          matched: found,
        },
      });
      return found;
    },
  };
}

export type RecordsService = ReturnType<typeof createRecordsService>;
