import fs from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { AppError } from '../errors.ts';
import type { Db, Tx } from './db.ts';
import { copySql, csvLine } from './sql.ts';
import { valueParsers } from './types.ts';

/** Rows per COPY chunk on PGlite: large enough to amortise the call, small enough to stay flat. */
const COPY_CHUNK_BYTES = 4 * 1024 * 1024;

/** The lock file in an embedded data directory: the pid of the one process that owns it. */
export const LOCK_FILE = 'pdx.lock';

/** Raised when another live process owns the embedded database. */
export class DatabaseLockedError extends AppError {
  constructor(dir: string, owner: { pid: number; command?: string }) {
    const who = `${owner.pid}${owner.command ? ` (${owner.command})` : ''}`;
    super(409, 'database_locked', {
      zh: `嵌入式数据库 ${dir} 正由进程 ${who} 使用，同一数据目录只能由一个进程打开。请先停止该 pdx 服务，或通过正在运行的服务的控制台或 API 操作`,
      en: `The embedded database in ${dir} is in use by process ${who}; only one process may open a data directory. Stop that pdx server first, or do this through the running server's console or API`,
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory for this process: PGlite is PostgreSQL in one process, and a second
 * process opening the same files would each see its own database and corrupt the other's. A lock
 * left by a process that died is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, command: process.argv.slice(2).join(' ') || 'node', since: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${mine}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw error;
      let owner: { pid: number; command?: string } | undefined;
      try {
        owner = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; command?: string };
      } catch {
        owner = undefined; // a lock being written right now, or garbage: look again
      }
      if (owner && Number.isInteger(owner.pid) && owner.pid !== process.pid && alive(owner.pid)) throw new DatabaseLockedError(dir, owner);
      if (owner) fs.rmSync(file, { force: true }); // its process is gone: take the directory over
    }
  }
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === mine) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

/**
 * Opens the embedded database. `dataDir` undefined means in memory (tests); otherwise the data
 * lives in that directory, survives restarts, and belongs to this process until close().
 * `loadDataDir` starts a new database from a data directory saved with PGlite's `dumpDataDir`
 * instead of running initdb, which takes seconds (tests start each database from one migrated copy).
 */
export async function openPglite(dataDir?: string, options: { loadDataDir?: Blob } = {}): Promise<Db> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  let pg: PGlite;
  try {
    pg = await PGlite.create({ dataDir, parsers: valueParsers, ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) });
  } catch (error) {
    unlock();
    throw error;
  }

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
    async close() {
      try {
        await pg.close();
      } finally {
        unlock();
      }
    },
  };
}
