/**
 * Aggregation speed (issue 4): a generated 1,000,000-row 户籍人口 CSV (12 columns, Chinese text)
 * loaded by `pdx import` in a child process (parse, type inference, validation, classification,
 * quality report, encryption of the 身份证号 column with its blind index, COPY in 10,000-row
 * chunks, indexes, view switch) against psql's `\copy` of the same file into a plain table of text
 * columns on the same PostgreSQL cluster. A second file without the 身份证号 column shows the cost
 * of the encrypted column. Peak RSS of the pdx process comes from a preloaded sampler.
 *
 * Uses PDX_BENCH_DATABASE_URL or a throwaway durable cluster (fsync on, as in production);
 * PDX_BENCH_INGEST_ROWS changes the row count. `npm run bench ingest`
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Random } from '../test/corpus/random.ts';
import { findPgBin, startPgCluster } from '../test/helpers/pg-cluster.ts';
import { PEOPLE_HEADER, peopleRows } from '../test/fixtures/people.ts';
import { createWorld, PDX_BIN, ROOT, withPlatform } from '../test/scripts/ingest-world.ts';
import { report, section } from './lib.ts';

const ROWS = Number(process.env.PDX_BENCH_INGEST_ROWS ?? 1_000_000);
const MB = 1024 * 1024;
const EXTRA_HEADER = ['性别', '民族', '文化程度', '婚姻状况', '登记日期'];
const ETHNIC = ['汉族', '汉族', '汉族', '满族', '蒙古族', '回族', '朝鲜族', '锡伯族'];
const EDUCATION = ['小学', '初中', '高中', '中专', '大专', '大学本科', '硕士研究生', '博士研究生'];
const MARRIAGE = ['未婚', '已婚', '离婚', '丧偶'];

/** Writes the 12-column file (or 11 without 身份证号) in 1 MB blocks; returns its size. */
function writeFile(file: string, withId: boolean): number {
  const r = new Random(42);
  const keep = (row: string[]) => (withId ? row : row.filter((_, i) => i !== 1));
  const fd = fs.openSync(file, 'w');
  let block = `${keep([...PEOPLE_HEADER, ...EXTRA_HEADER]).join(',')}\n`;
  for (const row of peopleRows(ROWS, 42)) {
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

/** Runs `pdx import` as a child with the memory sampler; wall time, the job's own time, peak RSS. */
async function pdxImport(env: Record<string, string>, file: string, code: string, dir: string, profile: boolean) {
  const heap = path.join(dir, `heap-${code}`);
  const args = ['--import', './test/scripts/heap-watch.mjs', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profiles')}`] : []), PDX_BIN, 'import', file, '--dataset', code];
  const start = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env, PDX_HEAP_REPORT: heap, PDX_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code_ = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seconds = (performance.now() - start) / 1000;
  if (code_ !== 0) throw new Error(`pdx import failed (${code_}): ${out}\n${err.slice(-2000)}`);
  const peaks = JSON.parse(fs.readFileSync(`${heap}.exit`, 'utf8')) as { maxRss: number; heapUsed: number };
  return { seconds, peakRss: peaks.maxRss, output: out.trim() };
}

export default async function run(): Promise<void> {
  const cluster = process.env.PDX_BENCH_DATABASE_URL ? undefined : await startPgCluster({ durable: true });
  const adminUrl = process.env.PDX_BENCH_DATABASE_URL ?? cluster!.url;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-ingest-'));
  fs.chmodSync(dir, 0o755); // psql runs as the cluster's user and must read the files
  const dbName = `pdx_bench_ingest_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
  const env = { PDX_DATABASE_URL: url, PDX_MASTER_KEY: randomBytes(32).toString('base64'), PDX_DATA_DIR: path.join(dir, 'data') };
  const psql = (sql: string) => (cluster ? cluster.run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-c', sql]) : execFileSync(findPgBin('psql'), [url, '-v', 'ON_ERROR_STOP=1', '-c', sql]));
  const profile = process.env.PDX_BENCH_INGEST_PROFILE === '1';

  try {
    const variants = [
      { label: 'with encrypted 身份证号 (12 columns)', withId: true, encryptFromGrade: 4 as const },
      { label: 'without encrypted columns (11 columns)', withId: false, encryptFromGrade: 4 as const },
      // The secadmin policy that encrypts 3级 too (姓名, 手机号, 住址, 出生日期 beside 身份证号).
      { label: 'with 3级 encrypted too (policy encryptFromGrade 3, 12 columns)', withId: true, encryptFromGrade: 3 as const },
    ];
    const worlds = await withPlatform(env, async (services) => {
      const made = [];
      for (const [i, v] of variants.entries()) made.push(await createWorld(services, `户籍人口 ${i} ${v.withId ? '含身份证号' : '不含身份证号'}`));
      return made;
    });
    for (const [i, variant] of variants.entries()) {
      const file = path.join(dir, `people-${i}.csv`);
      const bytes = writeFile(file, variant.withId);
      const columns = variant.withId ? 12 : 11;
      const size = `${ROWS.toLocaleString('en-US')} rows × ${columns} columns, ${(bytes / MB).toFixed(0)} MB`;
      section(`load ${variant.label}`);

      const table = `raw_${i}`;
      const header = [...PEOPLE_HEADER, ...EXTRA_HEADER].filter((h) => variant.withId || h !== '身份证号');
      psql(`CREATE TABLE ${table} (${header.map((_, c) => `c${c + 1} text`).join(', ')})`);
      const start = performance.now();
      psql(`\\copy ${table} FROM '${file}' WITH (FORMAT csv, HEADER true)`);
      const copySeconds = (performance.now() - start) / 1000;

      await withPlatform(env, async (services) => {
        const policy = await services.review.loadPolicy();
        const secadmin = { principal: { kind: 'user' as const, userId: '', username: 'bench', orgId: '', roles: ['secadmin' as const] }, requestId: 'bench' };
        await services.review.setPolicy(secadmin, { ...policy, encryptFromGrade: variant.encryptFromGrade });
      });
      const pdx = await pdxImport(env, file, worlds[i]!.code, dir, profile);
      const client = new pg.Client(url);
      await client.connect();
      const [timing] = (await client.query<{ s: number; rows: number }>(
        `SELECT extract(epoch FROM finished_at - started_at)::float8 AS s, (result->>'rows')::int AS rows FROM jobs WHERE kind = 'ingest' AND payload->>'datasetId' = $1`,
        [worlds[i]!.datasetId],
      )).rows;
      await client.end();
      if (timing!.rows !== ROWS) throw new Error(`pdx loaded ${timing!.rows} rows, expected ${ROWS}`);

      report({ name: 'pdx import (whole command)', size, unit: 'rows/s', value: ROWS / pdx.seconds, baselineName: 'psql \\copy', baseline: ROWS / copySeconds, higherIsBetter: true });
      report({ name: 'pdx ingest job (excl. process start)', size, unit: 'rows/s', value: ROWS / timing!.s, baselineName: 'psql \\copy', baseline: ROWS / copySeconds, higherIsBetter: true });
      report({ name: 'pdx import throughput', size, unit: 'MB/s', value: bytes / MB / pdx.seconds, baselineName: 'psql \\copy', baseline: bytes / MB / copySeconds, higherIsBetter: true });
      console.log(`pdx import peak RSS ${(pdx.peakRss / MB).toFixed(0)} MB (file ${(bytes / MB).toFixed(0)} MB); wall ${pdx.seconds.toFixed(1)} s, job ${timing!.s.toFixed(1)} s, \\copy ${copySeconds.toFixed(1)} s`);
      console.log(`  ${pdx.output}`);
      fs.rmSync(file);
    }
    if (profile) console.log(`CPU profiles in ${path.join(dir, 'profiles')} (kept)`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    cluster?.stop();
    if (!profile) fs.rmSync(dir, { recursive: true, force: true });
  }
}
