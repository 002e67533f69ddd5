/**
 * All SQL of the open-data module, with bound parameters. Its own tables (migration 0013) and the
 * snapshot tables it creates at publication; the one read of another module's data is the dataset's
 * relation, named by the catalogue (identifiers through ident(), never from request text), which the
 * check counts and the snapshot copies.
 */
import type { Queryable } from '../../db/index.ts';
import { maybeOne, one } from '../../db/index.ts';
import { ident } from '../../db/sql.ts';
import type { HierarchyKind } from './hierarchies.ts';
import type { Thresholds } from './deid.ts';

export type ColumnRole = 'direct' | 'quasi' | 'sensitive' | 'insensitive' | 'excluded';
export const COLUMN_ROLES: readonly ColumnRole[] = ['direct', 'quasi', 'sensitive', 'insensitive', 'excluded'];

/** The officer's decision for one 信息项 of a release. */
export interface PlanColumn {
  name: string;
  role: ColumnRole;
  hierarchy: HierarchyKind;
  level: number;
}

/** One column of a published snapshot: the portal's data dictionary. */
export interface ReleasedColumn {
  name: string;
  /** Column of the snapshot table (c1 …). */
  column: string;
  role: 'quasi' | 'sensitive' | 'insensitive';
  dataType: string;
  description: string;
  /** Generalization of a quasi-identifier, as names. */
  generalization: { zh: string; en: string } | null;
  completeness: number;
  distinct: number;
}

export interface ReleaseMeta {
  name: string;
  summary: string;
  domain: string;
  category: string;
  format: string;
  updateCycle: string;
  tags: string[];
  providerName: string;
  /** Region code of the providing organisation (from the 资源代码). */
  region: string;
  contact: { name?: string; phone?: string; email?: string };
}

export interface ReleaseFacts {
  columns: ReleasedColumn[];
  quality: { score: number; completeness: number; documentation: number };
  chart: { column: string; values: { value: string; count: number }[] } | null;
}

export interface ReleaseRow {
  id: string;
  dataset_id: string;
  dataset_code: string;
  number: number;
  version: number;
  state: 'draft' | 'published' | 'withdrawn' | 'superseded';
  open_type: 'unconditional' | 'conditional';
  provider_org_id: string;
  meta: ReleaseMeta;
  columns: PlanColumn[];
  thresholds: Thresholds;
  report: Record<string, unknown> | null;
  passed: boolean;
  relation: string | null;
  row_count: number | null;
  facts: ReleaseFacts | null;
  licence: string;
  notes: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  checked_at: Date | null;
  published_by: string | null;
  published_at: Date | null;
  withdrawn_by: string | null;
  withdrawn_at: Date | null;
  withdraw_reason: string | null;
}

/** A published release with its use counters, as the portal lists it. */
export type PortalRow = ReleaseRow & { downloads: number; api_calls: number; previews: number; rating: number | null; ratings: number };

export interface SocietyUserRow {
  id: string;
  email: string;
  kind: 'individual' | 'enterprise';
  display_name: string;
  org_name: string | null;
  uscc: string | null;
  phone: string | null;
  password_hash: string;
  email_verified_at: Date | null;
  failed_logins: number;
  locked_until: Date | null;
  disabled: boolean;
  last_login_at: Date | null;
  created_at: Date;
}

export interface OpenKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

export interface ApplicationRow {
  id: string;
  dataset_id: string;
  dataset_code: string;
  dataset_name: string;
  provider_org_id: string;
  user_id: string;
  purpose: string;
  intended_use: string;
  applicant: { name: string; organization?: string; uscc?: string; phone?: string };
  state: 'submitted' | 'approved' | 'rejected';
  due_at: Date;
  terms: { until: string; conditions: string } | null;
  reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
  email?: string;
}

export interface CommentRow {
  id: string;
  dataset_code: string;
  provider_org_id: string;
  user_id: string;
  rating: number;
  body: string;
  state: 'pending' | 'approved' | 'rejected';
  created_at: Date;
  author: string;
}

export interface DemandRow {
  id: string;
  user_id: string;
  org_id: string;
  title: string;
  body: string;
  state: 'submitted' | 'answered' | 'rejected';
  answer: string | null;
  answered_at: Date | null;
  created_at: Date;
  author: string;
}

export interface ShowcaseRow {
  id: string;
  user_id: string;
  provider_org_id: string;
  title: string;
  description: string;
  url: string | null;
  dataset_codes: string[];
  state: 'pending' | 'approved' | 'rejected';
  reason: string | null;
  created_at: Date;
  author: string;
}

const SETTINGS_KEY = 'open.settings';

/** A quasi-identifier's generalization in SQL: stored value → (class code, released value). */
export interface SqlGeneralization {
  physical: string;
  raw: string[];
  code: number[];
  label: (string | null)[];
  nullCode: number;
  nullLabel: string | null;
}

/** Counting distinct values with NULL as one more value (l-diversity treats a missing value as a value). */
const distinctWithNull = (column: string) => `(count(DISTINCT ${column}) + max(CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END))`;

export function openRepo(db: Queryable) {
  return {
    // ---- settings ------------------------------------------------------------------------------

    settings: async () => (await db.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [SETTINGS_KEY]))[0]?.value,
    saveSettings: (value: unknown) =>
      db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [SETTINGS_KEY, JSON.stringify(value)],
      ),

    // ---- releases ------------------------------------------------------------------------------

    nextNumber: async (datasetId: string) =>
      (await one<{ n: number }>(db, 'SELECT COALESCE(max(number), 0)::int + 1 AS n FROM open_releases WHERE dataset_id = $1', [datasetId])).n,
    insertRelease: (
      r: Pick<
        ReleaseRow,
        | 'id'
        | 'dataset_id'
        | 'dataset_code'
        | 'number'
        | 'version'
        | 'open_type'
        | 'provider_org_id'
        | 'meta'
        | 'columns'
        | 'thresholds'
        | 'licence'
        | 'notes'
        | 'created_by'
      >,
    ) =>
      db.query(
        `INSERT INTO open_releases (id, dataset_id, dataset_code, number, version, open_type, provider_org_id, meta, columns, thresholds, licence, notes, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          r.id,
          r.dataset_id,
          r.dataset_code,
          r.number,
          r.version,
          r.open_type,
          r.provider_org_id,
          JSON.stringify(r.meta),
          JSON.stringify(r.columns),
          JSON.stringify(r.thresholds),
          r.licence,
          r.notes,
          r.created_by,
        ],
      ),
    release: (id: string) => maybeOne<ReleaseRow>(db, 'SELECT * FROM open_releases WHERE id = $1', [id]),
    lockRelease: (id: string) => maybeOne<ReleaseRow>(db, 'SELECT * FROM open_releases WHERE id = $1 FOR UPDATE', [id]),
    /** Releases of an organisation's datasets (null: all), newest first. */
    releases: (providerOrgId: string | null) =>
      db.query<ReleaseRow>(`SELECT * FROM open_releases WHERE ($1::uuid IS NULL OR provider_org_id = $1) ORDER BY updated_at DESC LIMIT 500`, [providerOrgId]),
    updatePlan: (id: string, r: Pick<ReleaseRow, 'columns' | 'licence' | 'notes' | 'meta'>) =>
      db.query(
        `UPDATE open_releases SET columns = $2, licence = $3, notes = $4, meta = $5, passed = false, updated_at = now() WHERE id = $1 AND state = 'draft'`,
        [id, JSON.stringify(r.columns), r.licence, r.notes, JSON.stringify(r.meta)],
      ),
    saveCheck: (id: string, c: { version: number; thresholds: Thresholds; report: unknown; passed: boolean }) =>
      db.query(
        `UPDATE open_releases SET version = $2, thresholds = $3, report = $4, passed = $5, checked_at = now(), updated_at = now() WHERE id = $1 AND state = 'draft'`,
        [id, c.version, JSON.stringify(c.thresholds), JSON.stringify(c.report), c.passed],
      ),
    supersede: (datasetId: string) =>
      db.query(`UPDATE open_releases SET state = 'superseded', updated_at = now() WHERE dataset_id = $1 AND state = 'published'`, [datasetId]),
    markPublished: (
      id: string,
      p: {
        version: number;
        openType: ReleaseRow['open_type'];
        relation: string;
        rowCount: number;
        report: unknown;
        facts: ReleaseFacts;
        meta: ReleaseMeta;
        thresholds: Thresholds;
        by: string;
      },
    ) =>
      db.query(
        `UPDATE open_releases SET state = 'published', version = $2, relation = $3, row_count = $4, report = $5, facts = $6, meta = $7, thresholds = $8,
           passed = true, published_by = $9, published_at = now(), checked_at = now(), updated_at = now(), open_type = $10
         WHERE id = $1`,
        [
          id,
          p.version,
          p.relation,
          p.rowCount,
          JSON.stringify(p.report),
          JSON.stringify(p.facts),
          JSON.stringify(p.meta),
          JSON.stringify(p.thresholds),
          p.by,
          p.openType,
        ],
      ),
    withdraw: (id: string, by: string, reason: string) =>
      maybeOne<ReleaseRow>(
        db,
        `UPDATE open_releases SET state = 'withdrawn', withdrawn_by = $2, withdrawn_at = now(), withdraw_reason = $3, updated_at = now() WHERE id = $1 AND state = 'published' RETURNING *`,
        [id, by, reason],
      ),
    deleteDraft: (id: string) => db.query(`DELETE FROM open_releases WHERE id = $1 AND state = 'draft'`, [id]),

    // ---- the check and the snapshot (the dataset's relation and the module's snapshot tables) --

    /**
     * The class table: one GROUP BY over the quasi-identifiers and sensitive attributes (as text) of
     * the dataset's relation, with the number of rows of each combination.
     */
    classTable: (relation: string, qis: readonly string[], sensitive: readonly string[]) => {
      const cols = [...qis.map((c, i) => `t.${ident(c)}::text AS q${i}`), ...sensitive.map((c, i) => `t.${ident(c)}::text AS s${i}`)];
      const groups = cols.map((_, i) => String(i + 1));
      return db.query<Record<string, unknown>>(
        `SELECT ${[...cols, 'count(*)::bigint AS n'].join(', ')} FROM ${ident(relation)} t${groups.length ? ` GROUP BY ${groups.join(', ')}` : ''}`,
      );
    },

    /**
     * Creates the snapshot table: released columns only (quasi-identifiers as their generalized values),
     * rows of suppressed classes left out; personal data shuffled (the source order reveals nothing),
     * other data in the source order.
     */
    createSnapshot: async (s: {
      table: string;
      relation: string;
      columns: { out: string; physical: string; qi?: number }[];
      qis: SqlGeneralization[];
      suppressed: string[];
      shuffle: boolean;
    }) => {
      const params: unknown[] = [];
      const p = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      const col = (i: number) => `t.${ident(s.qis[i]!.physical)}`;
      const joins = s.qis.map(
        (q, i) => `LEFT JOIN unnest(${p(q.raw)}::text[], ${p(q.code)}::int[], ${p(q.label)}::text[]) AS m${i}(raw, code, label) ON m${i}.raw = ${col(i)}::text`,
      );
      const label = (i: number) => `CASE WHEN ${col(i)} IS NULL THEN ${p(s.qis[i]!.nullLabel)}::text ELSE m${i}.label END`;
      const select = s.columns.map((c) => `${c.qi !== undefined ? label(c.qi) : `t.${ident(c.physical)}`} AS ${ident(c.out)}`);
      // A row's class is the codes of its generalized values; a stored value the check did not see gets -2.
      const codes = () => s.qis.map((q, i) => `CASE WHEN ${col(i)} IS NULL THEN ${p(q.nullCode)}::int ELSE COALESCE(m${i}.code, -2) END`);
      const where = s.suppressed.length && s.qis.length ? `WHERE concat_ws(',', ${codes().join(', ')}) NOT IN (SELECT unnest(${p(s.suppressed)}::text[]))` : '';
      await db.query(
        `CREATE TABLE ${ident(s.table)} AS
         SELECT row_number() OVER (ORDER BY ${s.shuffle ? 'random()' : 't._row'})::bigint AS _n${select.length ? `, ${select.join(', ')}` : ''}
         FROM ${ident(s.relation)} t ${joins.join(' ')} ${where}`,
        params,
      );
      await db.query(`CREATE UNIQUE INDEX ON ${ident(s.table)} (_n)`);
    },

    /** The check repeated on the snapshot itself: rows, smallest class, fewest distinct sensitive values. */
    verifySnapshot: async (table: string, qis: readonly string[], sensitive: readonly string[]) => {
      const aggregates = ['count(*)::bigint AS n', ...sensitive.map((c, i) => `${distinctWithNull(ident(c))}::bigint AS l${i}`)];
      const grouped = `SELECT ${aggregates.join(', ')} FROM ${ident(table)}${qis.length ? ` GROUP BY ${qis.map(ident).join(', ')}` : ''}`;
      const row = await one<Record<string, unknown>>(
        db,
        `SELECT COALESCE(sum(n), 0)::bigint AS rows, min(n)::bigint AS k${sensitive.map((_, i) => `, min(l${i})::bigint AS l${i}`).join('')} FROM (${grouped}) c`,
      );
      return {
        rows: Number(row.rows),
        k: row.k === null ? null : Number(row.k),
        l: sensitive.map((_, i) => (row[`l${i}`] === null ? null : Number(row[`l${i}`]))),
      };
    },

    /** Per column: non-null values and distinct values of a snapshot. */
    columnStats: async (table: string, columns: readonly string[]) => {
      if (!columns.length) return [];
      const row = await one<Record<string, unknown>>(
        db,
        `SELECT ${columns.map((c, i) => `count(${ident(c)})::bigint AS n${i}, count(DISTINCT ${ident(c)})::bigint AS d${i}`).join(', ')} FROM ${ident(table)}`,
      );
      return columns.map((_, i) => ({ nonNull: Number(row[`n${i}`]), distinct: Number(row[`d${i}`]) }));
    },
    topValues: (table: string, column: string, limit: number) =>
      db.query<{ value: string | null; count: number }>(
        `SELECT ${ident(column)}::text AS value, count(*)::bigint AS count FROM ${ident(table)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $1`,
        [limit],
      ),

    /** A page of a snapshot in its row order, optionally filtered by equality on released columns. */
    snapshotRows: (table: string, columns: readonly string[], after: number, limit: number, equals: readonly { column: string; value: string }[] = []) =>
      db.query<Record<string, unknown>>(
        `SELECT _n, ${columns.map(ident).join(', ')} FROM ${ident(table)}
         WHERE _n > $1 ${equals.map((e, i) => `AND ${ident(e.column)}::text = $${i + 3}`).join(' ')} ORDER BY _n LIMIT $2`,
        [after, limit, ...equals.map((e) => e.value)],
      ),

    // ---- the portal ----------------------------------------------------------------------------

    /** The id of a dataset's published release: the one read every public request makes (withdrawal holds at once). */
    publishedId: async (code: string) =>
      (await maybeOne<{ id: string }>(db, `SELECT id FROM open_releases WHERE dataset_code = $1 AND state = 'published'`, [code]))?.id,
    /** The published release of a dataset. */
    publishedByCode: (code: string) => maybeOne<ReleaseRow>(db, `SELECT * FROM open_releases WHERE dataset_code = $1 AND state = 'published'`, [code]),
    /** Every published release with its use counters and rating (the portal's catalogue). */
    portal: () =>
      db.query<PortalRow>(
        `SELECT r.*, COALESCE(u.downloads, 0)::bigint AS downloads, COALESCE(u.api_calls, 0)::bigint AS api_calls, COALESCE(u.previews, 0)::bigint AS previews,
                c.rating::float8 AS rating, COALESCE(c.ratings, 0)::int AS ratings
           FROM open_releases r
           LEFT JOIN (SELECT dataset_code, sum(downloads) AS downloads, sum(api_calls) AS api_calls, sum(previews) AS previews FROM open_usage GROUP BY 1) u ON u.dataset_code = r.dataset_code
           LEFT JOIN (SELECT dataset_code, avg(rating) AS rating, count(*) AS ratings FROM open_comments WHERE state = 'approved' GROUP BY 1) c ON c.dataset_code = r.dataset_code
          WHERE r.state = 'published'
          ORDER BY r.published_at DESC`,
      ),
    /** Releases of a dataset that were public at some time (the 更新记录). */
    history: (code: string) =>
      db.query<Pick<ReleaseRow, 'number' | 'version' | 'state' | 'published_at' | 'withdrawn_at' | 'row_count' | 'withdraw_reason'>>(
        `SELECT number, version, state, published_at, withdrawn_at, row_count, withdraw_reason FROM open_releases WHERE dataset_code = $1 AND published_at IS NOT NULL ORDER BY number DESC`,
        [code],
      ),
    usage: async (code: string) =>
      (await maybeOne<{ downloads: number; api_calls: number; previews: number }>(
        db,
        `SELECT COALESCE(sum(downloads), 0)::bigint AS downloads, COALESCE(sum(api_calls), 0)::bigint AS api_calls, COALESCE(sum(previews), 0)::bigint AS previews FROM open_usage WHERE dataset_code = $1`,
        [code],
      )) ?? { downloads: 0, api_calls: 0, previews: 0 },
    /** Adds counted uses (a batch of one process) to the day's counters. */
    addUsage: (code: string, day: string, downloads: number, apiCalls: number, previews: number) =>
      db.query(
        `INSERT INTO open_usage (dataset_code, day, downloads, api_calls, previews) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dataset_code, day) DO UPDATE SET downloads = open_usage.downloads + EXCLUDED.downloads,
           api_calls = open_usage.api_calls + EXCLUDED.api_calls, previews = open_usage.previews + EXCLUDED.previews`,
        [code, day, downloads, apiCalls, previews],
      ),

    // ---- society users -------------------------------------------------------------------------

    insertUser: (u: Pick<SocietyUserRow, 'id' | 'email' | 'kind' | 'display_name' | 'org_name' | 'uscc' | 'phone' | 'password_hash'>) =>
      db.query(
        `INSERT INTO open_users (id, email, kind, display_name, org_name, uscc, phone, password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (email) DO NOTHING`,
        [u.id, u.email, u.kind, u.display_name, u.org_name, u.uscc, u.phone, u.password_hash],
      ),
    userByEmail: (email: string) => maybeOne<SocietyUserRow>(db, 'SELECT * FROM open_users WHERE email = $1', [email]),
    user: (id: string) => maybeOne<SocietyUserRow>(db, 'SELECT * FROM open_users WHERE id = $1', [id]),
    recordFailedLogin: (id: string, max: number, lockMinutes: number) =>
      one<{ failed_logins: number; locked_until: Date | null }>(
        db,
        `UPDATE open_users SET failed_logins = failed_logins + 1,
           locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END
         WHERE id = $1 RETURNING failed_logins, locked_until`,
        [id, max, lockMinutes],
      ),
    recordLogin: (id: string) => db.query('UPDATE open_users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1', [id]),
    setVerified: (id: string) => db.query('UPDATE open_users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1', [id]),
    setPassword: (id: string, hash: string) =>
      db.query('UPDATE open_users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1', [id, hash]),

    insertSession: (s: { idHash: string; userId: string; csrfHash: string; expiresAt: Date; ip: string; userAgent: string }) =>
      db.query('INSERT INTO open_sessions (id_hash, user_id, csrf_hash, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)', [
        s.idHash,
        s.userId,
        s.csrfHash,
        s.expiresAt,
        s.ip,
        s.userAgent,
      ]),
    /** A live session, its idle clock refreshed. */
    touchSession: (idHash: string, idleMinutes: number) =>
      maybeOne<{ user_id: string; csrf_hash: string }>(
        db,
        `UPDATE open_sessions SET last_seen_at = now()
          WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > now() AND last_seen_at > now() - make_interval(mins => $2)
          RETURNING user_id, csrf_hash`,
        [idHash, idleMinutes],
      ),
    endSession: (idHash: string) => db.query('UPDATE open_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL', [idHash]),
    endUserSessions: (userId: string) => db.query('UPDATE open_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [userId]),

    insertToken: (t: { hash: string; userId: string; purpose: 'verify' | 'reset'; expiresAt: Date }) =>
      db.query('INSERT INTO open_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)', [t.hash, t.userId, t.purpose, t.expiresAt]),
    /** Uses a one-time token once: its user, or nothing when unknown, used or expired. */
    useToken: (hash: string, purpose: 'verify' | 'reset') =>
      maybeOne<{ user_id: string }>(
        db,
        `UPDATE open_tokens SET used_at = now() WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
        [hash, purpose],
      ),

    insertKey: (k: Pick<OpenKeyRow, 'id' | 'user_id' | 'name' | 'prefix' | 'key_hash'>) =>
      one<OpenKeyRow>(db, 'INSERT INTO open_api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
        k.id,
        k.user_id,
        k.name,
        k.prefix,
        k.key_hash,
      ]),
    keyByPrefix: (prefix: string) => maybeOne<OpenKeyRow>(db, 'SELECT * FROM open_api_keys WHERE prefix = $1', [prefix]),
    keys: (userId: string) => db.query<OpenKeyRow>('SELECT * FROM open_api_keys WHERE user_id = $1 ORDER BY created_at DESC', [userId]),
    revokeKey: (userId: string, id: string) =>
      maybeOne<OpenKeyRow>(db, 'UPDATE open_api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND user_id = $2 RETURNING *', [id, userId]),
    /** Last use, written at most once a minute per key. */
    touchKey: (id: string) =>
      db.query(`UPDATE open_api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [id]),

    // ---- applications (有条件开放) ---------------------------------------------------------------

    insertApplication: (a: Omit<ApplicationRow, 'state' | 'terms' | 'reason' | 'decided_by' | 'decided_at' | 'created_at' | 'email'>) =>
      one<ApplicationRow>(
        db,
        `INSERT INTO open_applications (id, dataset_id, dataset_code, dataset_name, provider_org_id, user_id, purpose, intended_use, applicant, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [a.id, a.dataset_id, a.dataset_code, a.dataset_name, a.provider_org_id, a.user_id, a.purpose, a.intended_use, JSON.stringify(a.applicant), a.due_at],
      ),
    application: (id: string) =>
      maybeOne<ApplicationRow>(db, 'SELECT a.*, u.email FROM open_applications a JOIN open_users u ON u.id = a.user_id WHERE a.id = $1', [id]),
    applicationsOf: (userId: string) => db.query<ApplicationRow>('SELECT * FROM open_applications WHERE user_id = $1 ORDER BY created_at DESC', [userId]),
    /** Applications to a department (null: every department), waiting ones first. */
    applicationsFor: (providerOrgId: string | null) =>
      db.query<ApplicationRow>(
        `SELECT a.*, u.email FROM open_applications a JOIN open_users u ON u.id = a.user_id
          WHERE ($1::uuid IS NULL OR a.provider_org_id = $1) ORDER BY (a.state = 'submitted') DESC, a.due_at, a.created_at DESC LIMIT 500`,
        [providerOrgId],
      ),
    pendingApplication: (userId: string, code: string) =>
      maybeOne<ApplicationRow>(db, `SELECT * FROM open_applications WHERE user_id = $1 AND dataset_code = $2 AND state = 'submitted'`, [userId, code]),
    /** An approval of this user for this dataset whose terms still run (read on every request). */
    activeApproval: (userId: string, code: string, today: string) =>
      maybeOne<ApplicationRow>(
        db,
        `SELECT * FROM open_applications WHERE user_id = $1 AND dataset_code = $2 AND state = 'approved' AND (terms->>'until')::date >= $3::date ORDER BY decided_at DESC LIMIT 1`,
        [userId, code, today],
      ),
    decideApplication: (id: string, d: { state: 'approved' | 'rejected'; terms: ApplicationRow['terms']; reason: string | null; by: string }) =>
      maybeOne<ApplicationRow>(
        db,
        `UPDATE open_applications SET state = $2, terms = $3, reason = $4, decided_by = $5, decided_at = now() WHERE id = $1 AND state = 'submitted' RETURNING *`,
        [id, d.state, d.terms === null ? null : JSON.stringify(d.terms), d.reason, d.by],
      ),

    // ---- feedback --------------------------------------------------------------------------------

    insertComment: (c: { id: string; code: string; providerOrgId: string; userId: string; rating: number; body: string }) =>
      db.query('INSERT INTO open_comments (id, dataset_code, provider_org_id, user_id, rating, body) VALUES ($1, $2, $3, $4, $5, $6)', [
        c.id,
        c.code,
        c.providerOrgId,
        c.userId,
        c.rating,
        c.body,
      ]),
    comments: (filter: { code?: string; providerOrgId?: string | null; state?: CommentRow['state'] }) =>
      db.query<CommentRow>(
        `SELECT c.*, u.display_name AS author FROM open_comments c JOIN open_users u ON u.id = c.user_id
          WHERE ($1::text IS NULL OR c.dataset_code = $1) AND ($2::uuid IS NULL OR c.provider_org_id = $2) AND ($3::text IS NULL OR c.state = $3)
          ORDER BY c.created_at DESC LIMIT 200`,
        [filter.code ?? null, filter.providerOrgId ?? null, filter.state ?? null],
      ),
    moderateComment: (id: string, providerOrgId: string | null, state: 'approved' | 'rejected', by: string) =>
      maybeOne<{ id: string; user_id: string }>(
        db,
        `UPDATE open_comments SET state = $3, moderated_by = $4, moderated_at = now() WHERE id = $1 AND ($2::uuid IS NULL OR provider_org_id = $2) RETURNING id, user_id`,
        [id, providerOrgId, state, by],
      ),
    reviewShowcase: (id: string, providerOrgId: string | null, state: 'approved' | 'rejected', by: string, reason: string | null) =>
      maybeOne<{ id: string; user_id: string }>(
        db,
        `UPDATE open_showcases SET state = $3, reviewed_by = $4, reviewed_at = now(), reason = $5 WHERE id = $1 AND ($2::uuid IS NULL OR provider_org_id = $2) RETURNING id, user_id`,
        [id, providerOrgId, state, by, reason],
      ),

    insertDemand: (d: { id: string; userId: string; orgId: string; title: string; body: string }) =>
      db.query('INSERT INTO open_demands (id, user_id, org_id, title, body) VALUES ($1, $2, $3, $4, $5)', [d.id, d.userId, d.orgId, d.title, d.body]),
    demands: (filter: { orgId?: string | null; userId?: string; state?: DemandRow['state'] }) =>
      db.query<DemandRow>(
        `SELECT d.*, u.display_name AS author FROM open_demands d JOIN open_users u ON u.id = d.user_id
          WHERE ($1::uuid IS NULL OR d.org_id = $1) AND ($2::uuid IS NULL OR d.user_id = $2) AND ($3::text IS NULL OR d.state = $3)
          ORDER BY d.created_at DESC LIMIT 200`,
        [filter.orgId ?? null, filter.userId ?? null, filter.state ?? null],
      ),
    answerDemand: (id: string, orgId: string | null, d: { state: 'answered' | 'rejected'; answer: string; by: string }) =>
      maybeOne<{ id: string; user_id: string }>(
        db,
        `UPDATE open_demands SET state = $3, answer = $4, answered_by = $5, answered_at = now() WHERE id = $1 AND ($2::uuid IS NULL OR org_id = $2) AND state = 'submitted' RETURNING id, user_id`,
        [id, orgId, d.state, d.answer, d.by],
      ),

    insertShowcase: (s: { id: string; userId: string; providerOrgId: string; title: string; description: string; url: string | null; codes: string[] }) =>
      db.query('INSERT INTO open_showcases (id, user_id, provider_org_id, title, description, url, dataset_codes) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        s.id,
        s.userId,
        s.providerOrgId,
        s.title,
        s.description,
        s.url,
        s.codes,
      ]),
    showcases: (filter: { providerOrgId?: string | null; userId?: string; state?: ShowcaseRow['state'] }) =>
      db.query<ShowcaseRow>(
        `SELECT s.*, u.display_name AS author FROM open_showcases s JOIN open_users u ON u.id = s.user_id
          WHERE ($1::uuid IS NULL OR s.provider_org_id = $1) AND ($2::uuid IS NULL OR s.user_id = $2) AND ($3::text IS NULL OR s.state = $3)
          ORDER BY s.created_at DESC LIMIT 200`,
        [filter.providerOrgId ?? null, filter.userId ?? null, filter.state ?? null],
      ),
  };
}

export type OpenRepo = ReturnType<typeof openRepo>;
