/**
 * Configuration every test platform shares. Passwords are hashed at a low work factor: the suite
 * hashes thousands of throwaway passwords, and at the production factor (scrypt 2^15, 32 MiB) that
 * alone took seconds per user on a loaded 2-core machine. Child processes get it through
 * process.env (vitest.config.ts sets the same value there).
 */
export const TEST_ENV = { PDX_PASSWORD_COST: '10' } as const;
