/**
 * Data sources (数据源) and bindings (库表绑定) of a provider's data officers. A source is visible to
 * its own organisation only (others get "not found"); no response carries the password.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, COMMON_ERRORS as errors } from '../../http/kit.ts';
import { SOURCE_KINDS } from './connectors.ts';
import { bindingView, type ExchangeService } from './exchange.service.ts';

const officer = { roles: ['data_officer'] as const };
export const idParam = z.object({ id: z.uuid() });
const codeParam = z.object({
  code: z
    .string()
    .regex(/^\d{6}-\d{6}$/)
    .describe('资源代码'),
});
export const message = z.object({ zh: z.string(), en: z.string() });
/** Source identifiers: any printable name up to the common 63/64-character limits. */
const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\u0000-\u001f]+$/);

export const sourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  host: z.string(),
  port: z.number(),
  database: z.string(),
  user: z.string(),
  tls: z.enum(['verify-full', 'require', 'off']),
  hasCa: z.boolean(),
  state: z.enum(['active', 'disabled']),
  createdAt: z.date(),
});

/** A database to register (a source, or a push target): the password is write-only. */
export const sourceBody = z.object({
  name: z.string().min(1).max(100),
  kind: z.enum(SOURCE_KINDS as [string, ...string[]]).describe('postgresql | mysql (MySQL and MariaDB)'),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  database: name,
  user: name,
  password: z.string().min(1).max(1024),
  tls: z.enum(['verify-full', 'require', 'off']).default('verify-full'),
  ca: z.string().max(65536).optional().describe('PEM of the CA (verify-full)'),
});

/** Changes to a registered database: fields left out keep their value; a blank or missing password keeps the stored one. */
export const sourcePatch = sourceBody
  .omit({ kind: true, password: true, tls: true })
  .partial()
  .extend({
    password: z.string().max(1024).optional().describe('blank or missing: unchanged'),
    tls: z.enum(['verify-full', 'require', 'off']).optional(),
  });

/** The answer of "test connection": a failure is an answer (ok false), not an error. */
export const testSchema = z.object({
  ok: z.boolean(),
  version: z.string().optional(),
  privileges: z.array(z.string()).optional(),
  canWrite: z.boolean().optional(),
  warnings: z.array(message).optional(),
  error: z.object({ code: z.string(), message }).optional(),
});

/** A test outcome as the API answers it. */
export const testAnswer = (r: Awaited<ReturnType<ExchangeService['testSource']>>) => (r.ok ? { ok: true, ...r.outcome, warnings: r.warnings } : r);

const mapped = z.object({ source: name, name: z.string().min(1).max(100) });
const bindingSchema = z.object({
  id: z.string(),
  sourceId: z.string(),
  schema: z.string(),
  table: z.string(),
  columns: z.array(z.object({ source: z.string(), name: z.string() })),
  mode: z.enum(['replace', 'incremental', 'cdc']),
  cursorColumn: z.string().nullable(),
  keyColumn: z.string().nullable(),
  softDeleteColumn: z.string().nullable().describe('boolean column true when deleted, or date/time column set when deleted'),
  intervalMinutes: z.number().nullable(),
  cron: z.string().nullable().describe('cron expression, Asia/Shanghai'),
  nextRunAt: z.date().nullable().describe('when the schedule next runs the binding'),
  highWater: z.string().nullable(),
  lastVersion: z.number().nullable(),
  consecutiveFailures: z.number(),
  lastError: z.object({ code: z.string(), message, details: z.unknown().optional() }).nullable(),
  state: z.enum(['active', 'paused']),
  cdc: z
    .object({
      slot: z.string().describe('replication slot at the source (pdx drops it with the binding)'),
      publication: z.string(),
      lsn: z.string().nullable().describe('end LSN of the last source transaction applied; 0/0: snapshot loaded, no change yet; null: no snapshot yet'),
      appliedAt: z.date().nullable(),
    })
    .nullable()
    .describe('cdc mode only'),
});

const lagSchema = z.object({
  bytes: z
    .number()
    .nullable()
    .describe('WAL bytes not yet confirmed by pdx: pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn); null when the source did not answer'),
  lsn: z.string().nullable(),
  appliedAt: z.date().nullable().describe('when pdx last applied a batch of changes'),
  secondsSinceApplied: z.number().nullable(),
  streaming: z.boolean().describe('a pdx process is streaming the binding now'),
  error: z.object({ code: z.string(), message }).nullable(),
});

/** A binding's schedule: every N minutes, or a cron expression in Asia/Shanghai; neither: only on request. */
const scheduleFields = {
  intervalMinutes: z.number().int().min(1).max(525600).optional().describe('every N minutes; none (and no cron): runs only on request'),
  cron: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('cron expression (minute hour day month weekday, or @daily …) in Asia/Shanghai; instead of intervalMinutes'),
};

const runSchema = z.object({
  id: z.string(),
  jobId: z.string().nullable(),
  state: z.enum(['running', 'succeeded', 'unchanged', 'failed']),
  version: z.number().nullable(),
  rowsRead: z.number(),
  rowsApplied: z.number(),
  rowsQuarantined: z.number(),
  rowsDeleted: z.number().describe('soft-deleted source rows whose stored row the run removed'),
  highWater: z.string().nullable(),
  error: z.object({ code: z.string(), message }).nullable(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  durationMs: z.number().nullable(),
});

export function exchangeRoutes(deps: { exchange: ExchangeService }): FastifyPluginAsyncZod {
  const { exchange } = deps;
  return async (app) => {
    app.post(
      '/exchange/sources',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Register a department database / 登记数据源',
          description: 'The password is stored encrypted under the master key and never returned.',
          body: sourceBody,
          response: { 201: sourceSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await exchange.addSource(callerOf(request), request.body as Parameters<ExchangeService['addSource']>[1])),
    );

    app.get(
      '/exchange/sources',
      {
        config: { access: officer },
        schema: { tags: ['exchange'], summary: "Your organisation's data sources / 数据源列表", response: { 200: z.array(sourceSchema), ...errors } },
      },
      async (request) => exchange.listSources(callerOf(request)),
    );

    app.get(
      '/exchange/sources/:id',
      {
        config: { access: officer },
        schema: { tags: ['exchange'], summary: 'A data source / 数据源', params: idParam, response: { 200: sourceSchema, ...errors } },
      },
      async (request) => exchange.getSource(callerOf(request), request.params.id),
    );

    app.post(
      '/exchange/sources/:id/state',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Enable or disable a data source / 启用或停用数据源',
          params: idParam,
          body: z.object({ state: z.enum(['active', 'disabled']) }),
          response: { 200: sourceSchema, ...errors },
        },
      },
      async (request) => exchange.setSourceState(callerOf(request), request.params.id, request.body.state),
    );

    app.patch(
      '/exchange/sources/:id',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Change a data source / 修改数据源',
          description: 'Fields left out keep their value; a blank password keeps the stored one. The kind cannot change.',
          params: idParam,
          body: sourcePatch,
          response: { 200: sourceSchema, ...errors },
        },
      },
      async (request) => exchange.updateSource(callerOf(request), request.params.id, request.body),
    );

    app.post(
      '/exchange/sources/:id/test',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Test the connection: reachability, version, privileges / 测试连接',
          params: idParam,
          response: { 200: testSchema, ...errors },
        },
      },
      async (request) => testAnswer(await exchange.testSource(callerOf(request), request.params.id)),
    );

    app.get(
      '/exchange/sources/:id/tables',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Tables and views the source user can read / 源库表',
          params: idParam,
          response: { 200: z.array(z.object({ schema: z.string(), table: z.string(), kind: z.enum(['table', 'view']) })), ...errors },
        },
      },
      async (request) => exchange.tables(callerOf(request), request.params.id),
    );

    app.get(
      '/exchange/sources/:id/columns',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Columns of a source table / 源表字段',
          params: idParam,
          querystring: z.object({ schema: name, table: name }),
          response: { 200: z.array(z.object({ name: z.string(), type: z.string() })), ...errors },
        },
      },
      async (request) => exchange.columns(callerOf(request), request.params.id, request.query),
    );

    app.get(
      '/exchange/sources/:id/preview',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'First rows of a source table, classified as an upload would be / 预览源表',
          description:
            'Per column: the source type, the type pdx would store, detected types, category, grade and whether it is stored encrypted; values of encrypted columns (grade 4) are masked.',
          params: idParam,
          querystring: z.object({ schema: name, table: name, limit: z.coerce.number().int().min(1).max(100).default(20) }),
          response: {
            200: z.object({
              grade: z.number(),
              importantCandidate: z.boolean(),
              columns: z.array(
                z.object({
                  name: z.string(),
                  sourceType: z.string(),
                  dataType: z.enum(['integer', 'decimal', 'boolean', 'date', 'timestamp', 'text']),
                  types: z.array(z.string()),
                  category: z.string().nullable(),
                  sensitive: z.boolean(),
                  grade: z.number(),
                  encrypted: z.boolean(),
                  maskAs: z.string().nullable(),
                }),
              ),
              rows: z.array(z.array(z.string().nullable())),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        exchange.preview(callerOf(request), request.params.id, { schema: request.query.schema, table: request.query.table }, request.query.limit),
    );

    app.put(
      '/datasets/:code/binding',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Bind the dataset to a source table / 绑定库表',
          params: codeParam,
          body: z.object({
            sourceId: z.uuid(),
            schema: name,
            table: name,
            columns: z.array(mapped).min(1).max(1000).optional().describe('源列 → 信息项；默认为全部列 / source column → column; default all columns'),
            mode: z.enum(['replace', 'incremental', 'cdc']).describe('cdc: PostgreSQL sources; logical replication, applied continuously'),
            cursorColumn: name.optional(),
            keyColumn: name.optional().describe('incremental: upsert key; cdc (required): the primary key / replica identity'),
            softDeleteColumn: name
              .optional()
              .describe(
                'incremental with keyColumn only: a boolean column (true when deleted) or a date/time column (set when deleted); such a row beyond the mark removes the stored row of its key',
              ),
            ...scheduleFields,
          }),
          response: { 201: bindingSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await exchange.bind(callerOf(request), request.params.code, request.body)),
    );

    app.get(
      '/datasets/:code/binding',
      {
        config: { access: officer },
        schema: { tags: ['exchange'], summary: "The dataset's binding / 库表绑定", params: codeParam, response: { 200: bindingSchema, ...errors } },
      },
      async (request) => bindingView(await exchange.binding(callerOf(request), request.params.code)),
    );

    app.get(
      '/exchange/bindings',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: "Your organisation's bindings / 库表绑定列表",
          response: { 200: z.array(bindingSchema.extend({ dataset: z.string(), datasetName: z.string(), sourceName: z.string() })), ...errors },
        },
      },
      async (request) => exchange.bindings(callerOf(request)),
    );

    app.put(
      '/datasets/:code/binding/schedule',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: "Change the binding's schedule / 修改同步计划",
          params: codeParam,
          body: z.object(scheduleFields),
          response: { 200: bindingSchema, ...errors },
        },
      },
      async (request) => bindingView(await exchange.schedule(callerOf(request), request.params.code, request.body)),
    );

    app.get(
      '/datasets/:code/binding/runs',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: "The binding's run history, newest first / 同步记录",
          params: codeParam,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
          response: { 200: z.array(runSchema), ...errors },
        },
      },
      async (request) => exchange.runs(callerOf(request), request.params.code, request.query.limit),
    );

    app.get(
      '/datasets/:code/binding/lag',
      {
        config: { access: officer },
        schema: { tags: ['exchange'], summary: "A CDC binding's lag / CDC 同步延迟", params: codeParam, response: { 200: lagSchema, ...errors } },
      },
      async (request) => exchange.lag(callerOf(request), request.params.code),
    );

    app.delete(
      '/datasets/:code/binding',
      {
        config: { access: officer },
        schema: { tags: ['exchange'], summary: 'Remove the binding / 解除绑定', params: codeParam, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await exchange.unbind(callerOf(request), request.params.code);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/datasets/:code/sync',
      {
        config: { access: officer },
        schema: {
          tags: ['exchange'],
          summary: 'Run the binding now / 立即同步',
          description: 'Returns a job id; poll GET /api/v1/jobs/{id}.',
          params: codeParam,
          response: { 202: z.object({ jobId: z.string() }), ...errors },
        },
      },
      async (request, reply) => reply.status(202).send({ jobId: await exchange.sync(callerOf(request), request.params.code) }),
    );
  };
}
