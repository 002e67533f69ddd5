/**
 * One call that wires classification: the review service (分类分级复核, the catalogue's publication
 * gate) and the routes of the review and of the scan tool. In main.ts:
 *
 *   const classify = createClassifyModule({ db, events, catalog: { ...createCatalogReader(db), ...createCatalogLookups(db) }, identity, keyring, maxBytes });
 *   const catalog = createCatalogModule({ …, publishGate: (d) => classify.review.assertPublishable(d) });
 *   … ingest's afterVersion, open data and the overview get `classify.review`; routes: [ …, classify.routes ]
 *
 * It reads the catalogue through a reader (reads and visibility, and the lookups of catalog.lookups.ts), so it is built before the
 * catalogue service that takes its gate.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { reviewRoutes } from './review.routes.ts';
import { createReviewService } from './review.service.ts';
import { scanRoutes } from './scan.routes.ts';

export function createClassifyModule(deps: Parameters<typeof createReviewService>[0] & { maxBytes: number }) {
  const { maxBytes, ...reviewDeps } = deps;
  const review = createReviewService(reviewDeps);
  const routes: FastifyPluginAsyncZod = async (app, options) => {
    await scanRoutes({ maxBytes })(app, options);
    await reviewRoutes({ review })(app, options);
  };
  return { review, routes };
}

export type ClassifyModule = ReturnType<typeof createClassifyModule>;
