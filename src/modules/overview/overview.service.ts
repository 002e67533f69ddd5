/**
 * The 城市大脑 overview and the 工作台's to-do counts: a read model over the platform (counts only,
 * never a record or a value). Usage comes from the audit log's service, classification reviews
 * from the review service, the sharing counts (requests to answer, grants ending) from the sharing
 * service; the other counts are aggregates of overview.repo.ts.
 */
import type { Db } from '../../db/index.ts';
import type { Principal } from '../../http/access.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { ReviewService } from '../classify/review.service.ts';
import { USAGE_ACTIONS } from '../duties/evaluation.service.ts';
import type { ShareService } from '../share/share.service.ts';
import { overviewRepo } from './overview.repo.ts';

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
  db: Db;
  review: Pick<ReviewService, 'list'>;
  audit: Pick<AuditLog, 'usage'>;
  share: Pick<ShareService, 'toDo'>;
}) {
  const repo = overviewRepo(deps.db);

  /**
   * Data responses and rows per China day over the last DAYS days, counted as the usage statistics
   * count them (reads, exports, pushes, gateway calls and verifications), so both pages agree; and
   * the gateway's interface calls, failed ones included.
   */
  async function sharingByDay(): Promise<{ day: string; responses: number; rows: number; calls: number }[]> {
    const to = new Date();
    const from = new Date(to.getTime() - DAYS * 86_400_000);
    const byDay = new Map<string, { day: string; responses: number; rows: number; calls: number }>();
    const dayOf = (day: string) => byDay.get(day) ?? byDay.set(day, { day, responses: 0, rows: 0, calls: 0 }).get(day)!;
    for (const u of await deps.audit.usage({ actions: USAGE_ACTIONS, from, to, datasets: null })) {
      const d = dayOf(u.day);
      d.responses += u.calls;
      d.rows += u.rows;
    }
    for (const g of await repo.gatewayCallsByDay(DAYS)) dayOf(g.day).calls += g.calls;
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
        out.push({ kind: 'objections', count: await repo.openObjections(p.orgId) });
        out.push({ kind: 'grantsEnding', count: await deps.share.toDo.grantsEnding(p.orgId, 'provider', EXPIRING_DAYS) });
        out.push({ kind: 'demandsToAnswer', count: await repo.demandsToAnswer(p.orgId) });
      }
      if (has('secadmin')) {
        out.push({ kind: 'securityReviews', count: await deps.share.toDo.securityReviews() });
        out.push({ kind: 'openAlerts', count: await repo.openAlerts() });
        out.push({ kind: 'returnFlowReviews', count: await repo.returnFlowReviews() });
        out.push({ kind: 'demandsToAssign', count: await repo.demandsToAssign() });
      }
      if (has('consumer') && p.orgId) out.push({ kind: 'expiringGrants', count: await deps.share.toDo.grantsEnding(p.orgId, 'consumer', EXPIRING_DAYS) });
      return out;
    },

    /** Data assets, sharing activity and security events over the last DAYS days: counts only. */
    async summary() {
      const [totals] = await repo.totals();
      const sharing = await sharingByDay();
      return {
        totals: {
          datasets: totals?.datasets ?? 0,
          rows: Number(totals?.rows ?? 0),
          organizations: totals?.organizations ?? 0,
          encryptedColumns: totals?.encrypted_columns ?? 0,
          openDatasets: totals?.open_datasets ?? 0,
          gatewayCalls: sharing.reduce((n, s) => n + s.calls, 0),
        },
        assets: (await repo.assetsByOrgAndGrade()).map((a) => ({ ...a, rows: Number(a.rows) })),
        sharing,
        security: await repo.securityByDay(DAYS),
      };
    },
  };
}

export type OverviewService = ReturnType<typeof createOverviewService>;
