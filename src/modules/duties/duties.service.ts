/**
 * Duties of the 政务数据共享条例 on the sharing workflow (issue 20 §1): every share request carries
 * deadlines in working days by share type and stage; the provider may extend once with a reason;
 * reminders go out before a deadline and an overdue request is escalated to the platform authority
 * (notification centre + an audit event the secops detector `requestOverdue` turns into an alert)
 * and counted against the provider department.
 */
import type { Db } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, type Message } from '../../errors.ts';
import type { Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { Caller } from '../../http/access.ts';
import { REQUEST_OVERDUE_ACTION } from '../secops/detectors.ts';
import type { RequestClock } from '../share/clock.ts';
import type { RequestRow, ShareService } from '../share/share.service.ts';
import { WorkCalendar } from './calendar.ts';
import { basisOf, limitOf, requestClock, stagesOf } from './deadlines.ts';
import { dutiesRepo, type ClockRow } from './duties.repo.ts';
import { DEFAULT_DUTIES_SETTINGS, dutiesSettingsSchema, settingsInput, type DutiesSettings } from './duties.settings.ts';

export interface DutiesDeps {
  db: Db;
  events: EventSink;
  share: Pick<ShareService, 'allRequests' | 'sharedBefore' | 'datasetOf' | 'notify' | 'get' | 'list'>;
  /** The clock deadlines are judged by (tests move it; production reads the system time). */
  now?: () => Date;
}

const OPEN_STATES: RequestRow['state'][] = ['submitted', 'provider_approved'];
const STAGE_LABELS: Record<'provider' | 'security', Message> = {
  provider: { zh: '提供方答复', en: "provider's answer" },
  security: { zh: '安全审批', en: 'security approval' },
};

export interface DepartmentCount {
  orgId: string;
  orgName: string;
  requests: number;
  open: number;
  answeredOnTime: number;
  answeredLate: number;
  overdueOpen: number;
  escalated: number;
  extended: number;
}

export function createDutiesService(deps: DutiesDeps) {
  const { db, events, share } = deps;
  const now = deps.now ?? (() => new Date());
  const repo = dutiesRepo(db);

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  async function settings(): Promise<DutiesSettings> {
    const stored = dutiesSettingsSchema.safeParse((await repo.settings()) ?? {});
    return stored.success ? stored.data : DEFAULT_DUTIES_SETTINGS;
  }

  async function calendar(s?: DutiesSettings): Promise<WorkCalendar> {
    return new WorkCalendar((s ?? (await settings())).calendar);
  }

  /** Opens the clocks of the stages the requests have reached (limits in force now), then reads them all. */
  async function clockRows(rows: RequestRow[], s: DutiesSettings): Promise<Map<string, ClockRow[]>> {
    const existing = await repo.clocks(rows.map((r) => r.id));
    const have = new Set(existing.map((c) => `${c.request_id}:${c.stage}`));
    const missing = rows.filter((r) => stagesOf(r).some((st) => !have.has(`${r.id}:${st.stage}`)));
    if (missing.length) {
      const shared = await share.sharedBefore(missing);
      const shareTypes = new Map<string, string>();
      for (const r of missing)
        if (!shareTypes.has(r.dataset_id)) shareTypes.set(r.dataset_id, (await share.datasetOf(r.dataset_id))?.share_type ?? 'conditional');
      await repo.openClocks(
        missing.flatMap((r) => {
          const basis = existing.find((c) => c.request_id === r.id)?.basis ?? basisOf(shareTypes.get(r.dataset_id)!, shared.has(r.id));
          return stagesOf(r)
            .filter((st) => !have.has(`${r.id}:${st.stage}`))
            .map((st) => ({ requestId: r.id, stage: st.stage, basis, limitDays: limitOf(s.limits, basis, st.stage), providerOrgId: r.provider_org_id }));
        }),
      );
    }
    const all = missing.length ? await repo.clocks(rows.map((r) => r.id)) : existing;
    const byRequest = new Map<string, ClockRow[]>();
    for (const c of all) byRequest.set(c.request_id, [...(byRequest.get(c.request_id) ?? []), c]);
    return byRequest;
  }

  async function clocksOf(rows: RequestRow[], at = now()): Promise<Map<string, RequestClock>> {
    const s = await settings();
    const cal = await calendar(s);
    const byRequest = await clockRows(rows, s);
    const out = new Map<string, RequestClock>();
    for (const r of rows) {
      const clock = requestClock(cal, r, byRequest.get(r.id) ?? [], s.limits, at);
      if (clock) out.set(r.id, clock);
    }
    return out;
  }

  const service = {
    now,
    settings,
    calendar,
    clocksOf,

    /** Replaces the settings; a refusal names every wrong field, worded in `lang` (settingsInput). */
    async updateSettings(caller: Caller, input: unknown, lang: keyof Message = 'zh'): Promise<DutiesSettings> {
      const next = settingsInput(input, lang);
      const before = await settings();
      await repo.saveSettings(next);
      await record(caller, {
        action: 'duties.settings_update',
        result: 'success',
        target: { type: 'duties_settings' },
        details: {
          before: { limits: before.limits, calendarDays: before.calendar.length },
          after: { limits: next.limits, calendarDays: next.calendar.length },
        },
      });
      return next;
    },

    /** A request the caller may see, with its clock. */
    async requestClock(p: Principal, id: string): Promise<{ request: RequestRow; clock: RequestClock | null }> {
      const request = await share.get(p, id);
      return { request, clock: (await clocksOf([request])).get(id) ?? null };
    },

    /** The caller's open requests (made, to answer, or awaiting security), most urgent first. */
    async queue(p: Principal): Promise<{ request: RequestRow; clock: RequestClock | null }[]> {
      const rows = (await share.list(p, {}, 1000)).filter((r) => OPEN_STATES.includes(r.state));
      const clocks = await clocksOf(rows);
      const due = (r: RequestRow) => clocks.get(r.id)?.current?.dueAt.getTime() ?? Infinity;
      return rows.sort((a, b) => due(a) - due(b)).map((request) => ({ request, clock: clocks.get(request.id) ?? null }));
    },

    /** The provider's one extension of the stage in hand, ≤ the configured maximum, with a reason. */
    async extend(caller: Caller, id: string, input: { days: number; reason: string }): Promise<RequestClock> {
      const p = caller.principal;
      const r = await share.get(p, id);
      if (!(r.provider_org_id === p.orgId && p.roles.includes('data_officer'))) {
        throw new ForbiddenError('not_provider', { zh: '只有提供方的数据管理员可以延期', en: "Only the provider's data officers extend a deadline" });
      }
      if (r.state !== 'submitted')
        throw new ConflictError(
          'invalid_state',
          { zh: '只有待提供方答复的申请可以延期', en: 'Only a request awaiting the provider can be extended' },
          { state: r.state },
        );
      const s = await settings();
      if (input.days > s.limits.maxExtension) {
        throw new BadRequestError(
          'extension_too_long',
          { zh: `延期不得超过 ${s.limits.maxExtension} 个工作日`, en: `An extension is at most ${s.limits.maxExtension} working days` },
          { field: 'days', max: s.limits.maxExtension },
        );
      }
      await clockRows([r], s);
      const at = now();
      const rows = await repo.clocks([id]);
      if (rows.some((c) => c.extended_at))
        throw new ConflictError('already_extended', { zh: '该申请已延期过一次', en: 'This request was already extended once' });
      if (!(await repo.extend(id, 'provider', { days: input.days, reason: input.reason, by: p.userId, at }))) {
        throw new ConflictError('already_extended', { zh: '该申请已延期过一次', en: 'This request was already extended once' });
      }
      const clock = (await clocksOf([r], at)).get(id)!;
      await record(caller, {
        action: 'duties.request_extend',
        result: 'success',
        dataset: r.dataset_code,
        target: { type: 'share_request', id },
        details: { days: input.days, reason: input.reason, dueAt: clock.current?.dueAt ?? null },
      });
      await share.notify({
        kind: 'duties.extended',
        title: {
          zh: `${r.provider_name}将您对「${r.dataset_name}」的共享申请答复期限延长 ${input.days} 个工作日`,
          en: `${r.provider_name} extended the answer to your request for “${r.dataset_name}” by ${input.days} working days`,
        },
        body: { requestId: id, dataset: r.dataset_code, reason: input.reason, dueAt: clock.current?.dueAt ?? null },
        link: `/share/requests/${id}`,
        userIds: [r.requested_by],
      });
      return clock;
    },

    /**
     * One pass over every open request: a reminder when a stage is due soon, an escalation when it is
     * overdue, each once per stage (claimed in the database, so several processes send one).
     */
    async sweep(at = now()): Promise<{ reminded: string[]; escalated: string[] }> {
      const s = await settings();
      const rows = await share.allRequests({ states: OPEN_STATES });
      const clocks = await clocksOf(rows, at);
      const reminded: string[] = [];
      const escalated: string[] = [];
      for (const r of rows) {
        const c = clocks.get(r.id)?.current;
        if (!c) continue;
        const stage = STAGE_LABELS[c.stage];
        const toAnswer = c.stage === 'provider' ? { orgRole: { orgId: r.provider_org_id, role: 'data_officer' } } : { role: 'secadmin' };
        if (c.state === 'due_soon' && (await repo.claimReminder(r.id, c.stage, at))) {
          reminded.push(r.id);
          await events.record({
            action: 'duties.request_reminder',
            result: 'success',
            dataset: r.dataset_code,
            target: { type: 'share_request', id: r.id },
            details: { stage: c.stage, dueAt: c.dueAt, remainingWorkingDays: c.remainingWorkingDays, providerOrgId: r.provider_org_id },
          });
          await share.notify({
            kind: 'duties.due_soon',
            title: {
              zh: `共享申请即将到期（${stage.zh}）：${r.consumer_name}申请的「${r.dataset_name}」`,
              en: `Share request due soon (${stage.en}): ${r.consumer_name}'s request for “${r.dataset_name}”`,
            },
            body: { requestId: r.id, dataset: r.dataset_code, stage: c.stage, dueAt: c.dueAt, remainingWorkingDays: c.remainingWorkingDays },
            link: `/share/requests/${r.id}`,
            ...toAnswer,
          });
        }
        if (c.state === 'overdue' && (await repo.claimEscalation(r.id, c.stage, at))) {
          escalated.push(r.id);
          await events.record({
            action: REQUEST_OVERDUE_ACTION,
            result: 'failure',
            actor: { orgId: r.provider_org_id },
            dataset: r.dataset_code,
            target: { type: 'share_request', id: r.id, label: r.dataset_name },
            details: {
              stage: c.stage,
              dueAt: c.dueAt,
              limitDays: c.limitDays,
              providerOrgId: r.provider_org_id,
              providerName: r.provider_name,
              consumerName: r.consumer_name,
              authority: s.authority.name,
            },
          });
          const title = {
            zh: `共享申请逾期未答复（${stage.zh}），已上报${s.authority.name}：${r.consumer_name}申请${r.provider_name}的「${r.dataset_name}」`,
            en: `Share request overdue (${stage.en}), escalated to ${s.authority.name}: ${r.consumer_name}'s request for “${r.dataset_name}” of ${r.provider_name}`,
          };
          const body = {
            requestId: r.id,
            dataset: r.dataset_code,
            stage: c.stage,
            dueAt: c.dueAt,
            providerOrgId: r.provider_org_id,
            providerName: r.provider_name,
          };
          await share.notify({
            kind: 'duties.overdue',
            title,
            body,
            link: `/share/requests/${r.id}`,
            role: 'secadmin',
            ...(s.authority.orgId ? { orgRole: { orgId: s.authority.orgId, role: 'data_officer' } } : {}),
          });
          await share.notify({ kind: 'duties.overdue', title, body, link: `/share/requests/${r.id}`, ...toAnswer });
        }
      }
      return { reminded, escalated };
    },

    /** Requests per provider department (its own answering stage): on time, late, overdue, escalated, extended. */
    async departments(at = now()): Promise<DepartmentCount[]> {
      const rows = await share.allRequests();
      const clocks = await clocksOf(rows, at);
      const byOrg = new Map<string, DepartmentCount>();
      for (const r of rows) {
        // A request its requester withdrew is nobody's answer to give.
        if (r.state === 'withdrawn') continue;
        const d = byOrg.get(r.provider_org_id) ?? {
          orgId: r.provider_org_id,
          orgName: r.provider_name,
          requests: 0,
          open: 0,
          answeredOnTime: 0,
          answeredLate: 0,
          overdueOpen: 0,
          escalated: 0,
          extended: 0,
        };
        byOrg.set(r.provider_org_id, d);
        const c = clocks.get(r.id);
        d.requests++;
        if (OPEN_STATES.includes(r.state)) d.open++;
        // The department answers for its own stage; the security approval is the platform's.
        const own = c?.stages.find((st) => st.stage === 'provider');
        if (own?.state === 'met') d.answeredOnTime++;
        if (own?.state === 'late') d.answeredLate++;
        if (own?.state === 'overdue') d.overdueOpen++;
        if (own?.escalatedAt) d.escalated++;
        if (c?.extension) d.extended++;
      }
      return [...byOrg.values()].sort((a, b) => b.overdueOpen + b.answeredLate - (a.overdueOpen + a.answeredLate) || a.orgName.localeCompare(b.orgName));
    },
  };
  return service;
}

export type DutiesService = ReturnType<typeof createDutiesService>;
