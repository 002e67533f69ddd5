/**
 * The quality report of a version, built while its rows stream past: row count, per-column null
 * rate and invalid count, duplicate keys, and the first examples of failures with their lines.
 * Memory is per column plus the kept examples; the report is plain JSON.
 */
import type { RuleFailure, RuleName, Validator } from './validate.ts';

export interface ColumnQuality {
  name: string;
  nulls: number;
  /** nulls / rows (0 for an empty table), rounded to 4 decimals. */
  nullRate: number;
  /** Values of this column that broke at least one rule (a row's value counts once). */
  invalid: number;
}

export interface QualityReport {
  rows: number;
  /** Rows with at least one failure (those a dataset either rejects or quarantines). */
  invalidRows: number;
  columns: ColumnQuality[];
  /** Rows whose unique key repeated an earlier row's. */
  duplicateKeys: number;
  /** Whether uniqueness was checked over the whole file ('incomplete': a key set hit its bound). */
  keyCheck: 'none' | 'complete' | 'incomplete';
  /** Failures by rule, over the whole file. */
  failuresByRule: Partial<Record<RuleName, number>>;
  /** The first failures (up to the limit), in file order, values masked. */
  examples: RuleFailure[];
  /** Invalid rows' lines, up to the limit, for listing the quarantined ones. */
  invalidLines: number[];
}

export interface QualityOptions {
  /** Failure examples kept (default 50). */
  maxExamples?: number;
  /** Lines of invalid rows kept (default 1000). */
  maxInvalidLines?: number;
}

export class QualityCollector {
  private rows = 0;
  private invalidRows = 0;
  private readonly nulls: number[];
  private readonly invalid: number[];
  private readonly byRule: Partial<Record<RuleName, number>> = {};
  private readonly examples: RuleFailure[] = [];
  private readonly invalidLines: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly maxExamples: number;
  private readonly maxInvalidLines: number;

  constructor(
    readonly columns: readonly string[],
    options: QualityOptions = {},
  ) {
    this.nulls = new Array<number>(columns.length).fill(0);
    this.invalid = new Array<number>(columns.length).fill(0);
    columns.forEach((c, i) => this.index.set(c, i));
    this.maxExamples = options.maxExamples ?? 50;
    this.maxInvalidLines = options.maxInvalidLines ?? 1000;
  }

  /** One row and its failures (null when it broke no rule), e.g. from Validator.check. */
  add(values: readonly (string | null)[], line: number, failures: readonly RuleFailure[] | null): void {
    this.rows++;
    const n = this.nulls.length;
    for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) this.nulls[i]!++;
    if (failures === null || failures.length === 0) return;
    this.invalidRows++;
    if (this.invalidLines.length < this.maxInvalidLines) this.invalidLines.push(line);
    let counted: Set<number> | undefined;
    for (const f of failures) {
      this.byRule[f.rule] = (this.byRule[f.rule] ?? 0) + 1;
      if (this.examples.length < this.maxExamples) this.examples.push(f);
      // A composite key failure is named a+b: it counts against each of its columns.
      for (const name of f.rule === 'unique' ? f.column.split('+') : [f.column]) {
        const i = this.index.get(name);
        if (i === undefined) continue;
        counted ??= new Set();
        if (!counted.has(i)) {
          counted.add(i);
          this.invalid[i]!++;
        }
      }
    }
  }

  /** The report so far; pass the validator for the duplicate-key figures. */
  report(validator?: Pick<Validator, 'duplicateKeys' | 'keyCheck'>): QualityReport {
    const rows = this.rows;
    return {
      rows,
      invalidRows: this.invalidRows,
      columns: this.columns.map((name, i) => ({
        name,
        nulls: this.nulls[i]!,
        nullRate: rows === 0 ? 0 : Math.round((this.nulls[i]! / rows) * 10_000) / 10_000,
        invalid: this.invalid[i]!,
      })),
      duplicateKeys: validator?.duplicateKeys ?? 0,
      keyCheck: validator?.keyCheck ?? 'none',
      failuresByRule: { ...this.byRule },
      examples: this.examples.map((f) => ({ ...f, message: { ...f.message } })),
      invalidLines: [...this.invalidLines],
    };
  }
}
