import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ColumnRow, DatasetRow, VersionRow } from './catalog.repo.ts';
import { DATASET_DEFAULTS, type CatalogService } from './catalog.service.ts';
import { catalogJsonLd, catalogXlsx } from './catalog.export.ts';
import { COMMON_ERRORS, callerOf } from '../../http/kit.ts';
import { upkeepSchema, type UpkeepSource } from './upkeep.ts';
import { columnClassificationSchema, versionErrorSchema, versionSourceSchema } from './version-fields.ts';

const errors = COMMON_ERRORS;
const shareType = z.enum(['unconditional', 'conditional', 'none']);
const dataType = z.enum(['integer', 'decimal', 'boolean', 'date', 'timestamp', 'text']);
const code = z.object({
  code: z
    .string()
    .regex(/^\d{6}-\d{6}$/)
    .describe('资源代码'),
});

export const datasetSchema = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  providerOrgId: z.string(),
  providerName: z.string(),
  summary: z.string(),
  domain: z.string(),
  category: z.string(),
  format: z.string(),
  shareType,
  shareConditions: z.string(),
  shareMethods: z.array(z.enum(['api', 'table', 'file'])),
  openType: shareType,
  updateCycle: z.string(),
  publishDate: z.string().nullable(),
  relatedCodes: z.array(z.string()),
  tags: z.array(z.string()),
  contact: z.object({ name: z.string().optional(), phone: z.string().optional(), email: z.string().optional() }),
  status: z.enum(['draft', 'published', 'withdrawn']),
  onInvalid: z.enum(['reject', 'quarantine']),
  currentVersion: z.number(),
  rowCount: z.number(),
  grade: z.number().nullable(),
  importantCandidate: z.boolean(),
  resourceKind: z.enum(['table', 'telemetry', 'service']),
  updatedAt: z.date(),
  upkeep: upkeepSchema.optional().describe('目录挂接与按期更新（目录检索与资源详情中给出）'),
});

const rulesSchema = z.object({
  required: z.boolean().optional(),
  unique: z.boolean().optional(),
  pattern: z.string().max(500).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  enum: z.array(z.string()).max(1000).optional(),
  identifier: z.string().optional(),
});

export const columnSchema = z.object({
  position: z.number(),
  name: z.string(),
  label: z.string(),
  dataType,
  description: z.string(),
  rules: rulesSchema,
  grade: z.number().nullable(),
  encrypted: z.boolean(),
  classification: columnClassificationSchema,
});

const versionSchema = z.object({
  version: z.number(),
  state: z.enum(['loading', 'active', 'failed', 'superseded']),
  mode: z.enum(['append', 'replace', 'correct']).describe('correct：数据纠错版本，只含更正的行'),
  jobId: z.string().nullable(),
  source: versionSourceSchema,
  rowsLoaded: z.number(),
  rowsQuarantined: z.number(),
  quality: z.record(z.string(), z.unknown()).nullable(),
  error: versionErrorSchema.nullable(),
  createdAt: z.date(),
  activatedAt: z.date().nullable(),
});

const datasetInput = z.object({
  name: z.string().trim().min(2).max(200).describe('资源名称'),
  summary: z.string().max(4000).default(DATASET_DEFAULTS.summary).describe('资源摘要'),
  domain: z.string().max(100).default(DATASET_DEFAULTS.domain).describe('行业领域/主题'),
  category: z.string().max(200).default(DATASET_DEFAULTS.category).describe('资源分类（类/项/目/细目）'),
  format: z.string().max(50).default(DATASET_DEFAULTS.format).describe('资源格式'),
  share_type: shareType.default(DATASET_DEFAULTS.share_type).describe('共享类型'),
  share_conditions: z.string().max(2000).default(DATASET_DEFAULTS.share_conditions).describe('共享条件'),
  share_methods: z
    .array(z.enum(['api', 'table', 'file']))
    .min(1)
    .default(DATASET_DEFAULTS.share_methods)
    .describe('共享方式'),
  open_type: shareType.default(DATASET_DEFAULTS.open_type).describe('开放类型'),
  update_cycle: z
    .enum(['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'])
    .default(DATASET_DEFAULTS.update_cycle)
    .describe('更新周期'),
  related_codes: z.array(z.string().max(50)).max(50).default(DATASET_DEFAULTS.related_codes).describe('关联资源代码'),
  tags: z.array(z.string().max(50)).max(50).default(DATASET_DEFAULTS.tags),
  contact: z
    .object({ name: z.string().max(50).optional(), phone: z.string().max(30).optional(), email: z.string().max(100).optional() })
    .default(DATASET_DEFAULTS.contact),
  on_invalid: z.enum(['reject', 'quarantine']).default(DATASET_DEFAULTS.on_invalid).describe('含无效行的版本：拒绝或隔离'),
});

export function toDataset(d: DatasetRow): z.infer<typeof datasetSchema> {
  return {
    id: d.id,
    code: d.code,
    name: d.name,
    providerOrgId: d.provider_org_id,
    providerName: d.provider_name,
    summary: d.summary,
    domain: d.domain,
    category: d.category,
    format: d.format,
    shareType: d.share_type,
    shareConditions: d.share_conditions,
    shareMethods: d.share_methods,
    openType: d.open_type,
    updateCycle: d.update_cycle,
    publishDate: d.publish_date,
    relatedCodes: d.related_codes,
    tags: d.tags,
    contact: d.contact,
    status: d.status,
    onInvalid: d.on_invalid,
    currentVersion: d.current_version,
    rowCount: d.row_count,
    grade: d.grade,
    importantCandidate: d.important_candidate,
    resourceKind: d.resource_kind,
    updatedAt: d.updated_at,
  };
}

export function toColumn(c: ColumnRow): z.infer<typeof columnSchema> {
  return {
    position: c.position,
    name: c.name,
    label: c.label,
    dataType: c.data_type,
    description: c.description,
    rules: c.rules,
    grade: c.grade,
    encrypted: c.encrypted,
    classification: c.classification,
  };
}

function toVersion(v: VersionRow): z.infer<typeof versionSchema> {
  return {
    version: v.version,
    state: v.state,
    mode: v.mode,
    jobId: v.job_id,
    source: v.source,
    rowsLoaded: v.rows_loaded,
    rowsQuarantined: v.rows_quarantined,
    quality: v.quality,
    error: v.error,
    createdAt: v.created_at,
    activatedAt: v.activated_at,
  };
}

const facetSchema = z.array(z.object({ value: z.string(), label: z.string(), count: z.number() }));
const officer = { roles: ['data_officer'] as const };
const anyone = { authenticated: true as const, apiKey: true };

/** The catalogue: metadata, 信息项, versions, search with facets, DCAT and XLSX exports. */
export function catalogRoutes(deps: {
  catalog: CatalogService;
  /** PDX_PUBLIC_URL: the base of the DCAT ids. */
  publicUrl?: string;
  /** Judges each entry's upkeep (目录挂接, the duties module). */
  upkeep?: UpkeepSource;
}): FastifyPluginAsyncZod {
  const { catalog } = deps;
  /** Catalogue entries as the API shows them, with their upkeep. */
  async function shown(rows: DatasetRow[]): Promise<z.infer<typeof datasetSchema>[]> {
    const upkeep = (await deps.upkeep?.of(rows)) ?? new Map();
    return rows.map((d) => {
      const u = upkeep.get(d.id);
      return { ...toDataset(d), ...(u ? { upkeep: u } : {}) };
    });
  }
  const one = async (d: DatasetRow) => (await shown([d]))[0]!;
  // The ids of the DCAT document come from configuration, never from the request's Host header
  // (which any caller sets); without PDX_PUBLIC_URL they are relative to where the document was read.
  const base = deps.publicUrl?.replace(/\/+$/, '') ?? '';
  return async (app) => {
    app.get(
      '/datasets',
      {
        config: { access: anyone },
        schema: {
          tags: ['catalog'],
          summary: 'Search the catalogue / 目录检索',
          querystring: z.object({
            q: z.string().max(200).optional().describe('关键词，如 人口'),
            org: z.uuid().optional(),
            domain: z.string().max(100).optional(),
            shareType: shareType.optional(),
            openType: shareType.optional(),
            grade: z.coerce.number().int().min(1).max(4).optional(),
            status: z.enum(['draft', 'published', 'withdrawn']).optional(),
            page: z.coerce.number().int().min(1).default(1),
            pageSize: z.coerce.number().int().min(1).max(200).default(20),
          }),
          response: {
            200: z.object({
              total: z.number(),
              items: z.array(datasetSchema),
              facets: z.object({
                org: facetSchema,
                domain: facetSchema,
                shareType: facetSchema,
                openType: facetSchema,
                grade: facetSchema,
                status: facetSchema,
              }),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const result = await catalog.search(callerOf(request).principal, request.query);
        return { ...result, items: await shown(result.items) };
      },
    );
    app.post(
      '/datasets',
      {
        config: { access: officer },
        schema: { tags: ['catalog'], summary: 'Register a dataset (draft) / 新建数据资源', body: datasetInput, response: { 201: datasetSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(toDataset(await catalog.create(callerOf(request), request.body))),
    );
    app.get(
      '/datasets/:code',
      {
        config: { access: anyone },
        schema: { tags: ['catalog'], summary: 'A catalogue entry / 资源详情', params: code, response: { 200: datasetSchema, ...errors } },
      },
      async (request) => one(await catalog.get(callerOf(request).principal, request.params.code)),
    );
    app.patch(
      '/datasets/:code',
      {
        config: { access: officer },
        schema: {
          tags: ['catalog'],
          summary: 'Edit a catalogue entry / 修改资源',
          params: code,
          body: datasetInput.partial(),
          response: { 200: datasetSchema, ...errors },
        },
      },
      async (request) => one(await catalog.update(callerOf(request), request.params.code, request.body)),
    );
    app.get(
      '/datasets/:code/columns',
      {
        config: { access: anyone },
        schema: { tags: ['catalog'], summary: '信息项 of a dataset', params: code, response: { 200: z.object({ items: z.array(columnSchema) }), ...errors } },
      },
      async (request) => ({ items: (await catalog.columns(callerOf(request).principal, request.params.code)).map(toColumn) }),
    );
    app.put(
      '/datasets/:code/columns',
      {
        config: { access: officer },
        schema: {
          tags: ['catalog'],
          summary: 'Confirm or change column types, labels and rules / 确认信息项',
          params: code,
          body: z.object({
            columns: z
              .array(
                z.object({
                  name: z.string(),
                  label: z.string().max(200).optional(),
                  dataType: dataType.optional(),
                  description: z.string().max(2000).optional(),
                  rules: rulesSchema.optional(),
                }),
              )
              .max(1000),
          }),
          response: { 200: z.object({ items: z.array(columnSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await catalog.updateColumns(callerOf(request), request.params.code, request.body.columns)).map(toColumn) }),
    );
    for (const action of ['publish', 'withdraw'] as const) {
      app.post(
        `/datasets/:code/${action}`,
        {
          config: { access: officer },
          schema: {
            tags: ['catalog'],
            summary: action === 'publish' ? 'Publish to the catalogue / 发布' : 'Withdraw / 撤回',
            params: code,
            response: { 200: datasetSchema, ...errors },
          },
        },
        async (request) => one(await catalog[action](callerOf(request), request.params.code)),
      );
    }
    app.get(
      '/datasets/:code/versions',
      {
        config: { access: anyone },
        schema: {
          tags: ['catalog'],
          summary: 'Versions of a dataset / 数据版本',
          params: code,
          response: { 200: z.object({ items: z.array(versionSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await catalog.versions(callerOf(request).principal, request.params.code)).map(toVersion) }),
    );
    app.get(
      '/datasets/:code/versions/:version',
      {
        config: { access: { roles: ['data_officer', 'secadmin'] } },
        schema: {
          tags: ['catalog'],
          summary: 'Quality report and quarantined lines of a version / 质量报告',
          params: code.extend({ version: z.coerce.number().int().min(1) }),
          response: { 200: z.object({ version: versionSchema, quarantined: z.array(z.object({ line: z.number(), problems: z.unknown() })) }), ...errors },
        },
      },
      async (request) => {
        const report = await catalog.versionReport(callerOf(request).principal, request.params.code, request.params.version);
        return { version: toVersion(report.version), quarantined: report.quarantined };
      },
    );
    app.get(
      '/catalog.jsonld',
      { config: { access: anyone }, schema: { tags: ['catalog'], summary: 'Published catalogue as DCAT JSON-LD' } },
      async (_request, reply) => {
        reply.type('application/ld+json; charset=utf-8');
        return catalogJsonLd(await catalog.published(), (id) => catalog.columnsOf(id), base);
      },
    );
    app.get(
      '/catalog.xlsx',
      { config: { access: anyone }, schema: { tags: ['catalog'], summary: 'Published catalogue as an XLSX 目录 sheet' } },
      async (_request, reply) => {
        const buffer = await catalogXlsx(await catalog.published(), (id) => catalog.columnsOf(id));
        reply.header('content-disposition', `attachment; filename="catalog.xlsx"; filename*=UTF-8''${encodeURIComponent('政务信息资源目录.xlsx')}`);
        reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        return reply.send(buffer);
      },
    );
  };
}
