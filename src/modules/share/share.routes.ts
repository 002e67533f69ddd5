/**
 * Sharing endpoints: requests and approvals, grants, notifications (console), and the data path:
 * records (JSON / NDJSON / CSV, streamed), verification (核验) and export files.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CONTENT_TYPES, encodeChunk, epilogue, formatOf, prologue } from './encode.ts';
import type { ExportsService } from './exports.service.ts';
import { filterText } from './filter.ts';
import { REDACT_STYLES } from '../classify/redact.ts';
import { GRANT_MODES, isFreeText } from './access/compile.ts';
import { parseRecordsQuery, type RecordsService } from './records.service.ts';
import { grantUsageSchema, requestClockSchema } from './clock.ts';
import { serviceTermsSchema } from './operations.ts';
import { seriesTermsSchema } from './series.ts';
import type { GrantRow, RequestRow } from './share.repo.ts';
import { effectiveState, grantState, PURPOSE_CATEGORIES, type ShareService } from './share.service.ts';
import { callerOf, errorResponses, pickLanguage } from '../../http/kit.ts';

const REQUEST_STATES = ['submitted', 'provider_approved', 'active', 'rejected', 'expired', 'revoked', 'withdrawn'] as const;
const errors = errorResponses(400, 401, 403, 404, 409, 429, 503);
const code = z.object({ code: z.string().min(1).max(64).describe('资源代码') });
const id = z.object({ id: z.uuid() });
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const generalizeSchema = z.object({
  date: z.enum(['year', 'month']).optional(),
  ageBand: z.union([z.literal(5), z.literal(10)]).optional(),
  address: z.enum(['province', 'city', 'district']).optional(),
  bucket: z.number().positive().optional(),
});
/** One column of a grant: its mode and options (also the return flow's column modes). */
export const grantColumnSchema = z.object({
  name: z.string(),
  mode: z.enum(GRANT_MODES),
  generalize: generalizeSchema.optional(),
  redact: z.enum(REDACT_STYLES).optional().describe('去标识（redacted）文本列：片段脱敏 masked 或类型占位符 placeholder（如〔姓名〕）'),
});

const termsSchema = z.object({
  columns: z.array(grantColumnSchema),
  rowFilter: z.string().nullable(),
  endDate: z.string(),
  rowsPerDay: z.number().nullable(),
  requestsPerMinute: z.number().nullable(),
  ipRanges: z.array(z.string()),
  impactAssessment: z.string().nullable(),
  series: seriesTermsSchema.nullable().optional(),
  service: serviceTermsSchema.nullable().optional(),
});

const requestSchema = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  providerOrgId: z.string(),
  providerName: z.string(),
  consumerOrgId: z.string(),
  consumerName: z.string(),
  requester: z.object({ id: z.string(), username: z.string(), name: z.string() }),
  columns: z.array(z.string()),
  purpose: z.string(),
  purposeCategory: z.string(),
  legalBasis: z.string(),
  endDate: z.string(),
  expectedRowsPerDay: z.number().nullable(),
  rowFilter: z.string().nullable(),
  state: z.enum(REQUEST_STATES),
  needsSecurity: z.boolean(),
  series: seriesTermsSchema.nullable().describe('时序数据：申请的分辨率、时间窗与设备'),
  operations: z.array(z.string()).nullable().describe('接口服务：申请调用的操作'),
  terms: termsSchema.nullable(),
  providerDecidedAt: z.date().nullable(),
  providerDecider: z.object({ name: z.string(), username: z.string() }).nullable().describe('提供方审批人'),
  providerNote: z.string().nullable(),
  securityDecidedAt: z.date().nullable(),
  securityDecider: z.object({ name: z.string(), username: z.string() }).nullable().describe('安全管理员审批人'),
  securityNote: z.string().nullable(),
  grantId: z.string().nullable(),
  withdrawnAt: z.date().nullable().describe('申请人撤回的时间'),
  withdrawReason: z.string().nullable().describe('撤回原因'),
  renewsGrantId: z.string().nullable().describe('续期申请：所续期的授权'),
  createdAt: z.date(),
  clock: requestClockSchema.nullable().describe('申请时限：各阶段的到期时刻、剩余工作日与状态（未启用时限时为 null）'),
});

const columnGradeSchema = z.object({
  name: z.string(),
  grade: z.number().nullable(),
  encrypted: z.boolean(),
  type: z.string().nullable(),
  blindIndex: z.boolean(),
  dataType: z.string(),
  freeText: z.boolean().describe('自由文本列（按其中的敏感片段定级，可去标识共享）'),
});

const grantSchema = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  providerOrgId: z.string(),
  consumerOrgId: z.string(),
  consumerName: z.string(),
  requestId: z.string().nullable(),
  automatic: z.boolean(),
  columns: z.array(grantColumnSchema),
  rowFilter: z.string().nullable(),
  purpose: z.string(),
  legalBasis: z.string(),
  rowsPerDay: z.number().nullable(),
  requestsPerMinute: z.number().nullable(),
  ipRanges: z.array(z.string()),
  series: seriesTermsSchema.nullable().describe('时序数据：最细分辨率、时间窗与设备'),
  operations: z.array(z.string()).nullable().describe('接口服务：授权调用的操作'),
  expiresAt: z.date().nullable(),
  state: z.enum(['active', 'revoked', 'expired']),
  revokedAt: z.date().nullable(),
  revokeReason: z.string().nullable(),
  returnFlowId: z.string().nullable().describe('数据回流所生成的授权：其回流编号'),
  suspendedAt: z.date().nullable().describe('暂停时间（数据回流暂停期间不能读取）'),
  renewsGrantId: z.string().nullable().describe('续期所延续的原授权'),
  supersededBy: z.string().nullable().describe('延续本授权的续期授权（本授权于其生效时结束）'),
  createdAt: z.date(),
  usage: grantUsageSchema.nullable().describe('授权以来的使用：调用次数、返回行数、最近使用（单个授权与按数据资源列出时提供，否则为 null）'),
});

function toRequest(r: RequestRow) {
  return {
    id: r.id,
    dataset: { code: r.dataset_code, name: r.dataset_name },
    providerOrgId: r.provider_org_id,
    providerName: r.provider_name,
    consumerOrgId: r.consumer_org_id,
    consumerName: r.consumer_name,
    requester: { id: r.requested_by, username: r.requester_username, name: r.requester_name },
    columns: r.columns,
    purpose: r.purpose,
    purposeCategory: r.purpose_category,
    legalBasis: r.legal_basis,
    endDate: r.end_date,
    expectedRowsPerDay: r.expected_rows_per_day,
    rowFilter: r.requested_filter ? filterText(r.requested_filter) : null,
    state: effectiveState(r),
    needsSecurity: r.needs_security,
    series: r.series_terms,
    operations: r.service_terms?.operations ?? null,
    terms: r.terms ? { ...r.terms, rowFilter: r.terms.rowFilter ? filterText(r.terms.rowFilter) : null } : null,
    providerDecidedAt: r.provider_decided_at,
    providerDecider: r.provider_decider_username
      ? { name: r.provider_decider_name ?? r.provider_decider_username, username: r.provider_decider_username }
      : null,
    providerNote: r.provider_note,
    securityDecidedAt: r.security_decided_at,
    securityDecider: r.security_decider_username
      ? { name: r.security_decider_name ?? r.security_decider_username, username: r.security_decider_username }
      : null,
    securityNote: r.security_note,
    grantId: r.grant_id,
    withdrawnAt: r.withdrawn_at,
    withdrawReason: r.withdraw_reason,
    renewsGrantId: r.renews_grant_id,
    createdAt: r.created_at,
  };
}

function toGrant(g: GrantRow) {
  return {
    id: g.id,
    dataset: { code: g.dataset_code, name: g.dataset_name },
    providerOrgId: g.provider_org_id,
    consumerOrgId: g.consumer_org_id,
    consumerName: g.consumer_name,
    requestId: g.request_id,
    automatic: g.automatic,
    columns: g.columns,
    rowFilter: g.row_filter ? filterText(g.row_filter) : null,
    purpose: g.purpose,
    legalBasis: g.legal_basis,
    rowsPerDay: g.rows_per_day,
    requestsPerMinute: g.requests_per_minute,
    ipRanges: g.ip_ranges,
    series: g.series_terms,
    operations: g.service_terms?.operations ?? null,
    expiresAt: g.expires_at,
    state: grantState(g),
    revokedAt: g.revoked_at,
    revokeReason: g.revoke_reason,
    returnFlowId: g.return_flow_id,
    suspendedAt: g.suspended_at,
    renewsGrantId: g.renews_grant_id,
    supersededBy: g.superseded_by,
    createdAt: g.created_at,
  };
}

const reader = { roles: ['consumer', 'data_officer'] as const, apiKey: true };
/** Row numbers sent in x-pdx-flagged-rows at most (the objections API lists them all). */
const FLAGGED_HEADER_MAX = 1000;
const participant = { roles: ['consumer', 'data_officer', 'secadmin'] as const };

/** Query parameters of the records API, for the OpenAPI document (parsing reads the raw query). */
const recordsQuery = z
  .object({
    select: z.string().optional().describe('信息项列表，逗号分隔，如 `select=姓名,住址`'),
    order: z.string().optional().describe('排序，如 order=人口数.desc'),
    limit: z.string().optional().describe('每页行数，1–10000，默认 100'),
    after: z.string().optional().describe('上一页返回的 next 游标'),
    grant: z.string().optional().describe('使用哪一项授权（有多项时）'),
    or: z.string().optional().describe('或条件，如 `or=(户籍地.eq.朝阳市,户籍地.eq.锦州市)`'),
    rowid: z.enum(['true', 'false']).optional().describe('rowid=true：每行附带行号 _row（提出数据异议时用来指明行）'),
  })
  .catchall(z.union([z.string(), z.array(z.string())]))
  .describe('其他参数为过滤条件：信息项=运算符.值，运算符 eq neq gt gte lt lte like in is，可加 `not.`');

export function shareRoutes(deps: { share: ShareService; records: RecordsService; exports: ExportsService }): FastifyPluginAsyncZod {
  const { share, records, exports } = deps;
  /** Requests as the API shows them, each with its time-limit clock. */
  const withClocks = async (rows: RequestRow[]) => {
    const clocks = rows.length && share.hooks.requestClocks ? await share.hooks.requestClocks(rows) : undefined;
    // A withdrawn request's clock stopped: none is shown.
    return rows.map((r) => ({ ...toRequest(r), clock: r.state === 'withdrawn' ? null : (clocks?.get(r.id) ?? null) }));
  };
  const withClock = async (r: RequestRow) => (await withClocks([r]))[0]!;
  /** Grants as the API shows them, each with its use when asked for. */
  const withUsage = async (grants: GrantRow[], usage: boolean) => {
    const used = usage && grants.length && share.hooks.grantUsage ? await share.hooks.grantUsage(grants) : undefined;
    return grants.map((g) => ({ ...toGrant(g), usage: used?.get(g.id) ?? null }));
  };
  return async (app) => {
    // ---- requests and approvals ----------------------------------------------------------------

    app.post(
      '/share/requests',
      {
        config: { access: { roles: ['consumer', 'data_officer'] } },
        schema: {
          tags: ['share'],
          summary: 'Request access to a dataset / 提交共享申请',
          body: z.object({
            dataset: z.string().min(1).max(64).describe('资源代码'),
            columns: z.array(z.string().min(1).max(128)).max(5000).describe('信息项；时序数据为测点 设备.测点（或在 series.devices 中列出设备）'),
            purpose: z.string().trim().min(2).max(2000).describe('用途，如 低保资格核验'),
            purposeCategory: z.enum(PURPOSE_CATEGORIES),
            legalBasis: z.string().trim().min(2).max(2000).describe('法律依据'),
            endDate: date.describe('截止日期 YYYY-MM-DD'),
            expectedRowsPerDay: z.number().int().positive().optional(),
            rowFilter: z.string().max(8000).optional().describe('申请的行范围，如 户籍地=eq.朝阳市'),
            series: seriesTermsSchema.optional().describe('时序数据必填：分辨率、时间窗、设备'),
            operations: z.array(z.string().min(1).max(64)).max(500).optional().describe('接口服务必填：要调用的操作（operationId）；columns 为其响应字段'),
          }),
          response: { 201: requestSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await withClock(await share.submit(callerOf(request), request.body))),
    );

    app.get(
      '/share/requests',
      {
        config: { access: participant },
        schema: {
          tags: ['share'],
          summary: 'Requests I made, for my datasets, or awaiting security review / 共享申请列表',
          querystring: z.object({ state: z.enum(REQUEST_STATES).optional(), dataset: z.string().max(64).optional() }),
          response: { 200: z.object({ items: z.array(requestSchema) }), ...errors },
        },
      },
      async (request) => ({ items: await withClocks(await share.list(callerOf(request).principal, request.query)) }),
    );

    app.get(
      '/share/requests/:id',
      {
        config: { access: participant },
        schema: {
          tags: ['share'],
          summary: 'One request with the grades of the columns involved / 共享申请详情',
          params: id,
          response: { 200: requestSchema.extend({ columnDetails: z.array(columnGradeSchema), importantCandidate: z.boolean() }), ...errors },
        },
      },
      async (request) => {
        const p = callerOf(request).principal;
        const r = await share.get(p, request.params.id);
        const columns = await share.requestColumns(p, r.id);
        const dataset = await share.datasetOf(r.dataset_id);
        return {
          ...(await withClock(r)),
          importantCandidate: dataset?.important_candidate ?? false,
          columnDetails: columns
            .filter((c) => r.columns.includes(c.name))
            .map((c) => ({
              name: c.name,
              grade: c.grade,
              encrypted: c.encrypted,
              blindIndex: c.blind_index,
              type: (c.classification as { types?: { type?: string }[] }).types?.[0]?.type ?? null,
              dataType: c.data_type,
              freeText: isFreeText(c),
            })),
        };
      },
    );

    app.post(
      '/share/requests/:id/approve',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['share'],
          summary: "Provider's approval with per-column modes, row filter, term and quotas / 提供方审批",
          params: id,
          body: z.object({
            columns: z.array(grantColumnSchema).max(5000),
            rowFilter: z.string().max(8000).optional(),
            endDate: date.optional(),
            rowsPerDay: z.number().int().positive().optional(),
            requestsPerMinute: z.number().int().positive().optional(),
            ipRanges: z.array(z.string().max(64)).max(100).optional(),
            impactAssessment: z.string().max(20000).optional().describe('个人信息保护影响评估说明（明文共享 4级信息项时必填）'),
            note: z.string().max(2000).optional(),
            series: seriesTermsSchema.optional().describe('时序数据：授权的分辨率、时间窗、设备（不宽于申请）'),
            operations: z.array(z.string().min(1).max(64)).max(500).optional().describe('接口服务：授权的操作（不超出申请，缺省为申请的全部）'),
          }),
          response: { 200: requestSchema, ...errors },
        },
      },
      async (request) => withClock(await share.approve(callerOf(request), request.params.id, request.body)),
    );

    app.post(
      '/share/requests/:id/security-approve',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['share'],
          summary: 'Security administrator approval / 安全管理员审批',
          params: id,
          body: z.object({ note: z.string().max(2000).optional() }).optional(),
          response: { 200: requestSchema, ...errors },
        },
      },
      async (request) => withClock(await share.securityApprove(callerOf(request), request.params.id, request.body?.note)),
    );

    app.post(
      '/share/requests/:id/reject',
      {
        config: { access: { roles: ['data_officer', 'secadmin'] } },
        schema: {
          tags: ['share'],
          summary: 'Reject a request / 驳回共享申请',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: requestSchema, ...errors },
        },
      },
      async (request) => withClock(await share.reject(callerOf(request), request.params.id, request.body.reason)),
    );

    app.post(
      '/share/requests/:id/withdraw',
      {
        config: { access: { roles: ['consumer', 'data_officer'] } },
        schema: {
          tags: ['share'],
          summary: 'The requester withdraws a request awaiting a decision / 撤回共享申请',
          params: id,
          body: z.object({ reason: z.string().trim().max(2000).optional() }).optional(),
          response: { 200: requestSchema, ...errors },
        },
      },
      async (request) => withClock(await share.withdraw(callerOf(request), request.params.id, request.body?.reason)),
    );

    // ---- grants --------------------------------------------------------------------------------

    app.post(
      '/share/grants/:id/renew',
      {
        config: { access: { roles: ['consumer', 'data_officer'] } },
        schema: {
          tags: ['share'],
          summary: 'Ask to renew a grant: a new request prefilled from it, through the same approvals / 授权续期申请',
          params: id,
          body: z.object({
            endDate: date.describe('新的截止日期 YYYY-MM-DD（晚于原授权）'),
            purpose: z.string().trim().min(2).max(2000).optional().describe('用途（缺省沿用原授权）'),
            legalBasis: z.string().trim().min(2).max(2000).optional().describe('法律依据（缺省沿用原授权）'),
          }),
          response: { 201: requestSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await withClock(await share.renew(callerOf(request), request.params.id, request.body))),
    );

    app.get(
      '/share/grants',
      {
        config: { access: participant },
        schema: {
          tags: ['share'],
          summary: 'Grants of my organisation, of my datasets, or all (secadmin) / 共享授权列表',
          querystring: z.object({ dataset: z.string().max(64).optional() }),
          response: { 200: z.object({ items: z.array(grantSchema) }), ...errors },
        },
      },
      // A dataset's grants come with their use (the provider's view of who uses what).
      async (request) => ({ items: await withUsage(await share.grants(callerOf(request).principal, request.query), request.query.dataset !== undefined) }),
    );

    app.get(
      '/share/grants/:id',
      {
        config: { access: participant },
        schema: { tags: ['share'], summary: 'One grant / 共享授权详情', params: id, response: { 200: grantSchema, ...errors } },
      },
      async (request) => (await withUsage([await share.grant(callerOf(request).principal, request.params.id)], true))[0]!,
    );

    app.post(
      '/share/grants/:id/revoke',
      {
        config: { access: { roles: ['data_officer', 'secadmin'] } },
        schema: {
          tags: ['share'],
          summary: 'Revoke a grant (effective on the next request everywhere) / 撤销授权',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: grantSchema, ...errors },
        },
      },
      async (request) => (await withUsage([await share.revoke(callerOf(request), request.params.id, request.body.reason)], false))[0]!,
    );

    // ---- notifications -------------------------------------------------------------------------

    const notificationSchema = z.object({
      id: z.string(),
      kind: z.string(),
      title: z.string(),
      body: z.record(z.string(), z.unknown()),
      link: z.string().nullable(),
      createdAt: z.date(),
      readAt: z.date().nullable(),
    });
    app.get(
      '/notifications',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['share'],
          summary: 'My console notifications / 站内通知',
          querystring: z.object({ unread: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ unread: z.number(), items: z.array(notificationSchema) }), ...errors },
        },
      },
      async (request) => {
        const lang = pickLanguage(request);
        const [items, unread] = await share.notifications(callerOf(request).principal, request.query.unread === 'true');
        return {
          unread,
          items: items.map((n) => ({ id: n.id, kind: n.kind, title: n.title[lang], body: n.body, link: n.link, createdAt: n.created_at, readAt: n.read_at })),
        };
      },
    );
    app.post(
      '/notifications/:id/read',
      {
        config: { access: { authenticated: true } },
        schema: { tags: ['share'], summary: 'Mark one notification read / 标记已读', params: id, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await share.markRead(callerOf(request).principal, request.params.id);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/notifications/read-all',
      {
        config: { access: { authenticated: true } },
        schema: { tags: ['share'], summary: 'Mark all notifications read / 全部已读', response: { 200: z.object({ marked: z.number() }), ...errors } },
      },
      async (request) => ({ marked: (await share.markRead(callerOf(request).principal, null)).length }),
    );

    // ---- the data path -------------------------------------------------------------------------

    app.get(
      '/datasets/:code/access',
      {
        config: { access: reader },
        schema: {
          tags: ['share'],
          summary: 'What my grant lets me read: columns and their forms / 我的授权视图',
          params: code,
          querystring: z.object({ grant: z.uuid().optional() }),
          response: {
            200: z.object({
              grantId: z.string(),
              automatic: z.boolean(),
              purpose: z.string(),
              rowFilter: z.string().nullable(),
              columns: z.array(z.object({ name: z.string(), mode: z.enum(GRANT_MODES) })),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const access = await records.resolve(callerOf(request), request.params.code, request.query.grant);
        return {
          grantId: access.grant.id,
          automatic: access.grant.automatic,
          purpose: access.grant.purpose,
          rowFilter: access.grant.row_filter ? filterText(access.grant.row_filter) : null,
          columns: access.view.filter((c) => c.mode !== 'hidden').map((c) => ({ name: c.name, mode: c.mode })),
        };
      },
    );

    app.get(
      '/datasets/:code/records',
      {
        config: { access: reader },
        schema: {
          tags: ['share'],
          summary: 'Read records in the granted forms (JSON, NDJSON or CSV by Accept) / 数据接口',
          description:
            '响应头 x-pdx-flagged-rows：该数据资源中正处于数据异议处理中的行号（_row，逗号分隔），读者应谨慎使用这些行；加 rowid=true 时每行附带 _row。/ Header x-pdx-flagged-rows: row numbers (_row) under an open objection; with rowid=true each row carries its _row.',
          params: code,
          querystring: recordsQuery,
          response: {
            200: z.object({ rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))), next: z.string().nullable() }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const raw = request.raw.url ?? '';
        const q = raw.indexOf('?');
        const query = parseRecordsQuery(new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)));
        const stream = await records.open(callerOf(request), request.params.code, query);
        // 标注: rows under an open objection (数据异议) are named to every reader, by row number (_row);
        // read alongside the first chunk (one round trip fewer on the request path).
        // The first chunk is read and audited before any header is sent: a refusal is a clean error.
        const first = await stream.chunks.next();
        const format = formatOf(request.headers.accept);
        const names = [...stream.columns.map((c) => c.name), ...(query.rowId ? ['_row'] : [])];
        const known = first.done || stream.finished();
        if (known) reply.header('x-next-cursor', stream.next() ?? '');
        reply.header('x-pdx-grant', stream.grantId);
        const flagged = await stream.flagged;
        if (flagged.length) reply.header('x-pdx-flagged-rows', flagged.slice(0, FLAGGED_HEADER_MAX).join(','));
        reply.type(CONTENT_TYPES[format]);
        const firstText = prologue(format, names) + encodeChunk(format, names, first.done ? [] : first.value, true);
        if (known) {
          // The whole answer came in the first chunk: one body with its length, not a chunked stream.
          await stream.chunks.return(undefined);
          // A string bypasses the serializer, as the stream below does.
          return reply.send((firstText + epilogue(format, stream.next())) as never);
        }
        async function* body(): AsyncGenerator<string> {
          yield firstText;
          let sent = first.done ? 0 : first.value.length;
          for await (const chunk of stream.chunks) {
            yield encodeChunk(format, names, chunk, sent === 0);
            sent += chunk.length;
          }
          yield epilogue(format, stream.next());
        }
        if (format !== 'json') {
          // NDJSON and CSV carry the next cursor as a trailer (known only at the end of the stream).
          reply.trailer('x-next-cursor', async () => stream.next() ?? '');
        }
        // A stream bypasses the serializer; the schema above documents the JSON shape it writes.
        return reply.send(Readable.from(body()) as never);
      },
    );

    app.post(
      '/datasets/:code/verify',
      {
        config: { access: reader },
        schema: {
          tags: ['share'],
          summary: 'Does a row with these values exist? yes/no, never data / 核验',
          params: code,
          body: z.object({ match: z.record(z.string().min(1).max(128), z.string().max(2000)), grant: z.uuid().optional() }),
          response: { 200: z.object({ match: z.boolean() }), ...errors },
        },
      },
      async (request) => ({ match: await records.verify(callerOf(request), request.params.code, request.body.match, request.body.grant) }),
    );

    const exportSchema = z.object({
      id: z.string(),
      state: z.enum(['queued', 'ready', 'failed']),
      format: z.enum(['csv', 'ndjson']),
      rowCount: z.number().nullable(),
      bytes: z.number().nullable(),
      expiresAt: z.date(),
      jobId: z.string().nullable(),
    });
    app.post(
      '/datasets/:code/exports',
      {
        config: { access: reader },
        schema: {
          tags: ['share'],
          summary: 'Export granted records to a file (job) with an expiring download link / 批量导出',
          params: code,
          body: z.object({
            format: z.enum(['csv', 'ndjson']).default('csv'),
            query: z.string().max(8000).default('').describe('与数据接口相同的查询参数，如 select=姓名&户籍地=eq.朝阳市'),
          }),
          response: { 202: z.object({ id: z.string(), jobId: z.string(), downloadUrl: z.string(), expiresAt: z.date() }), ...errors },
        },
      },
      async (request, reply) => reply.status(202).send(await exports.create(callerOf(request), request.params.code, request.body)),
    );
    app.get(
      '/exports/:id',
      { config: { access: reader }, schema: { tags: ['share'], summary: 'Export state / 导出状态', params: id, response: { 200: exportSchema, ...errors } } },
      async (request) => {
        const e = await exports.status(callerOf(request).principal, request.params.id);
        return { id: e.id, state: e.state, format: e.format, rowCount: e.row_count, bytes: e.bytes, expiresAt: e.expires_at, jobId: e.job_id };
      },
    );
    app.get(
      '/exports/:id/download',
      {
        config: { access: reader },
        schema: {
          tags: ['share'],
          summary: 'Download an export file (link token, same organisation, grant still active) / 下载导出文件',
          params: id,
          querystring: z.object({ token: z.string().min(10).max(200) }),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const file = await exports.download(callerOf(request), request.params.id, request.query.token);
        reply.type(CONTENT_TYPES[file.format]);
        reply.header('content-disposition', `attachment; filename="${file.fileName}"`);
        return reply.send(Readable.from(file.pieces) as never);
      },
    );
  };
}
