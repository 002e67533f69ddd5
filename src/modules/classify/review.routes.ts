import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DecisionRow } from './review.repo.ts';
import { policySchema, type CandidateInfo, type DatasetState, type ReviewService } from './review.service.ts';
import type { GradePolicy } from './grades.ts';
import { TYPE_IDS } from './types.ts';
import type { DatasetRow } from '../catalog/catalog.service.ts';
import { COMMON_ERRORS, callerOf, pickLanguage } from '../../http/kit.ts';

const errors = COMMON_ERRORS;
const code = z.object({
  code: z
    .string()
    .regex(/^\d{6}-\d{6}$/)
    .describe('资源代码'),
});
const grade = z.literal([1, 2, 3, 4]);
const level = z.enum(['general', 'important', 'core']);

const decisionSchema = z.object({
  level,
  reason: z.string(),
  version: z.number(),
  decidedBy: z.string().nullable(),
  decidedAt: z.date(),
});

const importantSchema = z.object({
  candidate: z.boolean().describe('重要数据候选（按当前策略）'),
  reasons: z.array(z.string()),
  persons: z.object({ type: z.string(), count: z.number(), exact: z.boolean() }).nullable().describe('去重人数及其计数列类型'),
  rows: z.number(),
  decision: decisionSchema.nullable(),
});

const summarySchema = z.object({
  code: z.string(),
  name: z.string(),
  providerName: z.string(),
  status: z.enum(['draft', 'published', 'withdrawn']),
  currentVersion: z.number(),
  state: z.enum(['unreviewed', 'confirmed', 'changed']).describe('unreviewed 未复核 / confirmed 已确认 / changed 新版本须重新复核'),
  confirmation: z.object({ version: z.number(), by: z.string().nullable(), at: z.date() }).nullable(),
  detectedGrade: grade,
  effectiveGrade: grade.describe('生效级别：各列生效级别的最高值（就高从严）'),
  flaggedColumns: z.array(z.string()),
  replaceColumns: z.array(z.string()).describe('已定为 4 级但明文存储、须替换上传的信息项'),
  needsReplace: z.boolean(),
  level: level.describe('general 一般数据 / important 重要数据 / core 核心数据'),
  important: importantSchema,
  protection: z.object({
    grade,
    encryptAtRest: z.boolean(),
    defaultShare: z.enum(['masked', 'clear']),
    clearRequires: z.array(z.enum(['provider', 'security'])),
  }),
});

const columnSchema = z.object({
  name: z.string(),
  position: z.number(),
  dataType: z.string(),
  encrypted: z.boolean(),
  detected: z.object({
    types: z.array(z.object({ type: z.string(), confidence: z.number(), matched: z.number(), checksumFailed: z.number() })),
    category: z.string().nullable(),
    sensitive: z.boolean(),
    grade,
    text: z
      .object({ spans: z.array(z.object({ type: z.string(), count: z.number() })), scanned: z.number() })
      .optional()
      .describe('自由文本列：值中发现的敏感片段类型及数量（按最敏感类型定级）'),
  }),
  detectedType: z.string().nullable(),
  effectiveType: z.string().nullable(),
  effectiveGrade: grade,
  overridden: z.boolean(),
  review: z
    .object({
      type: z.string().nullable(),
      grade: z.number(),
      override: z.boolean(),
      reason: z.string(),
      reviewer: z.string().nullable(),
      reviewedAt: z.date(),
      version: z.number(),
    })
    .nullable(),
  changed: z.boolean().describe('新版本识别结果高于已确认结果'),
  examples: z.array(z.string()).describe('脱敏示例值（自由文本列：脱敏后的敏感片段）'),
});

const viewSchema = summarySchema.extend({ columns: z.array(columnSchema), notice: z.string().nullable() });

const candidateSchema = z.object({
  code: z.string(),
  name: z.string(),
  providerName: z.string(),
  status: z.enum(['draft', 'published', 'withdrawn']),
  currentVersion: z.number(),
  grade: z.number().nullable(),
  important: importantSchema,
});

const reviewBody = z.object({
  version: z.int().min(1).optional().describe('复核时看到的版本号；数据已更新则 409'),
  columns: z
    .array(
      z.object({
        name: z.string().min(1).max(200),
        type: z.enum(TYPE_IDS).nullable().describe('确认的类型；null 表示无标识类型'),
        grade,
        reason: z.string().max(1000).optional().describe('修改识别结果时必填'),
      }),
    )
    .max(2000),
});

function toDecision(d: DecisionRow | null): z.infer<typeof decisionSchema> | null {
  return d && { level: d.level, reason: d.reason, version: d.version, decidedBy: d.decider_name, decidedAt: d.decided_at };
}

function toImportant(i: CandidateInfo): z.infer<typeof importantSchema> {
  return { candidate: i.candidate, reasons: i.reasons, persons: i.persons, rows: i.rows, decision: toDecision(i.decision) };
}

function toSummary(s: DatasetState): z.infer<typeof summarySchema> {
  return {
    code: s.dataset.code,
    name: s.dataset.name,
    providerName: s.dataset.provider_name,
    status: s.dataset.status,
    currentVersion: s.dataset.current_version,
    state: s.state,
    confirmation: s.confirmation && { version: s.confirmation.version, by: s.confirmation.by, at: s.confirmation.at },
    detectedGrade: s.detectedGrade,
    effectiveGrade: s.effectiveGrade,
    flaggedColumns: s.flaggedColumns,
    replaceColumns: s.replaceColumns,
    needsReplace: s.replaceColumns.length > 0,
    level: s.level,
    important: toImportant(s.important),
    protection: {
      grade: s.protection.grade,
      encryptAtRest: s.protection.encryptAtRest,
      defaultShare: s.protection.defaultShare,
      clearRequires: s.protection.clearRequires,
    },
  };
}

function toView(s: DatasetState & { examples: string[][] }, lang: 'zh' | 'en'): z.infer<typeof viewSchema> {
  const notice = s.replaceColumns.length
    ? lang === 'zh'
      ? `信息项 ${s.replaceColumns.join('、')} 已定为 4 级，但现有数据以明文存储（无法就地加密）：请以替换方式重新上传数据，之后方可发布。`
      : `Columns ${s.replaceColumns.join(', ')} are now grade 4 but their stored values are in clear (they cannot be encrypted in place): upload the data again in replace mode before publishing.`
    : null;
  return {
    ...toSummary(s),
    notice,
    columns: s.columns.map((c, i) => ({
      name: c.name,
      position: c.position,
      dataType: c.dataType,
      encrypted: c.encrypted,
      detected: c.detected,
      detectedType: c.detectedType,
      effectiveType: c.effectiveType,
      effectiveGrade: c.effectiveGrade,
      overridden: c.review?.override ?? false,
      review: c.review && {
        type: c.review.confirmed_type,
        grade: c.review.grade,
        override: c.review.override,
        reason: c.review.reason,
        reviewer: c.review.reviewer_name,
        reviewedAt: c.review.reviewed_at,
        version: c.review.version,
      },
      changed: c.changed,
      examples: s.examples[i] ?? [],
    })),
  };
}

function toCandidate(x: { dataset: DatasetRow; info: CandidateInfo }): z.infer<typeof candidateSchema> {
  const d = x.dataset;
  return {
    code: d.code,
    name: d.name,
    providerName: d.provider_name,
    status: d.status,
    currentVersion: d.current_version,
    grade: d.grade,
    important: toImportant(x.info),
  };
}

const reviewers = { roles: ['data_officer', 'secadmin'] as const };
const officer = { roles: ['data_officer'] as const };
const secadmin = { roles: ['secadmin'] as const };

/** Classification review, 重要数据 decisions and the classification policy. */
export function reviewRoutes(deps: { review: ReviewService }): FastifyPluginAsyncZod {
  const { review } = deps;
  return async (app) => {
    app.get(
      '/classification/datasets',
      {
        config: { access: reviewers },
        schema: {
          tags: ['classify'],
          summary: 'Datasets and their review state / 分类分级复核列表',
          description: 'Data officers see their organisation’s datasets, the secadmin all.',
          response: { 200: z.object({ items: z.array(summarySchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await review.list(callerOf(request).principal)).map(toSummary) }),
    );
    app.get(
      '/datasets/:code/classification',
      {
        config: { access: reviewers },
        schema: {
          tags: ['classify'],
          summary: 'Classification of a dataset for review / 分类分级结果',
          params: code,
          response: { 200: viewSchema, ...errors },
        },
      },
      async (request) => toView(await review.view(callerOf(request), request.params.code), pickLanguage(request)),
    );
    app.get(
      '/datasets/:code/preview',
      {
        config: { access: reviewers },
        schema: {
          tags: ['classify'],
          summary: 'The first rows, masked, for the provider and the secadmin / 数据预览（脱敏）',
          description:
            'Each value as the classification review shows it: masked by its type; 1级/2级 columns without a personal type plain; persons in free text masked. Recorded in the audit log.',
          params: code,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) }),
          response: {
            200: z.object({
              version: z.number(),
              columns: z.array(z.object({ name: z.string(), mode: z.enum(['clear', 'masked', 'redacted']) })),
              rows: z.array(z.array(z.string().nullable())),
            }),
            ...errors,
          },
        },
      },
      async (request) => review.preview(callerOf(request), request.params.code, request.query.limit),
    );
    app.put(
      '/datasets/:code/classification',
      {
        config: { access: officer },
        schema: {
          tags: ['classify'],
          summary: 'Confirm or override the classification / 复核确认分类分级',
          params: code,
          body: reviewBody,
          response: { 200: viewSchema, ...errors },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        await review.review(caller, request.params.code, request.body);
        return toView(await review.view(caller, request.params.code), pickLanguage(request));
      },
    );
    app.get(
      '/classification/candidates',
      {
        config: { access: secadmin },
        schema: {
          tags: ['classify'],
          summary: 'Important-data candidates / 重要数据候选',
          querystring: z.object({ all: z.enum(['true', 'false']).optional().describe('true：也列出已认定的') }),
          response: { 200: z.object({ items: z.array(candidateSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await review.candidates(callerOf(request).principal, { all: request.query.all === 'true' })).map(toCandidate) }),
    );
    app.post(
      '/classification/candidates/:code/decision',
      {
        config: { access: secadmin },
        schema: {
          tags: ['classify'],
          summary: 'Decide an important-data candidate / 重要数据认定',
          params: code,
          body: z.object({ level: level.describe('important 重要数据 / core 核心数据 / general 一般数据'), reason: z.string().max(2000) }),
          response: { 200: candidateSchema, ...errors },
        },
      },
      async (request) => toCandidate(await review.decide(callerOf(request), request.params.code, request.body)),
    );
    app.get(
      '/classification/policy',
      {
        config: { access: secadmin },
        schema: { tags: ['classify'], summary: 'Classification policy / 分类分级策略', response: { 200: policySchema, ...errors } },
      },
      async () => review.loadPolicy(),
    );
    app.put(
      '/classification/policy',
      {
        config: { access: secadmin },
        schema: {
          tags: ['classify'],
          summary: 'Change the classification policy / 修改分类分级策略',
          body: policySchema,
          response: { 200: policySchema, ...errors },
        },
      },
      async (request) => review.setPolicy(callerOf(request), request.body as GradePolicy),
    );
  };
}
