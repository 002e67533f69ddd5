/**
 * The public portal's endpoints and the open API (`/api/v1/open/…`), plus the DCAT-AP catalogue at
 * `/open/catalog.jsonld`. Every route is a portal route (`access.society`): anonymous callers and
 * society users only; console sessions and government keys count for nothing here. Catalogue pages
 * carry an ETag and `Cache-Control: public, no-cache` (revalidated every time, so a withdrawal shows at
 * once), and so does `/open/catalog.jsonld`; downloads carry the release's ETag (`private` for
 * 有条件开放 files, which only approved applicants may read).
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BadRequestError } from '../../errors.ts';
import type { CommentRow, DemandRow, ShowcaseRow } from './open.repo.ts';
import { codeParam, demandSchema, errors, idParam, risksSchema, showcaseSchema, summarySchema, webUrl } from './open.schemas.ts';
import type { OpenService } from './open.service.ts';
import { DOWNLOAD_FORMATS, etagMatches, MAX_API_LIMIT } from './portal.ts';
import type { SocietyCaller } from './society.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A portal page the same for everyone: ETag and Cache-Control: public, no-cache. */
    openCache?: boolean;
  }
}

const anyone = { society: 'optional', apiKey: true } as const;
const member = { society: 'required' } as const;
const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export function societyCaller(request: FastifyRequest): SocietyCaller {
  return { ...(request.society ? { society: request.society } : {}), requestId: request.id, ip: request.ip };
}

const facet = z.array(z.object({ value: z.string(), label: z.string(), count: z.number() }));
const datasetPage = summarySchema.extend({
  category: z.string(),
  contact: z.object({ name: z.string().optional(), phone: z.string().optional(), email: z.string().optional() }),
  licence: z.string(),
  notes: z.string(),
  version: z.number(),
  previews: z.number(),
  columns: z.array(
    z.object({
      name: z.string(),
      dataType: z.string(),
      description: z.string(),
      generalization: z.object({ zh: z.string(), en: z.string() }).nullable(),
      completeness: z.number(),
      distinct: z.number(),
    }),
  ),
  quality: z.object({ score: z.number(), completeness: z.number(), documentation: z.number() }),
  chart: z.object({ column: z.string(), values: z.array(z.object({ value: z.string(), count: z.number() })) }).nullable(),
  deidentification: z.object({
    thresholds: z.object({ k: z.number(), l: z.number(), maxSuppression: z.number() }),
    k: z.number().nullable(),
    l: z.array(z.number().nullable()),
    suppression: z.number(),
    informationLoss: z.number(),
    risks: risksSchema.nullable(),
    removedColumns: z.number(),
    quasiIdentifiers: z.array(z.string()),
    sensitive: z.array(z.string()),
  }),
  history: z.array(
    z.object({
      release: z.number(),
      version: z.number(),
      state: z.string(),
      publishedAt: z.date().nullable(),
      withdrawnAt: z.date().nullable(),
      rows: z.number().nullable(),
      reason: z.string().nullable(),
    }),
  ),
  comments: z.array(z.object({ id: z.string(), author: z.string(), rating: z.number(), body: z.string(), createdAt: z.date() })),
});
const department = z.object({ id: z.string(), name: z.string(), region: z.string(), datasets: z.number(), downloads: z.number(), apiCalls: z.number() });

const RECORDS_EXAMPLE = `示例 / example:
curl "$PDX/api/v1/open/datasets/210700-000005/records?limit=100"
curl -G -H "Authorization: Bearer pdxo_…" "$PDX/api/v1/open/datasets/210700-000005/records" --data-urlencode "limit=1000" --data-urlencode "after=1000" --data-urlencode "%E6%9D%BF%E5%9D%97=滨海风情"
(query parameters URL-encoded: curl encodes the value after "=", the column name 板块 is encoded by hand)
→ {"release":1,"rows":[{"活动名称":"…","板块":"滨海风情",…}],"next":"1000"}`;

export function openRoutes(deps: { open: OpenService }): FastifyPluginAsyncZod {
  const { portal, participation } = deps.open;
  return async (app) => {
    // Catalogue pages: one ETag over the serialized answer; a client holding it gets 304.
    app.addHook('onSend', async (request, reply, payload) => {
      if (!request.routeOptions.config.openCache || request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
      const etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
      reply.header('etag', etag).header('cache-control', 'public, no-cache');
      if (etagMatches(request.headers['if-none-match'], etag)) {
        reply.code(304);
        return '';
      }
      return payload;
    });

    app.get(
      '/open/home',
      {
        config: { access: anyone, openCache: true },
        schema: {
          tags: ['open'],
          summary: 'Portal home: figures, newest and most used datasets / 开放门户首页',
          response: {
            200: z.object({
              stats: z.object({ datasets: z.number(), departments: z.number(), rows: z.number(), downloads: z.number(), apiCalls: z.number() }),
              newest: z.array(summarySchema),
              popular: z.array(summarySchema),
              domains: z.array(z.object({ name: z.string(), datasets: z.number() })),
            }),
            ...errors,
          },
        },
      },
      async () => portal.home(),
    );

    app.get(
      '/open/datasets',
      {
        config: { access: anyone, openCache: true },
        schema: {
          tags: ['open'],
          summary: 'Search open datasets with facets / 开放数据检索',
          querystring: z.object({
            q: z.string().max(200).optional().describe('关键词，如 旅游'),
            domain: z.string().max(64).optional().describe('领域'),
            org: z.string().max(64).optional().describe('提供部门'),
            region: z.string().max(6).optional().describe('行政区划代码'),
            format: z.string().max(32).optional(),
            cycle: z.string().max(16).optional().describe('更新周期'),
            openType: z.enum(['unconditional', 'conditional']).optional().describe('开放属性'),
            sort: z.enum(['newest', 'popular', 'name']).optional(),
            page: z.coerce.number().int().min(1).max(10_000).optional(),
            pageSize: z.coerce.number().int().min(1).max(100).optional(),
          }),
          response: {
            200: z.object({
              total: z.number(),
              items: z.array(summarySchema),
              facets: z.object({ domain: facet, org: facet, region: facet, format: facet, cycle: facet, openType: facet }),
            }),
            ...errors,
          },
        },
      },
      async (request) => portal.search(request.query),
    );

    app.get(
      '/open/datasets/:code',
      {
        config: { access: anyone },
        schema: {
          tags: ['open'],
          summary: 'An open dataset: metadata, dictionary, chart, history, licence, quality / 数据集详情',
          params: codeParam,
          response: { 200: datasetPage, ...errors },
        },
      },
      async (request, reply) => {
        // Rendered through the schema once and reused a few seconds; the release is checked every time.
        const page = await portal.datasetPage(request.params.code, (p) => JSON.stringify(datasetPage.parse(p)));
        reply.header('etag', page.etag).header('cache-control', 'public, no-cache');
        if (etagMatches(request.headers['if-none-match'], page.etag)) return reply.code(304).send(null as never);
        return reply.type('application/json; charset=utf-8').send(page.body as never);
      },
    );

    app.get(
      '/open/datasets/:code/preview',
      {
        config: { access: anyone },
        schema: {
          tags: ['open'],
          summary: 'The first rows of the release / 数据预览',
          params: codeParam,
          response: { 200: z.object({ columns: z.array(z.string()), rows: z.array(z.record(z.string(), value)) }), ...errors },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'private, no-store');
        return portal.preview(societyCaller(request), request.params.code);
      },
    );

    app.get(
      '/open/datasets/:code/download',
      {
        config: { access: anyone },
        schema: {
          tags: ['open'],
          summary: 'Download the release as CSV, XLSX or JSON (streamed; ETag per release) / 下载',
          description: '示例 / example: curl -OJ "$PDX/api/v1/open/datasets/210700-000005/download?format=csv"',
          params: codeParam,
          querystring: z.object({ format: z.enum(DOWNLOAD_FORMATS).default('csv') }),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const ifNoneMatch = request.headers['if-none-match'];
        const file = await portal.download(
          societyCaller(request),
          request.params.code,
          request.query.format,
          typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined,
        );
        reply.header('etag', file.etag).header('cache-control', file.cacheControl);
        if (file.notModified) return reply.code(304).send(null as never);
        reply.type(file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`);
        if (Buffer.isBuffer(file.body)) reply.header('content-length', String(file.body.length));
        // A buffer or a stream bypasses the serializer (files are not JSON).
        return reply.send(file.body as never);
      },
    );

    app.get(
      '/open/datasets/:code/records',
      {
        config: { access: anyone },
        schema: {
          tags: ['open'],
          summary: 'Open API: rows of the release, paged, filtered by equality on columns / 开放接口',
          description: RECORDS_EXAMPLE,
          params: codeParam,
          querystring: z
            .object({
              limit: z.string().optional().describe(`每页行数 1–${MAX_API_LIMIT}，默认 100`),
              after: z.string().optional().describe('上一页返回的 next 游标'),
            })
            .catchall(z.string())
            .describe('其他参数为等值过滤：信息项=值'),
          response: { 200: z.object({ release: z.number(), rows: z.array(z.record(z.string(), value)), next: z.string().nullable() }), ...errors },
        },
      },
      async (request) => {
        const raw = request.raw.url ?? '';
        const params = new URLSearchParams(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '');
        const equals: Record<string, string> = {};
        let limit = 100;
        let after: string | undefined;
        for (const key of new Set(params.keys())) {
          const all = params.getAll(key);
          if (all.length > 1) throw new BadRequestError('duplicate_parameter', { zh: `参数重复：${key}`, en: `Parameter given twice: ${key}` }, { field: key });
          const v = all[0]!;
          if (key === 'limit') {
            if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_API_LIMIT)
              throw new BadRequestError('invalid_limit', { zh: `limit 应为 1 到 ${MAX_API_LIMIT}`, en: `limit: 1 to ${MAX_API_LIMIT}` }, { field: 'limit' });
            limit = Number(v);
          } else if (key === 'after') after = v;
          else equals[key] = v;
        }
        return portal.records(societyCaller(request), request.params.code, { limit, ...(after !== undefined ? { after } : {}), equals });
      },
    );

    app.get(
      '/open/departments',
      {
        config: { access: anyone, openCache: true },
        schema: {
          tags: ['open'],
          summary: 'Departments with open datasets / 开放部门',
          response: { 200: z.object({ items: z.array(department) }), ...errors },
        },
      },
      async () => ({ items: await portal.departments() }),
    );
    app.get(
      '/open/departments/:id',
      {
        config: { access: anyone, openCache: true },
        schema: {
          tags: ['open'],
          summary: "A department's open datasets / 部门页",
          params: idParam,
          response: { 200: department.extend({ items: z.array(summarySchema) }), ...errors },
        },
      },
      async (request) => portal.department(request.params.id),
    );

    // ---- the use layer: applications, comments, data requests, showcase --------------------------

    app.post(
      '/open/datasets/:code/applications',
      {
        config: { access: member },
        schema: {
          tags: ['open'],
          summary: 'Apply for a 有条件开放 dataset (verified e-mail) / 提交开放申请',
          params: codeParam,
          body: z.object({
            purpose: z.string().trim().min(2).max(2000).describe('用途'),
            intendedUse: z.string().trim().min(2).max(4000).describe('拟使用方式'),
            applicant: z.object({
              name: z.string().trim().min(1).max(100),
              organization: z.string().max(200).optional(),
              uscc: z.string().max(18).optional(),
              phone: z.string().max(40).optional(),
            }),
          }),
          response: { 201: z.object({ id: z.string(), state: z.literal('submitted'), dueAt: z.date() }), ...errors },
        },
      },
      async (request, reply) => {
        const a = await participation.apply(societyCaller(request), request.params.code, request.body);
        return reply.status(201).send({ id: a.id, state: 'submitted' as const, dueAt: a.due_at });
      },
    );

    app.post(
      '/open/datasets/:code/comments',
      {
        config: { access: member },
        schema: {
          tags: ['open'],
          summary: 'Rate and comment a dataset (shown after moderation) / 评价',
          params: codeParam,
          body: z.object({ rating: z.number().int().min(1).max(5), body: z.string().trim().min(2).max(2000) }),
          response: { 201: z.object({ id: z.string(), state: z.literal('pending') }), ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await participation.comment(societyCaller(request), request.params.code, request.body)),
    );

    app.get(
      '/open/demands',
      {
        config: { access: anyone, openCache: true },
        schema: { tags: ['open'], summary: 'Answered data requests / 数据需求', response: { 200: z.object({ items: z.array(demandSchema) }), ...errors } },
      },
      async () => ({ items: (await participation.publicDemands()).map(toDemand) }),
    );
    app.get(
      '/open/demand-departments',
      {
        config: { access: anyone, openCache: true },
        schema: {
          tags: ['open'],
          summary: 'Departments a data request can go to / 可受理需求的部门',
          response: { 200: z.object({ items: z.array(z.object({ id: z.string(), name: z.string() })) }), ...errors },
        },
      },
      async () => ({ items: await participation.departments() }),
    );
    app.post(
      '/open/demands',
      {
        config: { access: member },
        schema: {
          tags: ['open'],
          summary: 'Ask a department for data / 提出数据需求',
          body: z.object({ orgId: z.uuid(), title: z.string().trim().min(2).max(200), body: z.string().trim().min(2).max(4000) }),
          response: { 201: z.object({ id: z.string(), state: z.literal('submitted') }), ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await participation.demand(societyCaller(request), request.body)),
    );

    app.get(
      '/open/showcases',
      {
        config: { access: anyone, openCache: true },
        schema: {
          tags: ['open'],
          summary: 'Applications built on open data / 应用展示',
          response: { 200: z.object({ items: z.array(showcaseSchema) }), ...errors },
        },
      },
      async () => ({ items: (await participation.publicShowcases()).map(toShowcase) }),
    );
    app.post(
      '/open/showcases',
      {
        config: { access: member },
        schema: {
          tags: ['open'],
          summary: 'Submit an application for the showcase (reviewed first) / 提交应用',
          body: z.object({
            title: z.string().trim().min(2).max(200),
            description: z.string().trim().min(2).max(4000),
            url: webUrl.optional(),
            datasets: z.array(z.string().min(1).max(64)).min(1).max(20),
          }),
          response: { 201: z.object({ id: z.string(), state: z.literal('pending') }), ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await participation.showcase(societyCaller(request), request.body)),
    );

    // The open API on its own, for developers (the full API is at /openapi.json).
    app.get('/open/openapi.json', { config: { access: anyone }, schema: { hide: true } }, async () => {
      const doc = app.swagger() as { paths?: Record<string, unknown>; info?: unknown };
      const paths = Object.fromEntries(
        Object.entries(doc.paths ?? {}).filter(([p]) => p.startsWith('/api/v1/open/datasets') || p.startsWith('/api/v1/open/departments')),
      );
      return { ...doc, info: { title: 'pdx 开放数据接口 / Open data API', version: '1' }, paths };
    });
  };
}

export function toDemand(d: DemandRow) {
  return {
    id: d.id,
    orgId: d.org_id,
    title: d.title,
    body: d.body,
    author: d.author,
    state: d.state,
    answer: d.answer,
    answeredAt: d.answered_at,
    createdAt: d.created_at,
  };
}

export function toShowcase(s: ShowcaseRow) {
  return {
    id: s.id,
    title: s.title,
    description: s.description,
    url: s.url,
    datasets: s.dataset_codes,
    author: s.author,
    state: s.state,
    reason: s.reason,
    createdAt: s.created_at,
  };
}

export function toComment(c: CommentRow) {
  return { id: c.id, dataset: c.dataset_code, author: c.author, rating: c.rating, body: c.body, state: c.state, createdAt: c.created_at };
}

/** `/open/catalog.jsonld`: the open catalogue as DCAT-AP, outside the API prefix. */
export function openRootRoutes(deps: { open: OpenService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/open/catalog.jsonld',
      { config: { access: anyone }, schema: { tags: ['open'], summary: 'The open catalogue as DCAT-AP (JSON-LD) / 开放目录' } },
      async (request, reply) => {
        // Harvesters poll it: an ETag over the document lets them revalidate without the body.
        const body = JSON.stringify(await deps.open.portal.catalogJsonLd());
        const etag = `W/"${createHash('sha1').update(body).digest('base64url')}"`;
        reply.type('application/ld+json; charset=utf-8').header('etag', etag).header('cache-control', 'public, no-cache');
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
        return body;
      },
    );
  };
}
