/**
 * A binding's schedule: every N minutes, or a cron expression (5 fields: minute hour day month
 * weekday, or a nickname such as @daily) evaluated in Asia/Shanghai by `croner`.
 */
import { Cron } from 'croner';
import { BadRequestError } from '../../errors.ts';

export const SCHEDULE_TIMEZONE = 'Asia/Shanghai';

export interface Schedule {
  intervalMinutes?: number | null | undefined;
  cron?: string | null | undefined;
}

function pattern(expression: string): Cron {
  return new Cron(expression, { timezone: SCHEDULE_TIMEZONE, paused: true });
}

/** Refuses a schedule with both an interval and a cron expression, or a cron expression croner cannot read (minute precision: 5 fields). */
export function checkSchedule(s: Schedule): void {
  if (s.intervalMinutes != null && s.cron != null) {
    throw new BadRequestError(
      'schedule_ambiguous',
      {
        zh: '调度只能是间隔（intervalMinutes）或 cron 表达式（cron）之一',
        en: 'A schedule is either an interval (intervalMinutes) or a cron expression (cron), not both',
      },
      { field: 'cron' },
    );
  }
  if (s.cron == null) return;
  const expression = s.cron.trim();
  let problem: string | undefined;
  if (!expression.startsWith('@') && expression.split(/\s+/).length !== 5) problem = 'five fields expected: minute hour day month weekday';
  else {
    try {
      if (!pattern(expression).nextRun()) problem = 'it never fires';
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  if (problem) {
    throw new BadRequestError(
      'invalid_cron',
      {
        zh: `字段 cron 的表达式“${expression}”无效（应为 5 段：分 时 日 月 周，按北京时间）：${problem}`,
        en: `Field cron: "${expression}" is not a valid cron expression (5 fields: minute hour day month weekday, Asia/Shanghai time): ${problem}`,
      },
      { field: 'cron' },
    );
  }
}

/** When the schedule next fires after `from`; null when there is no schedule. */
export function nextRun(s: Schedule, from: Date = new Date()): Date | null {
  if (s.cron != null) return pattern(s.cron.trim()).nextRun(from);
  if (s.intervalMinutes != null) return new Date(from.getTime() + s.intervalMinutes * 60_000);
  return null;
}
