import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../../http/kit.ts';
import type { SystemService } from './system.service.ts';

/** Public facts about this installation that the console shows before sign-in. */
export function systemRoutes({ system }: { system: SystemService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/system/info',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['platform'],
          summary: 'Platform name, version and database backend',
          response: {
            200: z.object({ name: z.string(), nameEn: z.string(), version: z.string(), database: z.enum(['pglite', 'postgres']) }),
            ...errorResponses(429),
          },
        },
      },
      async () => system.info(),
    );
  };
}
