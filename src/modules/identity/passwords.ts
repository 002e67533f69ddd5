import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { BadRequestError } from '../../errors.ts';

/** The default work factor: scrypt N=2^15, r=8 — 32 MiB and tens of milliseconds per guess (memory-hard). */
export const DEFAULT_PASSWORD_COST = 15;
// New hashes use these; a stored hash carries its own parameters, so a change of cost keeps old hashes valid.
let PARAMS = { N: 2 ** DEFAULT_PASSWORD_COST, r: 8, p: 1 };

/**
 * Sets the work factor (log2 N) of new password hashes for this process (PDX_PASSWORD_COST). Raising
 * it strengthens stored hashes as users change passwords; lowering it below the default is for test
 * runs, which hash thousands of throwaway passwords.
 */
export function setPasswordCost(log2N: number): void {
  if (!Number.isInteger(log2N) || log2N < 10 || log2N > 20) throw new Error(`password cost must be an integer 10..20, not ${log2N}`);
  PARAMS = { ...PARAMS, N: 2 ** log2N };
}
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const dummies = new Map<number, Promise<string>>();

/** A hash of a random password at the current cost, so unknown usernames cost the same time as known ones. */
export function dummyHash(): Promise<string> {
  let dummy = dummies.get(PARAMS.N);
  if (!dummy) dummies.set(PARAMS.N, (dummy = hashPassword(randomBytes(16).toString('hex'))));
  return dummy;
}

const CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/];
const COMMON = ['password', '12345678', 'qwerty', 'admin', 'welcome', 'iloveyou', 'p@ssw0rd', 'abc123', 'letmein'];
export const MIN_PASSWORD_LENGTH = 10;

/**
 * The password policy (等保 practice): at least 10 characters, three of the four character classes,
 * not containing the username, not a well-known password.
 */
export function checkPasswordPolicy(password: string, username: string): void {
  const problems: { zh: string; en: string }[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) problems.push({ zh: `至少 ${MIN_PASSWORD_LENGTH} 个字符`, en: `at least ${MIN_PASSWORD_LENGTH} characters` });
  if (password.length > 256) problems.push({ zh: '不超过 256 个字符', en: 'at most 256 characters' });
  if (CLASSES.filter((c) => c.test(password)).length < 3) {
    problems.push({ zh: '包含大写字母、小写字母、数字、符号中的至少三类', en: 'three of: upper case, lower case, digits, symbols' });
  }
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) problems.push({ zh: '不能包含用户名', en: 'must not contain the username' });
  if (COMMON.some((c) => lower.includes(c))) problems.push({ zh: '不能使用常见密码', en: 'must not be a common password' });
  if (problems.length) {
    throw new BadRequestError(
      'weak_password',
      { zh: `密码不符合要求：${problems.map((p) => p.zh).join('；')}`, en: `Password too weak: ${problems.map((p) => p.en).join('; ')}` },
      { field: 'password' },
    );
  }
}

const ALPHABETS = ['abcdefghjkmnpqrstuvwxyz', 'ABCDEFGHJKMNPQRSTUVWXYZ', '23456789', '!@#%*-_+='];

/** A random 16-character password meeting the policy, without look-alike characters. */
export function generatePassword(): string {
  const all = ALPHABETS.join('');
  const chars = ALPHABETS.map((a) => a[randomInt(a.length)]!);
  while (chars.length < 16) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
