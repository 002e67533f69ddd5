/**
 * `/api/v1/duties/demands/*`: 供需对接. Government organisations publish and read the list of data
 * needs; the authority assigns; the assigned department answers; the need's organisation accepts or
 * reopens.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { COMMON_ERRORS, callerOf } from '../../http/kit.ts';
import type { DemandService } from './demand.service.ts';
import type { DemandRow } from './duties.repo.ts';

const errors = COMMON_ERRORS;
const id = z.object({ id: z.uuid() });
const government = { roles: ['consumer', 'data_officer', 'secadmin'] as const };
const STATES = ['open', 'assigned', 'answered', 'accepted'] as const;
const KINDS = ['linked', 'registered', 'declined'] as const;

const org = z.object({ id: z.string(), name: z.string() }).nullable();

const demandSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  fields: z.array(z.string()).describe('所需信息项'),
  purpose: z.string(),
  raisedOrg: z.object({ id: z.string(), name: z.string() }),
  suggestedOrg: org.describe('需求方认为持有数据的部门'),
  assignedOrg: org.describe('承办部门'),
  state: z.enum(STATES).describe('待分派 / 待答复 / 已答复 / 已确认'),
  dueAt: z.date().nullable().describe('承办部门答复期限'),
  overdue: z.boolean(),
  escalatedAt: z.date().nullable().describe('逾期未答复，上报主管部门的时间'),
  answer: z
    .object({
      kind: z.enum(KINDS).describe('linked 关联已有资源 / registered 新编目资源 / declined 不予提供'),
      dataset: z.object({ code: z.string(), name: z.string() }).nullable(),
      text: z.string().nullable(),
      at: z.date().nullable(),
    })
    .nullable(),
  reopened: z.number().int().describe('被重新提出的次数'),
  history: z.array(
    z.object({
      step: z.enum(['publish', 'assign', 'answer', 'accept', 'reopen']),
      at: z.string(),
      orgId: z.string(),
      note: z.string().nullable(),
      answer: z.object({ kind: z.enum(KINDS), dataset: z.string().nullable() }).optional(),
    }),
  ),
  createdAt: z.date(),
});

function toDemand(m: DemandRow, now: Date) {
  return {
    id: m.id,
    title: m.title,
    description: m.description,
    fields: m.fields,
    purpose: m.purpose,
    raisedOrg: { id: m.raised_org_id, name: m.raised_org_name },
    suggestedOrg: m.suggested_org_id ? { id: m.suggested_org_id, name: m.suggested_org_name ?? '' } : null,
    assignedOrg: m.assigned_org_id ? { id: m.assigned_org_id, name: m.assigned_org_name ?? '' } : null,
    state: m.state,
    dueAt: m.due_at,
    overdue: m.state === 'assigned' && m.due_at !== null && new Date(m.due_at) <= now,
    escalatedAt: m.escalated_at,
    answer: m.answer_kind
      ? {
          kind: m.answer_kind,
          dataset: m.answer_dataset_code ? { code: m.answer_dataset_code, name: m.answer_dataset_name ?? '' } : null,
          text: m.answer_text,
          at: m.answered_at,
        }
      : null,
    reopened: m.reopened,
    history: m.history.map(({ step, at, orgId, note, answer }) => ({ step, at, orgId, note, ...(answer ? { answer } : {}) })),
    createdAt: m.created_at,
  };
}

export function demandRoutes(deps: { demands: DemandService; now: () => Date }): FastifyPluginAsyncZod {
  const { demands } = deps;
  const show = (m: DemandRow) => toDemand(m, deps.now());
  return async (app) => {
    app.post(
      '/duties/demands',
      {
        config: { access: { roles: ['consumer', 'data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Publish a data need / 发布数据需求',
          body: z.object({
            title: z.string().trim().min(2).max(200).describe('需求名称'),
            description: z.string().trim().min(2).max(8000).describe('需求说明'),
            fields: z.array(z.string().trim().min(1).max(128)).max(200).default([]).describe('所需信息项'),
            purpose: z.string().trim().min(2).max(2000).describe('用途'),
            suggestedOrgId: z.uuid().nullable().optional().describe('认为持有数据的部门'),
          }),
          response: { 201: demandSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(show(await demands.publish(callerOf(request), request.body))),
    );

    app.get(
      '/duties/demands',
      {
        config: { access: government },
        schema: {
          tags: ['duties'],
          summary: 'The list of data needs and answers / 数据需求清单',
          querystring: z.object({ state: z.enum(STATES).optional() }),
          response: { 200: z.object({ items: z.array(demandSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await demands.list(callerOf(request).principal, request.query)).map(show) }),
    );

    app.get(
      '/duties/demands/:id',
      {
        config: { access: government },
        schema: { tags: ['duties'], summary: 'One data need / 数据需求详情', params: id, response: { 200: demandSchema, ...errors } },
      },
      async (request) => show(await demands.get(callerOf(request).principal, request.params.id)),
    );

    app.post(
      '/duties/demands/:id/assign',
      {
        config: { access: { roles: ['data_officer', 'secadmin'] } },
        schema: {
          tags: ['duties'],
          summary: 'The authority assigns a need to a department / 分派数据需求',
          params: id,
          body: z.object({ orgId: z.uuid().describe('承办部门'), note: z.string().trim().max(2000).optional() }),
          response: { 200: demandSchema, ...errors },
        },
      },
      async (request) => show(await demands.assign(callerOf(request), request.params.id, request.body)),
    );

    app.post(
      '/duties/demands/:id/answer',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'The assigned department answers / 答复数据需求',
          params: id,
          body: z.object({
            kind: z.enum(KINDS).describe('linked 关联已有资源 / registered 新编目资源 / declined 不予提供'),
            dataset: z.string().min(1).max(64).optional().describe('资源代码（linked、registered）'),
            text: z.string().trim().max(4000).optional().describe('说明；不予提供时为理由'),
          }),
          response: { 200: demandSchema, ...errors },
        },
      },
      async (request) => show(await demands.answer(callerOf(request), request.params.id, request.body)),
    );

    app.post(
      '/duties/demands/:id/accept',
      {
        config: { access: { roles: ['consumer', 'data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: "The need's organisation accepts the answer / 确认答复",
          params: id,
          body: z.object({ note: z.string().trim().max(2000).optional() }),
          response: { 200: demandSchema, ...errors },
        },
      },
      async (request) =>
        show(await demands.close(callerOf(request), request.params.id, { accept: true, ...(request.body.note ? { reason: request.body.note } : {}) })),
    );

    app.post(
      '/duties/demands/:id/reopen',
      {
        config: { access: { roles: ['consumer', 'data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Reopen: the answer does not meet the need / 重新提出',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: demandSchema, ...errors },
        },
      },
      async (request) => show(await demands.close(callerOf(request), request.params.id, { accept: false, reason: request.body.reason })),
    );
  };
}
