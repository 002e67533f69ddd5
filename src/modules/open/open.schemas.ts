/** zod schemas shared by the open-data route files (responses strip what they do not declare). */
import { z } from 'zod';
import { errorResponses } from '../../http/kit.ts';
import { HIERARCHY_KINDS } from './hierarchies.ts';
import { COLUMN_ROLES, type ApplicationRow } from './open.repo.ts';
import { applicationState } from './participation.ts';

export const errors = errorResponses(400, 401, 403, 404, 409, 429, 503);
export const codeParam = z.object({ code: z.string().min(1).max(64).describe('资源代码') });
export const idParam = z.object({ id: z.uuid() });
export const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const message = z.object({ zh: z.string(), en: z.string() });

export const summarySchema = z.object({
  code: z.string(),
  name: z.string(),
  summary: z.string(),
  domain: z.string(),
  provider: z.object({ id: z.string(), name: z.string() }),
  region: z.object({ code: z.string(), name: z.string() }),
  format: z.string(),
  updateCycle: z.string(),
  openType: z.enum(['unconditional', 'conditional']),
  tags: z.array(z.string()),
  rows: z.number(),
  release: z.number(),
  publishedAt: z.date(),
  downloads: z.number(),
  apiCalls: z.number(),
  rating: z.number().nullable(),
  ratings: z.number(),
  quality: z.number(),
});

const riskSchema = z.object({ recordsAtRisk: z.number(), highestRisk: z.number(), successRate: z.number() });
export const risksSchema = z.object({ prosecutor: riskSchema, journalist: riskSchema, marketer: z.object({ successRate: z.number() }) });

export const nodeSchema = z.object({
  levels: z.array(z.object({ name: z.string(), level: z.number(), label: message })),
  passes: z.boolean(),
  misses: z.array(z.enum(['k', 'l', 'suppression'])),
  rows: z.number(),
  keptRows: z.number(),
  suppressedRows: z.number(),
  suppression: z.number(),
  classes: z.number(),
  k: z.number().nullable(),
  l: z.array(z.number().nullable()),
  informationLoss: z.number(),
  risks: risksSchema,
  classSizes: z.array(z.object({ from: z.number(), to: z.number().nullable(), classes: z.number(), rows: z.number() })),
});

export const reportSchema = z.object({
  standards: z.array(z.string()),
  dataset: z.object({ code: z.string(), name: z.string(), version: z.number() }),
  checkedAt: z.string(),
  thresholds: z.object({ k: z.number(), l: z.number(), maxSuppression: z.number() }),
  rows: z.number(),
  columns: z.array(
    z.object({
      name: z.string(),
      role: z.enum(COLUMN_ROLES as [string, ...string[]]),
      grade: z.number().nullable(),
      type: z.string().nullable(),
      hierarchy: z.string().nullable(),
      level: z.number().nullable(),
      levelName: message.nullable(),
    }),
  ),
  removed: z.array(z.string()),
  quasiIdentifiers: z.array(z.string()),
  sensitive: z.array(z.string()),
  result: nodeSchema,
  passed: z.boolean(),
  proposals: z.array(nodeSchema.extend({ strategy: z.enum(['greedy', 'no_suppression', 'least_loss', 'path']) })),
  snapshot: z.object({ rows: z.number(), k: z.number().nullable(), l: z.array(z.number().nullable()) }).optional(),
});

export const planColumnSchema = z.object({
  name: z.string().min(1).max(128),
  role: z
    .enum(COLUMN_ROLES as [string, ...string[]])
    .describe('direct 直接标识符（删除）· quasi 准标识符（泛化）· sensitive 敏感属性 · insensitive 非敏感 · excluded 不发布'),
  hierarchy: z.enum(HIERARCHY_KINDS),
  level: z.number().int().min(0).max(10),
});

export const applicationSchema = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  purpose: z.string(),
  intendedUse: z.string(),
  applicant: z.object({ name: z.string(), organization: z.string().optional(), uscc: z.string().optional(), phone: z.string().optional() }),
  email: z.string().optional(),
  state: z.enum(['submitted', 'approved', 'rejected', 'expired']),
  dueAt: z.date(),
  overdue: z.boolean(),
  terms: z.object({ until: z.string(), conditions: z.string() }).nullable(),
  reason: z.string().nullable(),
  decidedAt: z.date().nullable(),
  createdAt: z.date(),
});

export function toApplication(a: ApplicationRow) {
  return {
    id: a.id,
    dataset: { code: a.dataset_code, name: a.dataset_name },
    purpose: a.purpose,
    intendedUse: a.intended_use,
    applicant: a.applicant,
    ...(a.email ? { email: a.email } : {}),
    state: applicationState(a),
    dueAt: a.due_at,
    overdue: a.state === 'submitted' && a.due_at < new Date(),
    terms: a.terms,
    reason: a.reason,
    decidedAt: a.decided_at,
    createdAt: a.created_at,
  };
}

export const demandSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  title: z.string(),
  body: z.string(),
  author: z.string(),
  state: z.enum(['submitted', 'answered', 'rejected']),
  answer: z.string().nullable(),
  answeredAt: z.date().nullable(),
  createdAt: z.date(),
});

export const showcaseSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  url: z.string().nullable(),
  datasets: z.array(z.string()),
  author: z.string(),
  state: z.enum(['pending', 'approved', 'rejected']),
  reason: z.string().nullable(),
  createdAt: z.date(),
});

export const commentSchema = z.object({
  id: z.string(),
  dataset: z.string(),
  author: z.string(),
  rating: z.number(),
  body: z.string(),
  state: z.enum(['pending', 'approved', 'rejected']),
  createdAt: z.date(),
});

/** An http(s) address (a showcase link is shown to everyone: no javascript: or data: URLs). */
export const webUrl = z
  .string()
  .max(500)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'http(s) only');
