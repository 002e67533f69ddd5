import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, multipart, provisionUser, startTestApp, type Client, type TestApp } from '../../../test/helpers/api.ts';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import { peopleCsv } from '../../../test/fixtures/people.ts';

describeEachBackend('POST /scan', ({ use }) => {
  let t: TestApp;
  let officer: Client;
  let consumer: Client;

  beforeAll(async () => {
    t = await startTestApp(use().db);
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const org = await createOrg(admin, '省信访局');
    officer = (await provisionUser(t, admin, 'xf-officer', ['data_officer'], org)).client;
    consumer = (await provisionUser(t, admin, 'xf-consumer', ['consumer'], org)).client;
  });
  afterAll(() => t?.close());

  it('finds identifiers in free text and answers only masked values', async () => {
    const res = await officer.call('POST', '/api/v1/scan', { text: '信访人张三,身份证号11010519491231002X,联系电话13812345678。' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.kind).toBe('text');
    expect(body.findings.map((f: { type: string }) => f.type)).toEqual(expect.arrayContaining(['cn_resident_id', 'cn_mobile']));
    expect(res.body).not.toContain('11010519491231002X');
    expect(res.body).not.toContain('13812345678');
  });

  it('classifies an uploaded table', async () => {
    const { body, contentType } = multipart('people.csv', Buffer.from(peopleCsv(300)));
    const res = await officer.call('POST', '/api/v1/scan', body, { 'content-type': contentType });
    expect(res.statusCode).toBe(200);
    const table = res.json();
    expect(table).toMatchObject({ kind: 'table', rows: 300, grade: 4 });
    expect(table.columns.find((c: { name: string }) => c.name === '身份证号').types[0].type).toBe('cn_resident_id');
  });

  it('is for data officers and the security administrator only', async () => {
    expect((await consumer.call('POST', '/api/v1/scan', { text: 'x' })).statusCode).toBe(403);
    expect((await t.anonymous.call('POST', '/api/v1/scan', { text: 'x' })).statusCode).toBe(401);
    const bad = await officer.call('POST', '/api/v1/scan', { nothing: true });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('text_required');
  });
});
