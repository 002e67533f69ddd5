/**
 * Password sign-in with lockout, shared by every kind of account (government users, society users of
 * the open-data portal): the same error for unknown accounts, wrong passwords, locked and disabled
 * accounts; N failures lock the account for M minutes; success opens a session (cookie token and CSRF
 * token, stored only as hashes).
 */
import { UnauthorizedError, type Message } from '../../errors.ts';
import { DUMMY_HASH_PROMISE, verifyPassword } from './passwords.ts';
import { newToken, tokenHash } from './tokens.ts';

export interface SignInAccount {
  id: string;
  password_hash: string;
  locked_until: Date | null;
  disabled: boolean;
}

/** Where an account kind keeps its failures and sessions. */
export interface SignInStore {
  recordFailedLogin(id: string, maxFailures: number, lockMinutes: number): Promise<{ failed_logins: number; locked_until: Date | null }>;
  recordLogin(id: string): Promise<unknown>;
  insertSession(s: { idHash: string; userId: string; csrfHash: string; expiresAt: Date; ip: string; userAgent: string }): Promise<unknown>;
}

export interface SignInOptions {
  store: SignInStore;
  maxFailedLogins: number;
  lockMinutes: number;
  sessionHours: number;
  /** The message of every refusal. */
  refusal: Message;
  ip?: string;
  userAgent?: string;
  /** Records a refusal (reason: unknown_user, locked, disabled, wrong_password). */
  onFailure(reason: string): Promise<void>;
  /** Records the failure that locked the account. */
  onLockout(lockedUntil: Date | null): Promise<void>;
}

/** Checks the password of `account` (undefined: no such account) and opens a session. */
export async function passwordSignIn(account: SignInAccount | undefined, password: string, o: SignInOptions): Promise<{ token: string; csrf: string }> {
  if (!account) {
    // Unknown accounts cost the same time as known ones.
    await verifyPassword(password, await DUMMY_HASH_PROMISE);
    await o.onFailure('unknown_user');
    throw new UnauthorizedError('invalid_credentials', o.refusal);
  }
  const locked = account.locked_until !== null && account.locked_until > new Date();
  const passwordOk = await verifyPassword(password, account.password_hash);
  if (locked || account.disabled || !passwordOk) {
    if (!locked && !account.disabled) {
      const state = await o.store.recordFailedLogin(account.id, o.maxFailedLogins, o.lockMinutes);
      if (state.failed_logins === o.maxFailedLogins) await o.onLockout(state.locked_until);
    }
    await o.onFailure(locked ? 'locked' : account.disabled ? 'disabled' : 'wrong_password');
    throw new UnauthorizedError('invalid_credentials', o.refusal);
  }
  await o.store.recordLogin(account.id);
  const token = newToken();
  const csrf = newToken();
  await o.store.insertSession({
    idHash: tokenHash(token),
    userId: account.id,
    csrfHash: tokenHash(csrf),
    expiresAt: new Date(Date.now() + o.sessionHours * 3_600_000),
    ip: o.ip ?? '',
    userAgent: (o.userAgent ?? '').slice(0, 300),
  });
  return { token, csrf };
}
