/**
 * `/api/v1/duties/ratings/*`, `/duties/scores*`, `/duties/usage*`: ratings of datasets, the department
 * score of 共享评价 and the usage statistics, with their XLSX exports.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { COMMON_ERRORS, callerOf } from '../../http/kit.ts';
import type { RatingRow } from './duties.repo.ts';
import type { EvaluationService } from './evaluation.service.ts';
import { scoresXlsx, usageXlsx } from './evaluation.xlsx.ts';
import { overallOf, type RatingsService } from './ratings.service.ts';

const errors = COMMON_ERRORS;
const code = z.object({
  code: z
    .string()
    .regex(/^\d{6}-\d{6}$/)
    .describe('资源代码'),
});
const officers = { roles: ['secadmin', 'data_officer'] as const };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const score = z.number().int().min(1).max(5);
const ratingSchema = z.object({
  quality: score.describe('数据质量'),
  timeliness: score.describe('更新及时'),
  usefulness: score.describe('实用程度'),
  comment: z.string().nullable(),
  updatedAt: z.date(),
});
const round2 = (n: number) => Math.round(n * 100) / 100;
const rate = z.number().nullable().describe('0-1；无可评内容为 null');

const ratingsSummary = z.object({
  dataset: z.object({ code: z.string(), name: z.string() }),
  count: z.number().int(),
  means: z.object({ quality: z.number(), timeliness: z.number(), usefulness: z.number(), overall: z.number() }).nullable().describe('各项平均分（1-5）'),
  canRate: z.boolean().describe('调用者可以评价（本单位持有或曾持有该资源的共享授权）'),
  mine: ratingSchema.nullable().describe('调用者自己的评价'),
  reviews: z
    .array(ratingSchema.extend({ orgName: z.string().describe('评价单位') }))
    .nullable()
    .describe('每条评价及意见：仅提供方的数据管理员和平台主管部门可见'),
});

const departmentScore = z.object({
  orgId: z.string(),
  orgName: z.string(),
  requests: z.object({ judged: z.number().int(), onTime: z.number().int(), rate }).describe('共享申请按时答复'),
  objections: z.object({ judged: z.number().int(), onTime: z.number().int(), rate }).describe('数据异议按时处理'),
  catalogue: z
    .object({ entries: z.number().int(), current: z.number().int(), overdue: z.number().int(), unattached: z.number().int(), rate })
    .describe('目录按期更新'),
  ratings: z.object({ count: z.number().int(), mean: z.number().nullable(), rate }).describe('使用方评价'),
  score: z.number().nullable().describe('综合得分 0-100（计分方法见 README）'),
});

const counts = {
  calls: z.number().int().describe('调用次数'),
  rows: z.number().int().describe('数据行数'),
  consumers: z.number().int().describe('不同使用方单位数'),
};
const range = z.object({
  from: z.string().max(10).optional().describe('开始日期 YYYY-MM-DD（北京时间，默认近 30 天）'),
  to: z.string().max(10).optional().describe('结束日期 YYYY-MM-DD（含）'),
});
const usageSchema = z.object({
  from: z.string(),
  to: z.string(),
  totals: z.object(counts),
  byDataset: z.array(z.object({ code: z.string(), name: z.string(), providerOrgId: z.string(), providerName: z.string(), ...counts })),
  byDepartment: z.array(z.object({ orgId: z.string(), orgName: z.string(), datasets: z.number().int(), ...counts })),
  byDay: z.array(z.object({ day: z.string(), ...counts })),
});

const toRating = (r: RatingRow) => ({ quality: r.quality, timeliness: r.timeliness, usefulness: r.usefulness, comment: r.comment, updatedAt: r.updated_at });

function toSummary(s: Awaited<ReturnType<RatingsService['summary']>>): z.infer<typeof ratingsSummary> {
  const m = s.summary;
  return {
    dataset: { code: s.dataset.code, name: s.dataset.name },
    count: m?.count ?? 0,
    means: m ? { quality: round2(m.quality), timeliness: round2(m.timeliness), usefulness: round2(m.usefulness), overall: round2(overallOf(m)) } : null,
    canRate: s.canRate,
    mine: s.mine ? toRating(s.mine) : null,
    reviews: s.reviews?.map((r) => ({ ...toRating(r), orgName: r.org_name })) ?? null,
  };
}

function sendXlsx(reply: FastifyReply, buffer: Buffer, ascii: string, name: string) {
  reply.header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  reply.type(XLSX);
  return reply.send(buffer);
}

export function evaluationRoutes(deps: { ratings: RatingsService; evaluation: EvaluationService; now: () => Date }): FastifyPluginAsyncZod {
  const { ratings, evaluation } = deps;
  return async (app) => {
    app.get(
      '/duties/ratings/:code',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['duties'],
          summary: 'Ratings of a dataset: means, your own, whether you may rate / 共享评价',
          params: code,
          response: { 200: ratingsSummary, ...errors },
        },
      },
      async (request) => toSummary(await ratings.summary(callerOf(request).principal, request.params.code)),
    );

    app.put(
      '/duties/ratings/:code',
      {
        config: { access: { roles: ['consumer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Rate a dataset your organisation holds or held a grant on (replaces your earlier rating) / 评价数据资源',
          params: code,
          body: z.object({ quality: score, timeliness: score, usefulness: score, comment: z.string().max(2000).nullable().optional().describe('评价意见') }),
          response: { 200: ratingsSummary, ...errors },
        },
      },
      async (request) => toSummary(await ratings.rate(callerOf(request), request.params.code, request.body)),
    );

    app.get(
      '/duties/scores',
      {
        config: { access: officers },
        schema: {
          tags: ['duties'],
          summary: 'The 共享评价 score per department (the authority: all; a department: its own) / 部门共享评价',
          response: {
            200: z.object({
              scope: z.enum(['all', 'own']).describe('all：平台主管部门看到全部部门；own：本部门'),
              weights: z.object({ requests: z.number(), objections: z.number(), catalogue: z.number(), ratings: z.number() }).describe('各指标权重'),
              items: z.array(departmentScore),
            }),
            ...errors,
          },
        },
      },
      async (request) => ({ ...(await evaluation.scores(callerOf(request).principal)), weights: evaluation.weights }),
    );

    app.get(
      '/duties/scores.xlsx',
      { config: { access: officers }, schema: { tags: ['duties'], summary: 'The department scores as XLSX / 导出部门共享评价', response: errors } },
      async (request, reply) => {
        const { items } = await evaluation.scores(callerOf(request).principal);
        return sendXlsx(reply, await scoresXlsx(items, deps.now()), 'department-scores.xlsx', '部门共享评价.xlsx');
      },
    );

    app.get(
      '/duties/usage',
      {
        config: { access: officers },
        schema: {
          tags: ['duties'],
          summary: 'Calls, rows and consumers per dataset, department and day (the provider: its own datasets) / 使用统计',
          querystring: range,
          response: { 200: usageSchema, ...errors },
        },
      },
      async (request) => evaluation.usage(callerOf(request).principal, request.query),
    );

    app.get(
      '/duties/usage.xlsx',
      { config: { access: officers }, schema: { tags: ['duties'], summary: 'Usage statistics as XLSX / 导出使用统计', querystring: range, response: errors } },
      async (request, reply) => {
        const usage = await evaluation.usage(callerOf(request).principal, request.query);
        return sendXlsx(reply, await usageXlsx(usage), `usage-${usage.from}-${usage.to}.xlsx`, `使用统计_${usage.from}_${usage.to}.xlsx`);
      },
    );
  };
}
