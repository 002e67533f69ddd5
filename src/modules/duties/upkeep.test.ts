/** Catalogue upkeep periods in China time and the department score formula, on constructed cases. */
import { describe, expect, it } from 'vitest';
import type { UpkeepFactsRow } from '../catalog/catalog.service.ts';
import { combinedScore, ratingRate, ratio } from './score.ts';
import { dueAfter, judgeUpkeep, nextPeriodStart, periodStart, reminderPeriod } from './upkeep.ts';

/** An instant given in China time. */
const cn = (local: string) => new Date(`${local}+08:00`);

const entry = (over: Partial<UpkeepFactsRow> = {}): UpkeepFactsRow => ({
  id: '00000000-0000-4000-8000-000000000001',
  code: '210000-000001',
  name: '户籍人口信息',
  provider_org_id: '00000000-0000-4000-8000-000000000002',
  provider_name: '省公安厅',
  status: 'published',
  resource_kind: 'table',
  update_cycle: 'monthly',
  publish_date: '2026-01-10',
  created_at: cn('2026-01-09T10:00:00'),
  column_count: 9,
  last_version_at: cn('2026-01-15T10:00:00'),
  ...over,
});

describe('update cycles in natural periods of China time', () => {
  it('starts periods at China midnight: day, Monday, month, quarter, year', () => {
    // 2026-01-01 00:30 in China is still 2025-12-31 in UTC.
    const at = cn('2026-01-01T00:30:00');
    expect(periodStart(at, 'daily')).toEqual(cn('2026-01-01T00:00:00'));
    expect(periodStart(cn('2026-03-08T12:00:00'), 'weekly')).toEqual(cn('2026-03-02T00:00:00')); // a Sunday → its Monday
    expect(periodStart(cn('2026-03-09T00:00:00'), 'weekly')).toEqual(cn('2026-03-09T00:00:00'));
    expect(periodStart(cn('2026-05-20T08:00:00'), 'monthly')).toEqual(cn('2026-05-01T00:00:00'));
    expect(periodStart(cn('2026-05-20T08:00:00'), 'quarterly')).toEqual(cn('2026-04-01T00:00:00'));
    expect(periodStart(at, 'yearly')).toEqual(cn('2026-01-01T00:00:00'));
    expect(nextPeriodStart(cn('2026-12-31T23:00:00'), 'monthly')).toEqual(cn('2027-01-01T00:00:00'));
    expect(nextPeriodStart(cn('2026-11-02T00:00:00'), 'quarterly')).toEqual(cn('2027-01-01T00:00:00'));
  });

  it('is due by the end of the period after the one updated in; 实时 an hour; 不定期 never', () => {
    expect(dueAfter(cn('2026-01-15T10:00:00'), 'monthly')).toEqual(cn('2026-03-01T00:00:00'));
    expect(dueAfter(cn('2026-01-31T23:59:00'), 'monthly')).toEqual(cn('2026-03-01T00:00:00'));
    expect(dueAfter(cn('2026-02-28T09:00:00'), 'daily')).toEqual(cn('2026-03-02T00:00:00'));
    expect(dueAfter(cn('2026-03-04T09:00:00'), 'weekly')).toEqual(cn('2026-03-16T00:00:00'));
    expect(dueAfter(cn('2026-02-01T00:00:00'), 'quarterly')).toEqual(cn('2026-07-01T00:00:00'));
    expect(dueAfter(cn('2026-06-30T00:00:00'), 'yearly')).toEqual(cn('2028-01-01T00:00:00'));
    expect(dueAfter(cn('2026-03-04T09:00:00'), 'realtime')).toEqual(cn('2026-03-04T10:00:00'));
    expect(dueAfter(cn('2026-03-04T09:00:00'), 'irregular')).toBeNull();
    // One reminder per overdue period: the natural period (for 实时, the day) the sweep runs in.
    expect(reminderPeriod(cn('2026-03-17T09:00:00'), 'monthly')).toEqual(cn('2026-03-01T00:00:00'));
    expect(reminderPeriod(cn('2026-03-17T09:00:00'), 'realtime')).toEqual(cn('2026-03-17T00:00:00'));
  });

  it('judges an entry: attached, current until its due time, overdue after; untracked when not judged', () => {
    const e = entry();
    expect(judgeUpkeep(e, undefined, cn('2026-02-28T23:59:59'))).toEqual({
      attached: true,
      state: 'current',
      lastUpdatedAt: e.last_version_at,
      dueAt: cn('2026-03-01T00:00:00'),
    });
    expect(judgeUpkeep(e, undefined, cn('2026-03-01T00:00:00')).state).toBe('overdue');
    // No version: not attached, whatever the cycle or status.
    expect(judgeUpkeep(entry({ last_version_at: null }), undefined, cn('2026-01-20T00:00:00'))).toMatchObject({
      attached: false,
      state: 'unattached',
      dueAt: null,
    });
    expect(judgeUpkeep(entry({ status: 'draft', last_version_at: null }), undefined, cn('2026-01-20T00:00:00')).state).toBe('unattached');
    // Drafts, 不定期 entries and interfaces are not judged against a cycle.
    expect(judgeUpkeep(entry({ status: 'draft' }), undefined, cn('2027-01-01T00:00:00')).state).toBe('untracked');
    expect(judgeUpkeep(entry({ update_cycle: 'irregular' }), undefined, cn('2027-01-01T00:00:00')).state).toBe('untracked');
    expect(judgeUpkeep(entry({ resource_kind: 'service', last_version_at: null }), undefined, cn('2027-01-01T00:00:00'))).toMatchObject({
      attached: true,
      state: 'untracked',
    });
    // A telemetry set is judged by its newest sample; without any, from its publication.
    const set = entry({ resource_kind: 'telemetry', update_cycle: 'realtime', last_version_at: null });
    expect(judgeUpkeep(set, cn('2026-03-04T09:00:00'), cn('2026-03-04T09:59:00')).state).toBe('current');
    expect(judgeUpkeep(set, cn('2026-03-04T09:00:00'), cn('2026-03-04T10:00:00')).state).toBe('overdue');
    expect(judgeUpkeep(set, undefined, cn('2026-01-10T00:30:00'))).toMatchObject({ state: 'current', lastUpdatedAt: null, dueAt: cn('2026-01-10T01:00:00') });
    expect(judgeUpkeep(entry({ resource_kind: 'telemetry', column_count: 0, last_version_at: null }), undefined, cn('2026-01-10T00:30:00')).state).toBe(
      'unattached',
    );
  });
});

describe('the department score', () => {
  it('weighs the parts that have something to judge', () => {
    // 3 of 4 requests on time (0.75 × 30), 1 of 2 objections (0.5 × 20), 4 of 5 entries current (0.8 × 25), mean rating 4 → 0.75 × 25.
    expect(combinedScore({ requests: ratio(3, 4), objections: ratio(1, 2), catalogue: ratio(4, 5), ratings: ratingRate(4) })).toBe(71.3);
    // Without objections or ratings: (0.75 × 30 + 0.8 × 25) / 55.
    expect(combinedScore({ requests: 0.75, objections: ratio(0, 0), catalogue: 0.8, ratings: ratingRate(null) })).toBe(77.3);
    expect(combinedScore({ requests: null, objections: null, catalogue: null, ratings: null })).toBeNull();
    expect(combinedScore({ requests: 1, objections: 1, catalogue: 1, ratings: ratingRate(5) })).toBe(100);
    expect(ratingRate(1)).toBe(0);
  });
});
