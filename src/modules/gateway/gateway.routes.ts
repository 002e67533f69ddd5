/**
 * Interface sharing endpoints: registration and listing under `/gateway/services`, and the gateway
 * itself under `/services/{code}/{operation path}` (any method; the path after the code is the
 * operation's path on the upstream).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, errorResponses } from '../../http/kit.ts';
import { METHODS } from './openapi.ts';
import type { GatewayService } from './gateway.service.ts';
import { STATS_VIEWS, type CallStatsService } from './stats.ts';

const errors = errorResponses(400, 401, 403, 404, 409, 429, 502, 503, 504);
const code = z.object({ code: z.string().min(1).max(64).describe('资源代码') });

const parameterSchema = z.object({
  name: z.string().min(1).max(64),
  in: z.enum(['path', 'query']),
  required: z.boolean().default(false),
  description: z.string().max(500).default(''),
});
const fieldSchema = z.object({
  path: z.string().min(1).max(300).describe('响应字段的 JSON 路径，如 data.legalPerson.idNumber，数组元素写作 items[].name'),
  label: z.string().max(64).default(''),
  dataType: z.enum(['integer', 'decimal', 'boolean', 'date', 'timestamp', 'text']).default('text'),
});
const operationSchema = z.object({
  id: z.string().min(1).max(64).describe('操作编号（operationId）'),
  method: z.enum(METHODS),
  path: z.string().min(1).max(512).describe('路径模板，如 /companies/{uscc}'),
  summary: z.string().max(200).default(''),
  parameters: z.array(parameterSchema).max(100).default([]),
  fields: z.array(fieldSchema).max(1000).default([]),
});

const serviceSchema = z.object({
  code: z.string(),
  name: z.string(),
  status: z.enum(['draft', 'published', 'withdrawn']),
  shareType: z.string(),
  providerOrgId: z.string(),
  providerName: z.string(),
  grade: z.number().nullable(),
  baseUrl: z.string().nullable().describe('仅提供方与安全管理员可见'),
  timeoutMs: z.number(),
  maxConcurrency: z.number(),
  authHeader: z.string().nullable().describe('凭据请求头名称（仅提供方可见）；凭据值从不返回'),
  hasCredential: z.boolean(),
  clientCertificate: z.object({ subject: z.string(), issuer: z.string(), validTo: z.string() }).nullable().describe('客户端证书（仅提供方可见）；私钥从不返回'),
  hasClientCertificate: z.boolean(),
  hasUpstreamCa: z.boolean(),
  health: z.object({
    path: z.string().nullable(),
    intervalSeconds: z.number(),
    state: z.string().describe('unknown 未检查 / up 正常 / down 异常'),
    checkedAt: z.string().nullable(),
    error: z.string().nullable().describe('最近一次失败的错误代码'),
  }),
  resilience: z.object({
    retries: z.number().describe('幂等操作（GET/PUT/DELETE）失败后的重试次数'),
    breakerThreshold: z.number().describe('连续失败多少次后熔断'),
    breakerCooldownMs: z.number().describe('熔断后多久放行一次探测调用'),
    breaker: z.enum(['closed', 'open', 'half_open']).describe('本进程的熔断状态'),
    consecutiveFailures: z.number(),
  }),
  operations: z.array(
    z.object({ id: z.string(), method: z.string(), path: z.string(), summary: z.string(), parameters: z.array(parameterSchema), fields: z.array(z.string()) }),
  ),
  fields: z.array(z.object({ name: z.string(), label: z.string(), grade: z.number().nullable(), type: z.string().nullable(), dataType: z.string() })),
});

const certificateSchema = z.object({
  cert: z.string().min(1).max(65_536).describe('客户端证书（PEM，可含证书链）'),
  key: z.string().min(1).max(65_536).describe('私钥（PEM，未加密）；加密保存，从不返回'),
});

const officer = { roles: ['data_officer'] as const };
const participant = { roles: ['consumer', 'data_officer', 'secadmin'] as const };
const reader = { roles: ['consumer', 'data_officer'] as const, apiKey: true };

const figures = {
  calls: z.number().int().describe('调用次数（成功与失败）'),
  errors: z.number().int().describe('失败次数（上游错误、超时、熔断、并发上限等）'),
  p50: z.number().nullable().describe('延迟中位数（毫秒）'),
  p95: z.number().nullable().describe('延迟 95 分位（毫秒）'),
};
const dayFigures = z.object({ day: z.string().describe('中国日期（UTC+8）YYYY-MM-DD'), ...figures });
const statsSchema = z.object({
  view: z.enum(STATS_VIEWS),
  views: z.array(z.enum(STATS_VIEWS)).describe('调用者可选的范围'),
  from: z.string(),
  to: z.string(),
  totals: z.object(figures),
  byDay: z.array(dayFigures).describe('按日汇总（无调用的日期不列出）'),
  items: z.array(
    z.object({
      service: z.string(),
      serviceName: z.string(),
      operation: z.string(),
      consumerOrgId: z.string().nullable(),
      consumerOrgName: z.string(),
      ...figures,
      days: z.array(dayFigures),
    }),
  ),
});

export function gatewayRoutes(deps: { gateway: GatewayService; stats: CallStatsService }): FastifyPluginAsyncZod {
  const { gateway, stats } = deps;
  return async (app) => {
    app.post(
      '/gateway/services',
      {
        config: { access: officer },
        schema: {
          tags: ['gateway'],
          summary: 'Register an interface of my department / 登记接口服务',
          body: z.object({
            name: z.string().trim().min(2).max(200),
            summary: z.string().max(2000).optional(),
            shareType: z.enum(['unconditional', 'conditional', 'none']).optional(),
            baseUrl: z.string().min(1).max(2000).describe('上游接口地址；网关只访问此地址之下的路径'),
            timeoutMs: z.number().int().min(100).max(120_000).optional(),
            maxResponseBytes: z
              .number()
              .int()
              .positive()
              .max(64 * 1024 * 1024)
              .optional(),
            maxConcurrency: z.number().int().min(1).max(10_000).optional().describe('每个 pdx 进程对该上游的最大并发调用数（超出即 503）'),
            auth: z
              .object({ header: z.string().min(1).max(64), secret: z.string().min(1).max(4096) })
              .optional()
              .describe('上游凭据（静态请求头），加密保存，从不返回'),
            openapi: z.string().max(2_000_000).optional().describe('OpenAPI 3 文档（JSON 或 YAML）'),
            operations: z.array(operationSchema).max(500).optional().describe('手工登记的操作（未给 openapi 时）'),
            samples: z.record(z.string(), z.unknown()).optional().describe('各操作的样例响应（用于识别与定级响应字段）'),
            health: z
              .object({ path: z.string().min(1).max(512), intervalSeconds: z.number().int().min(1).max(86_400).optional() })
              .optional()
              .describe('定期健康检查：GET 接口地址 + path'),
            retries: z.number().int().min(0).max(5).optional().describe('幂等操作失败（连接失败、502/503/504）后的重试次数，默认 2'),
            breaker: z
              .object({ threshold: z.number().int().min(1).max(1000).optional(), cooldownMs: z.number().int().min(100).max(3_600_000).optional() })
              .optional()
              .describe('熔断：连续失败 threshold 次后暂停调用，cooldownMs 后放行一次探测'),
            clientCertificate: certificateSchema.optional().describe('上游要求客户端证书（mTLS）时网关出示的证书'),
            upstreamCa: z.string().min(1).max(65_536).optional().describe('签发上游服务器证书的 CA（PEM）；不填则使用系统 CA'),
          }),
          response: { 201: serviceSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await gateway.register(callerOf(request), request.body)),
    );

    app.post(
      '/gateway/openapi/preview',
      {
        config: { access: officer },
        schema: {
          tags: ['gateway'],
          summary: 'Operations and detected field grades an OpenAPI 3 document (or a list) would register, nothing stored / OpenAPI 导入预览',
          body: z.object({
            openapi: z.string().max(2_000_000).optional(),
            operations: z.array(operationSchema).max(500).optional(),
            samples: z.record(z.string(), z.unknown()).optional().describe('各操作的样例响应'),
            service: z.string().min(1).max(64).optional().describe('修改本部门已登记的接口时给出：已有字段保留其分级，并列出新增与删除的操作'),
          }),
          response: {
            200: z.object({
              title: z.string(),
              servers: z.array(z.string()),
              operations: z.array(operationSchema),
              fields: z.array(
                z.object({
                  path: z.string(),
                  label: z.string(),
                  grade: z.number().nullable(),
                  type: z.string().nullable(),
                  existing: z.boolean().describe('该接口已有此字段（保留原分级）'),
                }),
              ),
              added: z.array(z.string()).describe('新增的操作'),
              removed: z.array(z.string()).describe('将删除的操作'),
            }),
            ...errors,
          },
        },
      },
      async (request) => gateway.preview(callerOf(request), request.body),
    );

    app.put(
      '/gateway/services/:code',
      {
        config: { access: officer },
        schema: {
          tags: ['gateway'],
          summary: 'Edit an interface of my department: base URL, timeout, credential, operations / 修改接口服务',
          params: code,
          body: z.object({
            baseUrl: z.string().min(1).max(2000).optional(),
            timeoutMs: z.number().int().min(100).max(120_000).optional(),
            auth: z
              .object({ header: z.string().min(1).max(64), secret: z.string().max(4096).optional().describe('留空则保留已保存的凭据值') })
              .nullable()
              .optional()
              .describe('上游凭据；null 删除；凭据值加密保存，从不返回'),
            openapi: z.string().max(2_000_000).optional().describe('重新导入 OpenAPI 3 文档（替换全部操作）'),
            operations: z.array(operationSchema).max(500).optional().describe('替换全部操作（未给 openapi 时）'),
            samples: z.record(z.string(), z.unknown()).optional(),
          }),
          response: { 200: serviceSchema, ...errors },
        },
      },
      async (request) => gateway.update(callerOf(request), request.params.code, request.body),
    );

    app.get(
      '/gateway/services',
      {
        config: { access: participant },
        schema: {
          tags: ['gateway'],
          summary: 'Interfaces I may see / 接口服务列表',
          response: { 200: z.object({ items: z.array(serviceSchema) }), ...errors },
        },
      },
      async (request) => ({ items: await gateway.list(callerOf(request).principal) }),
    );

    app.get(
      '/gateway/services/:code',
      {
        config: { access: participant },
        schema: {
          tags: ['gateway'],
          summary: 'One interface: operations and graded fields / 接口服务详情',
          params: code,
          response: { 200: serviceSchema, ...errors },
        },
      },
      async (request) => gateway.view(callerOf(request).principal, request.params.code),
    );

    app.put(
      '/gateway/services/:code/credential',
      {
        config: { access: officer },
        schema: {
          tags: ['gateway'],
          summary: 'Replace or remove the upstream credential / 更换上游凭据',
          params: code,
          body: z.object({ auth: z.object({ header: z.string().min(1).max(64), secret: z.string().min(1).max(4096) }).nullable() }),
          response: { 200: serviceSchema, ...errors },
        },
      },
      async (request) => gateway.setCredential(callerOf(request), request.params.code, request.body.auth),
    );

    app.put(
      '/gateway/services/:code/client-certificate',
      {
        config: { access: officer },
        schema: {
          tags: ['gateway'],
          summary: 'Replace or remove the client certificate presented upstream (mTLS) / 更换客户端证书',
          params: code,
          body: z.object({ clientCertificate: certificateSchema.nullable() }),
          response: { 200: serviceSchema, ...errors },
        },
      },
      async (request) => gateway.setClientCertificate(callerOf(request), request.params.code, request.body.clientCertificate),
    );

    app.post(
      '/gateway/services/:code/health-check',
      {
        config: { access: officer },
        schema: { tags: ['gateway'], summary: 'Check the upstream health now / 立即检查上游健康', params: code, response: { 200: serviceSchema, ...errors } },
      },
      async (request) => gateway.checkHealthNow(callerOf(request), request.params.code),
    );

    app.get(
      '/gateway/stats',
      {
        config: { access: participant },
        schema: {
          tags: ['gateway'],
          summary: 'Call statistics: calls, errors, latency p50/p95 by service, operation, consumer and day / 接口调用统计',
          description:
            'provided 本部门提供的接口（数据管理员）；consumed 本单位的调用（使用方、数据管理员）；all 全部（安全管理员、主管部门的数据管理员）。来自消息日志（gateway.call 审计记录）。',
          querystring: z.object({
            view: z.enum(STATS_VIEWS).optional().describe('统计范围，默认按角色'),
            from: z.string().max(10).optional().describe('开始日期 YYYY-MM-DD（含），默认 30 天前'),
            to: z.string().max(10).optional().describe('结束日期 YYYY-MM-DD（含），默认今天'),
            service: z.string().min(1).max(64).optional().describe('资源代码'),
            operation: z.string().min(1).max(64).optional().describe('操作编号'),
            consumerOrgId: z.string().min(1).max(64).optional().describe('调用方机构'),
          }),
          response: { 200: statsSchema, ...errors },
        },
      },
      async (request) => stats.stats(callerOf(request).principal, request.query),
    );

    app.route({
      method: [...METHODS],
      url: '/services/:code/*',
      config: { access: reader },
      schema: {
        tags: ['gateway'],
        summary: 'Call an operation of an interface under my grant / 接口调用（网关）',
        params: z.object({ code: z.string().min(1).max(64), '*': z.string().max(2048) }),
        response: { 200: z.unknown().describe('上游响应，按授权逐字段处理（未授权字段已移除）'), ...errors },
      },
      handler: async (request, reply) => {
        // The operation path from the raw URL: encoded separators and dot segments must stay visible.
        const raw = (request.raw.url ?? '').split('?')[0] ?? '';
        const at = raw.indexOf('/services/');
        const rest = raw.slice(at + '/services/'.length);
        const path = rest.slice(rest.indexOf('/') < 0 ? rest.length : rest.indexOf('/'));
        const q = (request.raw.url ?? '').indexOf('?');
        const result = await gateway.call(callerOf(request), request.params.code, {
          method: request.method,
          path,
          query: new URLSearchParams(q < 0 ? '' : (request.raw.url ?? '').slice(q + 1)),
          body: request.body,
          headers: request.headers,
        });
        reply.header('x-pdx-grant', result.grantId);
        return reply.status(result.status).type('application/json; charset=utf-8').send(result.body);
      },
    });
  };
}
