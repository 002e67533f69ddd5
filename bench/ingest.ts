/**
 * Aggregation speed (issue 4): a generated 户籍人口 CSV (12 columns, Chinese text) loaded by
 * `pdx import` in a child process — the full pipeline: parse, type inference, validation,
 * classification, quality report, encryption of the 身份证号 column with its blind index, COPY,
 * indexes, view switch — against psql's `\copy` of the same file on the same PostgreSQL cluster:
 *
 * 1. into a table of the SAME column types and indexes as pdx made: the DDL is read from the catalogue
 *    (pg_attribute, pg_indexes) of the version table pdx loaded, the indexes are built after the copy
 *    as pdx builds them; `_row` is an identity column and a blind-index column is filled by the
 *    database with its clear identifier (a generated column), so each index is built over as many
 *    distinct values as pdx's;
 * 2. into a table of text columns and no index (a second line, the floor of any load).
 *
 * A warm-up of each side on a tenth of the rows (which also gives the DDL), then PDX_BENCH_ROUNDS
 * alternating rounds; medians, the median ratio and its spread. Peak RSS of the pdx process comes
 * from a preloaded sampler (test/scripts/heap-watch.mjs), printed for the full file and for the
 * warm-up's tenth of it (a streaming load's memory does not grow with the file).
 *
 * Knobs:
 *   PDX_BENCH_INGEST_ROWS      rows (default 1,000,000)
 *   PDX_BENCH_INGEST_VARIANTS  comma list (default `id`): `id` 12 columns with the encrypted
 *                              身份证号; `plain` 11 columns without it (no encrypted column); `grade3`
 *                              12 columns under the secadmin policy that encrypts 3级 too (姓名, 手机号,
 *                              住址, 出生日期 beside 身份证号); `all` = all three
 *   PDX_BENCH_INGEST_PROFILE=1 CPU profiles of the pdx processes (kept, path printed)
 *   PDX_BENCH_ROUNDS, PDX_BENCH_DATABASE_URL (lib.ts)
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Random } from '../test/corpus/random.ts';
import { PEOPLE_HEADER, peopleRows } from '../test/fixtures/people.ts';
import { findPgBin } from '../test/helpers/pg-cluster.ts';
import { createWorld, PDX_BIN, ROOT, withPlatform, type World } from '../test/scripts/ingest-world.ts';
import { alternate, benchDatabase, fmt, median, numberKnob, report, section, seconds, type BenchDatabase } from './lib.ts';

const ROWS = numberKnob('PDX_BENCH_INGEST_ROWS', 1_000_000, 1000);
const WARMUP_ROWS = Math.min(ROWS, Math.max(10_000, Math.round(ROWS / 10)));
const MB = 1024 * 1024;
export const EXTRA_HEADER = ['性别', '民族', '文化程度', '婚姻状况', '登记日期'];
const ETHNIC = ['汉族', '汉族', '汉族', '满族', '蒙古族', '回族', '朝鲜族', '锡伯族'];
const EDUCATION = ['小学', '初中', '高中', '中专', '大专', '大学本科', '硕士研究生', '博士研究生'];
const MARRIAGE = ['未婚', '已婚', '离婚', '丧偶'];

const VARIANTS = {
  id: { label: 'with encrypted 身份证号 (12 columns)', withId: true, encryptFromGrade: 4 as const },
  plain: { label: 'without encrypted columns (11 columns)', withId: false, encryptFromGrade: 4 as const },
  grade3: { label: 'with 3级 encrypted too (policy encryptFromGrade 3, 12 columns)', withId: true, encryptFromGrade: 3 as const },
};
type VariantName = keyof typeof VARIANTS;

function variantsWanted(): VariantName[] {
  const raw = process.env.PDX_BENCH_INGEST_VARIANTS ?? 'id';
  const names = raw === 'all' ? (Object.keys(VARIANTS) as VariantName[]) : raw.split(',').map((s) => s.trim());
  for (const n of names) if (!(n in VARIANTS)) throw new Error(`PDX_BENCH_INGEST_VARIANTS: unknown variant ${n} (id, plain, grade3, all)`);
  return names as VariantName[];
}

/** Writes `rows` rows of the 12-column file (or 11 without 身份证号) in 1 MB blocks; returns its size. */
export function writeFile(file: string, rows: number, withId: boolean): number {
  const r = new Random(42);
  const keep = (row: string[]) => (withId ? row : row.filter((_, i) => i !== 1));
  const fd = fs.openSync(file, 'w');
  let block = `${keep([...PEOPLE_HEADER, ...EXTRA_HEADER]).join(',')}\n`;
  for (const row of peopleRows(rows, 42)) {
    const sex = Number(row[1]!.charCodeAt(16) - 48) % 2 === 1 ? '男' : '女';
    const registered = `${r.int(1990, 2024)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;
    block += `${keep([...row, sex, r.pick(ETHNIC), r.pick(EDUCATION), r.pick(MARRIAGE), registered]).join(',')}\n`;
    if (block.length > MB) {
      fs.writeSync(fd, block);
      block = '';
    }
  }
  fs.writeSync(fd, block);
  fs.closeSync(fd);
  return fs.statSync(file).size;
}

interface PdxRun {
  seconds: number;
  jobSeconds: number;
  peakRss: number;
  output: string;
}

/**
 * Runs a `pdx` command as a child with the memory sampler (node flags first, e.g. a heap limit or
 * --cpu-prof); its wall time, standard output and peak RSS. Throws with the output when it fails.
 */
export async function runPdx(
  args: string[],
  env: Record<string, string>,
  dir: string,
  nodeFlags: string[] = [],
): Promise<{ seconds: number; out: string; peakRss: number }> {
  const heap = path.join(dir, `heap-${randomBytes(4).toString('hex')}`);
  const start = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, '--import', './test/scripts/heap-watch.mjs', PDX_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, PDX_HEAP_REPORT: heap, PDX_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`pdx ${args[0]} failed (${code}): ${out}\n${err.slice(-2000)}`);
  const peaks = JSON.parse(fs.readFileSync(`${heap}.exit`, 'utf8')) as { maxRss: number };
  return { seconds, out, peakRss: peaks.maxRss };
}

/** Runs `pdx import` as a child with the memory sampler; wall time, the job's own time, peak RSS. */
async function pdxImport(env: Record<string, string>, file: string, world: World, dir: string, profile: boolean, rows: number): Promise<PdxRun> {
  const {
    seconds: wall,
    out,
    peakRss,
  } = await runPdx(['import', file, '--dataset', world.code], env, dir, profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profiles')}`] : []);
  const client = new pg.Client(env.PDX_DATABASE_URL);
  await client.connect();
  try {
    const [timing] = (
      await client.query<{ s: number; rows: number }>(
        `SELECT extract(epoch FROM finished_at - started_at)::float8 AS s, (result->>'rows')::int AS rows FROM jobs
          WHERE kind = 'ingest' AND payload->>'datasetId' = $1 ORDER BY finished_at DESC LIMIT 1`,
        [world.datasetId],
      )
    ).rows;
    if (timing?.rows !== rows) throw new Error(`pdx loaded ${timing?.rows} rows, expected ${rows}`);
    return { seconds: wall, jobSeconds: timing.s, peakRss, output: out.trim() };
  } finally {
    await client.end();
  }
}

export const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The DDL of the version table pdx loaded last for `world`: CREATE TABLE with the same column types,
 * the \copy column list (file order) and the CREATE INDEX statements, all for table `target`.
 */
export async function pdxDdl(url: string, world: World, header: string[], target: string) {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const [version] = (
      await client.query<{ relation: string }>(`SELECT relation FROM dataset_versions WHERE dataset_id = $1 AND state = 'active'`, [world.datasetId])
    ).rows;
    if (!version) throw new Error('pdx has no active version to copy the DDL of');
    const columns = (
      await client.query<{ name: string; physical: string }>('SELECT name, physical FROM dataset_columns WHERE dataset_id = $1', [world.datasetId])
    ).rows;
    const physical = new Map(columns.map((c) => [c.name, c.physical]));
    const attributes = (
      await client.query<{ name: string; type: string; notnull: boolean }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS notnull FROM pg_attribute
          WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [quote(version.relation)],
      )
    ).rows;
    const indexes = (
      await client.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1', [version.relation])
    ).rows;
    const names = new Set(attributes.map((a) => a.name));
    const copyColumns = header.map((h) => {
      const p = physical.get(h);
      if (!p || !names.has(p)) throw new Error(`column ${h} not found in pdx's table`);
      return p;
    });
    const notFromFile: string[] = [];
    const definitions = attributes.map((a) => {
      if (a.name === '_row') return `${quote(a.name)} ${a.type} GENERATED ALWAYS AS IDENTITY`;
      const base = a.name.endsWith('_bi') ? a.name.slice(0, -3) : undefined;
      if (base && copyColumns.includes(base)) return `${quote(a.name)} ${a.type} GENERATED ALWAYS AS (${quote(base)}) STORED`;
      if (!copyColumns.includes(a.name)) notFromFile.push(a.name);
      return `${quote(a.name)} ${a.type}${a.notnull ? ' NOT NULL' : ''}`;
    });
    const createIndexes = indexes.map((i) => {
      const m = /^CREATE (UNIQUE )?INDEX \S+ ON \S+ (USING .*)$/.exec(i.indexdef);
      if (!m) throw new Error(`unexpected index definition: ${i.indexdef}`);
      return `CREATE ${m[1] ?? ''}INDEX ON ${quote(target)} ${m[2]}`;
    });
    return {
      relation: version.relation,
      create: `CREATE TABLE ${quote(target)} (${definitions.join(', ')})`,
      copyColumns,
      createIndexes,
      describe: `${attributes.length} columns (${[...new Set(attributes.map((a) => a.type))].join(', ')}), ${indexes.length} indexes${notFromFile.length ? `; not filled from the file: ${notFromFile.join(', ')}` : ''}`,
    };
  } finally {
    await client.end();
  }
}

function psqlRunner(database: BenchDatabase) {
  return (script: string) => {
    const args = [database.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', script];
    return database.cluster ? database.cluster.run('psql', args) : execFileSync(findPgBin('psql'), args, { stdio: 'pipe' });
  };
}

export default async function run(): Promise<void> {
  const wanted = variantsWanted();
  const database = await benchDatabase('ingest');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-ingest-'));
  fs.chmodSync(dir, 0o755); // psql runs as the cluster's user and must read the files
  const env = { PDX_DATABASE_URL: database.url, PDX_MASTER_KEY: randomBytes(32).toString('base64'), PDX_DATA_DIR: path.join(dir, 'data') };
  const psql = psqlRunner(database);
  const profile = process.env.PDX_BENCH_INGEST_PROFILE === '1';
  const script = (name: string, sql: string) => {
    const file = path.join(dir, `${name}.sql`);
    fs.writeFileSync(file, sql);
    fs.chmodSync(file, 0o644);
    return file;
  };

  try {
    const worlds = await withPlatform(env, async (services) => {
      const made: Partial<Record<VariantName, World>> = {};
      for (const name of wanted) made[name] = await createWorld(services, `户籍人口 ${name}`);
      return made;
    });
    for (const name of wanted) {
      const variant = VARIANTS[name];
      const world = worlds[name]!;
      const header = [...PEOPLE_HEADER, ...EXTRA_HEADER].filter((h) => variant.withId || h !== '身份证号');
      const file = path.join(dir, `people-${name}.csv`);
      const warmFile = path.join(dir, `people-${name}-warmup.csv`);
      const bytes = writeFile(file, ROWS, variant.withId);
      writeFile(warmFile, WARMUP_ROWS, variant.withId);
      fs.chmodSync(file, 0o644);
      fs.chmodSync(warmFile, 0o644);
      const size = `${ROWS.toLocaleString('en-US')} rows × ${header.length} columns, ${(bytes / MB).toFixed(0)} MB CSV`;
      section(`load ${variant.label}: ${size}; warm-up ${WARMUP_ROWS.toLocaleString('en-US')} rows`);
      await withPlatform(env, async (services) => {
        const policy = await services.review.loadPolicy();
        const secadmin = { principal: { kind: 'user' as const, userId: '', username: 'bench', orgId: '', roles: ['secadmin' as const] }, requestId: 'bench' };
        await services.review.setPolicy(secadmin, { ...policy, encryptFromGrade: variant.encryptFromGrade });
      });

      let ddl: Awaited<ReturnType<typeof pdxDdl>> | undefined;
      let warmRss = NaN;
      const warm = (r: number) => (r < 0 ? { file: warmFile, rows: WARMUP_ROWS } : { file, rows: ROWS });
      const rounds = await alternate({
        pdx: async (r) => {
          const run = await pdxImport(env, warm(r).file, world, dir, profile, warm(r).rows);
          ddl ??= await pdxDdl(database.url, world, header, 'copy_typed');
          if (r < 0) warmRss = run.peakRss / MB;
          return run;
        },
        baseline: async (r) => {
          // The warm-up's baseline runs first, before pdx made a table to copy the DDL of: the text copy only.
          const source = warm(r).file;
          const text = script(
            'text',
            `CREATE TABLE copy_text (${header.map((_, c) => `c${c + 1} text`).join(', ')});\n\\copy copy_text FROM '${source}' WITH (FORMAT csv, HEADER true)\n`,
          );
          const textSeconds = await seconds(() => psql(text));
          psql(script('drop-text', 'DROP TABLE copy_text;\n'));
          if (!ddl) return { typed: NaN, text: textSeconds };
          const typed = script(
            'typed',
            `${ddl.create};\n\\copy copy_typed (${ddl.copyColumns.map(quote).join(', ')}) FROM '${source}' WITH (FORMAT csv, HEADER true)\n${ddl.createIndexes.map((i) => `${i};\n`).join('')}`,
          );
          const typedSeconds = await seconds(() => psql(typed));
          psql(script('drop-typed', 'DROP TABLE copy_typed;\n'));
          return { typed: typedSeconds, text: textSeconds };
        },
      });
      console.log(`typed baseline: pdx's version table ${ddl!.relation}: ${ddl!.describe}`);
      console.log(`  ${ddl!.create}; ${ddl!.createIndexes.join('; ')}`);
      const perSecond = (s: number[]) => s.map((x) => ROWS / x);
      const pdxWhole = perSecond(rounds.pdx.map((r) => r.seconds));
      const pdxJob = perSecond(rounds.pdx.map((r) => r.jobSeconds));
      const typed = perSecond(rounds.baseline.map((r) => r.typed));
      const text = perSecond(rounds.baseline.map((r) => r.text));
      report({ name: 'pdx import (whole command)', size, unit: 'rows/s', pdx: pdxWhole, baseline: typed, baselineName: '\\copy, same types + indexes' });
      report({
        name: 'pdx ingest job (excl. process start)',
        size,
        unit: 'rows/s',
        pdx: pdxJob,
        baseline: typed,
        baselineName: '\\copy, same types + indexes',
      });
      report({ name: 'pdx import (whole command)', size, unit: 'rows/s', pdx: pdxWhole, baseline: text, baselineName: '\\copy, all text, no index' });
      const rss = rounds.pdx.map((r) => r.peakRss / MB);
      console.log(
        `pdx import peak RSS ${fmt(median(rss))} MB (max ${fmt(Math.max(...rss))} MB; file ${(bytes / MB).toFixed(0)} MB); ` +
          `${fmt(warmRss)} MB for the ${WARMUP_ROWS.toLocaleString('en-US')}-row warm-up file (RSS includes heap V8 has not yet collected; a heap-limited run is the test of bounded memory). Seconds per round: ` +
          `pdx ${rounds.pdx.map((r) => `${r.seconds.toFixed(1)} (job ${r.jobSeconds.toFixed(1)})`).join(', ')}; ` +
          `\\copy typed ${rounds.baseline.map((r) => r.typed.toFixed(1)).join(', ')}; \\copy text ${rounds.baseline.map((r) => r.text.toFixed(1)).join(', ')}`,
      );
      console.log(`  ${rounds.pdx.at(-1)!.output.split('\n').at(-1)}`);
      fs.rmSync(file);
      fs.rmSync(warmFile);
    }
    if (profile) console.log(`CPU profiles in ${path.join(dir, 'profiles')} (kept)`);
  } finally {
    await database.close();
    if (!profile) fs.rmSync(dir, { recursive: true, force: true });
  }
}
