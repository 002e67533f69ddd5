/**
 * The secadmin's replay of journey step 6 on the demo world (安全运营 → 演示:重放夜间突发访问): the
 * same run as `pdx demo burst`, in the server process, so it works while the embedded server holds the
 * data directory. It never approves on anyone's behalf: without a grant from step 4 it refuses.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { COMMON_ERRORS, callerOf, errorResponses } from '../../http/kit.ts';
import type { BurstOutcome } from './burst.ts';
import type { DemoService } from './demo.service.ts';

const SECADMIN = { roles: ['secadmin'] as const };
const message = z.object({ zh: z.string(), en: z.string() });
/** The console shows the alert live as it comes; the request waits for it this long at most. */
const ROUTE_WAIT_MS = 30_000;

const outcomeSchema = z.object({
  dataset: z.string().describe('the dataset by name'),
  consumer: z.string().describe('the consumer organisation by name'),
  keyName: z.string(),
  keyState: z.enum(['suspended', 'throttled', 'active']),
  baselineRowsPerHour: z.number(),
  burstAt: z.string().describe('China time, YYYY-MM-DD HH:mm'),
  burstRows: z.number(),
  burstRefused: z.boolean().describe('the last request of the burst was refused (the key was contained meanwhile)'),
  alert: z
    .object({ severity: z.enum(['general', 'significant', 'major', 'critical']), title: message })
    .nullable()
    .describe('null: not raised yet (it appears live in the console)'),
  incident: z.object({ title: z.string(), firstDue: z.date().nullable() }).nullable(),
  notified: z.array(z.object({ username: z.string(), org: z.string(), title: message })),
});

function outcomeOut(o: BurstOutcome): z.infer<typeof outcomeSchema> {
  return {
    dataset: o.dataset.name,
    consumer: o.consumer.org,
    keyName: o.key.name,
    keyState: o.key.state,
    baselineRowsPerHour: o.baseline.rowsPerHour,
    burstAt: o.burst.at,
    burstRows: o.burst.rows,
    burstRefused: o.burst.refused,
    alert: o.alert ? { severity: o.alert.severity, title: o.alert.title } : null,
    incident: o.incident ? { title: o.incident.title, firstDue: o.incident.firstDue } : null,
    notified: o.notified,
  };
}

export function demoRoutes(deps: { demo: DemoService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/demo/burst',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['demo'],
          summary: 'Whether the night-burst replay is available (demo world loaded) / 夜间突发访问演示是否可用',
          response: { 200: z.object({ available: z.boolean() }), ...COMMON_ERRORS },
        },
      },
      async () => ({ available: await deps.demo.burstAvailable() }),
    );
    app.post(
      '/demo/burst',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['demo'],
          summary: 'Replay journey step 6 on the demo world: a night burst of 朝阳市民政局’s key / 演示：重放夜间突发访问',
          response: { 200: outcomeSchema, ...errorResponses(401, 403, 409) },
        },
      },
      async (request) => {
        const outcome = await deps.demo.replayBurst({
          inject: request.server.inject.bind(request.server),
          by: callerOf(request),
          approve: false,
          waitMs: ROUTE_WAIT_MS,
        });
        return outcomeOut(outcome);
      },
    );
  };
}
