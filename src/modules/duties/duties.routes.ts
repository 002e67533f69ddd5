/**
 * `/api/v1/duties/*`: request clocks and queues, extensions, per-department counts, the working-day
 * calendar and the security administrator's settings of time limits and calendar.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../http/access.ts';
import { COMMON_ERRORS, callerOf, pickLanguage } from '../../http/kit.ts';
import { requestClockSchema } from '../share/clock.ts';

import type { DutiesService } from './duties.service.ts';
import { ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_CELLS, type ObjectionsService, type ObjectionView } from './objections.service.ts';
import { DUTIES_SETTINGS_JSON_SCHEMA, dutiesSettingsSchema } from './duties.settings.ts';

const errors = COMMON_ERRORS;
const id = z.object({ id: z.uuid() });
const participant = { roles: ['consumer', 'data_officer', 'secadmin'] as const };

const queueItem = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  providerName: z.string(),
  consumerName: z.string(),
  state: z.string(),
  createdAt: z.date(),
  clock: requestClockSchema.nullable(),
});

const calendarDay = z.object({ date: z.string(), kind: z.enum(['holiday', 'workday']), name: z.string(), origin: z.enum(['official', 'override']) });

const department = z.object({
  orgId: z.string(),
  orgName: z.string(),
  requests: z.number().int(),
  open: z.number().int(),
  answeredOnTime: z.number().int(),
  answeredLate: z.number().int(),
  overdueOpen: z.number().int(),
  escalated: z.number().int(),
  extended: z.number().int(),
});

const cell = z.object({
  row: z.number().int().positive().describe('行号 _row（数据接口加 rowid=true 可得）'),
  column: z.string().min(1).max(128).describe('信息项'),
  proposed: z.string().max(4000).nullable().describe('认为正确的值（null 表示应为空）'),
});

const attachmentInput = z.object({
  name: z.string().trim().min(1).max(200).describe('文件名'),
  contentType: z.enum(ATTACHMENT_TYPES).describe('文件类型'),
  content: z
    .string()
    .min(1)
    .max(Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4 + 8)
    .describe('文件内容（base64，不超过 2 MB）'),
});

const attachmentSchema = z.object({
  seq: z.number().int().describe('序号（下载：GET /duties/objections/{id}/attachments/{seq}）'),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string().describe('文件的 SHA-256（十六进制）'),
});

const objectionSchema = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  providerOrgId: z.string(),
  raisedOrgId: z.string(),
  cells: z.array(cell),
  evidence: z.string(),
  attachments: z.array(attachmentSchema).describe('证明材料附件'),
  state: z.enum(['open', 'accepted', 'rejected', 'escalated', 'dismissed']).describe('待核实 / 已更正 / 未采纳 / 已提请裁定 / 裁定不支持'),
  dueAt: z.date().describe('提供方答复期限'),
  overdue: z.boolean(),
  answer: z.string().nullable(),
  answeredAt: z.date().nullable(),
  correctionVersion: z.number().nullable().describe('更正所生成的数据版本（只含更正的行）'),
  changes: z
    .array(
      z.object({
        row: z.number(),
        column: z.string(),
        before: z.string().nullable(),
        after: z.string().nullable(),
        encrypted: z.boolean().describe('加密列：更正前后的值保存在数据版本中，此处不复制'),
      }),
    )
    .nullable(),
  escalationReason: z.string().nullable(),
  escalatedAt: z.date().nullable(),
  decisionNote: z.string().nullable(),
  decidedAt: z.date().nullable(),
  createdAt: z.date(),
});

/**
 * An objection as `viewer` sees it. The values before and after a correction are the provider's
 * data: only its data officers see them; the objecting organisation and the authority see which
 * cells changed (the new values reach readers through the records API, under their grants).
 */
function toObjection(o: ObjectionView, now: Date, viewer: Principal) {
  const provider = viewer.orgId === o.provider_org_id && viewer.roles.includes('data_officer');
  return {
    id: o.id,
    dataset: { code: o.dataset_code, name: o.dataset_name },
    providerOrgId: o.provider_org_id,
    raisedOrgId: o.raised_org_id,
    cells: o.cells,
    evidence: o.evidence,
    attachments: o.attachments.map((a) => ({ seq: a.seq, name: a.name, contentType: a.content_type, size: a.size, sha256: a.sha256 })),
    state: o.state,
    dueAt: o.due_at,
    overdue: o.state === 'open' && new Date(o.due_at) <= now,
    answer: o.answer,
    answeredAt: o.answered_at,
    correctionVersion: o.correction_version,
    changes: provider || !o.changes ? o.changes : o.changes.map((c) => ({ ...c, before: null, after: null })),
    escalationReason: o.escalation_reason,
    escalatedAt: o.escalated_at,
    decisionNote: o.decision_note,
    decidedAt: o.decided_at,
    createdAt: o.created_at,
  };
}

const objectionStats = z.object({
  datasetCode: z.string(),
  datasetName: z.string(),
  providerOrgId: z.string(),
  open: z.number(),
  overdue: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  escalated: z.number(),
  dismissed: z.number(),
});

export function dutiesRoutes(deps: { duties: DutiesService; objections: ObjectionsService }): FastifyPluginAsyncZod {
  const { duties, objections } = deps;
  const show = (viewer: Principal, o: ObjectionView) => toObjection(o, duties.now(), viewer);
  return async (app) => {
    // ---- objections and corrections -------------------------------------------------------------

    app.post(
      '/duties/objections',
      {
        config: { access: { roles: ['consumer', 'data_officer'], apiKey: true } },
        schema: {
          tags: ['duties'],
          summary: 'Object to cells of a dataset you read, with the values believed correct / 提出数据异议',
          body: z.object({
            dataset: z.string().min(1).max(64).describe('资源代码'),
            cells: z.array(cell).min(1).max(MAX_CELLS),
            evidence: z.string().trim().min(2).max(8000).describe('依据与说明'),
            attachments: z.array(attachmentInput).max(MAX_ATTACHMENTS).optional().describe('证明材料（至多 3 个文件，每个不超过 2 MB）'),
          }),
          response: { 201: objectionSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(show(callerOf(request).principal, await objections.raise(callerOf(request), request.body))),
    );

    app.get(
      '/duties/objections',
      {
        config: { access: participant },
        schema: {
          tags: ['duties'],
          summary: 'Objections I raised, must answer, or (authority) all / 数据异议列表',
          querystring: z.object({ state: z.enum(['open', 'accepted', 'rejected', 'escalated', 'dismissed']).optional() }),
          response: { 200: z.object({ items: z.array(objectionSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await objections.list(callerOf(request).principal, request.query)).map((o) => show(callerOf(request).principal, o)) }),
    );

    app.get(
      '/duties/objections/stats',
      {
        config: { access: { roles: ['secadmin', 'data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Objections per dataset and department / 数据异议统计',
          response: { 200: z.object({ items: z.array(objectionStats) }), ...errors },
        },
      },
      async (request) => {
        const p = callerOf(request).principal;
        const items = await objections.stats();
        return { items: p.roles.includes('secadmin') ? items : items.filter((i) => i.providerOrgId === p.orgId) };
      },
    );

    app.get(
      '/duties/flagged/:code',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['duties'],
          summary: 'Rows of a dataset under an open objection, with the columns objected to / 数据异议标注',
          params: z.object({ code: z.string().min(1).max(64) }),
          response: {
            200: z.object({
              dataset: z.object({ code: z.string(), name: z.string() }),
              rows: z.array(
                z.object({ row: z.number().int().describe('行号 _row'), columns: z.array(z.string()), since: z.date().describe('首次提出异议的时间') }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => objections.flagged(callerOf(request).principal, request.params.code),
    );

    app.get(
      '/duties/objections/:id',
      {
        config: { access: participant },
        schema: { tags: ['duties'], summary: 'One objection / 数据异议详情', params: id, response: { 200: objectionSchema, ...errors } },
      },
      async (request) => show(callerOf(request).principal, await objections.get(callerOf(request).principal, request.params.id)),
    );

    app.get(
      '/duties/objections/:id/attachments/:seq',
      {
        config: { access: participant },
        schema: {
          tags: ['duties'],
          summary: 'Download an evidence file of an objection (its parties only) / 下载异议证明材料',
          params: z.object({ id: z.uuid(), seq: z.coerce.number().int().min(1).max(MAX_ATTACHMENTS) }),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const file = await objections.attachment(callerOf(request), request.params.id, request.params.seq);
        const ascii = file.name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
        // Always a download, never rendered by the browser as a page of pdx.
        reply.header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`);
        reply.header('x-content-type-options', 'nosniff');
        reply.type(file.contentType);
        return reply.send(file.data as never);
      },
    );

    app.post(
      '/duties/objections/:id/accept',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Accept: apply the correction as a new version of the corrected rows / 核实无误，更正数据',
          params: id,
          body: z.object({
            note: z.string().max(2000).optional(),
            cells: z.array(cell).min(1).max(MAX_CELLS).optional().describe('与异议不同的更正值（默认采用异议中的值）'),
          }),
          response: { 200: objectionSchema, ...errors },
        },
      },
      async (request) => show(callerOf(request).principal, await objections.accept(callerOf(request), request.params.id, request.body)),
    );

    app.post(
      '/duties/objections/:id/reject',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Reject with a reason / 不予采纳',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: objectionSchema, ...errors },
        },
      },
      async (request) => show(callerOf(request).principal, await objections.reject(callerOf(request), request.params.id, request.body.reason)),
    );

    app.post(
      '/duties/objections/:id/escalate',
      {
        config: { access: { roles: ['consumer', 'data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Escalate to the platform authority / 提请主管部门裁定',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: objectionSchema, ...errors },
        },
      },
      async (request) => show(callerOf(request).principal, await objections.escalate(callerOf(request), request.params.id, request.body.reason)),
    );

    app.post(
      '/duties/objections/:id/decide',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['duties'],
          summary: "The authority's decision on an escalated objection / 主管部门裁定",
          params: id,
          body: z.object({ uphold: z.boolean().describe('true：支持异议，退回提供方更正'), note: z.string().trim().min(2).max(2000) }),
          response: { 200: objectionSchema, ...errors },
        },
      },
      async (request) => show(callerOf(request).principal, await objections.decide(callerOf(request), request.params.id, request.body)),
    );

    // ---- time limits on share requests ----------------------------------------------------------

    app.get(
      '/duties/requests',
      {
        config: { access: participant },
        schema: {
          tags: ['duties'],
          summary: 'Open share requests I made, must answer or approve, most urgent first, with their clocks / 待办申请及时限',
          response: { 200: z.object({ items: z.array(queueItem) }), ...errors },
        },
      },
      async (request) => ({
        items: (await duties.queue(callerOf(request).principal)).map(({ request: r, clock }) => ({
          id: r.id,
          dataset: { code: r.dataset_code, name: r.dataset_name },
          providerName: r.provider_name,
          consumerName: r.consumer_name,
          state: r.state,
          createdAt: r.created_at,
          clock,
        })),
      }),
    );

    app.get(
      '/duties/requests/:id/clock',
      {
        config: { access: participant },
        schema: {
          tags: ['duties'],
          summary: "A request's time-limit clock / 申请时限",
          params: id,
          response: { 200: requestClockSchema.nullable(), ...errors },
        },
      },
      async (request) => (await duties.requestClock(callerOf(request).principal, request.params.id)).clock,
    );

    app.post(
      '/duties/requests/:id/extend',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: "The provider's one extension of the answer deadline, with a reason / 申请延期答复",
          params: id,
          body: z.object({
            days: z.number().int().min(1).max(60).describe('延长的工作日数（不超过设置的上限，默认 15）'),
            reason: z.string().trim().min(2).max(2000).describe('延期理由'),
          }),
          response: { 200: requestClockSchema, ...errors },
        },
      },
      async (request) => duties.extend(callerOf(request), request.params.id, request.body),
    );

    app.get(
      '/duties/departments',
      {
        config: { access: { roles: ['secadmin', 'data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: 'Share requests answered on time, late, overdue per provider department / 各部门申请答复情况',
          response: { 200: z.object({ items: z.array(department) }), ...errors },
        },
      },
      async (request) => {
        const p = callerOf(request).principal;
        const items = await duties.departments();
        // A department's officers see their own line; the platform authority sees every department.
        return { items: p.roles.includes('secadmin') ? items : items.filter((d) => d.orgId === p.orgId) };
      },
    );

    app.get(
      '/duties/calendar',
      {
        config: { access: { roles: ['consumer', 'data_officer', 'secadmin', 'sysadmin', 'auditor'] } },
        schema: {
          tags: ['duties'],
          summary: 'Holidays and make-up working days of a year (official table and overrides) / 工作日历',
          querystring: z.object({ year: z.coerce.number().int().min(2000).max(2100) }),
          response: { 200: z.object({ year: z.number(), days: z.array(calendarDay) }), ...errors },
        },
      },
      async (request) => ({ year: request.query.year, days: (await duties.calendar()).year(request.query.year) }),
    );

    app.get(
      '/duties/settings',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: { tags: ['duties'], summary: 'Time limits and calendar overrides / 时限与日历设置', response: { 200: dutiesSettingsSchema, ...errors } },
      },
      async () => duties.settings(),
    );

    app.get(
      '/duties/settings/schema',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['duties'],
          summary: 'JSON Schema of the settings: bounds and defaults of every limit (the console builds its form from it) / 时限与日历设置的字段说明',
          response: { 200: z.record(z.string(), z.unknown()), ...errors },
        },
      },
      async () => DUTIES_SETTINGS_JSON_SCHEMA,
    );

    app.put(
      '/duties/settings',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['duties'],
          summary: 'Change time limits and calendar overrides; a 400 lists every wrong field in details.issues / 修改时限与日历',
          body: z.unknown(),
          response: { 200: dutiesSettingsSchema, ...errors },
        },
      },
      async (request) => duties.updateSettings(callerOf(request), request.body, pickLanguage(request)),
    );
  };
}
