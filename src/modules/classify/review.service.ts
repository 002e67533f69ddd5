/**
 * The classification review (分类分级复核, issue 5 parts 3, 4 and 9).
 *
 * - The provider's data officer confirms the detected classification of a dataset, overriding a
 *   column's type and grade with a written reason. Overrides stay in force for later versions; a
 *   column's effective grade is its override if any, else what the current version's full pass
 *   detected; the dataset's effective grade is the highest effective column grade (就高从严).
 * - Publication gate (`assertPublishable`, the catalogue's `publishGate`): a dataset is publishable only once its officer confirmed
 *   the classification, and only while the current version's detection did not rise above what was
 *   confirmed (a column's detected grade went up, or it became 个人敏感信息). The FIRST publication
 *   therefore needs a confirmation: the product journey has the officer review before publishing.
 *   A 4级 column stored in clear (raised by an override) blocks publication until a replace upload
 *   stores it encrypted. A pending 重要数据 decision does not block publication: the dataset is
 *   protected as 4级 meanwhile (protectionFor), which is what the standard asks.
 * - The security administrator decides 重要数据 candidates (important / core / general) with a reason.
 * - The policy (重要数据 threshold, extra rules, type gradings) is stored in settings and validated.
 */
import type { Db, Queryable } from '../../db/index.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { CatalogLookups, CatalogReader, ColumnRow, DatasetRow } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { mask } from '../../lib/mask.ts';
import { fieldCipherOf, type Keyring } from '../protect/keyring.ts';
import { z } from 'zod';
import { HLL_STANDARD_ERROR } from './distinct.ts';
import { DEFAULT_POLICY, importantCandidate, PI_CATEGORIES, protectionFor, type DataLevel, type GradePolicy, type GradeProtection } from './grades.ts';
import { reviewRepo, type ConfirmedColumn, type DecisionFields, type DecisionRow, type ReviewRow } from './review.repo.ts';
import { findSpans, redactString } from './text.ts';
import { isTypeId, TYPE_IDS, TYPE_LABELS, type ColumnType, type FreeTextResult, type Grade, type TypeId } from './types.ts';

/** Masked example values shown per column. */
export const EXAMPLES = 3;
/** Free-text values read to find example spans. */
const TEXT_SAMPLE = 20;

const gradeSchema = z.literal([1, 2, 3, 4]);

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

/** One secadmin 重要数据 rule (grades.ts ImportantRule); at least one condition. */
export const importantRuleSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/)
      .describe('规则标识'),
    description: z.string().trim().min(1).max(200).describe('规则说明，如 基因数据'),
    types: z.array(z.enum(TYPE_IDS)).min(1).max(TYPE_IDS.length).optional().describe('任一列被识别为其中之一'),
    headerPattern: z.string().min(1).max(200).refine(compiles, { message: 'invalid regular expression' }).optional().describe('列名正则（不区分大小写）'),
    minRows: z.int().min(0).optional(),
    minDistinctPersons: z.int().min(1).optional(),
  })
  .refine((r) => r.types !== undefined || r.headerPattern !== undefined || r.minRows !== undefined || r.minDistinctPersons !== undefined, {
    message: 'a rule needs at least one condition',
  });

/** The JSON-stored GradePolicy (grades.ts), validated. */
export const policySchema = z
  .object({
    defaultGrade: gradeSchema.describe('未识别列的默认级别'),
    types: z
      .partialRecord(z.enum(TYPE_IDS), z.object({ category: z.enum(PI_CATEGORIES).nullable(), sensitive: z.boolean(), grade: gradeSchema }))
      .describe('类型分级覆盖'),
    importantPersonThreshold: z.int().min(1).max(10_000_000_000).describe('重要数据人数阈值（默认 1,000,000）'),
    extraRules: z.array(importantRuleSchema).max(100).describe('附加重要数据规则'),
    encryptFromGrade: z
      .union([z.literal(3), z.literal(4)])
      .default(4)
      .describe('静态加密的最低级别：4（默认，仅 4级）或 3（3级与 4级）'),
  })
  .refine((p) => new Set(p.extraRules.map((r) => r.id)).size === p.extraRules.length, { message: 'rule ids must be unique', path: ['extraRules'] });

/**
 * The policy in force (settings key 'classify.policy'), for ingestion and the review. A stored value
 * that no longer validates falls back to the defaults for the broken part rather than failing a load.
 */
export async function loadPolicy(db: Db): Promise<GradePolicy> {
  const stored = await reviewRepo(db).policy();
  if (!stored || typeof stored !== 'object') return DEFAULT_POLICY;
  const parsed = policySchema.safeParse({ ...DEFAULT_POLICY, ...(stored as object) });
  return parsed.success ? (parsed.data as GradePolicy) : DEFAULT_POLICY;
}

/** The engine's result for one column, as stored by ingestion. */
interface DetectedColumn {
  types: ColumnType[];
  category: string | null;
  sensitive: boolean;
  grade: Grade;
  /** Free-text columns: the span types found. */
  text?: FreeTextResult;
}

interface StoredClassification {
  rows?: number;
  columns?: { name: string; types: ColumnType[]; category: string | null; sensitive: boolean; grade: Grade }[];
  importantCandidate?: boolean;
  details?: { persons?: { type: TypeId; count: number; exact: boolean } | null; importantReasons?: string[]; sampled?: boolean };
}

export interface ColumnState {
  name: string;
  position: number;
  physical: string;
  dataType: string;
  encrypted: boolean;
  detected: DetectedColumn;
  detectedType: TypeId | null;
  effectiveType: TypeId | null;
  effectiveGrade: Grade;
  /** The officer's decision in force for this column (override or confirmation), if any. */
  review: ReviewRow | null;
  /** Detection rose above what was confirmed: needs the officer's review again. */
  changed: boolean;
}

export interface CandidateInfo {
  candidate: boolean;
  reasons: string[];
  persons: { type: TypeId; count: number; exact: boolean } | null;
  rows: number;
  decision: DecisionRow | null;
}

export interface DatasetState {
  dataset: DatasetRow;
  columns: ColumnState[];
  state: 'unreviewed' | 'confirmed' | 'changed';
  /** The last confirmation: `by` is the confirmer's name (filled by the review's own answers, see `named`), `userId` the confirmer. */
  confirmation: { version: number; by: string | null; userId: string | null; at: Date } | null;
  detectedGrade: Grade;
  effectiveGrade: Grade;
  flaggedColumns: string[];
  /** Columns whose effective grade is 4 but whose stored values are in clear: a replace upload must re-encrypt them. */
  replaceColumns: string[];
  important: CandidateInfo;
  level: DataLevel;
  protection: GradeProtection;
}

export interface ColumnDecision {
  name: string;
  /** Confirmed type; null: no identifier type. */
  type: TypeId | null;
  grade: Grade;
  reason?: string;
}

const DATASET = { zh: '数据资源', en: 'Dataset' };

function asGrade(n: unknown, fallback: Grade): Grade {
  return n === 1 || n === 2 || n === 3 || n === 4 ? n : fallback;
}

function detectedOf(column: ColumnRow, stored: StoredClassification | null, policy: GradePolicy): DetectedColumn {
  const fromVersion = stored?.columns?.find((c) => c.name === column.name);
  const c = (fromVersion ?? column.classification) as Partial<DetectedColumn>;
  return {
    types: Array.isArray(c.types) ? c.types.filter((t) => isTypeId(t.type)) : [],
    category: typeof c.category === 'string' ? c.category : null,
    sensitive: c.sensitive === true,
    grade: asGrade(c.grade, asGrade(column.grade, policy.defaultGrade)),
    ...(c.text && Array.isArray(c.text.spans) ? { text: { spans: c.text.spans.filter((x) => isTypeId(x.type)), scanned: Number(c.text.scanned) || 0 } } : {}),
  };
}

/** Masked example spans of free-text values, most sensitive type first: 身份证号 110***********002X. */
function exampleSpans(values: string[], text: FreeTextResult, limit: number): string[] {
  const rank = new Map(text.spans.map((s, i) => [s.type, i]));
  const found = values.flatMap((v) => findSpans(v).map((s) => ({ type: s.type, masked: mask(s.type, v.slice(s.start, s.end)) })));
  found.sort((a, b) => (rank.get(a.type) ?? 99) - (rank.get(b.type) ?? 99));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of found) {
    if (out.length >= limit) break;
    const line = `${TYPE_LABELS[f.type]} ${f.masked}`;
    if (!seen.has(line)) out.push(line);
    seen.add(line);
  }
  return out;
}

/** A decision as its table holds it, its decider not named yet (see `named` in the service). */
const unnamedDecision = (d: DecisionFields | undefined): DecisionRow | null => (d ? { ...d, decider_name: null } : null);

function namesOf(columns: string[], lang: 'zh' | 'en'): string {
  return columns.join(lang === 'zh' ? '、' : ', ');
}

/** The review service; `assertPublishable` is the catalogue's publication gate (passed in at wiring). */
export function createReviewService(deps: {
  db: Db;
  events: EventSink;
  /** Datasets and their 信息项; the datasets with data, a version's stored classification, and the effective grades the review settles. */
  catalog: Pick<CatalogReader, 'get' | 'getOwned' | 'byId' | 'visible' | 'columnsOf'> &
    Pick<CatalogLookups, 'loadedDatasetIds' | 'versionClassification' | 'storeGrades'>;
  /** The names of reviewers, confirmers and deciders. */
  identity: Pick<IdentityService, 'names'>;
  keyring: Keyring;
}) {
  const { db, events, catalog, identity, keyring } = deps;
  const repo = reviewRepo(db);

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  /**
   * 重要数据 candidacy of the current version under the policy in force: re-evaluated from the stored
   * result (rows, detected types, distinct persons), so a threshold or rule the secadmin changes applies
   * at once to every dataset, not only to versions loaded afterwards.
   */
  async function candidateOf(d: DatasetRow, stored: StoredClassification | null, policy: GradePolicy): Promise<CandidateInfo> {
    const persons = stored?.details?.persons ?? null;
    const rows = stored?.rows ?? d.row_count;
    const now = stored?.columns
      ? importantCandidate(
          {
            rows,
            columns: stored.columns.map((c) => ({ name: c.name, types: c.types })),
            distinctPersons: persons?.count ?? 0,
            distinctStandardError: persons && !persons.exact ? HLL_STANDARD_ERROR : 0,
          },
          policy,
        )
      : { candidate: false, reasons: [] };
    // Without a stored per-column result (older versions) the flag ingestion stored is all there is.
    const evaluated = stored?.columns ? now : { candidate: d.important_candidate, reasons: stored?.details?.importantReasons ?? [] };
    return { ...evaluated, persons, rows, decision: unnamedDecision(await repo.lastDecision(d.id)) };
  }

  /** Everything the review knows about a dataset, computed from stored facts (nothing cached). */
  async function stateOf(d: DatasetRow, policy?: GradePolicy): Promise<DatasetState> {
    const p = policy ?? (await loadPolicy(db));
    const stored = d.current_version > 0 ? ((await catalog.versionClassification(d.id, d.current_version)) as StoredClassification | null) : null;
    const reviews = new Map((await repo.currentReviews(d.id)).map((r): [string, ReviewRow] => [r.column_name, { ...r, reviewer_name: null }]));
    const confirmation = await repo.lastConfirmation(d.id);
    const columns = (await catalog.columnsOf(d.id)).map((column): ColumnState => {
      const detected = detectedOf(column, stored, p);
      const detectedType = detected.types[0]?.type ?? null;
      const review = reviews.get(column.name) ?? null;
      const override = review?.override ? review : null;
      const confirmed: ConfirmedColumn | undefined = confirmation?.detected[column.name];
      const changed =
        confirmation !== undefined &&
        confirmation.version !== d.current_version &&
        (!confirmed || detected.grade > confirmed.grade || (detected.sensitive && !confirmed.sensitive));
      return {
        name: column.name,
        position: column.position,
        physical: column.physical,
        dataType: column.data_type,
        encrypted: column.encrypted,
        detected,
        detectedType,
        effectiveType: override ? (override.confirmed_type !== null && isTypeId(override.confirmed_type) ? override.confirmed_type : null) : detectedType,
        effectiveGrade: override ? asGrade(override.grade, detected.grade) : detected.grade,
        review,
        changed,
      };
    });
    const max = (grades: Grade[]) => grades.reduce<Grade>((a, b) => (b > a ? b : a), p.defaultGrade);
    const flaggedColumns = columns.filter((c) => c.changed).map((c) => c.name);
    const important = await candidateOf(d, stored, p);
    const level: DataLevel = important.decision?.level ?? 'general';
    const effectiveGrade = max(columns.map((c) => c.effectiveGrade));
    return {
      dataset: d,
      columns,
      state: !confirmation ? 'unreviewed' : flaggedColumns.length ? 'changed' : 'confirmed',
      confirmation: confirmation ? { version: confirmation.version, by: null, userId: confirmation.confirmed_by, at: confirmation.confirmed_at } : null,
      detectedGrade: max(columns.map((c) => c.detected.grade)),
      effectiveGrade,
      flaggedColumns,
      replaceColumns: columns.filter((c) => c.effectiveGrade === 4 && !c.encrypted).map((c) => c.name),
      important,
      level,
      protection: protectionFor(effectiveGrade, level, important.candidate && !important.decision),
    };
  }

  /** Display names of people by id, in one identity statement (none when nobody is to be named). */
  async function peopleNames(ids: (string | null | undefined)[]): Promise<(id: string | null) => string | null> {
    const names = (await identity.names({ users: ids.filter((id): id is string => !!id) })).users;
    return (id) => (id ? (names.get(id)?.displayName ?? null) : null);
  }

  const withDecider = (i: CandidateInfo, name: (id: string | null) => string | null): CandidateInfo =>
    i.decision ? { ...i, decision: { ...i.decision, decider_name: name(i.decision.decided_by) } } : i;

  /**
   * States as the review's answers show them, with the people named (reviewers, the confirmer, the
   * decider): one identity statement for a whole list. `stateOf` leaves the names out (null), so the
   * publication gate, sharing's protection and the grade refresh after a load read no names.
   */
  async function named(states: DatasetState[]): Promise<DatasetState[]> {
    const name = await peopleNames(
      states.flatMap((s) => [...s.columns.map((c) => c.review?.reviewed_by), s.confirmation?.userId, s.important.decision?.decided_by]),
    );
    return states.map((s) => ({
      ...s,
      columns: s.columns.map((c) => (c.review ? { ...c, review: { ...c.review, reviewer_name: name(c.review.reviewed_by) } } : c)),
      confirmation: s.confirmation && { ...s.confirmation, by: name(s.confirmation.userId) },
      important: withDecider(s.important, name),
    }));
  }

  /** 重要数据 facts with their deciders named, one identity statement for a whole list. */
  async function namedInfos(infos: CandidateInfo[]): Promise<CandidateInfo[]> {
    const name = await peopleNames(infos.map((i) => i.decision?.decided_by));
    return infos.map((i) => withDecider(i, name));
  }

  /** The provider's officers and the secadmin; anyone else: not found (no hint the dataset exists). */
  async function reviewable(principal: Principal, code: string): Promise<DatasetRow> {
    const d = await catalog.get(principal, code);
    const own = d.provider_org_id === principal.orgId && principal.roles.includes('data_officer');
    if (!own && !principal.roles.includes('secadmin')) throw new NotFoundError(DATASET);
    return d;
  }

  /**
   * A column with no personal type at 1级/2级 (城市, 男/女, 状态) is shown as it is, so the reviewer can
   * judge it; any personal value found inside is still masked.
   */
  const shownPlain = (c: ColumnState) => !c.effectiveType && !c.detected.text && c.effectiveGrade <= 2;

  /**
   * Examples of a column: masked (of a free-text column: masked spans), decrypted first when stored
   * encrypted; a 1级/2级 column without a personal type as it is, with personal values inside masked.
   */
  async function examplesOf(d: DatasetRow, c: ColumnState): Promise<string[]> {
    const text = c.detected.text;
    const values = await repo.sampleValues(d.relation, c.physical, text ? TEXT_SAMPLE : EXAMPLES);
    const cipher = c.encrypted && values.length ? fieldCipherOf(await keyring.datasetKeys(d.id)) : undefined;
    const clear = values.map((v) => clearOf(v, c.encrypted ? cipher : undefined));
    // Free text: never the value itself, only the spans found in it, masked.
    if (text)
      return exampleSpans(
        clear.filter((v): v is string => v !== null),
        text,
        EXAMPLES,
      );
    return clear.map((v) => (v === null ? '******' : shown(c, v)));
  }

  /** A stored value in clear: decrypted when its column is encrypted; null when it cannot be. */
  function clearOf(value: string, cipher: ReturnType<typeof fieldCipherOf> | undefined): string | null {
    if (!cipher) return value;
    try {
      return cipher.decrypt(value);
    } catch {
      return null;
    }
  }

  /**
   * A clear value as the review shows it: masked by its column's type; a 1级/2级 column without a
   * personal type (or free text) as it is, with the personal values found inside masked.
   */
  function shown(c: ColumnState, value: string): string {
    return shownPlain(c) || c.detected.text ? redactString(value, (type, v) => mask(type, v)) : mask(c.effectiveType ?? undefined, value);
  }

  /** Writes effective grades to 信息项 and the dataset (for the catalogue's grade facet). */
  async function storeEffectiveGrades(s: DatasetState): Promise<void> {
    await catalog.storeGrades(
      s.dataset.id,
      s.columns.map((c) => ({ name: c.name, grade: c.effectiveGrade })),
      s.effectiveGrade,
    );
  }

  const service = {
    stateOf,
    loadPolicy: () => loadPolicy(db),

    /**
     * Each column's type, grade and sensitivity as the dataset's last confirmation recorded them
     * (undefined: never confirmed), inside the caller's transaction when it passes one (`q`: security
     * operations' worker).
     */
    confirmedColumns: (datasetId: string, q: Queryable = db) => reviewRepo(q).lastConfirmedColumns(datasetId),

    /** The review page: per column detection, evidence, effective grade, review and masked examples. */
    async view(caller: Caller, code: string) {
      const d = await reviewable(caller.principal, code);
      const s = await stateOf(d);
      const examples = d.current_version > 0 ? await Promise.all(s.columns.map((c) => examplesOf(d, c))) : s.columns.map(() => []);
      // Examples are values of the dataset: recorded like any data response (DataResponseDetails).
      await record(caller, {
        action: 'classification.view',
        result: 'success',
        dataset: code,
        details: {
          columns: s.columns.map((c) => ({ name: c.name, mode: shownPlain(c) ? 'clear' : 'masked' })),
          rowCount: Math.max(0, ...examples.map((e) => e.length)),
          purpose: 'classification review',
        },
      });
      return { ...(await named([s]))[0]!, examples };
    },

    /**
     * The first rows of the current version as the provider's officer or the secadmin may see them
     * on the dataset page: every value shown as the review shows it (masked by type, plain only for
     * 1级/2级 columns without a personal type, persons in free text masked), recorded as a data
     * response.
     */
    async preview(caller: Caller, code: string, limit: number) {
      const d = await reviewable(caller.principal, code);
      const s = await stateOf(d);
      const columns = s.columns.map((c) => ({
        name: c.name,
        mode: shownPlain(c) ? ('clear' as const) : c.detected.text ? ('redacted' as const) : ('masked' as const),
      }));
      if (d.current_version === 0) return { version: 0, columns, rows: [] as (string | null)[][] };
      const stored = await repo.firstRows(
        d.relation,
        s.columns.map((c) => c.physical),
        limit,
      );
      const cipher = s.columns.some((c) => c.encrypted) && stored.length ? fieldCipherOf(await keyring.datasetKeys(d.id)) : undefined;
      const rows = stored.map((row) =>
        s.columns.map((c, i) => {
          const value = row[i] ?? null;
          if (value === null) return null;
          const clear = clearOf(value, c.encrypted ? cipher : undefined);
          return clear === null ? '******' : shown(c, clear);
        }),
      );
      await record(caller, {
        action: 'dataset.preview',
        result: 'success',
        dataset: code,
        details: { columns, rowCount: rows.length, purpose: 'dataset page preview' },
      });
      return { version: d.current_version, columns, rows };
    },

    /** Datasets with data of the caller's organisation (secadmin: all), with their review state. */
    async list(principal: Principal) {
      const seesAll = principal.roles.includes('secadmin');
      const ids = await catalog.loadedDatasetIds(seesAll ? null : principal.orgId);
      const policy = await loadPolicy(db);
      const out: DatasetState[] = [];
      for (const id of ids) {
        const d = await catalog.byId(id);
        if (d) out.push(await stateOf(d, policy));
      }
      return named(out);
    },

    /**
     * The officer's review of the current version: each listed column is confirmed as detected or
     * overridden (a reason is required for an override); unlisted columns keep their decision in force
     * (an override stays, otherwise they are confirmed as detected). Then the whole dataset counts as
     * confirmed for this version.
     */
    async review(caller: Caller, code: string, input: { version?: number; columns: ColumnDecision[] }) {
      const d = await catalog.getOwned(caller.principal, code);
      if (d.current_version === 0) throw new ConflictError('no_data', { zh: '尚无数据版本，无法复核分类分级', en: 'No version loaded yet: nothing to review' });
      if (input.version !== undefined && input.version !== d.current_version) {
        throw new ConflictError(
          'classification_stale',
          {
            zh: `数据已更新到第 ${d.current_version} 版，请刷新后重新复核`,
            en: `The dataset moved on to version ${d.current_version}; reload and review again`,
          },
          { currentVersion: d.current_version },
        );
      }
      const before = await stateOf(d);
      const byName = new Map(before.columns.map((c) => [c.name, c]));
      const seen = new Set<string>();
      const decisions = input.columns.map((decision) => {
        const column = byName.get(decision.name);
        if (!column)
          throw new BadRequestError(
            'unknown_column',
            { zh: `信息项不存在：${decision.name}`, en: `Unknown column: ${decision.name}` },
            { column: decision.name },
          );
        if (seen.has(decision.name))
          throw new BadRequestError(
            'duplicate_column',
            { zh: `信息项重复：${decision.name}`, en: `Column listed twice: ${decision.name}` },
            { column: decision.name },
          );
        seen.add(decision.name);
        const override = decision.type !== column.detectedType || decision.grade !== column.detected.grade;
        const reason = (decision.reason ?? '').trim();
        if (override && reason.length < 2) {
          throw new BadRequestError(
            'reason_required',
            { zh: `修改识别结果须填写理由：${decision.name}`, en: `An override needs a written reason: ${decision.name}` },
            { column: decision.name, field: 'reason' },
          );
        }
        return { column, decision, override, reason };
      });
      const snapshot: Record<string, ConfirmedColumn> = Object.fromEntries(
        before.columns.map((c) => [c.name, { type: c.detectedType, grade: c.detected.grade, sensitive: c.detected.sensitive }]),
      );
      await db.transaction(async (tx) => {
        const r = reviewRepo(tx);
        for (const { column, decision, override, reason } of decisions) {
          await r.insertReview({
            dataset_id: d.id,
            column_name: column.name,
            version: d.current_version,
            confirmed_type: decision.type,
            grade: decision.grade,
            detected_type: column.detectedType,
            detected_grade: column.detected.grade,
            override,
            reason,
            reviewed_by: caller.principal.userId,
          });
        }
        await r.insertConfirmation(d.id, d.current_version, snapshot, caller.principal.userId);
      });
      const after = await stateOf(d);
      await storeEffectiveGrades(after);
      await record(caller, {
        action: 'classification.review',
        result: 'success',
        dataset: code,
        target: { type: 'dataset', id: d.id, label: d.name },
        details: {
          version: d.current_version,
          columns: decisions.map(({ column, decision, override, reason }) => ({
            name: column.name,
            detectedType: column.detectedType,
            detectedGrade: column.detected.grade,
            type: decision.type,
            grade: decision.grade,
            override,
            ...(reason ? { reason } : {}),
          })),
          effectiveGrade: after.effectiveGrade,
          replaceColumns: after.replaceColumns,
        },
      });
      return (await named([after]))[0]!;
    },

    /** Publication gate: see the module comment. Throws ConflictError naming the columns. */
    async assertPublishable(d: DatasetRow): Promise<void> {
      const s = await stateOf(d);
      if (s.state === 'unreviewed') {
        const names = s.columns.map((c) => c.name);
        throw new ConflictError(
          'classification_review_required',
          {
            zh: `发布前须由数据管理员复核确认分类分级（待复核信息项：${namesOf(names, 'zh')}）`,
            en: `The data officer must review and confirm the classification before publishing (columns to review: ${namesOf(names, 'en')})`,
          },
          { columns: names },
        );
      }
      if (s.state === 'changed') {
        throw new ConflictError(
          'classification_review_required',
          {
            zh: `新版本的识别结果高于已确认的分类分级，须重新复核：${namesOf(s.flaggedColumns, 'zh')}`,
            en: `The new version's detection rose above the confirmed classification; review again: ${namesOf(s.flaggedColumns, 'en')}`,
          },
          { columns: s.flaggedColumns },
        );
      }
      if (s.replaceColumns.length) {
        throw new ConflictError(
          'replace_upload_required',
          {
            zh: `以下信息项已定为 4 级但以明文存储，须以替换方式重新上传数据后方可发布：${namesOf(s.replaceColumns, 'zh')}`,
            en: `These columns are grade 4 but stored in clear; upload the data again in replace mode before publishing: ${namesOf(s.replaceColumns, 'en')}`,
          },
          { columns: s.replaceColumns },
        );
      }
    },

    /** 重要数据 candidates (undecided; with `all`, decided ones too) for the secadmin, under the policy in force. */
    async candidates(principal: Principal, options: { all?: boolean } = {}) {
      const policy = await loadPolicy(db);
      const out: { dataset: DatasetRow; info: CandidateInfo }[] = [];
      for (const id of await catalog.loadedDatasetIds(null)) {
        const d = await catalog.byId(id);
        if (!d || !catalog.visible(d, principal)) continue;
        const stored = (await catalog.versionClassification(d.id, d.current_version)) as StoredClassification | null;
        const info = await candidateOf(d, stored, policy);
        if ((info.candidate && !info.decision) || (options.all && (info.candidate || info.decision))) out.push({ dataset: d, info });
      }
      const infos = await namedInfos(out.map((o) => o.info));
      return out.map((o, k) => ({ ...o, info: infos[k]! }));
    },

    /** The secadmin's decision on a candidate: 重要数据, 核心数据, or general data; reason required. */
    async decide(caller: Caller, code: string, input: { level: DataLevel; reason: string }) {
      const d = await catalog.get(caller.principal, code);
      const stored = d.current_version > 0 ? ((await catalog.versionClassification(d.id, d.current_version)) as StoredClassification | null) : null;
      const info = await candidateOf(d, stored, await loadPolicy(db));
      if (!info.candidate && !info.decision) {
        throw new ConflictError('not_a_candidate', { zh: '该数据资源不是重要数据候选', en: 'This dataset is not an important-data candidate' });
      }
      const reason = input.reason.trim();
      if (reason.length < 2)
        throw new BadRequestError('reason_required', { zh: '认定须填写理由', en: 'A decision needs a written reason' }, { field: 'reason' });
      await repo.insertDecision({
        datasetId: d.id,
        version: d.current_version,
        level: input.level,
        reason,
        candidateReasons: info.reasons,
        userId: caller.principal.userId,
      });
      await record(caller, {
        action: 'classification.important_decision',
        result: 'success',
        dataset: code,
        target: { type: 'dataset', id: d.id, label: d.name },
        details: { level: input.level, reason, version: d.current_version, candidateReasons: info.reasons },
      });
      const [named] = await namedInfos([{ ...info, decision: unnamedDecision(await repo.lastDecision(d.id)) }]);
      return { dataset: d, info: named! };
    },

    /** Level (general/important/core) and default protection of a dataset, for sharing. */
    async protectionOf(datasetId: string) {
      const d = await catalog.byId(datasetId);
      if (!d) throw new NotFoundError(DATASET);
      const s = await stateOf(d);
      return { level: s.level, grade: s.effectiveGrade, importantCandidate: s.important.candidate && !s.important.decision, protection: s.protection };
    },

    /** Re-applies overrides after ingestion loaded a version (dataset and column grades = effective). */
    async refreshEffectiveGrades(datasetId: string): Promise<void> {
      const d = await catalog.byId(datasetId);
      if (d) await storeEffectiveGrades(await stateOf(d));
    },

    async setPolicy(caller: Caller, policy: GradePolicy): Promise<GradePolicy> {
      const parsed = policySchema.parse(policy) as GradePolicy;
      const before = await loadPolicy(db);
      await repo.savePolicy(parsed);
      await record(caller, {
        action: 'classification.policy_change',
        result: 'success',
        target: { type: 'setting', id: 'classify.policy' },
        details: {
          before: {
            importantPersonThreshold: before.importantPersonThreshold,
            rules: before.extraRules.map((r) => r.id),
            defaultGrade: before.defaultGrade,
            encryptFromGrade: before.encryptFromGrade ?? 4,
          },
          after: {
            importantPersonThreshold: parsed.importantPersonThreshold,
            rules: parsed.extraRules.map((r) => r.id),
            defaultGrade: parsed.defaultGrade,
            encryptFromGrade: parsed.encryptFromGrade ?? 4,
          },
        },
      });
      return parsed;
    },
  };
  return service;
}

export type ReviewService = ReturnType<typeof createReviewService>;
