import type { Queryable } from '../../db/index.ts';

/** The published catalogue in counts (the 城市大脑 overview): never a record or a value. */
export function catalogAssetsRepo(db: Queryable) {
  return {
    /** Published entries and their rows by provider organisation and grade. */
    byProviderAndGrade: () =>
      db.query<{ provider_org_id: string; grade: number | null; datasets: number; rows: string | number }>(
        `SELECT provider_org_id, grade, count(*)::int AS datasets, coalesce(sum(row_count), 0)::bigint AS rows
           FROM datasets WHERE status = 'published'
          GROUP BY provider_org_id, grade`,
      ),
    totals: async () =>
      (
        await db.query<{ datasets: number; rows: string | number; encrypted_columns: number; open_datasets: number }>(
          `SELECT (SELECT count(*)::int FROM datasets WHERE status = 'published') AS datasets,
                  (SELECT coalesce(sum(row_count), 0)::bigint FROM datasets WHERE status = 'published') AS rows,
                  (SELECT count(*)::int FROM dataset_columns c JOIN datasets d ON d.id = c.dataset_id WHERE c.encrypted AND d.status = 'published') AS encrypted_columns,
                  (SELECT count(*)::int FROM datasets WHERE status = 'published' AND open_type <> 'none') AS open_datasets`,
        )
      )[0],
  };
}
