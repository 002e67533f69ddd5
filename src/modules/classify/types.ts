/**
 * Shared types of the classification engine. Every result here is plain JSON so the review workflow can
 * store it as it is (jsonb) and the console can show it.
 */

/** The identifier types of standards.md §1. */
export const TYPE_IDS = [
  'cn_resident_id',
  'cn_uscc',
  'cn_org_code',
  'cn_mobile',
  'cn_landline',
  'bank_card',
  'email',
  'passport',
  'hk_macau_permit',
  'tw_permit',
  'cn_plate',
  'ipv4',
  'ipv6',
  'mac',
  'gps',
  'date_of_birth',
  'person_name',
  'address',
] as const;
export type TypeId = (typeof TYPE_IDS)[number];

/** Chinese labels of the types, for reports, the CLI and the review examples. */
export const TYPE_LABELS: Readonly<Record<TypeId, string>> = {
  cn_resident_id: '居民身份证号',
  cn_uscc: '统一社会信用代码',
  cn_org_code: '组织机构代码',
  cn_mobile: '手机号',
  cn_landline: '固定电话',
  bank_card: '银行卡号',
  email: '电子邮箱',
  passport: '护照号',
  hk_macau_permit: '港澳通行证',
  tw_permit: '台胞证',
  cn_plate: '机动车号牌',
  ipv4: 'IPv4地址',
  ipv6: 'IPv6地址',
  mac: 'MAC地址',
  gps: '经纬度',
  date_of_birth: '出生日期',
  person_name: '姓名',
  address: '地址',
};

export function isTypeId(value: string): value is TypeId {
  return (TYPE_IDS as readonly string[]).includes(value);
}

/** Outcome of checking one value: no = not this shape; match = valid; failed = right shape, failed the checksum/date/range. */
export const NO = 0;
export const MATCH = 1;
export const FAILED = 2;
export type Verdict = typeof NO | typeof MATCH | typeof FAILED;

/**
 * How much a value match alone tells:
 * - checksum: a check digit/date/province validates the value (IDs, USCC, org code, Luhn);
 * - pattern: a specific pattern with strict ranges (mobile, email, ip …);
 * - weak: the pattern alone collides with other data; the column header (or text context) must say it.
 */
export type Strength = 'checksum' | 'pattern' | 'weak';

/** One detected type of a column, with the evidence behind it. */
export interface ColumnType {
  type: TypeId;
  /** 0..1, rounded to 3 decimals. */
  confidence: number;
  /** Share of the non-empty values that are valid values of the type (0..1). */
  matched: number;
  /** Share of the non-empty values that have the type's shape but fail its checksum, date or range (0..1). */
  checksumFailed: number;
}

/** 1..4 = 一般数据 1级..4级 (GB/T 43697). 重要数据 / 核心数据 are a separate level, see grades.ts. */
export type Grade = 1 | 2 | 3 | 4;

/** A free-text column (信访 事项内容, 处理意见): graded by the spans found in its values. */
export interface FreeTextResult {
  /** Span types found, most sensitive (highest grade) first, with how many spans of each. */
  spans: { type: TypeId; count: number }[];
  /** Values scanned for spans (a sample on large tables, see engine.ts). */
  scanned: number;
}

export interface ColumnResult {
  name: string;
  /** 0-based position in the table. */
  index: number;
  /** Detected types, most confident first; empty when nothing was recognised (and for free text). */
  types: ColumnType[];
  /** Present when the column holds free text: the spans its values contain. */
  text?: FreeTextResult;
  /** GB/T 35273 personal-information category (个人身份信息 …), or null when not personal information. */
  category: string | null;
  /** 个人敏感信息 (GB/T 35273). */
  sensitive: boolean;
  grade: Grade;
}

/** The JSON of `pdx scan --json` for a table. */
export interface TableScanResult {
  kind: 'table';
  /** Data rows classified (without the header). */
  rows: number;
  columns: ColumnResult[];
  /** Dataset grade: the highest column grade (就高从严). */
  grade: Grade;
  /** 重要数据 candidate: to be reviewed by the security administrator (see grades.ts). */
  importantCandidate: boolean;
}

/** One finding in free text. Offsets are in characters (Unicode code points), end exclusive. */
export interface TextFinding {
  type: TypeId;
  start: number;
  end: number;
  /** The value masked per standards.md §3; never the clear value. */
  masked: string;
}

/** The JSON of `pdx scan --json` for free text. */
export interface TextScanResult {
  kind: 'text';
  findings: TextFinding[];
}

export type ScanResult = TableScanResult | TextScanResult;
