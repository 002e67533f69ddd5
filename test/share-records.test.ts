import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findPgBin } from './helpers/pg-cluster.ts';
import { pseudonymizer } from '../src/modules/protect/pseudonym.ts';
import { peopleRows, PEOPLE_HEADER } from './fixtures/people.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

const ROWS = 300;
const people = [...peopleRows(ROWS, 7)].map((r) => Object.fromEntries(PEOPLE_HEADER.map((h, i) => [h, r[i]!])) as Record<string, string>);
const chaoyang = people.filter((p) => p['户籍地'] === '朝阳市');

describeEachBackend('records API: the view compiled from the grant', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;
  let grantId: string;
  const get = (query: string, headers: Record<string, string> = {}) =>
    w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records${query}`, undefined, headers);

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, ROWS);
    ({ grantId } = await grantJourney(w));
  });
  afterAll(() => t?.close());

  it('returns only the filtered rows, each column in exactly its granted form', async () => {
    expect(chaoyang.length).toBeGreaterThan(5);
    const res = await get('?limit=1000');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.next).toBeNull();
    expect(body.rows).toHaveLength(chaoyang.length);
    const datasetId = (await t.db.query<{ id: string }>('SELECT id FROM datasets WHERE code = $1', [w.code]))[0]!.id;
    const pseudo = await pseudonymizer(t.services.keyring, datasetId, w.civilOrg);
    body.rows.forEach((row: Record<string, unknown>, i: number) => {
      const p = chaoyang[i]!;
      expect(Object.keys(row).sort()).toEqual(['人口数', '住址', '出生日期', '姓名', '户籍地', '身份证号'].sort());
      expect(row['户籍地']).toBe('朝阳市');
      expect(row['身份证号']).toBe(pseudo(p['身份证号']!, 'cn_resident_id'));
      expect(row['姓名']).toBe(`${p['姓名']![0]}${'*'.repeat(p['姓名']!.length - 1)}`);
      expect(row['出生日期']).toBe(p['出生日期']!.slice(0, 4));
      expect(String(row['住址'])).not.toBe(p['住址']);
      expect(p['住址']!.startsWith(String(row['住址']))).toBe(true);
      expect(row['人口数']).toBe(Number(p['人口数']));
      // Nothing of the clear 4级 value or the verify-only column anywhere in the row.
      expect(JSON.stringify(row)).not.toContain(p['身份证号']!);
      expect(JSON.stringify(row)).not.toContain(p['手机号']!);
    });
    expect(res.headers['x-pdx-grant']).toBe(grantId);
  });

  it("README's curl example, sent as curl -G --data-urlencode sends it, answers the rows it shows; no README curl puts raw text in a URL", async () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const commands = blocks.flatMap((b) => b.replaceAll('\\\n', ' ').split('\n')).filter((l) => /^curl\b/.test(l.trim()));
    // Every URL a README curl puts on its command line is ASCII without spaces: the rest goes through --data-urlencode.
    for (const command of commands) {
      for (const url of command.match(/"https?:\/\/[^"]*"/g) ?? []) expect(url, command).toMatch(/^"[\x21-\x7e]*"$/);
    }
    const example = commands.find((c) => c.includes('/records"') && c.includes('select='))!;
    expect(example).toMatch(/^curl -G /);
    const url = new URL(/"(https?:\/\/[^"]+)"/.exec(example)![1]!);
    // curl -G appends each --data-urlencode "name=value" as name=<value percent-encoded>, joined by &.
    const data = [...example.matchAll(/--data-urlencode "([^"=]+)=([^"]*)"/g)].map((m) => `${m[1]}=${encodeURIComponent(m[2]!)}`);
    const path = url.pathname.replace('210000-000001', w.code);
    const res = await w.keyClient.call('GET', `${path}?${data.join('&')}`);
    expect(res.statusCode, res.body).toBe(200);
    const shown = JSON.parse(
      /^# (\{"rows".*)$/m
        .exec(blocks.find((b) => b.includes(example.slice(0, 30)))!)![1]!
        .replace(',…]', ']')
        .replace('"…"', 'null'),
    ) as { rows: Record<string, string>[] };
    const rows = res.json().rows as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(100);
    for (const row of rows) expect(Object.keys(row)).toEqual(Object.keys(shown.rows[0]!));
  });

  it('every data response is in the audit log with columns, modes, rows, filter, purpose and grant', async () => {
    await get('?select=姓名,人口数&limit=3');
    const event = t.events.filter((e) => e.action === 'data.read').at(-1)!;
    expect(event).toMatchObject({
      dataset: w.code,
      result: 'success',
      actor: { apiKeyId: expect.any(String), orgId: w.civilOrg },
      details: {
        columns: [
          { name: '姓名', mode: 'masked' },
          { name: '人口数', mode: 'clear' },
        ],
        rowCount: 3,
        grantId,
        purpose: '低保资格核验',
      },
    });
    expect((event.details as { filter: { grant: unknown } }).filter.grant).toEqual({ and: [{ column: '户籍地', op: 'eq', value: '朝阳市' }] });
    const history = await w.auditor.call('GET', `/api/v1/audit/access-history?dataset=${w.code}&column=${encodeURIComponent('姓名')}`);
    expect(history.statusCode).toBe(200);
    expect(history.json().entries.some((e: { grantId: string; rowCount: number }) => e.grantId === grantId && e.rowCount === 3)).toBe(true);
  });

  it('hidden, verify-only, masked and pseudonym columns: clear 400s naming the column', async () => {
    const cases: [string, string, string][] = [
      ['?select=手机号', 'column_verify_only', '手机号'],
      ['?手机号=eq.13800000000', 'column_verify_only', '手机号'],
      ['?order=手机号.asc', 'column_verify_only', '手机号'],
      ['?姓名=eq.张三', 'column_not_filterable', '姓名'],
      ['?姓名=like.张*', 'column_not_filterable', '姓名'],
      ['?order=姓名.desc', 'column_not_orderable', '姓名'],
      ['?住址=like.*朝阳*', 'column_not_filterable', '住址'],
      ['?order=身份证号', 'column_not_orderable', '身份证号'],
      ['?身份证号=gt.A', 'column_not_filterable', '身份证号'],
      ['?or=(身份证号.eq.X,人口数.eq.1)', 'column_not_filterable', '身份证号'],
      ['?select=不存在', 'unknown_column', '不存在'],
      ['?不存在=eq.1', 'unknown_column', '不存在'],
    ];
    for (const [query, code, column] of cases) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.code, query).toBe(code);
      expect(res.json().error.details.column, query).toBe(column);
      expect(res.json().error.message, query).toContain(column);
    }
  });

  it('the row filter is always applied, whatever the caller filters', async () => {
    expect((await get('?户籍地=eq.沈阳市')).json().rows).toEqual([]);
    const or = (await get('?or=(户籍地.eq.沈阳市,人口数.gte.0)&limit=1000')).json().rows;
    expect(or).toHaveLength(chaoyang.length);
    expect(or.every((r: { 户籍地: string }) => r['户籍地'] === '朝阳市')).toBe(true);
    const notZy = (await get('?户籍地=not.eq.朝阳市')).json().rows;
    expect(notZy).toEqual([]);
  });

  it('filters on clear columns with every operator, with bound values', async () => {
    const count = (q: string) => get(`${q}${q.includes('?') ? '&' : '?'}limit=1000`).then((r) => r.json().rows.length as number);
    const n = (f: (p: Record<string, string>) => boolean) => chaoyang.filter(f).length;
    expect(await count('?人口数=eq.3')).toBe(n((p) => p['人口数'] === '3'));
    expect(await count('?人口数=neq.3')).toBe(n((p) => p['人口数'] !== '3'));
    expect(await count('?人口数=gt.3')).toBe(n((p) => Number(p['人口数']) > 3));
    expect(await count('?人口数=gte.3&人口数=lte.4')).toBe(n((p) => Number(p['人口数']) >= 3 && Number(p['人口数']) <= 4));
    expect(await count('?人口数=lt.2')).toBe(n((p) => Number(p['人口数']) < 2));
    expect(await count('?人口数=in.(1,5)')).toBe(n((p) => ['1', '5'].includes(p['人口数']!)));
    expect(await count('?人口数=not.in.(1,5)')).toBe(n((p) => !['1', '5'].includes(p['人口数']!)));
    expect(await count('?户籍地=like.朝*')).toBe(chaoyang.length);
    expect(await count('?户籍地=like.*%*')).toBe(0);
    expect(await count('?人口数=is.null')).toBe(0);
    expect(await count('?人口数=not.is.null')).toBe(chaoyang.length);
    expect(await count('?or=(人口数.eq.1,and(人口数.gte.5,人口数.lte.6))')).toBe(n((p) => p['人口数'] === '1' || Number(p['人口数']) >= 5));
    // A bad value for the column type is a 400 naming the column, never an SQL error.
    const bad = await get('?人口数=gt.abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_value', details: { column: '人口数' } });
  });

  it('filtering on a pseudonym column matches the pseudonym', async () => {
    const all = (await get('?select=身份证号,人口数&limit=1000')).json().rows as { 身份证号: string }[];
    const target = all[Math.floor(all.length / 2)]!['身份证号'];
    const res = await get(`?身份证号=eq.${target}`);
    expect(res.json().rows).toHaveLength(1);
    expect(res.json().rows[0]['身份证号']).toBe(target);
    const two = await get(`?身份证号=in.(${all[0]!['身份证号']},${target.toLowerCase()})`);
    expect(two.json().rows).toHaveLength(2);
    // A clear ID (not the pseudonym) matches nothing.
    expect((await get(`?身份证号=eq.${chaoyang[0]!['身份证号']}`)).json().rows).toEqual([]);
  });

  it('pages with a keyset cursor, in default and in column order', async () => {
    for (const order of ['', '&order=人口数.desc', '&order=户籍地.asc,人口数.asc']) {
      const seen: unknown[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const res = await get(`?limit=7&select=身份证号,人口数${order}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        expect(res.statusCode).toBe(200);
        seen.push(...res.json().rows);
        after = res.json().next;
        pages++;
      } while (after && pages < 200);
      expect(seen).toHaveLength(chaoyang.length);
      expect(new Set(seen.map((r) => (r as { 身份证号: string })['身份证号'])).size).toBe(chaoyang.length);
      if (order.includes('desc')) {
        const counts = seen.map((r) => (r as { 人口数: number })['人口数']);
        expect(counts).toEqual([...counts].sort((a, b) => b - a));
      }
    }
    const bad = await get('?after=not-a-cursor');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_cursor');
  });

  it('answers NDJSON and CSV by Accept, streamed', async () => {
    const nd = await get('?select=姓名,人口数&limit=5', { accept: 'application/x-ndjson' });
    expect(nd.headers['content-type']).toContain('application/x-ndjson');
    const lines = nd.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(Object.keys(lines[0])).toEqual(['姓名', '人口数']);
    expect(nd.headers['x-next-cursor']).toMatch(/^\d+$/);
    const csv = await get('?select=户籍地,人口数&limit=5', { accept: 'text/csv' });
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.trim().split('\r\n');
    expect(rows[0]).toBe('户籍地,人口数');
    expect(rows).toHaveLength(6);
    expect(rows[1]).toMatch(/^朝阳市,\d$/);
  });

  it('limit is bounded; reserved parameters are checked', async () => {
    expect((await get('?limit=10001')).statusCode).toBe(400);
    expect((await get('?limit=0')).statusCode).toBe(400);
    expect((await get('?limit=1&limit=2')).statusCode).toBe(400);
    expect((await get('?limit=10000')).statusCode).toBe(200);
  });

  it('injection payloads in every parameter are plain values', async () => {
    const payloads = ["' OR 1=1 --", '"; DROP TABLE datasets; --', '1) OR (1=1', "朝阳市' UNION SELECT * FROM users --", '\\', '%', '_', '*'];
    for (const p of payloads) {
      const e = encodeURIComponent(p);
      for (const query of [
        `?户籍地=eq.${e}`,
        `?户籍地=like.${e}`,
        `?户籍地=in.(${e})`,
        `?or=(户籍地.eq.${e})`,
        `?select=${e}`,
        `?order=${e}`,
        `?${e}=eq.1`,
        `?after=${e}`,
        `?limit=${e}`,
        `?户籍地=${e}`,
      ]) {
        const res = await get(query);
        expect([200, 400], `${query}`).toContain(res.statusCode);
        if (res.statusCode === 200) {
          const rows = res.json().rows as { 户籍地: string }[];
          // A matching value would have to be literally the payload: never more rows than the filter allows.
          expect(rows.every((r) => r['户籍地'] === '朝阳市')).toBe(true);
          if (query.startsWith('?户籍地=eq') || query.startsWith('?户籍地=in') || query.startsWith('?or=')) expect(rows).toEqual([]);
        } else {
          expect(res.json().error.code).not.toBe('internal');
        }
      }
    }
    const tables = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM datasets');
    expect(tables[0]!.n).toBeGreaterThan(0);
  });

  it('核验: yes/no for columns granted in verify mode, through the blind index, never data', async () => {
    const v = (match: Record<string, string>) => w.keyClient.call('POST', `/api/v1/datasets/${w.code}/verify`, { match });
    const p = chaoyang[0]!;
    const yes = await v({ 身份证号: p['身份证号']!, 手机号: p['手机号']! });
    expect(yes.statusCode, yes.body).toBe(400); // 身份证号 is granted as a pseudonym, not for verification
    expect(yes.json().error).toMatchObject({ code: 'column_not_verifiable', details: { column: '身份证号' } });
    const byPhone = await v({ 手机号: p['手机号']! });
    expect(byPhone.json()).toEqual({ match: true });
    const both = await v({ 手机号: p['手机号']!, 户籍地: '朝阳市' });
    expect(both.json()).toEqual({ match: true });
    expect((await v({ 手机号: p['手机号']!, 户籍地: '沈阳市' })).json()).toEqual({ match: false });
    expect((await v({ 手机号: '13000000000' })).json()).toEqual({ match: false });
    // Rows outside the grant's row filter do not exist for verification either.
    const outside = people.find((x) => x['户籍地'] !== '朝阳市')!;
    expect((await v({ 手机号: outside['手机号']! })).json()).toEqual({ match: false });
    expect((await v({ 姓名: p['姓名']! })).json().error.code).toBe('column_not_verifiable');
    const event = t.events.filter((e) => e.action === 'data.verify').at(-1)!;
    expect(event.details).toMatchObject({ columns: [{ name: '手机号', mode: 'verify' }], grantId });
  });

  it('核验 on an encrypted column works through the blind index', async () => {
    const req = await w.consumer.call('POST', '/api/v1/share/requests', {
      dataset: w.code,
      columns: ['姓名', '身份证号'],
      purpose: '身份核验',
      purposeCategory: 'public_service',
      legalBasis: '《居民身份证法》',
      endDate: '2099-01-01',
    });
    const id = req.json().id;
    const approved = await w.officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [
        { name: '姓名', mode: 'verify' },
        { name: '身份证号', mode: 'verify' },
      ],
    });
    expect(approved.json().state).toBe('provider_approved');
    const active = await w.secadmin.call('POST', `/api/v1/share/requests/${id}/security-approve`, {});
    const verifyGrant = active.json().grantId as string;
    const v = (match: Record<string, string>) => w.keyClient.call('POST', `/api/v1/datasets/${w.code}/verify`, { match, grant: verifyGrant });
    const p = people[3]!;
    expect((await v({ 身份证号: p['身份证号']!, 姓名: p['姓名']! })).json()).toEqual({ match: true });
    // Lower-case x and spaces normalise like the blind index does.
    expect((await v({ 身份证号: ` ${p['身份证号']!.toLowerCase()} ` })).json()).toEqual({ match: true });
    expect((await v({ 身份证号: p['身份证号']!, 姓名: '王某某' })).json()).toEqual({ match: false });
    // The verify-only grant reads no records at all.
    const read = await get(`?grant=${verifyGrant}`);
    expect(read.statusCode).toBe(400);
    expect(read.json().error.code).toBe('no_readable_columns');
    expect(read.body).not.toMatch(/rows/);
    expect((await get(`?grant=${verifyGrant}&select=身份证号`)).json().error.code).toBe('column_verify_only');
  });

  it('records filter values on personal columns masked, never in clear: audit log, pg_dump, error messages', async () => {
    // A grant with 身份证号 and 出生日期 in clear (the provider and the secadmin approve).
    const req = await w.consumer.call('POST', '/api/v1/share/requests', {
      dataset: w.code,
      columns: ['姓名', '身份证号', '出生日期', '户籍地'],
      purpose: '户籍核查',
      purposeCategory: 'public_service',
      legalBasis: '《居民身份证法》',
      endDate: '2099-01-01',
    });
    const id = req.json().id;
    await w.officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [
        { name: '身份证号', mode: 'clear' },
        { name: '出生日期', mode: 'clear' },
        { name: '户籍地', mode: 'clear' },
      ],
      impactAssessment: '已完成个人信息保护影响评估',
    });
    const clearGrant = (await w.secadmin.call('POST', `/api/v1/share/requests/${id}/security-approve`, {})).json().grantId as string;
    expect(clearGrant).toMatch(/^[0-9a-f-]{36}$/);
    const p = people[11]!;
    const id18 = p['身份证号']!;
    const hit = await get(`?grant=${clearGrant}&select=身份证号,户籍地&身份证号=eq.${id18}&出生日期=eq.${p['出生日期']}`);
    expect(hit.statusCode, hit.body).toBe(200);
    expect(hit.json().rows).toEqual([{ 身份证号: id18, 户籍地: p['户籍地'] }]);
    const verify = await w.keyClient.call('POST', `/api/v1/datasets/${w.code}/verify`, { match: { 身份证号: id18 }, grant: clearGrant });
    expect(verify.json()).toEqual({ match: true });

    // The audit record names the filter with the values masked as standards.md §3 masks them.
    const event = t.events.filter((e) => e.action === 'data.read').at(-1)!;
    expect((event.details as { filter: { request: unknown } }).filter.request).toEqual({
      and: [
        { column: '身份证号', op: 'eq', value: `${id18.slice(0, 3)}***********${id18.slice(-4)}` },
        { column: '出生日期', op: 'eq', value: `${p['出生日期']!.slice(0, 4)}-**-**` },
      ],
    });
    const stored = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_records WHERE details::text LIKE '%' || $1 || '%'`, [id18]);
    expect(stored[0]!.n).toBe(0);
    if (use().url) {
      const dump = execFileSync(findPgBin('pg_dump'), ['--data-only', use().url!], { maxBuffer: 1 << 28 }).toString('utf8');
      expect(dump).toContain('户籍核查');
      expect(dump).not.toContain(id18);
    }
    // A bad value on a personal column is refused without being echoed; on another column it is quoted.
    const bad = await get(`?grant=${clearGrant}&出生日期=eq.${id18}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_value', details: { column: '出生日期' } });
    expect(bad.body).not.toContain(id18);
    expect((await get(`?grant=${grantId}&人口数=gt.abc`)).json().error.message).toContain('abc');
  });
});
