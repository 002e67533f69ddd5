/** The PostgreSQL connector (node-postgres), also for PostgreSQL-compatible servers. */
import net from 'node:net';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import { BadRequestError } from '../../errors.ts';
import {
  FETCH_ROWS,
  insertBatches,
  mapSourceError,
  targetColumnMissing,
  type ChangeStream,
  type Connector,
  type Replication,
  type RowChange,
  type RowRange,
  type Snapshot,
  type SourceSettings,
  type TableRef,
  type TargetColumn,
  type TargetValue,
  type TargetWrite,
} from './connector.ts';

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
const TARGET_TYPES: Record<TargetColumn['type'], string> = {
  text: 'text',
  integer: 'bigint',
  decimal: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamptz',
};

/** A change's values as text (as the snapshot reads them); `undefined` stays (a value not sent). */
function textValues(tuple: Record<string, unknown> | null): Record<string, string | null | undefined> {
  const out: Record<string, string | null | undefined> = {};
  for (const [k, v] of Object.entries(tuple ?? {})) out[k] = v === null || v === undefined ? (v as null | undefined) : String(v);
  return out;
}

const privilegeError = (what: { zh: string; en: string }, table: TableRef) =>
  new BadRequestError('cdc_privilege', {
    zh: `CDC 需要${what.zh}；或由数据库管理员执行 CREATE PUBLICATION pdx_${table.table} FOR TABLE ${qt(table)}，pdx 只管理复制槽`,
    en: `CDC needs ${what.en}; or the DBA runs CREATE PUBLICATION pdx_${table.table} FOR TABLE ${qt(table)} and pdx manages only the replication slot`,
  });

export function postgresConnector(settings: SourceSettings): Connector {
  const clients = new Set<pg.Client>();
  const clientConfig = (): pg.ClientConfig => ({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password: settings.password,
    ssl:
      settings.tls === 'off'
        ? false
        : settings.tls === 'require'
          ? { rejectUnauthorized: false }
          : {
              rejectUnauthorized: true,
              ...(settings.ca ? { ca: settings.ca } : {}),
              ...(settings.servername && !net.isIP(settings.servername) ? { servername: settings.servername } : {}),
            },
    connectionTimeoutMillis: 15_000,
    application_name: 'pdx-exchange',
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ ...clientConfig(), types: textTypes });
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

  const replication: Replication = {
    prepare: (table, slot, publication) =>
      once(async (client) => {
        const { rows } = await client.query<{
          replication: string;
          super: string;
          owner: string;
          db_create: string;
          existing: string | null;
          wal_level: string;
        }>(
          `SELECT r.rolreplication AS replication, r.rolsuper AS super, pg_has_role(c.relowner, 'USAGE') AS owner,
                  has_database_privilege(current_database(), 'CREATE') AS db_create, current_setting('wal_level') AS wal_level,
                  (SELECT pubname FROM pg_publication_tables p WHERE p.schemaname = $1 AND p.tablename = $2 ORDER BY pubname = $3 DESC, pubname LIMIT 1) AS existing
           FROM pg_roles r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE r.rolname = current_user AND n.nspname = $1 AND c.relname = $2`,
          [table.schema, table.table, publication],
        );
        // Booleans arrive as text (textTypes).
        const r = {
          ...rows[0]!,
          replication: rows[0]!.replication === 'true',
          super: rows[0]!.super === 'true',
          owner: rows[0]!.owner === 'true',
          db_create: rows[0]!.db_create === 'true',
        };
        if (r.wal_level !== 'logical') {
          throw new BadRequestError('cdc_wal_level', {
            zh: `数据源未开启逻辑复制（wal_level 为 ${r.wal_level}，须为 logical）`,
            en: `The source does not allow logical replication (wal_level is ${r.wal_level}; it must be logical)`,
          });
        }
        if (!r.replication && !r.super)
          throw privilegeError(
            { zh: '用户具有 REPLICATION 属性（ALTER ROLE … REPLICATION）', en: 'a user with the REPLICATION attribute (ALTER ROLE … REPLICATION)' },
            table,
          );
        let created = false;
        let name = r.existing;
        if (!name) {
          if (!(r.owner && r.db_create) && !r.super)
            throw privilegeError(
              { zh: '数据库的 CREATE 权限和该表的所有权（以创建发布）', en: 'CREATE on the database and ownership of the table (to create the publication)' },
              table,
            );
          await client.query(`CREATE PUBLICATION ${q(publication)} FOR TABLE ${qt(table)}`);
          created = true;
          name = publication;
        }
        try {
          await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
        } catch (error) {
          if (created) await client.query(`DROP PUBLICATION IF EXISTS ${q(publication)}`).catch(() => undefined);
          throw error;
        }
        return { publication: name, created };
      }),

    drop: (slot, publication) =>
      once(async (client) => {
        // A stream of a stopped or dead pdx process may still hold the slot for a moment.
        for (let attempt = 0; ; attempt++) {
          const { rows } = await client.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
          if (rows.length === 0) break;
          if (rows[0]!.active_pid !== null) await client.query('SELECT pg_terminate_backend($1)', [rows[0]!.active_pid]).catch(() => undefined);
          try {
            await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
            break;
          } catch (error) {
            // 55006: the slot is active (the stream has not ended yet).
            if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        if (publication) await client.query(`DROP PUBLICATION IF EXISTS ${q(publication)}`);
      }),

    lag: (slot) =>
      once(async (client) => {
        const { rows } = await client.query<{ bytes: string }>(
          // The acknowledgement names the byte after the last one applied: caught up reads -1, shown as 0.
          'SELECT GREATEST(0, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn))::bigint AS bytes FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        return rows[0] ? Number(rows[0].bytes) : undefined;
      }),

    async stream(slot, publication, from, handlers): Promise<ChangeStream> {
      // Nothing is acknowledged automatically: the caller acknowledges what pdx has committed.
      const service = new LogicalReplicationService(clientConfig(), { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } });
      const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });
      // Values as text, as the snapshot reads them (the library would parse them to JS types).
      const parser = (plugin as unknown as { parser: { readRelationColumn(reader: unknown): Pgoutput.RelationColumn } }).parser;
      const readColumn = parser.readRelationColumn.bind(parser);
      parser.readRelationColumn = (reader) => {
        const column = readColumn(reader);
        return { ...column, parser: textTypes.getTypeParser(column.typeOid) };
      };
      let changes: RowChange[] | undefined;
      let acked = from ?? '0/0';
      service.on('data', async (_lsn: string, message: Pgoutput.Message) => {
        switch (message.tag) {
          case 'relation':
            await handlers.onRelation().catch((error: unknown) => handlers.onError(error));
            break;
          case 'begin':
            changes = [];
            break;
          case 'insert':
            changes?.push({ op: 'upsert', values: textValues(message.new) });
            break;
          case 'update':
            // The old key comes only when the key changed (or with REPLICA IDENTITY FULL): its row goes.
            if (message.key ?? message.old) changes?.push({ op: 'delete', values: textValues(message.key ?? message.old) });
            changes?.push({ op: 'upsert', values: textValues(message.new) });
            break;
          case 'delete':
            changes?.push({ op: 'delete', values: textValues(message.key ?? message.old) });
            break;
          case 'commit': {
            // The library pads LSNs (00000000/015058D0); PostgreSQL prints 0/15058D0.
            const tx = { lsn: message.commitEndLsn!.replace(/\b0+(?=[0-9A-F])/g, ''), changes: changes ?? [] };
            changes = undefined;
            await handlers.onTransaction(tx);
            break;
          }
        }
      });
      // The library queues received changes (flow control) but emits keep-alives at once: idle
      // means its queue is empty too, so every change sent before the keep-alive has been handled.
      const internals = service as unknown as { _messageQueue: unknown[]; _processing: boolean };
      const idle = () => changes === undefined && internals._messageQueue.length === 0 && !internals._processing && handlers.idle();
      service.on('heartbeat', async (lsn: string, _timestamp: number, shouldRespond: boolean) => {
        // Idle (nothing received is unapplied): the slot may move on to the server's position,
        // so unrelated WAL neither counts as lag nor stays at the source; otherwise answer with
        // what pdx has applied.
        if (idle()) acked = lsn;
        if (shouldRespond || idle()) await service.acknowledge(acked).catch(() => undefined);
      });
      service.on('error', (error: unknown) => handlers.onError(mapError(error, settings)));
      let started = false;
      const start = new Promise<void>((resolve, reject) => {
        service.once('start', () => {
          started = true;
          resolve();
        });
        (from ? service.subscribe(plugin, slot, from) : service.subscribe(plugin, slot)).then(
          () => handlers.onError(new BadRequestError('cdc_stream_ended', { zh: '数据源结束了复制连接', en: 'The source ended the replication connection' })),
          (error: unknown) => (started ? handlers.onError(mapError(error, settings)) : reject(mapError(error, settings))),
        );
      });
      try {
        await start;
      } catch (error) {
        await service.destroy().catch(() => undefined);
        throw error;
      }
      return {
        async ack(lsn) {
          acked = lsn;
          await service.acknowledge(lsn);
        },
        async stop() {
          await service.destroy().catch(() => undefined);
        },
      };
    },
  };

  return {
    replication,
    test: () =>
      once(async (client) => {
        const { rows } = await client.query<{
          version: string;
          rolsuper: string;
          rolcreaterole: string;
          rolcreatedb: string;
          db_create: string;
          readable: string;
          writable: string;
          schemas_create: string;
        }>(
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
          const where = range
            ? ` WHERE ${range.after === null ? '' : `${q(range.cursor)} > $1 AND `}${q(range.cursor)} <= $${range.after === null ? 1 : 2} ORDER BY ${q(range.cursor)}`
            : '';
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
