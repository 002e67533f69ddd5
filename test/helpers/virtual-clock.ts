import type { AuditRecord } from '../../src/modules/audit/record.ts';

/**
 * The clock the security detectors judge "night" and the hourly baseline on, so a test need not wait
 * for 03:00: from the real instant of each `setVirtual(iso)` on, time reads `iso` plus what has passed
 * since. `eventTime` maps an audit record's real stamp onto it (the secops `eventTime` option).
 */
export function virtualClock(): { setVirtual(iso: string): void; eventTime(r: AuditRecord): Date } {
  const segments: { real: number; virtual: number }[] = [];
  return {
    setVirtual: (iso) => void segments.push({ real: Date.now(), virtual: Date.parse(iso) }),
    eventTime: (r) => {
      const real = Date.parse(r.time);
      const segment = segments.filter((s) => s.real <= real).at(-1);
      return new Date(segment ? segment.virtual + (real - segment.real) : real);
    },
  };
}
