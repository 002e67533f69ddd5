/**
 * Password sign-in with lockout, shared by every kind of account (government users, society users of
 * the open-data portal): the same error for unknown accounts, wrong passwords, locked and disabled
 * accounts; N failures lock the account for M minutes; success opens a session (cookie token and CSRF
 * token, stored only as hashes). The steps are separate so an account kind can ask a second factor
 * (TOTP, identity.service) between the password and the session.
 */
import { UnauthorizedError, type Message } from '../../errors.ts';
import { dummyHash, verifyPassword } from './passwords.ts';
import { newToken, tokenHash } from '../../lib/tokens.ts';

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
  /** `method`: how the session was opened (password, password+totp, …), where the store keeps it. */
  insertSession(s: { idHash: string; userId: string; csrfHash: string; expiresAt: Date; ip: string; userAgent: string; method?: string }): Promise<unknown>;
}

/** What counts a failure toward the lockout: shared by the password and any further factor. */
export interface LockoutOptions {
  store: Pick<SignInStore, 'recordFailedLogin'>;
  maxFailedLogins: number;
  lockMinutes: number;
  /** Records the failure that locked the account. */
  onLockout(lockedUntil: Date | null): Promise<void>;
}

export interface SignInOptions extends LockoutOptions {
  store: SignInStore;
  sessionHours: number;
  /** The message of every refusal. */
  refusal: Message;
  ip?: string;
  userAgent?: string;
  /** Records a refusal (reason: unknown_user, locked, disabled, wrong_password). */
  onFailure(reason: string): Promise<void>;
}

/** A password hash no password matches: accounts that sign in only through an identity provider. */
export const NO_PASSWORD = '!sso';

/** Counts a failed factor (password, code) toward the lockout; the Nth in a row locks the account for M minutes. */
export async function countFailure(account: Pick<SignInAccount, 'id'>, o: LockoutOptions): Promise<void> {
  const state = await o.store.recordFailedLogin(account.id, o.maxFailedLogins, o.lockMinutes);
  if (state.failed_logins === o.maxFailedLogins) await o.onLockout(state.locked_until);
}

/**
 * The password step: checks the password of `account` (undefined: no such account) and throws the one
 * refusal for every failure. Opens nothing: a sign-in with a further factor continues after it.
 */
export async function checkPassword<A extends SignInAccount>(
  account: A | undefined,
  password: string,
  o: Omit<SignInOptions, 'sessionHours' | 'ip' | 'userAgent'>,
): Promise<A> {
  if (!account) {
    // Unknown accounts (and ones without a password) cost the same time as known ones.
    await verifyPassword(password, await dummyHash());
    await o.onFailure('unknown_user');
    throw new UnauthorizedError('invalid_credentials', o.refusal);
  }
  const locked = account.locked_until !== null && account.locked_until > new Date();
  const hasPassword = account.password_hash !== NO_PASSWORD;
  const passwordOk = (await verifyPassword(password, hasPassword ? account.password_hash : await dummyHash())) && hasPassword;
  if (locked || account.disabled || !passwordOk) {
    if (!locked && !account.disabled) await countFailure(account, o);
    await o.onFailure(locked ? 'locked' : account.disabled ? 'disabled' : 'wrong_password');
    throw new UnauthorizedError('invalid_credentials', o.refusal);
  }
  return account;
}

/** Opens a session for an account that passed every factor: resets its failures, stores only hashes. */
export async function openSignInSession(
  account: Pick<SignInAccount, 'id'>,
  o: Pick<SignInOptions, 'store' | 'sessionHours' | 'ip' | 'userAgent'> & { method?: string },
): Promise<{ token: string; csrf: string }> {
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
    ...(o.method ? { method: o.method } : {}),
  });
  return { token, csrf };
}

/** Checks the password of `account` (undefined: no such account) and opens a session. */
export async function passwordSignIn(account: SignInAccount | undefined, password: string, o: SignInOptions): Promise<{ token: string; csrf: string }> {
  return openSignInSession(await checkPassword(account, password, o), o);
}
