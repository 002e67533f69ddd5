/**
 * Call statistics of interfaces (issue 17 point 6): calls, errors and latency p50/p95 per service,
 * operation, consumer organisation and China day, read from the message log the gateway already
 * writes (one `gateway.call` audit record per call, success or failure) — no second record.
 *
 * Who sees what: `provided` — a data officer, the calls to the own department's services;
 * `consumed` — a consumer (or data officer), the own organisation's calls; `all` — the platform
 * authority (security administrator, or a data officer of the authority's organisation).
 */
import { BadRequestError, ForbiddenError } from '../../errors.ts';
import type { Principal } from '../../http/access.ts';
import type { AuditLog, CallStatsRow } from '../audit/audit.service.ts';
import { addDays, chinaDate, chinaMidnight, isIsoDate } from '../duties/calendar.ts';
import type { IdentityService } from '../identity/identity.service.ts';

export const STATS_VIEWS = ['provided', 'consumed', 'all'] as const;
export type StatsView = (typeof STATS_VIEWS)[number];
export const DEFAULT_STATS_DAYS = 30;
export const MAX_STATS_DAYS = 366;

export interface StatsQuery {
  view?: StatsView;
  from?: string;
  to?: string;
  service?: string;
  operation?: string;
  consumerOrgId?: string;
}

export interface Figures {
  calls: number;
  errors: number;
  p50: number | null;
  p95: number | null;
}

export interface CallStats {
  view: StatsView;
  views: StatsView[];
  from: string;
  to: string;
  totals: Figures;
  byDay: ({ day: string } & Figures)[];
  items: ({
    service: string;
    serviceName: string;
    operation: string;
    consumerOrgId: string | null;
    consumerOrgName: string;
    days: ({ day: string } & Figures)[];
  } & Figures)[];
}

const figures = (r: CallStatsRow | undefined): Figures => ({ calls: r?.calls ?? 0, errors: r?.errors ?? 0, p50: r?.p50 ?? null, p95: r?.p95 ?? null });

export function createCallStats(deps: {
  audit: Pick<AuditLog, 'callStats'>;
  identity: Pick<IdentityService, 'listOrgs'>;
  /** Whether the caller acts for the platform authority (default: the security administrator). */
  isAuthority?: (p: Principal) => Promise<boolean>;
  /** Every registered service with its provider (the gateway's list, unfiltered). */
  services: () => Promise<{ code: string; name: string; providerOrgId: string }[]>;
  now?: () => Date;
}) {
  const isAuthority = deps.isAuthority ?? (async (p: Principal) => p.roles.includes('secadmin'));

  async function viewsOf(p: Principal): Promise<StatsView[]> {
    const out: StatsView[] = [];
    if (p.roles.includes('data_officer')) out.push('provided');
    if (p.roles.includes('consumer') || p.roles.includes('data_officer')) out.push('consumed');
    if (await isAuthority(p)) out.push('all');
    return out;
  }

  function rangeOf(input: StatsQuery): { from: string; to: string } {
    for (const field of ['from', 'to'] as const) {
      const v = input[field];
      if (v !== undefined && !isIsoDate(v))
        throw new BadRequestError('invalid_date', { zh: `${field} 不是有效日期（YYYY-MM-DD）`, en: `${field} is not a valid date (YYYY-MM-DD)` }, { field });
    }
    const to = input.to ?? chinaDate((deps.now ?? (() => new Date()))());
    const from = input.from ?? addDays(to, 1 - DEFAULT_STATS_DAYS);
    if (from > to) throw new BadRequestError('invalid_range', { zh: '开始日期晚于结束日期', en: 'from is after to' }, { field: 'from' });
    if (addDays(from, MAX_STATS_DAYS) <= to) {
      throw new BadRequestError(
        'range_too_long',
        { zh: `统计区间不能超过 ${MAX_STATS_DAYS} 天`, en: `The range is at most ${MAX_STATS_DAYS} days` },
        { field: 'from', max: MAX_STATS_DAYS },
      );
    }
    return { from, to };
  }

  return {
    async stats(p: Principal, input: StatsQuery): Promise<CallStats> {
      const views = await viewsOf(p);
      const view = input.view ?? (views.includes('all') ? 'all' : views[0]);
      if (!view || !views.includes(view)) {
        throw new ForbiddenError(
          'stats_view_forbidden',
          { zh: '无权查看该范围的接口调用统计', en: 'You may not see the call statistics of this scope' },
          { view: input.view ?? null },
        );
      }
      const { from, to } = rangeOf(input);
      const services = await deps.services();
      const inScope = view === 'provided' ? services.filter((s) => s.providerOrgId === p.orgId) : services;
      let codes: string[] | null = view === 'provided' ? inScope.map((s) => s.code) : null;
      if (input.service !== undefined) codes = (codes ?? services.map((s) => s.code)).filter((c) => c === input.service);
      const orgId = view === 'consumed' ? p.orgId : (input.consumerOrgId ?? null);
      if (view === 'consumed' && input.consumerOrgId !== undefined && input.consumerOrgId !== p.orgId) codes = [];
      const rows =
        codes?.length === 0
          ? []
          : await deps.audit.callStats({
              from: chinaMidnight(from),
              to: chinaMidnight(addDays(to, 1)),
              datasets: codes,
              orgId,
              operation: input.operation ?? null,
            });
      const names = new Map(services.map((s) => [s.code, s.name]));
      const orgs = new Map((await deps.identity.listOrgs()).map((o) => [o.id, o.name]));
      const key = (r: CallStatsRow) => `${r.dataset}\u0000${r.operation}\u0000${r.orgId ?? ''}`;
      const cells = new Map<string, ({ day: string } & Figures)[]>();
      for (const r of rows.filter((x) => x.level === 'cell')) cells.set(key(r), [...(cells.get(key(r)) ?? []), { day: r.day!, ...figures(r) }]);
      return {
        view,
        views,
        from,
        to,
        totals: figures(rows.find((r) => r.level === 'total')),
        byDay: rows.filter((r) => r.level === 'day').map((r) => ({ day: r.day!, ...figures(r) })),
        items: rows
          .filter((r) => r.level === 'group')
          .map((r) => ({
            service: r.dataset!,
            serviceName: names.get(r.dataset!) ?? r.dataset!,
            operation: r.operation ?? '',
            consumerOrgId: r.orgId,
            consumerOrgName: (r.orgId && orgs.get(r.orgId)) ?? '',
            ...figures(r),
            days: cells.get(key(r)) ?? [],
          }))
          .sort((a, b) => b.calls - a.calls || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation)),
      };
    },
  };
}

export type CallStatsService = ReturnType<typeof createCallStats>;
