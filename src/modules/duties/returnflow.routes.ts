/**
 * `/api/v1/duties/return-flows/*`: 数据回流. The provider's officers propose, the security
 * administrator approves or rejects, either pauses and resumes; both see per organisation what was
 * delivered. The cities and counties read through the records API under their grants, as any grant.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { COMMON_ERRORS, callerOf } from '../../http/kit.ts';
import { grantColumnSchema } from '../share/share.routes.ts';
import type { ReturnFlowRow } from './duties.repo.ts';
import type { ReturnFlowService } from './returnflow.service.ts';

const errors = COMMON_ERRORS;
const id = z.object({ id: z.uuid() });
const officers = { roles: ['data_officer', 'secadmin'] as const };

const flowSchema = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  providerOrgId: z.string(),
  providerName: z.string(),
  regionColumn: z.string().describe('区划列'),
  regionKind: z.enum(['code', 'name']).describe('code 区划代码 / name 区划名称'),
  columns: z.array(z.object({ name: z.string(), mode: z.string() })).describe('各信息项的共享方式（提供方确定，安全管理员批准）'),
  purpose: z.string(),
  state: z.enum(['proposed', 'active', 'paused', 'rejected']).describe('待审批 / 回流中 / 已暂停 / 未批准'),
  decisionNote: z.string().nullable(),
  decidedAt: z.date().nullable(),
  pausedAt: z.date().nullable(),
  pauseReason: z.string().nullable(),
  createdAt: z.date(),
});

const delivery = z.object({
  orgId: z.string(),
  orgName: z.string(),
  level: z.enum(['province', 'city', 'county']),
  regionCode: z.string(),
  regionName: z.string().nullable(),
  cityCode: z.string().describe('所属地市的区划代码（按地市分组）'),
  cityName: z.string().nullable(),
  grantId: z.string().nullable(),
  grantedAt: z.date().nullable().describe('授权生成时间'),
  grantState: z.enum(['active', 'suspended', 'revoked', 'expired', 'missing']),
  rowFilter: z.string().nullable().describe('授权的行范围（过滤语言）'),
  responses: z.number().int().describe('该机构读取本数据资源的响应次数（审计日志）'),
  rows: z.number().int().describe('读取的行数（审计日志）'),
  lastReadAt: z.string().nullable(),
});

function toFlow(f: ReturnFlowRow) {
  return {
    id: f.id,
    dataset: { code: f.dataset_code, name: f.dataset_name },
    providerOrgId: f.provider_org_id,
    providerName: f.provider_name,
    regionColumn: f.region_column,
    regionKind: f.region_kind,
    columns: f.columns.map((c) => ({ name: c.name, mode: c.mode })),
    purpose: f.purpose,
    state: f.state,
    decisionNote: f.decision_note,
    decidedAt: f.decided_at,
    pausedAt: f.paused_at,
    pauseReason: f.pause_reason,
    createdAt: f.created_at,
  };
}

export function returnFlowRoutes(deps: { returnFlow: ReturnFlowService }): FastifyPluginAsyncZod {
  const { returnFlow } = deps;
  return async (app) => {
    app.post(
      '/duties/return-flows',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Propose a return flow to the cities and counties / 设置数据回流',
          body: z.object({
            dataset: z.string().min(1).max(64).describe('资源代码'),
            regionColumn: z.string().min(1).max(128).describe('区划列（行政区划代码或名称）'),
            regionKind: z.enum(['code', 'name']).describe('code：GB/T 2260 代码；name：区划名称'),
            columns: z.array(grantColumnSchema).min(1).max(500).describe('各信息项的共享方式'),
            impactAssessment: z.string().max(4000).optional().describe('明文共享 4级信息项时的个人信息保护影响评估说明'),
            purpose: z.string().trim().max(500).optional(),
          }),
          response: { 201: flowSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(toFlow(await returnFlow.propose(callerOf(request), request.body))),
    );

    app.get(
      '/duties/return-flows',
      {
        config: { access: officers },
        schema: {
          tags: ['duties'],
          summary: 'Return flows of my department, or all (secadmin) / 数据回流列表',
          response: { 200: z.object({ items: z.array(flowSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await returnFlow.list(callerOf(request).principal)).map(toFlow) }),
    );

    app.get(
      '/duties/return-flows/:id',
      {
        config: { access: officers },
        schema: {
          tags: ['duties'],
          summary: 'A return flow with what each city and county received and read / 数据回流及各地市交付情况',
          params: id,
          response: { 200: z.object({ flow: flowSchema, deliveries: z.array(delivery) }), ...errors },
        },
      },
      async (request) => {
        const { flow, items } = await returnFlow.deliveries(callerOf(request).principal, request.params.id);
        return { flow: toFlow(flow), deliveries: items };
      },
    );

    app.post(
      '/duties/return-flows/:id/approve',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['duties'],
          summary: 'Approve the column modes; the grants are made / 批准数据回流',
          params: id,
          body: z.object({ note: z.string().max(2000).optional() }),
          response: { 200: flowSchema, ...errors },
        },
      },
      async (request) => toFlow(await returnFlow.approve(callerOf(request), request.params.id, request.body.note)),
    );

    app.post(
      '/duties/return-flows/:id/reject',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['duties'],
          summary: 'Reject with a reason / 不批准数据回流',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: flowSchema, ...errors },
        },
      },
      async (request) => toFlow(await returnFlow.reject(callerOf(request), request.params.id, request.body.reason)),
    );

    app.post(
      '/duties/return-flows/:id/pause',
      {
        config: { access: officers },
        schema: {
          tags: ['duties'],
          summary: 'Pause: every grant of the flow is suspended / 暂停数据回流',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: flowSchema, ...errors },
        },
      },
      async (request) => toFlow(await returnFlow.pause(callerOf(request), request.params.id, true, request.body.reason)),
    );

    app.post(
      '/duties/return-flows/:id/resume',
      {
        config: { access: officers },
        schema: { tags: ['duties'], summary: 'Resume a paused flow / 恢复数据回流', params: id, response: { 200: flowSchema, ...errors } },
      },
      async (request) => toFlow(await returnFlow.pause(callerOf(request), request.params.id, false)),
    );
  };
}
