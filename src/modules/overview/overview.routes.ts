import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, errorResponses } from '../../http/kit.ts';
import { EXPIRING_DAYS, TODO_KINDS, type OverviewService } from './overview.service.ts';

/** GET /overview: the 城市大脑 view of data assets, sharing activity and security events; GET /overview/todo: the 工作台's queues. */
export function overviewRoutes(deps: { overview: OverviewService }): FastifyPluginAsyncZod {
  const { overview } = deps;
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
      async (request) => ({ items: await overview.todo(callerOf(request).principal), expiringDays: EXPIRING_DAYS }),
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
              totals: z.object({
                datasets: z.number(),
                rows: z.number(),
                organizations: z.number(),
                encryptedColumns: z.number(),
                openDatasets: z.number(),
                gatewayCalls: z.number().describe('近 30 天接口调用次数（网关）'),
              }),
              assets: z.array(z.object({ org: z.string(), grade: z.number().nullable(), datasets: z.number(), rows: z.number() })),
              sharing: z.array(z.object({ day: z.string(), responses: z.number(), rows: z.number(), calls: z.number().describe('接口调用次数（网关）') })),
              security: z.array(z.object({ day: z.string(), kind: z.string(), events: z.number() })),
            }),
            ...errorResponses(401),
          },
        },
      },
      async () => overview.summary(),
    );
  };
}
