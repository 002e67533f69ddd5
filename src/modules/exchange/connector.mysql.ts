/** The MySQL / MariaDB connector (mysql2). The source's "schema" is its database. */
import net from 'node:net';
import type mysql from 'mysql2';
import { loadMysql } from '../../heavy.ts';
import {
  insertBatches,
  mapSourceError,
  targetColumnMissing,
  type Connector,
  type RowRange,
  type Snapshot,
  type SourceSettings,
  type TableRef,
  type TargetColumn,
  type TargetValue,
  type TargetWrite,
} from './connector.ts';

/** A MySQL identifier, quoted (names were checked against the catalogue listing first). */
const q = (name: string) => `\`${name.replaceAll('`', '``')}\``;
const qt = (t: TableRef) => `${q(t.schema)}.${q(t.table)}`;

/** Grants that read or watch but change nothing. */
const READ_ONLY = new Set([
  'SELECT',
  'USAGE',
  'SHOW VIEW',
  'SHOW DATABASES',
  'PROCESS',
  'REPLICATION CLIENT',
  'REPLICATION SLAVE',
  'BINLOG MONITOR',
  'SLAVE MONITOR',
  'REPLICA MONITOR',
]);

const mapError = (error: unknown, settings: SourceSettings) => mapSourceError(error, settings, ['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR']);

/**
 * Column types of a table pdx creates at a target. Timestamps stay text: MySQL's DATETIME has no zone
 * and pdx serves them with one.
 */
const TARGET_TYPES: Record<TargetColumn['type'], string> = {
  text: 'LONGTEXT',
  integer: 'BIGINT',
  decimal: 'DECIMAL(65,20)',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'VARCHAR(40)',
};

export function mysqlConnector(settings: SourceSettings): Connector {
  const connections = new Set<mysql.Connection>();

  async function connect(): Promise<mysql.Connection> {
    const connection = (await loadMysql()).createConnection({
      // The socket goes to the checked address; the registered name stays the TLS server name.
      host: settings.servername ?? settings.host,
      port: settings.port,
      stream: () => net.connect({ host: settings.host, port: settings.port }),
      database: settings.database,
      user: settings.user,
      password: settings.password,
      ...(settings.tls === 'off'
        ? {}
        : { ssl: settings.tls === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(settings.ca ? { ca: settings.ca } : {}) } }),
      connectTimeout: 15_000,
      timezone: '+08:00',
      // Every value as text, as the server prints it.
      typeCast: (field) => field.string('utf8'),
    });
    connection.on('error', () => undefined);
    try {
      await connection.promise().connect();
    } catch (error) {
      connection.destroy();
      throw mapError(error, settings);
    }
    connections.add(connection);
    return connection;
  }

  async function release(connection: mysql.Connection) {
    connections.delete(connection);
    await connection
      .promise()
      .end()
      .catch(() => connection.destroy());
  }

  async function query<T>(connection: mysql.Connection, sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      const [rows] = await connection.promise().query(sql, params);
      return rows as T[];
    } catch (error) {
      throw mapError(error, settings);
    }
  }

  async function once<T>(fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
    const connection = await connect();
    try {
      return await fn(connection);
    } finally {
      await release(connection);
    }
  }

  return {
    test: () =>
      once(async (c) => {
        const [version] = await query<{ v: string }>(c, 'SELECT VERSION() AS v');
        const grants = await query<Record<string, string>>(c, 'SHOW GRANTS FOR CURRENT_USER()');
        // A grant line may carry the password hash (IDENTIFIED BY PASSWORD '*…'): never returned.
        const privileges = grants.map((g) => Object.values(g)[0]!.replace(/\s+IDENTIFIED\s+(BY|VIA|WITH)\b.*$/i, ''));
        const canWrite = privileges.some((line) => {
          const granted = /^GRANT\s+(.+?)\s+ON\s/i.exec(line)?.[1] ?? '';
          return (
            granted.split(',').some(
              (p) =>
                !READ_ONLY.has(
                  p
                    .trim()
                    .replace(/\s*\(.*\)$/, '')
                    .toUpperCase(),
                ),
            ) || /WITH GRANT OPTION/i.test(line)
          );
        });
        return { version: version!.v, privileges, canWrite };
      }),

    tables: () =>
      once(async (c) => {
        const rows = await query<{ schema: string; table: string; kind: string }>(
          c,
          `SELECT table_schema AS \`schema\`, table_name AS \`table\`, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS kind
           FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1, 2`,
        );
        return rows.map((r) => ({ schema: r.schema, table: r.table, kind: r.kind as 'table' | 'view' }));
      }),

    columns: (table) =>
      once(async (c) => {
        const found = await query(c, 'SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [table.schema, table.table]);
        if (found.length === 0) return undefined;
        return query<{ name: string; type: string }>(
          c,
          'SELECT column_name AS name, column_type AS type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position',
          [table.schema, table.table],
        );
      }),

    async snapshot(): Promise<Snapshot> {
      const c = await connect();
      try {
        await query(c, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await query(c, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      } catch (error) {
        await release(c);
        throw error;
      }
      // A stream left before its end (the load failed mid-table) leaves rows in flight on the
      // connection: it is closed, not reused.
      let abandoned = false;
      return {
        async max(table, column, after) {
          const [row] = await query<{ max: string | null }>(
            c,
            `SELECT MAX(${q(column)}) AS max FROM ${qt(table)}${after === null ? '' : ` WHERE ${q(column)} > ?`}`,
            after === null ? [] : [after],
          );
          return row?.max ?? null;
        },
        async *rows(table, columns, range?: RowRange) {
          const where = range ? ` WHERE ${range.after === null ? '' : `${q(range.cursor)} > ? AND `}${q(range.cursor)} <= ? ORDER BY ${q(range.cursor)}` : '';
          const params = range ? (range.after === null ? [range.upTo] : [range.after, range.upTo]) : [];
          // Streamed: the server sends rows as they are read, paused when this side falls behind.
          const stream = c
            .query({ sql: `SELECT ${columns.map(q).join(', ')} FROM ${qt(table)}${where}`, rowsAsArray: true }, params)
            .stream({ highWaterMark: 1000 });
          let done = false;
          try {
            for await (const row of stream) yield row as (string | null)[];
            done = true;
          } catch (error) {
            throw mapError(error, settings);
          } finally {
            if (!done) abandoned = true;
          }
        },
        async close() {
          if (abandoned) {
            connections.delete(c);
            c.destroy();
            return;
          }
          await query(c, 'ROLLBACK').catch(() => undefined);
          await release(c);
        },
      };
    },

    async write(table, columns, options): Promise<TargetWrite> {
      const c = await connect();
      let created = false;
      try {
        const found = await query(c, 'SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [table.schema, table.table]);
        if (found.length === 0) {
          // MySQL commits DDL at once: the table is made before the delivery's transaction (empty).
          await query(
            c,
            `CREATE TABLE ${qt(table)} (${columns.map((col) => `${q(col.name)} ${TARGET_TYPES[col.type]}`).join(', ')}) ENGINE=InnoDB DEFAULT CHARSET utf8mb4`,
          );
          created = true;
        } else {
          const names = new Set(
            (
              await query<{ name: string }>(c, 'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?', [
                table.schema,
                table.table,
              ])
            ).map((r) => r.name),
          );
          const missing = columns.find((col) => !names.has(col.name));
          if (missing) throw targetColumnMissing(table, missing.name);
        }
        await query(c, 'START TRANSACTION');
        // DELETE, not TRUNCATE (which commits at once): readers keep the old rows until COMMIT.
        if (options.replace && !created) await query(c, `DELETE FROM ${qt(table)}`);
      } catch (error) {
        await query(c, 'ROLLBACK').catch(() => undefined);
        await release(c);
        throw error;
      }
      const list = columns.map((col) => q(col.name)).join(', ');
      let open = true;
      return {
        created,
        async insert(rows) {
          for (const batch of insertBatches(rows, columns.length)) {
            const values: TargetValue[] = [];
            const tuples = batch.map((row) => `(${row.map((v) => (values.push(v), '?')).join(', ')})`);
            await query(c, `INSERT INTO ${qt(table)} (${list}) VALUES ${tuples.join(', ')}`, values);
          }
        },
        async commit() {
          open = false;
          try {
            await query(c, 'COMMIT');
          } finally {
            await release(c);
          }
        },
        async abort() {
          if (!open) return;
          open = false;
          await query(c, 'ROLLBACK').catch(() => undefined);
          await release(c);
        },
      };
    },

    async close() {
      await Promise.all([...connections].map(release));
    },
  };
}
