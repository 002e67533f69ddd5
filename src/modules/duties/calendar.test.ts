import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OFFICIAL_CALENDAR } from './calendar-cn.ts';
import { addDays, chinaDate, chinaMidnight, weekday, WorkCalendar } from './calendar.ts';

/**
 * The official 2024–2026 calendars written out independently of calendar-cn.ts, as the notices
 * count them: each festival's days off (count) and the make-up Saturdays/Sundays. The arithmetic is
 * checked against this reference, day by day, for every date of the three years.
 */
const NOTICES: { from: string; days: number; makeup: string[] }[] = [
  // 2024 (国办发明电〔2023〕7号)
  { from: '2024-01-01', days: 1, makeup: [] },
  { from: '2024-02-10', days: 8, makeup: ['2024-02-04', '2024-02-18'] },
  { from: '2024-04-04', days: 3, makeup: ['2024-04-07'] },
  { from: '2024-05-01', days: 5, makeup: ['2024-04-28', '2024-05-11'] },
  { from: '2024-06-10', days: 1, makeup: [] },
  { from: '2024-09-15', days: 3, makeup: ['2024-09-14'] },
  { from: '2024-10-01', days: 7, makeup: ['2024-09-29', '2024-10-12'] },
  // 2025 (国办发明电〔2024〕12号)
  { from: '2025-01-01', days: 1, makeup: [] },
  { from: '2025-01-28', days: 8, makeup: ['2025-01-26', '2025-02-08'] },
  { from: '2025-04-04', days: 3, makeup: [] },
  { from: '2025-05-01', days: 5, makeup: ['2025-04-27'] },
  { from: '2025-05-31', days: 3, makeup: [] },
  { from: '2025-10-01', days: 8, makeup: ['2025-09-28', '2025-10-11'] },
  // 2026 (国办发明电〔2025〕7号)
  { from: '2026-01-01', days: 3, makeup: ['2026-01-04'] },
  { from: '2026-02-15', days: 9, makeup: ['2026-02-14', '2026-02-28'] },
  { from: '2026-04-04', days: 3, makeup: [] },
  { from: '2026-05-01', days: 5, makeup: ['2026-05-09'] },
  { from: '2026-06-19', days: 3, makeup: [] },
  { from: '2026-09-25', days: 3, makeup: [] },
  { from: '2026-10-01', days: 7, makeup: ['2026-09-20', '2026-10-10'] },
];

const OFF = new Set(NOTICES.flatMap((n) => Array.from({ length: n.days }, (_, i) => addDays(n.from, i))));
const MAKEUP = new Set(NOTICES.flatMap((n) => n.makeup));
const isWorking = (d: string) => !OFF.has(d) && (MAKEUP.has(d) || (weekday(d) !== 0 && weekday(d) !== 6));

const FIRST = '2024-01-01';
const LAST = '2026-12-31';
const ALL_DAYS: string[] = [];
for (let d = FIRST; d <= LAST; d = addDays(d, 1)) ALL_DAYS.push(d);

const cal = new WorkCalendar();
const dayIn = (lastOffset = 0) => fc.integer({ min: 0, max: ALL_DAYS.length - 1 - lastOffset }).map((i) => ALL_DAYS[i]!);

describe('working days on the official 2024–2026 calendars', () => {
  it('every day of the three years is a working day exactly when the notices say so', () => {
    for (const d of ALL_DAYS) expect(cal.isWorkingDay(d), d).toBe(isWorking(d));
    // Totals a reader can check by hand: weekdays − weekday holidays + make-up days.
    // 2024: 262 − 17 + 6 = 251; 2025: 261 − 18 + 5 = 248; 2026: 261 − 19 + 6 = 248.
    const count = (y: string) => ALL_DAYS.filter((d) => d.startsWith(y) && isWorking(d)).length;
    expect([count('2024'), count('2025'), count('2026')]).toEqual([251, 248, 248]);
  });

  it('make-up days are weekends and holidays fall where the notices put them', () => {
    for (const d of MAKEUP) expect([0, 6]).toContain(weekday(d));
    expect(cal.specialDay('2026-02-14')).toMatchObject({ kind: 'workday', origin: 'official' });
    expect(cal.specialDay('2025-10-08')).toMatchObject({ kind: 'holiday', name: '国庆节、中秋节' });
    expect(OFFICIAL_CALENDAR.map((y) => y.year)).toEqual([2024, 2025, 2026]);
  });

  it('addWorkingDays lands on a working day with exactly n working days after the start (property)', () => {
    fc.assert(
      fc.property(dayIn(60), fc.integer({ min: 1, max: 25 }), (start, n) => {
        const end = cal.addWorkingDays(start, n);
        expect(isWorking(end)).toBe(true);
        const between = ALL_DAYS.filter((d) => d > start && d <= end && isWorking(d)).length;
        expect(between).toBe(n);
        expect(cal.workingDaysBetween(start, end)).toBe(n);
      }),
      { numRuns: 500 },
    );
  });

  it('working days between two dates add up and are antisymmetric (property)', () => {
    fc.assert(
      fc.property(dayIn(), dayIn(), dayIn(), (a, b, c) => {
        const [x, y, z] = [a, b, c].sort();
        expect(cal.workingDaysBetween(x!, y!) + cal.workingDaysBetween(y!, z!)).toBe(cal.workingDaysBetween(x!, z!));
        expect(cal.workingDaysBetween(a, b) + cal.workingDaysBetween(b, a)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('n+1 working days end after n (monotone), and the reference counts agree (property)', () => {
    fc.assert(
      fc.property(dayIn(60), fc.integer({ min: 1, max: 20 }), (start, n) => {
        expect(cal.addWorkingDays(start, n + 1) > cal.addWorkingDays(start, n)).toBe(true);
      }),
    );
  });

  it('known cases across 春节 and 调休', () => {
    // Submitted Friday 2026-02-13: the next working day is the make-up Saturday 02-14, then the nine days off.
    expect(cal.addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(cal.addWorkingDays('2026-02-13', 2)).toBe('2026-02-24');
    // 10 working days from 2025-09-26 (Friday): 09-28 (Sunday, worked), 09-29, 09-30, then 10-09, 10-10, 10-11 (Saturday, worked), 10-13 … 10-16
    expect(cal.addWorkingDays('2025-09-26', 10)).toBe('2025-10-16');
    // A deadline runs out at midnight China time after the last working day.
    const due = cal.dueAt(new Date('2026-02-13T10:00:00+08:00'), 2);
    expect(due.toISOString()).toBe(chinaMidnight('2026-02-25').toISOString());
    expect(chinaDate(new Date('2026-02-24T23:59:59+08:00'))).toBe('2026-02-24');
  });

  it("the security administrator's overrides take precedence day by day", () => {
    const local = new WorkCalendar([
      { date: '2027-01-01', kind: 'holiday', name: '元旦' },
      { date: '2026-02-14', kind: 'holiday', name: '本地调整' },
    ]);
    expect(local.isWorkingDay('2027-01-01')).toBe(false);
    expect(local.isWorkingDay('2026-02-14')).toBe(false);
    expect(local.specialDay('2026-02-14')).toMatchObject({ origin: 'override' });
    expect(local.addWorkingDays('2026-02-13', 1)).toBe('2026-02-24');
  });
});
