/**
 * Terms of a grant on a telemetry set (issue 19): the finest resolution the consumer may read (raw
 * samples, 1-minute or 1-hour roll-ups), the window of data time, and devices whose every point is
 * granted (besides the points named as columns). Requests carry the terms asked for; the provider
 * may narrow them, never widen them.
 */
import { z } from 'zod';
import { BadRequestError } from '../../errors.ts';

export const RESOLUTIONS = ['raw', '1m', '1h'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const seriesTermsSchema = z.object({
  resolution: z.enum(RESOLUTIONS).describe('最细分辨率：raw 原始采样，1m 分钟汇总，1h 小时汇总'),
  from: z.string().max(40).nullable().optional().describe('数据时间窗起点（ISO 8601）'),
  to: z.string().max(40).nullable().optional().describe('数据时间窗终点（ISO 8601）'),
  devices: z.array(z.string().min(1).max(64)).max(1000).optional().describe('授权其全部测点的设备编码'),
});
export type SeriesTerms = z.infer<typeof seriesTermsSchema>;

const RANK: Record<Resolution, number> = { raw: 0, '1m': 1, '1h': 2 };

/** True when `a` is a finer resolution than `b`. */
export function finer(a: Resolution, b: Resolution): boolean {
  return RANK[a] < RANK[b];
}

function invalid(field: string, zh: string, en: string): BadRequestError {
  return new BadRequestError('invalid_series_terms', { zh: `${field}：${zh}`, en: `${field}: ${en}` }, { field });
}

function instant(text: string | null | undefined, field: string): number | null {
  if (text === undefined || text === null || text === '') return null;
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)
    ? Date.parse(text.length === 10 ? `${text}T00:00:00+08:00` : text)
    : NaN;
  if (Number.isNaN(ms)) throw invalid(field, '不是有效的 ISO 8601 时间', 'is not an ISO 8601 instant');
  return ms;
}

/** Validates terms as given (shape already checked by zod): instants, order, device codes. */
export function checkSeriesTerms(t: SeriesTerms, field = 'series'): SeriesTerms {
  const from = instant(t.from, `${field}.from`);
  const to = instant(t.to, `${field}.to`);
  if (from !== null && to !== null && from >= to) throw invalid(`${field}.to`, '须晚于起点', 'must be after from');
  for (const d of t.devices ?? []) if (!/^[A-Za-z0-9_.-]{1,64}$/.test(d)) throw invalid(`${field}.devices`, `设备编码 ${d} 无效`, `invalid device code ${d}`);
  return {
    resolution: t.resolution,
    ...(from !== null ? { from: new Date(from).toISOString() } : {}),
    ...(to !== null ? { to: new Date(to).toISOString() } : {}),
    ...(t.devices?.length ? { devices: [...new Set(t.devices)] } : {}),
  };
}

/** The provider's terms must stay inside the request's: not finer, not a wider window, no other devices. */
export function narrowSeriesTerms(requested: SeriesTerms, granted: SeriesTerms): SeriesTerms {
  const g = checkSeriesTerms(granted);
  if (finer(g.resolution, requested.resolution))
    throw invalid('series.resolution', `不能细于申请的 ${requested.resolution}`, `cannot be finer than the requested ${requested.resolution}`);
  if (requested.from && (!g.from || g.from < requested.from)) throw invalid('series.from', '不能早于申请的起点', 'cannot be before the requested start');
  if (requested.to && (!g.to || g.to > requested.to)) throw invalid('series.to', '不能晚于申请的终点', 'cannot be after the requested end');
  const extra = (g.devices ?? []).filter((d) => !(requested.devices ?? []).includes(d));
  if (extra.length) throw invalid('series.devices', `未申请的设备：${extra.join('、')}`, `devices not requested: ${extra.join(', ')}`);
  return g;
}
