import { describe, expect, it } from 'vitest';
import { converter, EMPTY_STATE, judge, score, silent, type PointSpec, type Sample } from './quality.ts';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const spec: PointSpec = { rangeMin: 0, rangeMax: 100, samplingMs: 1000 };
const series = (values: number[], start = T0, stepMs = 1000): Sample[] =>
  values.map((value, i) => ({ tsUs: (start + i * stepMs) * 1000, value, receivedMs: start + i * stepMs + 50 }));
const kinds = (r: ReturnType<typeof judge>) => r.changes.map((c) => `${c.op}:${c.kind}`);

describe('quality checks of one point', () => {
  it('finds nothing in a healthy, noisy signal', () => {
    const values = Array.from({ length: 120 }, (_, i) => 50 + Math.sin(i / 5) * 3 + (i % 7) * 0.1);
    const r = judge(spec, EMPTY_STATE, series(values), T0 + 120_000);
    expect(r.changes).toEqual([]);
    expect(r.state.seen).toBe(120);
  });

  it('opens one out-of-range event for a run of bad values, extends it in the next batch and closes it when values return', () => {
    const first = judge(spec, EMPTY_STATE, series([50, 120, 130]), T0 + 3000);
    expect(kinds(first)).toEqual(['open:out_of_range']);
    expect(first.changes[0]).toMatchObject({ samples: 2 });
    expect([...first.badByHour.values()]).toEqual([2]);
    const state = { ...first.state, open: { out_of_range: 'e1' } };
    const second = judge(spec, state, series([140], T0 + 3000), T0 + 4000);
    expect(second.changes).toEqual([expect.objectContaining({ op: 'extend', kind: 'out_of_range', id: 'e1', samples: 1 })]);
    const third = judge(spec, second.state, series([60], T0 + 4000), T0 + 5000);
    expect(third.changes).toEqual([expect.objectContaining({ op: 'close', kind: 'out_of_range', id: 'e1' })]);
  });

  it('flags a stuck sensor after 30 identical samples over 30 s, and not a boolean status point', () => {
    const flat = Array.from({ length: 40 }, () => 42);
    expect(kinds(judge(spec, EMPTY_STATE, series(flat), T0 + 40_000))).toEqual(['open:stuck']);
    expect(judge({ ...spec, boolean: true }, EMPTY_STATE, series(Array.from({ length: 40 }, () => 1)), T0 + 40_000).changes).toEqual([]);
  });

  it('flags a spike far from the rolling mean, after the warm-up', () => {
    const values = Array.from({ length: 60 }, (_, i) => 50 + (i % 2 ? 0.5 : -0.5));
    values[55] = 95;
    const r = judge(spec, EMPTY_STATE, series(values), T0 + 60_000);
    expect(kinds(r)).toEqual(['open:spike']);
    expect(r.changes[0]).toMatchObject({ details: expect.objectContaining({ value: 95 }) });
  });

  it('records a past gap closed, and a silence as an ongoing gap for the live check', () => {
    const r = judge(spec, { ...EMPTY_STATE, lastTs: T0, lastValue: 50 }, series([50, 51], T0 + 10_000), T0 + 11_000);
    expect(r.changes[0]).toMatchObject({ op: 'open', kind: 'gap', at: T0, endedAt: T0 + 10_000, details: expect.objectContaining({ missingSamples: 9 }) });
    // Live: silent past max(3 intervals, 30 s), since samples reach pdx some seconds late.
    expect(silent(spec, { ...EMPTY_STATE, lastTs: T0 }, T0 + 5_000)).toBe(false);
    expect(silent(spec, { ...EMPTY_STATE, lastTs: T0 }, T0 + 31_000)).toBe(true);
    expect(silent({ ...spec, samplingMs: 60_000 }, { ...EMPTY_STATE, lastTs: T0 }, T0 + 120_000)).toBe(false);
    expect(silent(spec, { ...EMPTY_STATE, lastTs: T0, open: { gap: 'g' } }, T0 + 31_000)).toBe(false);
  });

  it('flags future timestamps and a clock far behind the receiving clock', () => {
    const ahead: Sample[] = [{ tsUs: (T0 + 60_000) * 1000, value: 50, receivedMs: T0 }];
    expect(kinds(judge(spec, EMPTY_STATE, ahead, T0))).toEqual(['open:future_timestamp']);
    const behind: Sample[] = [{ tsUs: T0 * 1000, value: 50, receivedMs: T0 + 600_000 }];
    expect(kinds(judge(spec, EMPTY_STATE, behind, T0 + 600_000))).toEqual(['open:clock_skew']);
  });

  it('judges late samples by range only and keeps the state on the newest', () => {
    const state = { ...EMPTY_STATE, lastTs: T0 + 10_000, lastValue: 50, seen: 10 };
    const r = judge(spec, state, series([150], T0), T0 + 11_000);
    expect(kinds(r)).toEqual(['open:out_of_range']);
    expect(r.state.lastTs).toBe(T0 + 10_000);
    expect(r.state.seen).toBe(10);
  });
});

describe('quality score and units', () => {
  it('is completeness × validity', () => {
    expect(score(100, 0, 100)).toBe(100);
    expect(score(50, 0, 100)).toBe(50);
    expect(score(100, 10, 100)).toBe(90);
    expect(score(0, 0, 100)).toBe(0);
    expect(score(10, 0, null)).toBe(100);
  });

  it('converts between units of one quantity and refuses others', () => {
    expect(converter('°F', '°C')!(212)).toBeCloseTo(100);
    expect(converter('℃', '°C')!(21)).toBe(21);
    expect(converter('MPa', 'kPa')!(0.32)).toBeCloseTo(320);
    expect(converter('kPa', 'bar')!(100)).toBeCloseTo(1);
    expect(converter('MW', 'kW')!(3.2)).toBeCloseTo(3200);
    expect(converter('kPa', '°C')).toBeUndefined();
  });
});
