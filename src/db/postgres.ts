import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db, Tx } from './db.ts';
import { copySql, csvLine } from './sql.ts';
import { valueParsers } from './types.ts';

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    valueParsers[oid] && format !== 'binary' ? valueParsers[oid] : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Opens a pooled connection to a PostgreSQL server. */
export async function openPostgres(url: string, poolSize = 10): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, application_name: 'pdx' });
  // A dropped idle connection must not take the process down; the next query gets a new one.
  pool.on('error', () => {});

  const run = async <R extends object>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) =>
    (await client.query<R>(text, params as unknown[] | undefined)).rows;

  const wrapTx = (client: pg.PoolClient): Tx => ({
    query: (text, params) => run(client, text, params),
    exec: async (script) => void (await client.query(script)),
    async copyRows(table, columns, rows) {
      let count = 0;
      // Lines are joined into ~64 KiB writes: one socket write per row would dominate the load.
      const lines = Readable.from(
        (async function* () {
          let buffer = '';
          for await (const row of rows) {
            count++;
            buffer += csvLine(row);
            if (buffer.length >= 65_536) {
              yield buffer;
              buffer = '';
            }
          }
          if (buffer) yield buffer;
        })(),
      );
      const sink: Writable = client.query(copyFrom(copySql(table, columns, 'STDIN')));
      await pipeline(lines, sink);
      return count;
    },
  });

  const db: Db = {
    backend: 'postgres',
    query: (text, params) => run(pool, text, params),
    exec: async (script) => void (await pool.query(script)),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrapTx(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async withAdvisoryLock(key, fn) {
      // A session lock lives on one connection, so hold that connection for the whole section.
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [key.toString()]);
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [key.toString()]);
        }
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
  await db.ping();
  return db;
}
