/**
 * What other modules read and write of the catalogue besides the reader and the service's own
 * operations, each through a named method (issue 14, point 2): the datasets with data, a version's
 * stored classification and the effective grades the review settles, for the classification review;
 * and, inside security operations' worker transaction, a version's classification by the dataset's
 * code. The statements are catalog.repo.ts's (`catalogLookupsRepo`).
 *
 * It needs only the database: catalog.module.ts adds it to the catalogue's service, and the
 * classification review, built before that service, gets it beside the reader (see main.ts).
 */
import type { Db, Queryable } from '../../db/index.ts';
import { catalogLookupsRepo } from './catalog.repo.ts';

export function createCatalogLookups(db: Db) {
  const repo = catalogLookupsRepo(db);
  return {
    /** Ids of the datasets with at least one loaded version, of one organisation (null: all), most recently changed first. */
    loadedDatasetIds: (orgId: string | null) => repo.loadedDatasetIds(orgId),
    /** The stored classification of a version (the scan's result and details), or null. */
    versionClassification: (datasetId: string, version: number) => repo.versionClassification(datasetId, version),
    /** Writes effective grades: each named 信息项's and the dataset's (the catalogue's grade facet), in one transaction. */
    async storeGrades(datasetId: string, columns: readonly { name: string; grade: number }[], grade: number): Promise<void> {
      await db.transaction(async (tx) => {
        const r = catalogLookupsRepo(tx);
        for (const c of columns) await r.setColumnGrade(datasetId, c.name, c.grade);
        await r.setDatasetGrade(datasetId, grade);
      });
    },
    /** Reads inside the caller's transaction (security operations' worker): a dataset by code with one version's stored classification. */
    versionsIn(q: Queryable) {
      return { byCode: catalogLookupsRepo(q).versionByCode };
    },
  };
}

export type CatalogLookups = ReturnType<typeof createCatalogLookups>;
