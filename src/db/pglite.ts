import fs from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, Row, Tx } from './db.ts';
import { copySql, csvLine } from './sql.ts';
import { valueParsers } from './types.ts';

/** Rows per COPY chunk on PGlite: large enough to amortise the call, small enough to stay flat. */
const COPY_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Opens the embedded database. `dataDir` undefined means in memory (tests); otherwise the data
 * lives in that directory and survives restarts. `loadDataDir` starts a new database from a data
 * directory saved with PGlite's `dumpDataDir` instead of running initdb, which takes seconds (tests
 * start each database from one migrated copy).
 */
export async function openPglite(dataDir?: string, options: { loadDataDir?: Blob } = {}): Promise<Db> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create({ dataDir, parsers: valueParsers, ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) });

  const locks = new Map<bigint, Promise<void>>();
  const query = async <R extends object>(q: PGlite | Transaction, text: string, params?: readonly unknown[]) =>
    (await q.query<R>(text, params as unknown[] | undefined)).rows;

  const wrapTx = (tx: Transaction): Tx => ({
    query: (text, params) => query(tx, text, params),
    exec: async (script) => void (await tx.exec(script)),
    async copyRows(table, columns, rows) {
      // PGlite has no COPY FROM STDIN; COPY from an in-memory blob, one bounded chunk at a time.
      const sql = copySql(table, columns, "'/dev/blob'");
      let parts: string[] = [];
      let size = 0;
      let count = 0;
      const flush = async () => {
        if (parts.length === 0) return;
        await tx.query(sql, [], { blob: new Blob(parts) });
        parts = [];
        size = 0;
      };
      for await (const row of rows) {
        const line = csvLine(row);
        parts.push(line);
        size += line.length;
        count++;
        if (size >= COPY_CHUNK_BYTES) await flush();
      }
      await flush();
      return count;
    },
  });

  return {
    backend: 'pglite',
    query: (text, params) => query(pg, text, params),
    exec: async (script) => void (await pg.exec(script)),
    transaction: (fn) => pg.transaction((tx) => fn(wrapTx(tx))),
    async withAdvisoryLock(key, fn) {
      // PGlite has one session, where advisory locks are re-entrant; one process owns the data
      // directory, so an in-process queue per key gives the same mutual exclusion.
      const previous = locks.get(key) ?? Promise.resolve();
      let release = () => {};
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => mine);
      locks.set(key, tail);
      await previous;
      try {
        return await fn();
      } finally {
        release();
        if (locks.get(key) === tail) locks.delete(key);
      }
    },
    async ping() {
      await pg.query('SELECT 1');
    },
    close: () => pg.close(),
  };
}
