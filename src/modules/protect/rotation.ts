import type { Db, Queryable } from '../../db/index.ts';
import { ident } from '../../db/sql.ts';
import type { EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { JobContext, Jobs } from '../jobs/jobs.service.ts';
import { blindIndexerOf } from './blind-index.ts';
import { fieldCipherOf, type Keyring } from './keyring.ts';

/** Rows re-encrypted per transaction: short locks, so the dataset stays readable throughout. */
const BATCH = 2000;
/** Passes over a dataset whose version tables keep being merged away before the job gives up. */
const MAX_PASSES = 20;

/** `undefined` for the error of a table dropped under the statement (PostgreSQL's undefined_table), rethrows others. */
function unlessDropped(error: unknown): undefined {
  if ((error as { code?: string }).code === '42P01') return undefined;
  throw error;
}

/**
 * All SQL of the re-encryption job on the version tables; identifiers are catalogue names passed
 * through ident(). What it reads and holds of the catalogue goes through `catalog.rotationIn(q)`.
 */
function rotationRepo(db: Queryable) {
  return {
    /** Values not yet under the current key version (their text prefix names suite and version). */
    staleValues: (table: string, column: string, currentPrefix: string, limit: number) =>
      db.query<{ _row: number; value: string }>(
        `SELECT _row, ${ident(column)} AS value FROM ${ident(table)}
         WHERE ${ident(column)} IS NOT NULL AND left(${ident(column)}, 4) <> $1 ORDER BY _row LIMIT $2`,
        [currentPrefix, limit],
      ),
    writeValues: (table: string, column: string, ids: number[], values: string[], indexes: string[] | null) =>
      db.query(
        `UPDATE ${ident(table)} AS t SET ${ident(column)} = v.value${indexes ? `, ${ident(`${column}_bi`)} = v.bi` : ''}
         FROM (SELECT unnest($1::bigint[]) AS r, unnest($2::text[]) AS value, unnest($3::text[]) AS bi) AS v
         WHERE t._row = v.r`,
        [ids, values, indexes ?? values.map(() => null)],
      ),
  };
}

/**
 * The background job behind `pdx keys rotate`: moves every encrypted value of a dataset to the
 * current data key version, batch by batch. Old versions keep decrypting until it is done, and blind
 * index lookups match every live version meanwhile, so readers notice nothing.
 */
export function createRotation(deps: {
  db: Db;
  jobs: Pick<Jobs, 'enqueue' | 'handle'>;
  keyring: Keyring;
  events: EventSink;
  catalog: Pick<CatalogService, 'rotationIn'>;
}) {
  const { db, jobs, keyring, catalog } = deps;

  async function reencryptDataset(ctx: JobContext) {
    const { datasetId } = ctx.job.payload as { datasetId: string };
    keyring.forget(datasetId);
    const keys = await keyring.datasetKeys(datasetId);
    const cipher = fieldCipherOf(keys);
    const indexer = blindIndexerOf(keys);
    const repo = rotationRepo(db);
    const columns = await catalog.rotationIn(db).encryptedColumns(datasetId);
    let moved = 0;

    /** Moves one table's stale values, batch by batch; false when the table was dropped meanwhile. */
    async function reencryptTable(relation: string): Promise<boolean> {
      for (const column of columns) {
        for (;;) {
          const rows = await repo.staleValues(relation, column.physical, cipher.currentPrefix, BATCH).catch(unlessDropped);
          if (!rows) return false;
          if (rows.length === 0) break;
          const ids = rows.map((r) => r._row);
          const values = rows.map((r) => cipher.reencrypt(r.value) ?? r.value);
          const indexes = column.blind_index ? rows.map((r) => indexer.index(cipher.decrypt(r.value), column.type ?? undefined)) : null;
          const written = await db
            .transaction(async (tx) => {
              // Waits while a load switches versions (a merge copies the values this batch rewrites).
              await catalog.rotationIn(tx).holdDataset(datasetId);
              await rotationRepo(tx).writeValues(relation, column.physical, ids, values, indexes);
              return true;
            })
            .catch(unlessDropped);
          if (!written) return false;
          moved += rows.length;
          await ctx.progress({ phase: 'reencrypting', rows: moved });
        }
      }
      return true;
    }

    // A load that merges version tables drops the ones it copied, with their values as they were when
    // it copied them: a pass that meets a dropped table starts again over the tables the dataset reads
    // now (values already moved are not stale and cost only the scan).
    for (let pass = 1; ; pass++) {
      let complete = true;
      for (const { relation } of await catalog.rotationIn(db).activeTables(datasetId)) if (!(await reencryptTable(relation))) complete = false;
      if (complete) break;
      if (pass >= MAX_PASSES) throw new Error(`version tables of dataset ${datasetId} kept changing during ${MAX_PASSES} passes`);
    }
    await deps.events.record({
      action: 'keys.reencrypt',
      result: 'success',
      target: { type: 'dataset', id: datasetId },
      details: { version: cipher.version, values: moved },
    });
    return { version: cipher.version, values: moved };
  }

  jobs.handle('reencrypt', reencryptDataset);

  return {
    /** Queues the re-encryption of a dataset to its current key version; returns the job id. */
    schedule: (datasetId: string, userId: string | null = null) => jobs.enqueue('reencrypt', { datasetId }, userId),
  };
}
