/**
 * Requests, approvals and grants (issue 7 §1-2): a consumer asks for columns of a dataset for a
 * purpose; the provider's data officer decides the form of each column, the rows, the end date and
 * the quotas; a 4级 column or a 重要数据 candidate also needs the security administrator. Every step
 * is audited and notified in the console.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, type Message } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService, ColumnRow, DatasetRow } from '../catalog/catalog.service.ts';
import type { IdentityService, NoticeRecipients } from '../identity/identity.service.ts';
import type { GrantUsage, RequestClock } from './clock.ts';
import { canGeneralize, type GeneralizeOptions } from '../protect/masking.ts';
import type { RedactStyle } from '../classify/redact.ts';
import { filterColumns, filterText, parseFilterText, type FilterNode } from './filter.ts';
import { redactFilter } from './redact.ts';
import { compileFilter, defaultMode, Params, unknownColumn, viewColumns, type GrantColumn, type GrantMode } from './access/compile.ts';
import { checkCidr, chinaToday, expiryOf, grantExpired } from './access/grant.ts';
import { checkOperations, FIELD_MODES, narrowOperations, operationsNotApplicable, type ServiceTerms } from './operations.ts';
import { checkSeriesTerms, narrowSeriesTerms, type SeriesTerms } from './series.ts';
import {
  shareRepo,
  type AccessContext,
  type GrantRow,
  type GrantTerms,
  type RequestRow,
  type Scope,
  type StoredGrantRow,
  type StoredRequestRow,
} from './share.repo.ts';

// The end of a grant and its IP ranges have one definition, in access/grant.ts; other modules take them from here.
export { chinaToday, expiryOf, grantExpired, ipAllowed } from './access/grant.ts';

export const PURPOSE_CATEGORIES = ['administrative_duty', 'public_service', 'social_assistance', 'regulation', 'emergency', 'statistics', 'other'] as const;

export interface RequestInput {
  dataset: string;
  columns: string[];
  purpose: string;
  purposeCategory: (typeof PURPOSE_CATEGORIES)[number];
  legalBasis: string;
  endDate: string;
  expectedRowsPerDay?: number;
  /** The rows asked for, in the API filter language (`户籍地=eq.朝阳市`). */
  rowFilter?: string;
  /** Telemetry sets: the finest resolution, the data window and whole devices asked for. */
  series?: SeriesTerms;
  /** Interfaces: the operations asked for (the columns are their response fields). */
  operations?: string[];
}

export interface ApprovalInput {
  columns: { name: string; mode: GrantMode; generalize?: GeneralizeOptions; redact?: RedactStyle }[];
  rowFilter?: string;
  endDate?: string;
  rowsPerDay?: number;
  requestsPerMinute?: number;
  ipRanges?: string[];
  impactAssessment?: string;
  note?: string;
  /** Telemetry sets: the resolution, window and devices granted (inside the request's). */
  series?: SeriesTerms;
  /** Interfaces: the operations granted (among those requested; all of them when omitted). */
  operations?: string[];
}

const REQUEST = { zh: '共享申请', en: 'Share request' };
const GRANT = { zh: '共享授权', en: 'Grant' };
const DATASET = { zh: '数据资源', en: 'Dataset' };
/** How long after its end a grant may still be renewed (later: a new request). */
export const RENEWABLE_DAYS = 90;
/** PIPL art. 55: the note must say something. */
const MIN_ASSESSMENT_CHARS = 10;

function conflict(code: string, zh: string, en: string, details?: unknown) {
  return new ConflictError(code, { zh, en }, details);
}

function checkEndDate(endDate: string, field: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(endDate) || Number.isNaN(Date.parse(`${endDate}T00:00:00Z`))) {
    throw new BadRequestError('invalid_end_date', { zh: `${field} 不是有效日期`, en: `${field} is not a valid date` }, { field });
  }
  if (endDate < chinaToday()) throw new BadRequestError('end_date_past', { zh: `${field} 不能早于今天`, en: `${field} cannot be in the past` }, { field });
}

/** Checks a filter's columns and values against the catalogue (provider's view of every column). */
function checkRowFilter(node: FilterNode, columns: readonly ColumnRow[]): void {
  const all = viewColumns(
    columns,
    columns.map((c) => ({ name: c.name, mode: 'clear' as const })),
  );
  // Blind-index terms are not needed to validate; the real ones are computed on every read.
  compileFilter(node, new Map(all.map((c) => [c.name, c])), new Params(), 'provider', { terms: () => ['-'] });
}

/** A row filter as the audit log records it: values on personal columns masked. */
function auditedFilter(node: FilterNode | null, columns: readonly ColumnRow[]): FilterNode | null {
  return redactFilter(node, new Map(viewColumns(columns, []).map((c) => [c.name, c])));
}

/** A row filter's error names the filter (field rowFilter) as well as what is wrong inside it. */
function inRowFilter<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof BadRequestError)) throw error;
    throw new BadRequestError(
      error.code,
      { zh: `行过滤条件 rowFilter 无效：${error.text.zh}`, en: `Invalid row filter (rowFilter): ${error.text.en}` },
      { ...(error.details as Record<string, unknown> | undefined), field: 'rowFilter' },
    );
  }
}

function parseRowFilter(text: string | undefined, columns: readonly ColumnRow[]): FilterNode | null {
  if (text === undefined || text.trim() === '') return null;
  return inRowFilter(() => {
    const node = parseFilterText(text);
    checkRowFilter(node, columns);
    return filterColumns(node).size === 0 ? null : node;
  });
}

/** The row filter the consumer asked for, checked again when it becomes a grant's (it was stored before any later rule). */
function recheckRowFilter(node: FilterNode | null, columns: readonly ColumnRow[]): FilterNode | null {
  if (node) inRowFilter(() => checkRowFilter(node, columns));
  return node;
}

/** The request's state as people should read it (an active one whose grant ended is not active). */
export function effectiveState(r: Pick<RequestRow, 'state' | 'grant_state' | 'grant_expires_at'>, now = new Date()): RequestRow['state'] {
  if (r.state !== 'active') return r.state;
  if (r.grant_state === 'revoked') return 'revoked';
  if (grantExpired(r.grant_expires_at, now)) return 'expired';
  return 'active';
}

function seriesNotApplicable(): BadRequestError {
  return new BadRequestError('series_not_applicable', { zh: 'series 只适用于时序数据资源', en: 'series applies to telemetry sets only' }, { field: 'series' });
}

/** A telemetry set's request must say its resolution; a table's must not carry series terms. */
function seriesOf(d: DatasetRow, series: SeriesTerms | undefined): SeriesTerms | null {
  if (d.resource_kind !== 'telemetry') {
    if (series) throw seriesNotApplicable();
    return null;
  }
  if (!series)
    throw new BadRequestError(
      'series_required',
      { zh: '申请时序数据须说明分辨率（series.resolution）', en: 'A request for a telemetry set must give series.resolution' },
      { field: 'series' },
    );
  return checkSeriesTerms(series);
}

export function grantState(g: Pick<GrantRow, 'state' | 'expires_at'>, now = new Date()): 'active' | 'revoked' | 'expired' {
  if (g.state === 'revoked') return 'revoked';
  return grantExpired(g.expires_at, now) ? 'expired' : 'active';
}

/**
 * What modules built after sharing tell it, passed in when it is created (main.ts binds them to those
 * modules): none of them is set on the service afterwards.
 */
export interface ShareHooks {
  /** The operation ids of an interface service (gateway): a request for one names some of them. */
  operationsOf?(datasetId: string): Promise<string[]>;
  /** Time-limit clocks of requests (duties), shown on every request in the API. */
  requestClocks?(rows: RequestRow[]): Promise<Map<string, RequestClock>>;
  /** Use of grants (calls, rows returned, last use) from the usage statistics (duties), shown on a grant and a dataset's grants. */
  grantUsage?(grants: GrantRow[]): Promise<Map<string, GrantUsage>>;
  /** Rows of a dataset flagged (标注) to every reader, e.g. under an open objection (duties): the records API names them. */
  flaggedRows?(datasetId: string): Promise<number[]>;
}

/** A console notice (identity's inbox) to users by id, by organisation and role, or by role. */
export type ShareNotice = { kind: string; title: Message; body: Record<string, unknown>; link: string | null } & Pick<
  NoticeRecipients,
  'userIds' | 'orgRole' | 'role'
>;

export function createShareService(deps: {
  db: Db;
  catalog: Pick<CatalogService, 'get' | 'byCode' | 'byId' | 'columnsOf' | 'names'>;
  /** Names of organisations and people on requests and grants, and the console's notices. */
  identity: Pick<IdentityService, 'names' | 'notices'>;
  events: EventSink;
  hooks?: ShareHooks;
}) {
  const { db, catalog, identity, events } = deps;
  const hooks = deps.hooks ?? {};
  const repo = shareRepo(db);

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  const notify = ({ kind, title, body, link, userIds, orgRole, role }: ShareNotice) =>
    identity.notices().notify({ kind, title, body, link }, { ...(userIds ? { userIds } : {}), ...(orgRole ? { orgRole } : {}), ...(role ? { role } : {}) });

  /**
   * Requests with their datasets' codes and names (the catalogue's) and the names of their
   * organisations and people (identity's), each read in one statement for them all.
   */
  async function named(rows: StoredRequestRow[]): Promise<RequestRow[]> {
    if (!rows.length) return [];
    const datasets = await catalog.names(rows.map((r) => r.dataset_id));
    const names = await identity.names({
      orgs: rows.flatMap((r) => [r.provider_org_id, r.consumer_org_id]),
      users: rows.flatMap((r) => [
        r.requested_by,
        ...(r.provider_decided_by ? [r.provider_decided_by] : []),
        ...(r.security_decided_by ? [r.security_decided_by] : []),
      ]),
    });
    const user = (id: string | null) => (id ? names.users.get(id) : undefined);
    return rows.map((r) => ({
      ...r,
      dataset_code: datasets.get(r.dataset_id)?.code ?? '',
      dataset_name: datasets.get(r.dataset_id)?.name ?? '',
      provider_name: names.orgs.get(r.provider_org_id)?.name ?? '',
      consumer_name: names.orgs.get(r.consumer_org_id)?.name ?? '',
      requester_username: user(r.requested_by)?.username ?? '',
      requester_name: user(r.requested_by)?.displayName ?? '',
      provider_decider_name: user(r.provider_decided_by)?.displayName ?? null,
      provider_decider_username: user(r.provider_decided_by)?.username ?? null,
      security_decider_name: user(r.security_decided_by)?.displayName ?? null,
      security_decider_username: user(r.security_decided_by)?.username ?? null,
    }));
  }
  const namedRequest = async (row: StoredRequestRow | undefined): Promise<RequestRow | undefined> => (row ? (await named([row]))[0] : undefined);

  /** Grants with their dataset's code and name and their consumer organisation's name; with `byOrganisation`, ordered by its region code, then name. */
  async function namedGrants(rows: StoredGrantRow[], byOrganisation = false): Promise<GrantRow[]> {
    if (!rows.length) return [];
    const datasets = await catalog.names(rows.map((g) => g.dataset_id));
    const { orgs } = await identity.names({ orgs: rows.map((g) => g.consumer_org_id) });
    const out = rows.map((g) => ({
      ...g,
      dataset_code: datasets.get(g.dataset_id)?.code ?? '',
      dataset_name: datasets.get(g.dataset_id)?.name ?? '',
      consumer_name: orgs.get(g.consumer_org_id)?.name ?? '',
    }));
    if (!byOrganisation) return out;
    const rank = new Map([...orgs.keys()].map((id, i) => [id, i]));
    return out.sort((a, b) => (rank.get(a.consumer_org_id) ?? rank.size) - (rank.get(b.consumer_org_id) ?? rank.size));
  }
  const namedGrant = async (row: StoredGrantRow | undefined): Promise<GrantRow | undefined> => (row ? (await namedGrants([row]))[0] : undefined);

  function isProviderOfficer(p: Principal, providerOrgId: string): boolean {
    return p.orgId === providerOrgId && p.roles.includes('data_officer');
  }

  /** The request if the caller may see it: its consumer organisation, its provider's officers, secadmin. */
  async function visibleRequest(p: Principal, id: string): Promise<RequestRow> {
    const r = await namedRequest(await repo.request(id));
    if (!r) throw new NotFoundError(REQUEST);
    const sees = p.roles.includes('secadmin') || r.consumer_org_id === p.orgId || isProviderOfficer(p, r.provider_org_id);
    if (!sees) throw new NotFoundError(REQUEST);
    return r;
  }

  function scopeOf(p: Principal): Scope {
    if (p.roles.includes('secadmin')) return { all: true };
    return { consumerOrgId: p.orgId, ...(p.roles.includes('data_officer') ? { providerOrgId: p.orgId } : {}) };
  }

  /** Creates the grant of an approved request; returns its id. */
  async function activate(tx: Db | Parameters<Parameters<Db['transaction']>[0]>[0], r: RequestRow, terms: GrantTerms): Promise<string> {
    const id = randomUUID();
    const txRepo = shareRepo(tx);
    await txRepo.insertGrant({
      id,
      datasetId: r.dataset_id,
      providerOrgId: r.provider_org_id,
      consumerOrgId: r.consumer_org_id,
      requestId: r.id,
      automatic: false,
      columns: terms.columns,
      rowFilter: terms.rowFilter,
      purpose: r.purpose,
      purposeCategory: r.purpose_category,
      legalBasis: r.legal_basis,
      rowsPerDay: terms.rowsPerDay,
      requestsPerMinute: terms.requestsPerMinute,
      ipRanges: terms.ipRanges,
      impactAssessment: terms.impactAssessment,
      expiresAt: expiryOf(terms.endDate),
      seriesTerms: terms.series ?? null,
      serviceTerms: terms.service ?? null,
      renewsGrantId: r.renews_grant_id,
    });
    await txRepo.setRequestState(r.id, 'active', id);
    // A renewal's grant continues the old one, which ends as this one starts.
    if (r.renews_grant_id) await txRepo.supersedeGrant(r.renews_grant_id, id);
    return id;
  }

  /** Moves a request from one state to the next under a row lock, so two approvers cannot both win. */
  async function transition<T>(id: string, from: RequestRow['state'][], fn: (tx: Parameters<Parameters<Db['transaction']>[0]>[0]) => Promise<T>): Promise<T> {
    return db.transaction(async (tx) => {
      const locked = await shareRepo(tx).lockRequest(id);
      if (!locked) throw new NotFoundError(REQUEST);
      if (!from.includes(locked.state)) {
        throw conflict('invalid_state', `申请当前状态为 ${locked.state}，不能执行此操作`, `The request is ${locked.state}; this action does not apply`, {
          state: locked.state,
        });
      }
      return fn(tx);
    });
  }

  const service = {
    hooks,

    /** Every request in the given states (all organisations), oldest first: for the duties module's clocks and counts. */
    allRequests: async (filter: { states?: RequestRow['state'][] } = {}, limit = 10_000) => named(await repo.allRequests(filter.states ?? null, limit)),

    /** The counts of the 工作台's to-do list that sharing owns (the overview module shows them). */
    toDo: {
      /** Requests waiting for the providing organisation's answer. */
      approvals: (providerOrgId: string) => repo.approvalsAwaiting(providerOrgId),
      /** Requests approved by their provider and waiting for the security administrator. */
      securityReviews: () => repo.securityReviewsAwaiting(),
      /** Active grants ending within `days` (and not ended yet), of the organisation as consumer or as provider. */
      grantsEnding: (orgId: string, side: 'consumer' | 'provider', days: number) => repo.grantsEnding(orgId, side, days),
    },

    /** Organisations holding an active grant on a dataset (told of corrections, for instance). */
    grantHolders: (datasetId: string) => repo.grantHolders(datasetId),

    /** Whether the organisation holds or ever held a grant on the dataset (who may rate it). */
    heldGrant: (datasetId: string, orgId: string) => repo.heldGrant(datasetId, orgId),

    /**
     * The ids of those requests whose dataset was already shared to another organisation when the
     * request arrived (a grant made before it and not revoked by then): the shorter time limit applies.
     */
    sharedBefore: (rows: Pick<RequestRow, 'id' | 'dataset_id' | 'consumer_org_id' | 'created_at'>[]) => repo.sharedBefore(rows),

    /**
     * A consumer asks for columns of a published, shareable dataset (a renewal names the grant it continues).
     * `demo.submittedAt` is for the demo world only (never from a request): a request submitted days ago.
     */
    async submit(caller: Caller, input: RequestInput, renews?: GrantRow, demo?: { submittedAt: Date }): Promise<RequestRow> {
      const p = caller.principal;
      const d = await catalog.get(p, input.dataset);
      if (d.share_type === 'none') {
        throw new ForbiddenError('not_shareable', {
          zh: '该数据资源为不予共享，不能申请',
          en: 'This dataset is not shared (不予共享) and cannot be requested',
        });
      }
      if (d.status !== 'published') throw conflict('not_published', '数据资源尚未发布，不能申请', 'The dataset is not published');
      if (d.provider_org_id === p.orgId) throw conflict('own_dataset', '不能申请本单位的数据资源', "You cannot request your own organisation's dataset");
      const columns = await catalog.columnsOf(d.id);
      const names = [...new Set(input.columns)];
      for (const name of names) if (!columns.some((c) => c.name === name)) throw unknownColumn(name);
      const series = seriesOf(d, input.series);
      let service: ServiceTerms | null = null;
      if (d.resource_kind === 'service') service = checkOperations(input.operations, (await hooks.operationsOf?.(d.id)) ?? []);
      else if (input.operations) throw operationsNotApplicable();
      if (names.length === 0 && !series?.devices?.length)
        throw new BadRequestError('no_columns', { zh: '至少申请一个信息项', en: 'Request at least one column' }, { field: 'columns' });
      checkEndDate(input.endDate, 'endDate');
      const requestedFilter = parseRowFilter(input.rowFilter, columns);
      // A device named by a telemetry request brings all its points (信息项 `device.point`).
      const devicePoints = (series?.devices ?? []).flatMap((dev) => columns.filter((c) => c.name.startsWith(`${dev}.`)).map((c) => c.name));
      const needsSecurity = d.important_candidate || columns.some((c) => (names.includes(c.name) || devicePoints.includes(c.name)) && (c.grade ?? 0) >= 4);
      const id = randomUUID();
      await repo.insertRequest({
        id,
        datasetId: d.id,
        providerOrgId: d.provider_org_id,
        consumerOrgId: p.orgId,
        requestedBy: p.userId,
        columns: names,
        purpose: input.purpose,
        purposeCategory: input.purposeCategory,
        legalBasis: input.legalBasis,
        endDate: input.endDate,
        expectedRowsPerDay: input.expectedRowsPerDay ?? null,
        requestedFilter,
        needsSecurity,
        seriesTerms: series,
        serviceTerms: service,
        renewsGrantId: renews?.id ?? null,
        createdAt: demo?.submittedAt ?? null,
      });
      await record(caller, {
        action: renews ? 'share.renew' : 'share.request',
        result: 'success',
        dataset: d.code,
        target: { type: 'share_request', id },
        details: {
          ...(renews ? { renewsGrantId: renews.id } : {}),
          columns: names,
          purpose: input.purpose,
          purposeCategory: input.purposeCategory,
          endDate: input.endDate,
          needsSecurity,
          filter: auditedFilter(requestedFilter, columns),
          ...(series ? { series } : {}),
          ...(service ? { operations: service.operations } : {}),
        },
      });
      const made = (await namedRequest(await repo.request(id)))!;
      await notify({
        kind: 'share.request',
        title: renews
          ? {
              zh: `${made.consumer_name}申请续期「${d.name}」的共享授权（至 ${input.endDate}），用途：${input.purpose}`,
              en: `${made.consumer_name} asks to renew its grant on “${d.name}” (to ${input.endDate}) for ${input.purpose}`,
            }
          : { zh: `${made.consumer_name}申请共享「${d.name}」，用途：${input.purpose}`, en: `${made.consumer_name} requests “${d.name}” for ${input.purpose}` },
        body: { requestId: id, dataset: d.code, purpose: input.purpose },
        link: `/share/requests/${id}`,
        orgRole: { orgId: d.provider_org_id, role: 'data_officer' },
      });
      return made;
    },

    get: (p: Principal, id: string) => visibleRequest(p, id),

    /**
     * The requester withdraws a request awaiting a decision (撤回): it leaves the approvers' queues, their
     * notices about it are settled, and it can no longer be approved (the transition refuses).
     */
    async withdraw(caller: Caller, id: string, reason?: string): Promise<RequestRow> {
      const p = caller.principal;
      const r = await visibleRequest(p, id);
      if (r.requested_by !== p.userId) {
        throw new ForbiddenError('not_requester', { zh: '只有申请人本人可以撤回申请', en: 'Only the requester withdraws a request' });
      }
      await transition(id, ['submitted', 'provider_approved'], async (tx) => {
        await shareRepo(tx).withdraw(id, reason?.trim() || null);
        await identity.notices(tx).settle('requestId', id);
      });
      await record(caller, {
        action: 'share.withdraw',
        result: 'success',
        dataset: r.dataset_code,
        target: { type: 'share_request', id },
        details: { state: r.state, reason: reason?.trim() || null },
      });
      const title = {
        zh: `${r.consumer_name}已撤回对「${r.dataset_name}」的共享申请，无需再审批`,
        en: `${r.consumer_name} withdrew its request for “${r.dataset_name}”; no decision is needed`,
      };
      const body = { requestId: id, dataset: r.dataset_code, withdrawn: true };
      await notify({ kind: 'share.withdrawn', title, body, link: `/share/requests/${id}`, orgRole: { orgId: r.provider_org_id, role: 'data_officer' } });
      if (r.state === 'provider_approved') await notify({ kind: 'share.withdrawn', title, body, link: `/share/requests/${id}`, role: 'secadmin' });
      return (await namedRequest(await repo.request(id)))!;
    },

    /**
     * The holder of a grant asks to renew it (续期): a new request prefilled from the grant (its columns,
     * rows, purpose and legal basis) to a later end date, through the same approvals (a 4级 column needs
     * the security administrator again). Allowed while the grant is active or ended at most
     * RENEWABLE_DAYS ago, never for a revoked, automatic, return-flow or already-continued grant.
     */
    async renew(caller: Caller, grantId: string, input: { endDate: string; purpose?: string; legalBasis?: string }): Promise<RequestRow> {
      const p = caller.principal;
      const g = await service.grant(p, grantId);
      if (g.consumer_org_id !== p.orgId) {
        throw new ForbiddenError('not_holder', { zh: '只有持有授权的单位可以申请续期', en: 'Only the organisation holding the grant asks to renew it' });
      }
      if (!g.request_id || g.automatic || g.return_flow_id) {
        throw conflict('not_renewable', '该授权不是经申请取得的，无需续期', 'This grant was not made by a request; it is not renewed');
      }
      if (g.superseded_by) throw conflict('already_renewed', '该授权已续期', 'This grant has already been renewed', { grantId: g.superseded_by });
      const state = grantState(g);
      if (state === 'revoked')
        throw conflict('grant_revoked', '授权已撤销，不能续期，请重新申请', 'The grant was revoked; it cannot be renewed (submit a new request)');
      if (state === 'expired' && g.expires_at && g.expires_at.getTime() < Date.now() - RENEWABLE_DAYS * 86_400_000) {
        throw conflict(
          'expired_too_long',
          `授权已过期超过 ${RENEWABLE_DAYS} 天，请重新申请`,
          `The grant ended more than ${RENEWABLE_DAYS} days ago; submit a new request`,
        );
      }
      if (g.expires_at && input.endDate <= chinaToday(new Date(g.expires_at.getTime() - 1))) {
        throw new BadRequestError(
          'end_date_not_later',
          { zh: '续期的截止日期须晚于原授权的截止日期', en: 'A renewal must end after the grant it renews' },
          { field: 'endDate' },
        );
      }
      const pending = (details?: { requestId: string }) =>
        conflict('renewal_pending', '该授权已有待审批的续期申请', 'A renewal of this grant is already awaiting a decision', details);
      const open = await repo.openRenewal(g.id);
      if (open) throw pending({ requestId: open.id });
      const before = (await repo.request(g.request_id))!;
      // Two renewals sent at the same moment both pass the check above; the unique index keeps one.
      const submitted = service.submit(
        caller,
        {
          dataset: g.dataset_code,
          columns: before.columns,
          purpose: input.purpose?.trim() || g.purpose,
          purposeCategory: g.purpose_category as RequestInput['purposeCategory'],
          legalBasis: input.legalBasis?.trim() || g.legal_basis,
          endDate: input.endDate,
          ...(before.expected_rows_per_day ? { expectedRowsPerDay: before.expected_rows_per_day } : {}),
          ...(g.row_filter ? { rowFilter: filterText(g.row_filter) } : {}),
          ...(before.series_terms ? { series: before.series_terms } : {}),
          ...(before.service_terms ? { operations: before.service_terms.operations } : {}),
        },
        g,
      );
      return submitted.catch((error: unknown) => {
        const e = error as { code?: string; constraint?: string };
        if (e.code === '23505' && (e.constraint ?? 'share_requests_open_renewal_idx') === 'share_requests_open_renewal_idx') throw pending();
        throw error;
      });
    },

    /** Requests the caller may see, newest first. */
    list: (p: Principal, filter: { state?: string; dataset?: string }, limit = 200) =>
      (async () => {
        const datasetId = filter.dataset ? (await catalog.byCode(filter.dataset))?.id : undefined;
        if (filter.dataset && !datasetId) return [];
        return named(await repo.requests(scopeOf(p), { ...(filter.state ? { state: filter.state } : {}), ...(datasetId ? { datasetId } : {}) }, limit));
      })(),

    /** The columns of a request's dataset with their grades, for approvers (who asks, why, what grades). */
    async requestColumns(p: Principal, id: string): Promise<ColumnRow[]> {
      const r = await visibleRequest(p, id);
      return catalog.columnsOf(r.dataset_id);
    },

    /** The provider's data officer decides the form of each column, the rows, the term and the quotas. */
    async approve(caller: Caller, id: string, input: ApprovalInput): Promise<RequestRow> {
      const p = caller.principal;
      const r = await visibleRequest(p, id);
      if (!isProviderOfficer(p, r.provider_org_id)) {
        throw new ForbiddenError('not_provider', { zh: '只有提供方的数据管理员可以审批', en: "Only the provider's data officers approve requests" });
      }
      const columns = await catalog.columnsOf(r.dataset_id);
      const terms = service.checkTerms(r, columns, input);
      const state = await transition(id, ['submitted'], async (tx) => {
        if (r.needs_security) {
          await shareRepo(tx).providerDecision(id, { state: 'provider_approved', terms, by: p.userId, note: input.note ?? null });
          return 'provider_approved' as const;
        }
        await shareRepo(tx).providerDecision(id, { state: 'active', terms, by: p.userId, note: input.note ?? null });
        await activate(tx, r, terms);
        return 'active' as const;
      });
      await record(caller, {
        action: 'share.approve',
        result: 'success',
        dataset: r.dataset_code,
        target: { type: 'share_request', id },
        details: {
          columns: terms.columns,
          filter: auditedFilter(terms.rowFilter, columns),
          endDate: terms.endDate,
          rowsPerDay: terms.rowsPerDay,
          requestsPerMinute: terms.requestsPerMinute,
          ipRanges: terms.ipRanges,
          impactAssessment: terms.impactAssessment !== null,
          ...(terms.service ? { operations: terms.service.operations } : {}),
          state,
        },
      });
      const done = state === 'active';
      await notify({
        kind: done ? 'share.active' : 'share.provider_approved',
        title: done
          ? { zh: `${r.provider_name}已批准您对「${r.dataset_name}」的共享申请`, en: `${r.provider_name} approved your request for “${r.dataset_name}”` }
          : {
              zh: `${r.provider_name}已批准您对「${r.dataset_name}」的共享申请，待安全管理员审批`,
              en: `${r.provider_name} approved your request for “${r.dataset_name}”; awaiting security approval`,
            },
        body: { requestId: id, dataset: r.dataset_code },
        link: `/share/requests/${id}`,
        userIds: [r.requested_by],
      });
      if (!done) {
        await notify({
          kind: 'share.security_review',
          title: {
            zh: `待安全审批：${r.consumer_name}申请共享${r.provider_name}的「${r.dataset_name}」（提供方已批准）`,
            en: `Awaiting security approval: ${r.consumer_name}'s request for “${r.dataset_name}” of ${r.provider_name} (approved by the provider)`,
          },
          body: { requestId: id, dataset: r.dataset_code },
          link: `/share/requests/${id}`,
          role: 'secadmin',
        });
      }
      return (await namedRequest(await repo.request(id)))!;
    },

    /** Validates an approval against the request and the catalogue; returns the terms to store. */
    checkTerms(
      r: Pick<RequestRow, 'columns' | 'end_date' | 'series_terms' | 'service_terms' | 'requested_filter'>,
      columns: readonly ColumnRow[],
      input: ApprovalInput,
    ): GrantTerms {
      const granted: GrantColumn[] = [];
      const telemetry = r.series_terms !== null;
      const series = telemetry ? (input.series ? narrowSeriesTerms(r.series_terms!, input.series) : r.series_terms) : null;
      if (!telemetry && input.series) throw seriesNotApplicable();
      const service = r.service_terms ? narrowOperations(r.service_terms, input.operations) : null;
      if (!service && input.operations) throw operationsNotApplicable();
      const seen = new Set<string>();
      for (const c of input.columns) {
        const column = columns.find((x) => x.name === c.name);
        if (!column) throw unknownColumn(c.name);
        if (!r.columns.includes(c.name)) {
          throw new BadRequestError(
            'column_not_requested',
            { zh: `信息项 ${c.name} 不在申请范围内`, en: `Column ${c.name} was not requested` },
            { column: c.name },
          );
        }
        if (seen.has(c.name))
          throw new BadRequestError('duplicate_column', { zh: `信息项 ${c.name} 重复`, en: `Column ${c.name} appears twice` }, { column: c.name });
        seen.add(c.name);
        if (telemetry && c.mode !== 'clear' && c.mode !== 'hidden') {
          throw new BadRequestError(
            'mode_not_applicable',
            { zh: `测点 ${c.name} 只能授权为明文或隐藏`, en: `Point ${c.name} is granted clear or hidden only` },
            { column: c.name, mode: c.mode },
          );
        }
        if (service && !FIELD_MODES.has(c.mode)) {
          throw new BadRequestError(
            'mode_not_applicable',
            {
              zh: `响应字段 ${c.name} 只能授权为明文、脱敏、假名、去标识（文本）或隐藏`,
              en: `Response field ${c.name} is granted clear, masked, pseudonym, redacted (text) or hidden only`,
            },
            { column: c.name, mode: c.mode },
          );
        }
        const view = viewColumns([column], [{ name: c.name, mode: c.mode }])[0]!;
        if (c.mode === 'generalized' && !canGeneralize(view.generalizeAs)) {
          throw new BadRequestError(
            'mode_not_applicable',
            { zh: `信息项 ${c.name} 不支持泛化`, en: `Column ${c.name} cannot be generalized` },
            { column: c.name, mode: c.mode },
          );
        }
        if (c.mode === 'redacted' && column.data_type !== 'text') {
          throw new BadRequestError(
            'mode_not_applicable',
            { zh: `信息项 ${c.name} 不是文本，不能以去标识形式共享`, en: `Column ${c.name} is not text; it cannot be shared redacted` },
            { column: c.name, mode: c.mode },
          );
        }
        if (c.mode === 'verify' && column.encrypted && !column.blind_index) {
          throw new BadRequestError(
            'mode_not_applicable',
            { zh: `信息项 ${c.name} 加密存储且无盲索引，不能用于核验`, en: `Column ${c.name} is encrypted without a blind index; it cannot be verified` },
            { column: c.name, mode: c.mode },
          );
        }
        if (c.mode === 'clear' && (column.grade ?? 0) >= 4 && (input.impactAssessment ?? '').trim().length < MIN_ASSESSMENT_CHARS) {
          throw new BadRequestError(
            'impact_assessment_required',
            {
              zh: `明文共享 4级信息项 ${c.name} 须填写个人信息保护影响评估说明（个人信息保护法第五十五条）`,
              en: `Clear access to the 4级 column ${c.name} needs a written impact assessment (PIPL art. 55)`,
            },
            { column: c.name, field: 'impactAssessment' },
          );
        }
        if (c.mode !== 'hidden') {
          granted.push({
            name: c.name,
            mode: c.mode,
            ...(c.mode === 'generalized' && c.generalize ? { generalize: c.generalize } : {}),
            ...(c.mode === 'redacted' ? { redact: c.redact ?? 'masked' } : {}),
          });
        }
      }
      if (!granted.some((g) => g.mode !== 'hidden') && !series?.devices?.length) {
        throw new BadRequestError('no_columns', { zh: '至少授权一个信息项', en: 'Grant at least one column' }, { field: 'columns' });
      }
      const endDate = input.endDate ?? r.end_date;
      checkEndDate(endDate, 'endDate');
      if (endDate > r.end_date) {
        throw new BadRequestError(
          'end_date_after_request',
          { zh: '授权截止日期不能晚于申请的截止日期', en: 'The grant cannot end after the requested end date' },
          { field: 'endDate' },
        );
      }
      const ipRanges = (input.ipRanges ?? []).map((range) => {
        checkCidr(range);
        return range.trim();
      });
      return {
        columns: granted,
        rowFilter: input.rowFilter === undefined ? recheckRowFilter(r.requested_filter, columns) : parseRowFilter(input.rowFilter, columns),
        endDate,
        rowsPerDay: input.rowsPerDay ?? null,
        requestsPerMinute: input.requestsPerMinute ?? null,
        ipRanges,
        impactAssessment: input.impactAssessment?.trim() || null,
        ...(series ? { series } : {}),
        ...(service ? { service } : {}),
      };
    },

    /** The platform security administrator's second approval (4级 columns, 重要数据 candidates). */
    async securityApprove(caller: Caller, id: string, note?: string): Promise<RequestRow> {
      const p = caller.principal;
      if (!p.roles.includes('secadmin')) throw new ForbiddenError();
      const r = await visibleRequest(p, id);
      await transition(id, ['provider_approved'], async (tx) => {
        await shareRepo(tx).securityDecision(id, { state: 'active', by: p.userId, note: note ?? null });
        await activate(tx, r, r.terms!);
      });
      await record(caller, {
        action: 'share.security_approve',
        result: 'success',
        dataset: r.dataset_code,
        target: { type: 'share_request', id },
        details: { columns: r.terms?.columns ?? [] },
      });
      await notify({
        kind: 'share.active',
        title: {
          zh: `共享授权已生效：${r.consumer_name}可读取${r.provider_name}的「${r.dataset_name}」`,
          en: `Grant active: ${r.consumer_name} may read “${r.dataset_name}” of ${r.provider_name}`,
        },
        body: { requestId: id, dataset: r.dataset_code },
        link: `/share/requests/${id}`,
        userIds: [r.requested_by, ...(r.provider_decided_by ? [r.provider_decided_by] : [])],
      });
      return (await namedRequest(await repo.request(id)))!;
    },

    /** The provider (while submitted) or the security administrator (until active) refuses, with a reason. */
    async reject(caller: Caller, id: string, reason: string): Promise<RequestRow> {
      const p = caller.principal;
      const r = await visibleRequest(p, id);
      const asProvider = isProviderOfficer(p, r.provider_org_id);
      const asSecurity = p.roles.includes('secadmin');
      if (!asProvider && !asSecurity) throw new ForbiddenError();
      await transition(id, asSecurity ? ['submitted', 'provider_approved'] : ['submitted'], async (tx) => {
        if (asSecurity && r.state === 'provider_approved') await shareRepo(tx).securityDecision(id, { state: 'rejected', by: p.userId, note: reason });
        else await shareRepo(tx).providerDecision(id, { state: 'rejected', terms: null, by: p.userId, note: reason });
      });
      await record(caller, { action: 'share.reject', result: 'success', dataset: r.dataset_code, target: { type: 'share_request', id }, details: { reason } });
      await notify({
        kind: 'share.rejected',
        title: { zh: `${r.provider_name}未批准您对「${r.dataset_name}」的共享申请`, en: `${r.provider_name} rejected your request for “${r.dataset_name}”` },
        body: { requestId: id, dataset: r.dataset_code, reason },
        link: `/share/requests/${id}`,
        userIds: [r.requested_by],
      });
      return (await namedRequest(await repo.request(id)))!;
    },

    async grant(p: Principal, id: string): Promise<GrantRow> {
      const g = await repo.grant(id);
      if (!g) throw new NotFoundError(GRANT);
      const sees = p.roles.includes('secadmin') || g.consumer_org_id === p.orgId || isProviderOfficer(p, g.provider_org_id);
      if (!sees) throw new NotFoundError(GRANT);
      return (await namedGrant(g))!;
    },

    grants: (p: Principal, filter: { dataset?: string }, limit = 200) =>
      (async () => {
        const datasetId = filter.dataset ? (await catalog.byCode(filter.dataset))?.id : undefined;
        if (filter.dataset && !datasetId) return [];
        return namedGrants(await repo.grants(scopeOf(p), datasetId ? { datasetId } : {}, limit));
      })(),

    /** Revocation: effective on the next request on every process (the read path checks the database). */
    async revoke(caller: Caller, id: string, reason: string): Promise<GrantRow> {
      const p = caller.principal;
      const g = await service.grant(p, id);
      if (!isProviderOfficer(p, g.provider_org_id) && !p.roles.includes('secadmin')) {
        throw new ForbiddenError('not_provider', {
          zh: '只有提供方的数据管理员或安全管理员可以撤销授权',
          en: "Only the provider's data officers or the security administrator revoke grants",
        });
      }
      const revoked = await db.transaction(async (tx) => {
        const rows = await shareRepo(tx).revokeGrant(id, p.userId, reason);
        if (rows[0]?.request_id) await shareRepo(tx).setRequestState(rows[0].request_id, 'revoked');
        return rows.length > 0;
      });
      if (!revoked) throw conflict('invalid_state', '授权已撤销', 'The grant is already revoked');
      await record(caller, {
        action: 'share.revoke',
        result: 'success',
        dataset: g.dataset_code,
        target: { type: 'share_grant', id },
        details: { reason, consumerOrgId: g.consumer_org_id },
      });
      await notify({
        kind: 'share.revoked',
        title: { zh: `${g.consumer_name}对「${g.dataset_name}」的共享授权已撤销`, en: `The grant of ${g.consumer_name} on “${g.dataset_name}” was revoked` },
        body: { grantId: id, dataset: g.dataset_code, reason },
        link: `/share/grants/${id}`,
        orgRole: { orgId: g.consumer_org_id, role: 'consumer' },
      });
      return (await namedGrant(await repo.grant(id)))!;
    },

    /**
     * 无条件共享: the consumer organisation's automatic grant with each column's default masking,
     * made (and audited) on first use. A revoked automatic grant is never silently re-made.
     */
    async automaticGrant(caller: Caller, ctx: AccessContext): Promise<boolean> {
      const columns: GrantColumn[] = ctx.columns.map((c) => ({ name: c.name, mode: defaultMode(c) }));
      const id = randomUUID();
      const inserted = await repo.insertGrant({
        id,
        datasetId: ctx.dataset.id,
        providerOrgId: ctx.dataset.provider_org_id,
        consumerOrgId: caller.principal.orgId,
        requestId: null,
        automatic: true,
        columns,
        rowFilter: null,
        purpose: '无条件共享',
        purposeCategory: 'administrative_duty',
        legalBasis: '政务信息资源共享管理暂行办法（国发〔2016〕51号）无条件共享',
        rowsPerDay: null,
        requestsPerMinute: null,
        ipRanges: [],
        impactAssessment: null,
        expiresAt: null,
      });
      if (inserted.length === 0) return false;
      await record(caller, {
        action: 'share.grant_auto',
        result: 'success',
        dataset: ctx.dataset.code,
        target: { type: 'share_grant', id },
        details: { columns },
      });
      return true;
    },

    /**
     * The column modes of a grant made without a request (a return flow): the checks of an approval
     * (modes applicable, PIPL art. 55 note for clear 4级 columns), every column of the dataset offerable.
     */
    async columnsWithoutRequest(
      datasetId: string,
      input: Pick<ApprovalInput, 'columns' | 'impactAssessment'>,
    ): Promise<Pick<GrantTerms, 'columns' | 'impactAssessment'>> {
      const columns = await catalog.columnsOf(datasetId);
      const offer = { columns: columns.map((c) => c.name), end_date: '9999-12-31', series_terms: null, service_terms: null, requested_filter: null };
      const terms = service.checkTerms(offer, columns, {
        columns: input.columns,
        ...(input.impactAssessment !== undefined ? { impactAssessment: input.impactAssessment } : {}),
      });
      return { columns: terms.columns, impactAssessment: terms.impactAssessment };
    },

    /**
     * A grant made without a request by a return flow (数据回流): the flow's column modes and the
     * organisation's region as row filter (checked against the catalogue like any grant's). Made once
     * per flow and organisation; returns the new grant's id, or null when it exists already.
     */
    async returnFlowGrant(g: {
      datasetId: string;
      consumerOrgId: string;
      returnFlowId: string;
      columns: GrantColumn[];
      rowFilter: FilterNode;
      purpose: string;
      legalBasis: string;
      impactAssessment: string | null;
    }): Promise<string | null> {
      const rowFilter = await service.checkGrantFilter(g.datasetId, g.rowFilter);
      const dataset = await catalog.byId(g.datasetId);
      if (!dataset) throw new NotFoundError(DATASET);
      const id = randomUUID();
      const inserted = await repo.insertGrant({
        id,
        datasetId: g.datasetId,
        providerOrgId: dataset.provider_org_id,
        consumerOrgId: g.consumerOrgId,
        requestId: null,
        automatic: false,
        columns: g.columns,
        rowFilter,
        purpose: g.purpose,
        purposeCategory: 'administrative_duty',
        legalBasis: g.legalBasis,
        rowsPerDay: null,
        requestsPerMinute: null,
        ipRanges: [],
        impactAssessment: g.impactAssessment,
        expiresAt: null,
        returnFlowId: g.returnFlowId,
      });
      return inserted.length ? id : null;
    },

    /** A row filter checked against the dataset's catalogue as a grant's is (a 400 naming rowFilter). */
    checkGrantFilter: async (datasetId: string, node: FilterNode) => recheckRowFilter(node, await catalog.columnsOf(datasetId))!,

    /**
     * A grant as a person names it, "户籍人口信息 → 朝阳市民政局" (security operations label a containment
     * with it), read inside the caller's transaction `q` when it holds one.
     */
    async grantLabel(id: string, q: Queryable = db): Promise<string | undefined> {
      const g = await shareRepo(q).grant(id);
      const org = g && (await identity.names({ orgs: [g.consumer_org_id] }, q)).orgs.get(g.consumer_org_id);
      const dataset = g && (await catalog.names([g.dataset_id], q)).get(g.dataset_id);
      return dataset && org ? `${dataset.name} → ${org.name}` : undefined;
    },

    /** The grants of a return flow, one per organisation. */
    returnFlowGrants: async (flowId: string) => namedGrants(await repo.flowGrants(flowId), true),

    /** Suspends (pause) or resumes every grant of a return flow; the read path refuses a suspended grant at once. */
    suspendReturnFlow: (flowId: string, suspend: boolean) => repo.suspendFlowGrants(flowId, suspend),

    datasetOf: (id: string) => catalog.byId(id),
    notifications: (p: Principal, unreadOnly: boolean) => identity.notices().list(p.userId, unreadOnly, 200),
    markRead: (p: Principal, id: string | null) => identity.notices().markRead(p.userId, id),
    /** Console notice to users by id, by organisation and role, or by role (other modules' events too). */
    notify,
    filterText,
  };
  return service;
}

export type ShareService = ReturnType<typeof createShareService>;
export type { Message, DatasetRow, RequestRow };
