/** A grant's end has one definition (issue 14, point 3): the records path, the grant list and the requests agree on it. */
import { describe, expect, it } from 'vitest';
import { effectiveState, expiryOf, grantExpired, grantState } from './share.service.ts';

describe('the end of a grant', () => {
  const end = expiryOf('2026-06-30'); // 2026-07-01 00:00 China time
  const before = new Date(end.getTime() - 1);

  it('ends at the instant of its expires_at, read as a Date or as the access context’s ISO text', () => {
    for (const at of [end, end.toISOString()]) {
      expect(grantExpired(at, before)).toBe(false);
      expect(grantExpired(at, end)).toBe(true);
      expect(grantExpired(at, end.getTime() + 1)).toBe(true);
    }
    expect(grantExpired(null, end)).toBe(false);
    expect(end.toISOString()).toBe('2026-06-30T16:00:00.000Z');
  });

  it('is what the grant list and the request list show', () => {
    expect(grantState({ state: 'active', expires_at: end }, before)).toBe('active');
    expect(grantState({ state: 'active', expires_at: end }, end)).toBe('expired');
    expect(grantState({ state: 'revoked', expires_at: end }, before)).toBe('revoked');
    expect(effectiveState({ state: 'active', grant_state: 'active', grant_expires_at: end }, before)).toBe('active');
    expect(effectiveState({ state: 'active', grant_state: 'active', grant_expires_at: end }, end)).toBe('expired');
  });
});
