/**
 * Reading shared telemetry: `GET /api/v1/series/{code}/points` and the live stream, under the grants
 * of the sharing module. The grant is resolved by the same path as records (grant state, expiry,
 * IP ranges, containment by security operations, quotas); its telemetry terms decide the points
 * (named points and whole devices), the finest resolution and the data window. Every response is
 * in the audit log before it leaves.
 */
import { BadRequestError, ForbiddenError } from '../../errors.ts';
import type { Caller } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { RecordsService, ResolvedAccess } from '../share/records.service.ts';
import { finer, type Resolution, type SeriesTerms } from '../share/series.ts';
import { isoMicros } from './payloads.ts';
import type { TelemetryRepo } from './telemetry.repo.ts';

export const AGGS = ['avg', 'min', 'max', 'last'] as const;
export type Agg = (typeof AGGS)[number];
/** Values in one response at most. */
export const MAX_VALUES = 100_000;

export interface SeriesQuery {
  points?: string[];
  from: Date;
  to: Date;
  step: Resolution;
  agg: Agg;
  grant?: string;
  limit: number;
}

export interface SeriesValue {
  point: string;
  ts: string;
  value: number;
}

export interface SeriesAnswer {
  code: string;
  step: Resolution;
  agg: Agg | null;
  from: string;
  to: string;
  grantId: string;
  points: { name: string; label: string }[];
  values: SeriesValue[];
  truncated: boolean;
}

interface Granted {
  access: ResolvedAccess;
  terms: SeriesTerms;
  /** 信息项 name (`device.point`) → point id, for the points the grant covers. */
  points: Map<string, { id: number; label: string }>;
}

function bad(code: string, zh: string, en: string, details?: unknown) {
  return new BadRequestError(code, { zh, en }, details);
}

export function createSeriesService(deps: {
  records: Pick<RecordsService, 'resolve' | 'countRequest' | 'reserveRows' | 'rowsQuotaError'>;
  events: EventSink;
  repo: TelemetryRepo;
}) {
  const { records, events, repo } = deps;

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  /** The caller's grant on the set and what it covers. */
  async function granted(caller: Caller, code: string, grantId?: string): Promise<Granted> {
    const access = await records.resolve(caller, code, grantId, 'telemetry');
    // An automatic grant (无条件共享) carries no terms: every point, any resolution.
    const terms: SeriesTerms = access.grant.series_terms ?? { resolution: 'raw' };
    const devices = new Set(terms.devices ?? []);
    const points = new Map<string, { id: number; label: string }>();
    for (const c of access.view) {
      const device = c.name.slice(0, c.name.lastIndexOf('.'));
      if (c.mode === 'clear' || devices.has(device)) {
        const column = access.ctx.columns.find((x) => x.name === c.name)!;
        points.set(c.name, { id: Number(c.physical.slice(1)), label: column.label });
      }
    }
    return { access, terms, points };
  }

  /** The points asked for (all granted ones when none are named); a point outside the grant is a 400. */
  function pick(g: Granted, names: string[] | undefined): [string, { id: number; label: string }][] {
    if (!names || names.length === 0) return [...g.points];
    return [...new Set(names)].map((name) => {
      const p = g.points.get(name);
      if (!p) {
        const known = g.access.ctx.columns.some((c) => c.name === name);
        throw bad(
          known ? 'point_not_granted' : 'unknown_point',
          known ? `测点 ${name} 不在授权范围内` : `测点 ${name} 不存在`,
          known ? `Point ${name} is not granted to you` : `Point ${name} does not exist`,
          { point: name },
        );
      }
      return [name, p];
    });
  }

  function window(g: Granted, from: Date, to: Date): { from: Date; to: Date } {
    const lo = g.terms.from ? new Date(Math.max(from.getTime(), Date.parse(g.terms.from))) : from;
    const hi = g.terms.to ? new Date(Math.min(to.getTime(), Date.parse(g.terms.to))) : to;
    return { from: lo, to: hi };
  }

  function checkStep(g: Granted, step: Resolution): void {
    if (finer(step, g.terms.resolution)) {
      throw new ForbiddenError(
        'resolution_not_granted',
        { zh: `授权的最细分辨率为 ${g.terms.resolution}，不能读取 ${step}`, en: `Your grant allows ${g.terms.resolution} at the finest, not ${step}` },
        { step, granted: g.terms.resolution },
      );
    }
  }

  async function read(ids: number[], names: Map<number, string>, step: Resolution, agg: Agg, from: Date, to: Date, limit: number): Promise<SeriesValue[]> {
    if (from >= to || ids.length === 0) return [];
    if (step === 'raw')
      return (await repo.raw(ids, from, to, limit)).map((r) => ({ point: names.get(r.point_id)!, ts: isoMicros(Number(r.us)), value: r.value }));
    const rows = await repo.rollup(step === '1m' ? 'telemetry_rollup_1m' : 'telemetry_rollup_1h', ids, from, to, limit);
    return rows.map((r) => ({ point: names.get(r.point_id)!, ts: r.bucket.toISOString(), value: r[agg] }));
  }

  const service = {
    granted,

    /** One query: checked against the grant, counted against its quotas, audited, then answered. */
    async query(caller: Caller, code: string, q: SeriesQuery): Promise<SeriesAnswer> {
      const g = await granted(caller, code, q.grant);
      checkStep(g, q.step);
      const chosen = pick(g, q.points);
      const { from, to } = window(g, q.from, q.to);
      await records.countRequest(caller, code, g.access.grant, 'requests', g.access.grant.requests_per_minute);
      const names = new Map(chosen.map(([name, p]) => [p.id, name]));
      const limit = Math.min(q.limit, MAX_VALUES);
      let values = await read([...names.keys()], names, q.step, q.agg, from, to, limit + 1);
      let truncated = values.length > limit;
      if (truncated) values = values.slice(0, limit);
      const allowed = await records.reserveRows(g.access.grant, values.length);
      if (allowed === 0 && values.length > 0) throw records.rowsQuotaError();
      if (allowed < values.length) {
        values = values.slice(0, allowed);
        truncated = true;
      }
      await record(caller, {
        action: 'data.read',
        result: 'success',
        dataset: code,
        details: {
          columns: chosen.map(([name]) => ({ name, mode: 'clear' })),
          rowCount: values.length,
          grantId: g.access.grant.id,
          grant: g.access.grant.id,
          purpose: g.access.grant.purpose,
          series: { step: q.step, agg: q.step === 'raw' ? null : q.agg, from: from.toISOString(), to: to.toISOString(), truncated },
        },
      });
      return {
        code,
        step: q.step,
        agg: q.step === 'raw' ? null : q.agg,
        from: from.toISOString(),
        to: to.toISOString(),
        grantId: g.access.grant.id,
        points: chosen.map(([name, p]) => ({ name, label: p.label })),
        values,
        truncated,
      };
    },

    /**
     * A live subscription. Opening checks the grant, the step and the points (a refusal is a clean
     * error before the stream starts); then each poll checks the grant again (revocation, expiry and
     * containment end the stream at once) and sends what is new, audited and counted before it is
     * written.
     */
    async openLive(caller: Caller, code: string, q: { points?: string[]; step?: Resolution; grant?: string }) {
      const first = await granted(caller, code, q.grant);
      const step = q.step ?? first.terms.resolution;
      checkStep(first, step);
      const chosen = pick(first, q.points);
      await records.countRequest(caller, code, first.access.grant, 'requests', first.access.grant.requests_per_minute);
      const names = new Map(chosen.map(([name, p]) => [p.id, name]));
      const bucketMs = step === '1m' ? 60_000 : step === '1h' ? 3_600_000 : 0;
      return async function* values(
        signal: { closed: boolean; wait(ms: number): Promise<void> },
        pollMs = 1000,
      ): AsyncGenerator<SeriesValue[] | { end: string }> {
        // A live view starts now (raw) or at the current bucket (roll-ups), not at the history.
        let since = new Date(Date.now() - bucketMs);
        const sent = new Map<string, string>();
        while (!signal.closed) {
          await signal.wait(pollMs);
          if (signal.closed) return;
          let g: Granted;
          try {
            g = await granted(caller, code, q.grant);
          } catch (error) {
            yield { end: (error as { code?: string }).code ?? 'refused' };
            return;
          }
          const { from, to } = window(g, since, new Date(Date.now() + 86_400_000));
          let out: SeriesValue[];
          if (step === 'raw') {
            out = await read([...names.keys()], names, 'raw', 'last', new Date(from.getTime() + 1), to, 10_000);
            if (out.length) since = new Date(Math.max(...out.map((v) => Date.parse(v.ts))));
          } else {
            // A roll-up bucket changes while it fills: send a bucket again when its value moved.
            const rows = await read([...names.keys()], names, step, 'avg', new Date(Math.floor(from.getTime() / bucketMs) * bucketMs), to, 10_000);
            out = rows.filter((v) => sent.get(`${v.point}@${v.ts}`) !== String(v.value));
            for (const v of out) sent.set(`${v.point}@${v.ts}`, String(v.value));
            since = new Date(Date.now() - bucketMs);
          }
          if (!out.length) continue;
          const allowed = await records.reserveRows(g.access.grant, out.length);
          if (allowed < out.length) {
            yield { end: 'quota' };
            return;
          }
          await record(caller, {
            action: 'data.read',
            result: 'success',
            dataset: code,
            details: {
              columns: [...new Set(out.map((v) => v.point))].map((name) => ({ name, mode: 'clear' })),
              rowCount: out.length,
              grantId: g.access.grant.id,
              grant: g.access.grant.id,
              purpose: g.access.grant.purpose,
              series: { step, live: true },
            },
          });
          yield out;
        }
      };
    },
  };
  return service;
}

export type SeriesService = ReturnType<typeof createSeriesService>;
