/**
 * The write path: a bounded in-memory buffer in front of batched transactions. A submission waits
 * for room (bounded), then for the commit of the batch that carries it: an MQTT PUBACK or an HTTP
 * answer is sent only after the samples are durably stored. When the database falls behind, the
 * buffer fills, new submissions wait, and past the bound they are told to retry (never dropped
 * silently). Memory stays bounded by the buffer's capacity in samples.
 *
 * One batch = one transaction: COPY into a staging table, one statement that inserts the new samples
 * (one value per point and instant) and merges them into the roll-ups, the quality checks of the
 * batch's points under their locked state rows, counters and quarantine.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db, Queryable, Tx } from '../../db/index.ts';
import { isoMicros } from './payloads.ts';
import { EMPTY_STATE, judge, type PointSpec, type PointState, type QualityKind, type Sample } from './quality.ts';
import { telemetryRepo, type StateRow } from './telemetry.repo.ts';

/** A sample resolved against the registry, ready to store. */
export interface ResolvedSample {
  pointId: number;
  tsUs: number;
  value: number;
}

/** A sample of a point the registry does not know, kept in quarantine. */
export interface QuarantinedSample {
  code: string;
  tsUs: number;
  value: number;
  unit: string;
}

/** One accepted payload of one device. */
export interface Submission {
  deviceId: string;
  orgId: string;
  receivedMs: number;
  samples: ResolvedSample[];
  quarantined: QuarantinedSample[];
  /** Quality events found while resolving (unit mismatch, unknown point), stored with the batch. */
  events: { pointId: number | null; kind: QualityKind; details: Record<string, unknown> }[];
}

/** Thrown when the buffer stays full past the wait bound, or the batch could not be stored. */
export class OverloadedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

interface Pending {
  submission: Submission;
  size: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface WriterOptions {
  /** Samples the buffer holds at most (submitted, not yet committed). */
  capacity: number;
  /** Samples written per transaction at most. */
  batchSize: number;
  /** How long a submission waits for room, and then for its commit, before the client is told to retry. */
  waitMs: number;
  /**
   * When little is queued, wait this long for more before writing: many small payloads (a plant's
   * devices each sending every second) then share one transaction instead of paying one each.
   */
  lingerMs?: number;
  /** The quality specification of points (range, sampling interval), by id, read through `q` (the open transaction). */
  specs(pointIds: number[], q: Queryable): Promise<Map<number, PointSpec>>;
  now?: () => number;
  onError?: (error: unknown) => void;
}

export interface WriterStats {
  buffered: number;
  capacity: number;
  batches: number;
  written: number;
  duplicates: number;
  overloaded: number;
  lastBatchMs: number;
}

function stateOf(row: StateRow | undefined): PointState {
  if (!row) return EMPTY_STATE;
  return {
    lastTs: row.last_ts ? row.last_ts.getTime() : null,
    lastValue: row.last_value,
    runSince: row.run_since ? row.run_since.getTime() : null,
    runCount: row.run_count,
    mean: row.mean,
    var: row.var,
    seen: Number(row.seen),
    open: row.open_events ?? {},
  };
}

export function createWriter(db: Db, options: WriterOptions) {
  const now = options.now ?? Date.now;
  const queue: Pending[] = [];
  const admission: { size: number; admit: () => void }[] = [];
  let buffered = 0;
  let running = false;
  let stopped = false;
  const stats: WriterStats = { buffered: 0, capacity: options.capacity, batches: 0, written: 0, duplicates: 0, overloaded: 0, lastBatchMs: 0 };
  /** Emits 'batch' with the ids of the points whose samples just committed. */
  const events = new EventEmitter();
  events.setMaxListeners(1000);
  let idle: Promise<void> = Promise.resolve();
  let markIdle = () => {};

  function admitWaiting(): void {
    while (admission.length && buffered + admission[0]!.size <= options.capacity) {
      const next = admission.shift()!;
      next.admit();
    }
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    const started = now();
    const subs = batch.map((p) => p.submission);
    const result = await db.transaction((tx) => storeBatch(tx, subs, now(), options));
    stats.batches++;
    stats.written += result.inserted;
    stats.duplicates += result.duplicates;
    stats.lastBatchMs = now() - started;
    events.emit('batch', result.pointIds);
  }

  async function run(): Promise<void> {
    if (running) return;
    running = true;
    idle = new Promise((resolve) => (markIdle = resolve));
    try {
      while (queue.length) {
        const queued = queue.reduce((n, p) => n + p.size, 0);
        if (options.lingerMs && queued < options.batchSize / 10) await new Promise((resolve) => setTimeout(resolve, options.lingerMs));
        const batch: Pending[] = [];
        let size = 0;
        while (queue.length && (batch.length === 0 || size + queue[0]!.size <= options.batchSize)) {
          const p = queue.shift()!;
          batch.push(p);
          size += p.size;
        }
        try {
          await writeBatch(batch);
          for (const p of batch) p.resolve();
        } catch (error) {
          // One bad submission must not sink the others: retry them one by one.
          if (batch.length > 1) {
            for (const p of batch) {
              try {
                await writeBatch([p]);
                p.resolve();
              } catch (single) {
                options.onError?.(single);
                p.reject(new OverloadedError('the samples could not be stored; retry', 5));
              }
            }
          } else {
            options.onError?.(error);
            batch[0]!.reject(new OverloadedError('the samples could not be stored; retry', 5));
          }
        } finally {
          buffered -= size;
          stats.buffered = buffered;
          admitWaiting();
        }
      }
    } finally {
      running = false;
      markIdle();
    }
  }

  function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        onTimeout();
        stats.overloaded++;
        reject(new OverloadedError('pdx is storing slower than samples arrive; retry later', Math.max(1, Math.ceil(ms / 1000))));
      }, ms);
      promise.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e as Error);
        },
      );
    });
  }

  return {
    events,
    stats: (): WriterStats => ({ ...stats, buffered }),

    /**
     * Resolves once the submission is committed. Waits for room at most `waitMs`, then for the
     * commit at most `waitMs` more; either bound passed → OverloadedError (the caller says "retry";
     * a submission already in the buffer may still be stored, and a retry of it is a duplicate).
     * When the senders already waiting for room hold a buffer's worth of samples, refused at once.
     */
    async submit(submission: Submission, waitMs = options.waitMs): Promise<void> {
      if (stopped) throw new OverloadedError('pdx is shutting down; retry', 5);
      const size = Math.max(1, submission.samples.length + submission.quarantined.length);
      if (buffered + size > options.capacity || admission.length > 0) {
        // Senders waiting for room hold their samples too: at most another buffer's worth of them, so
        // memory stays bounded however many senders there are; the rest are told to retry at once.
        const waiting = admission.reduce((n, a) => n + a.size, 0);
        if (waiting + Math.min(size, options.capacity) > options.capacity) {
          stats.overloaded++;
          throw new OverloadedError('pdx is storing slower than samples arrive; retry later', Math.max(1, Math.ceil(waitMs / 1000)));
        }
        let entry: { size: number; admit: () => void } | undefined;
        const room = new Promise<void>((admit) => {
          entry = { size: Math.min(size, options.capacity), admit };
          admission.push(entry);
        });
        await withTimeout(room, waitMs, () => {
          const i = admission.indexOf(entry!);
          if (i >= 0) admission.splice(i, 1);
        });
      }
      buffered += size;
      stats.buffered = buffered;
      const done = new Promise<void>((resolve, reject) => queue.push({ submission, size, resolve, reject }));
      void run();
      await withTimeout(done, waitMs, () => {});
    },

    /** Waits for everything submitted so far to be written (shutdown, tests of the write path). */
    async drain(): Promise<void> {
      while (running || queue.length) await idle;
    },

    async stop(): Promise<void> {
      stopped = true;
      while (running || queue.length) await idle;
    },
  };
}

export type Writer = ReturnType<typeof createWriter>;

/** Day (UTC) boundaries a set of instants falls in, for partition checks. */
export function daysOf(tsUs: Iterable<number>): Set<number> {
  const days = new Set<number>();
  for (const t of tsUs) days.add(Math.floor(t / 86_400_000_000));
  return days;
}

/** Stores one batch inside the transaction. Exported for the benchmark's baseline of the same table. */
export async function storeBatch(
  tx: Tx,
  subs: Submission[],
  nowMs: number,
  options: Pick<WriterOptions, 'specs'>,
): Promise<{ inserted: number; duplicates: number; pointIds: number[] }> {
  const repo = telemetryRepo(tx);
  await repo.createStage();
  let seq = 0;
  let staged = 0;
  async function* rows(): AsyncIterable<readonly unknown[]> {
    for (const s of subs)
      for (const x of s.samples) {
        staged++;
        yield [seq++, x.pointId, isoMicros(x.tsUs), x.value];
      }
  }
  await tx.copyRows('telemetry_stage', ['seq', 'point_id', 'ts', 'value'], rows());
  const insertedByPoint = staged ? await repo.mergeStage() : [];
  const inserted = insertedByPoint.reduce((n, r) => n + r.n, 0);

  // Quality checks of every point of the batch, under its locked state row.
  const byPoint = new Map<number, { deviceId: string; samples: Sample[] }>();
  for (const s of subs) {
    for (const x of s.samples) {
      let p = byPoint.get(x.pointId);
      if (!p) byPoint.set(x.pointId, (p = { deviceId: s.deviceId, samples: [] }));
      p.samples.push({ tsUs: x.tsUs, value: x.value, receivedMs: s.receivedMs });
    }
  }
  const pointIds = [...byPoint.keys()].sort((a, b) => a - b);
  if (pointIds.length) {
    const locked = await repo.lockStates(pointIds);
    const specs = await options.specs(pointIds, tx);
    const states = new Map(locked.map((r) => [r.point_id, r]));
    const save = {
      ids: [] as number[],
      lastTs: [] as (string | null)[],
      lastValue: [] as (number | null)[],
      runSince: [] as (string | null)[],
      runCount: [] as number[],
      mean: [] as (number | null)[],
      variance: [] as (number | null)[],
      seen: [] as number[],
      open: [] as string[],
    };
    const hours = { pointIds: [] as number[], hours: [] as string[], samples: [] as number[], bad: [] as number[] };
    for (const id of pointIds) {
      const p = byPoint.get(id)!;
      const spec = specs.get(id) ?? { rangeMin: null, rangeMax: null, samplingMs: null };
      const result = judge(spec, stateOf(states.get(id)), p.samples, nowMs);
      for (const change of result.changes) {
        if (change.op === 'open') {
          const eventId = randomUUID();
          await repo.openEvent({
            id: eventId,
            pointId: id,
            deviceId: p.deviceId,
            kind: change.kind,
            startedAt: new Date(change.at),
            endedAt: change.endedAt === undefined ? null : new Date(change.endedAt),
            samples: change.samples,
            details: change.details,
          });
          if (change.endedAt === undefined) result.state.open[change.kind] = eventId;
        } else if (change.op === 'extend') await repo.extendEvent(change.id, change.samples, change.details);
        else await repo.closeEvent(change.id, new Date(change.at));
      }
      const s = result.state;
      save.ids.push(id);
      save.lastTs.push(s.lastTs === null ? null : new Date(s.lastTs).toISOString());
      save.lastValue.push(s.lastValue);
      save.runSince.push(s.runSince === null ? null : new Date(s.runSince).toISOString());
      save.runCount.push(s.runCount);
      save.mean.push(s.mean);
      save.variance.push(s.var);
      save.seen.push(s.seen);
      save.open.push(JSON.stringify(s.open));
      const perHour = new Map<number, number>();
      for (const x of p.samples) {
        const hour = Math.floor(x.tsUs / 3_600_000_000) * 3_600_000;
        perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
      }
      for (const [hour, n] of perHour) {
        hours.pointIds.push(id);
        hours.hours.push(new Date(hour).toISOString());
        hours.samples.push(n);
        hours.bad.push(result.badByHour.get(hour) ?? 0);
      }
    }
    await repo.saveStates(save);
    await repo.addQualityHours(hours);
  }

  // Quality events found while resolving (unit mismatches converted, unknown points).
  for (const s of subs) {
    for (const e of s.events) {
      await repo.openEvent({
        id: randomUUID(),
        pointId: e.pointId,
        deviceId: s.deviceId,
        kind: e.kind,
        startedAt: new Date(s.receivedMs),
        endedAt: new Date(s.receivedMs),
        samples: 1,
        details: e.details,
      });
    }
  }

  // Unknown points' samples, until an officer registers them.
  const q = { deviceIds: [] as string[], codes: [] as string[], ts: [] as string[], values: [] as number[], units: [] as string[] };
  for (const s of subs) {
    for (const x of s.quarantined) {
      q.deviceIds.push(s.deviceId);
      q.codes.push(x.code);
      q.ts.push(isoMicros(x.tsUs));
      q.values.push(x.value);
      q.units.push(x.unit);
    }
  }
  if (q.codes.length) await repo.quarantine(q);

  // Ingestion counters per device and minute: samples, duplicates, lag of the newest sample.
  const perDevice = new Map<string, { orgId: string; points: number; newest: number; received: number; lagSum: number; lagMax: number }>();
  const insertedSet = new Map(insertedByPoint.map((r) => [r.point_id, r.n]));
  for (const s of subs) {
    let d = perDevice.get(s.deviceId);
    if (!d) perDevice.set(s.deviceId, (d = { orgId: s.orgId, points: 0, newest: 0, received: s.receivedMs, lagSum: 0, lagMax: 0 }));
    d.points += s.samples.length;
    const newest = s.samples.reduce((m, x) => Math.max(m, x.tsUs / 1000), 0);
    if (newest > 0) {
      const lag = Math.max(0, nowMs - newest);
      d.lagSum += lag;
      d.lagMax = Math.max(d.lagMax, lag);
    }
  }
  const devices = [...perDevice.keys()];
  if (devices.length) {
    // Duplicates are known per point; spread them back onto the devices that sent those points.
    const dupByDevice = new Map<string, number>();
    for (const [id, p] of byPoint) dupByDevice.set(p.deviceId, (dupByDevice.get(p.deviceId) ?? 0) + p.samples.length - (insertedSet.get(id) ?? 0));
    await repo.addIngestMinutes({
      deviceIds: devices,
      orgIds: devices.map((d) => perDevice.get(d)!.orgId),
      minute: new Date(Math.floor(nowMs / 60_000) * 60_000),
      points: devices.map((d) => perDevice.get(d)!.points),
      duplicates: devices.map((d) => Math.max(0, dupByDevice.get(d) ?? 0)),
      lagSum: devices.map((d) => perDevice.get(d)!.lagSum),
      lagMax: devices.map((d) => perDevice.get(d)!.lagMax),
    });
    await repo.touchDevices(devices, new Date(nowMs));
  }
  return { inserted, duplicates: staged - inserted, pointIds };
}
