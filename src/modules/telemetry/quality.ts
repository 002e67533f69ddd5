/**
 * Quality checks of one point over the samples of a batch (治理): gaps against the sampling interval,
 * out-of-range values, stuck (flat) values, spikes by a rolling z-score, future timestamps and clock
 * skew. Pure: the state goes in, the new state and the events come out; the writer stores both in
 * the same transaction as the samples, holding the point's state row locked.
 */

export type QualityKind = 'gap' | 'out_of_range' | 'stuck' | 'spike' | 'future_timestamp' | 'clock_skew' | 'unit_mismatch' | 'unknown_point';
export const QUALITY_KINDS: readonly QualityKind[] = [
  'gap',
  'out_of_range',
  'stuck',
  'spike',
  'future_timestamp',
  'clock_skew',
  'unit_mismatch',
  'unknown_point',
];

/** Thresholds (product defaults). */
export const QUALITY_DEFAULTS = {
  /** A gap is a silence longer than this many sampling intervals. */
  gapIntervals: 3,
  /** The live silence check waits at least this long (ms): samples reach pdx some seconds late. */
  silenceMinMs: 30_000,
  /** Identical values for this many samples and at least stuckMinMs is a stuck sensor. */
  stuckSamples: 30,
  stuckMinMs: 30_000,
  /** |z| above this (after warm-up) is a spike. */
  spikeZ: 6,
  /** Samples before the z-score is trusted. */
  warmup: 30,
  /** Weight of a new sample in the exponentially weighted mean and variance. */
  alpha: 0.05,
  /** A timestamp this far ahead of the receiving clock is in the future. */
  futureToleranceMs: 5_000,
  /** The newest sample of a batch this far behind the receiving clock suggests a skewed clock. */
  skewToleranceMs: 300_000,
};

export interface PointState {
  lastTs: number | null;
  lastValue: number | null;
  runSince: number | null;
  runCount: number;
  mean: number | null;
  var: number | null;
  seen: number;
  /** kind → id of the open event. */
  open: Partial<Record<QualityKind, string>>;
}

export const EMPTY_STATE: PointState = { lastTs: null, lastValue: null, runSince: null, runCount: 0, mean: null, var: null, seen: 0, open: {} };

export interface PointSpec {
  rangeMin: number | null;
  rangeMax: number | null;
  samplingMs: number | null;
  /** A boolean (status) point is flat by nature: no stuck or spike checks. */
  boolean?: boolean;
}

/** A change to the quality event list: open a new event, extend an open one, or close it. */
export type EventChange =
  | { op: 'open'; kind: QualityKind; at: number; details: Record<string, unknown>; samples: number; endedAt?: number }
  | { op: 'extend'; kind: QualityKind; id: string; samples: number; details?: Record<string, unknown> }
  | { op: 'close'; kind: QualityKind; id: string; at: number };

export interface QualityResult {
  state: PointState;
  changes: EventChange[];
  /** Samples judged bad (out of range, spike, stuck) per hour (ms of the hour start). */
  badByHour: Map<number, number>;
}

/** One sample: time (µs), value, and when it was received (ms). */
export interface Sample {
  tsUs: number;
  value: number;
  receivedMs: number;
}

/**
 * Judges the samples of one point (any order; they are sorted here). Samples at or before the last
 * seen instant are late: only the range check applies to them (the run and z-score follow time).
 */
export function judge(spec: PointSpec, before: PointState, samples: readonly Sample[], nowMs: number, q = QUALITY_DEFAULTS): QualityResult {
  const state: PointState = { ...before, open: { ...before.open } };
  const changes: EventChange[] = [];
  const badByHour = new Map<number, number>();
  const bad = (tsMs: number) => {
    const hour = Math.floor(tsMs / 3_600_000) * 3_600_000;
    badByHour.set(hour, (badByHour.get(hour) ?? 0) + 1);
  };
  // Counts per kind within this batch, folded into one open/extend per kind at the end.
  const hits = new Map<QualityKind, { first: number; n: number; details: Record<string, unknown> }>();
  const hit = (kind: QualityKind, at: number, details: Record<string, unknown>) => {
    const h = hits.get(kind);
    if (h) {
      h.n++;
      h.details = { ...h.details, ...details };
    } else hits.set(kind, { first: at, n: 1, details });
  };
  const clear = (kind: QualityKind, at: number) => {
    const id = state.open[kind];
    if (id && !hits.has(kind)) {
      changes.push({ op: 'close', kind, id, at });
      delete state.open[kind];
    }
  };

  const sorted = [...samples].sort((a, b) => a.tsUs - b.tsUs);
  let newest = -Infinity;
  let newestReceived = nowMs;
  for (const s of sorted) {
    const tsMs = s.tsUs / 1000;
    let isBad = false;
    if ((spec.rangeMin !== null && s.value < spec.rangeMin) || (spec.rangeMax !== null && s.value > spec.rangeMax)) {
      hit('out_of_range', tsMs, { value: s.value, min: spec.rangeMin, max: spec.rangeMax });
      isBad = true;
    } else clear('out_of_range', tsMs);
    if (tsMs > s.receivedMs + q.futureToleranceMs) hit('future_timestamp', tsMs, { aheadMs: Math.round(tsMs - s.receivedMs) });

    const late = state.lastTs !== null && tsMs <= state.lastTs;
    if (!late) {
      // Gap: silence since the previous sample longer than the allowed intervals.
      if (spec.samplingMs && state.lastTs !== null && !state.open.gap && tsMs - state.lastTs > q.gapIntervals * spec.samplingMs) {
        const from = state.lastTs;
        // The gap is already over: recorded closed (the live silence check opens ongoing ones).
        changes.push({
          op: 'open',
          kind: 'gap',
          at: from,
          endedAt: tsMs,
          details: { from: new Date(from).toISOString(), to: new Date(tsMs).toISOString(), missingSamples: Math.round((tsMs - from) / spec.samplingMs) - 1 },
          samples: 0,
        });
      }
      if (state.open.gap) {
        changes.push({ op: 'close', kind: 'gap', id: state.open.gap, at: tsMs });
        delete state.open.gap;
      }
      // Stuck: the same value again and again.
      if (spec.boolean) {
        state.runCount = 0;
        state.runSince = null;
      } else if (state.lastValue !== null && s.value === state.lastValue) {
        state.runCount++;
        state.runSince ??= state.lastTs;
      } else {
        state.runCount = 1;
        state.runSince = tsMs;
      }
      if (!spec.boolean && state.runCount >= q.stuckSamples && state.runSince !== null && tsMs - state.runSince >= q.stuckMinMs) {
        hit('stuck', tsMs, { value: s.value, since: new Date(state.runSince).toISOString(), samples: state.runCount });
        isBad = true;
      } else clear('stuck', tsMs);
      // Spike: far from the exponentially weighted mean, in standard deviations.
      if (!spec.boolean && state.mean !== null && state.var !== null && state.seen >= q.warmup) {
        const sd = Math.sqrt(state.var);
        const z = sd > 0 ? (s.value - state.mean) / sd : 0;
        if (Math.abs(z) > q.spikeZ) {
          hit('spike', tsMs, { value: s.value, z: Math.round(z * 10) / 10, mean: Math.round(state.mean * 1000) / 1000 });
          isBad = true;
        } else clear('spike', tsMs);
      }
      // A spike does not move the baseline much: it is weighted like any sample but capped.
      if (state.mean === null || state.var === null) {
        state.mean = s.value;
        state.var = 0;
      } else {
        const diff = s.value - state.mean;
        const incr = q.alpha * diff;
        state.mean += incr;
        state.var = (1 - q.alpha) * (state.var + diff * incr);
      }
      state.seen++;
      state.lastTs = tsMs;
      state.lastValue = s.value;
      if (tsMs > newest) {
        newest = tsMs;
        newestReceived = s.receivedMs;
      }
    }
    if (isBad) bad(tsMs);
  }
  if (newest > -Infinity && newestReceived - newest > q.skewToleranceMs) hit('clock_skew', newest, { behindMs: Math.round(newestReceived - newest) });
  else if (newest > -Infinity) clear('clock_skew', newest);
  if (!hits.has('future_timestamp')) clear('future_timestamp', nowMs);

  for (const [kind, h] of hits) {
    const id = state.open[kind];
    if (id) changes.push({ op: 'extend', kind, id, samples: h.n, details: h.details });
    else changes.push({ op: 'open', kind, at: h.first, details: h.details, samples: h.n });
  }
  return { state, changes, badByHour };
}

/** An ongoing silence: the point has sent nothing for longer than the allowed intervals. */
export function silent(spec: PointSpec, state: PointState, nowMs: number, q = QUALITY_DEFAULTS): boolean {
  return Boolean(
    spec.samplingMs && state.lastTs !== null && !state.open.gap && nowMs - state.lastTs > Math.max(q.gapIntervals * spec.samplingMs, q.silenceMinMs),
  );
}

/** Quality score 0-100 of a window: completeness (samples vs expected) × validity (good vs all). */
export function score(samples: number, badSamples: number, expected: number | null): number {
  const completeness = expected && expected > 0 ? Math.min(1, samples / expected) : samples > 0 ? 1 : 0;
  const validity = samples > 0 ? 1 - badSamples / samples : 0;
  return Math.round(100 * completeness * validity);
}

// ---- units -----------------------------------------------------------------------------------

/** Linear conversions between units people send for the same quantity: value_in_b = value_in_a × f + o. */
const CONVERSIONS: Record<string, Record<string, [number, number]>> = {
  '°C': { '°F': [9 / 5, 32], K: [1, 273.15] },
  kPa: { Pa: [1000, 0], MPa: [0.001, 0], bar: [0.01, 0] },
  kW: { W: [1000, 0], MW: [0.001, 0] },
  kWh: { Wh: [1000, 0], MWh: [0.001, 0] },
  'm³/h': { 'm³/s': [1 / 3600, 0], 'L/s': [1000 / 3600, 0] },
  mm: { m: [0.001, 0], cm: [0.1, 0] },
  t: { kg: [1000, 0] },
};
const ALIASES: Record<string, string> = { C: '°C', degC: '°C', '℃': '°C', F: '°F', degF: '°F', 'm3/h': 'm³/h', 'm3/s': 'm³/s' };

export function normalizeUnit(unit: string): string {
  const u = unit.trim();
  return ALIASES[u] ?? u;
}

/**
 * A function turning a value sent in `from` into the registered unit `to`, or undefined when the
 * two units are not known to measure the same quantity.
 */
export function converter(from: string, to: string): ((v: number) => number) | undefined {
  const a = normalizeUnit(from);
  const b = normalizeUnit(to);
  if (a === b) return (v) => v;
  // Try a → b directly, b → a inverted, and via a common base.
  for (const [base, targets] of Object.entries(CONVERSIONS)) {
    const toBase =
      a === base ? ([1, 0] as [number, number]) : targets[a] ? ([1 / targets[a]![0], -targets[a]![1] / targets[a]![0]] as [number, number]) : undefined;
    const fromBase = b === base ? ([1, 0] as [number, number]) : targets[b];
    if (toBase && fromBase) return (v) => (v * toBase[0] + toBase[1]) * fromBase[0] + fromBase[1];
  }
  return undefined;
}
