import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/index.ts';
import { callerOf, errorResponses } from '../../http/kit.ts';
import type { Principal } from '../../http/access.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { ReviewService } from '../classify/review.service.ts';
import { USAGE_ACTIONS } from '../duties/evaluation.service.ts';
import { overviewRepo } from './overview.repo.ts';

const DAYS = 30;
/** A grant ending within this many days is listed as expiring on the 工作台. */
export const EXPIRING_DAYS = 30;

export const TODO_KINDS = ['approvals', 'securityReviews', 'openAlerts', 'classifyReviews', 'expiringGrants', 'grantsEnding', 'objections', 'demandsToAnswer', 'demandsToAssign', 'returnFlowReviews'] as const;
type TodoKind = (typeof TODO_KINDS)[number];

/** GET /overview: the 城市大脑 view of data assets, sharing activity and security events. */
export function overviewRoutes(deps: { db: Db; review: Pick<ReviewService, 'list'>; audit: Pick<AuditLog, 'usage'> }): FastifyPluginAsyncZod {
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

  /** The queues of the caller's roles, each with how many items wait in it. */
  async function todo(p: Principal): Promise<{ kind: TodoKind; count: number }[]> {
    const out: { kind: TodoKind; count: number }[] = [];
    const has = (role: Principal['roles'][number]) => p.roles.includes(role);
    if (has('data_officer') && p.orgId) {
      out.push({ kind: 'approvals', count: await repo.approvalsFor(p.orgId) });
      out.push({ kind: 'classifyReviews', count: (await deps.review.list(p)).filter((d) => d.state !== 'confirmed').length });
      out.push({ kind: 'objections', count: await repo.openObjections(p.orgId) });
      out.push({ kind: 'grantsEnding', count: await repo.expiringGrants(p.orgId, 'provider', EXPIRING_DAYS) });
      out.push({ kind: 'demandsToAnswer', count: await repo.demandsToAnswer(p.orgId) });
    }
    if (has('secadmin')) {
      out.push({ kind: 'securityReviews', count: await repo.securityReviews() });
      out.push({ kind: 'openAlerts', count: await repo.openAlerts() });
      out.push({ kind: 'returnFlowReviews', count: await repo.returnFlowReviews() });
      out.push({ kind: 'demandsToAssign', count: await repo.demandsToAssign() });
    }
    if (has('consumer') && p.orgId) out.push({ kind: 'expiringGrants', count: await repo.expiringGrants(p.orgId, 'consumer', EXPIRING_DAYS) });
    return out;
  }

  return async (app) => {
    app.get(
      '/overview/todo',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['overview'],
          summary: "The caller's to-do counts by queue, for the roles it holds / 工作台：我的待办",
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  kind: z
                    .enum(TODO_KINDS)
                    .describe(
                      'approvals 待我审批 / securityReviews 待安全审核 / openAlerts 未处理告警 / classifyReviews 待复核分类 / expiringGrants 我方即将到期的授权 / grantsEnding 本单位给出的即将到期的授权 / objections 待答复异议 / demandsToAnswer 待答复数据需求 / demandsToAssign 待分派数据需求 / returnFlowReviews 待审批数据回流',
                    ),
                  count: z.number().int(),
                }),
              ),
              expiringDays: z.number().int(),
            }),
            ...errorResponses(401),
          },
        },
      },
      async (request) => ({ items: await todo(callerOf(request).principal), expiringDays: EXPIRING_DAYS }),
    );
    app.get(
      '/overview',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['overview'],
          summary: 'Data assets, sharing activity and security events (counts only) / 总览',
          response: {
            200: z.object({
              totals: z.object({ datasets: z.number(), rows: z.number(), organizations: z.number(), encryptedColumns: z.number(), openDatasets: z.number(), gatewayCalls: z.number().describe('近 30 天接口调用次数（网关）') }),
              assets: z.array(z.object({ org: z.string(), grade: z.number().nullable(), datasets: z.number(), rows: z.number() })),
              sharing: z.array(z.object({ day: z.string(), responses: z.number(), rows: z.number(), calls: z.number().describe('接口调用次数（网关）') })),
              security: z.array(z.object({ day: z.string(), kind: z.string(), events: z.number() })),
            }),
            ...errorResponses(401),
          },
        },
      },
      async () => {
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
    );
  };
}
