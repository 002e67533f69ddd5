/** The PostgreSQL connector (node-postgres), also for PostgreSQL-compatible servers. */
import net from 'node:net';
import pg from 'pg';
import { FETCH_ROWS, insertBatches, mapSourceError, targetColumnMissing, type Connector, type RowRange, type Snapshot, type SourceSettings, type TableRef, type TargetColumn, type TargetValue, type TargetWrite } from './connector.ts';

const TIMESTAMPTZ = 1184;
const BOOL = 16;
const SYSTEM_SCHEMAS = `('pg_catalog', 'information_schema')`;

/** A PostgreSQL identifier, quoted (names were checked against the catalogue listing first). */
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const qt = (t: TableRef) => `${q(t.schema)}.${q(t.table)}`;

/** Zones printed as +08 become +08:00, the form the ingest pipeline reads as a timestamp. */
const fixZone = (v: string) => v.replace(/([+-]\d\d)$/, '$1:00');

/** Every value as text, as the server prints it (booleans as true/false). */
const textTypes = {
  getTypeParser: (oid: number) => (oid === TIMESTAMPTZ ? fixZone : oid === BOOL ? (v: string) => (v === 't' ? 'true' : 'false') : (v: string) => v),
};

const mapError = (error: unknown, settings: SourceSettings) => mapSourceError(error, settings, ['28P01', '28000']);

/** Column types of a table pdx creates at a target. */
const TARGET_TYPES: Record<TargetColumn['type'], string> = { text: 'text', integer: 'bigint', decimal: 'numeric', boolean: 'boolean', date: 'date', timestamp: 'timestamptz' };

export function postgresConnector(settings: SourceSettings): Connector {
  const clients = new Set<pg.Client>();

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      password: settings.password,
      ssl: settings.tls === 'off' ? false : settings.tls === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(settings.ca ? { ca: settings.ca } : {}), ...(settings.servername && !net.isIP(settings.servername) ? { servername: settings.servername } : {}) },
      connectionTimeoutMillis: 15_000,
      application_name: 'pdx-exchange',
      types: textTypes,
    });
    // A dropped connection emits 'error' on the client; the query in hand fails with it.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw mapError(error, settings);
    }
    clients.add(client);
    return client;
  }

  async function release(client: pg.Client) {
    clients.delete(client);
    await client.end().catch(() => undefined);
  }

  async function once<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await connect();
    try {
      return await fn(client);
    } catch (error) {
      throw mapError(error, settings);
    } finally {
      await release(client);
    }
  }

  return {
    test: () =>
      once(async (client) => {
        const { rows } = await client.query<{ version: string; rolsuper: string; rolcreaterole: string; rolcreatedb: string; db_create: string; readable: string; writable: string; schemas_create: string }>(
          `SELECT version() AS version, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
                  has_database_privilege(current_database(), 'CREATE') AS db_create,
                  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg_toast%'
                      AND has_table_privilege(c.oid, 'SELECT')) AS readable,
                  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg_toast%'
                      AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS writable,
                  (SELECT count(*) FROM pg_namespace n WHERE n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg_%'
                      AND has_schema_privilege(n.oid, 'CREATE')) AS schemas_create
           FROM pg_roles r WHERE r.rolname = current_user`,
        );
        const r = rows[0]!;
        const yes = (v: string) => v === 'true';
        const privileges = [`SELECT on ${r.readable} tables/views`];
        if (Number(r.writable) > 0) privileges.push(`INSERT/UPDATE/DELETE/TRUNCATE on ${r.writable} tables`);
        if (Number(r.schemas_create) > 0) privileges.push(`CREATE in ${r.schemas_create} schemas`);
        if (yes(r.db_create)) privileges.push('CREATE on the database');
        if (yes(r.rolsuper)) privileges.push('SUPERUSER');
        if (yes(r.rolcreaterole)) privileges.push('CREATEROLE');
        if (yes(r.rolcreatedb)) privileges.push('CREATEDB');
        return { version: r.version, privileges, canWrite: privileges.length > 1 };
      }),

    tables: () =>
      once(async (client) => {
        const { rows } = await client.query<{ schema: string; table: string; kind: string }>(
          `SELECT table_schema AS schema, table_name AS table, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS kind
           FROM information_schema.tables WHERE table_schema NOT IN ${SYSTEM_SCHEMAS} ORDER BY 1, 2`,
        );
        return rows.map((r) => ({ schema: r.schema, table: r.table, kind: r.kind as 'table' | 'view' }));
      }),

    columns: (table) =>
      once(async (client) => {
        const found = await client.query(
          `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
          [table.schema, table.table],
        );
        if (found.rowCount === 0) return undefined;
        const { rows } = await client.query<{ name: string; type: string }>(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
          [table.schema, table.table],
        );
        return rows;
      }),

    async snapshot(): Promise<Snapshot> {
      const client = await connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      } catch (error) {
        await release(client);
        throw mapError(error, settings);
      }
      let cursors = 0;
      return {
        async max(table, column, after) {
          try {
            const { rows } = await client.query<{ max: string | null }>(
              `SELECT max(${q(column)}) AS max FROM ${qt(table)}${after === null ? '' : ` WHERE ${q(column)} > $1`}`,
              after === null ? [] : [after],
            );
            return rows[0]?.max ?? null;
          } catch (error) {
            throw mapError(error, settings);
          }
        },
        async *rows(table, columns, range?: RowRange) {
          const name = `pdx_c${++cursors}`;
          const where = range ? ` WHERE ${range.after === null ? '' : `${q(range.cursor)} > $1 AND `}${q(range.cursor)} <= $${range.after === null ? 1 : 2} ORDER BY ${q(range.cursor)}` : '';
          const params = range ? (range.after === null ? [range.upTo] : [range.after, range.upTo]) : [];
          try {
            await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR SELECT ${columns.map(q).join(', ')} FROM ${qt(table)}${where}`, params);
            for (;;) {
              const { rows } = await client.query({ text: `FETCH ${FETCH_ROWS} FROM ${name}`, rowMode: 'array' });
              for (const row of rows as (string | null)[][]) yield row;
              if (rows.length < FETCH_ROWS) break;
            }
            await client.query(`CLOSE ${name}`);
          } catch (error) {
            throw mapError(error, settings);
          }
        },
        async close() {
          await client.query('ROLLBACK').catch(() => undefined);
          await release(client);
        },
      };
    },

    async write(table, columns, options): Promise<TargetWrite> {
      const client = await connect();
      let created = false;
      try {
        await client.query('BEGIN');
        const found = await client.query(
          `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
          [table.schema, table.table],
        );
        if (found.rowCount === 0) {
          // Inside the delivery's transaction: a failed first delivery leaves no table behind.
          await client.query(`CREATE TABLE ${qt(table)} (${columns.map((c) => `${q(c.name)} ${TARGET_TYPES[c.type]}`).join(', ')})`);
          created = true;
        } else {
          const { rows } = await client.query<{ name: string }>(
            `SELECT a.attname AS name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
            [table.schema, table.table],
          );
          const names = new Set(rows.map((r) => r.name));
          const missing = columns.find((c) => !names.has(c.name));
          if (missing) throw targetColumnMissing(table, missing.name);
          // DELETE, not TRUNCATE: the target's readers keep reading the old rows until COMMIT.
          if (options.replace) await client.query(`DELETE FROM ${qt(table)}`);
        }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        await release(client);
        throw mapError(error, settings);
      }
      const list = columns.map((c) => q(c.name)).join(', ');
      let open = true;
      return {
        created,
        async insert(rows) {
          try {
            for (const batch of insertBatches(rows, columns.length)) {
              const values: TargetValue[] = [];
              const tuples = batch.map((row) => `(${row.map((v) => `$${values.push(v)}`).join(', ')})`);
              await client.query(`INSERT INTO ${qt(table)} (${list}) VALUES ${tuples.join(', ')}`, values);
            }
          } catch (error) {
            throw mapError(error, settings);
          }
        },
        async commit() {
          open = false;
          try {
            await client.query('COMMIT');
          } catch (error) {
            throw mapError(error, settings);
          } finally {
            await release(client);
          }
        },
        async abort() {
          if (!open) return;
          open = false;
          await client.query('ROLLBACK').catch(() => undefined);
          await release(client);
        },
      };
    },

    async close() {
      await Promise.all([...clients].map(release));
    },
  };
}
