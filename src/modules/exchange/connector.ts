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
 * - Errors are `AppError`s (src/errors.ts) with the codes below; no message carries the password.
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

export interface Connector {
  test(): Promise<TestOutcome>;
  tables(): Promise<(TableRef & { kind: 'table' | 'view' })[]>;
  /** Columns in table order; undefined when there is no such table or view. */
  columns(table: TableRef): Promise<SourceColumn[] | undefined>;
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

export type ConnectorFactory = (settings: SourceSettings) => Connector;


/** Rows a connector fetches per round trip. */
export const FETCH_ROWS = 2_000;

/** The error of a source that does not answer (host, port, TLS). */
export function unreachable(reason: string): AppError {
  return new BadRequestError('source_unreachable', { zh: `无法连接数据源:${reason}`, en: `Cannot reach the data source: ${reason}` });
}

/** The error of a user name or password the source refuses (never naming the password). */
export function authFailed(user: string): AppError {
  return new BadRequestError('source_auth_failed', { zh: `数据源拒绝了用户 ${user} 的登录(用户名或密码错误)`, en: `The data source refused the login of user ${user} (wrong user name or password)` });
}

/** Any other error the source reports while reading. */
export function sourceError(reason: string): AppError {
  return new BadRequestError('source_error', { zh: `数据源报错:${reason}`, en: `The data source reported an error: ${reason}` });
}

/** Network failures that mean "not reachable" (node's and the drivers' codes). */
const NETWORK = /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|PROTOCOL_CONNECTION_LOST)$/;

/**
 * A driver's error as one of the errors above. `authCodes`: the driver's codes of a refused login.
 * The password is blanked from any message, in case a driver ever echoes it.
 */
export function mapSourceError(error: unknown, settings: SourceSettings, authCodes: readonly string[]): AppError {
  if (error instanceof AppError) return error;
  const e = error as { code?: string; message?: string };
  if (e.code && authCodes.includes(e.code)) return authFailed(settings.user);
  if (e.code && NETWORK.test(e.code)) return unreachable(`${settings.host}:${settings.port} (${e.code})`);
  const message = String(e.message ?? error).replaceAll(settings.password, '***');
  if (/SSL|certificate|self[- ]signed|HANDSHAKE|timeout/i.test(message)) return unreachable(message);
  return sourceError(message);
}
