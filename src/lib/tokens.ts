/** Random tokens and their hashes (sessions, CSRF, API keys, download links): not a domain, used by identity, sharing, the open portal and the HTTP auth hook. */
import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 hex of a high-entropy token; such tokens need no slow hash, only no plaintext at rest. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new random token for a cookie (session, CSRF). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const API_KEY = /^pdx_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

/** A new API key `pdx_<prefix>_<secret>`: the prefix finds the row, the whole key is checked by hash. */
export function newApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(8).toString('hex').slice(0, 10);
  return { key: `pdx_${prefix}_${randomBytes(32).toString('base64url')}`, prefix };
}

/** The prefix of a well-formed API key, or undefined for anything else. */
export function apiKeyPrefix(key: string): string | undefined {
  return API_KEY.exec(key)?.[1];
}
