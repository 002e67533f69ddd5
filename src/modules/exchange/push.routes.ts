/**
 * Push targets (目标库) and subscriptions (推送订阅) of a consumer organisation: its consumers and data
 * officers (the roles that file share requests for it). Another organisation's targets and
 * subscriptions are "not found"; no response carries a password.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, COMMON_ERRORS as errors } from '../../http/kit.ts';
import { idParam, message, sourceBody, sourceSchema, testAnswer, testSchema } from './exchange.routes.ts';
import type { ExchangeService } from './exchange.service.ts';
import { TARGET_IDENT, type PushService } from './push.service.ts';

const consumerSide = { roles: ['consumer', 'data_officer'] as const };
const tags = ['exchange'];
const stored = z.object({ code: z.string(), message, details: z.unknown().optional() });
const ident = z.string().regex(TARGET_IDENT, 'letters, digits and _ (up to 63), not starting with a digit');

const subscriptionSchema = z.object({
  id: z.string(),
  grantId: z.string(),
  dataset: z.string(),
  datasetName: z.string(),
  targetId: z.string(),
  targetName: z.string(),
  schema: z.string(),
  table: z.string(),
  mode: z.enum(['full', 'incremental']),
  intervalMinutes: z.number(),
  nextRunAt: z.date().nullable(),
  state: z.enum(['active', 'paused', 'stopped']),
  stopReason: stored.nullable(),
  lastVersion: z.number().nullable(),
  lastDeliveredAt: z.date().nullable(),
  consecutiveFailures: z.number(),
  lastError: stored.nullable(),
  createdAt: z.date(),
});

const deliverySchema = z.object({
  id: z.string(),
  jobId: z.string().nullable(),
  status: z.enum(['running', 'delivered', 'unchanged', 'failed', 'refused', 'stopped']),
  mode: z.enum(['full', 'incremental']).nullable(),
  version: z.number().nullable(),
  rows: z.number(),
  error: stored.nullable(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  durationMs: z.number().nullable(),
});

export function pushRoutes(deps: { exchange: ExchangeService; push: PushService }): FastifyPluginAsyncZod {
  const { exchange, push } = deps;
  return async (app) => {
    app.post(
      '/exchange/targets',
      {
        config: { access: consumerSide },
        schema: {
          tags,
          summary: 'Register a push target database of your organisation / 登记目标库',
          description:
            'The password is stored encrypted under the master key and never returned. The user needs CREATE, INSERT and DELETE on the target schema.',
          body: sourceBody,
          response: { 201: sourceSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await exchange.addSource(callerOf(request), request.body as Parameters<ExchangeService['addSource']>[1], 'target')),
    );

    app.get(
      '/exchange/targets',
      {
        config: { access: consumerSide },
        schema: { tags, summary: "Your organisation's push targets / 目标库列表", response: { 200: z.array(sourceSchema), ...errors } },
      },
      async (request) => exchange.listSources(callerOf(request), 'target'),
    );

    app.post(
      '/exchange/targets/:id/test',
      {
        config: { access: consumerSide },
        schema: { tags, summary: 'Test a target: reachability, version, privileges / 测试目标库', params: idParam, response: { 200: testSchema, ...errors } },
      },
      async (request) => testAnswer(await exchange.testSource(callerOf(request), request.params.id, 'target')),
    );

    app.post(
      '/exchange/targets/:id/state',
      {
        config: { access: consumerSide },
        schema: {
          tags,
          summary: 'Enable or disable a target / 启用或停用目标库',
          params: idParam,
          body: z.object({ state: z.enum(['active', 'disabled']) }),
          response: { 200: sourceSchema, ...errors },
        },
      },
      async (request) => exchange.setSourceState(callerOf(request), request.params.id, request.body.state, 'target'),
    );

    app.post(
      '/exchange/subscriptions',
      {
        config: { access: consumerSide },
        schema: {
          tags,
          summary: 'Subscribe a target table to the view of an active grant / 新建推送订阅',
          description:
            'full: each delivery replaces the table content in one target transaction; incremental: rows appended since the last delivery (a replaced or corrected version is delivered in full).',
          body: z.object({
            grantId: z.uuid(),
            targetId: z.uuid(),
            schema: ident.optional().describe('PostgreSQL schema (default public); MySQL database (default the target database)'),
            table: ident.describe('created by pdx when missing'),
            mode: z.enum(['full', 'incremental']),
            intervalMinutes: z.number().int().min(1).max(525600),
          }),
          response: { 201: subscriptionSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await push.subscribe(callerOf(request), request.body)),
    );

    app.get(
      '/exchange/subscriptions',
      {
        config: { access: consumerSide },
        schema: { tags, summary: "Your organisation's push subscriptions / 推送订阅列表", response: { 200: z.array(subscriptionSchema), ...errors } },
      },
      async (request) => push.list(callerOf(request)),
    );

    app.get(
      '/exchange/subscriptions/:id',
      {
        config: { access: consumerSide },
        schema: { tags, summary: 'A push subscription / 推送订阅', params: idParam, response: { 200: subscriptionSchema, ...errors } },
      },
      async (request) => push.get(callerOf(request), request.params.id),
    );

    app.post(
      '/exchange/subscriptions/:id/state',
      {
        config: { access: consumerSide },
        schema: {
          tags,
          summary: 'Pause or resume a subscription / 暂停或恢复推送',
          params: idParam,
          body: z.object({ state: z.enum(['active', 'paused']) }),
          response: { 200: subscriptionSchema, ...errors },
        },
      },
      async (request) => push.setState(callerOf(request), request.params.id, request.body.state),
    );

    app.post(
      '/exchange/subscriptions/:id/deliver',
      {
        config: { access: consumerSide },
        schema: {
          tags,
          summary: 'Deliver now / 立即推送',
          description: 'Returns a job id; poll GET /api/v1/jobs/{id}.',
          params: idParam,
          response: { 202: z.object({ jobId: z.string() }), ...errors },
        },
      },
      async (request, reply) => reply.status(202).send({ jobId: await push.deliverNow(callerOf(request), request.params.id) }),
    );

    app.get(
      '/exchange/subscriptions/:id/deliveries',
      {
        config: { access: consumerSide },
        schema: { tags, summary: 'Delivery history: rows, duration, error / 推送记录', params: idParam, response: { 200: z.array(deliverySchema), ...errors } },
      },
      async (request) => push.deliveries(callerOf(request), request.params.id),
    );

    app.delete(
      '/exchange/subscriptions/:id',
      {
        config: { access: consumerSide },
        schema: { tags, summary: 'Remove a subscription (the target table stays) / 删除推送订阅', params: idParam, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await push.remove(callerOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
