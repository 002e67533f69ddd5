/**
 * Working-day arithmetic on the Chinese calendar (工作日): Monday to Friday, except public holidays,
 * plus the weekend days worked instead (调休上班). The official table (calendar-cn.ts) is the base; the
 * security administrator's overrides (a later year, a local change) take precedence day by day.
 *
 * Deadlines follow the usual reading of "N个工作日内": counting starts the day after the request
 * arrives, and the Nth working day ends at midnight China time (UTC+8).
 */
import { OFFICIAL_CALENDAR, type OfficialYear } from './calendar-cn.ts';

export type DayKind = 'holiday' | 'workday';

/** One day the calendar treats differently from the weekday rule. */
export interface CalendarDay {
  date: string;
  kind: DayKind;
  name: string;
  /** 'official' (State Council notice) or 'override' (the security administrator's setting). */
  origin: 'official' | 'override';
}

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3600_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A valid YYYY-MM-DD (2024-02-30 is not). */
export function isIsoDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** The date in China of an instant. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Midnight at the start of a China date, as an instant. */
export function chinaMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS);
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** The official days of the table, one entry per day. */
export function officialDays(table: readonly OfficialYear[] = OFFICIAL_CALENDAR): CalendarDay[] {
  const days: CalendarDay[] = [];
  for (const y of table) {
    for (const f of y.festivals) {
      for (const [from, to] of f.off) for (let d = from; d <= to; d = addDays(d, 1)) days.push({ date: d, kind: 'holiday', name: f.name, origin: 'official' });
      for (const d of f.makeup) days.push({ date: d, kind: 'workday', name: `${f.name}调休上班`, origin: 'official' });
    }
  }
  return days;
}

export class WorkCalendar {
  private readonly special = new Map<string, CalendarDay>();

  constructor(overrides: readonly Omit<CalendarDay, 'origin'>[] = [], table: readonly OfficialYear[] = OFFICIAL_CALENDAR) {
    for (const d of officialDays(table)) this.special.set(d.date, d);
    for (const d of overrides) this.special.set(d.date, { ...d, origin: 'override' });
  }

  /** How the calendar reads a day that is not a plain weekday/weekend (undefined otherwise). */
  specialDay(date: string): CalendarDay | undefined {
    return this.special.get(date);
  }

  isWorkingDay(date: string): boolean {
    const s = this.special.get(date);
    if (s) return s.kind === 'workday';
    const w = weekday(date);
    return w !== 0 && w !== 6;
  }

  /** The nth working day strictly after `date` (n ≥ 1). */
  addWorkingDays(date: string, n: number): string {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`working days must be a positive integer, got ${n}`);
    let d = date;
    for (let left = n; left > 0;) {
      d = addDays(d, 1);
      if (this.isWorkingDay(d)) left--;
    }
    return d;
  }

  /** Working days in (from, to]; negative when `to` is before `from`. */
  workingDaysBetween(from: string, to: string): number {
    if (to < from) return 0 - this.workingDaysBetween(to, from); // never -0
    let n = 0;
    for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (this.isWorkingDay(d)) n++;
    return n;
  }

  /** The instant a limit of `days` working days counted from `start` runs out (midnight after the last day). */
  dueAt(start: Date, days: number): Date {
    return chinaMidnight(addDays(this.addWorkingDays(chinaDate(start), days), 1));
  }

  /** The special days of one year (holidays, make-up working days), in date order. */
  year(year: number): CalendarDay[] {
    return [...this.special.values()].filter((d) => d.date.startsWith(`${year}-`)).sort((a, b) => a.date.localeCompare(b.date));
  }
}
