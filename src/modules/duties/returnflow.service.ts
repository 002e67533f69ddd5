/**
 * Return flow (数据回流, issue 20 §3): a dataset with a region column flows back to the cities and
 * counties below its provider. The provider's officer proposes, once, the region column and the mode
 * of each column; the security administrator approves. Every city and county organisation below the
 * provider then holds a NORMAL share grant (share module: grant + column modes + row filter, read
 * through the same records API, masking and audit) whose row filter is its own region and below:
 * `区划代码=in.(211300,211302,…)` for a city, `区划代码=in.(211302)` for a county.
 *
 * Organisations added later receive theirs by a sweep (the duties module's timer, every minute, and
 * on approval and resumption); the sweep claims each grant with a unique index, so several processes
 * make it once. Pausing suspends the flow's grants (the read path refuses them at once on every
 * process); resuming lifts the suspension. Per organisation the provider sees when the grant was
 * made and what it read (responses and rows of this dataset by that organisation, from the audit log).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { divisionsWithin, regionName } from '../../lib/divisions.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { filterText, type FilterNode } from '../share/filter.ts';
import { grantExpired, type ApprovalInput, type ShareService } from '../share/share.service.ts';
import { dutiesRepo, type ReturnFlowRow } from './duties.repo.ts';
import { namedFlows, type NameSources } from './names.ts';

const FLOW = { zh: '数据回流', en: 'Return flow' };
const LEGAL_BASIS = '政务数据共享条例（国务院令第809号）数据回流';

export interface ReturnFlowDeps {
  db: Db;
  events: EventSink;
  share: Pick<ShareService, 'columnsWithoutRequest' | 'returnFlowGrant' | 'returnFlowGrants' | 'suspendReturnFlow' | 'checkGrantFilter' | 'notify'>;
  /** The provider's dataset; the code and name of the flows' datasets. */
  catalog: Pick<CatalogService, 'getOwned' | 'get'> & NameSources['catalog'];
  /** The organisations a flow goes back to; the providers' names. */
  identity: Pick<IdentityService, 'listOrgs'> & NameSources['identity'];
  audit: Pick<AuditLog, 'accessHistory'>;
}

export interface ReturnFlowInput {
  dataset: string;
  regionColumn: string;
  regionKind: 'code' | 'name';
  columns: ApprovalInput['columns'];
  impactAssessment?: string;
  purpose?: string;
}

type Org = Awaited<ReturnType<IdentityService['listOrgs']>>[number];

/** One organisation's share of a flow: its grant and what it read. */
export interface Delivery {
  orgId: string;
  orgName: string;
  level: Org['level'];
  regionCode: string;
  regionName: string | null;
  /** The city (prefecture) the organisation belongs to, for grouping per city. */
  cityCode: string;
  cityName: string | null;
  grantId: string | null;
  grantedAt: Date | null;
  /** `expired` by the shared rule (`grantExpired`): an ended grant shows as ended, paused or not. */
  grantState: 'active' | 'suspended' | 'revoked' | 'expired' | 'missing';
  /** The rows the grant covers, in the filter language. */
  rowFilter: string | null;
  responses: number;
  rows: number;
  lastReadAt: string | null;
}

/** The organisations a flow of `provider` goes back to: government organisations strictly below its region. */
function below(provider: Org, orgs: Org[]): Org[] {
  const inside = (code: string) =>
    provider.region_code.endsWith('0000')
      ? code.startsWith(provider.region_code.slice(0, 2))
      : (divisionsWithin(provider.region_code)?.codes.includes(code) ?? false);
  return orgs.filter(
    (o) =>
      o.id !== provider.id &&
      o.type !== 'enterprise' &&
      o.region_code !== provider.region_code &&
      inside(o.region_code) &&
      divisionsWithin(o.region_code) !== null,
  );
}

/** The row filter of an organisation's return-flow grant: its region and every division below it. */
export function regionFilter(flow: Pick<ReturnFlowRow, 'region_column' | 'region_kind'>, regionCode: string): FilterNode | null {
  const within = divisionsWithin(regionCode);
  if (!within) return null;
  return { column: flow.region_column, op: 'in', value: flow.region_kind === 'code' ? within.codes : within.names };
}

export function createReturnFlowService(deps: ReturnFlowDeps) {
  const { db, events, share, catalog, identity, audit } = deps;
  const repo = dutiesRepo(db);
  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));
  /** A flow with its dataset's and provider's names, or undefined. */
  const flow = async (id: string): Promise<ReturnFlowRow | undefined> =>
    (
      await namedFlows(
        deps,
        [await repo.flow(id)].filter((f) => f !== undefined),
      )
    )[0];

  const isProvider = (p: Principal, f: ReturnFlowRow) => p.orgId === f.provider_org_id && p.roles.includes('data_officer');

  /** The flow if the caller may see it: its provider's officers and the security administrator. */
  async function visible(p: Principal, id: string): Promise<ReturnFlowRow> {
    const f = await flow(id);
    if (!f || !(isProvider(p, f) || p.roles.includes('secadmin'))) throw new NotFoundError(FLOW);
    return f;
  }

  function invalidState(f: ReturnFlowRow) {
    return new ConflictError(
      'invalid_state',
      { zh: `数据回流当前状态为 ${f.state}，不能执行此操作`, en: `The return flow is ${f.state}; this action does not apply` },
      { state: f.state },
    );
  }

  /** Makes the missing grants of one active flow; returns the organisations that received one. */
  async function syncFlow(f: ReturnFlowRow, orgs: Org[]): Promise<string[]> {
    const provider = orgs.find((o) => o.id === f.provider_org_id);
    if (!provider || f.state !== 'active') return [];
    const have = new Set((await share.returnFlowGrants(f.id)).map((g) => g.consumer_org_id));
    const made: string[] = [];
    for (const org of below(provider, orgs)) {
      if (have.has(org.id)) continue;
      const rowFilter = regionFilter(f, org.region_code)!;
      const grantId = await share.returnFlowGrant({
        datasetId: f.dataset_id,
        consumerOrgId: org.id,
        returnFlowId: f.id,
        columns: f.columns,
        rowFilter,
        purpose: f.purpose,
        legalBasis: LEGAL_BASIS,
        impactAssessment: f.impact_assessment,
      });
      if (!grantId) continue;
      made.push(org.id);
      await events.record({
        action: 'duties.return_flow_grant',
        result: 'success',
        actor: { orgId: f.provider_org_id },
        dataset: f.dataset_code,
        target: { type: 'share_grant', id: grantId, label: org.name },
        details: { returnFlowId: f.id, consumerOrgId: org.id, regionCode: org.region_code, filter: rowFilter, columns: f.columns },
      });
      await share.notify({
        kind: 'duties.return_flow',
        title: { zh: `数据回流：${f.dataset_name}（本地区数据）已可使用`, en: `Return flow: ${f.dataset_name} (your region's rows) is available` },
        body: { returnFlowId: f.id, grantId, dataset: f.dataset_code, regionCode: org.region_code },
        link: `/datasets/${f.dataset_code}`,
        orgRole: { orgId: org.id, role: 'consumer' },
      });
    }
    return made;
  }

  const service = {
    /** The provider's officer proposes (or re-proposes, before approval) the region column and column modes. */
    async propose(caller: Caller, input: ReturnFlowInput): Promise<ReturnFlowRow> {
      const p = caller.principal;
      const d = await catalog.getOwned(p, input.dataset);
      if (d.resource_kind !== 'table')
        throw new BadRequestError('not_a_table', { zh: '只有数据表可以回流', en: 'Only tables flow back' }, { field: 'dataset' });
      if (d.share_type === 'none')
        throw new ForbiddenError('not_shareable', { zh: '该数据资源为不予共享，不能回流', en: 'This dataset is not shared (不予共享) and cannot flow back' });
      if (d.status !== 'published') throw new ConflictError('not_published', { zh: '数据资源尚未发布', en: 'The dataset is not published' });
      const { columns, impactAssessment } = await share.columnsWithoutRequest(d.id, {
        columns: input.columns,
        ...(input.impactAssessment !== undefined ? { impactAssessment: input.impactAssessment } : {}),
      });
      // The region column must be filterable as a grant's row filter is (checked with a sample region, 朝阳市).
      await share
        .checkGrantFilter(d.id, regionFilter({ region_column: input.regionColumn, region_kind: input.regionKind }, '211300')!)
        .catch((error: unknown) => {
          if (!(error instanceof BadRequestError)) throw error;
          throw new BadRequestError(
            error.code,
            { zh: `区划列 regionColumn 无效：${error.text.zh}`, en: `Invalid region column (regionColumn): ${error.text.en}` },
            { field: 'regionColumn' },
          );
        });
      const id = await repo.proposeFlow({
        id: randomUUID(),
        dataset_id: d.id,
        provider_org_id: d.provider_org_id,
        region_column: input.regionColumn,
        region_kind: input.regionKind,
        columns,
        impact_assessment: impactAssessment,
        purpose: input.purpose?.trim() || '数据回流：支撑市县履职',
        proposed_by: p.userId,
      });
      if (!id)
        throw new ConflictError('already_approved', {
          zh: '该数据资源的回流已批准，信息项方式不再更改',
          en: 'The return flow of this dataset is approved; its column modes are fixed',
        });
      await record(caller, {
        action: 'duties.return_flow_propose',
        result: 'success',
        dataset: d.code,
        target: { type: 'return_flow', id },
        details: { regionColumn: input.regionColumn, regionKind: input.regionKind, columns },
      });
      await share.notify({
        kind: 'duties.return_flow_review',
        title: { zh: `待审批的数据回流：${d.name}`, en: `Return flow awaiting approval: ${d.name}` },
        body: { returnFlowId: id, dataset: d.code },
        link: `/duties/return-flows/${id}`,
        role: 'secadmin',
      });
      return (await flow(id))!;
    },

    list: async (p: Principal) => namedFlows(deps, await repo.flows(p.roles.includes('secadmin') ? undefined : p.orgId)),

    get: visible,

    /** The security administrator approves: every organisation below receives its grant now. */
    async approve(caller: Caller, id: string, note?: string): Promise<ReturnFlowRow> {
      const f = await visible(caller.principal, id);
      if (!(await repo.moveFlow(id, ['proposed'], 'active', caller.principal.userId, note ?? null))) throw invalidState(f);
      await record(caller, {
        action: 'duties.return_flow_approve',
        result: 'success',
        dataset: f.dataset_code,
        target: { type: 'return_flow', id },
        details: { columns: f.columns, note: note ?? null },
      });
      const made = await service.sync(id);
      await share.notify({
        kind: 'duties.return_flow_active',
        title: { zh: `数据回流已批准：${f.dataset_name}`, en: `Return flow approved: ${f.dataset_name}` },
        body: { returnFlowId: id, dataset: f.dataset_code, organisations: made.length },
        link: `/duties/return-flows/${id}`,
        userIds: [f.proposed_by],
      });
      return (await flow(id))!;
    },

    async reject(caller: Caller, id: string, reason: string): Promise<ReturnFlowRow> {
      const f = await visible(caller.principal, id);
      if (!(await repo.moveFlow(id, ['proposed'], 'rejected', caller.principal.userId, reason))) throw invalidState(f);
      await record(caller, {
        action: 'duties.return_flow_reject',
        result: 'success',
        dataset: f.dataset_code,
        target: { type: 'return_flow', id },
        details: { reason },
      });
      await share.notify({
        kind: 'duties.return_flow_rejected',
        title: { zh: `数据回流未获批准：${f.dataset_name}`, en: `Return flow rejected: ${f.dataset_name}` },
        body: { returnFlowId: id, dataset: f.dataset_code, reason },
        link: `/duties/return-flows/${id}`,
        userIds: [f.proposed_by],
      });
      return (await flow(id))!;
    },

    /** Pause (suspend every grant of the flow) or resume (lift it, and give newcomers theirs). */
    async pause(caller: Caller, id: string, pause: boolean, reason?: string): Promise<ReturnFlowRow> {
      const p = caller.principal;
      const f = await visible(p, id);
      const moved = pause
        ? await repo.moveFlow(id, ['active'], 'paused', p.userId, reason ?? null)
        : await repo.moveFlow(id, ['paused'], 'active', p.userId, null);
      if (!moved) throw invalidState(f);
      const grants = await share.suspendReturnFlow(id, pause);
      await record(caller, {
        action: pause ? 'duties.return_flow_pause' : 'duties.return_flow_resume',
        result: 'success',
        dataset: f.dataset_code,
        target: { type: 'return_flow', id },
        details: { grants, reason: reason ?? null },
      });
      if (!pause) await service.sync(id);
      for (const g of await share.returnFlowGrants(id)) {
        await share.notify({
          kind: pause ? 'duties.return_flow_paused' : 'duties.return_flow_resumed',
          title: pause
            ? { zh: `数据回流已暂停：${f.dataset_name}`, en: `Return flow paused: ${f.dataset_name}` }
            : { zh: `数据回流已恢复：${f.dataset_name}`, en: `Return flow resumed: ${f.dataset_name}` },
          body: { returnFlowId: id, grantId: g.id, dataset: f.dataset_code, reason: reason ?? null },
          link: `/datasets/${f.dataset_code}`,
          orgRole: { orgId: g.consumer_org_id, role: 'consumer' },
        });
      }
      return (await flow(id))!;
    },

    /** The sweep: every active flow (or one) gives each organisation below its provider its grant. */
    async sync(flowId?: string): Promise<string[]> {
      const flows = flowId ? [await flow(flowId)].filter((f) => f !== undefined) : await namedFlows(deps, await repo.flows(undefined, ['active']));
      if (flows.length === 0) return [];
      const orgs = await identity.listOrgs();
      const made: string[] = [];
      for (const f of flows) made.push(...(await syncFlow(f, orgs)));
      return made;
    },

    /** Per organisation below the provider: its grant (when, state, rows covered) and what it read. */
    async deliveries(p: Principal, id: string): Promise<{ flow: ReturnFlowRow; items: Delivery[] }> {
      const f = await visible(p, id);
      const orgs = await identity.listOrgs();
      const provider = orgs.find((o) => o.id === f.provider_org_id);
      const grants = new Map((await share.returnFlowGrants(id)).map((g) => [g.consumer_org_id, g]));
      const reads = new Map<string, { responses: number; rows: number; last: string | null }>();
      const history = await audit.accessHistory({ dataset: f.dataset_code, result: 'success' }, { limit: 1 });
      for (const s of history.summary) {
        if (!s.actorOrgId) continue;
        const r = reads.get(s.actorOrgId) ?? { responses: 0, rows: 0, last: null };
        reads.set(s.actorOrgId, {
          responses: r.responses + Number(s.responses),
          rows: r.rows + Number(s.rows),
          last: !r.last || s.lastTime > r.last ? s.lastTime : r.last,
        });
      }
      const targets = provider ? below(provider, orgs) : [];
      for (const g of grants.values()) if (!targets.some((o) => o.id === g.consumer_org_id)) targets.push(...orgs.filter((o) => o.id === g.consumer_org_id));
      const now = new Date();
      const items = targets.map((o): Delivery => {
        const g = grants.get(o.id);
        const r = reads.get(o.id);
        const cityCode = `${o.region_code.slice(0, 4)}00`;
        return {
          orgId: o.id,
          orgName: o.name,
          level: o.level,
          regionCode: o.region_code,
          regionName: regionName(o.region_code),
          cityCode,
          cityName: regionName(cityCode),
          grantId: g?.id ?? null,
          grantedAt: g?.created_at ?? null,
          grantState: !g
            ? 'missing'
            : g.state === 'revoked'
              ? 'revoked'
              : grantExpired(g.expires_at, now)
                ? 'expired'
                : g.suspended_at
                  ? 'suspended'
                  : 'active',
          rowFilter: g?.row_filter ? filterText(g.row_filter) : null,
          responses: g ? (r?.responses ?? 0) : 0,
          rows: g ? (r?.rows ?? 0) : 0,
          lastReadAt: g ? (r?.last ?? null) : null,
        };
      });
      items.sort((a, b) => a.cityCode.localeCompare(b.cityCode) || a.regionCode.localeCompare(b.regionCode) || a.orgName.localeCompare(b.orgName));
      return { flow: f, items };
    },
  };
  return service;
}

export type ReturnFlowService = ReturnType<typeof createReturnFlowService>;
