/**
 * Calendar checks shared by the resident-ID and date-of-birth recognizers: a real calendar date, year
 * 1900..today (standards.md §1), never in the future.
 */

let todayKey = 0;
let todayValidUntil = 0;

/** Today as yyyymmdd (local time), recomputed after midnight so a long-running server stays right. */
export function today(): number {
  const now = Date.now();
  if (now >= todayValidUntil) {
    const d = new Date(now);
    todayKey = d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
    todayValidUntil = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  }
  return todayKey;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True when year-month-day is a real date between 1900-01-01 and today. */
export function isPastDate(year: number, month: number, day: number): boolean {
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  if (day > daysInMonth(year, month)) return false;
  return year * 10000 + month * 100 + day <= today();
}

/** Reads `len` ASCII digits at `at` as a number, or -1 when one is not a digit. */
export function digitsAt(s: string, at: number, len: number): number {
  let n = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

const DATE_RE = /^(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日?)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/;

/** Parses the date forms seen in government data: 1987-05-12, 1987/5/12, 1987.05.12, 19870512, 1987年5月12日. */
export function parseDate(value: string): { year: number; month: number; day: number } | null {
  if (value.length === 8) {
    const n = digitsAt(value, 0, 8);
    if (n < 0) return null;
    return { year: Math.floor(n / 10000), month: Math.floor(n / 100) % 100, day: n % 100 };
  }
  const m = DATE_RE.exec(value);
  if (!m) return null;
  return { year: Number(m[1]), month: Number(m[3] ?? m[5]), day: Number(m[4] ?? m[6]) };
}
