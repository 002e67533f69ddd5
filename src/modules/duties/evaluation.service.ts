/**
 * 共享评价 and usage statistics (issue 20 §5, §6). The department score: per providing department,
 * share requests answered on time (the request clocks), objections answered on time, catalogue
 * entries current (upkeep), and the consumers' ratings, combined as score.ts documents. The usage
 * statistics: calls, rows and distinct consumer organisations per dataset, department and China day,
 * counted from the audit log's data responses (the actions the secops detectors count).
 *
 * Who sees what: the platform authority (actsForAuthority) every department and dataset; a data
 * officer of another department its own department's line and its own datasets.
 */
import { BadRequestError, ForbiddenError } from '../../errors.ts';
import type { Principal } from '../../http/access.ts';
import type { AuditLog, UsageRow } from '../audit/audit.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { DATA_RESPONSE_ACTIONS } from '../secops/detectors.ts';
import { addDays, chinaDate, chinaMidnight, isIsoDate } from './calendar.ts';
import type { DutiesService } from './duties.service.ts';
import type { DutiesRepo } from './duties.repo.ts';
import { actsForAuthority } from './duties.settings.ts';
import { overallOf, type RatingsService } from './ratings.service.ts';
import { combinedScore, ratingRate, ratio, SCORE_WEIGHTS } from './score.ts';
import type { UpkeepService } from './upkeep.service.ts';

/**
 * The data responses usage counts: those of the secops detectors except the download of an export
 * file (its rows were counted when the export was made), plus verification calls (核验, no rows).
 */
export const USAGE_ACTIONS: readonly string[] = [...DATA_RESPONSE_ACTIONS.filter((a) => a !== 'data.download'), 'data.verify'];
/** The longest range of one usage query, in days. */
export const MAX_USAGE_DAYS = 366;
/** The range when none is given: the last 30 days. */
const DEFAULT_USAGE_DAYS = 30;

export interface EvaluationDeps {
  duties: Pick<DutiesService, 'departments' | 'settings' | 'now'>;
  repo: Pick<DutiesRepo, 'objectionTimeliness'>;
  upkeep: Pick<UpkeepService, 'entries'>;
  ratings: Pick<RatingsService, 'summaries'>;
  identity: Pick<IdentityService, 'listOrgs'>;
  audit: Pick<AuditLog, 'usage'>;
}

export interface DepartmentScore {
  orgId: string;
  orgName: string;
  requests: { judged: number; onTime: number; rate: number | null };
  objections: { judged: number; onTime: number; rate: number | null };
  catalogue: { entries: number; current: number; overdue: number; unattached: number; rate: number | null };
  ratings: { count: number; mean: number | null; rate: number | null };
  score: number | null;
}

interface Counts {
  calls: number;
  rows: number;
  consumers: number;
}

/** Use of one grant since it was made: calls, rows returned and the last response. */
export interface GrantUsage {
  calls: number;
  rows: number;
  lastUsedAt: Date | null;
}

export interface Usage {
  from: string;
  to: string;
  totals: Counts;
  byDataset: (Counts & { code: string; name: string; providerOrgId: string; providerName: string })[];
  byDepartment: (Counts & { orgId: string; orgName: string; datasets: number })[];
  byDay: (Counts & { day: string })[];
}

/** Adds usage rows up, counting each consumer organisation once. */
function tally(rows: UsageRow[]): Counts {
  const consumers = new Set(rows.flatMap((r) => (r.orgId ? [r.orgId] : [])));
  return { calls: rows.reduce((n, r) => n + r.calls, 0), rows: rows.reduce((n, r) => n + r.rows, 0), consumers: consumers.size };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

const byCallsThenName =
  <T extends Counts>(name: (x: T) => string) =>
  (a: T, b: T) =>
    b.calls - a.calls || b.rows - a.rows || name(a).localeCompare(name(b), 'zh');

export function createEvaluationService(deps: EvaluationDeps) {
  const { duties, repo, upkeep, ratings, identity, audit } = deps;

  /** All departments for the authority; a data officer's own; nothing for anyone else. */
  async function scopeOf(p: Principal): Promise<{ all: true } | { orgId: string }> {
    if (actsForAuthority(await duties.settings(), p)) return { all: true };
    if (p.roles.includes('data_officer')) return { orgId: p.orgId };
    throw new ForbiddenError();
  }

  /** The date range of a usage query (China days, both included), checked and defaulted. */
  function rangeOf(input: { from?: string; to?: string }): { from: string; to: string } {
    for (const field of ['from', 'to'] as const) {
      const v = input[field];
      if (v !== undefined && !isIsoDate(v))
        throw new BadRequestError('invalid_date', { zh: `${field} 不是有效日期（YYYY-MM-DD）`, en: `${field} is not a valid date (YYYY-MM-DD)` }, { field });
    }
    const to = input.to ?? chinaDate(duties.now());
    const from = input.from ?? addDays(to, 1 - DEFAULT_USAGE_DAYS);
    if (from > to) throw new BadRequestError('invalid_range', { zh: '开始日期晚于结束日期', en: 'from is after to' }, { field: 'from' });
    if (addDays(from, MAX_USAGE_DAYS) <= to) {
      throw new BadRequestError(
        'range_too_long',
        { zh: `统计区间不能超过 ${MAX_USAGE_DAYS} 天`, en: `The range is at most ${MAX_USAGE_DAYS} days` },
        { field: 'from', max: MAX_USAGE_DAYS },
      );
    }
    return { from, to };
  }

  return {
    weights: SCORE_WEIGHTS,

    /** The score of each department the caller may see, best first (departments without a score last). */
    async scores(p: Principal, at = duties.now()): Promise<{ scope: 'all' | 'own'; items: DepartmentScore[] }> {
      const scope = await scopeOf(p);
      const [requests, objections, entries, rated, orgs] = await Promise.all([
        duties.departments(at),
        repo.objectionTimeliness(at),
        upkeep.entries(at),
        ratings.summaries(),
        identity.listOrgs(),
      ]);
      const names = new Map(orgs.map((o) => [o.id, o.name]));
      const rows = new Map<string, DepartmentScore>();
      const row = (orgId: string): DepartmentScore => {
        let r = rows.get(orgId);
        if (!r) {
          r = {
            orgId,
            orgName: names.get(orgId) ?? '',
            requests: { judged: 0, onTime: 0, rate: null },
            objections: { judged: 0, onTime: 0, rate: null },
            catalogue: { entries: 0, current: 0, overdue: 0, unattached: 0, rate: null },
            ratings: { count: 0, mean: null, rate: null },
            score: null,
          };
          rows.set(orgId, r);
        }
        return r;
      };
      for (const d of requests) row(d.orgId).requests = { judged: d.answeredOnTime + d.answeredLate + d.overdueOpen, onTime: d.answeredOnTime, rate: null };
      for (const o of objections) row(o.provider_org_id).objections = { judged: o.on_time + o.late, onTime: o.on_time, rate: null };
      const providerOf = new Map<string, string>();
      for (const { facts, upkeep: u } of entries) {
        providerOf.set(facts.id, facts.provider_org_id);
        if (facts.status !== 'published') continue;
        const c = row(facts.provider_org_id).catalogue;
        if (u.state === 'current') c.current++;
        if (u.state === 'overdue') c.overdue++;
        if (u.state === 'unattached') c.unattached++;
        if (u.state !== 'untracked') c.entries++;
      }
      const ratingSums = new Map<string, { count: number; sum: number }>();
      for (const s of rated) {
        const orgId = providerOf.get(s.dataset_id);
        if (!orgId) continue;
        const t = ratingSums.get(orgId) ?? { count: 0, sum: 0 };
        ratingSums.set(orgId, { count: t.count + s.count, sum: t.sum + s.count * overallOf(s) });
      }
      for (const [orgId, t] of ratingSums) row(orgId).ratings = { count: t.count, mean: t.sum / t.count, rate: null };
      for (const r of rows.values()) {
        r.requests.rate = ratio(r.requests.onTime, r.requests.judged);
        r.objections.rate = ratio(r.objections.onTime, r.objections.judged);
        r.catalogue.rate = ratio(r.catalogue.current, r.catalogue.entries);
        r.ratings.rate = ratingRate(r.ratings.mean);
        r.score = combinedScore({ requests: r.requests.rate, objections: r.objections.rate, catalogue: r.catalogue.rate, ratings: r.ratings.rate });
      }
      const items = [...rows.values()]
        .filter((r) => 'all' in scope || r.orgId === scope.orgId)
        .sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.orgName.localeCompare(b.orgName, 'zh'));
      return { scope: 'all' in scope ? 'all' : 'own', items };
    },

    /**
     * Use of each grant since it was made, from the same data responses as the usage statistics (the
     * caller has already checked that these grants may be seen). Grants never used count zero.
     */
    async grantUsage(grants: readonly { id: string; dataset_code: string; created_at: Date }[]): Promise<Map<string, GrantUsage>> {
      const out = new Map<string, GrantUsage>(grants.map((g) => [g.id, { calls: 0, rows: 0, lastUsedAt: null }]));
      if (grants.length === 0) return out;
      const from = new Date(Math.min(...grants.map((g) => new Date(g.created_at).getTime())));
      const to = new Date(Math.max(Date.now(), duties.now().getTime()) + 60_000);
      const rows = await audit.usage({
        actions: USAGE_ACTIONS,
        from,
        to,
        datasets: [...new Set(grants.map((g) => g.dataset_code))],
        grants: grants.map((g) => g.id),
      });
      for (const [grantId, rs] of groupBy(
        rows.filter((r) => r.grantId && out.has(r.grantId)),
        (r) => r.grantId!,
      )) {
        const { calls, rows: total } = tally(rs);
        out.set(grantId, { calls, rows: total, lastUsedAt: new Date(Math.max(...rs.map((r) => r.lastAt.getTime()))) });
      }
      return out;
    },

    /** Usage of the datasets the caller may see, between two China days (default: the last 30). */
    async usage(p: Principal, input: { from?: string; to?: string }): Promise<Usage> {
      const scope = await scopeOf(p);
      const { from, to } = rangeOf(input);
      const datasets = (await upkeep.entries()).map((e) => e.facts).filter((f) => 'all' in scope || f.provider_org_id === scope.orgId);
      const codes = 'all' in scope ? null : datasets.map((d) => d.code);
      const rows =
        codes?.length === 0 ? [] : await audit.usage({ actions: USAGE_ACTIONS, from: chinaMidnight(from), to: chinaMidnight(addDays(to, 1)), datasets: codes });
      const known = new Map(datasets.map((d) => [d.code, d]));
      const counted = rows.filter((r) => known.has(r.dataset));
      const byDataset = [...groupBy(counted, (r) => r.dataset)].map(([code, rs]) => {
        const d = known.get(code)!;
        return { code, name: d.name, providerOrgId: d.provider_org_id, providerName: d.provider_name, ...tally(rs) };
      });
      const byDepartment = [...groupBy(counted, (r) => known.get(r.dataset)!.provider_org_id)].map(([orgId, rs]) => ({
        orgId,
        orgName: known.get(rs[0]!.dataset)!.provider_name,
        datasets: new Set(rs.map((r) => r.dataset)).size,
        ...tally(rs),
      }));
      const byDay = [...groupBy(counted, (r) => r.day)].map(([day, rs]) => ({ day, ...tally(rs) })).sort((a, b) => a.day.localeCompare(b.day));
      return {
        from,
        to,
        totals: tally(counted),
        byDataset: byDataset.sort(byCallsThenName((x) => x.name)),
        byDepartment: byDepartment.sort(byCallsThenName((x) => x.orgName)),
        byDay,
      };
    },
  };
}

export type EvaluationService = ReturnType<typeof createEvaluationService>;
