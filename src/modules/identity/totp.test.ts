/** The TOTP second factor against RFC 6238 Appendix B, and the recovery codes. */
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { checkTotp, newRecoveryCodes, newTotpSecret, otpauthUri, recoveryCodeHash, RECOVERY_CODE_COUNT } from './totp.ts';

// RFC 6238 Appendix B: the SHA-1 key is the ASCII string "12345678901234567890" (base32 below).
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_SHA1_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(RFC_SHA1_VECTORS)('computes the 8-digit code of the RFC at T=%i', async (seconds, code) => {
    expect(await generate({ secret: RFC_SECRET, epoch: seconds, digits: 8 })).toBe(code);
  });

  it.each(RFC_SHA1_VECTORS)('accepts the 6-digit code of the RFC vector at T=%i once, with its time step', async (seconds, code) => {
    // A 6-digit code is the same HOTP value modulo 10^6: the last six digits of the 8-digit vector.
    const six = code.slice(-6);
    const at = new Date(seconds * 1000);
    const step = Math.floor(seconds / 30);
    expect(await checkTotp(RFC_SECRET, six, at, null)).toEqual({ ok: true, step });
    // A code is accepted once (§5.2): the same step again is a replay, even though the code is right.
    expect(await checkTotp(RFC_SECRET, six, at, step)).toEqual({ ok: false, reason: 'replayed' });
  });

  it('allows one step of clock drift and no more', async () => {
    const at = new Date(1111111111 * 1000);
    const code = '050471';
    expect((await checkTotp(RFC_SECRET, code, new Date(at.getTime() + 30_000), null)).ok).toBe(true);
    expect((await checkTotp(RFC_SECRET, code, new Date(at.getTime() - 30_000), null)).ok).toBe(true);
    expect(await checkTotp(RFC_SECRET, code, new Date(at.getTime() + 90_000), null)).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await checkTotp(RFC_SECRET, '050472', at, null)).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await checkTotp(RFC_SECRET, 'abcdef', at, null)).toEqual({ ok: false, reason: 'wrong_code' });
  });

  it('makes 160-bit secrets an authenticator app scans as pdx', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(otpauthUri(secret, 'sysadmin'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toContain('pdx');
    expect(decodeURIComponent(uri.pathname)).toContain('sysadmin');
  });

  it('makes ten distinct recovery codes, stored as a hash that ignores case and dashes', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const hash = recoveryCodeHash(codes[0]!);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(codes[0]!.replace(/-/g, ''));
    expect(recoveryCodeHash(codes[0]!.toLowerCase().replace(/-/g, ' '))).toBe(hash);
    expect(recoveryCodeHash(codes[1]!)).not.toBe(hash);
  });
});
