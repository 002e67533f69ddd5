import type { Queryable } from '../../db/index.ts';
import { maybeOne, one } from '../../db/index.ts';

/** The second step of a password sign-in (migration 0016). */
export interface ChallengeRow {
  id_hash: string;
  user_id: string;
  kind: 'verify' | 'enrol';
  pending_secret: string | null;
  expires_at: Date;
  consumed_at: Date | null;
}

/** An authorization request to the identity provider in flight. */
export interface SsoRequestRow {
  state_hash: string;
  browser_hash: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  expires_at: Date;
  consumed_at: Date | null;
}

/** The sign-in policy the security administrator sets (settings key `identity.signon`). */
export interface SignOnPolicy {
  /** Data officers sign in with a second factor too (administrators always do). */
  totpForDataOfficers: boolean;
}

export const DEFAULT_SIGN_ON_POLICY: SignOnPolicy = { totpForDataOfficers: false };
const POLICY_KEY = 'identity.signon';

/** All SQL of sign-on: second-factor challenges and secrets, recovery codes, provider links and requests. */
export function signonRepo(db: Queryable) {
  return {
    // ---- second factor ----
    insertChallenge: async (c: { idHash: string; userId: string; kind: ChallengeRow['kind']; pendingSecret: string | null; expiresAt: Date }) => {
      // Old tickets are of no use to anyone: drop them as new ones are made.
      await db.query(`DELETE FROM login_challenges WHERE expires_at < now() - interval '1 day'`);
      await db.query('INSERT INTO login_challenges (id_hash, user_id, kind, pending_secret, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        c.idHash,
        c.userId,
        c.kind,
        c.pendingSecret,
        c.expiresAt,
      ]);
    },
    /** A ticket that is neither used nor expired at `now`. */
    liveChallenge: (idHash: string, now: Date) =>
      maybeOne<ChallengeRow>(db, 'SELECT * FROM login_challenges WHERE id_hash = $1 AND consumed_at IS NULL AND expires_at > $2', [idHash, now]),
    /** Uses a ticket up; false when another request used it first. */
    consumeChallenge: async (idHash: string) =>
      (await db.query('UPDATE login_challenges SET consumed_at = now() WHERE id_hash = $1 AND consumed_at IS NULL RETURNING 1', [idHash])).length === 1,
    /**
     * Records the time step of an accepted code, only if it is after the last one: false means the
     * code was used already (by a concurrent request, too).
     */
    acceptStep: async (userId: string, step: number) =>
      (await db.query('UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING 1', [userId, step]))
        .length === 1,
    /**
     * Enrols a second factor: the sealed secret, the first accepted step and fresh recovery codes.
     * Only an account without one: false when another enrolment came first (an older ticket never
     * replaces the authenticator the holder has set up).
     */
    enrol: async (userId: string, sealedSecret: string, step: number, codeHashes: string[]) => {
      const rows = await db.query(
        'UPDATE users SET totp_secret = $2, totp_enrolled_at = now(), totp_last_step = $3 WHERE id = $1 AND totp_enrolled_at IS NULL RETURNING 1',
        [userId, sealedSecret, step],
      );
      if (rows.length !== 1) return false;
      await db.query('DELETE FROM user_recovery_codes WHERE user_id = $1', [userId]);
      await db.query('INSERT INTO user_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [userId, codeHashes]);
      return true;
    },
    /** Uses a recovery code up; false when it is unknown or used. */
    useRecoveryCode: async (userId: string, codeHash: string) =>
      (
        await db.query('UPDATE user_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1', [
          userId,
          codeHash,
        ])
      ).length === 1,
    recoveryCodesLeft: async (userId: string) =>
      (await one<{ n: number }>(db, 'SELECT count(*)::int AS n FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId])).n,
    /** Removes the second factor: the holder enrols again at the next sign-in. */
    clearSecondFactor: async (userId: string) => {
      await db.query('UPDATE users SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL WHERE id = $1', [userId]);
      await db.query('DELETE FROM user_recovery_codes WHERE user_id = $1', [userId]);
      await db.query('UPDATE login_challenges SET consumed_at = now() WHERE user_id = $1 AND consumed_at IS NULL', [userId]);
    },

    getPolicy: async (): Promise<SignOnPolicy> => {
      const row = await maybeOne<{ value: Partial<SignOnPolicy> }>(db, 'SELECT value FROM settings WHERE key = $1', [POLICY_KEY]);
      return { ...DEFAULT_SIGN_ON_POLICY, ...row?.value };
    },
    setPolicy: (policy: SignOnPolicy) =>
      db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()', [
        POLICY_KEY,
        JSON.stringify(policy),
      ]),

    // ---- OpenID Connect ----
    insertSsoRequest: async (r: Omit<SsoRequestRow, 'consumed_at'>) => {
      await db.query(`DELETE FROM sso_requests WHERE expires_at < now() - interval '1 day'`);
      await db.query('INSERT INTO sso_requests (state_hash, browser_hash, nonce, code_verifier, return_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        r.state_hash,
        r.browser_hash,
        r.nonce,
        r.code_verifier,
        r.return_to,
        r.expires_at,
      ]);
    },
    /** Takes a request in flight exactly once; nothing when unknown, used or expired. */
    takeSsoRequest: (stateHash: string) =>
      maybeOne<SsoRequestRow>(
        db,
        'UPDATE sso_requests SET consumed_at = now() WHERE state_hash = $1 AND consumed_at IS NULL AND expires_at > now() RETURNING *',
        [stateHash],
      ),
    identityUser: (issuer: string, subject: string) =>
      maybeOne<{ user_id: string }>(db, 'SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2', [issuer, subject]),
    linkIdentity: (issuer: string, subject: string, userId: string) =>
      db.query('INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)', [issuer, subject, userId]),
    touchIdentity: (issuer: string, subject: string) =>
      db.query('UPDATE user_identities SET last_login_at = now() WHERE issuer = $1 AND subject = $2', [issuer, subject]),
    /** Accounts reached through the provider (shown as such to the system administrator). */
    linkedUserIds: async () => new Set((await db.query<{ user_id: string }>('SELECT user_id FROM user_identities')).map((r) => r.user_id)),
    orgName: async (id: string) => (await maybeOne<{ name: string }>(db, 'SELECT name FROM organizations WHERE id = $1', [id]))?.name ?? id,
    /** Whether the sysadmins were told of this person and organisation within the last day. */
    recentNotification: async (kind: string, userId: string, orgId: string) =>
      Boolean(
        await maybeOne(
          db,
          `SELECT 1 FROM notifications WHERE kind = $1 AND body->>'userId' = $2 AND body->>'toOrgId' = $3 AND created_at > now() - interval '1 day' LIMIT 1`,
          [kind, userId, orgId],
        ),
      ),
    /** Organisations the demo identity provider gives its people to: ones with a 统一社会信用代码, not the authority. */
    demoOrgs: (limit: number) =>
      db.query<{ name: string; uscc: string }>(
        `SELECT name, uscc FROM organizations WHERE uscc IS NOT NULL AND type <> 'authority' ORDER BY level DESC, name LIMIT $1`,
        [limit],
      ),
    /** The organisation a claim names: by 统一社会信用代码, by 组织机构代码 (its characters 9-17) or by name. */
    findOrg: (by: 'uscc' | 'org_code' | 'name', value: string) =>
      maybeOne<{ id: string; name: string }>(
        db,
        by === 'uscc'
          ? 'SELECT id, name FROM organizations WHERE uscc = $1'
          : by === 'org_code'
            ? 'SELECT id, name FROM organizations WHERE substr(uscc, 9, 9) = $1'
            : 'SELECT id, name FROM organizations WHERE name = $1',
        [value],
      ),
  };
}

export type SignonRepo = ReturnType<typeof signonRepo>;
