import path from 'node:path';
import type { Config } from '../config.ts';
import type { Db } from './db.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

export type { Db, Queryable, Row, Tx, Backend } from './db.ts';
export { one, maybeOne } from './db.ts';
export { migrate } from './migrate.ts';

/** Opens the database the configuration names: a server when PDX_DATABASE_URL is set, else PGlite. */
export function openDatabase(config: Pick<Config, 'PDX_DATABASE_URL' | 'PDX_DB_POOL_SIZE' | 'dataDir'>): Promise<Db> {
  return config.PDX_DATABASE_URL ? openPostgres(config.PDX_DATABASE_URL, config.PDX_DB_POOL_SIZE) : openPglite(path.join(config.dataDir, 'pglite'));
}
