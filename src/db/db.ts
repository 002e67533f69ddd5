/**
 * The one data-layer interface every module uses. Two implementations sit behind it (PGlite in
 * process, a pooled PostgreSQL server); modules never learn which one they run on.
 */
export type Row = Record<string, unknown>;

/** Anything that runs SQL with bound parameters: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement; every value travels as a bound parameter ($1, $2 …), never in the text. */
  query<R extends object = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements with no parameters (migrations only). */
  exec(script: string): Promise<void>;
}

/** An open transaction: queries plus streaming bulk load into a table. */
export interface Tx extends Queryable {
  /**
   * Streams rows into `table(columns)` with COPY. Identifiers must come from the catalogue and are
   * checked and quoted here; values are encoded as CSV, never interpolated into SQL.
   * Returns the number of rows loaded.
   */
  copyRows(table: string, columns: readonly string[], rows: AsyncIterable<readonly unknown[]>): Promise<number>;
}

export type Backend = 'pglite' | 'postgres';

export interface Db extends Queryable {
  readonly backend: Backend;
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Holds a session-level advisory lock for the duration of fn, so one piece of work runs in only
   * one process at a time across every pdx process on the same database.
   */
  withAdvisoryLock<T>(key: bigint, fn: () => Promise<T>): Promise<T>;
  /** Cheap round trip used by the health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Returns the single row of a query that must produce exactly one. */
export async function one<R extends object>(db: Queryable, text: string, params?: readonly unknown[]): Promise<R> {
  const rows = await db.query<R>(text, params);
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
  return rows[0] as R;
}

/** Returns the first row of a query, or undefined. */
export async function maybeOne<R extends object>(db: Queryable, text: string, params?: readonly unknown[]): Promise<R | undefined> {
  const rows = await db.query<R>(text, params);
  return rows[0];
}
