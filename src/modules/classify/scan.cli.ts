/**
 * `pdx scan FILE [--json]`: classification and grading of one file, offline (no server, no database).
 * Wire with `registerScanCommand(program)` in src/cli/main.ts.
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import { DEFAULT_POLICY, GRADE_PROTECTION, columnProtection, type GradePolicy } from './grades.ts';
import { resolve } from 'node:path';
import { REDACT_STYLES, type RedactStyle } from './redact.ts';
import { defaultRedactedName, redactFile } from './redact-file.ts';
import { isTableName, scanTable, scanTextInput } from './scan.ts';
import type { TableClassification } from './engine.ts';
import { TYPE_LABELS, type ColumnResult, type TextFinding, type TypeId } from './types.ts';

interface ScanCommandOptions {
  json?: boolean;
  sample?: string;
  threshold?: string;
  encoding?: string;
  redact?: boolean;
  output?: string;
  style?: string;
}

/** Display width in a terminal: Han and full-width characters take two columns. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}
const padEnd = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));

function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => padEnd(c, widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The detected types of a column, or for free text the span types found in it. */
function typesCell(col: ColumnResult): string {
  if (col.text) {
    const spans = col.text.spans.map((s) => `${TYPE_LABELS[s.type]}×${s.count}`).join(' ');
    return `自由文本 free text: ${spans || '-'}`;
  }
  return col.types.length ? col.types.map((t) => `${TYPE_LABELS[t.type]} ${t.type} (${t.confidence.toFixed(2)})`).join('; ') : '-';
}

/** Human-readable report of a table scan (Chinese labels with English). */
export function formatTableReport(file: string, c: TableClassification): string {
  const { result, details } = c;
  const rows = result.columns.map((col) => {
    const top = col.types[0];
    const protection = columnProtection(col);
    return [
      String(col.index + 1),
      col.name,
      typesCell(col),
      top ? pct(top.matched) : '-',
      top ? pct(top.checksumFailed) : '-',
      col.category ?? '-',
      col.sensitive ? '是 yes' : '否 no',
      `${col.grade}级`,
      `${protection.encryptAtRest ? '加密 encrypted' : '-'} / ${protection.defaultOperator === 'masked' ? '脱敏 masked' : '明文 clear'}`,
    ];
  });
  const table = renderTable(
    [
      '#',
      '列 column',
      '识别类型 types (confidence)',
      '匹配 matched',
      '校验失败 failed',
      '个人信息类别 category',
      '敏感 sensitive',
      '分级 grade',
      '存储/共享 at rest/share',
    ],
    rows,
  );
  const persons = details.persons ? `${details.persons.count}${details.persons.exact ? '' : ' (估算 estimate)'} by ${details.persons.type}` : '0';
  const lines = [
    `文件 file: ${file}`,
    `数据行 rows: ${result.rows}${details.sampled ? ' (样本 sample)' : ''}`,
    '',
    table,
    '',
    `数据集分级 dataset grade: ${GRADE_PROTECTION[result.grade].label.zh} / ${GRADE_PROTECTION[result.grade].label.en} (就高从严: highest column grade)`,
    `涉及人数 distinct persons: ${persons}`,
    `重要数据候选 important-data candidate: ${result.importantCandidate ? '是 yes — 提交安全管理员审核 / flagged for the security administrator' : '否 no'}`,
    ...details.importantReasons.map((r) => `  - ${r}`),
  ];
  return lines.join('\n') + '\n';
}

function parsePositive(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} 必须是正整数 / must be a positive integer: ${value}`);
  return n;
}

async function runScan(file: string, opts: ScanCommandOptions, out: NodeJS.WritableStream): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new Error(`文件不存在 / no such file: ${file}`);
  if (opts.redact) {
    await runRedact(file, opts, out);
    return;
  }
  if (opts.output || opts.style) throw new Error('--output 和 --style 仅用于 --redact / --output and --style go with --redact');
  const threshold = parsePositive(opts.threshold, '--threshold');
  const policy: GradePolicy = threshold ? { ...DEFAULT_POLICY, importantPersonThreshold: threshold } : DEFAULT_POLICY;
  const sampleRows = parsePositive(opts.sample, '--sample');
  if (isTableName(file)) {
    const classification = await scanTable(file, file, { policy, sampleRows, encoding: opts.encoding });
    out.write(opts.json ? `${JSON.stringify(classification.result)}\n` : formatTableReport(file, classification));
    return;
  }
  await writeTextFindings(file, opts.json === true, out);
}

/** `--redact`: writes the redacted copy and says where (JSON with --json). */
async function runRedact(file: string, opts: ScanCommandOptions, out: NodeJS.WritableStream): Promise<void> {
  const style = opts.style ?? 'masked';
  if (!(REDACT_STYLES as readonly string[]).includes(style))
    throw new Error(`--style 应为 masked 或 placeholder / --style must be masked or placeholder: ${style}`);
  const output = opts.output ?? defaultRedactedName(file);
  if (resolve(output) === resolve(file)) throw new Error('输出文件不能覆盖原文件 / the output must not overwrite the input');
  const result = await redactFile(file, { output, style: style as RedactStyle, ...(opts.encoding ? { encoding: opts.encoding } : {}) });
  if (opts.json) {
    out.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const masked = result.masked?.length
    ? `\n按类型脱敏的列 columns masked by type: ${result.masked.map((m) => `${m.column} (${TYPE_LABELS[m.type]})`).join(', ')}`
    : '';
  out.write(`已写出去标识副本 redacted copy written: ${result.output}${masked}\n`);
}

/** Streams findings out as they are found (JSON or a readable list), so memory stays flat on big files. */
async function writeTextFindings(file: string, json: boolean, out: NodeJS.WritableStream): Promise<void> {
  const counts = new Map<TypeId, number>();
  let first = true;
  if (json) out.write('{"kind":"text","findings":[');
  else out.write(`文件 file: ${file} (文本 free text)\n\n${padEnd('类型 type', 34)}${padEnd('位置 offset', 18)}脱敏值 masked\n`);
  for await (const f of scanTextInput(file) as AsyncIterable<TextFinding>) {
    counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
    const line = json
      ? `${first ? '' : ','}${JSON.stringify(f)}`
      : `${padEnd(`${TYPE_LABELS[f.type]} ${f.type}`, 34)}${padEnd(`${f.start}-${f.end}`, 18)}${f.masked}\n`;
    first = false;
    if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
  }
  if (json) {
    out.write(']}\n');
    return;
  }
  const summary = [...counts].map(([t, n]) => `${TYPE_LABELS[t]} ${t}: ${n}`).join(', ');
  out.write(`\n发现 findings: ${[...counts.values()].reduce((a, b) => a + b, 0)}${summary ? ` (${summary})` : ''}\n`);
}

/** Registers `pdx scan FILE [--json] [--sample N] [--threshold N] [--encoding E] [--redact [-o PATH] [--style masked|placeholder]]`. */
export function registerScanCommand(program: Command): Command {
  return program
    .command('scan')
    .description('classify and grade a file offline: tables (csv/tsv/xlsx/json) or free text / 离线识别文件中的敏感数据并分类分级')
    .argument('<file>', 'file to scan / 要扫描的文件')
    .option('--json', 'print JSON (machine-readable) / 输出 JSON')
    .option('--sample <rows>', 'classify only the first N rows of a table / 仅按前 N 行抽样识别')
    .option('--threshold <persons>', '重要数据 threshold in distinct persons (default 1000000) / 重要数据人数阈值')
    .option('--encoding <name>', 'table encoding (default detected) / 表格文件编码')
    .option('--redact', 'write a redacted copy of the file (same format and encoding) / 写出去标识副本')
    .option('-o, --output <path>', 'with --redact: where to write the copy (default NAME.redacted.EXT) / 副本路径')
    .option('--style <style>', 'with --redact: masked (王*) or placeholder (〔姓名〕) / 替换方式')
    .action(async (file: string, opts: ScanCommandOptions) => {
      // `pdx scan big.txt | head` closes the pipe early: that is not an error.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(0);
        throw error;
      });
      try {
        await runScan(file, opts, process.stdout);
      } catch (error) {
        const message = error instanceof AppError ? `${error.text.zh} / ${error.text.en}` : error instanceof Error ? error.message : String(error);
        process.stderr.write(`pdx scan: ${message}\n`);
        process.exitCode = 1;
      }
    });
}
