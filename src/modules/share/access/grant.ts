/**
 * Choosing and checking the grant a data request reads under (issue 14, point 3): the dataset as the
 * caller may see it, the grant picked, its state, its end, its IP ranges and any containment by
 * security operations. The one definition of a grant's end lives here, in JavaScript
 * (`grantExpired`) and in SQL (`GRANT_LIVE_SQL`).
 *
 * The SQL a grant compiles to is in compile.ts; streaming under its quotas and audit in stream.ts.
 * `decide` is pure (its answers on representative contexts are checked in, grant.snapshot.txt);
 * `createGrantResolver` reads the access context, keeps it between requests and records refusals.
 */
import net from 'node:net';
import { AppError, BadRequestError, ForbiddenError, NotFoundError } from '../../../errors.ts';
import type { Caller } from '../../../http/access.ts';
import type { AuditEvent } from '../../audit/events.ts';
import type { ResourceKind } from '../../catalog/catalog.service.ts';
import type { AccessContext, AccessGrant, ShareRepo } from '../share.repo.ts';
import { viewColumns, type ViewColumn } from './compile.ts';

// ---------------------------------------------------------------------------------------------
// The end of a grant

/** Today in China (the date grants end on), as YYYY-MM-DD. */
export function chinaToday(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** A grant ending on `endDate` (inclusive, China time) expires at the next midnight there. */
export function expiryOf(endDate: string): Date {
  return new Date(Date.parse(`${endDate}T00:00:00+08:00`) + 86_400_000);
}

/**
 * The one definition of a grant's end in JavaScript: it has ended once its `expires_at` has come
 * (an instant, as the repository reads it: a Date, or ISO text in an access context); no end, never.
 * The queries that need it in SQL use `GRANT_LIVE_SQL`, the same rule.
 */
export function grantExpired(expiresAt: Date | string | null | undefined, now: Date | number = Date.now()): boolean {
  if (expiresAt === null || expiresAt === undefined) return false;
  return (typeof expiresAt === 'string' ? Date.parse(expiresAt) : expiresAt.getTime()) <= (typeof now === 'number' ? now : now.getTime());
}

/**
 * A grant that has not ended, in SQL: the same rule as `grantExpired`, no end or an end still to
 * come. `g` is the alias of share_grants in the query.
 */
export const GRANT_LIVE_SQL = (g = 'share_grants') => `(${g}.expires_at IS NULL OR ${g}.expires_at > now())`;

// ---------------------------------------------------------------------------------------------
// IP ranges

/** Parses `a.b.c.d/n` or an IPv6 prefix; throws a 400 naming the bad range. */
export function checkCidr(range: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', bits, extra] = range.trim().split('/');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!family || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
    throw new BadRequestError('invalid_ip_range', { zh: `IP 地址段无效：${range}`, en: `Invalid IP range: ${range}` }, { field: 'ipRanges', value: range });
  }
  return { address, prefix, family };
}

/** True when the address is inside one of the ranges (an empty list allows every address). */
export function ipAllowed(ip: string, ranges: readonly string[]): boolean {
  if (ranges.length === 0) return true;
  const list = new net.BlockList();
  for (const r of ranges) {
    const { address, prefix, family } = checkCidr(r);
    list.addSubnet(address, prefix, family);
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const candidate = mapped ?? ip;
  const family = net.isIPv4(candidate) ? 'ipv4' : net.isIPv6(candidate) ? 'ipv6' : undefined;
  return family !== undefined && list.check(candidate, family);
}

// ---------------------------------------------------------------------------------------------
// The decision

/** The grant a request reads under, and its view. */
export interface ResolvedAccess {
  ctx: AccessContext;
  grant: AccessGrant;
  view: ViewColumn[];
}

const DATASET = { zh: '数据资源', en: 'Dataset' };
/** Where each kind of resource is read, for the error of a call on the wrong path. */
const READ_AT: Record<ResourceKind, { zh: string; en: string; path: (code: string) => string }> = {
  table: { zh: '库表数据', en: 'a table', path: (c) => `/api/v1/datasets/${c}/records` },
  telemetry: { zh: '时序数据', en: 'a telemetry set', path: (c) => `/api/v1/series/${c}/points` },
  service: { zh: '接口服务', en: 'an interface (service)', path: (c) => `/api/v1/services/${c}/…` },
};

function denied(code: string, zh: string, en: string): ForbiddenError {
  return new ForbiddenError(code, { zh, en });
}

/** The context as of `now`: a grant past its end is expired, a timed containment past its end is over. */
export function asOfNow<T extends AccessContext | undefined>(ctx: T, now = Date.now()): T {
  if (!ctx) return ctx;
  return {
    ...ctx,
    grants: ctx.grants.map((g) => ({ ...g, expired: grantExpired(g.expires_at, now) })),
    containments: ctx.containments.filter((c) => c.until === null || Date.parse(c.until) > now),
  };
}

/** Picks the grant: the one named, else the newest active requested grant, else the automatic one. */
export function pickGrant(ctx: AccessContext, grantId: string | undefined): AccessGrant | undefined {
  const usable = (g: AccessGrant) => !g.automatic || ctx.dataset.share_type === 'unconditional';
  if (grantId) return ctx.grants.find((g) => g.id === grantId && usable(g));
  const live = ctx.grants.filter((g) => g.state === 'active' && !g.expired && !g.suspended && usable(g));
  return live.find((g) => !g.automatic) ?? live[0] ?? ctx.grants.find(usable);
}

/** Who asks, as the decision needs it. */
export interface Requester {
  orgId: string;
  ip: string | undefined;
}

/**
 * Decides a request on its access context (read with `asOfNow`): the dataset as the caller may see
 * it, the grant picked, its state, end, suspension, IP ranges and containment, in that order, each
 * refusal with its code and a message that reveals no data. Returns the grant; `'make_automatic'`
 * when an unconditional dataset has no automatic grant yet and `mayMakeAutomatic` (the caller makes
 * it, reads the context again and decides once more without).
 */
export function decide(
  ctx: AccessContext | undefined,
  who: Requester,
  code: string,
  grantId: string | undefined,
  kind: ResourceKind,
  mayMakeAutomatic = true,
): AccessGrant | 'make_automatic' {
  // Drafts are visible only to their provider: to everyone else the dataset does not exist.
  if (!ctx || (ctx.dataset.status !== 'published' && ctx.dataset.provider_org_id !== who.orgId)) throw new NotFoundError(DATASET);
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
  if (ctx.dataset.provider_org_id === who.orgId) throw denied('no_grant', '本单位没有该数据资源的共享授权', 'Your organisation has no grant for this dataset');
  const grant = pickGrant(ctx, grantId);
  if (!grant && !grantId && mayMakeAutomatic && ctx.dataset.share_type === 'unconditional' && !ctx.grants.some((g) => g.automatic)) return 'make_automatic';
  if (!grant) throw denied('no_grant', '本单位没有该数据资源的共享授权', 'Your organisation has no grant for this dataset');
  if (grant.state === 'revoked') throw denied('grant_revoked', '共享授权已被撤销', 'The grant has been revoked');
  if (grant.expired) throw denied('grant_expired', '共享授权已过期', 'The grant has expired');
  if (grant.suspended) throw denied('grant_suspended', '共享授权已暂停（数据回流暂停）', 'The grant is suspended (return flow paused)');
  if (!ipAllowed(who.ip ?? '', grant.ip_ranges))
    throw denied('ip_not_allowed', '请求来源地址不在授权的 IP 范围内', 'Your address is outside the IP ranges of the grant');
  // Containment by security operations (a suspended grant, a frozen dataset, a suspended key), read
  // with the grants: the statement returns only those on this dataset, its grants and this key.
  if (ctx.containments.some((c) => c.kind !== 'suspend_grant' || c.target_id === grant.id)) {
    throw denied('contained', '该访问已被安全管理员暂停（安全处置中）', 'Access is suspended by the security administrator (incident response)');
  }
  return grant;
}

// ---------------------------------------------------------------------------------------------
// Resolving a request: the context read or kept, the decision, the refusal recorded

/** Access contexts a process keeps (dataset × organisation × key), least recently used dropped first. */
export const KEPT_CONTEXTS = 2000;

/** A kept access context cannot decide this request alone: it is read again. */
export class StaleContext extends Error {}

export function createGrantResolver(deps: {
  repo: Pick<ShareRepo, 'accessContext' | 'accessRevision'>;
  /** Makes the automatic grant of an unconditional dataset on its first read (share.service). */
  automaticGrant: (caller: Caller, ctx: AccessContext) => Promise<unknown>;
  record: (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => Promise<void>;
}) {
  const { repo, automaticGrant, record } = deps;

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

  /**
   * The grant and view of a request, on a context read now or on a kept one (`keptCtx`). On a kept
   * context nothing is written: a first read that would make the automatic grant is StaleContext.
   */
  async function resolveOrRefuse(
    caller: Caller,
    code: string,
    grantId: string | undefined,
    kind: ResourceKind,
    keptCtx?: AccessContext,
  ): Promise<ResolvedAccess> {
    const who = { orgId: caller.principal.orgId, ip: caller.ip };
    let ctx = asOfNow(keptCtx ?? (await readContext(caller, code)));
    let grant = decide(ctx, who, code, grantId, kind);
    if (grant === 'make_automatic') {
      if (keptCtx) throw new StaleContext();
      await automaticGrant(caller, ctx!);
      ctx = asOfNow(await readContext(caller, code))!;
      grant = decide(ctx, who, code, undefined, kind, false) as AccessGrant;
    }
    return { ctx: ctx!, grant, view: viewColumns(ctx!.columns, grant.columns) };
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

  return {
    /**
     * Every data request starts here: the dataset, the caller's grant as it is in the database now, the
     * grant's state, IP ranges and the view. Errors say why without revealing any data.
     */
    async resolve(caller: Caller, code: string, grantId?: string, kind: ResourceKind = 'table'): Promise<ResolvedAccess> {
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
    },
    resolveNow,
    resolveOrRefuse,
    /** The context this process keeps for the caller's reads of a dataset, if any. */
    kept: (caller: Caller, code: string) => kept.get(keptKey(code, caller)),
    /** Drops a kept context that could not decide (refused, failed or stale). */
    forget: (caller: Caller, code: string) => void kept.delete(keptKey(code, caller)),
  };
}

export type GrantResolver = ReturnType<typeof createGrantResolver>;
