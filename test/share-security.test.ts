/**
 * Security matrix: callers × endpoints × grant states. Only an active grant of the caller's own
 * organisation yields data; every other combination answers an error that carries no value of the
 * dataset, no count and no hint of which rows exist. Plus a fuzz of the records API against the
 * database: no 500 and no SQL error ever reaches the client.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { peopleRows } from './fixtures/people.ts';
import { ADMIN_PASSWORDS, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, publishPeople, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

type State = 'none' | 'pending' | 'provider_approved' | 'active' | 'expired' | 'revoked';
const STATES: State[] = ['none', 'pending', 'provider_approved', 'active', 'expired', 'revoked'];
const ROWS = 60;

describeEachBackend('share security matrix and API fuzz', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;
  const datasets = {} as Record<State, string>;
  const secrets = new Set<string>();
  let callers: Record<string, Client>;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, ROWS);
    for (const [i, state] of STATES.entries()) {
      const seed = 100 + i;
      for (const row of peopleRows(ROWS, seed)) for (const v of row.slice(0, 4)) secrets.add(v);
      const code = await publishPeople(w.officer, { name: `矩阵数据${i}`, rows: ROWS, seed });
      datasets[state] = code;
      const world = { ...w, code };
      if (state === 'none') continue;
      if (state === 'pending') {
        await w.consumer.call('POST', '/api/v1/share/requests', {
          dataset: code,
          columns: ['姓名'],
          purpose: '测试用途',
          purposeCategory: 'other',
          legalBasis: '测试依据',
          endDate: '2099-01-01',
        });
        continue;
      }
      if (state === 'provider_approved') {
        const r = await w.consumer.call('POST', '/api/v1/share/requests', {
          dataset: code,
          columns: ['姓名', '身份证号'],
          purpose: '测试用途',
          purposeCategory: 'other',
          legalBasis: '测试依据',
          endDate: '2099-01-01',
        });
        await w.officer.call('POST', `/api/v1/share/requests/${r.json().id}/approve`, {
          columns: [
            { name: '姓名', mode: 'masked' },
            { name: '身份证号', mode: 'pseudonym' },
          ],
        });
        continue;
      }
      const { grantId } = await grantJourney(world);
      if (state === 'expired') await t.db.query(`UPDATE share_grants SET expires_at = now() - interval '1 day' WHERE id = $1`, [grantId]);
      if (state === 'revoked') await w.officer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: '矩阵测试' });
    }
    const auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const otherOfficer = (await provisionUser(t, w.admin, 'jz-officer', ['data_officer'], w.otherOrg)).client;
    callers = {
      consumerSession: w.consumer,
      consumerKey: w.keyClient,
      civilOfficer: w.civilOfficer,
      otherOrgSession: w.otherConsumer,
      otherOrgKey: t.withKey(w.otherKey),
      otherOrgOfficer: otherOfficer,
      providerOfficer: w.officer,
      secadmin: w.secadmin,
      auditor,
      sysadmin: w.admin,
      anonymous: t.anonymous,
      badKey: t.withKey('pdx_abcdefgh_notarealkeynotarealkeynotarealkey'),
    };
  });
  afterAll(() => t?.close());

  const endpoints: [string, (c: Client, code: string) => ReturnType<Client['call']>][] = [
    ['records json', (c, code) => c.call('GET', `/api/v1/datasets/${code}/records?limit=50`)],
    ['records ndjson', (c, code) => c.call('GET', `/api/v1/datasets/${code}/records`, undefined, { accept: 'application/x-ndjson' })],
    ['records csv', (c, code) => c.call('GET', `/api/v1/datasets/${code}/records`, undefined, { accept: 'text/csv' })],
    ['records filtered', (c, code) => c.call('GET', `/api/v1/datasets/${code}/records?户籍地=eq.${encodeURIComponent('朝阳市')}&order=人口数.desc`)],
    ['records hidden filter', (c, code) => c.call('GET', `/api/v1/datasets/${code}/records?手机号=like.${encodeURIComponent('138*')}`)],
    ['verify', (c, code) => c.call('POST', `/api/v1/datasets/${code}/verify`, { match: { 手机号: '13800000000' } })],
    ['exports', (c, code) => c.call('POST', `/api/v1/datasets/${code}/exports`, { format: 'csv', query: '' })],
    ['access', (c, code) => c.call('GET', `/api/v1/datasets/${code}/access`)],
  ];
  const dataCallers = new Set(['consumerSession', 'consumerKey', 'civilOfficer']);

  it("only an active grant of the caller's own organisation yields data; nothing leaks otherwise", async () => {
    let checked = 0;
    for (const state of STATES) {
      for (const [who, client] of Object.entries(callers)) {
        const bodies = new Map<string, string>();
        for (const [name, call] of endpoints) {
          const res = await call(client, datasets[state]);
          checked++;
          const label = `${state} ${who} ${name}`;
          expect(res.statusCode, label).not.toBe(500);
          const allowed = state === 'active' && dataCallers.has(who);
          if (!allowed) {
            expect(res.statusCode, `${label}: ${res.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
            for (const secret of secrets) if (res.body.includes(secret)) throw new Error(`${label} leaks ${secret}`);
            expect(res.body, label).not.toMatch(/"rows"|"match"|rowCount|"next"/);
            bodies.set(name, res.json().error?.code ?? '');
          } else if (name === 'records hidden filter') {
            expect(res.statusCode, label).toBe(400);
            expect(res.json().error.code).toBe('column_verify_only');
          } else {
            expect([200, 202], label).toContain(res.statusCode);
          }
        }
        // The same refusal on every data endpoint: a caller learns nothing from which one it tries.
        if (!(state === 'active' && dataCallers.has(who))) {
          const codes = new Set([...bodies.entries()].filter(([n]) => n !== 'exports' && n !== 'verify' && n !== 'records hidden filter').map(([, c]) => c));
          expect(codes.size, `${state} ${who}: ${[...codes].join(',')}`).toBe(1);
        }
      }
    }
    expect(checked).toBe(STATES.length * Object.keys(callers).length * endpoints.length);
  });

  it('the grant and request APIs are bounded the same way', async () => {
    const grants = (await w.consumer.call('GET', '/api/v1/share/grants')).json().items as { id: string }[];
    expect(grants.length).toBeGreaterThan(0);
    for (const who of ['otherOrgSession', 'otherOrgOfficer', 'auditor', 'sysadmin', 'anonymous'] as const) {
      const res = await callers[who]!.call('GET', `/api/v1/share/grants/${grants[0]!.id}`);
      expect([401, 403, 404], who).toContain(res.statusCode);
      const list = await callers[who]!.call('GET', '/api/v1/share/grants');
      if (list.statusCode === 200) expect(list.json().items, who).toEqual([]);
      const revoke = await callers[who]!.call('POST', `/api/v1/share/grants/${grants[0]!.id}/revoke`, { reason: '不应成功' });
      expect(revoke.statusCode, who).toBeGreaterThanOrEqual(400);
    }
  });

  it('fuzz against the database: random query strings never give a 500 or an SQL error', async () => {
    const names = ['姓名', '身份证号', '手机号', '住址', '户籍地', '出生日期', '人口数', 'select', 'order', 'limit', 'after', 'or'];
    const ops = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'in', 'is', 'not.eq', 'not.in', 'not.is', 'zz'];
    const values = [
      '朝阳市',
      '1',
      '-1',
      '99999999999999999999',
      '1.5',
      '1e308',
      '2024-02-30',
      '1987-01-01',
      'null',
      "'",
      '"',
      '(a,b)',
      '("a,b",c)',
      '*',
      '%',
      '_',
      '\\',
      '',
      'X'.repeat(3000),
      '\u0000',
      '姓名.asc',
      '人口数.desc,户籍地',
      'WzEsMl0',
      '0',
      '10001',
    ];
    const param = fc
      .tuple(fc.constantFrom(...names), fc.constantFrom(...ops), fc.constantFrom(...values))
      .map(
        ([n, o, v]) =>
          `${encodeURIComponent(n)}=${encodeURIComponent(n === 'select' || n === 'order' || n === 'limit' || n === 'after' ? v : n === 'or' ? `(${names[0]}.${o}.${v})` : `${o}.${v}`)}`,
      );
    const query = fc.oneof(
      fc.array(param, { maxLength: 5 }).map((p) => p.join('&')),
      fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s).replace(/%3D/g, '=').replace(/%26/g, '&')),
    );
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const res = await w.keyClient.call('GET', `/api/v1/datasets/${datasets.active}/records?${q}`);
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        expect([200, 400], `${q}: ${res.body.slice(0, 300)}`).toContain(res.statusCode);
        if (res.statusCode === 400) {
          expect(res.json().error.code).not.toBe('internal');
          expect(res.body).not.toMatch(/syntax error|relation "|column "|SQLSTATE|pg_/i);
        }
      }),
      { numRuns: 400 },
    );
    expect(seen.get(200)).toBeGreaterThan(0);
    expect(seen.get(400)).toBeGreaterThan(0);
  });
});
