/**
 * The clock of a share request, computed (no side effects) from the request's dates, the limits
 * frozen when each stage's clock opened, and the working-day calendar. Stages: `provider` runs from
 * submission to the provider's answer (approval or refusal); `security` from the provider's approval
 * to the security administrator's, for requests that need it (4级 columns, 重要数据 candidates).
 */
import type { RequestClock, StageClock } from '../share/clock.ts';
import type { RequestRow } from '../share/share.service.ts';
import { chinaDate, type WorkCalendar } from './calendar.ts';
import type { Basis, ClockRow, Stage } from './duties.repo.ts';
import type { DutiesSettings } from './duties.settings.ts';

type Limits = DutiesSettings['limits'];

/** The request facts a clock reads. */
export type ClockedRequest = Pick<
  RequestRow,
  'id' | 'state' | 'needs_security' | 'terms' | 'created_at' | 'provider_decided_at' | 'security_decided_at' | 'provider_org_id'
>;

/** Which limit applies: the dataset's share type, and for 有条件共享 whether it is already shared to others. */
export function basisOf(shareType: string, sharedBefore: boolean): Basis {
  if (shareType === 'unconditional') return 'unconditional';
  return sharedBefore ? 'conditional_shared' : 'conditional';
}

export function limitOf(limits: Limits, basis: Basis, stage: Stage): number {
  if (stage === 'security') {
    const byType =
      basis === 'unconditional'
        ? limits.securityByType.unconditional
        : basis === 'conditional_shared'
          ? limits.securityByType.conditionalShared
          : limits.securityByType.conditional;
    return byType ?? limits.security;
  }
  return basis === 'unconditional' ? limits.unconditional : basis === 'conditional_shared' ? limits.conditionalShared : limits.conditional;
}

/** The stages a request has reached, with when each started and ended (null: still waiting). */
export function stagesOf(r: ClockedRequest): { stage: Stage; startedAt: Date; endedAt: Date | null }[] {
  const stages: { stage: Stage; startedAt: Date; endedAt: Date | null }[] = [
    { stage: 'provider', startedAt: new Date(r.created_at), endedAt: r.provider_decided_at ? new Date(r.provider_decided_at) : null },
  ];
  // The provider approved a request that also needs the security administrator.
  if (r.needs_security && r.terms !== null && r.provider_decided_at) {
    stages.push({ stage: 'security', startedAt: new Date(r.provider_decided_at), endedAt: r.security_decided_at ? new Date(r.security_decided_at) : null });
  }
  return stages;
}

/** One stage's clock at `now`. */
export function stageClock(
  calendar: WorkCalendar,
  row: ClockRow,
  span: { startedAt: Date; endedAt: Date | null },
  remindBefore: number,
  now: Date,
): StageClock {
  const limitDays = row.limit_days + row.extension_days;
  const dueAt = calendar.dueAt(span.startedAt, limitDays);
  const base = {
    stage: row.stage,
    limitDays,
    extensionDays: row.extension_days,
    startedAt: span.startedAt,
    dueAt,
    endedAt: span.endedAt,
    escalatedAt: row.escalated_at,
  };
  // Answered after the deadline, or after it was escalated as overdue, is late.
  if (span.endedAt) return { ...base, state: span.endedAt <= dueAt && !row.escalated_at ? 'met' : 'late', remainingWorkingDays: null };
  const lastDay = chinaDate(new Date(dueAt.getTime() - 1));
  const today = chinaDate(now);
  if (now >= dueAt) return { ...base, state: 'overdue', remainingWorkingDays: -Math.max(1, calendar.workingDaysBetween(lastDay, today)) };
  const remaining = calendar.workingDaysBetween(today, lastDay);
  return { ...base, state: remaining <= remindBefore ? 'due_soon' : 'running', remainingWorkingDays: remaining };
}

/** The whole clock of a request from its stage rows (stages without a row are not shown). */
export function requestClock(
  calendar: WorkCalendar,
  r: ClockedRequest,
  rows: ClockRow[],
  limits: { remindBefore: number; maxExtension: number },
  now: Date,
): RequestClock | null {
  const { remindBefore } = limits;
  const stages: StageClock[] = [];
  for (const span of stagesOf(r)) {
    const row = rows.find((x) => x.stage === span.stage);
    if (row) stages.push(stageClock(calendar, row, span, remindBefore, now));
  }
  const first = rows[0];
  if (!first || stages.length === 0) return null;
  const extended = rows.find((x) => x.extended_at);
  const open = r.state === 'submitted' || r.state === 'provider_approved';
  return {
    basis: first.basis,
    current: open ? (stages.find((s) => s.endedAt === null) ?? null) : null,
    stages,
    extension: extended ? { days: extended.extension_days, reason: extended.extension_reason ?? '', at: extended.extended_at! } : null,
    maxExtension: limits.maxExtension,
  };
}
