/**
 * Releases (开放发布): opening a dataset means publishing a frozen, de-identified snapshot of chosen
 * columns of its current version. The officer plans each column (direct identifier → removed,
 * quasi-identifier → generalized and counted, sensitive attribute → l-diverse, insensitive), runs the
 * check, applies a proposal if the release misses the thresholds, and publishes: the check runs again
 * in the publishing transaction, the snapshot is written, and the check is repeated on the snapshot
 * itself before the release becomes public. 4级 columns are never opened; 3级 only de-identified.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, type Message } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService, DatasetRow } from '../catalog/catalog.service.ts';
import type { ColumnState, ReviewService } from '../classify/review.service.ts';
import { buildModel, check, levelNames, snapshotPlan, type NodeResult, type Proposal, type Thresholds } from './deid.ts';
import { defaultHierarchy, HIERARCHY_KINDS, levelCount } from './hierarchies.ts';
import { COLUMN_ROLES, openRepo, type PlanColumn, type ReleaseFacts, type ReleaseMeta, type ReleaseRow, type ReleasedColumn } from './open.repo.ts';
import type { OpenSettings } from './open.settings.ts';

const RELEASE = { zh: '开放发布', en: 'Release' };
export const DEFAULT_LICENCE = 'CC BY 4.0（署名 4.0 国际）';

/** 3级 identifier types that identify a person by themselves: only ever removed. */
const DIRECT_TYPES = new Set([
  'cn_resident_id',
  'passport',
  'hk_macau_permit',
  'tw_permit',
  'bank_card',
  'gps',
  'person_name',
  'cn_mobile',
  'cn_landline',
  'email',
  'cn_plate',
  'ipv4',
  'ipv6',
  'mac',
]);
const QUASI_NAMES = /性别|出生|年龄|区县|所在地|户籍|住址|地址|邮编|职业|学历|民族|婚姻|籍贯|城市|国籍/;
const SENSITIVE_NAMES = /诉求|疾病|诊断|病种|收入|工资|宗教|犯罪|处罚|残疾|健康/;
const IDENTIFIER_NAMES = /编号|流水号|单号|证件号|账号|工号|学号/;

/** A column's plan as callers outside the module (the demo world) write it. */
export type { PlanColumn } from './open.repo.ts';

export type DeidReport = {
  standards: string[];
  dataset: { code: string; name: string; version: number };
  checkedAt: string;
  thresholds: Thresholds;
  rows: number;
  columns: {
    name: string;
    role: PlanColumn['role'];
    grade: number | null;
    type: string | null;
    hierarchy: string | null;
    level: number | null;
    levelName: Message | null;
  }[];
  removed: string[];
  quasiIdentifiers: string[];
  sensitive: string[];
  result: NodeView;
  passed: boolean;
  proposals: (NodeView & { strategy: Proposal['strategy'] })[];
  /** Set on a published release: the same figures measured on the snapshot table. */
  snapshot?: { rows: number; k: number | null; l: (number | null)[] };
};

type NodeView = Omit<NodeResult, 'levels'> & { levels: { name: string; level: number; label: Message }[] };

function denied(code: string, zh: string, en: string, details?: unknown): never {
  throw new BadRequestError(code, { zh, en }, details);
}

/** Whether the plan puts the column in the release (in some form). */
const isOpened = (p: Pick<PlanColumn, 'role'>) => p.role === 'quasi' || p.role === 'sensitive' || p.role === 'insensitive';

/** Why a column may only be removed (or nothing), or undefined when it may be opened in some form. */
export function lockOf(c: Pick<ColumnState, 'effectiveGrade' | 'effectiveType' | 'encrypted'>): Message | undefined {
  if (c.effectiveGrade >= 4) return { zh: '4级信息项不予开放', en: 'Grade-4 columns are never opened' };
  if (c.encrypted) return { zh: '加密存储的信息项不予开放', en: 'Columns stored encrypted are never opened' };
  if (c.effectiveGrade === 3 && c.effectiveType && DIRECT_TYPES.has(c.effectiveType))
    return { zh: '3级直接标识符只能删除', en: 'A grade-3 direct identifier can only be removed' };
  return undefined;
}

/** The plan pdx proposes from the classification: what it would do without the officer. */
export function defaultPlan(columns: ColumnState[]): PlanColumn[] {
  const personal = columns.some(
    (c) => c.effectiveGrade >= 3 || (c.effectiveType !== null && c.effectiveType !== 'cn_uscc' && c.effectiveType !== 'cn_org_code'),
  );
  return columns.map((c) => {
    const hierarchy = defaultHierarchy({ name: c.name, dataType: c.dataType, type: c.effectiveType });
    const plan = (role: PlanColumn['role'], level = 0): PlanColumn => ({ name: c.name, role, hierarchy, level });
    if (lockOf(c)) return plan('direct');
    if (c.effectiveGrade === 3) return plan('quasi', 1);
    if (!personal) return plan('insensitive');
    if (IDENTIFIER_NAMES.test(c.name)) return plan('direct');
    if (SENSITIVE_NAMES.test(c.name)) return plan('sensitive');
    if (QUASI_NAMES.test(c.name)) return plan('quasi');
    return plan('insensitive');
  });
}

/** Refuses a plan that would open what may not be opened; names the column. */
export function validatePlan(plan: readonly PlanColumn[], columns: ColumnState[]): PlanColumn[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const seen = new Set<string>();
  for (const p of plan) {
    const c = byName.get(p.name);
    if (!c) denied('unknown_column', `信息项不存在：${p.name}`, `Unknown column: ${p.name}`, { column: p.name });
    if (seen.has(p.name)) denied('duplicate_column', `信息项重复：${p.name}`, `Column given twice: ${p.name}`, { column: p.name });
    seen.add(p.name);
    if (!COLUMN_ROLES.includes(p.role)) denied('invalid_role', `角色无效：${p.name}`, `Invalid role of ${p.name}`, { column: p.name });
    const lock = lockOf(c);
    const opened = isOpened(p);
    if (lock && opened)
      denied(c.effectiveGrade >= 4 ? 'grade4_never_opened' : 'direct_identifier', `${lock.zh}：${p.name}`, `${lock.en}: ${p.name}`, { column: p.name });
    if (!HIERARCHY_KINDS.includes(p.hierarchy))
      denied('invalid_hierarchy', `泛化层级类型无效：${p.name}`, `Invalid hierarchy of ${p.name}`, { column: p.name });
    if (!Number.isInteger(p.level) || p.level < 0 || p.level >= levelCount(p.hierarchy)) {
      denied('invalid_level', `泛化级别超出范围：${p.name}`, `Generalization level out of range: ${p.name}`, { column: p.name });
    }
    if (c.effectiveGrade === 3 && opened && !(p.role === 'quasi' && p.level >= 1)) {
      denied(
        'grade3_needs_deidentification',
        `3级信息项只能去标识化后开放（作为准标识符至少泛化一级）或删除：${p.name}`,
        `A grade-3 column is opened only de-identified (a quasi-identifier generalized at least one level) or removed: ${p.name}`,
        { column: p.name },
      );
    }
  }
  // Columns the plan leaves out are not released.
  return columns.map(
    (c) =>
      plan.find((p) => p.name === c.name) ?? {
        name: c.name,
        role: 'excluded',
        hierarchy: defaultHierarchy({ name: c.name, dataType: c.dataType, type: c.effectiveType }),
        level: 0,
      },
  );
}

function metaOf(d: DatasetRow): ReleaseMeta {
  return {
    name: d.name,
    summary: d.summary,
    domain: d.domain,
    category: d.category,
    format: d.format,
    updateCycle: d.update_cycle,
    tags: d.tags,
    providerName: d.provider_name,
    region: d.code.slice(0, 6),
    contact: d.contact,
  };
}

export function createReleasesService(deps: {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'get' | 'getOwned' | 'search' | 'columns'>;
  review: Pick<ReviewService, 'stateOf' | 'assertPublishable'>;
  settings(): Promise<OpenSettings>;
}) {
  const { db, events, catalog, review } = deps;
  const repo = openRepo(db);

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  /** The release if the caller is its provider's officer (or, to read and withdraw, the secadmin). */
  async function visibleRelease(p: Principal, id: string, forChange = false): Promise<ReleaseRow> {
    const r = await repo.release(id);
    const own = r && r.provider_org_id === p.orgId && p.roles.includes('data_officer');
    if (!r || (!own && !p.roles.includes('secadmin'))) throw new NotFoundError(RELEASE);
    if (forChange && !own)
      throw new ForbiddenError('not_provider', { zh: '只有提供方的数据管理员可以修改开放发布', en: "Only the provider's data officers change a release" });
    return r;
  }

  /** A dataset may be opened: open type set, data loaded, classification confirmed, not 重要数据. */
  async function openable(d: DatasetRow) {
    if (d.open_type === 'none') throw new ConflictError('not_openable', { zh: '该数据资源的开放属性为不予开放', en: 'The dataset is not open (不予开放)' });
    if (d.current_version === 0) throw new ConflictError('no_data', { zh: '尚无数据版本', en: 'No version loaded yet' });
    await review.assertPublishable(d);
    const s = await review.stateOf(d);
    if (s.level !== 'general') throw new ConflictError('important_data', { zh: '重要数据、核心数据不予开放', en: 'Important and core data are never opened' });
    if (s.important.candidate && !s.important.decision) {
      throw new ConflictError('important_candidate', {
        zh: '重要数据候选须先经安全管理员认定',
        en: 'An important-data candidate must first be decided by the security administrator',
      });
    }
    return s;
  }

  /**
   * Runs the check of a plan on the dataset's current data: one GROUP BY in SQL, then the figures and
   * proposals (deid.ts). `q` is the transaction when publishing.
   */
  async function runCheck(q: Queryable, d: DatasetRow, columns: ColumnState[], plan: PlanColumn[], t: Thresholds, maxProposals: number) {
    const byName = new Map(columns.map((c) => [c.name, c]));
    const qis = plan.filter((p) => p.role === 'quasi');
    const sensitive = plan.filter((p) => p.role === 'sensitive');
    const rows = await openRepo(q).classTable(
      d.relation,
      qis.map((p) => byName.get(p.name)!.physical),
      sensitive.map((p) => byName.get(p.name)!.physical),
    );
    const model = buildModel(
      qis.map((p) => ({ name: p.name, kind: p.hierarchy, near: d.code.slice(0, 6) })),
      sensitive.map((p) => p.name),
      rows,
    );
    const outcome = check(
      model,
      qis.map((p) => p.level),
      t,
      maxProposals,
    );
    const view = (r: NodeResult): NodeView => ({ ...r, levels: levelNames(model, r.levels) });
    const report: DeidReport = {
      standards: ['GB/T 37964-2019 信息安全技术 个人信息去标识化指南', 'GB/T 42460-2023 信息安全技术 个人信息去标识化效果评估指南'],
      dataset: { code: d.code, name: d.name, version: d.current_version },
      checkedAt: new Date().toISOString(),
      thresholds: t,
      rows: model.total,
      columns: plan.map((p) => {
        const c = byName.get(p.name)!;
        const quasi = p.role === 'quasi';
        return {
          name: p.name,
          role: p.role,
          grade: c.effectiveGrade,
          type: c.effectiveType,
          hierarchy: quasi ? p.hierarchy : null,
          level: quasi ? p.level : null,
          levelName: quasi ? model.qis[qis.indexOf(p)]!.hierarchy.levels[p.level]! : null,
        };
      }),
      removed: plan.filter((p) => p.role === 'direct' || p.role === 'excluded').map((p) => p.name),
      quasiIdentifiers: qis.map((p) => p.name),
      sensitive: sensitive.map((p) => p.name),
      result: view(outcome.result),
      passed: outcome.result.passes,
      proposals: outcome.proposals.map((p) => ({ strategy: p.strategy, ...view(p.result) })),
    };
    return { model, report, result: outcome.result, qis, sensitive, byName };
  }

  /** Writes the snapshot of a passing plan and checks it again; returns what the release records. */
  async function writeSnapshot(
    tx: Queryable,
    r: ReleaseRow,
    d: DatasetRow,
    c: Awaited<ReturnType<typeof runCheck>>,
    t: Thresholds,
    descriptions: Map<string, string>,
  ) {
    const txRepo = openRepo(tx);
    const released = r.columns.filter(isOpened);
    const table = `open_r_${r.id.replaceAll('-', '').slice(0, 20)}`;
    const out = (p: PlanColumn) => `c${released.indexOf(p) + 1}`;
    const plan: ReturnType<typeof snapshotPlan> = snapshotPlan(
      c.model,
      c.qis.map((p) => p.level),
      t,
    );
    await txRepo.createSnapshot({
      table,
      relation: d.relation,
      columns: released.map((p) => ({ out: out(p), physical: c.byName.get(p.name)!.physical, ...(p.role === 'quasi' ? { qi: c.qis.indexOf(p) } : {}) })),
      qis: c.qis.map((p, i) => ({ physical: c.byName.get(p.name)!.physical, ...plan.qis[i]! })),
      suppressed: plan.suppressed,
      shuffle: c.qis.length > 0 || c.sensitive.length > 0,
    });
    // The guarantee does not rest on the arithmetic above: the snapshot itself is counted again.
    const counted = await txRepo.verifySnapshot(table, c.qis.map(out), c.sensitive.map(out));
    // Without quasi-identifiers k-anonymity does not apply (the one "class" is the whole release).
    const verified = { ...counted, k: c.qis.length ? counted.k : null };
    const kOk = c.qis.length === 0 || verified.rows === 0 || (verified.k ?? 0) >= t.k;
    const lOk = verified.rows === 0 || verified.l.every((l) => (l ?? 0) >= t.l);
    const suppressionOk = verified.rows >= c.model.total * (1 - t.maxSuppression) - 1e-9 && (verified.rows > 0 || c.model.total === 0);
    if (!kOk || !lOk || !suppressionOk) {
      throw new ConflictError(
        'release_verification_failed',
        {
          zh: '发布快照复核未通过（数据在检查期间发生了变化），请重新检查',
          en: 'The snapshot failed its own check (the data changed during the check); check again',
        },
        verified,
      );
    }
    const stats = await txRepo.columnStats(table, released.map(out));
    const columns: ReleasedColumn[] = released.map((p, i) => {
      const s = stats[i]!;
      const dataType = p.role === 'quasi' ? 'text' : c.byName.get(p.name)!.dataType;
      return {
        name: p.name,
        column: out(p),
        role: p.role as ReleasedColumn['role'],
        dataType,
        description: descriptions.get(p.name) ?? '',
        generalization: p.role === 'quasi' ? c.model.qis[c.qis.indexOf(p)]!.hierarchy.levels[p.level]! : null,
        completeness: verified.rows === 0 ? 1 : s.nonNull / verified.rows,
        distinct: s.distinct,
      };
    });
    const completeness = columns.length ? columns.reduce((a, b) => a + b.completeness, 0) / columns.length : 1;
    const documentation = (columns.filter((col) => col.description.trim() !== '').length + (d.summary.trim() ? 1 : 0)) / (columns.length + 1);
    const chartColumn = columns.find((col) => col.dataType === 'text' && col.distinct >= 2 && col.distinct <= 30);
    const facts: ReleaseFacts = {
      columns,
      quality: { score: Math.round(100 * (0.7 * completeness + 0.3 * documentation)), completeness, documentation },
      chart: chartColumn
        ? {
            column: chartColumn.name,
            values: (await txRepo.topValues(table, chartColumn.column, 12)).map((v) => ({ value: v.value ?? '（空）', count: Number(v.count) })),
          }
        : null,
    };
    return { table, verified, facts };
  }

  const service = {
    /** Datasets of the caller's organisation that may be opened, with their releases. */
    async candidates(p: Principal) {
      const found = await catalog.search(p, { org: p.orgId, pageSize: 200 });
      return found.items.filter((d) => d.provider_org_id === p.orgId && d.open_type !== 'none' && d.current_version > 0);
    },

    /** Releases of the caller's organisation (secadmin: all). */
    list: (p: Principal) => repo.releases(p.roles.includes('secadmin') ? null : p.orgId),

    get: (p: Principal, id: string) => visibleRelease(p, id),

    /** The columns of a release's dataset with grade, type and why a column is locked. */
    async columnsOf(p: Principal, r: ReleaseRow) {
      const d = await catalog.get(p, r.dataset_code);
      const s = await review.stateOf(d);
      return s.columns.map((c) => ({
        name: c.name,
        grade: c.effectiveGrade,
        type: c.effectiveType,
        dataType: c.dataType,
        lock: lockOf(c) ?? null,
        hierarchy: defaultHierarchy({ name: c.name, dataType: c.dataType, type: c.effectiveType }),
      }));
    },

    /** Starts a draft release with the plan proposed from the classification. */
    async create(caller: Caller, code: string, input: { licence?: string; notes?: string } = {}): Promise<ReleaseRow> {
      const d = await catalog.getOwned(caller.principal, code);
      const s = await openable(d);
      const id = randomUUID();
      const t = await deps.settings();
      await repo.insertRelease({
        id,
        dataset_id: d.id,
        dataset_code: d.code,
        number: await repo.nextNumber(d.id),
        version: d.current_version,
        open_type: d.open_type === 'conditional' ? 'conditional' : 'unconditional',
        provider_org_id: d.provider_org_id,
        meta: metaOf(d),
        columns: defaultPlan(s.columns),
        thresholds: { k: t.k, l: t.l, maxSuppression: t.maxSuppression },
        licence: input.licence ?? DEFAULT_LICENCE,
        notes: input.notes ?? '',
        created_by: caller.principal.userId,
      });
      await record(caller, { action: 'open.release.create', result: 'success', dataset: code, target: { type: 'open_release', id, label: d.name } });
      return (await repo.release(id))!;
    },

    /** Changes the plan of a draft (roles, hierarchies, levels), its licence and notes. */
    async update(caller: Caller, id: string, input: { columns?: PlanColumn[]; licence?: string; notes?: string }): Promise<ReleaseRow> {
      const r = await visibleRelease(caller.principal, id, true);
      if (r.state !== 'draft') throw new ConflictError('not_draft', { zh: '只能修改草稿状态的开放发布', en: 'Only a draft release can be changed' });
      const d = await catalog.getOwned(caller.principal, r.dataset_code);
      const s = await review.stateOf(d);
      const columns = input.columns ? validatePlan(input.columns, s.columns) : r.columns;
      await repo.updatePlan(id, { columns, licence: input.licence ?? r.licence, notes: input.notes ?? r.notes, meta: metaOf(d) });
      await record(caller, {
        action: 'open.release.update',
        result: 'success',
        dataset: r.dataset_code,
        target: { type: 'open_release', id },
        details: { columns: columns.map((c) => ({ name: c.name, role: c.role, level: c.level })) },
      });
      return (await repo.release(id))!;
    },

    /** Runs the check of a draft with the thresholds in force and keeps the report with the release. */
    async check(caller: Caller, id: string, options: { proposals?: number } = {}) {
      const r = await visibleRelease(caller.principal, id, true);
      if (r.state !== 'draft') throw new ConflictError('not_draft', { zh: '只能检查草稿状态的开放发布', en: 'Only a draft release is checked' });
      const d = await catalog.getOwned(caller.principal, r.dataset_code);
      const s = await openable(d);
      const plan = validatePlan(r.columns, s.columns);
      const settings = await deps.settings();
      const t = { k: settings.k, l: settings.l, maxSuppression: settings.maxSuppression };
      const c = await runCheck(db, d, s.columns, plan, t, options.proposals ?? 3);
      await repo.saveCheck(id, { version: d.current_version, thresholds: t, report: c.report, passed: c.report.passed });
      await record(caller, {
        action: 'open.release.check',
        result: 'success',
        dataset: r.dataset_code,
        target: { type: 'open_release', id },
        details: { passed: c.report.passed, k: c.result.k, l: c.result.l, suppression: c.result.suppression, thresholds: t },
      });
      return { release: (await repo.release(id))!, report: c.report };
    },

    /**
     * Publishes a draft: the check again (it must pass), the snapshot, its own check, then the release
     * replaces the dataset's previous one, all in one transaction. A failing check refuses publication.
     */
    async publish(caller: Caller, id: string): Promise<ReleaseRow> {
      const r0 = await visibleRelease(caller.principal, id, true);
      const d = await catalog.getOwned(caller.principal, r0.dataset_code);
      // The plan against today's classification first: a column graded 4级 since planning stops here.
      validatePlan(r0.columns, (await review.stateOf(d)).columns);
      // A release that opens no column would put an empty dataset on the portal.
      if (!r0.columns.some(isOpened)) denied('nothing_opened', '开放发布至少要开放一个信息项', 'A release opens at least one column');
      const s = await openable(d);
      const settings = await deps.settings();
      const t = { k: settings.k, l: settings.l, maxSuppression: settings.maxSuppression };
      const descriptions = new Map((await catalog.columns(caller.principal, d.code)).map((c) => [c.name, c.description || c.label]));
      let refused: DeidReport | undefined;
      try {
        await db.transaction(async (tx) => {
          const txRepo = openRepo(tx);
          const r = await txRepo.lockRelease(id);
          if (!r || r.state !== 'draft') throw new ConflictError('not_draft', { zh: '只能发布草稿状态的开放发布', en: 'Only a draft release is published' });
          const plan = validatePlan(r.columns, s.columns);
          const c = await runCheck(tx, d, s.columns, plan, t, 0);
          if (!c.report.passed) {
            refused = c.report;
            throw new ConflictError(
              'release_check_failed',
              {
                zh: '去标识化检查未通过，不予发布：请按建议泛化或调整信息项后重新检查',
                en: 'The de-identification check failed: publication refused. Apply a proposal or change the plan and check again',
              },
              { misses: c.result.misses, k: c.result.k, l: c.result.l, suppression: c.result.suppression, thresholds: t },
            );
          }
          const snap = await writeSnapshot(tx, { ...r, columns: plan }, d, c, t, descriptions);
          await txRepo.supersede(d.id);
          await txRepo.markPublished(id, {
            version: d.current_version,
            openType: d.open_type === 'conditional' ? 'conditional' : 'unconditional',
            relation: snap.table,
            rowCount: snap.verified.rows,
            report: { ...c.report, snapshot: snap.verified },
            facts: snap.facts,
            meta: metaOf(d),
            thresholds: t,
            by: caller.principal.userId,
          });
        });
      } catch (error) {
        if (refused) {
          await repo.saveCheck(id, { version: d.current_version, thresholds: t, report: refused, passed: false });
          await record(caller, {
            action: 'open.release.publish',
            result: 'denied',
            dataset: d.code,
            target: { type: 'open_release', id },
            details: { reason: 'check_failed', thresholds: t },
          });
        }
        throw error;
      }
      const r = (await repo.release(id))!;
      await record(caller, {
        action: 'open.release.publish',
        result: 'success',
        dataset: d.code,
        target: { type: 'open_release', id, label: d.name },
        details: {
          number: r.number,
          version: r.version,
          openType: r.open_type,
          rows: r.row_count,
          columns: r.facts?.columns.map((c) => c.name) ?? [],
          removed: (r.report as DeidReport | null)?.removed ?? [],
        },
      });
      return r;
    },

    /** Withdraws a published release: from the next request on, no process serves it. */
    async withdraw(caller: Caller, id: string, reason: string): Promise<ReleaseRow> {
      const r = await visibleRelease(caller.principal, id);
      const done = await repo.withdraw(r.id, caller.principal.userId, reason);
      if (!done) throw new ConflictError('not_published', { zh: '只能撤回已发布的开放发布', en: 'Only a published release can be withdrawn' });
      await record(caller, {
        action: 'open.release.withdraw',
        result: 'success',
        dataset: r.dataset_code,
        target: { type: 'open_release', id },
        details: { reason },
      });
      return done;
    },

    /** Drops a draft that will not be published. */
    async discard(caller: Caller, id: string): Promise<void> {
      const r = await visibleRelease(caller.principal, id, true);
      if (r.state !== 'draft') throw new ConflictError('not_draft', { zh: '只能删除草稿', en: 'Only a draft can be discarded' });
      await repo.deleteDraft(id);
      await record(caller, { action: 'open.release.discard', result: 'success', dataset: r.dataset_code, target: { type: 'open_release', id } });
    },
  };
  return service;
}

export type ReleasesService = ReturnType<typeof createReleasesService>;
