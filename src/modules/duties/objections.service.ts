/**
 * Objections and corrections (数据异议与纠错, issue 20 §2). A reader holding a grant names cells of a
 * dataset (row number `_row` and column), the value believed correct and evidence; the provider's
 * officers answer within a time limit in working days: accept (the correction is applied as a
 * version holding only the corrected rows, before and after kept) or reject with a reason; the
 * objector may escalate to the platform authority (the security administrator), who upholds the
 * objection (back to the provider) or dismisses it. While open or escalated, the rows are flagged to
 * every reader of the records API. Corrections are notified to every organisation holding a grant.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { Caller } from '../../http/access.ts';
import type { Sealer } from '../audit/signer.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { IngestService } from '../ingest/ingest.service.ts';
import type { RecordsService } from '../share/records.service.ts';
import type { ShareService } from '../share/share.service.ts';
import { dutiesRepo, type AttachmentRow, type ObjectionCell, type ObjectionRow, type ObjectionState } from './duties.repo.ts';
import type { DutiesSettings } from './duties.settings.ts';
import type { WorkCalendar } from './calendar.ts';

const OBJECTION = { zh: '数据异议', en: 'Objection' };
/** Cells one objection may name. */
export const MAX_CELLS = 200;
/** Evidence files one objection may carry, and the size of each (bytes, as sent). */
export const MAX_ATTACHMENTS = 3;
export const MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;
/** The kinds of evidence file accepted: documents and images, served back only as downloads. */
export const ATTACHMENT_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'text/plain',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
] as const;

/** An evidence file as sent: its name, kind and content in base64. */
export interface AttachmentInput {
  name: string;
  contentType: (typeof ATTACHMENT_TYPES)[number];
  content: string;
}

/** An objection with the list of its evidence files. */
export type ObjectionView = ObjectionRow & { attachments: Omit<AttachmentRow, 'objection_id'>[] };

export interface ObjectionsDeps {
  db: Db;
  events: EventSink;
  share: Pick<ShareService, 'notify' | 'grantHolders' | 'grant'>;
  records: Pick<RecordsService, 'resolve'>;
  ingest: Pick<IngestService, 'correct'>;
  catalog: Pick<CatalogService, 'get'>;
  /** Seals the evidence files under the platform key (they may carry personal information). */
  sealer: Pick<Sealer, 'seal' | 'unseal'>;
  settings: () => Promise<DutiesSettings>;
  calendar: (s?: DutiesSettings) => Promise<WorkCalendar>;
  now: () => Date;
}

export function createObjectionsService(deps: ObjectionsDeps) {
  const { db, events, share, records, ingest, now } = deps;
  const repo = dutiesRepo(db);
  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  const isProvider = (p: Principal, o: ObjectionRow) => p.orgId === o.provider_org_id && p.roles.includes('data_officer');
  const isAuthority = (p: Principal) => p.roles.includes('secadmin');

  /** The objection if the caller may see it: the objecting organisation, the provider's officers, the authority. */
  async function visible(p: Principal, id: string): Promise<ObjectionRow> {
    const o = await repo.objection(id);
    if (!o || !(isAuthority(p) || o.raised_org_id === p.orgId || isProvider(p, o))) throw new NotFoundError(OBJECTION);
    return o;
  }

  const link = (id: string) => `/duties/objections/${id}`;

  /** The objections with the list of their evidence files. */
  async function withAttachments(rows: ObjectionRow[]): Promise<ObjectionView[]> {
    const files = rows.length ? await repo.attachments(rows.map((o) => o.id)) : [];
    return rows.map((o) => ({ ...o, attachments: files.filter((f) => f.objection_id === o.id).map(({ objection_id: _, ...f }) => f) }));
  }
  const view = async (id: string): Promise<ObjectionView> => (await withAttachments([(await repo.objection(id))!]))[0]!;

  /** Decodes and checks the evidence files of a new objection. */
  function decodeAttachments(files: AttachmentInput[]) {
    return files.map((f, i) => {
      const bytes = Buffer.from(f.content, 'base64');
      // Base64 that does not round-trip is not a file (Buffer.from skips what it cannot read).
      if (bytes.toString('base64').replace(/=+$/, '') !== f.content.replace(/\s/g, '').replace(/=+$/, '')) {
        throw new BadRequestError(
          'invalid_attachment',
          { zh: `附件 ${f.name} 的内容不是有效的 base64`, en: `Attachment ${f.name} is not valid base64` },
          { field: `attachments.${i}.content` },
        );
      }
      if (bytes.length === 0 || bytes.length > MAX_ATTACHMENT_BYTES) {
        throw new BadRequestError(
          'attachment_too_large',
          {
            zh: `附件 ${f.name} 须为 1 字节至 ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`,
            en: `Attachment ${f.name} must be 1 byte to ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`,
          },
          { field: `attachments.${i}.content`, max: MAX_ATTACHMENT_BYTES },
        );
      }
      return {
        name: f.name,
        contentType: f.contentType,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        sealed: deps.sealer.seal(bytes),
      };
    });
  }

  async function move(id: string, from: ObjectionState[], to: ObjectionState, fields: Parameters<typeof repo.transition>[3]): Promise<void> {
    if (!(await repo.transition(id, from, to, fields))) {
      const o = await repo.objection(id);
      throw new ConflictError(
        'invalid_state',
        { zh: `异议当前状态为 ${o?.state}，不能执行此操作`, en: `The objection is ${o?.state}; this action does not apply` },
        { state: o?.state },
      );
    }
  }

  return {
    /** A reader with a grant objects to cells of rows it can read. */
    async raise(caller: Caller, input: { dataset: string; cells: ObjectionCell[]; evidence: string; attachments?: AttachmentInput[] }): Promise<ObjectionView> {
      const access = await records.resolve(caller, input.dataset);
      // Only columns the grant shows in clear: an objection is about a value the reader can see.
      const readable = new Set(access.view.filter((c) => c.mode === 'clear').map((c) => c.name));
      for (const cell of input.cells) {
        if (!readable.has(cell.column)) {
          throw new BadRequestError(
            'column_not_readable',
            { zh: `信息项 ${cell.column} 在您的授权中不是明文可读`, en: `Column ${cell.column} is not readable in clear under your grant` },
            { column: cell.column, row: cell.row },
          );
        }
      }
      const files = decodeAttachments(input.attachments ?? []);
      const s = await deps.settings();
      const cal = await deps.calendar(s);
      const id = randomUUID();
      const d = access.ctx.dataset;
      await db.transaction(async (tx) => {
        const r = dutiesRepo(tx);
        await r.insertObjection({
          id,
          dataset_id: d.id,
          dataset_code: d.code,
          dataset_name: d.name,
          provider_org_id: d.provider_org_id,
          raised_by: caller.principal.userId,
          raised_org_id: caller.principal.orgId,
          cells: input.cells,
          evidence: input.evidence,
          due_at: cal.dueAt(now(), s.limits.objection),
        });
        await r.insertAttachments(id, files);
      });
      await record(caller, {
        action: 'duties.objection_raise',
        result: 'success',
        dataset: d.code,
        target: { type: 'objection', id },
        details: {
          cells: input.cells.map((c) => ({ row: c.row, column: c.column })),
          grantId: access.grant.id,
          attachments: files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
        },
      });
      // The notice names who objects: the organisation holding the grant the cells were read under.
      const objector = (await share.grant(caller.principal, access.grant.id).catch(() => undefined))?.consumer_name;
      await share.notify({
        kind: 'duties.objection',
        title: objector
          ? {
              zh: `${objector}对「${d.name}」提出数据异议（${input.cells.length} 处），待核实`,
              en: `${objector} objects to ${input.cells.length} cells of “${d.name}”; to verify`,
            }
          : { zh: `数据异议待核实：${d.name}（${input.cells.length} 处）`, en: `Objection to verify: ${d.name} (${input.cells.length} cells)` },
        body: { objectionId: id, dataset: d.code },
        link: link(id),
        orgRole: { orgId: d.provider_org_id, role: 'data_officer' },
      });
      return view(id);
    },

    get: async (p: Principal, id: string): Promise<ObjectionView> => (await withAttachments([await visible(p, id)]))[0]!,

    list: async (p: Principal, filter: { datasetId?: string; state?: string }) =>
      withAttachments(await repo.objections(isAuthority(p) ? { all: true } : { orgId: p.orgId, provider: p.roles.includes('data_officer') }, filter, 500)),

    /** One evidence file, for the objection's parties (the objecting organisation, the provider's officers, the authority); audited. */
    async attachment(caller: Caller, id: string, seq: number): Promise<{ name: string; contentType: string; data: Buffer }> {
      const o = await visible(caller.principal, id);
      const f = await repo.attachment(id, seq);
      if (!f) throw new NotFoundError({ zh: '异议附件', en: 'Objection attachment' });
      const data = deps.sealer.unseal(Buffer.from(f.data));
      await record(caller, {
        action: 'duties.objection_attachment',
        result: 'success',
        dataset: o.dataset_code,
        target: { type: 'objection', id },
        details: { seq, name: f.name, sha256: f.sha256 },
      });
      return { name: f.name, contentType: f.content_type, data };
    },

    /** The provider accepts: the proposed values (or the officer's own) become a correction version. */
    async accept(caller: Caller, id: string, input: { note?: string; cells?: ObjectionCell[] }): Promise<ObjectionView> {
      const p = caller.principal;
      const o = await visible(p, id);
      if (!isProvider(p, o))
        throw new ForbiddenError('not_provider', { zh: '只有提供方的数据管理员可以处理异议', en: "Only the provider's data officers answer objections" });
      if (o.state !== 'open')
        throw new ConflictError(
          'invalid_state',
          { zh: `异议当前状态为 ${o.state}，不能执行此操作`, en: `The objection is ${o.state}; this action does not apply` },
          { state: o.state },
        );
      // The officer may correct the objected cells with values of its own, never other cells.
      const objected = new Set(o.cells.map((c) => `${c.row}:${c.column}`));
      const stray = (input.cells ?? []).find((c) => !objected.has(`${c.row}:${c.column}`));
      if (stray)
        throw new BadRequestError(
          'cell_not_objected',
          { zh: `第 ${stray.row} 行的 ${stray.column} 不在该异议中`, en: `Row ${stray.row}, ${stray.column} is not part of this objection` },
          { row: stray.row, column: stray.column },
        );
      const cells = input.cells ?? o.cells;
      const { version, changes } = await ingest.correct({
        datasetId: o.dataset_id,
        userId: p.userId,
        reason: `数据异议 ${id}${input.note ? `:${input.note}` : ''}`,
        cells: cells.map((c) => ({ row: c.row, column: c.column, value: c.proposed })),
      });
      const kept = changes.map((c) => (c.encrypted ? { ...c, before: null, after: null } : c));
      await move(id, ['open'], 'accepted', {
        answer: input.note ?? null,
        answered_by: p.userId,
        answered_at: now(),
        correction_version: version,
        changes: kept,
      });
      await record(caller, {
        action: 'duties.objection_accept',
        result: 'success',
        dataset: o.dataset_code,
        target: { type: 'objection', id },
        // Which cells changed, not their values: those stay in the version tables (the history), never in the log.
        details: { version, changes: changes.map((c) => ({ row: c.row, column: c.column, ...(c.encrypted ? { encrypted: true } : {}) })) },
      });
      const title = {
        zh: `数据已更正：${o.dataset_name}（版本 ${version}，${changes.length} 处）`,
        en: `Data corrected: ${o.dataset_name} (version ${version}, ${changes.length} cells)`,
      };
      const body = { objectionId: id, dataset: o.dataset_code, version, rows: [...new Set(changes.map((c) => c.row))] };
      await share.notify({ kind: 'duties.corrected', title, body, link: link(id), userIds: [o.raised_by] });
      for (const orgId of await share.grantHolders(o.dataset_id)) {
        if (orgId === o.raised_org_id) continue;
        await share.notify({ kind: 'duties.corrected', title, body, link: `/catalog/${o.dataset_code}`, orgRole: { orgId, role: 'consumer' } });
      }
      return view(id);
    },

    async reject(caller: Caller, id: string, reason: string): Promise<ObjectionView> {
      const p = caller.principal;
      const o = await visible(p, id);
      if (!isProvider(p, o))
        throw new ForbiddenError('not_provider', { zh: '只有提供方的数据管理员可以处理异议', en: "Only the provider's data officers answer objections" });
      await move(id, ['open'], 'rejected', { answer: reason, answered_by: p.userId, answered_at: now() });
      await record(caller, {
        action: 'duties.objection_reject',
        result: 'success',
        dataset: o.dataset_code,
        target: { type: 'objection', id },
        details: { reason },
      });
      await share.notify({
        kind: 'duties.objection_rejected',
        title: { zh: `数据异议未被采纳：${o.dataset_name}`, en: `Objection rejected: ${o.dataset_name}` },
        body: { objectionId: id, reason },
        link: link(id),
        userIds: [o.raised_by],
      });
      return view(id);
    },

    /** The objecting organisation escalates a rejected objection, or one left unanswered past its deadline. */
    async escalate(caller: Caller, id: string, reason: string): Promise<ObjectionView> {
      const p = caller.principal;
      const o = await visible(p, id);
      if (o.raised_org_id !== p.orgId)
        throw new ForbiddenError('not_objector', { zh: '只有提出异议的单位可以申请上级裁定', en: 'Only the objecting organisation escalates' });
      const overdue = o.state === 'open' && o.due_at <= now();
      if (o.state !== 'rejected' && !overdue) {
        throw new ConflictError(
          'not_escalable',
          { zh: '异议被驳回或逾期未答复后才能提请主管部门裁定', en: 'An objection is escalated once rejected or left unanswered past its deadline' },
          { state: o.state },
        );
      }
      await move(id, [o.state], 'escalated', { escalation_reason: reason, escalated_at: now() });
      await record(caller, {
        action: 'duties.objection_escalate',
        result: 'success',
        dataset: o.dataset_code,
        target: { type: 'objection', id },
        details: { reason, from: o.state },
      });
      const s = await deps.settings();
      await share.notify({
        kind: 'duties.objection_escalated',
        title: { zh: `数据异议提请${s.authority.name}裁定：${o.dataset_name}`, en: `Objection escalated to ${s.authority.name}: ${o.dataset_name}` },
        body: { objectionId: id, reason },
        link: link(id),
        role: 'secadmin',
        ...(s.authority.orgId ? { orgRole: { orgId: s.authority.orgId, role: 'data_officer' } } : {}),
      });
      return view(id);
    },

    /** The authority upholds an escalated objection (back to the provider, with a new deadline) or dismisses it. */
    async decide(caller: Caller, id: string, input: { uphold: boolean; note: string }): Promise<ObjectionView> {
      const p = caller.principal;
      if (!isAuthority(p)) throw new ForbiddenError();
      const o = await visible(p, id);
      const s = await deps.settings();
      const at = now();
      await move(id, ['escalated'], input.uphold ? 'open' : 'dismissed', {
        decided_by: p.userId,
        decision_note: input.note,
        decided_at: at,
        ...(input.uphold ? { due_at: (await deps.calendar(s)).dueAt(at, s.limits.objection) } : {}),
      });
      await record(caller, {
        action: 'duties.objection_decide',
        result: 'success',
        dataset: o.dataset_code,
        target: { type: 'objection', id },
        details: { uphold: input.uphold, note: input.note },
      });
      const title = input.uphold
        ? {
            zh: `主管部门支持该数据异议，请提供方核实更正：${o.dataset_name}`,
            en: `The authority upholds the objection; the provider must correct: ${o.dataset_name}`,
          }
        : { zh: `主管部门未支持该数据异议：${o.dataset_name}`, en: `The authority dismissed the objection: ${o.dataset_name}` };
      await share.notify({ kind: 'duties.objection_decided', title, body: { objectionId: id, uphold: input.uphold }, link: link(id), userIds: [o.raised_by] });
      if (input.uphold)
        await share.notify({
          kind: 'duties.objection_decided',
          title,
          body: { objectionId: id, uphold: true },
          link: link(id),
          orgRole: { orgId: o.provider_org_id, role: 'data_officer' },
        });
      return view(id);
    },

    /** Rows flagged to every reader (open and escalated objections). */
    flaggedRows: (datasetId: string) => repo.flaggedRows(datasetId),

    /**
     * The flagged rows of a dataset for the console (标注): every row under an open or escalated
     * objection with the columns objected to, to whoever sees the catalogue entry. Row numbers and
     * column names only: which organisation objected and the values proposed stay with the parties.
     */
    async flagged(p: Principal, code: string): Promise<{ dataset: { code: string; name: string }; rows: { row: number; columns: string[]; since: Date }[] }> {
      const d = await deps.catalog.get(p, code);
      const rows = new Map<number, { row: number; columns: string[]; since: Date }>();
      for (const c of await repo.flaggedCells(d.id)) {
        const row = Number(c.row);
        const e = rows.get(row) ?? { row, columns: [], since: new Date(c.since) };
        rows.set(row, e);
        e.columns.push(c.column);
        if (new Date(c.since) < e.since) e.since = new Date(c.since);
      }
      return { dataset: { code: d.code, name: d.name }, rows: [...rows.values()] };
    },

    /** Objections per dataset and provider department, by state (and open ones past their deadline). */
    async stats() {
      const out = new Map<
        string,
        {
          datasetCode: string;
          datasetName: string;
          providerOrgId: string;
          open: number;
          overdue: number;
          accepted: number;
          rejected: number;
          escalated: number;
          dismissed: number;
        }
      >();
      for (const c of await repo.objectionCounts()) {
        const e = out.get(c.dataset_id) ?? {
          datasetCode: c.dataset_code,
          datasetName: c.dataset_name,
          providerOrgId: c.provider_org_id,
          open: 0,
          overdue: 0,
          accepted: 0,
          rejected: 0,
          escalated: 0,
          dismissed: 0,
        };
        out.set(c.dataset_id, e);
        e[c.state] += c.n;
        if (c.overdue) e.overdue += c.n;
      }
      return [...out.values()];
    },
  };
}

export type ObjectionsService = ReturnType<typeof createObjectionsService>;
