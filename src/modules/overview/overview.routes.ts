import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/index.ts';
import { errorResponses } from '../../http/kit.ts';
import { overviewRepo } from './overview.repo.ts';

const DAYS = 30;

/** GET /overview: the 城市大脑 view of data assets, sharing activity and security events. */
export function overviewRoutes(deps: { db: Db }): FastifyPluginAsyncZod {
  const repo = overviewRepo(deps.db);
  return async (app) => {
    app.get(
      '/overview',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['overview'],
          summary: 'Data assets, sharing activity and security events (counts only) / 总览',
          response: {
            200: z.object({
              totals: z.object({ datasets: z.number(), rows: z.number(), organizations: z.number(), encryptedColumns: z.number(), openDatasets: z.number() }),
              assets: z.array(z.object({ org: z.string(), grade: z.number().nullable(), datasets: z.number(), rows: z.number() })),
              sharing: z.array(z.object({ day: z.string(), responses: z.number(), rows: z.number() })),
              security: z.array(z.object({ day: z.string(), kind: z.string(), events: z.number() })),
            }),
            ...errorResponses(401),
          },
        },
      },
      async () => {
        const [totals] = await repo.totals();
        return {
          totals: {
            datasets: totals?.datasets ?? 0,
            rows: Number(totals?.rows ?? 0),
            organizations: totals?.organizations ?? 0,
            encryptedColumns: totals?.encrypted_columns ?? 0,
            openDatasets: totals?.open_datasets ?? 0,
          },
          assets: (await repo.assetsByOrgAndGrade()).map((a) => ({ ...a, rows: Number(a.rows) })),
          sharing: (await repo.sharingByDay(DAYS)).map((s) => ({ ...s, rows: Number(s.rows) })),
          security: await repo.securityByDay(DAYS),
        };
      },
    );
  };
}
