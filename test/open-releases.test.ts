/**
 * Releases on real databases: random person-level tables through the real pipeline (upload,
 * classification, catalogue), random plans and thresholds; every release that gets published
 * satisfies its thresholds on what the portal serves (for every quasi-identifier combination at
 * least k rows and l distinct sensitive values, suppression within the limit), never contains a
 * removed column, and a 4级 column is never opened. A withdrawal holds at once on another process.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from './corpus/random.ts';
import { personName, residentId } from './corpus/values.ts';
import { startTestApp, type TestApp } from './helpers/api.ts';
import { describeEachBackend, openTestDatabase, type TestDatabase } from './helpers/db.ts';
import { catalogueDataset, COUNTIES, csvOf, KINDS, openDataset, openWorld, type OpenWorld } from './open-helpers.ts';

const HEADER = ['身份证号', '姓名', '性别', '年龄', '区县', '邮编', '诉求类别', '登记日期'];
/** Columns an officer may open in some role. */
const OPENABLE = ['性别', '年龄', '区县', '邮编', '诉求类别', '登记日期'];
const HIERARCHY: Record<string, string> = { 性别: 'category', 年龄: 'age', 区县: 'region', 邮编: 'prefix', 诉求类别: 'category', 登记日期: 'date' };
const TOP: Record<string, number> = { category: 1, age: 4, region: 4, prefix: 3, date: 3 };

function table(seed: number, rows: number): string[][] {
  const r = new Random(seed);
  return Array.from({ length: rows }, () => [
    residentId(r),
    personName(r),
    r.pick(['男', '女']),
    String(r.int(18, 60)),
    r.pick(COUNTIES.slice(0, r.int(2, COUNTIES.length))),
    `12${r.int(1, 3)}0${r.pick(['00', '01', '10'])}`,
    r.chance(0.1) ? '' : r.pick(KINDS),
    `2023-0${r.int(1, 9)}-1${r.int(0, 9)}`,
  ]);
}

const planArb = fc.record(
  Object.fromEntries(
    OPENABLE.map((name) => [
      name,
      fc.record({
        role: fc.constantFrom('quasi', 'quasi', 'sensitive', 'insensitive', 'excluded', 'direct'),
        level: fc.integer({ min: 0, max: TOP[HIERARCHY[name]!]! }),
      }),
    ]),
  ) as Record<string, fc.Arbitrary<{ role: string; level: number }>>,
);

describeEachBackend('releases', ({ use }) => {
  let t: TestApp;
  let w: OpenWorld;

  beforeAll(async () => {
    t = await startTestApp(use().db, { PDX_OPEN_ANONYMOUS_PER_MINUTE: '100000' });
    w = await openWorld(t, 60);
    return () => t.close();
  });

  it('every published release satisfies its thresholds and never contains a removed column (property)', async () => {
    let published = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 40, max: 160 }),
        planArb,
        fc.record({ k: fc.integer({ min: 2, max: 6 }), l: fc.integer({ min: 1, max: 3 }), maxSuppression: fc.constantFrom(0, 0.05, 0.2) }),
        async (seed, rows, plan, thresholds) => {
          expect((await w.secadmin.call('PUT', '/api/v1/open/manage/settings', thresholds)).statusCode).toBe(200);
          const code = await catalogueDataset(
            w.officer,
            { name: `信访样本 ${seed}`, summary: '随机表', open_type: 'unconditional' },
            csvOf(HEADER, table(seed, rows)),
          );
          const created = (await w.officer.call('POST', '/api/v1/open/manage/releases', { dataset: code })).json();
          const columns = created.columns.map((c: { name: string; hierarchy: string }) => {
            const p = plan[c.name];
            return p ? { ...c, hierarchy: HIERARCHY[c.name], role: p.role, level: p.level } : c;
          });
          const put = await w.officer.call('PUT', `/api/v1/open/manage/releases/${created.id}`, { columns });
          if (put.statusCode !== 200) expect(put.json().error.code).toBe('grade3_needs_deidentification');
          let checked = (await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/check`)).json();
          if (!checked.report.passed && checked.report.proposals.length) {
            const levels = new Map(checked.report.proposals[0].levels.map((l: { name: string; level: number }) => [l.name, l.level]));
            const applied = checked.columns.map((c: { name: string; level: number }) => (levels.has(c.name) ? { ...c, level: levels.get(c.name) } : c));
            expect((await w.officer.call('PUT', `/api/v1/open/manage/releases/${created.id}`, { columns: applied })).statusCode).toBe(200);
            checked = (await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/check`)).json();
          }
          const publish = await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/publish`);
          if (!checked.columns.some((c: { role: string }) => ['quasi', 'sensitive', 'insensitive'].includes(c.role))) {
            // A plan that removes every column puts nothing on the portal.
            expect(publish.statusCode).toBe(400);
            expect(publish.json().error.code).toBe('nothing_opened');
            expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${code}`)).statusCode).toBe(404);
            return;
          }
          if (!checked.report.passed) {
            expect(publish.statusCode).toBe(409);
            expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${code}`)).statusCode).toBe(404);
            return;
          }
          expect(publish.statusCode, publish.body).toBe(200);
          published++;
          const release = publish.json();
          const released = release.columns.filter((c: { role: string }) => ['quasi', 'sensitive', 'insensitive'].includes(c.role));
          const quasi = released.filter((c: { role: string }) => c.role === 'quasi').map((c: { name: string }) => c.name);
          const sensitive = released.filter((c: { role: string }) => c.role === 'sensitive').map((c: { name: string }) => c.name);
          const served = (await t.anonymous.call('GET', `/api/v1/open/datasets/${code}/download?format=json`)).json() as Record<string, string | null>[];
          // Never a removed column, never a 4级 or direct-identifier value.
          const allowed = new Set(released.map((c: { name: string }) => c.name));
          for (const row of served) for (const key of Object.keys(row)) expect(allowed.has(key)).toBe(true);
          expect(served.every((row) => !('身份证号' in row) && !('姓名' in row))).toBe(true);
          // Suppression within the limit.
          expect(served.length).toBeGreaterThanOrEqual(rows * (1 - thresholds.maxSuppression) - 1e-9);
          // Every quasi-identifier combination: at least k rows and l distinct values of each sensitive attribute.
          const classes = new Map<string, Record<string, string | null>[]>();
          for (const row of served) {
            const key = JSON.stringify(quasi.map((q: string) => row[q]));
            classes.set(key, [...(classes.get(key) ?? []), row]);
          }
          for (const members of classes.values()) {
            if (quasi.length) expect(members.length).toBeGreaterThanOrEqual(thresholds.k);
            for (const s of sensitive) expect(new Set(members.map((m) => m[s])).size).toBeGreaterThanOrEqual(thresholds.l);
          }
        },
      ),
      { numRuns: 10 },
    );
    expect(published).toBeGreaterThan(0);
    expect((await w.secadmin.call('PUT', '/api/v1/open/manage/settings', { k: 5, l: 2, maxSuppression: 0.05 })).statusCode).toBe(200);
  });

  it('never opens a 4级 column, also when the classification rises after planning', async () => {
    const code = await catalogueDataset(w.officer, { name: '信访样本 分级', summary: '随机表', open_type: 'unconditional' }, csvOf(HEADER, table(7, 80)));
    const created = (await w.officer.call('POST', '/api/v1/open/manage/releases', { dataset: code })).json();
    const plan = created.columns.map((c: { name: string }) =>
      c.name === '诉求类别' ? { ...c, role: 'insensitive' } : c.name === '身份证号' || c.name === '姓名' ? c : { ...c, role: 'excluded' },
    );
    expect((await w.officer.call('PUT', `/api/v1/open/manage/releases/${created.id}`, { columns: plan })).statusCode).toBe(200);
    // The officer grades 诉求类别 4级 (health-like sensitive data) after planning.
    const review = await w.officer.call('PUT', `/api/v1/datasets/${code}/classification`, {
      columns: [{ name: '诉求类别', type: null, grade: 4, reason: '含健康信息,按 4 级保护' }],
    });
    expect(review.statusCode, review.body).toBe(200);
    const publish = await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/publish`);
    expect(publish.statusCode).toBe(400);
    expect(publish.json().error.code).toBe('grade4_never_opened');
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${code}`)).statusCode).toBe(404);
    // 重要数据 is never opened either: a candidate waits for the secadmin, decided important data stays closed.
    const important = await catalogueDataset(w.officer, { name: '信访样本 重要', summary: '随机表', open_type: 'unconditional' }, csvOf(HEADER, table(8, 40)));
    const policy = (await w.secadmin.call('GET', '/api/v1/classification/policy')).json();
    expect((await w.secadmin.call('PUT', '/api/v1/classification/policy', { ...policy, importantPersonThreshold: 10 })).statusCode).toBe(200);
    try {
      const waiting = await w.officer.call('POST', '/api/v1/open/manage/releases', { dataset: important });
      expect(waiting.statusCode).toBe(409);
      expect(waiting.json().error.code).toBe('important_candidate');
      expect(
        (await w.secadmin.call('POST', `/api/v1/classification/candidates/${important}/decision`, { level: 'important', reason: '涉及大量个人信息' }))
          .statusCode,
      ).toBe(200);
      const refused = await w.officer.call('POST', '/api/v1/open/manage/releases', { dataset: important });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('important_data');
    } finally {
      await w.secadmin.call('PUT', '/api/v1/classification/policy', policy);
    }
  });
});

describe('releases on several processes [postgres]', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const key = randomBytes(32).toString('base64');
    a = await startTestApp(database.db, { PDX_MASTER_KEY: key, PDX_OPEN_ANONYMOUS_PER_MINUTE: '100000' });
    b = await startTestApp(database.db, { PDX_MASTER_KEY: key, PDX_OPEN_ANONYMOUS_PER_MINUTE: '100000' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
  });

  it('a withdrawal on one process removes the release at once from another', async () => {
    const w = await openWorld(a, 60);
    const release = await openDataset(w.otherOfficer, w.events);
    // Process B serves it (and keeps the rendered file in its memory).
    expect((await b.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`)).statusCode).toBe(200);
    expect((await b.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=csv`)).statusCode).toBe(200);
    expect((await w.otherOfficer.call('POST', `/api/v1/open/manage/releases/${release.id}/withdraw`, { reason: '发现错误数据' })).statusCode).toBe(200);
    // The next request on B already refuses it.
    expect((await b.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=csv`)).statusCode).toBe(404);
    expect((await b.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/records`)).statusCode).toBe(404);
    expect((await b.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`)).statusCode).toBe(404);
  });
});
