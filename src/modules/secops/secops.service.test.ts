import { describe, expect, it } from 'vitest';
import { hourOf } from './detectors.ts';
import { replayEventTime } from './secops.service.ts';
import { inHours, localHour } from './secops.settings.ts';

describe('secops clocks', () => {
  it('local hours and night ranges (UTC+8, wrapping midnight)', () => {
    expect(localHour(new Date('2026-03-09T19:00:00Z'), 480)).toBe(3);
    expect(inHours(3, { from: 0, to: 6 })).toBe(true);
    expect(inHours(6, { from: 0, to: 6 })).toBe(false);
    expect(inHours(23, { from: 22, to: 6 })).toBe(true);
    expect(inHours(12, { from: 22, to: 6 })).toBe(false);
    expect(hourOf(new Date('2026-03-09T19:42:10Z')).toISOString()).toBe('2026-03-09T19:00:00.000Z');
  });

  it('replay clocks: a key’s records inside a clock are judged at the replayed time, the latest clock wins, others keep their stamps', () => {
    const key = '00000000-0000-4000-8000-000000000001';
    const at = (iso: string) => new Date(iso);
    const judge = replayEventTime([
      { api_key_id: key, real_start: at('2026-12-03T06:00:00Z'), real_end: at('2026-12-03T07:00:00Z'), replay_start: at('2026-12-02T01:00:00Z') },
      { api_key_id: key, real_start: at('2026-12-03T06:00:10Z'), real_end: at('2026-12-03T07:00:10Z'), replay_start: at('2026-12-02T19:00:00Z') },
    ]);
    const record = (time: string, actorApiKeyId: string | null = key) => ({ time, actorApiKeyId }) as Parameters<typeof judge>[0];
    expect(judge(record('2026-12-03T06:00:05Z')).toISOString()).toBe('2026-12-02T01:00:05.000Z');
    expect(judge(record('2026-12-03T06:00:15Z')).toISOString()).toBe('2026-12-02T19:00:05.000Z');
    // Before any clock, after the last one ends, and another key's records: their own stamps.
    expect(judge(record('2026-12-03T05:59:59Z')).toISOString()).toBe('2026-12-03T05:59:59.000Z');
    expect(judge(record('2026-12-03T07:00:10Z')).toISOString()).toBe('2026-12-03T07:00:10.000Z');
    expect(judge(record('2026-12-03T06:00:15Z', null)).toISOString()).toBe('2026-12-03T06:00:15.000Z');
  });
});
