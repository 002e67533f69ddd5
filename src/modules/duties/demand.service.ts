/**
 * Demand lists (供需对接, issue 20 §4). A department publishes a data need (description, fields wanted,
 * purpose, the department it believes holds it); the platform authority assigns it to a department;
 * that department's data officers answer within a time limit in working days (duties calendar,
 * `limits.demand`) by linking an existing dataset, registering a new one (its own catalogue entry) or
 * declining with a reason; the need's organisation accepts the answer or reopens it (a new time
 * limit). Every government organisation signed in sees the list; every step is audited, kept in the
 * demand's history and notified.
 *
 * The authority: product.md has no 数据主管部门 role, so the authority acts through the security
 * administrator (as for objection decisions and overdue escalations) and, when the duties settings
 * name the authority's organisation (`authority.orgId`), through that organisation's data officers.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { ShareService } from '../share/share.service.ts';
import type { WorkCalendar } from './calendar.ts';
import { dutiesRepo, type AnswerKind, type DemandRow, type DemandState, type DemandStep } from './duties.repo.ts';
import { namedDemands, type NameSources } from './names.ts';
import { actsForAuthority, type DutiesSettings } from './duties.settings.ts';

const DEMAND = { zh: '数据需求', en: 'Data need' };

export interface DemandDeps {
  db: Db;
  events: EventSink;
  share: Pick<ShareService, 'notify'>;
  /** The answering dataset; the code and name of the needs' answering datasets. */
  catalog: Pick<CatalogService, 'get'> & NameSources['catalog'];
  /** The government organisations; the names of the needs' organisations. */
  identity: Pick<IdentityService, 'listOrgs'> & NameSources['identity'];
  settings: () => Promise<DutiesSettings>;
  calendar: (s?: DutiesSettings) => Promise<WorkCalendar>;
  now: () => Date;
}

export interface DemandInput {
  title: string;
  description: string;
  fields: string[];
  purpose: string;
  suggestedOrgId?: string | null;
}

export interface AnswerInput {
  kind: AnswerKind;
  /** linked / registered: the dataset's code. */
  dataset?: string;
  /** declined: the reason; otherwise an optional note. */
  text?: string;
}

function badOrg(field: string) {
  return new BadRequestError('unknown_org', { zh: `${field} 不是 pdx 中的政务机构`, en: `${field} is not a government organisation in pdx` }, { field });
}

export function createDemandService(deps: DemandDeps) {
  const { db, events, share, catalog, identity, now } = deps;
  const repo = dutiesRepo(db);
  /** A need with the names of its organisations and answering dataset, or undefined. */
  const demand = async (id: string): Promise<DemandRow | undefined> =>
    (
      await namedDemands(
        deps,
        [await repo.demand(id)].filter((m) => m !== undefined),
      )
    )[0];
  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  async function governmentOrg(orgId: string) {
    const org = (await identity.listOrgs()).find((o) => o.id === orgId);
    return org && org.type !== 'enterprise' ? org : undefined;
  }

  /** The list is the government side's: an enterprise organisation's users see nothing of it. */
  async function checkGovernment(p: Principal): Promise<void> {
    if (p.roles.includes('secadmin')) return;
    if (!(await governmentOrg(p.orgId)))
      throw new ForbiddenError('not_government', { zh: '数据需求清单仅对政务部门开放', en: 'The demand list is open to government organisations only' });
  }

  const isAuthority = async (p: Principal): Promise<boolean> => actsForAuthority(await deps.settings(), p);

  async function load(p: Principal, id: string): Promise<DemandRow> {
    await checkGovernment(p);
    const m = await demand(id);
    if (!m) throw new NotFoundError(DEMAND);
    return m;
  }

  function invalidState(m: DemandRow) {
    return new ConflictError(
      'invalid_state',
      { zh: `数据需求当前状态为 ${m.state}，不能执行此操作`, en: `The data need is ${m.state}; this action does not apply` },
      { state: m.state },
    );
  }

  const step = (p: Principal, kind: DemandStep['step'], note: string | null, at = now(), answer?: DemandStep['answer']): DemandStep => ({
    step: kind,
    at: at.toISOString(),
    by: p.userId,
    orgId: p.orgId,
    note,
    ...(answer ? { answer } : {}),
  });

  async function move(caller: Caller, m: DemandRow, from: DemandState[], to: DemandState, s: DemandStep, fields: Parameters<typeof repo.moveDemand>[4]) {
    if (!(await repo.moveDemand(m.id, from, to, s, fields))) throw invalidState(m);
    await record(caller, {
      action: `duties.demand_${s.step}`,
      result: 'success',
      target: { type: 'demand', id: m.id, label: m.title },
      details: { state: to, note: s.note, ...fields },
    });
    return (await demand(m.id))!;
  }

  async function notifyAuthority(kind: string, title: { zh: string; en: string }, body: Record<string, unknown>, link: string) {
    const { authority } = await deps.settings();
    await share.notify({
      kind,
      title,
      body,
      link,
      role: 'secadmin',
      ...(authority.orgId ? { orgRole: { orgId: authority.orgId, role: 'data_officer' } } : {}),
    });
  }

  const service = {
    isAuthority,

    /**
     * The sweep: each need whose department let its answer deadline pass is escalated once to the
     * authority (audited `duties.demand_overdue`, notified to the authority and the department).
     */
    async sweep(at = now()): Promise<string[]> {
      const escalated: string[] = [];
      for (const m of await namedDemands(deps, await repo.overdueDemands(at))) {
        if (!(await repo.claimDemandEscalation(m.id, at))) continue;
        escalated.push(m.id);
        await events.record({
          action: 'duties.demand_overdue',
          result: 'failure',
          actor: { orgId: m.assigned_org_id ?? undefined },
          target: { type: 'demand', id: m.id, label: m.title },
          details: { dueAt: m.due_at, assignedOrgId: m.assigned_org_id, assignedOrgName: m.assigned_org_name },
        });
        const title = { zh: `数据需求逾期未答复：${m.assigned_org_name ?? ''}·${m.title}`, en: `Data need overdue: ${m.assigned_org_name ?? ''} · ${m.title}` };
        await notifyAuthority('duties.demand_overdue', title, { demandId: m.id }, `/duties/demands/${m.id}`);
        if (m.assigned_org_id)
          await share.notify({
            kind: 'duties.demand_overdue',
            title,
            body: { demandId: m.id },
            link: `/duties/demands/${m.id}`,
            orgRole: { orgId: m.assigned_org_id, role: 'data_officer' },
          });
      }
      return escalated;
    },

    /** A department publishes a need. */
    async publish(caller: Caller, input: DemandInput): Promise<DemandRow> {
      const p = caller.principal;
      await checkGovernment(p);
      if (input.suggestedOrgId && !(await governmentOrg(input.suggestedOrgId))) throw badOrg('suggestedOrgId');
      const id = randomUUID();
      await repo.insertDemand({
        id,
        title: input.title,
        description: input.description,
        fields: [...new Set(input.fields.map((f) => f.trim()).filter(Boolean))],
        purpose: input.purpose,
        suggested_org_id: input.suggestedOrgId ?? null,
        raised_by: p.userId,
        raised_org_id: p.orgId,
        history: [step(p, 'publish', null)],
      });
      await record(caller, {
        action: 'duties.demand_publish',
        result: 'success',
        target: { type: 'demand', id, label: input.title },
        details: { fields: input.fields, purpose: input.purpose, suggestedOrgId: input.suggestedOrgId ?? null },
      });
      const made = (await demand(id))!;
      await notifyAuthority(
        'duties.demand',
        { zh: `${made.raised_org_name}的数据需求待分派：${input.title}`, en: `Data need of ${made.raised_org_name} to assign: ${input.title}` },
        { demandId: id },
        `/duties/demands/${id}`,
      );
      return made;
    },

    async list(p: Principal, filter: { state?: DemandState }): Promise<DemandRow[]> {
      await checkGovernment(p);
      return namedDemands(deps, await repo.demands(filter, 500));
    },

    get: load,

    /** The authority assigns (or re-assigns, before an answer) the need to a department, starting its clock. */
    async assign(caller: Caller, id: string, input: { orgId: string; note?: string }): Promise<DemandRow> {
      const p = caller.principal;
      const m = await load(p, id);
      if (!(await isAuthority(p)))
        throw new ForbiddenError('not_authority', { zh: '只有平台主管部门可以分派数据需求', en: 'Only the platform authority assigns data needs' });
      if (!(await governmentOrg(input.orgId))) throw badOrg('orgId');
      const s = await deps.settings();
      const at = now();
      const dueAt = (await deps.calendar(s)).dueAt(at, s.limits.demand);
      const updated = await move(caller, m, ['open', 'assigned'], 'assigned', step(p, 'assign', input.note ?? null, at), {
        assigned_org_id: input.orgId,
        due_at: dueAt,
        escalated_at: null,
      });
      await share.notify({
        kind: 'duties.demand_assigned',
        title: { zh: `${m.raised_org_name}的数据需求待您答复：${m.title}`, en: `Data need of ${m.raised_org_name} to answer: ${m.title}` },
        body: { demandId: id, dueAt },
        link: `/duties/demands/${id}`,
        orgRole: { orgId: input.orgId, role: 'data_officer' },
      });
      await share.notify({
        kind: 'duties.demand_assigned',
        title: {
          zh: `数据需求已分派给${updated.assigned_org_name ?? ''}：${m.title}`,
          en: `Data need assigned to ${updated.assigned_org_name ?? ''}: ${m.title}`,
        },
        body: { demandId: id, dueAt },
        link: `/duties/demands/${id}`,
        userIds: [m.raised_by],
      });
      return updated;
    },

    /** The assigned department's data officers answer: a linked dataset, a newly registered one, or a reasoned refusal. */
    async answer(caller: Caller, id: string, input: AnswerInput): Promise<DemandRow> {
      const p = caller.principal;
      const m = await load(p, id);
      if (!(m.assigned_org_id === p.orgId && p.roles.includes('data_officer'))) {
        throw new ForbiddenError('not_assigned', { zh: '只有承办部门的数据管理员可以答复', en: "Only the assigned department's data officers answer" });
      }
      let datasetId: string | null = null;
      if (input.kind === 'declined') {
        if ((input.text ?? '').trim().length < 2)
          throw new BadRequestError('reason_required', { zh: '不予提供须说明理由（text）', en: 'A refusal needs a reason (text)' }, { field: 'text' });
      } else {
        if (!input.dataset)
          throw new BadRequestError('dataset_required', { zh: '须指明数据资源代码（dataset）', en: 'Name the dataset (dataset)' }, { field: 'dataset' });
        const d = await catalog.get(p, input.dataset).catch(() => {
          throw new BadRequestError('unknown_dataset', { zh: `数据资源 ${input.dataset} 不存在`, en: `No dataset ${input.dataset}` }, { field: 'dataset' });
        });
        if (input.kind === 'registered' && d.provider_org_id !== p.orgId) {
          throw new BadRequestError(
            'not_own_dataset',
            { zh: '新编目的数据资源须为本部门的', en: "A newly registered dataset must be your department's own" },
            { field: 'dataset' },
          );
        }
        datasetId = d.id;
      }
      const at = now();
      const updated = await move(
        caller,
        m,
        ['assigned'],
        'answered',
        step(p, 'answer', input.text?.trim() || null, at, { kind: input.kind, dataset: datasetId ? input.dataset! : null }),
        {
          answer_kind: input.kind,
          answer_dataset_id: datasetId,
          answer_text: input.text?.trim() || null,
          answered_by: p.userId,
          answered_at: at,
        },
      );
      // The answer names the dataset it points to (linked or newly registered), or says it was declined.
      const answer = updated.answer_dataset_name
        ? { zh: `，数据资源「${updated.answer_dataset_name}」`, en: `: dataset “${updated.answer_dataset_name}”` }
        : { zh: '，不予提供', en: ': declined' };
      const answered = {
        zh: `${updated.assigned_org_name ?? ''}已答复数据需求「${m.title}」${answer.zh}`,
        en: `${updated.assigned_org_name ?? ''} answered the data need “${m.title}”${answer.en}`,
      };
      // One notice each: the need's author and its organisation's consumers (the author is often both).
      await share.notify({
        kind: 'duties.demand_answered',
        title: answered,
        body: { demandId: id, kind: input.kind, dataset: input.dataset ?? null },
        link: `/duties/demands/${id}`,
        orgRole: { orgId: m.raised_org_id, role: 'consumer' },
        userIds: [m.raised_by],
      });
      return updated;
    },

    /** The need's organisation accepts the answer (closed) or reopens it (back to the department, a new time limit). */
    async close(caller: Caller, id: string, input: { accept: boolean; reason?: string }): Promise<DemandRow> {
      const p = caller.principal;
      const m = await load(p, id);
      if (m.raised_org_id !== p.orgId)
        throw new ForbiddenError('not_owner', {
          zh: '只有提出需求的部门可以确认或重新提出',
          en: 'Only the organisation that published the need accepts or reopens it',
        });
      if (input.accept) {
        const updated = await move(caller, m, ['answered'], 'accepted', step(p, 'accept', input.reason ?? null), {});
        await share.notify({
          kind: 'duties.demand_accepted',
          title: { zh: `${m.raised_org_name}已确认数据需求的答复：${m.title}`, en: `${m.raised_org_name} accepted the answer: ${m.title}` },
          body: { demandId: id },
          link: `/duties/demands/${id}`,
          ...(m.assigned_org_id ? { orgRole: { orgId: m.assigned_org_id, role: 'data_officer' } } : {}),
        });
        return updated;
      }
      if ((input.reason ?? '').trim().length < 2)
        throw new BadRequestError('reason_required', { zh: '重新提出须说明理由（reason）', en: 'Reopening needs a reason (reason)' }, { field: 'reason' });
      const s = await deps.settings();
      const at = now();
      const dueAt = (await deps.calendar(s)).dueAt(at, s.limits.demand);
      const updated = await move(caller, m, ['answered'], 'assigned', step(p, 'reopen', input.reason!.trim(), at), {
        due_at: dueAt,
        escalated_at: null,
        reopened: m.reopened + 1,
        answer_kind: null,
        answer_dataset_id: null,
        answer_text: null,
        answered_by: null,
        answered_at: null,
      });
      await share.notify({
        kind: 'duties.demand_reopened',
        title: { zh: `${m.raised_org_name}重新提出数据需求：${m.title}`, en: `${m.raised_org_name} reopened the data need: ${m.title}` },
        body: { demandId: id, reason: input.reason, dueAt },
        link: `/duties/demands/${id}`,
        ...(m.assigned_org_id ? { orgRole: { orgId: m.assigned_org_id, role: 'data_officer' } } : {}),
      });
      return updated;
    },
  };
  return service;
}

export type DemandService = ReturnType<typeof createDemandService>;
