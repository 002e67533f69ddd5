import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { Jobs } from './jobs.service.ts';
import { callerOf, errorResponses, errorSchema, pickLanguage } from '../../http/kit.ts';

/** Job status for whoever started it and their organisation. */
export function jobsRoutes(deps: { jobs: Jobs; identity: Pick<IdentityService, 'find'> }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/jobs/:id',
      {
        config: { access: { authenticated: true, apiKey: true } },
        schema: {
          tags: ['jobs'],
          summary: 'State and progress of a background job / 任务进度',
          params: z.object({ id: z.uuid() }),
          response: {
            200: z.object({
              id: z.string(),
              kind: z.string(),
              state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
              rows: z.number(),
              bytes: z.number(),
              totalBytes: z.number().nullable(),
              phase: z.string().nullable(),
              result: z.record(z.string(), z.unknown()).nullable(),
              error: errorSchema.shape.error.nullable(),
              createdAt: z.date(),
              finishedAt: z.date().nullable(),
            }),
            ...errorResponses(401, 404),
          },
        },
      },
      async (request) => {
        const { principal } = callerOf(request);
        const job = await deps.jobs.get(request.params.id);
        const creator = job?.created_by ? await deps.identity.find.user(job.created_by) : undefined;
        if (!job || !creator || creator.org_id !== principal.orgId) throw new NotFoundError({ zh: '任务', en: 'Job' });
        const lang = pickLanguage(request);
        return {
          id: job.id,
          kind: job.kind,
          state: job.state,
          rows: job.progress.rows ?? 0,
          bytes: job.progress.bytes ?? 0,
          totalBytes: job.progress.totalBytes ?? null,
          phase: job.progress.phase ?? null,
          result: job.result,
          error: job.error ? { code: job.error.code, message: job.error.message[lang], details: job.error.details } : null,
          createdAt: job.created_at,
          finishedAt: job.finished_at,
        };
      },
    );
  };
}
