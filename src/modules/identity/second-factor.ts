import type { Db } from '../../db/index.ts';
import type { Role } from '../../http/access.ts';
import type { Sealer } from '../audit/signer.ts';
import { identityRepo, type UserRow } from './identity.repo.ts';
import { signonRepo } from './signon.repo.ts';
import { newToken, tokenHash } from '../../lib/tokens.ts';
import { checkTotp, isTotpCode, newRecoveryCodes, newTotpSecret, otpauthUri, qrDataUrl, recoveryCodeHash } from './totp.ts';

/** How a console session was opened; the audit record of every sign-in names it. */
export type SignInMethod = 'password' | 'password+totp' | 'password+recovery_code' | 'oidc';

/** The roles that always sign in with a second factor (三员). */
const ADMIN_ROLES: readonly Role[] = ['sysadmin', 'secadmin', 'auditor'];
/** A ticket for the second step is good for this long after the password was accepted. */
const TICKET_MINUTES = 5;

/** What the client needs for the second step; `enrol` when the account sets up its authenticator now. */
export interface Challenge {
  ticket: string;
  expiresAt: Date;
  enrol?: { secret: string; otpauthUrl: string; qrDataUrl: string };
}

/** Why a second step failed (the audit record's `reason`); the client is told only that it failed. */
export type SecondFactorFailure = 'invalid_ticket' | 'wrong_code' | 'replayed' | 'wrong_recovery_code' | 'locked' | 'disabled';

export type SecondFactorResult =
  | { ok: true; user: UserRow; method: SignInMethod; recoveryCodes?: string[]; recoveryCodesLeft?: number }
  | { ok: false; user?: UserRow; factor: 'totp' | 'recovery_code'; reason: SecondFactorFailure };

/**
 * The TOTP second factor (RFC 6238): who needs it, the ticket between the password and the code,
 * enrolment at a first sign-in (secret sealed under the master key, hashed recovery codes) and the
 * check of a code at `now` (injected: tests and a host with a skewed clock set it).
 */
export function createSecondFactor(deps: { db: Db; sealer: Sealer; now: () => Date }) {
  const { db, sealer, now } = deps;
  const repo = signonRepo(db);
  const users = identityRepo(db);
  const seal = (text: string) => sealer.seal(Buffer.from(text, 'utf8')).toString('base64');
  const unseal = (sealed: string) => sealer.unseal(Buffer.from(sealed, 'base64')).toString('utf8');

  return {
    repo,

    /** Administrators always; data officers when the security administrator's policy says so; anyone already enrolled. */
    async required(user: Pick<UserRow, 'roles' | 'totp_enrolled_at'>): Promise<boolean> {
      if (user.totp_enrolled_at || user.roles.some((r) => ADMIN_ROLES.includes(r))) return true;
      return user.roles.includes('data_officer') && (await repo.getPolicy()).totpForDataOfficers;
    },

    /** Issues the ticket of the second step; a new secret (not yet in force) when the account has none. */
    async challenge(user: UserRow): Promise<Challenge> {
      const ticket = newToken();
      const expiresAt = new Date(now().getTime() + TICKET_MINUTES * 60_000);
      const secret = user.totp_enrolled_at ? undefined : newTotpSecret();
      await repo.insertChallenge({
        idHash: tokenHash(ticket),
        userId: user.id,
        kind: secret ? 'enrol' : 'verify',
        pendingSecret: secret ? seal(secret) : null,
        expiresAt,
      });
      if (!secret) return { ticket, expiresAt };
      const uri = otpauthUri(secret, user.username);
      return { ticket, expiresAt, enrol: { secret, otpauthUrl: uri, qrDataUrl: await qrDataUrl(uri) } };
    },

    /**
     * Checks the code offered with a ticket: a six-digit TOTP code, or (once enrolled) a recovery code.
     * On success the ticket is used up and, at enrolment, the secret comes into force with ten new
     * recovery codes, returned here once.
     */
    async check(ticket: string, code: string): Promise<SecondFactorResult> {
      const idHash = tokenHash(ticket);
      const challenge = await repo.liveChallenge(idHash, now());
      const user = challenge ? await users.getUser(challenge.user_id) : undefined;
      const totp = isTotpCode(code);
      const factor = totp ? ('totp' as const) : ('recovery_code' as const);
      if (!challenge || !user) return { ok: false, factor, reason: 'invalid_ticket' };
      if (user.disabled || user.pending_approval || user.org_disabled) return { ok: false, user, factor, reason: 'disabled' };
      if (user.locked_until !== null && user.locked_until > new Date()) return { ok: false, user, factor, reason: 'locked' };

      if (challenge.kind === 'enrol') {
        const secret = unseal(challenge.pending_secret!);
        const result = await checkTotp(secret, code, now(), null);
        if (!result.ok) return { ok: false, user, factor: 'totp', reason: result.reason };
        const recoveryCodes = newRecoveryCodes();
        const used = await db.transaction(async (tx) => {
          if (!(await signonRepo(tx).consumeChallenge(idHash))) return false;
          return signonRepo(tx).enrol(user.id, seal(secret), result.step, recoveryCodes.map(recoveryCodeHash));
        });
        if (!used) return { ok: false, user, factor: 'totp', reason: 'invalid_ticket' };
        return { ok: true, user, method: 'password+totp', recoveryCodes };
      }

      if (totp) {
        if (!user.totp_secret) return { ok: false, user, factor, reason: 'invalid_ticket' };
        const result = await checkTotp(unseal(user.totp_secret), code, now(), user.totp_last_step);
        if (!result.ok) return { ok: false, user, factor, reason: result.reason };
        const outcome = await db
          .transaction(async (tx) => {
            const r = signonRepo(tx);
            if (!(await r.acceptStep(user.id, result.step))) return 'replayed' as const;
            if (!(await r.consumeChallenge(idHash))) throw new TicketUsed();
            return 'ok' as const;
          })
          .catch((error: unknown) => {
            if (error instanceof TicketUsed) return 'invalid_ticket' as const;
            throw error;
          });
        if (outcome !== 'ok') return { ok: false, user, factor, reason: outcome };
        return { ok: true, user, method: 'password+totp' };
      }

      const used = await db
        .transaction(async (tx) => {
          const r = signonRepo(tx);
          if (!(await r.useRecoveryCode(user.id, recoveryCodeHash(code)))) return 'wrong_recovery_code' as const;
          if (!(await r.consumeChallenge(idHash))) throw new TicketUsed();
          return 'ok' as const;
        })
        .catch((error: unknown) => {
          if (error instanceof TicketUsed) return 'invalid_ticket' as const;
          throw error;
        });
      if (used !== 'ok') return { ok: false, user, factor, reason: used };
      return { ok: true, user, method: 'password+recovery_code', recoveryCodesLeft: await repo.recoveryCodesLeft(user.id) };
    },
  };
}

/** Rolls back an accepted code when its ticket was used by a concurrent request meanwhile. */
class TicketUsed extends Error {}

export type SecondFactor = ReturnType<typeof createSecondFactor>;
