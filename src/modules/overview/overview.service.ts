/**
 * The 城市大脑 overview and the 工作台's to-do counts: a read model over the platform (counts only,
 * never a record or a value), each count asked of the module that keeps it (catalogue, identity,
 * audit log, sharing, classification review, security operations, duties); no SQL of its own.
 */
import type { Principal } from '../../http/access.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { ReviewService } from '../classify/review.service.ts';
import { USAGE_ACTIONS } from '../duties/evaluation.service.ts';
import type { DutiesToDo } from '../duties/duties.module.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { SecopsService } from '../secops/secops.service.ts';
import type { ShareService } from '../share/share.service.ts';

const DAYS = 30;
/** A grant ending within this many days is listed as expiring on the 工作台. */
export const EXPIRING_DAYS = 30;

export const TODO_KINDS = [
  'approvals',
  'securityReviews',
  'openAlerts',
  'classifyReviews',
  'expiringGrants',
  'grantsEnding',
  'objections',
  'demandsToAnswer',
  'demandsToAssign',
  'returnFlowReviews',
] as const;
export type TodoKind = (typeof TODO_KINDS)[number];

export function createOverviewService(deps: {
  catalog: Pick<CatalogService, 'assets'>;
  identity: Pick<IdentityService, 'listOrgs' | 'names'>;
  review: Pick<ReviewService, 'list'>;
  audit: Pick<AuditLog, 'usage' | 'dailyActivity'>;
  share: Pick<ShareService, 'toDo'>;
  secops: Pick<SecopsService, 'openAlertCount'>;
  duties: DutiesToDo;
}) {
  /**
   * Data responses and rows per China day over the last DAYS days, counted as the usage statistics
   * count them (reads, exports, pushes, gateway calls and verifications), so both pages agree; and
   * the gateway's interface calls, failed ones included.
   */
  async function sharingByDay(gatewayCalls: { day: string; calls: number }[]): Promise<{ day: string; responses: number; rows: number; calls: number }[]> {
    const to = new Date();
    const from = new Date(to.getTime() - DAYS * 86_400_000);
    const byDay = new Map<string, { day: string; responses: number; rows: number; calls: number }>();
    const dayOf = (day: string) => byDay.get(day) ?? byDay.set(day, { day, responses: 0, rows: 0, calls: 0 }).get(day)!;
    for (const u of await deps.audit.usage({ actions: USAGE_ACTIONS, from, to, datasets: null })) {
      const d = dayOf(u.day);
      d.responses += u.calls;
      d.rows += u.rows;
    }
    for (const g of gatewayCalls) dayOf(g.day).calls += g.calls;
    return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  }

  return {
    /** The queues of the caller's roles, each with how many items wait in it. */
    async todo(p: Principal): Promise<{ kind: TodoKind; count: number }[]> {
      const out: { kind: TodoKind; count: number }[] = [];
      const has = (role: Principal['roles'][number]) => p.roles.includes(role);
      if (has('data_officer') && p.orgId) {
        out.push({ kind: 'approvals', count: await deps.share.toDo.approvals(p.orgId) });
        out.push({ kind: 'classifyReviews', count: (await deps.review.list(p)).filter((d) => d.state !== 'confirmed').length });
        out.push({ kind: 'objections', count: await deps.duties.openObjections(p.orgId) });
        out.push({ kind: 'grantsEnding', count: await deps.share.toDo.grantsEnding(p.orgId, 'provider', EXPIRING_DAYS) });
        out.push({ kind: 'demandsToAnswer', count: await deps.duties.demandsToAnswer(p.orgId) });
      }
      if (has('secadmin')) {
        out.push({ kind: 'securityReviews', count: await deps.share.toDo.securityReviews() });
        out.push({ kind: 'openAlerts', count: await deps.secops.openAlertCount() });
        out.push({ kind: 'returnFlowReviews', count: await deps.duties.returnFlowReviews() });
        out.push({ kind: 'demandsToAssign', count: await deps.duties.demandsToAssign() });
      }
      if (has('consumer') && p.orgId) out.push({ kind: 'expiringGrants', count: await deps.share.toDo.grantsEnding(p.orgId, 'consumer', EXPIRING_DAYS) });
      return out;
    },

    /** Data assets, sharing activity and security events over the last DAYS days: counts only. */
    async summary() {
      const [assets, orgs, activity] = await Promise.all([deps.catalog.assets(), deps.identity.listOrgs(), deps.audit.dailyActivity(DAYS)]);
      const sharing = await sharingByDay(activity.gatewayCalls);
      const names = await deps.identity.names({ orgs: assets.byProviderAndGrade.map((a) => a.providerOrgId) });
      const orgName = (id: string) => names.orgs.get(id)?.name ?? id;
      return {
        totals: {
          ...assets.totals,
          organizations: orgs.length,
          gatewayCalls: sharing.reduce((n, s) => n + s.calls, 0),
        },
        assets: assets.byProviderAndGrade
          .map((a) => ({ org: orgName(a.providerOrgId), grade: a.grade, datasets: a.datasets, rows: a.rows }))
          .sort((a, b) => a.org.localeCompare(b.org, 'zh-CN') || (a.grade ?? 9) - (b.grade ?? 9)),
        sharing,
        security: activity.security,
      };
    },
  };
}

export type OverviewService = ReturnType<typeof createOverviewService>;
