/**
 * Catalogue upkeep (目录挂接, issue 20 §5), pure: whether an entry's resource is attached and whether it
 * is updated as its 更新周期 declares. A periodic cycle is read in natural periods of China time
 * (UTC+8): 每日 a calendar day, 每周 a week from Monday, 每月 a month, 每季度 a quarter, 每年 a year. An
 * entry updated in one period must be updated again before the end of the next one; 实时 means no
 * more than an hour without new data; 不定期 is never overdue. Interface services (接口) answer from
 * the provider's system at each call and have no copy to go stale.
 */
import type { DatasetRow, UpkeepFactsRow } from '../catalog/catalog.service.ts';
import type { Upkeep } from '../catalog/upkeep.ts';
import { chinaMidnight } from './calendar.ts';

export type UpdateCycle = DatasetRow['update_cycle'];
type Periodic = Exclude<UpdateCycle, 'realtime' | 'irregular'>;

const CHINA_OFFSET_MS = 8 * 3600_000;
/** A 实时 resource without new data for this long is overdue. */
export const REALTIME_LIMIT_MS = 3600_000;

/** Year, month (0-11), day and weekday (0 Sunday) of an instant in China. */
function chinaParts(at: Date): { y: number; m: number; d: number; weekday: number } {
  const t = new Date(at.getTime() + CHINA_OFFSET_MS);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth(), d: t.getUTCDate(), weekday: t.getUTCDay() };
}

/** Midnight in China at the start of a day; month and day may overflow (Date.UTC carries them). */
function chinaDay(y: number, m: number, d: number): Date {
  return new Date(Date.UTC(y, m, d) - CHINA_OFFSET_MS);
}

/** The start of the natural period of `cycle` that contains `at`. */
export function periodStart(at: Date, cycle: Periodic): Date {
  const { y, m, d, weekday } = chinaParts(at);
  switch (cycle) {
    case 'daily':
      return chinaDay(y, m, d);
    case 'weekly':
      return chinaDay(y, m, d - ((weekday + 6) % 7));
    case 'monthly':
      return chinaDay(y, m, 1);
    case 'quarterly':
      return chinaDay(y, m - (m % 3), 1);
    case 'yearly':
      return chinaDay(y, 0, 1);
  }
}

/** The start of the period after the one that contains `at`. */
export function nextPeriodStart(at: Date, cycle: Periodic): Date {
  const { y, m, d } = chinaParts(periodStart(at, cycle));
  switch (cycle) {
    case 'daily':
      return chinaDay(y, m, d + 1);
    case 'weekly':
      return chinaDay(y, m, d + 7);
    case 'monthly':
      return chinaDay(y, m + 1, 1);
    case 'quarterly':
      return chinaDay(y, m + 3, 1);
    case 'yearly':
      return chinaDay(y + 1, 0, 1);
  }
}

/** When an entry last updated at `last` must be updated again by (null: never, 不定期). */
export function dueAfter(last: Date, cycle: UpdateCycle): Date | null {
  if (cycle === 'irregular') return null;
  if (cycle === 'realtime') return new Date(last.getTime() + REALTIME_LIMIT_MS);
  return nextPeriodStart(nextPeriodStart(last, cycle), cycle);
}

/**
 * The overdue period `at` falls in, which its reminder is sent once for: the natural period of the
 * cycle (for 实时, the day) that contains it.
 */
export function reminderPeriod(at: Date, cycle: UpdateCycle): Date {
  return periodStart(at, cycle === 'realtime' || cycle === 'irregular' ? 'daily' : cycle);
}

/** When a resource without any update yet was published (the start of its first period). */
function publishedAt(f: Pick<UpkeepFactsRow, 'publish_date' | 'created_at'>): Date {
  return f.publish_date ? chinaMidnight(f.publish_date.slice(0, 10)) : new Date(f.created_at);
}

/**
 * The upkeep of one entry at `now`. `lastSample`: a telemetry set's newest sample. Only published
 * entries are judged against their cycle; a draft or a withdrawn entry is `untracked` (or `unattached`).
 */
export function judgeUpkeep(f: UpkeepFactsRow, lastSample: Date | undefined, now: Date): Upkeep {
  const table = f.resource_kind === 'table';
  const attached = table ? f.last_version_at !== null : f.column_count > 0;
  const lastUpdatedAt = table ? f.last_version_at : f.resource_kind === 'telemetry' ? (lastSample ?? null) : null;
  if (!attached) return { attached, state: 'unattached', lastUpdatedAt, dueAt: null };
  if (f.status !== 'published' || f.resource_kind === 'service' || f.update_cycle === 'irregular')
    return { attached, state: 'untracked', lastUpdatedAt, dueAt: null };
  const dueAt = dueAfter(lastUpdatedAt ? new Date(lastUpdatedAt) : publishedAt(f), f.update_cycle)!;
  return { attached, state: now >= dueAt ? 'overdue' : 'current', lastUpdatedAt, dueAt };
}
