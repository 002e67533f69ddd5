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
 * One warm-up of each side, then PDX_BENCH_ROUNDS rounds alternating which side goes first (lib.ts
 * alternate()); each figure prints the medians, the median ratio and its spread (lib.ts report()).
 * The load generator is bench/child/http-load.ts (lib.ts httpLoad()), in its own process.
 * PDX_BENCH_OPEN_ONLY=check|portal runs one part; PDX_BENCH_ROUND_MS the length of a load run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { migrate, type Db } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { buildModel, check } from '../src/modules/open/deid.ts';
import { openRepo } from '../src/modules/open/open.repo.ts';
import { startTestApp } from '../test/helpers/api.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';
import { openDataset, openWorld } from '../test/open-helpers.ts';
import { alternate, httpLoad, report, seconds, section, type LoadResult } from './lib.ts';

const ROWS = Number(process.env.PDX_BENCH_OPEN_ROWS ?? 1_000_000);
const DOWNLOAD_ROWS = Number(process.env.PDX_BENCH_OPEN_DOWNLOAD_ROWS ?? 10_000);
const CLIENTS = 32;
const ROUND_MS = Number(process.env.PDX_BENCH_ROUND_MS ?? 4000);

const QIS = ['sex', 'birth', 'county', 'postcode', 'occupation', 'education'];
const SPECS = [
  { name: '性别', kind: 'category' as const },
  { name: '出生日期', kind: 'date' as const },
  { name: '区县', kind: 'region' as const, near: '210000' },
  { name: '邮编', kind: 'prefix' as const },
  { name: '职业', kind: 'category' as const },
  { name: '学历', kind: 'category' as const },
];
const COUNTIES = [
  '和平区',
  '沈河区',
  '大东区',
  '皇姑区',
  '铁西区',
  '苏家屯区',
  '浑南区',
  '于洪区',
  '辽中区',
  '康平县',
  '法库县',
  '新民市',
  '中山区',
  '西岗区',
  '沙河口区',
  '甘井子区',
  '旅顺口区',
  '金州区',
  '普兰店区',
  '长海县',
  '瓦房店市',
  '庄河市',
  '铁东区',
  '立山区',
  '千山区',
  '台安县',
  '岫岩满族自治县',
  '海城市',
  '新抚区',
  '东洲区',
  '望花区',
  '顺城区',
  '抚顺县',
  '古塔区',
  '凌河区',
  '太和区',
  '黑山县',
  '义县',
  '凌海市',
  '北镇市',
  '双塔区',
  '龙城区',
  '朝阳县',
  '建平县',
  '北票市',
  '凌源市',
  '站前区',
  '西市区',
  '鲅鱼圈区',
  '老边区',
  '盖州市',
  '大石桥市',
];
const OCCUPATIONS = [
  '教师',
  '医生',
  '护士',
  '工程师',
  '会计',
  '司机',
  '厨师',
  '销售',
  '农民',
  '工人',
  '公务员',
  '律师',
  '程序员',
  '设计师',
  '记者',
  '保安',
  '快递员',
  '个体经营',
  '学生',
  '退休',
];
const EDUCATION = ['小学', '初中', '高中', '中专', '大专', '本科', '研究生'];
const sqlList = (values: string[]) => `ARRAY[${values.map((v) => `'${v}'`).join(',')}]`;

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
    const outcome = check(
      model,
      QIS.map(() => 0),
      t,
      1,
    );
    classes = rows.length;
    proposal = outcome.proposals[0] ? outcome.proposals[0].result.levels.join(',') : 'none';
  };
  const baseline = () => db.query(`SELECT ${QIS.join(', ')}, count(*) AS n FROM bench_people GROUP BY ${QIS.map((_, i) => i + 1).join(', ')}`);
  const rounds = await alternate({ pdx: async () => ROWS / (await seconds(pdx)), baseline: async () => ROWS / (await seconds(baseline)) });
  section(`de-identification check (PostgreSQL server, in process)`);
  report({
    name: 'k-anonymity check + 1 proposal',
    size: `${ROWS.toLocaleString('en-US')} rows × 6 quasi-identifiers, ${classes.toLocaleString('en-US')} classes; proposal levels ${proposal}`,
    unit: 'rows/s',
    ...rounds,
    baselineName: 'bare GROUP BY',
  });
  await db.exec('DROP TABLE bench_people');
}

/** One load run against a full URL, from the load generator's own process. */
async function load(url: string): Promise<LoadResult> {
  const u = new URL(url);
  return httpLoad({ url: u.origin, path: u.pathname + u.search, connections: CLIENTS, seconds: ROUND_MS / 1000 });
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
      let errors = 0;
      const rounds = await alternate({
        pdx: async () => {
          const r = await load(pdxUrl);
          errors += r.errors;
          return r.rps;
        },
        baseline: async () => {
          const r = await load(staticUrl);
          errors += r.errors;
          return r.rps;
        },
      });
      report({
        name,
        size: `${bytes.toLocaleString('en-US')} bytes per answer; errors ${errors}`,
        unit: 'req/s',
        ...rounds,
        baselineName: '@fastify/static, same bytes',
      });
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
