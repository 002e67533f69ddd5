/**
 * Open data (issue 18 point 10), on a PostgreSQL server:
 *
 * (a) the de-identification check — the class table (one GROUP BY over 6 quasi-identifiers, in SQL),
 *     k-anonymity, the ARX risks and one generalization proposal — on PDX_BENCH_OPEN_ROWS rows
 *     (default 1,000,000), next to the bare GROUP BY of the same quasi-identifiers in the same
 *     database, read through the same driver. Aim: ≥ 0.5 of the baseline's rows/s.
 * (b) the portal's dataset page and a 10,000-row CSV download under 32 concurrent clients (a load
 *     generator in its own process), next to @fastify/static serving files of the same bytes.
 *     Aim: ≥ 0.5.
 *
 * pdx and baseline alternate over ROUNDS rounds; each figure prints the median ratio and its spread.
 * PDX_BENCH_OPEN_ONLY=check|portal runs one part.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { migrate, type Db } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { buildModel, check } from '../src/modules/open/deid.ts';
import { openRepo } from '../src/modules/open/open.repo.ts';
import { startTestApp } from '../test/helpers/api.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';
import { openDataset, openWorld } from '../test/open-helpers.ts';
import { section } from './lib.ts';

const ROWS = Number(process.env.PDX_BENCH_OPEN_ROWS ?? 1_000_000);
const DOWNLOAD_ROWS = Number(process.env.PDX_BENCH_OPEN_DOWNLOAD_ROWS ?? 10_000);
const ROUNDS = Number(process.env.PDX_BENCH_ROUNDS ?? 3);
const CLIENTS = 32;
const ROUND_MS = Number(process.env.PDX_BENCH_ROUND_MS ?? 4000);
const LOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load', 'http-load.ts');

const QIS = ['sex', 'birth', 'county', 'postcode', 'occupation', 'education'];
const SPECS = [
  { name: '性别', kind: 'category' as const },
  { name: '出生日期', kind: 'date' as const },
  { name: '区县', kind: 'region' as const, near: '210000' },
  { name: '邮编', kind: 'prefix' as const },
  { name: '职业', kind: 'category' as const },
  { name: '学历', kind: 'category' as const },
];
const COUNTIES = ['和平区', '沈河区', '大东区', '皇姑区', '铁西区', '苏家屯区', '浑南区', '于洪区', '辽中区', '康平县', '法库县', '新民市', '中山区', '西岗区', '沙河口区', '甘井子区', '旅顺口区', '金州区', '普兰店区', '长海县', '瓦房店市', '庄河市', '铁东区', '立山区', '千山区', '台安县', '岫岩满族自治县', '海城市', '新抚区', '东洲区', '望花区', '顺城区', '抚顺县', '古塔区', '凌河区', '太和区', '黑山县', '义县', '凌海市', '北镇市', '双塔区', '龙城区', '朝阳县', '建平县', '北票市', '凌源市', '站前区', '西市区', '鲅鱼圈区', '老边区', '盖州市', '大石桥市'];
const OCCUPATIONS = ['教师', '医生', '护士', '工程师', '会计', '司机', '厨师', '销售', '农民', '工人', '公务员', '律师', '程序员', '设计师', '记者', '保安', '快递员', '个体经营', '学生', '退休'];
const EDUCATION = ['小学', '初中', '高中', '中专', '大专', '本科', '研究生'];
const sqlList = (values: string[]) => `ARRAY[${values.map((v) => `'${v}'`).join(',')}]`;

interface Round {
  pdx: number;
  baseline: number;
}

/** Median of the per-round ratios and their range: the figure and how much the shared machine moved it. */
function print(name: string, unit: string, size: string, rounds: Round[], baselineName: string) {
  const ratios = rounds.map((r) => r.pdx / r.baseline).sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)]!;
  const mid = rounds.map((r) => r.pdx).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
  const base = rounds.map((r) => r.baseline).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  console.log(
    `${name.padEnd(44)} ${fmt(mid).padStart(12)} ${unit.padEnd(7)} | ${baselineName}: ${fmt(base).padStart(12)} ${unit.padEnd(7)} | median ratio ${median.toFixed(2)} (spread ${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}, ${rounds.length} rounds) | ${size}`,
  );
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function checkBench(db: Db) {
  await db.exec(`DROP TABLE IF EXISTS bench_people;
    SELECT setseed(0.42);
    CREATE TABLE bench_people AS
      SELECT g AS _row,
             CASE WHEN random() < 0.5 THEN '男' ELSE '女' END AS sex,
             date '1940-01-01' + floor(random() * 25000)::int AS birth,
             (${sqlList(COUNTIES)})[1 + floor(random() * ${COUNTIES.length})::int] AS county,
             '1' || lpad(floor(random() * 1000)::int::text, 3, '0') || '00' AS postcode,
             (${sqlList(OCCUPATIONS)})[1 + floor(random() * ${OCCUPATIONS.length})::int] AS occupation,
             (${sqlList(EDUCATION)})[1 + floor(random() * ${EDUCATION.length})::int] AS education
        FROM generate_series(1, ${ROWS}) g;
    ANALYZE bench_people;`);
  const repo = openRepo(db);
  const t = { k: 5, l: 2, maxSuppression: 0.05 };
  let classes = 0;
  let proposal = '';
  const pdx = async () => {
    const rows = await repo.classTable('bench_people', QIS, []);
    const model = buildModel(SPECS, [], rows);
    const outcome = check(model, QIS.map(() => 0), t, 1);
    classes = rows.length;
    proposal = outcome.proposals[0] ? outcome.proposals[0].result.levels.join(',') : 'none';
  };
  const baseline = () => db.query(`SELECT ${QIS.join(', ')}, count(*) AS n FROM bench_people GROUP BY ${QIS.map((_, i) => i + 1).join(', ')}`);
  await baseline();
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = await timed(baseline);
    const p = await timed(pdx);
    rounds.push({ pdx: ROWS / p, baseline: ROWS / b });
  }
  section(`de-identification check (PostgreSQL server, in process)`);
  print('k-anonymity check + 1 proposal (rows/s)', 'rows/s', `${ROWS.toLocaleString('en-US')} rows × 6 quasi-identifiers, ${classes.toLocaleString('en-US')} classes; proposal levels ${proposal}`, rounds, 'bare GROUP BY');
  await db.exec('DROP TABLE bench_people');
}

function load(url: string): Promise<{ rps: number; p99: number; errors: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', LOAD, url, String(CLIENTS), String(ROUND_MS)], { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

async function portalBench(db: Db) {
  const t = await startTestApp(db, { PDX_RATE_LIMIT: '100000000', PDX_OPEN_ANONYMOUS_PER_MINUTE: '100000000' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-open-'));
  const baseline = Fastify();
  try {
    const w = await openWorld(t, DOWNLOAD_ROWS);
    await openDataset(w.officer, w.petitions, [
      { name: '年龄', role: 'quasi', hierarchy: 'age', level: 2 },
      { name: '登记日期', role: 'quasi', hierarchy: 'date', level: 2 },
    ]);
    await db.query('ANALYZE');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const pdxBase = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const pageUrl = `${pdxBase}/api/v1/open/datasets/${w.petitions}`;
    const csvUrl = `${pdxBase}/api/v1/open/datasets/${w.petitions}/download?format=csv`;
    // The baseline serves the very bytes pdx answers.
    const page = Buffer.from(await (await fetch(pageUrl)).arrayBuffer());
    const csv = Buffer.from(await (await fetch(csvUrl)).arrayBuffer());
    fs.writeFileSync(path.join(dir, 'page.json'), page);
    fs.writeFileSync(path.join(dir, 'data.csv'), csv);
    await baseline.register(fastifyStatic, { root: dir });
    await baseline.listen({ port: 0, host: '127.0.0.1' });
    const staticBase = `http://127.0.0.1:${(baseline.server.address() as { port: number }).port}`;
    section(`portal under ${CLIENTS} concurrent clients (load generator in its own process, PostgreSQL server)`);
    for (const [name, pdxUrl, staticUrl, bytes] of [
      ['dataset page (req/s)', pageUrl, `${staticBase}/page.json`, page.length],
      [`${DOWNLOAD_ROWS.toLocaleString('en-US')}-row CSV download (req/s)`, csvUrl, `${staticBase}/data.csv`, csv.length],
    ] as const) {
      const rounds: Round[] = [];
      let errors = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const b = await load(staticUrl);
        const p = await load(pdxUrl);
        errors += p.errors + b.errors;
        rounds.push({ pdx: p.rps, baseline: b.rps });
      }
      print(name, 'req/s', `${bytes.toLocaleString('en-US')} bytes per answer; errors ${errors}`, rounds, '@fastify/static, same bytes');
    }
    const audited = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_records WHERE action = 'open.download'`))[0]!.n;
    console.log(`open.download audit records written: ${audited.toLocaleString('en-US')}`);
  } finally {
    await baseline.close();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<void> {
  const cluster = process.env.PDX_BENCH_DATABASE_URL ? undefined : await startPgCluster({ durable: true });
  const url = process.env.PDX_BENCH_DATABASE_URL ?? cluster!.url;
  const db = await openPostgres(url, 20);
  try {
    await migrate(db);
    const only = process.env.PDX_BENCH_OPEN_ONLY;
    if (only !== 'portal') await checkBench(db);
    if (only !== 'check') await portalBench(db);
  } finally {
    await db.close();
    cluster?.stop();
  }
}
