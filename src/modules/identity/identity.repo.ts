import type { Queryable } from '../../db/index.ts';
import { maybeOne, one } from '../../db/index.ts';
import type { Role } from '../../http/access.ts';

export interface OrgRow {
  id: string;
  name: string;
  type: 'authority' | 'government' | 'department' | 'enterprise';
  level: 'province' | 'city' | 'county';
  uscc: string | null;
  region_code: string;
  parent_id: string | null;
  created_at: Date;
  /** Set while the organisation is disabled (停用, migration 0032): none of its accounts or keys is accepted. */
  disabled_at: Date | null;
  disabled_reason: string | null;
}

export interface UserRow {
  id: string;
  org_id: string;
  username: string;
  display_name: string;
  roles: Role[];
  password_hash: string;
  must_change_password: boolean;
  failed_logins: number;
  locked_until: Date | null;
  disabled: boolean;
  last_login_at: Date | null;
  created_at: Date;
  /** The TOTP secret, sealed by the keyring (migration 0016); NULL until enrolled. Never leaves the service. */
  totp_secret: string | null;
  totp_enrolled_at: Date | null;
  /** Time step of the last accepted code (a code is accepted once). */
  totp_last_step: number | null;
  /** Made by a first sign-in through the identity provider; waits for the system administrator. */
  pending_approval: boolean;
  /** The user's organisation is disabled; kept by the database (migration 0032). */
  org_disabled: boolean;
}

/** A change to a secadmin or auditor account waiting for (or decided by) a second administrator. */
export interface AdminChangeRow {
  id: string;
  kind: 'create' | 'update' | 'reset_password';
  target_user_id: string | null;
  target_username: string;
  admin_roles: ('sysadmin' | 'secadmin' | 'auditor')[];
  approver_role: 'secadmin' | 'auditor';
  changes: AdminChangeFields;
  before: AdminChangeFields | null;
  sealed_password: string | null;
  state: 'pending' | 'applied' | 'rejected' | 'withdrawn';
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
  /** Joined: user names of the proposer and the decider. */
  proposed_by_username?: string;
  decided_by_username?: string | null;
}

/** The account fields a change sets (or held before it). Never a secret. */
export interface AdminChangeFields {
  username?: string;
  displayName?: string;
  orgId?: string;
  roles?: Role[];
  disabled?: boolean;
}

export interface ApiKeyRow {
  id: string;
  org_id: string;
  created_by: string;
  name: string;
  prefix: string;
  key_hash: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

/** Who a notice goes to: the active users matching any of these. */
export interface NoticeRecipients {
  userIds?: string[];
  /** Every holder of the role. */
  role?: string;
  /** The holders of a role in one organisation; with `link`, their notice links there. */
  orgRole?: { orgId: string; role: string; link?: string | null };
  /** Every user of one organisation. */
  orgId?: string;
}

export interface NoticeRow {
  id: string;
  kind: string;
  title: { zh: string; en: string };
  body: Record<string, unknown>;
  link: string | null;
  created_at: Date;
  read_at: Date | null;
}

/** One name of `names`: a user (handle: username), an API key or an organisation (with its region code). */
export interface NameRow {
  kind: 'user' | 'key' | 'org';
  id: string;
  name: string;
  handle: string | null;
  org_id: string | null;
  org_name: string | null;
  region_code: string | null;
}

/**
 * For the catalogue, whose every dataset row carries its provider's name: the name of the
 * organisation `orgId` (an SQL expression) as a scalar subquery, so a catalogue read stays one
 * statement (the gateway and exchange read datasets per call). identity.service.ts re-exports it.
 */
export const organizationNameSql = (orgId: string) => `(SELECT name FROM organizations WHERE id = ${orgId})`;

/** All SQL of the identity module. */
export function identityRepo(db: Queryable) {
  return {
    // organisations
    listOrgs: () => db.query<OrgRow>('SELECT * FROM organizations ORDER BY region_code, level, name'),
    getOrg: (id: string) => maybeOne<OrgRow>(db, 'SELECT * FROM organizations WHERE id = $1', [id]),
    getOrgByName: (name: string) => maybeOne<OrgRow>(db, 'SELECT * FROM organizations WHERE name = $1', [name]),
    insertOrg: (o: Omit<OrgRow, 'created_at' | 'disabled_at' | 'disabled_reason'>) =>
      one<OrgRow>(
        db,
        `INSERT INTO organizations (id, name, type, level, uscc, region_code, parent_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [o.id, o.name, o.type, o.level, o.uscc, o.region_code, o.parent_id],
      ),
    updateOrg: (id: string, o: Omit<OrgRow, 'id' | 'created_at' | 'disabled_at' | 'disabled_reason'>) =>
      maybeOne<OrgRow>(
        db,
        `UPDATE organizations SET name = $2, type = $3, level = $4, uscc = $5, region_code = $6, parent_id = $7
         WHERE id = $1 RETURNING *`,
        [id, o.name, o.type, o.level, o.uscc, o.region_code, o.parent_id],
      ),
    /** Disables (with a reason) or enables an organisation; its users follow by trigger. */
    setOrgDisabled: (id: string, disabled: boolean, reason: string | null) =>
      maybeOne<OrgRow>(
        db,
        `UPDATE organizations SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END, disabled_reason = CASE WHEN $2 THEN $3 END
         WHERE id = $1 RETURNING *`,
        [id, disabled, reason],
      ),
    endOrgSessions: (orgId: string) =>
      db.query('UPDATE sessions SET ended_at = now() WHERE ended_at IS NULL AND user_id IN (SELECT id FROM users WHERE org_id = $1)', [orgId]),
    /** Ancestors of an organisation, itself first, to refuse cycles. */
    orgAncestors: (id: string) =>
      db.query<{ id: string }>(
        `WITH RECURSIVE up(id, parent_id, depth) AS (
           SELECT id, parent_id, 0 FROM organizations WHERE id = $1
           UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM organizations o JOIN up ON o.id = up.parent_id WHERE up.depth < 64)
         SELECT id FROM up`,
        [id],
      ),

    /** Does the organisation hold an administrator account (三员)? */
    orgHasAdmins: async (orgId: string) =>
      (await db.query('SELECT 1 FROM users WHERE org_id = $1 AND pdx_admin_role_count(roles) > 0 LIMIT 1', [orgId])).length > 0,

    // users
    listUsers: () => db.query<UserRow>('SELECT * FROM users ORDER BY created_at, username'),
    getUser: (id: string) => maybeOne<UserRow>(db, 'SELECT * FROM users WHERE id = $1', [id]),
    getUserByName: (username: string) => maybeOne<UserRow>(db, 'SELECT * FROM users WHERE username = $1', [username]),
    insertUser: (
      u: Pick<UserRow, 'id' | 'org_id' | 'username' | 'display_name' | 'roles' | 'password_hash' | 'must_change_password'> & { pending_approval?: boolean },
    ) =>
      one<UserRow>(
        db,
        `INSERT INTO users (id, org_id, username, display_name, roles, password_hash, must_change_password, pending_approval)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [u.id, u.org_id, u.username, u.display_name, u.roles, u.password_hash, u.must_change_password, u.pending_approval ?? false],
      ),
    updateUser: (id: string, u: Pick<UserRow, 'org_id' | 'display_name' | 'roles' | 'disabled'>) =>
      maybeOne<UserRow>(db, 'UPDATE users SET org_id = $2, display_name = $3, roles = $4, disabled = $5 WHERE id = $1 RETURNING *', [
        id,
        u.org_id,
        u.display_name,
        u.roles,
        u.disabled,
      ]),
    setPassword: (id: string, hash: string, mustChange: boolean) =>
      db.query(
        `UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = now(),
           failed_logins = 0, locked_until = NULL WHERE id = $1`,
        [id, hash, mustChange],
      ),
    /** Counts a failed login; the fifth in a row locks the account. Returns the new state. */
    recordFailedLogin: (id: string, maxFailures: number, lockMinutes: number) =>
      one<{ failed_logins: number; locked_until: Date | null }>(
        db,
        `UPDATE users SET failed_logins = failed_logins + 1,
           locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END
         WHERE id = $1 RETURNING failed_logins, locked_until`,
        [id, maxFailures, lockMinutes],
      ),
    recordLogin: (id: string) => db.query('UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1', [id]),
    unlock: (id: string) => db.query('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1', [id]),
    /** The system administrator admits an account made by a first sign-in through the identity provider. */
    approve: (id: string) => maybeOne<UserRow>(db, 'UPDATE users SET pending_approval = false WHERE id = $1 AND pending_approval RETURNING *', [id]),

    // sessions
    insertSession: (s: {
      idHash: string;
      userId: string;
      csrfHash: string;
      expiresAt: Date;
      ip: string;
      userAgent: string;
      method?: string;
      idToken?: string | null;
    }) =>
      db.query(`INSERT INTO sessions (id_hash, user_id, csrf_hash, expires_at, ip, user_agent, method, id_token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        s.idHash,
        s.userId,
        s.csrfHash,
        s.expiresAt,
        s.ip,
        s.userAgent,
        s.method ?? null,
        s.idToken ?? null,
      ]),
    /**
     * Returns a live session and refreshes its idle clock in one statement, or nothing when it has
     * ended, expired, or sat idle longer than idleMinutes.
     */
    touchSession: (idHash: string, idleMinutes: number) =>
      maybeOne<{ user_id: string; csrf_hash: string }>(
        db,
        `UPDATE sessions SET last_seen_at = now()
         WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > now()
           AND last_seen_at > now() - make_interval(mins => $2)
         RETURNING user_id, csrf_hash`,
        [idHash, idleMinutes],
      ),
    /** Ends a session; returns the sealed ID token of one opened through the identity provider. */
    endSession: (idHash: string) =>
      maybeOne<{ id_token: string | null }>(db, 'UPDATE sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL RETURNING id_token', [idHash]),
    endUserSessions: (userId: string) => db.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [userId]),
    /** Ends every session of a user except the one whose id hash starts with keepPrefix. */
    endOtherSessions: (userId: string, keepPrefix: string) =>
      db.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL AND left(id_hash, 16) <> $2 RETURNING 1', [userId, keepPrefix]),

    // changes to secadmin and auditor accounts (two-person control)
    insertAdminChange: (
      c: Pick<
        AdminChangeRow,
        'id' | 'kind' | 'target_user_id' | 'target_username' | 'admin_roles' | 'approver_role' | 'changes' | 'before' | 'sealed_password' | 'proposed_by'
      >,
    ) =>
      one<AdminChangeRow>(
        db,
        `INSERT INTO admin_changes (id, kind, target_user_id, target_username, admin_roles, approver_role, changes, before, sealed_password, proposed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          c.id,
          c.kind,
          c.target_user_id,
          c.target_username,
          c.admin_roles,
          c.approver_role,
          JSON.stringify(c.changes),
          c.before === null ? null : JSON.stringify(c.before),
          c.sealed_password,
          c.proposed_by,
        ],
      ),
    getAdminChange: (id: string) =>
      maybeOne<AdminChangeRow>(
        db,
        `SELECT c.*, p.username AS proposed_by_username, d.username AS decided_by_username
           FROM admin_changes c JOIN users p ON p.id = c.proposed_by LEFT JOIN users d ON d.id = c.decided_by WHERE c.id = $1`,
        [id],
      ),
    listAdminChanges: (limit: number) =>
      db.query<AdminChangeRow>(
        `SELECT c.*, p.username AS proposed_by_username, d.username AS decided_by_username
           FROM admin_changes c JOIN users p ON p.id = c.proposed_by LEFT JOIN users d ON d.id = c.decided_by
          ORDER BY (c.state = 'pending') DESC, c.proposed_at DESC LIMIT $1`,
        [limit],
      ),
    /**
     * Decides a pending change in one statement (so two approvers cannot both decide it) and erases
     * its sealed password. Returns the row as it was before, or nothing when it was not pending.
     */
    decideAdminChange: (id: string, d: { state: 'applied' | 'rejected' | 'withdrawn'; by: string; reason: string | null; targetUserId?: string }) =>
      maybeOne<AdminChangeRow>(
        db,
        `UPDATE admin_changes c SET state = $2, decided_by = $3, decided_at = now(), reason = $4, sealed_password = NULL,
                target_user_id = COALESCE($5, c.target_user_id)
           FROM admin_changes old WHERE c.id = $1 AND old.id = c.id AND c.state = 'pending'
         RETURNING old.*`,
        [id, d.state, d.by, d.reason, d.targetUserId ?? null],
      ),
    // ---- notices (站内通知): the inbox of every account; other modules notify through the service ----

    /**
     * A notice to every active user among the recipients, in one statement. Holders of `orgRole`
     * that are not also reached another way get its own link when it has one.
     */
    notify: (n: { kind: string; title: { zh: string; en: string }; body: Record<string, unknown>; link: string | null }, to: NoticeRecipients) =>
      db.query(
        `INSERT INTO notifications (id, user_id, kind, title, body, link)
         SELECT gen_random_uuid(), u.id, $1, $2, $3,
                CASE WHEN $10::text IS NOT NULL AND u.org_id = $6::uuid AND $7 = ANY(u.roles) AND NOT (u.id = ANY($5::uuid[]) OR ($8::text IS NOT NULL AND $8 = ANY(u.roles)))
                     THEN $10 ELSE $4 END
           FROM users u
          WHERE NOT u.disabled
            AND (u.id = ANY($5::uuid[]) OR (u.org_id = $6::uuid AND $7 = ANY(u.roles)) OR ($8::text IS NOT NULL AND $8 = ANY(u.roles)) OR u.org_id = $9::uuid)`,
        [
          n.kind,
          JSON.stringify(n.title),
          JSON.stringify(n.body),
          n.link,
          to.userIds ?? [],
          to.orgRole?.orgId ?? null,
          to.orgRole?.role ?? null,
          to.role ?? null,
          to.orgId ?? null,
          to.orgRole?.link ?? null,
        ],
      ),
    /** Marks the notices about something (`body[key] = value`) read for everyone: nobody needs to act on them any more. */
    settleNotices: (key: string, value: string) =>
      db.query(`UPDATE notifications SET read_at = now() WHERE read_at IS NULL AND body ->> $1 = $2`, [key, value]),
    notices: (userId: string, unreadOnly: boolean, limit: number) =>
      db.query<NoticeRow>(
        `SELECT id, kind, title, body, link, created_at, read_at FROM notifications WHERE user_id = $1 AND ($2 = false OR read_at IS NULL)
          ORDER BY created_at DESC LIMIT $3`,
        [userId, unreadOnly, limit],
      ),
    unreadNotices: async (userId: string) =>
      Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL', [userId]))[0]!.n),
    markNoticesRead: (userId: string, id: string | null) =>
      db.query<{ id: string }>(
        'UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid IS NULL OR id = $2) RETURNING id',
        [userId, id],
      ),

    // ---- names for other modules' pages, and containment by security operations ----

    /** Names of users, organisations and API keys by id, in one statement (organisations by region code, then name). */
    names: (ids: { users: string[]; orgs: string[]; apiKeys: string[] }) =>
      db.query<NameRow>(
        `SELECT 'user' AS kind, u.id::text AS id, u.display_name AS name, u.username AS handle, u.org_id::text AS org_id, o.name AS org_name, NULL AS region_code
           FROM users u LEFT JOIN organizations o ON o.id = u.org_id WHERE u.id = ANY($1::uuid[])
         UNION ALL
         SELECT 'key', k.id::text, k.name, NULL, k.org_id::text, o.name, NULL
           FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.id = ANY($3::uuid[])
         UNION ALL
         SELECT 'org', o.id::text, o.name, NULL, NULL, NULL, o.region_code FROM organizations o WHERE o.id = ANY($2::uuid[])
         ORDER BY kind, region_code, name`,
        [ids.users, ids.orgs, ids.apiKeys],
      ),
    suspendKey: async (id: string) =>
      (await db.query<{ name: string }>('UPDATE api_keys SET suspended_at = now() WHERE id = $1 RETURNING name', [id]))[0]?.name,
    unsuspendKey: (id: string) => db.query('UPDATE api_keys SET suspended_at = NULL WHERE id = $1', [id]),
    throttleKey: async (id: string, until: Date) =>
      (await db.query<{ name: string }>('UPDATE api_keys SET throttled_until = $2 WHERE id = $1 RETURNING name', [id, until]))[0]?.name,
    unthrottleKey: (id: string) => db.query('UPDATE api_keys SET throttled_until = NULL WHERE id = $1', [id]),
    /** Locks an account until `until` (or later, if it was locked longer already). */
    lockUntil: async (id: string, until: Date) =>
      (
        await db.query<{ username: string }>('UPDATE users SET locked_until = GREATEST(COALESCE(locked_until, $2), $2) WHERE id = $1 RETURNING username', [
          id,
          until,
        ])
      )[0]?.username,

    // API keys
    insertApiKey: (k: Pick<ApiKeyRow, 'id' | 'org_id' | 'created_by' | 'name' | 'prefix' | 'key_hash' | 'expires_at'>) =>
      one<ApiKeyRow>(
        db,
        `INSERT INTO api_keys (id, org_id, created_by, name, prefix, key_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [k.id, k.org_id, k.created_by, k.name, k.prefix, k.key_hash, k.expires_at],
      ),
    listApiKeys: (orgId: string) => db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC', [orgId]),
    getApiKey: (id: string) => maybeOne<ApiKeyRow>(db, 'SELECT * FROM api_keys WHERE id = $1', [id]),
    /** A key with its owner in one round trip (every API request asks for both). */
    getApiKeyWithOwner: (prefix: string) =>
      maybeOne<ApiKeyRow & { owner: Pick<UserRow, 'id' | 'username' | 'roles' | 'disabled' | 'org_disabled'> | null }>(
        db,
        `SELECT k.*, (SELECT jsonb_build_object('id', u.id, 'username', u.username, 'roles', u.roles, 'disabled', u.disabled, 'org_disabled', u.org_disabled)
                        FROM users u WHERE u.id = k.created_by) AS owner
           FROM api_keys k WHERE k.prefix = $1`,
        [prefix],
      ),
    revokeApiKey: (id: string) => maybeOne<ApiKeyRow>(db, 'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING *', [id]),
    /** Last-use times of many keys in one statement (kept in the process, written in batches); never moves one back. */
    touchApiKeys: (ids: readonly string[], times: readonly Date[]) =>
      db.query(
        `UPDATE api_keys k SET last_used_at = u.at FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
          WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
        [ids, times.map((t) => t.toISOString())],
      ),
  };
}

export type IdentityRepo = ReturnType<typeof identityRepo>;
