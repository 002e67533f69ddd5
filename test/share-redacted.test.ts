/**
 * The `redacted` grant mode (issue 24 §3): a free-text column read through the records API (JSON,
 * NDJSON, CSV) and an export, with every detected span replaced; no clear span gets through; filters
 * and order on it are refused; only the granted organisation reads it. A push delivery into the
 * consumer's own database carries the same redacted text.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findSpans } from '../src/modules/classify/text.ts';
import { redactText } from '../src/modules/classify/redact.ts';
import { generateDocuments } from './corpus/documents.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, waitForJob, type Client } from './helpers/api.ts';
import { createServerDatabase, describeEachBackend } from './helpers/db.ts';
import { apiKey, startShareApp, uploadCsv, type ShareTestApp } from './share-helpers.ts';

/** 60 petitions: one row each, the prose of a generated document in 事项内容. */
const petitions = generateDocuments(424, 60)
  .text.split('\n\n')
  .filter((d) => d.trim())
  .map((d, i) => ({
    no: `XF2024${String(i + 1).padStart(6, '0')}`,
    content: d.replaceAll('\n', ' '),
    kind: ['城乡建设', '劳动社保', '农村农业'][i % 3]!,
    visits: 1 + (i % 4),
  }));

function csv(): string {
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  return ['事项编号,事项内容,诉求类别,来访次数', ...petitions.map((p) => [p.no, quote(p.content), p.kind, p.visits].join(','))].join('\n') + '\n';
}

/** The clear values of the spans found in the petitions (the ones redaction must take out). */
const clearSpans = [...new Set(petitions.flatMap((p) => findSpans(p.content).map((s) => p.content.slice(s.start, s.end))))];
/** Long enough that seeing one in an answer can only mean it leaked. */
const leakable = clearSpans.filter((v) => v.length >= 6);

function expectNoLeak(body: string): void {
  const leaked = leakable.filter((v) => body.includes(v));
  expect(leaked, 'clear spans in the answer').toEqual([]);
}

describeEachBackend('the redacted grant mode', ({ use }) => {
  let t: ShareTestApp;
  let officer: Client;
  let consumer: Client;
  let otherConsumer: Client;
  let key: string;
  let code: string;
  let grantId: string;
  const requestColumns = (columns: string[]) =>
    consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns,
      purpose: '信访事项督办',
      purposeCategory: 'administrative_duty',
      legalBasis: '《信访工作条例》',
      endDate: '2099-12-31',
    });
  const records = (query: string, headers: Record<string, string> = {}) =>
    t.withKey(key).call('GET', `/api/v1/datasets/${code}/records${query}`, undefined, headers);

  beforeAll(async () => {
    t = await startShareApp(use().db, { PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    const petitionOrg = await createOrg(admin, '省信访局');
    const cityOrg = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    const otherOrg = await createOrg(admin, '锦州市民政局', 'city', '210700');
    officer = (await provisionUser(t, admin, 'xf-officer', ['data_officer'], petitionOrg)).client;
    consumer = (await provisionUser(t, admin, 'zy-consumer', ['consumer'], cityOrg)).client;
    otherConsumer = (await provisionUser(t, admin, 'jz-consumer', ['consumer'], otherOrg)).client;

    const created = await officer.call('POST', '/api/v1/datasets', { name: '信访事项登记', summary: '信访事项', share_type: 'conditional' });
    code = created.json().code;
    await uploadCsv(officer, code, csv());
    expect((await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] })).statusCode).toBe(200);
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);

    const request = await requestColumns(['事项编号', '事项内容', '诉求类别']);
    expect(request.statusCode).toBe(201);
    const requestId = request.json().id;
    const detail = (await officer.call('GET', `/api/v1/share/requests/${requestId}`)).json();
    // The approval form starts a 4级 free-text column as redacted.
    expect(detail.columnDetails.find((c: { name: string }) => c.name === '事项内容')).toMatchObject({ grade: 4, freeText: true, dataType: 'text' });
    const approved = await officer.call('POST', `/api/v1/share/requests/${requestId}/approve`, {
      columns: [
        { name: '事项编号', mode: 'clear' },
        { name: '事项内容', mode: 'redacted', redact: 'placeholder' },
        { name: '诉求类别', mode: 'clear' },
      ],
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().state).toBe('provider_approved');
    const sec = await secadmin.call('POST', `/api/v1/share/requests/${requestId}/security-approve`, { note: '同意去标识共享' });
    expect(sec.statusCode).toBe(200);
    grantId = (await consumer.call('GET', `/api/v1/share/requests/${requestId}`)).json().grantId;
    key = await apiKey(consumer);
  });
  afterAll(() => t?.close());

  it('classifies the petitions as free text graded by its most sensitive span, with masked example spans', async () => {
    const review = (await officer.call('GET', `/api/v1/datasets/${code}/classification`)).json();
    const column = review.columns.find((c: { name: string }) => c.name === '事项内容');
    expect(column.detected.text.spans[0].type).toBe('cn_resident_id');
    expect(column.detected.text.spans.map((s: { type: string }) => s.type)).toEqual(expect.arrayContaining(['person_name', 'cn_mobile', 'address']));
    expect(column.detected.grade).toBe(4);
    expect(column.encrypted).toBe(true);
    expect(column.examples.length).toBeGreaterThan(0);
    for (const e of column.examples) expect(e).toContain('*');
    expectNoLeak(JSON.stringify(review));
  });

  it('JSON: every detected span replaced by its placeholder, the rest of the text kept', async () => {
    const res = await records('?limit=100');
    expect(res.statusCode).toBe(200);
    const rows = res.json().rows as Record<string, string>[];
    expect(rows).toHaveLength(petitions.length);
    rows.forEach((row, i) => {
      expect(row['事项编号']).toBe(petitions[i]!.no);
      expect(row['事项内容']).toBe(redactText(petitions[i]!.content, 'placeholder'));
    });
    expect(res.body).toContain('〔身份证号〕');
    expect(res.body).toContain('〔姓名〕');
    expectNoLeak(res.body);
    const event = t.events.filter((e) => e.action === 'data.read').at(-1)!;
    expect(event.details).toMatchObject({ columns: expect.arrayContaining([{ name: '事项内容', mode: 'redacted' }]), grantId });
  });

  it('NDJSON and CSV streams are redacted the same way', async () => {
    const nd = await records('?limit=100', { accept: 'application/x-ndjson' });
    expect(nd.statusCode).toBe(200);
    expect(nd.body.trim().split('\n').length).toBeGreaterThanOrEqual(petitions.length);
    expectNoLeak(nd.body);
    const csvBody = await records('?select=事项内容&limit=100', { accept: 'text/csv' });
    expect(csvBody.statusCode).toBe(200);
    expect(csvBody.body).toContain('〔手机号〕');
    expectNoLeak(csvBody.body);
  });

  it('exports are redacted too', async () => {
    const created = await t.withKey(key).call('POST', `/api/v1/datasets/${code}/exports`, { format: 'ndjson', query: `grant=${grantId}` });
    expect(created.statusCode).toBe(202);
    const { jobId, downloadUrl } = created.json();
    expect((await waitForJob(t.withKey(key), jobId)).error).toBeNull();
    const file = await t.withKey(key).call('GET', downloadUrl);
    expect(file.statusCode).toBe(200);
    const lines = file.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines.map((l) => l['事项内容'])).toEqual(petitions.map((p) => redactText(p.content, 'placeholder')));
    expectNoLeak(file.body);
  });

  it("push deliveries into the consumer's database are redacted too", async () => {
    const target = await createServerDatabase();
    const client = new pg.Client(target.url);
    await client.connect();
    try {
      const u = new URL(target.url);
      const added = await consumer.call('POST', '/api/v1/exchange/targets', {
        name: '朝阳民政前置库',
        kind: 'postgresql',
        host: u.hostname,
        port: Number(u.port),
        database: u.pathname.slice(1),
        user: decodeURIComponent(u.username),
        password: `Tg-${randomBytes(6).toString('hex')}`,
        tls: 'off',
      });
      expect(added.statusCode, added.body).toBe(201);
      const sub = await consumer.call('POST', '/api/v1/exchange/subscriptions', {
        grantId,
        targetId: added.json().id,
        mode: 'full',
        intervalMinutes: 60,
        table: 'petitions',
      });
      expect(sub.statusCode, sub.body).toBe(201);
      const run = await consumer.call('POST', `/api/v1/exchange/subscriptions/${sub.json().id}/deliver`);
      expect(run.statusCode, run.body).toBe(202);
      expect((await waitForJob(consumer, run.json().jobId)).error).toBeNull();
      const rows = (await client.query('SELECT * FROM public.petitions')).rows as Record<string, string>[];
      const byNo = new Map(rows.map((r) => [r['事项编号'], r['事项内容']]));
      expect(byNo.size).toBe(petitions.length);
      for (const p of petitions) expect(byNo.get(p.no)).toBe(redactText(p.content, 'placeholder'));
      expectNoLeak(JSON.stringify(rows));
    } finally {
      await client.end();
      await target.drop();
    }
  });

  it('refuses a filter or an order on the redacted column, like on a masked one', async () => {
    for (const [query, errorCode] of [
      ['?事项内容=like.*张*', 'column_not_filterable'],
      [`?事项内容=eq.${encodeURIComponent(petitions[0]!.content)}`, 'column_not_filterable'],
      ['?or=(事项内容.like.*1*,诉求类别.eq.城乡建设)', 'column_not_filterable'],
      ['?order=事项内容.asc', 'column_not_orderable'],
    ] as const) {
      const res = await records(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error).toMatchObject({ code: errorCode, details: { column: '事项内容' } });
    }
    // Filters on the clear columns still work.
    expect((await records('?诉求类别=eq.城乡建设&limit=100')).json().rows).toHaveLength(petitions.filter((p) => p.kind === '城乡建设').length);
  });

  it('authorization boundary: no grant, no key, no session: nothing', async () => {
    const other = await otherConsumer.call('GET', `/api/v1/datasets/${code}/records`);
    expect(other.statusCode).toBe(403);
    expect(other.json().error.code).toBe('no_grant');
    expectNoLeak(other.body);
    expect((await t.anonymous.call('GET', `/api/v1/datasets/${code}/records`)).statusCode).toBe(401);
    // The provider reads its own data through the catalogue, not through a grant.
    expect((await officer.call('GET', `/api/v1/datasets/${code}/records`)).statusCode).toBe(403);
  });

  it('the redacted mode applies to text columns only, with a known style', async () => {
    const request = await requestColumns(['事项内容', '来访次数']);
    const id = request.json().id;
    const numbers = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, { columns: [{ name: '来访次数', mode: 'redacted' }] });
    expect(numbers.statusCode).toBe(400);
    expect(numbers.json().error).toMatchObject({ code: 'mode_not_applicable', details: { column: '来访次数' } });
    const style = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, { columns: [{ name: '事项内容', mode: 'redacted', redact: 'rainbow' }] });
    expect(style.statusCode).toBe(400);
  });
});
