/**
 * The officers' side of opening (`/api/v1/open/manage/…`, console sessions): releases with their plan,
 * check, proposals, publication and withdrawal; applications to decide; comments, data requests and
 * showcase entries to moderate; and the thresholds (changed by the security administrator only).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../../http/kit.ts';
import { HIERARCHY_KINDS, levelNamesOf } from './hierarchies.ts';
import type { ReleaseRow } from './open.repo.ts';
import { toComment, toDemand, toShowcase } from './open.routes.ts';
import {
  applicationSchema,
  commentSchema,
  date,
  demandSchema,
  errors,
  idParam,
  message,
  planColumnSchema,
  reportSchema,
  showcaseSchema,
  toApplication,
} from './open.schemas.ts';
import type { OpenService } from './open.service.ts';
import { openSettingsSchema } from './open.settings.ts';

const officer = { roles: ['data_officer'] } as const;
const overseer = { roles: ['data_officer', 'secadmin'] } as const;

const releaseSchema = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  number: z.number(),
  version: z.number(),
  state: z.enum(['draft', 'published', 'withdrawn', 'superseded']),
  openType: z.enum(['unconditional', 'conditional']),
  provider: z.object({ id: z.string(), name: z.string() }),
  columns: z.array(planColumnSchema),
  thresholds: z.object({ k: z.number(), l: z.number(), maxSuppression: z.number() }),
  passed: z.boolean(),
  report: reportSchema.nullable(),
  rowCount: z.number().nullable(),
  licence: z.string(),
  notes: z.string(),
  createdAt: z.date(),
  checkedAt: z.date().nullable(),
  publishedAt: z.date().nullable(),
  withdrawnAt: z.date().nullable(),
  withdrawReason: z.string().nullable(),
});

function toRelease(r: ReleaseRow) {
  return {
    id: r.id,
    dataset: { code: r.dataset_code, name: r.meta.name },
    number: r.number,
    version: r.version,
    state: r.state,
    openType: r.open_type,
    provider: { id: r.provider_org_id, name: r.meta.providerName },
    columns: r.columns,
    thresholds: r.thresholds,
    passed: r.passed,
    report: r.report as z.infer<typeof reportSchema> | null,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    licence: r.licence,
    notes: r.notes,
    createdAt: r.created_at,
    checkedAt: r.checked_at,
    publishedAt: r.published_at,
    withdrawnAt: r.withdrawn_at,
    withdrawReason: r.withdraw_reason,
  };
}

export function openManageRoutes(deps: { open: OpenService }): FastifyPluginAsyncZod {
  const { releases, participation } = deps.open;
  return async (app) => {
    app.get(
      '/open/manage/candidates',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Datasets of my department that may be opened / 可开放的数据资源',
          response: {
            200: z.object({
              items: z.array(z.object({ code: z.string(), name: z.string(), openType: z.string(), rows: z.number(), version: z.number(), status: z.string() })),
            }),
            ...errors,
          },
        },
      },
      async (request) => ({
        items: (await releases.candidates(callerOf(request).principal)).map((d) => ({
          code: d.code,
          name: d.name,
          openType: d.open_type,
          rows: Number(d.row_count),
          version: d.current_version,
          status: d.status,
        })),
      }),
    );

    app.get(
      '/open/manage/releases',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'Releases of my department (secadmin: all) / 开放发布列表',
          response: { 200: z.object({ items: z.array(releaseSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await releases.list(callerOf(request).principal)).map(toRelease) }),
    );

    app.post(
      '/open/manage/releases',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Start a release of a dataset with the plan proposed from its classification / 新建开放发布',
          body: z.object({ dataset: z.string().min(1).max(64), licence: z.string().trim().min(1).max(200).optional(), notes: z.string().max(4000).optional() }),
          response: { 201: releaseSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(toRelease(await releases.create(callerOf(request), request.body.dataset, request.body))),
    );

    app.get(
      '/open/manage/releases/:id',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'A release with its columns, their grades and what may be done with them / 开放发布详情',
          params: idParam,
          response: {
            200: releaseSchema.extend({
              columnInfo: z.array(
                z.object({
                  name: z.string(),
                  grade: z.number(),
                  type: z.string().nullable(),
                  dataType: z.string(),
                  lock: message.nullable(),
                  hierarchy: z.enum(HIERARCHY_KINDS),
                }),
              ),
              hierarchies: z.record(z.string(), z.array(message)),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const p = callerOf(request).principal;
        const r = await releases.get(p, request.params.id);
        return {
          ...toRelease(r),
          columnInfo: await releases.columnsOf(p, r),
          hierarchies: Object.fromEntries(HIERARCHY_KINDS.map((k) => [k, levelNamesOf(k)])),
        };
      },
    );

    app.put(
      '/open/manage/releases/:id',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Change the plan of a draft: role, hierarchy and level of each column / 修改开放方案',
          params: idParam,
          body: z.object({
            columns: z.array(planColumnSchema).max(500).optional(),
            licence: z.string().trim().min(1).max(200).optional(),
            notes: z.string().max(4000).optional(),
          }),
          response: { 200: releaseSchema, ...errors },
        },
      },
      async (request) => toRelease(await releases.update(callerOf(request), request.params.id, request.body as Parameters<typeof releases.update>[2])),
    );

    app.post(
      '/open/manage/releases/:id/check',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Run the de-identification check; proposals when it misses / 去标识化检查',
          params: idParam,
          response: { 200: releaseSchema, ...errors },
        },
      },
      async (request) => toRelease((await releases.check(callerOf(request), request.params.id)).release),
    );

    app.post(
      '/open/manage/releases/:id/publish',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Publish (refused unless the check passes) / 发布',
          params: idParam,
          response: { 200: releaseSchema, ...errors },
        },
      },
      async (request) => toRelease(await releases.publish(callerOf(request), request.params.id)),
    );

    app.post(
      '/open/manage/releases/:id/withdraw',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'Withdraw a published release (at once, everywhere) / 撤回',
          params: idParam,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: releaseSchema, ...errors },
        },
      },
      async (request) => toRelease(await releases.withdraw(callerOf(request), request.params.id, request.body.reason)),
    );

    app.delete(
      '/open/manage/releases/:id',
      {
        config: { access: officer },
        schema: { tags: ['open-manage'], summary: 'Discard a draft / 删除草稿', params: idParam, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await releases.discard(callerOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/open/manage/releases/:id/report',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'The de-identification report as a file / 导出去标识化报告',
          params: idParam,
          response: { 200: reportSchema, ...errors },
        },
      },
      async (request, reply) => {
        const r = await releases.get(callerOf(request).principal, request.params.id);
        if (!r.report) return reply.status(404).send({ error: { code: 'not_found', message: '尚未检查 / not checked yet' } });
        reply.header('content-disposition', `attachment; filename="deid-report-${r.dataset_code}-r${r.number}.json"`);
        return r.report as z.infer<typeof reportSchema>;
      },
    );

    // ---- applications ----

    app.get(
      '/open/manage/applications',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'Applications to my department / 开放申请审核',
          response: { 200: z.object({ items: z.array(applicationSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await participation.applicationsFor(callerOf(request).principal)).map(toApplication) }),
    );
    app.post(
      '/open/manage/applications/:id/decide',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Approve with terms or reject with a reason / 审批开放申请',
          params: idParam,
          body: z.object({
            approve: z.boolean(),
            until: date.optional().describe('使用期限'),
            conditions: z.string().max(4000).optional(),
            reason: z.string().max(2000).optional(),
          }),
          response: { 200: applicationSchema, ...errors },
        },
      },
      async (request) => toApplication(await participation.decide(callerOf(request), request.params.id, request.body)),
    );

    // ---- feedback ----

    app.get(
      '/open/manage/comments',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'Comments on my datasets / 评论审核',
          response: { 200: z.object({ items: z.array(commentSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await participation.comments(callerOf(request).principal)).map(toComment) }),
    );
    app.post(
      '/open/manage/comments/:id/moderate',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Show or hide a comment / 审核评论',
          params: idParam,
          body: z.object({ approve: z.boolean() }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await participation.moderateComment(callerOf(request), request.params.id, request.body.approve);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/open/manage/demands',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'Data requests to my department / 数据需求答复',
          response: { 200: z.object({ items: z.array(demandSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await participation.demandsFor(callerOf(request).principal)).map(toDemand) }),
    );
    app.post(
      '/open/manage/demands/:id/answer',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Answer (shown publicly) or reject a data request / 答复数据需求',
          params: idParam,
          body: z.object({ answer: z.string().trim().min(2).max(4000), reject: z.boolean().optional() }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await participation.answerDemand(callerOf(request), request.params.id, request.body);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/open/manage/showcases',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'Showcase entries using my datasets / 应用展示审核',
          response: { 200: z.object({ items: z.array(showcaseSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await participation.showcasesFor(callerOf(request).principal)).map(toShowcase) }),
    );
    app.post(
      '/open/manage/showcases/:id/review',
      {
        config: { access: officer },
        schema: {
          tags: ['open-manage'],
          summary: 'Show or refuse a showcase entry / 审核应用展示',
          params: idParam,
          body: z.object({ approve: z.boolean(), reason: z.string().max(2000).optional() }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await participation.reviewShowcase(callerOf(request), request.params.id, request.body);
        return reply.status(204).send(null);
      },
    );

    // ---- settings ----

    app.get(
      '/open/manage/settings',
      {
        config: { access: overseer },
        schema: {
          tags: ['open-manage'],
          summary: 'Thresholds of the check and the application time limit / 开放设置',
          response: { 200: openSettingsSchema, ...errors },
        },
      },
      async () => deps.open.settings(),
    );
    app.put(
      '/open/manage/settings',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['open-manage'],
          summary: 'Change the thresholds (security administrator) / 修改开放阈值',
          body: openSettingsSchema.partial(),
          response: { 200: openSettingsSchema, ...errors },
        },
      },
      async (request) => deps.open.saveSettings(callerOf(request), request.body),
    );
  };
}
