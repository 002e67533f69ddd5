/**
 * Per-column classification over streamed values (issue 5, part 2).
 *
 * Every value of every column is checked by the recognizers that can start with its first character;
 * per column and recognizer the engine counts matches and checksum/date/range failures, so memory is
 * O(columns) whatever the number of rows (plus the bounded distinct counters of identifier columns).
 *
 * Confidence of a type for a column (0..1):
 *   base = matched − failed (for checksummed and pattern types: a column of 18-digit numbers that mostly
 *          fail the ID checksum scores 0, it is an order number), or matched (address, weak types);
 *   header names the type      → 0.6 + 0.4·base from base 0.2 (a 联系电话 column of 40% landlines has
 *                                 landlines), 3·base below
 *   header contradicts it      → 0.5·base (订单号 over phone-shaped numbers, 单位名称 over names)
 *   no header hint             → base × 0.95 (checksum), 0.9 (pattern), 0.85 (names), 0.35 (weak types:
 *                                 passport, permits, birth dates, single coordinates, account numbers, which need an account header: 账号/账户/开户/account);
 *                                 bank cards without a header need known BINs on half of the cards (else 0.55).
 * A type is reported from confidence 0.6.
 *
 * Persons (for the 重要数据 rule): distinct values of the best identifying column type (resident ID, then
 * passport/permits, mobile, email, bank card, name), exact up to a bound then HyperLogLog (distinct.ts).
 * After the first 1,000 rows only the columns of the best identifying type seen so far keep counting.
 *
 * Free text (信访 事项内容, 处理意见): a column whose values are mostly prose (≥ 12 characters with
 * Han characters and punctuation or spaces) is scanned like a document (text.ts) and graded by the
 * most sensitive span type found (就高从严); its value types are not reported. Scanning costs far more
 * than checking a value, so a column scans its first 1,000 prose values, then every 20th, up to 8M
 * characters.
 *
 * Sampling: by default all rows are classified. `sampleRows: N` classifies the first N data rows only
 * (the "documented sample" for huge files; the caller runs the full pass later, e.g. in a background job)
 * and the result says `sampled: true` in its details.
 */
import { DistinctCounter, HLL_STANDARD_ERROR } from './distinct.ts';
import { DEFAULT_POLICY, datasetGrade, gradeColumn, gradingOf, importantCandidate, type GradePolicy } from './grades.ts';
import { headerHints, isAccountHeader, type HeaderHints } from './headers.ts';
import { hasKnownBin } from './recognizers/bank-card.ts';
import { candidatesFor, RECOGNIZERS } from './recognizers/index.ts';
import { findSpans } from './text.ts';
import { MATCH, FAILED, type ColumnResult, type ColumnType, type FreeTextResult, type TableScanResult, type TypeId } from './types.ts';

/** Confidence from which a type is reported. */
export const REPORT_THRESHOLD = 0.6;

/** Types that identify a person, best first: the distinct count of the first one present counts persons. */
export const PERSON_KEYS: readonly TypeId[] = ['cn_resident_id', 'passport', 'hk_macau_permit', 'tw_permit', 'cn_mobile', 'email', 'bank_card', 'person_name'];
const PERSON_KEY_SET = new Set<TypeId>(PERSON_KEYS);
const IS_PERSON_KEY = RECOGNIZERS.map((r) => PERSON_KEY_SET.has(r.type));
const NETWORK_TYPES = new Set<TypeId>(['ipv4', 'ipv6', 'mac']);
const BANK_CARD_INDEX = RECOGNIZERS.findIndex((r) => r.id === 'bank_card');

export interface ClassifyOptions {
  policy?: GradePolicy;
  /** Classify only the first N data rows (documented sample); default: all rows. */
  sampleRows?: number;
  /** Values kept exactly per identifier column before switching to HyperLogLog (default 100,000). */
  distinctExactLimit?: number;
}

export interface TableClassification {
  result: TableScanResult;
  details: {
    /** True when only the first `sampleRows` rows were classified. */
    sampled: boolean;
    /** The identifier type whose distinct values counted persons, and the count. */
    persons: { type: TypeId; count: number; exact: boolean } | null;
    importantReasons: string[];
  };
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 0x3000 || code === 0xa0 || code === 0xfeff;
}

/** Prose values scanned in full, then one in TEXT_STRIDE, up to TEXT_BUDGET characters per column. */
const TEXT_FULL = 1000;
const TEXT_STRIDE = 20;
const TEXT_BUDGET = 8_000_000;
/** Share of the non-empty values that must be prose for a column to be free text. */
const TEXT_SHARE = 0.5;

/** A prose value: long enough, several Han characters, and punctuation or spaces between words. */
function isProse(v: string): boolean {
  if (v.length < 12) return false;
  let han = 0;
  let separators = 0;
  const n = Math.min(v.length, 200);
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x4e00 && c <= 0x9fff) han++;
    else if (c === 0xff0c || c === 0x3002 || c === 0xff1b || c === 0xff1a || c === 0x3001 || c === 32 || c === 0xff01 || c === 0xff1f) separators++;
  }
  return han >= 6 && separators >= 1;
}

/** Counts of one column. */
export class ColumnStats {
  nonEmpty = 0;
  /** Prose values, those scanned for spans, the characters scanned, and the spans found per type. */
  prose = 0;
  proseScanned = 0;
  proseChars = 0;
  readonly spans = new Map<TypeId, number>();
  readonly matched = new Uint32Array(RECOGNIZERS.length);
  readonly failed = new Uint32Array(RECOGNIZERS.length);
  knownBin = 0;
  /** Distinct values that matched a person-identifying type (created on the first such match). */
  persons: DistinctCounter | null = null;

  constructor(private readonly exactLimit: number) {}

  add(raw: string): void {
    let v = raw;
    const n = v.length;
    if (n === 0) return;
    if (isSpace(v.charCodeAt(0)) || isSpace(v.charCodeAt(n - 1))) {
      v = v.trim().replace(/^\ufeff/, '');
      if (v.length === 0) return;
    }
    this.nonEmpty++;
    if (isProse(v)) this.addProse(v);
    const candidates = candidatesFor(v);
    let personKey = false;
    for (let k = 0; k < candidates.length; k++) {
      const i = candidates[k]!;
      const verdict = RECOGNIZERS[i]!.check(v);
      if (verdict === MATCH) {
        this.matched[i]!++;
        if (IS_PERSON_KEY[i]) personKey = true;
        if (i === BANK_CARD_INDEX && hasKnownBin(v)) this.knownBin++;
      } else if (verdict === FAILED) {
        this.failed[i]!++;
      }
    }
    if (personKey && this.countPersons) {
      // the same ID written with x or X is one person
      const key = v.charCodeAt(v.length - 1) === 120 ? v.toUpperCase() : v;
      (this.persons ??= new DistinctCounter(this.exactLimit)).add(key);
    }
  }

  private addProse(v: string): void {
    this.prose++;
    if (this.proseScanned >= TEXT_FULL && (this.prose % TEXT_STRIDE !== 0 || this.proseChars >= TEXT_BUDGET)) return;
    this.proseScanned++;
    this.proseChars += v.length;
    for (const span of findSpans(v)) this.spans.set(span.type, (this.spans.get(span.type) ?? 0) + 1);
  }

  /** The free-text result when most values are prose, else null. */
  freeText(policy: GradePolicy): FreeTextResult | null {
    if (this.nonEmpty === 0 || this.prose / this.nonEmpty < TEXT_SHARE) return null;
    const spans = [...this.spans].map(([type, count]) => ({ type, count }));
    spans.sort((a, b) => gradingOf(b.type, policy).grade - gradingOf(a.type, policy).grade || b.count - a.count);
    return { spans, scanned: this.proseScanned };
  }

  /** False once the engine decided this column does not identify the persons of the table. */
  countPersons = true;

  /** Share of the non-empty values that matched recognizers of `type`. */
  share(type: TypeId): number {
    let best = 0;
    for (let i = 0; i < RECOGNIZERS.length; i++) if (RECOGNIZERS[i]!.type === type) best = Math.max(best, this.matched[i]!);
    return this.nonEmpty === 0 ? 0 : best / this.nonEmpty;
  }
}

/** Rows after which the engine picks the identifying column(s) and stops counting distinct values elsewhere. */
const PERSON_DECISION_ROWS = 1000;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The detected types of one column from its counts and header (see the confidence rules above). */
export function decideTypes(stats: ColumnStats, hints: HeaderHints, accountHeader: boolean): ColumnType[] {
  const byType = new Map<TypeId, ColumnType>();
  if (stats.nonEmpty === 0) return [];
  for (let i = 0; i < RECOGNIZERS.length; i++) {
    const r = RECOGNIZERS[i]!;
    if (stats.matched[i] === 0) continue;
    const m = stats.matched[i]! / stats.nonEmpty;
    const f = stats.failed[i]! / stats.nonEmpty;
    const base = r.penalizeFailed ? Math.max(0, m - f) : m;
    const hint = r.id === 'bank_account' ? (accountHeader ? 1 : 0) : (hints[r.type] ?? 0);
    let confidence: number;
    if (hint > 0) confidence = base < 0.2 ? 3 * base : 0.6 + 0.4 * base;
    else if (hint < 0) confidence = 0.5 * base;
    else if (r.strength === 'weak') confidence = 0.35 * base;
    else if (r.id === 'bank_card') confidence = base * (stats.knownBin >= stats.matched[i]! / 2 ? 0.95 : 0.55);
    else if (r.id === 'person_name') confidence = 0.85 * base;
    else confidence = base * (r.strength === 'checksum' ? 0.95 : 0.9);
    if (confidence < REPORT_THRESHOLD) continue;
    const previous = byType.get(r.type);
    if (previous && previous.confidence >= confidence) continue;
    byType.set(r.type, { type: r.type, confidence: round(confidence, 3), matched: round(m, 4), checksumFailed: round(f, 4) });
  }
  return [...byType.values()].sort((a, b) => b.confidence - a.confidence);
}

/**
 * Streaming classifier of one table: feed rows with addRow, then finish(). Usable by ingestion (push
 * rows while loading) and by `pdx scan`.
 */
export class TableClassifier {
  private readonly stats: ColumnStats[];
  private readonly hints: HeaderHints[];
  private readonly accountHeaders: boolean[];
  private readonly policy: GradePolicy;
  private readonly sampleRows: number;
  private rows = 0;

  constructor(
    private readonly columns: readonly string[],
    options: ClassifyOptions = {},
  ) {
    const exactLimit = options.distinctExactLimit ?? 100_000;
    this.stats = columns.map(() => new ColumnStats(exactLimit));
    this.hints = columns.map((c) => headerHints(c));
    this.accountHeaders = columns.map((c) => isAccountHeader(c));
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.sampleRows = options.sampleRows ?? Infinity;
  }

  /** False once the sample is complete: the caller may stop reading. */
  get wantsMore(): boolean {
    return this.rows < this.sampleRows;
  }

  get rowCount(): number {
    return this.rows;
  }

  addRow(values: readonly (string | null | undefined)[]): void {
    if (this.rows >= this.sampleRows) return;
    if (this.rows === PERSON_DECISION_ROWS) this.choosePersonColumns();
    this.rows++;
    const n = Math.min(values.length, this.stats.length);
    for (let c = 0; c < n; c++) {
      const v = values[c];
      if (v) this.stats[c]!.add(v);
    }
  }

  finish(): TableClassification {
    const texts = this.stats.map((s) => s.freeText(this.policy));
    // A free-text column is graded by its spans; what its values looked like as single values does not count.
    const detected = this.stats.map((s, i) => (texts[i] ? [] : decideTypes(s, this.hints[i]!, this.accountHeaders[i]!)));
    const spanTypes = texts.map((t) => (t ? t.spans.map((x): ColumnType => ({ type: x.type, confidence: 1, matched: 0, checksumFailed: 0 })) : []));
    // An IP or MAC column is personal information only beside other personal information (§2).
    const personal = (types: ColumnType[]) => types.some((t) => !NETWORK_TYPES.has(t.type) && gradingOf(t.type, this.policy).category !== null);
    const personTied = detected.some(personal) || spanTypes.some(personal);
    const columns: ColumnResult[] = this.columns.map((name, index) => ({
      name,
      index,
      types: detected[index]!,
      ...gradeColumn(texts[index] ? spanTypes[index]! : detected[index]!, personTied, this.policy),
      ...(texts[index] ? { text: texts[index] } : {}),
    }));
    const persons = this.countPersons(detected);
    const decision = importantCandidate(
      {
        rows: this.rows,
        columns,
        distinctPersons: persons?.count ?? 0,
        distinctStandardError: persons && !persons.exact ? HLL_STANDARD_ERROR : 0,
      },
      this.policy,
    );
    return {
      result: { kind: 'table', rows: this.rows, columns, grade: datasetGrade(columns, this.policy), importantCandidate: decision.candidate },
      details: { sampled: this.rows >= this.sampleRows, persons, importantReasons: decision.reasons },
    };
  }

  /**
   * Distinct counting costs a hash per value: after the first rows, keep it only on the columns of the
   * best identifying type seen so far (most of their values match it). If the final classification
   * picks another type, countPersons falls back to the columns still counted.
   */
  private choosePersonColumns(): void {
    for (const key of PERSON_KEYS) {
      const chosen = this.stats.map((s) => s.share(key) >= 0.5);
      if (!chosen.some(Boolean)) continue;
      this.stats.forEach((s, i) => {
        if (!chosen[i]) {
          s.countPersons = false;
          s.persons = null;
        }
      });
      return;
    }
  }

  /** Distinct values of the best person-identifying type present (union over its columns). */
  private countPersons(detected: ColumnType[][]): { type: TypeId; count: number; exact: boolean } | null {
    for (const key of PERSON_KEYS) {
      const union = new DistinctCounter();
      let found = false;
      detected.forEach((types, i) => {
        const counter = this.stats[i]!.persons;
        if (counter && types.some((t) => t.type === key)) {
          union.merge(counter);
          found = true;
        }
      });
      if (found) return { type: key, count: union.count(), exact: union.isExact };
    }
    return null;
  }
}

/** Classifies a stream of rows (all of them, or the first `sampleRows`). */
export async function classifyRows(
  columns: readonly string[],
  rows: AsyncIterable<{ values: readonly (string | null)[] }> | Iterable<{ values: readonly (string | null)[] }>,
  options: ClassifyOptions = {},
): Promise<TableClassification> {
  const classifier = new TableClassifier(columns, options);
  for await (const row of rows) {
    classifier.addRow(row.values);
    if (!classifier.wantsMore) break;
  }
  return classifier.finish();
}
