/**
 * The connector interface: everything pdx asks of a department's database. A new kind (达梦 DM,
 * Oracle, SQL Server …) is one file implementing `Connector` plus one line in CONNECTORS below.
 *
 * Contract:
 * - Identifiers (schema, table, column) handed to a connector were first checked against its own
 *   `tables()` / `columns()` listing; a connector still quotes them with its dialect's quoting.
 * - Values come back as text (null for SQL NULL), as the source prints them; the ingest pipeline
 *   infers, validates and converts them as it does for a file.
 * - `snapshot()` opens ONE read-only transaction with a consistent view (REPEATABLE READ): the
 *   pipeline reads the rows twice (classification, then loading) and must see the same rows.
 * - `write()` (push subscriptions, optional: a kind without it cannot be a target) opens ONE
 *   read-write transaction at the target: the table is created when missing (columns typed from
 *   `TargetColumn.type`), an existing one must have every column; with `replace` its rows are deleted
 *   first. Nothing is visible to the target's readers before `commit()`; `abort()` rolls back.
 * - Errors are `AppError`s (src/errors.ts) with the codes below; no message carries the password.
 *   A connector for a target (`role: 'target'`) reports `target_*` codes instead of `source_*`.
 */
import { AppError, BadRequestError } from '../../errors.ts';

export interface SourceSettings {
  /** The address to connect to (checked by the egress guard). */
  host: string;
  /** The source's registered host name: the name TLS verifies (verify-full). */
  servername?: string | undefined;
  port: number;
  database: string;
  user: string;
  password: string;
  /** verify-full: TLS checking the certificate against `ca` and the host name; require: TLS, no check. */
  tls: 'verify-full' | 'require' | 'off';
  ca?: string | undefined;
  /** What pdx does with this database: read it (a data source, the default) or deliver to it (a push target). */
  role?: 'source' | 'target' | undefined;
}

export interface TableRef {
  schema: string;
  table: string;
}

export interface SourceColumn {
  name: string;
  /** The source's type name (e.g. integer, varchar(40), timestamp with time zone). */
  type: string;
}

export interface TestOutcome {
  version: string;
  /** What the user may do, as the server states it (grants; never a password or hash). */
  privileges: string[];
  /** The user can change data or schema somewhere: a read-only user is advised. */
  canWrite: boolean;
}

/** Which rows a read takes: all, or those with cursor in (after, upTo], in cursor order. */
export interface RowRange {
  cursor: string;
  after: string | null;
  upTo: string;
}

export interface Snapshot {
  /** The greatest value of a column (as text) among values above `after`; null when there is none. */
  max(table: TableRef, column: string, after: string | null): Promise<string | null>;
  /** Streams the rows' values in `columns` order, in batches (bounded memory). */
  rows(table: TableRef, columns: readonly string[], range?: RowRange): AsyncIterable<(string | null)[]>;
  close(): Promise<void>;
}

/** A column of a target table: its name (a 信息项) and the kind of values it receives. */
export interface TargetColumn {
  name: string;
  /** Clear values keep the catalogue's type; masked, pseudonymised or generalised values are text. */
  type: 'text' | 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp';
}

export type TargetValue = string | number | boolean | null;

/** One delivery into a target table: one transaction at the target. */
export interface TargetWrite {
  /** pdx created the table for this delivery. */
  created: boolean;
  /** Inserts rows (values in the columns' order), in bounded statements. */
  insert(rows: readonly (readonly TargetValue[])[]): Promise<void>;
  commit(): Promise<void>;
  /** Rolls back and closes; harmless after commit or a second call. */
  abort(): Promise<void>;
}

/** A row change of the bound table, values as text (a delete carries only the replica identity's columns). */
export interface RowChange {
  op: 'upsert' | 'delete';
  /** Column name → value as text; undefined: not sent (a large value an update left unchanged). */
  values: Record<string, string | null | undefined>;
}

/** One committed source transaction: its end LSN and its changes of the bound table, in order. */
export interface SourceTransaction {
  lsn: string;
  changes: RowChange[];
}

/** A running change stream (one replication connection). */
export interface ChangeStream {
  /** Tells the source every transaction up to `lsn` is applied: it may discard them. */
  ack(lsn: string): Promise<void>;
  stop(): Promise<void>;
}

/** What a change stream calls; each is awaited before the next message is handled. */
export interface StreamHandlers {
  onTransaction(tx: SourceTransaction): Promise<void>;
  /** The source sent the table's definition (before its first change in a stream, and after it changed); a rejection ends the stream as a failure. */
  onRelation(): Promise<void>;
  idle(): boolean;
  onError(error: unknown): void;
}

/**
 * Change data capture (optional: PostgreSQL logical replication). Slot and publication names are
 * pdx's own (`pdx_` and hex), not user input.
 */
export interface Replication {
  /**
   * Creates the slot, and the publication of `table` when the user may (CREATE on the database and
   * ownership of the table); otherwise uses a publication the DBA made for the table. Errors name
   * the missing privilege.
   */
  prepare(table: TableRef, slot: string, publication: string): Promise<{ publication: string; created: boolean }>;
  /** Drops the slot (ending a stream that holds it) and, when `publication` is given, the publication; absent ones are fine. */
  drop(slot: string, publication: string | null): Promise<void>;
  /** Bytes of WAL the slot has not confirmed (pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)); undefined without the slot. */
  lag(slot: string): Promise<number | undefined>;
  /**
   * Streams committed transactions after `from` (null: from the slot's start). `onTransaction`
   * is awaited (back pressure); nothing is acknowledged except by `ack`, and idle keep-alives.
   * `idle()` tells whether pdx holds nothing unapplied, so a keep-alive may move the slot on.
   */
  stream(slot: string, publication: string, from: string | null, handlers: StreamHandlers): Promise<ChangeStream>;
}

/** Compares two LSNs (X/Y hex): negative, zero or positive. */
export function compareLsn(a: string, b: string): number {
  const n = (l: string) => {
    const [hi, lo] = l.split('/');
    return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
  };
  const d = n(a) - n(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export interface Connector {
  test(): Promise<TestOutcome>;
  tables(): Promise<(TableRef & { kind: 'table' | 'view' })[]>;
  /** Columns in table order; undefined when there is no such table or view. */
  columns(table: TableRef): Promise<SourceColumn[] | undefined>;
  snapshot(): Promise<Snapshot>;
  /** Opens a delivery into `table` (push targets); `replace`: the table's rows are replaced. */
  write?(table: TableRef, columns: readonly TargetColumn[], options: { replace: boolean }): Promise<TargetWrite>;
  /** Change data capture (cdc bindings); a kind without it offers no cdc mode. */
  replication?: Replication;
  close(): Promise<void>;
}

export type ConnectorFactory = (settings: SourceSettings) => Connector;

/** Rows a connector fetches per round trip. */
export const FETCH_ROWS = 2_000;

/** Bound values per INSERT statement at a target (both PostgreSQL and MySQL allow 65,535). */
const MAX_PARAMS = 30_000;

/** Splits rows into INSERT statements of at most MAX_PARAMS bound values (and 1,000 rows). */
export function* insertBatches<T>(rows: readonly T[], width: number): Generator<readonly T[]> {
  const size = Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS / Math.max(1, width))));
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** The error of an existing target table that lacks a column of the granted view. */
export function targetColumnMissing(table: TableRef, column: string): AppError {
  return new BadRequestError(
    'target_column_missing',
    {
      zh: `目标表 ${table.schema}.${table.table} 缺少列 ${column}（请补列、改用新表名，或删除该表由 pdx 重建）`,
      en: `Target table ${table.schema}.${table.table} has no column ${column} (add it, use a new table name, or drop the table so pdx creates it)`,
    },
    { column },
  );
}

type Role = NonNullable<SourceSettings['role']>;
const WHAT: Record<Role, { zh: string; en: string }> = { source: { zh: '数据源', en: 'data source' }, target: { zh: '目标库', en: 'target database' } };

/** The error of a source (or target) that does not answer (host, port, TLS). */
export function unreachable(reason: string, role: Role = 'source'): AppError {
  return new BadRequestError(`${role}_unreachable`, { zh: `无法连接${WHAT[role].zh}：${reason}`, en: `Cannot reach the ${WHAT[role].en}: ${reason}` });
}

/** The error of a user name or password the source (or target) refuses (never naming the password). */
export function authFailed(user: string, role: Role = 'source'): AppError {
  return new BadRequestError(`${role}_auth_failed`, {
    zh: `${WHAT[role].zh}拒绝了用户 ${user} 的登录（用户名或密码错误）`,
    en: `The ${WHAT[role].en} refused the login of user ${user} (wrong user name or password)`,
  });
}

/** Any other error the source reports while reading (or the target while writing). */
export function sourceError(reason: string, role: Role = 'source'): AppError {
  return new BadRequestError(`${role}_error`, { zh: `${WHAT[role].zh}报错：${reason}`, en: `The ${WHAT[role].en} reported an error: ${reason}` });
}

/** Network failures that mean "not reachable" (node's and the drivers' codes). */
const NETWORK = /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|PROTOCOL_CONNECTION_LOST)$/;

/**
 * A driver's error as one of the errors above. `authCodes`: the driver's codes of a refused login.
 * The password is blanked from any message, in case a driver ever echoes it.
 */
export function mapSourceError(error: unknown, settings: SourceSettings, authCodes: readonly string[]): AppError {
  if (error instanceof AppError) return error;
  const role = settings.role ?? 'source';
  const e = error as { code?: string; message?: string };
  if (e.code && authCodes.includes(e.code)) return authFailed(settings.user, role);
  if (e.code && NETWORK.test(e.code)) return unreachable(`${settings.host}:${settings.port} (${e.code})`, role);
  const message = String(e.message ?? error).replaceAll(settings.password, '***');
  if (/SSL|certificate|self[- ]signed|HANDSHAKE|timeout/i.test(message)) return unreachable(message, role);
  return sourceError(message, role);
}
