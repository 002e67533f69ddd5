/**
 * What society users do beyond reading (开放数林's "use" layer): 有条件开放 applications decided by the
 * providing department within a time limit shown to both sides, ratings and comments (shown after
 * moderation), public data requests (数据需求) routed to a department and answered publicly, and the
 * application showcase (应用展示, shown after review). Every step is in the audit log; the department's
 * officers get a console notice, the society user an e-mail (or a log line without SMTP).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, requestEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { chinaToday, type ShareService } from '../share/share.service.ts';
import { openRepo, type ApplicationRow } from './open.repo.ts';
import type { OpenSettings } from './open.settings.ts';
import { societyActor, type SocietyCaller, type SocietyService } from './society.ts';

const APPLICATION = { zh: '开放申请', en: 'Application' };
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Text as stored: control characters out, trimmed. It is shown as text everywhere, never as markup. */
export const clean = (text: string) => text.replace(CONTROL, '').trim();

/** An approved application whose terms ended reads as expired. */
export function applicationState(a: Pick<ApplicationRow, 'state' | 'terms'>, today = chinaToday()): ApplicationRow['state'] | 'expired' {
  return a.state === 'approved' && a.terms && a.terms.until < today ? 'expired' : a.state;
}

export function createParticipationService(deps: {
  db: Db;
  events: EventSink;
  society: Pick<SocietyService, 'requireVerified' | 'notify' | 'emailOf'>;
  share: Pick<ShareService, 'notify'>;
  identity: Pick<IdentityService, 'listOrgs'>;
  settings(): Promise<OpenSettings>;
}) {
  const { db, events, society, share } = deps;
  const repo = openRepo(db);

  const recordSociety = (caller: SocietyCaller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) =>
    events.record(requestEvent(caller, { ...event, actor: societyActor(caller.society) }));
  const recordOfficer = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  const notifyOfficers = (orgId: string, kind: string, title: { zh: string; en: string }, body: Record<string, unknown>, tab: string) =>
    share.notify({ kind, title, body, link: `/opendata?tab=${tab}`, orgRole: { orgId, role: 'data_officer' } });

  async function published(code: string) {
    const r = await repo.publishedByCode(code);
    if (!r) throw new NotFoundError({ zh: '开放数据集', en: 'Open dataset' });
    return r;
  }

  /** The officer's organisation, or null for the secadmin, who sees every department. */
  const scopeOf = (p: Principal) => (p.roles.includes('data_officer') ? p.orgId : p.roles.includes('secadmin') ? null : p.orgId);

  const service = {
    // ---- 有条件开放 applications ---------------------------------------------------------------

    async apply(caller: SocietyCaller, code: string, input: { purpose: string; intendedUse: string; applicant: ApplicationRow['applicant'] }) {
      const p = society.requireVerified(caller.society);
      const r = await published(code);
      if (r.open_type !== 'conditional')
        throw new ConflictError('not_conditional', {
          zh: '该数据集为无条件开放，无需申请',
          en: 'This dataset is open without conditions: no application needed',
        });
      if (await repo.pendingApplication(p.userId, code))
        throw new ConflictError('application_pending', { zh: '您对该数据集的申请正在审核中', en: 'Your application for this dataset is being reviewed' });
      const settings = await deps.settings();
      const a = await repo.insertApplication({
        id: randomUUID(),
        dataset_id: r.dataset_id,
        dataset_code: code,
        dataset_name: r.meta.name,
        provider_org_id: r.provider_org_id,
        user_id: p.userId,
        purpose: clean(input.purpose),
        intended_use: clean(input.intendedUse),
        applicant: {
          name: clean(input.applicant.name),
          ...(input.applicant.organization ? { organization: clean(input.applicant.organization) } : {}),
          ...(input.applicant.uscc ? { uscc: clean(input.applicant.uscc) } : {}),
          ...(input.applicant.phone ? { phone: clean(input.applicant.phone) } : {}),
        },
        due_at: new Date(Date.now() + settings.applicationDays * 86_400_000),
      });
      await recordSociety(caller, {
        action: 'open.application.submit',
        result: 'success',
        dataset: code,
        target: { type: 'open_application', id: a.id, label: r.meta.name },
        details: { purpose: a.purpose, dueAt: a.due_at },
      });
      // Names the applicant as it applied: its organisation, else the person.
      const applicant = a.applicant.organization ?? a.applicant.name;
      await notifyOfficers(
        r.provider_org_id,
        'open.application',
        { zh: `${applicant}申请有条件开放数据「${r.meta.name}」，待审核`, en: `${applicant} applies for the open data “${r.meta.name}”; to review` },
        { application: a.id, dataset: code, dueAt: a.due_at },
        'applications',
      );
      return a;
    },

    myApplications: (caller: SocietyCaller) => repo.applicationsOf(society.requireVerified(caller.society).userId),

    /** Applications to the officer's department (secadmin: every department). */
    applicationsFor: (p: Principal) => repo.applicationsFor(scopeOf(p)),

    async decide(caller: Caller, id: string, input: { approve: boolean; until?: string; conditions?: string; reason?: string }) {
      const a = await repo.application(id);
      if (!a || a.provider_org_id !== caller.principal.orgId) throw new NotFoundError(APPLICATION);
      if (a.state !== 'submitted') throw new ConflictError('already_decided', { zh: '该申请已处理', en: 'The application has been decided' });
      if (input.approve) {
        if (!input.until || input.until < chinaToday())
          throw new BadRequestError('invalid_until', { zh: '须填写不早于今天的使用期限', en: 'Give an end date of use, today or later' }, { field: 'until' });
        if (!input.conditions?.trim())
          throw new BadRequestError('conditions_required', { zh: '须写明使用条件', en: 'State the terms of use' }, { field: 'conditions' });
      } else if (!input.reason?.trim())
        throw new BadRequestError('reason_required', { zh: '驳回须说明理由', en: 'A rejection needs a reason' }, { field: 'reason' });
      const decided = await repo.decideApplication(id, {
        state: input.approve ? 'approved' : 'rejected',
        terms: input.approve ? { until: input.until!, conditions: clean(input.conditions!) } : null,
        reason: input.approve ? null : clean(input.reason!),
        by: caller.principal.userId,
      });
      if (!decided) throw new ConflictError('already_decided', { zh: '该申请已处理', en: 'The application has been decided' });
      await recordOfficer(caller, {
        action: input.approve ? 'open.application.approve' : 'open.application.reject',
        result: 'success',
        dataset: a.dataset_code,
        target: { type: 'open_application', id, label: a.dataset_name },
        details: input.approve ? { terms: decided.terms, late: a.due_at < new Date() } : { reason: decided.reason, late: a.due_at < new Date() },
      });
      const email = a.email ?? (await society.emailOf(a.user_id));
      if (email) {
        await society.notify(
          email,
          `【开放数据门户】申请${input.approve ? '已批准' : '未获批准'}:${a.dataset_name}`,
          input.approve
            ? `您对“${a.dataset_name}”的有条件开放申请已批准，使用期限至 ${decided.terms!.until}。使用条件：${decided.terms!.conditions}\n\nYour application for "${a.dataset_name}" was approved until ${decided.terms!.until}.`
            : `您对“${a.dataset_name}”的有条件开放申请未获批准。理由：${decided.reason}\n\nYour application for "${a.dataset_name}" was rejected: ${decided.reason}`,
        );
      }
      return decided;
    },

    // ---- ratings and comments ------------------------------------------------------------------

    async comment(caller: SocietyCaller, code: string, input: { rating: number; body: string }) {
      const p = society.requireVerified(caller.society);
      const r = await published(code);
      const id = randomUUID();
      await repo.insertComment({ id, code, providerOrgId: r.provider_org_id, userId: p.userId, rating: input.rating, body: clean(input.body) });
      await recordSociety(caller, {
        action: 'open.comment.submit',
        result: 'success',
        dataset: code,
        target: { type: 'open_comment', id },
        details: { rating: input.rating },
      });
      await notifyOfficers(
        r.provider_org_id,
        'open.comment',
        { zh: `开放数据评论待审核：${r.meta.name}`, en: `Comment to moderate: ${r.meta.name}` },
        { comment: id, dataset: code },
        'feedback',
      );
      return { id, state: 'pending' as const };
    },

    comments: (p: Principal) => repo.comments({ providerOrgId: scopeOf(p) }),

    async moderateComment(caller: Caller, id: string, approve: boolean) {
      const done = await repo.moderateComment(id, caller.principal.orgId, approve ? 'approved' : 'rejected', caller.principal.userId);
      if (!done) throw new NotFoundError({ zh: '评论', en: 'Comment' });
      await recordOfficer(caller, {
        action: approve ? 'open.comment.approve' : 'open.comment.reject',
        result: 'success',
        target: { type: 'open_comment', id },
      });
    },

    // ---- 数据需求 ----------------------------------------------------------------------------------

    /** Departments a data request can be routed to. */
    async departments() {
      return (await deps.identity.listOrgs()).filter((o) => o.type === 'department' || o.type === 'government').map((o) => ({ id: o.id, name: o.name }));
    },

    async demand(caller: SocietyCaller, input: { orgId: string; title: string; body: string }) {
      const p = society.requireVerified(caller.society);
      if (!(await service.departments()).some((o) => o.id === input.orgId))
        throw new BadRequestError('unknown_org', { zh: '部门不存在', en: 'Unknown department' }, { field: 'orgId' });
      const id = randomUUID();
      await repo.insertDemand({ id, userId: p.userId, orgId: input.orgId, title: clean(input.title), body: clean(input.body) });
      await recordSociety(caller, {
        action: 'open.demand.submit',
        result: 'success',
        target: { type: 'open_demand', id, label: clean(input.title) },
        details: { orgId: input.orgId },
      });
      await notifyOfficers(
        input.orgId,
        'open.demand',
        { zh: `数据需求待答复：${clean(input.title)}`, en: `Data request to answer: ${clean(input.title)}` },
        { demand: id },
        'feedback',
      );
      return { id, state: 'submitted' as const };
    },

    /** Answered requests, shown publicly with their answers. */
    publicDemands: () => repo.demands({ state: 'answered' }),
    myDemands: (caller: SocietyCaller) => repo.demands({ userId: society.requireVerified(caller.society).userId }),
    demandsFor: (p: Principal) => repo.demands({ orgId: scopeOf(p) }),

    async answerDemand(caller: Caller, id: string, input: { answer: string; reject?: boolean }) {
      const done = await repo.answerDemand(id, caller.principal.orgId, {
        state: input.reject ? 'rejected' : 'answered',
        answer: clean(input.answer),
        by: caller.principal.userId,
      });
      if (!done) throw new NotFoundError({ zh: '数据需求', en: 'Data request' });
      await recordOfficer(caller, {
        action: input.reject ? 'open.demand.reject' : 'open.demand.answer',
        result: 'success',
        target: { type: 'open_demand', id },
      });
    },

    // ---- 应用展示 ----------------------------------------------------------------------------------

    async showcase(caller: SocietyCaller, input: { title: string; description: string; url?: string; datasets: string[] }) {
      const p = society.requireVerified(caller.society);
      const releases = await Promise.all(input.datasets.map((code) => published(code)));
      const id = randomUUID();
      const providerOrgId = releases[0]!.provider_org_id;
      await repo.insertShowcase({
        id,
        userId: p.userId,
        providerOrgId,
        title: clean(input.title),
        description: clean(input.description),
        url: input.url ?? null,
        codes: input.datasets,
      });
      await recordSociety(caller, {
        action: 'open.showcase.submit',
        result: 'success',
        target: { type: 'open_showcase', id, label: clean(input.title) },
        details: { datasets: input.datasets },
      });
      await notifyOfficers(
        providerOrgId,
        'open.showcase',
        { zh: `应用展示待审核：${clean(input.title)}`, en: `Showcase to review: ${clean(input.title)}` },
        { showcase: id },
        'feedback',
      );
      return { id, state: 'pending' as const };
    },

    publicShowcases: () => repo.showcases({ state: 'approved' }),
    myShowcases: (caller: SocietyCaller) => repo.showcases({ userId: society.requireVerified(caller.society).userId }),
    showcasesFor: (p: Principal) => repo.showcases({ providerOrgId: scopeOf(p) }),

    async reviewShowcase(caller: Caller, id: string, input: { approve: boolean; reason?: string }) {
      const done = await repo.reviewShowcase(
        id,
        caller.principal.orgId,
        input.approve ? 'approved' : 'rejected',
        caller.principal.userId,
        input.reason ? clean(input.reason) : null,
      );
      if (!done) throw new NotFoundError({ zh: '应用展示', en: 'Showcase' });
      await recordOfficer(caller, {
        action: input.approve ? 'open.showcase.approve' : 'open.showcase.reject',
        result: 'success',
        target: { type: 'open_showcase', id },
      });
    },
  };
  return service;
}

export type ParticipationService = ReturnType<typeof createParticipationService>;
