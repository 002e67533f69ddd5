import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/index.ts';
import { errorResponses } from '../../http/kit.ts';
import { VERSION } from '../../version.ts';

/** Public facts about this installation that the console shows before sign-in. */
export function systemRoutes({ db }: { db: Db }): FastifyPluginAsyncZod {
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
      async () => ({ name: '公共数据共享交换平台', nameEn: 'Public Data Exchange', version: VERSION, database: db.backend }),
    );
  };
}
