import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashOf, normaliseJson, type Json } from './canonical.ts';
import { canonicalRecord, chainHash, draftOf } from './record.ts';
import { GENESIS_HASH } from './canonical.ts';

describe('canonical encoding', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }], 户: '籍' })).toBe('{"a":[{"c":null,"d":true}],"b":1,"户":"籍"}');
  });

  it('is the same for any key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const v = normaliseJson(value);
        const reordered = JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
          x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
        ) as Json;
        expect(canonicalJson(reordered)).toBe(canonicalJson(v));
        expect(JSON.parse(canonicalJson(v))).toEqual(v);
      }),
    );
  });

  it('normalises what jsonb could not store or would change', () => {
    expect(normaliseJson({ a: undefined, n: Number.NaN, d: new Date('2026-01-02T03:04:05Z'), s: 'x\u0000y\ud800' })).toEqual({
      n: null,
      d: '2026-01-02T03:04:05.000Z',
      s: 'x\uFFFDy\uFFFD',
    });
  });

  it('uses SM3 under the 国密 suite (GB/T 32905 vector)', () => {
    expect(hashOf('sm3', 'abc').toString('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });
});

describe('record drafts and chain hash', () => {
  it('refuses malformed events', () => {
    expect(() => draftOf({ action: 'Bad Action', result: 'success' })).toThrow(/action/);
    expect(() => draftOf({ action: 'data.read', result: 'ok' as never })).toThrow(/result/);
    expect(() => draftOf({ action: 'data.read', result: 'success', details: { big: 'x'.repeat(300_000) } })).toThrow(/too large/);
  });

  it('hashes the previous hash followed by the canonical body', () => {
    const draft = draftOf({ action: 'auth.login', result: 'success', actor: { userId: 'u1', roles: ['auditor'] }, ip: '10.0.0.1' });
    const body = { ...draft, seq: 1, time: '2026-01-02T03:04:05.000Z' };
    const text = canonicalRecord(body);
    expect(text.startsWith('{"action":"auth.login","actorApiKeyId":null,')).toBe(true);
    expect(chainHash('sha256', GENESIS_HASH, body).equals(hashOf('sha256', GENESIS_HASH, text))).toBe(true);
    // Field by field: every field is covered.
    for (const key of Object.keys(body) as (keyof typeof body)[]) {
      const changed = { ...body, [key]: key === 'details' ? { x: 1 } : key === 'actorRoles' ? ['x'] : key === 'seq' ? 2 : 'changed' };
      expect(chainHash('sha256', GENESIS_HASH, changed).equals(chainHash('sha256', GENESIS_HASH, body))).toBe(false);
    }
  });
});
