import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { checkSchedule, nextRun } from './schedule.ts';

describe('binding schedules', () => {
  it('evaluates cron expressions in Asia/Shanghai', () => {
    // 02:00 in Shanghai is 18:00 UTC the day before.
    expect(nextRun({ cron: '0 2 * * *' }, new Date('2026-03-01T12:00:00Z'))).toEqual(new Date('2026-03-01T18:00:00Z'));
    expect(nextRun({ cron: '30 8 * * 1' }, new Date('2026-03-01T12:00:00Z'))).toEqual(new Date('2026-03-02T00:30:00Z'));
    expect(nextRun({ cron: '@daily' }, new Date('2026-03-01T12:00:00Z'))).toEqual(new Date('2026-03-01T16:00:00Z'));
  });

  it('moves an interval on from the given time; no schedule has no next run', () => {
    expect(nextRun({ intervalMinutes: 15 }, new Date('2026-03-01T12:00:00Z'))).toEqual(new Date('2026-03-01T12:15:00Z'));
    expect(nextRun({}, new Date())).toBeNull();
  });

  it('refuses a bad expression or both kinds with a bilingual error naming the field', () => {
    for (const cron of ['61 * * * *', '* * *', '0 0 * * * *', 'every day']) {
      let error: unknown;
      try {
        checkSchedule({ cron });
      } catch (e) {
        error = e;
      }
      expect(error, cron).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('invalid_cron');
      expect((error as AppError).details).toMatchObject({ field: 'cron' });
      expect((error as AppError).text.zh).toContain('cron');
      expect((error as AppError).text.en).toContain('Field cron');
    }
    expect(() => checkSchedule({ cron: '0 2 * * *', intervalMinutes: 5 })).toThrow(/not both/);
    expect(() => checkSchedule({ cron: '*/5 * * * *' })).not.toThrow();
    expect(() => checkSchedule({ intervalMinutes: 5 })).not.toThrow();
  });
});
