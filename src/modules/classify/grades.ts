/**
 * Grading (分级) as data and pure functions: the default type → category/sensitivity/grade table
 * (standards.md §2, GB/T 35273 categories), the grade → protection table (which grades are encrypted at
 * rest, which masking is the default for sharing), dataset grading (就高从严) and the 重要数据-candidate
 * rule. Everything the security administrator may change lives in a JSON-storable GradePolicy.
 *
 * Encoding of the levels: `grade` 1..4 is 一般数据 1级..4级. 重要数据 and 核心数据 are not grades above 4
 * but a separate level (DataLevel); the engine only ever proposes 重要数据 *candidates*
 * (`importantCandidate: true`), which stay 4级-protected until the review decides. A reviewed dataset
 * stores `level: 'important' | 'core'` beside its grade.
 */
import type { ColumnResult, ColumnType, Grade, TypeId } from './types.ts';

export type DataLevel = 'general' | 'important' | 'core';

/** GB/T 35273-2020 annex A personal-information categories. */
export const PI_CATEGORIES = [
  '个人基本资料',
  '个人身份信息',
  '个人生物识别信息',
  '网络身份标识信息',
  '个人健康生理信息',
  '个人教育工作信息',
  '个人财产信息',
  '个人通信信息',
  '联系人信息',
  '个人上网记录',
  '个人常用设备信息',
  '个人位置信息',
  '其他',
] as const;
export type PiCategory = (typeof PI_CATEGORIES)[number];

export interface TypeGrading {
  /** null: not personal information (enterprise identifiers). */
  category: PiCategory | null;
  /** 个人敏感信息. */
  sensitive: boolean;
  grade: Grade;
}

/** Default grading per type (standards.md §2). */
export const DEFAULT_TYPE_GRADING: Readonly<Record<TypeId, TypeGrading>> = {
  cn_resident_id: { category: '个人身份信息', sensitive: true, grade: 4 },
  passport: { category: '个人身份信息', sensitive: true, grade: 4 },
  hk_macau_permit: { category: '个人身份信息', sensitive: true, grade: 4 },
  tw_permit: { category: '个人身份信息', sensitive: true, grade: 4 },
  bank_card: { category: '个人财产信息', sensitive: true, grade: 4 },
  gps: { category: '个人位置信息', sensitive: true, grade: 4 },
  person_name: { category: '个人基本资料', sensitive: false, grade: 3 },
  cn_mobile: { category: '个人基本资料', sensitive: false, grade: 3 },
  cn_landline: { category: '个人基本资料', sensitive: false, grade: 3 },
  email: { category: '个人基本资料', sensitive: false, grade: 3 },
  address: { category: '个人基本资料', sensitive: false, grade: 3 },
  date_of_birth: { category: '个人基本资料', sensitive: false, grade: 3 },
  cn_plate: { category: '其他', sensitive: false, grade: 3 },
  ipv4: { category: '网络身份标识信息', sensitive: false, grade: 3 },
  ipv6: { category: '网络身份标识信息', sensitive: false, grade: 3 },
  mac: { category: '个人常用设备信息', sensitive: false, grade: 3 },
  cn_uscc: { category: null, sensitive: false, grade: 2 },
  cn_org_code: { category: null, sensitive: false, grade: 2 },
};

/** Network identifiers are personal information only when the dataset ties them to a person (§2: "ipv4/ipv6 tied to a person"). */
const PERSON_TIED_ONLY: ReadonlySet<TypeId> = new Set(['ipv4', 'ipv6', 'mac']);

/**
 * A secadmin-maintained 重要数据 rule. Every condition that is set must hold. Stored as JSON.
 * Example: { id: 'genetic', description: '基因数据', headerPattern: '基因|遗传', minRows: 1 }.
 */
export interface ImportantRule {
  id: string;
  description: string;
  /** At least one column was detected as one of these types. */
  types?: TypeId[];
  /** At least one column header matches this regular expression (case-insensitive). */
  headerPattern?: string;
  minRows?: number;
  minDistinctPersons?: number;
}

export interface GradePolicy {
  /** Grade of a column where nothing was recognised: 2 (internal business data) by default, 就高从严; 1 only when declared public. */
  defaultGrade: Grade;
  /** Overrides of DEFAULT_TYPE_GRADING. */
  types: Partial<Record<TypeId, TypeGrading>>;
  /** 重要数据 candidate from this many distinct persons (default 1,000,000). */
  importantPersonThreshold: number;
  extraRules: ImportantRule[];
  /**
   * Lowest grade whose columns are encrypted at rest: 4 (default, standards.md §2) or 3, so that
   * names, phones, addresses and birth dates are ciphertext in the database too. Applies to every
   * load from the moment it is set; versions loaded before stay as they were until replaced.
   */
  encryptFromGrade?: 3 | 4;
}

export const DEFAULT_POLICY: GradePolicy = {
  defaultGrade: 2,
  types: {},
  importantPersonThreshold: 1_000_000,
  extraRules: [],
  encryptFromGrade: 4,
};

export function gradingOf(type: TypeId, policy: GradePolicy = DEFAULT_POLICY): TypeGrading {
  return policy.types[type] ?? DEFAULT_TYPE_GRADING[type];
}

/**
 * Category, sensitivity and grade of one column from its detected types: the highest grade wins
 * (就高从严), its category is the column's category. `personTied` says whether the dataset holds
 * personal information elsewhere (decides whether an IP/MAC column is personal).
 */
export function gradeColumn(
  types: ColumnType[],
  personTied: boolean,
  policy: GradePolicy = DEFAULT_POLICY,
): Pick<ColumnResult, 'category' | 'sensitive' | 'grade'> {
  let best: TypeGrading | null = null;
  let sensitive = false;
  for (const { type } of types) {
    let g = gradingOf(type, policy);
    if (PERSON_TIED_ONLY.has(type) && !personTied && !policy.types[type]) g = { category: null, sensitive: false, grade: 2 };
    sensitive ||= g.sensitive;
    if (!best || g.grade > best.grade || (g.grade === best.grade && best.category === null && g.category !== null)) best = g;
  }
  if (!best) return { category: null, sensitive: false, grade: policy.defaultGrade };
  return { category: best.category, sensitive, grade: Math.max(best.grade, policy.defaultGrade) as Grade };
}

/** Dataset grade: the highest column grade (就高从严); the default grade for a table without columns. */
export function datasetGrade(columns: Pick<ColumnResult, 'grade'>[], policy: GradePolicy = DEFAULT_POLICY): Grade {
  let grade = policy.defaultGrade;
  for (const c of columns) if (c.grade > grade) grade = c.grade;
  return grade;
}

/** What the 重要数据 rules look at. */
export interface ImportantInput {
  rows: number;
  columns: { name: string; types: { type: TypeId }[] }[];
  /** Distinct persons (see engine.ts), with the estimate's relative standard error (0 when exact). */
  distinctPersons: number;
  distinctStandardError: number;
}

export interface ImportantDecision {
  candidate: boolean;
  /** Human-readable reasons (zh / en), for the review queue. */
  reasons: string[];
}

/**
 * 重要数据 candidate: personal information of ≥ threshold distinct persons, or any extra rule. With an
 * estimated (HyperLogLog) count the rule fires from threshold × (1 − 2σ): a count that may be over the
 * line is flagged for review rather than missed (就高从严).
 */
export function importantCandidate(input: ImportantInput, policy: GradePolicy = DEFAULT_POLICY): ImportantDecision {
  const reasons: string[] = [];
  const reaches = (threshold: number) => input.distinctPersons >= threshold * (1 - 2 * input.distinctStandardError);
  if (input.distinctPersons > 0 && reaches(policy.importantPersonThreshold)) {
    reasons.push(
      `个人信息涉及约 ${input.distinctPersons} 人，达到 ${policy.importantPersonThreshold} 人阈值 / personal information of about ${input.distinctPersons} persons reaches the ${policy.importantPersonThreshold} threshold`,
    );
  }
  for (const rule of policy.extraRules) if (ruleHolds(rule, input, reaches)) reasons.push(`规则 ${rule.id}：${rule.description}`);
  return { candidate: reasons.length > 0, reasons };
}

function ruleHolds(rule: ImportantRule, input: ImportantInput, reaches: (n: number) => boolean): boolean {
  const hasCondition = rule.types !== undefined || rule.headerPattern !== undefined || rule.minRows !== undefined || rule.minDistinctPersons !== undefined;
  if (!hasCondition) return false;
  if (rule.types && !input.columns.some((c) => c.types.some((t) => rule.types!.includes(t.type)))) return false;
  if (rule.headerPattern !== undefined) {
    const re = new RegExp(rule.headerPattern, 'i');
    if (!input.columns.some((c) => re.test(c.name))) return false;
  }
  if (rule.minRows !== undefined && input.rows < rule.minRows) return false;
  if (rule.minDistinctPersons !== undefined && !reaches(rule.minDistinctPersons)) return false;
  return true;
}

/** Default protection of a grade (standards.md §2, "grades drive protection"). */
export interface GradeProtection {
  grade: Grade;
  label: { zh: string; en: string };
  /** Column values are stored encrypted (envelope encryption). */
  encryptAtRest: boolean;
  /** Default operator when the column is shared: masked per standards.md §3, or clear. */
  defaultShare: 'masked' | 'clear';
  /** Approvals needed to share in clear: the provider's, and for 4级 also the platform security administrator's. */
  clearRequires: ('provider' | 'security')[];
  /** May appear in open data (开放). */
  openable: boolean;
}

export const GRADE_PROTECTION: Readonly<Record<Grade, GradeProtection>> = {
  4: {
    grade: 4,
    label: { zh: '一般数据 4级', en: 'general data, grade 4' },
    encryptAtRest: true,
    defaultShare: 'masked',
    clearRequires: ['provider', 'security'],
    openable: false,
  },
  3: {
    grade: 3,
    label: { zh: '一般数据 3级', en: 'general data, grade 3' },
    encryptAtRest: false,
    defaultShare: 'masked',
    clearRequires: ['provider'],
    openable: false,
  },
  2: { grade: 2, label: { zh: '一般数据 2级', en: 'general data, grade 2' }, encryptAtRest: false, defaultShare: 'clear', clearRequires: [], openable: false },
  1: { grade: 1, label: { zh: '一般数据 1级', en: 'general data, grade 1' }, encryptAtRest: false, defaultShare: 'clear', clearRequires: [], openable: true },
};

/** Protection of a grade; a 重要数据 candidate (or reviewed important/core data) is protected as 4级. */
export function protectionFor(grade: Grade, level: DataLevel = 'general', importantCandidate = false): GradeProtection {
  return GRADE_PROTECTION[level !== 'general' || importantCandidate ? 4 : grade];
}

export interface ColumnProtection {
  encryptAtRest: boolean;
  /** 'masked' uses the masking of `maskAs` (standards.md §3); 'clear' shares the value as it is. */
  defaultOperator: 'masked' | 'clear';
  /** The type whose masking applies (the column's highest-graded type), or null. */
  maskAs: TypeId | null;
  clearRequires: ('provider' | 'security')[];
}

/** The default protection of one column: from its grade, masked as its highest-graded type. */
export function columnProtection(column: Pick<ColumnResult, 'types' | 'grade'>, policy: GradePolicy = DEFAULT_POLICY): ColumnProtection {
  const p = GRADE_PROTECTION[column.grade];
  let maskAs: TypeId | null = null;
  let best = 0;
  for (const { type } of column.types) {
    const g = gradingOf(type, policy).grade;
    if (g > best) {
      best = g;
      maskAs = type;
    }
  }
  const encryptAtRest = p.encryptAtRest || column.grade >= (policy.encryptFromGrade ?? 4);
  return { encryptAtRest, defaultOperator: p.defaultShare, maskAs, clearRequires: p.clearRequires };
}
