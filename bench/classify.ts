/**
 * Classification quality and speed.
 *
 * 1. Quality: precision and recall per type on a generated labelled corpus (tables per column, text per
 *    exact span), near misses included (test/corpus).
 *    The large text file is document-like: three prose sentences around each labelled corpus sentence.
 * 2. Speed: `pdx scan` of a large generated CSV (~150 MB; PDX_BENCH_CLASSIFY_MB to change) and of a large
 *    text file, in MB/s, next to ripgrep running the same type patterns (pattern only, no validation) on
 *    the same file; one warm-up run of each, then PDX_BENCH_ROUNDS runs alternating pdx and ripgrep,
 *    medians, the median ratio and its spread.
 * 3. Memory: peak RSS of a scan of the full file and of a fifth of it, each in a fresh process,
 *    alternated over rounds; flat memory means a ratio of about 1.
 * 4. Quality in documents (issue 24): petition prose, work orders, case notes and record lines
 *    (test/corpus/documents.ts), on the held-out seed of the corpus test.
 * 5. Read path (issue 24): a free-text column (信访 事项内容, encrypted at rest) read through the
 *    records API under a `redacted` grant, next to the same column read in clear under another grant
 *    of the same consumer, same rows, same process, alternated over rounds (embedded PGlite,
 *    in-process requests: both sides pay the same request cost); MB/s of the column's clear text.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { TableClassifier } from '../src/modules/classify/engine.ts';
import { scanTable, scanTextInput } from '../src/modules/classify/scan.ts';
import { scanText } from '../src/modules/classify/text.ts';
import { CHECKSUMMED, formatScores, scoreTables, scoreText } from '../test/corpus/evaluate.ts';
import { Random } from '../test/corpus/random.ts';
import { generateTables } from '../test/corpus/tables.ts';
import { generateText, textSentences } from '../test/corpus/texts.ts';
import * as v from '../test/corpus/values.ts';
import { openPglite } from '../src/db/pglite.ts';
import { migrate } from '../src/db/index.ts';
import { generateDocuments } from '../test/corpus/documents.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser } from '../test/helpers/api.ts';
import { apiKey, startShareApp, uploadCsv } from '../test/share-helpers.ts';
import { alternate, fmt, report, ROUNDS, section } from './lib.ts';

const SELF = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;

/** The same types as patterns for ripgrep (what a pattern-only scanner would run). */
const RG_PATTERNS = [
  String.raw`[1-8][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]`,
  String.raw`1[3-9][0-9]{9}`,
  String.raw`0[0-9]{2,3}-[0-9]{7,8}`,
  String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`,
  String.raw`[0-9]{16,19}`,
  String.raw`[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}`,
  String.raw`[0-9A-Z]{8}-[0-9X]`,
  String.raw`[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]`,
  String.raw`[0-9]{1,3}(?:\.[0-9]{1,3}){3}`,
  String.raw`[0-9A-Fa-f:]{2,39}::?[0-9A-Fa-f:]{1,39}`,
  String.raw`[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}`,
  String.raw`[EeKkGgDdSsPpHhCM][A-Z0-9][0-9]{7}`,
  String.raw`-?[0-9]{1,3}\.[0-9]{4,},-?[0-9]{1,3}\.[0-9]{4,}`,
  String.raw`(?:出生|生日)[^0-9]{0,8}[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}`,
  String.raw`(?:姓名|联系人|申请人|法定代表人)[:：]?[\x{4e00}-\x{9fff}]{2,4}`,
  String.raw`[\x{4e00}-\x{9fff}]{2,}(?:省|市|区|县)[\x{4e00}-\x{9fff}]{0,20}(?:路|街|道)[0-9]+号`,
];

// ---------- child mode: one scan in a fresh process, for peak memory ----------
if (process.env.PDX_BENCH_CLASSIFY_CHILD) {
  const file = process.env.PDX_BENCH_CLASSIFY_CHILD;
  if (file.endsWith('.csv')) await scanTable(file, file);
  else for await (const _ of scanTextInput(file)) void _;
  process.stdout.write(String(process.resourceUsage().maxRSS * 1024));
  process.exit(0);
}

async function writeLines(file: string, bytes: number, next: () => string): Promise<number> {
  const out = createWriteStream(file);
  let written = 0;
  let batch = '';
  while (written < bytes) {
    const line = next();
    batch += line;
    written += Buffer.byteLength(line);
    if (batch.length > 1 << 16) {
      if (!out.write(batch)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      batch = '';
    }
  }
  out.write(batch);
  await new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.end(() => resolve());
  });
  return statSync(file).size;
}

const CSV_HEADER = '姓名,身份证号,手机,电子邮箱,住址,银行卡号,车牌号,IP地址,金额,订单号,登记日期\n';

function csvRow(r: Random): string {
  return (
    [
      v.personName(r),
      v.VALID.cn_resident_id(r),
      v.mobile(r),
      v.email(r),
      v.address(r),
      v.bankCard(r),
      v.plate(r),
      v.ipv4(r),
      v.amount(r),
      v.orderNumber18(r),
      v.recentDate(r),
    ].join(',') + '\n'
  );
}

async function writeCsv(file: string, bytes: number, seed: number): Promise<number> {
  const r = new Random(seed);
  let first = true;
  return writeLines(file, bytes, () => {
    if (first) {
      first = false;
      return CSV_HEADER;
    }
    return csvRow(r);
  });
}

/** Document-like text: three sentences of prose without identifiers around each corpus sentence. */
const PROSE = [
  '根据《中华人民共和国数据安全法》和省政府办公厅有关要求，各部门应当做好数据分类分级和安全保护工作。\n',
  '本次共享交换涉及人口、法人、电子证照等基础数据资源，提供方应按照目录及时更新并确保数据质量。\n',
  'The platform records every access in the audit log and reviews requests for sensitive fields before approval.\n',
  '会议强调，要坚持统筹发展和安全，完善数据共享开放机制，推动公共数据有序流通和高效利用。\n',
];

async function writeText(file: string, bytes: number, seed: number): Promise<number> {
  const sentences = textSentences(seed);
  let i = 0;
  return writeLines(file, bytes, () => (i++ % 4 === 3 ? (sentences.next().value as string) : PROSE[i % PROSE.length]!));
}

function hasRipgrep(): boolean {
  return spawnSync('rg', ['--version']).status === 0;
}

/** Seconds ripgrep takes to count every match of the patterns in the file (one run). */
function ripgrepSeconds(file: string): number {
  const args = ['--count-matches', '--no-filename', '--no-config', ...RG_PATTERNS.flatMap((p) => ['-e', p]), file];
  const start = performance.now();
  const result = spawnSync('rg', args, { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0 && result.status !== 1) throw new Error(`rg failed: ${result.stderr}`);
  return seconds;
}

function peakRss(file: string): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', SELF], { env: { ...process.env, PDX_BENCH_CLASSIFY_CHILD: file }, encoding: 'utf8' });
  return Number(out.trim());
}

function quality(): void {
  section('quality: labelled corpus (seed 1; checksummed types aim ≥ 0.99, names/addresses ≥ 0.95)');
  const tables = generateTables(1, 240, 200);
  const predicted = tables.map((t) => {
    const c = new TableClassifier(t.columns.map((x) => x.header));
    for (let i = 0; i < t.rows; i++) c.addRow(t.columns.map((x) => x.values[i]!));
    return c.finish().result.columns.map((col) => col.types.map((x) => x.type));
  });
  const columns = tables.reduce((n, t) => n + t.columns.length, 0);
  console.log(`tables: ${tables.length} tables, ${columns} columns × 200 rows (near-miss columns included)`);
  console.log(formatScores('tables (columns)', scoreTables(tables, predicted).scores));
  const { text, spans } = generateText(1, 6000);
  console.log(`\ntext: ${Array.from(text).length.toLocaleString('en-US')} characters, ${spans.length} labelled spans`);
  console.log(formatScores('text (spans)', scoreText(spans, scanText(text)).scores));
  console.log(`checksummed types: ${CHECKSUMMED.join(', ')}`);
}

/** Held-out seed of src/modules/classify/documents.test.ts. */
const DOCUMENTS_SEED = 20241;

function documentQuality(): void {
  section(`quality: documents (petitions, work orders, case notes, record lines; seed ${DOCUMENTS_SEED}, held out; aim precision ≥ 0.95, recall ≥ 0.9)`);
  const { text, spans } = generateDocuments(DOCUMENTS_SEED, 3000, '\r\n');
  const start = performance.now();
  const findings = scanText(text);
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `documents: ${Array.from(text).length.toLocaleString('en-US')} characters, ${spans.length} labelled spans, scanned at ${(Buffer.byteLength(text) / MB / seconds).toFixed(2)} MB/s`,
  );
  console.log(formatScores('documents (spans)', scoreText(spans, findings).scores));
}

const READ_ROWS = Number(process.env.PDX_BENCH_REDACT_ROWS ?? 4000);

/** Redacted vs clear reads of the same free-text column through the records API. */
async function readPath(): Promise<void> {
  const db = await openPglite();
  await migrate(db);
  const t = await startShareApp(db, { PDX_RATE_LIMIT: '100000000' });
  try {
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    const officer = (await provisionUser(t, admin, 'xf-officer', ['data_officer'], await createOrg(admin, '省信访局'))).client;
    const consumer = (await provisionUser(t, admin, 'zy-consumer', ['consumer'], await createOrg(admin, '朝阳市民政局', 'city', '211300'))).client;
    const docs = generateDocuments(77, READ_ROWS)
      .text.split('\n\n')
      .filter((d) => d.trim())
      .slice(0, READ_ROWS)
      .map((d) => d.replaceAll('\n', ' '));
    const csv = ['事项编号,事项内容', ...docs.map((d, i) => `XF${i},"${d.replaceAll('"', '""')}"`)].join('\n') + '\n';
    const created = await officer.call('POST', '/api/v1/datasets', { name: '信访事项登记', summary: '信访事项', share_type: 'conditional' });
    const code = created.json().code as string;
    await uploadCsv(officer, code, csv);
    await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] });
    await officer.call('POST', `/api/v1/datasets/${code}/publish`);
    const grant = async (column: Record<string, unknown>) => {
      const request = (
        await consumer.call('POST', '/api/v1/share/requests', {
          dataset: code,
          columns: ['事项内容'],
          purpose: '基准测试',
          purposeCategory: 'other',
          legalBasis: '基准测试',
          endDate: '2099-12-31',
        })
      ).json();
      const approved = await officer.call('POST', `/api/v1/share/requests/${request.id}/approve`, {
        columns: [{ name: '事项内容', ...column }],
        impactAssessment: '基准测试:同一列的明文读取作为对照',
      });
      if (approved.statusCode !== 200) throw new Error(approved.body);
      await secadmin.call('POST', `/api/v1/share/requests/${request.id}/security-approve`, { note: '基准测试' });
      return (await consumer.call('GET', `/api/v1/share/requests/${request.id}`)).json().grantId as string;
    };
    const clear = await grant({ mode: 'clear' });
    const redacted = await grant({ mode: 'redacted', redact: 'masked' });
    const reader = t.withKey(await apiKey(consumer));
    const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
    const read = async (grantId: string) => {
      const start = performance.now();
      const res = await reader.call('GET', `/api/v1/datasets/${code}/records?grant=${grantId}&select=事项内容&limit=${READ_ROWS}`);
      if (res.statusCode !== 200 || res.json().rows.length !== docs.length) throw new Error(`read: ${res.statusCode} ${res.body.slice(0, 200)}`);
      return bytes / MB / ((performance.now() - start) / 1000);
    };
    const rounds = await alternate({ pdx: () => read(redacted), baseline: () => read(clear) });
    section('read path: a free-text column through the records API, redacted vs clear (same column, rows, process, run)');
    report({
      name: 'records, 事项内容 redacted',
      size: `${docs.length.toLocaleString('en-US')} rows, ${(bytes / MB).toFixed(1)} MB of text, encrypted at rest, one page`,
      unit: 'MB/s',
      ...rounds,
      baselineName: 'same column clear',
    });
  } finally {
    await t.close();
    await db.close();
  }
}

export default async function run(): Promise<void> {
  quality();
  documentQuality();
  await readPath();

  const targetMb = Number(process.env.PDX_BENCH_CLASSIFY_MB ?? 150);
  const dir = mkdtempSync(join(tmpdir(), 'pdx-bench-classify-'));
  try {
    const csv = join(dir, 'people.csv');
    const csvSmall = join(dir, 'people-small.csv');
    const txt = join(dir, 'notes.txt');
    const txtSmall = join(dir, 'notes-small.txt');
    section(`generating ${targetMb} MB files (11-column CSV; free text) in ${dir}`);
    const csvBytes = await writeCsv(csv, targetMb * MB, 7);
    await writeCsv(csvSmall, (targetMb / 5) * MB, 8);
    const txtBytes = await writeText(txt, targetMb * MB, 9);
    await writeText(txtSmall, (targetMb / 5) * MB, 10);
    const rg = hasRipgrep();
    if (!rg) console.log('ripgrep (rg) is MISSING: install it (apt-get install ripgrep) for the baseline; printing pdx figures alone');

    section(`speed: pdx scan (validating) vs ripgrep (same type patterns, no validation), same file, alternated, ${ROUNDS} rounds after a warm-up of each`);
    const size = (bytes: number, what: string) => `${(bytes / MB).toFixed(0)} MB ${what}`;
    let table: Awaited<ReturnType<typeof scanTable>> | undefined;
    const tableRounds = await alternate({
      pdx: async () => {
        const start = performance.now();
        table = await scanTable(csv, csv);
        return csvBytes / MB / ((performance.now() - start) / 1000);
      },
      baseline: () => (rg ? csvBytes / MB / ripgrepSeconds(csv) : NaN),
    });
    report({
      name: 'table scan (csv → 11 columns)',
      size: size(csvBytes, `csv, ${table!.result.rows.toLocaleString('en-US')} rows`),
      unit: 'MB/s',
      ...tableRounds,
      baselineName: 'rg',
    });
    let findings = 0;
    const textRounds = await alternate({
      pdx: async () => {
        const start = performance.now();
        findings = 0;
        for await (const _ of scanTextInput(txt)) findings++;
        return txtBytes / MB / ((performance.now() - start) / 1000);
      },
      baseline: () => (rg ? txtBytes / MB / ripgrepSeconds(txt) : NaN),
    });
    report({ name: 'text scan', size: size(txtBytes, `text, ${findings.toLocaleString('en-US')} findings`), unit: 'MB/s', ...textRounds, baselineName: 'rg' });
    console.log(
      `per round MB/s: table pdx ${tableRounds.pdx.map(fmt).join(', ')}, rg ${tableRounds.baseline.map(fmt).join(', ')}; text pdx ${textRounds.pdx.map(fmt).join(', ')}, rg ${textRounds.baseline.map(fmt).join(', ')}`,
    );
    console.log(
      `dataset grade ${table!.result.grade}, persons ${table!.details.persons?.count} (${table!.details.persons?.exact ? 'exact' : 'HyperLogLog estimate'}) of ${table!.result.rows} rows`,
    );

    section('memory: peak RSS of one scan in a fresh process, full file vs a fifth of it, alternated (flat = ratio ≈ 1)');
    for (const [what, small, full] of [
      ['table', csvSmall, csv],
      ['text', txtSmall, txt],
    ] as const) {
      const rss = await alternate({ pdx: () => peakRss(full) / MB, baseline: () => peakRss(small) / MB, warmup: false });
      report({
        name: `${what} scan peak RSS, full file`,
        size: `${(statSync(full).size / MB).toFixed(0)} MB vs ${(statSync(small).size / MB).toFixed(0)} MB`,
        unit: 'MB',
        ...rss,
        baselineName: '1/5 file',
        lowerIsBetter: true,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
