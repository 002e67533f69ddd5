import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, multipart, provisionUser, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { peopleCsv } from './fixtures/people.ts';

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

  it('finds names without labels, grouped numbers, permits and plates, answering masked values only', async () => {
    const text =
      '此事由秦明辉负责跟进。村民冯秀云反映，手机199 3619 0080，座机(024)39431591，持往来港澳通行证C12345678，车牌辽J·18777，1995年6月23日出生。户主原身份证号已注销。';
    const res = await officer.call('POST', '/api/v1/scan', { text });
    expect(res.statusCode).toBe(200);
    expect(res.json().findings).toEqual([
      { type: 'person_name', start: 3, end: 6, masked: '秦**' },
      { type: 'person_name', start: 13, end: 16, masked: '冯**' },
      { type: 'cn_mobile', start: 21, end: 34, masked: '199 **** 0080' },
      { type: 'cn_landline', start: 37, end: 50, masked: '(024)******91' },
      { type: 'hk_macau_permit', start: 59, end: 68, masked: 'C*******8' },
      { type: 'cn_plate', start: 71, end: 79, masked: '辽J·****7' },
      { type: 'date_of_birth', start: 80, end: 90, masked: '1995年**月**日' },
    ]);
    for (const clear of ['秦明辉', '3619', '39431591', 'C12345678', '18777']) expect(res.body).not.toContain(clear);
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
