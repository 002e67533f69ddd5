import iconv from 'iconv-lite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, multipart, provisionUser, startTestApp, waitForJob, type Client, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { peopleCsv } from './fixtures/people.ts';

describeEachBackend('catalogue and aggregation', ({ use }) => {
  let t: TestApp;
  let officer: Client;
  let otherOfficer: Client;
  let consumer: Client;
  let code: string;

  async function upload(c: Client, datasetCode: string, fileName: string, content: Buffer, query = '') {
    const { body, contentType } = multipart(fileName, content);
    return c.call('POST', `/api/v1/datasets/${datasetCode}/versions${query}`, body, { 'content-type': contentType });
  }

  beforeAll(async () => {
    t = await startTestApp(use().db);
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const police = await createOrg(admin, '省公安厅');
    const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    officer = (await provisionUser(t, admin, 'ga-officer', ['data_officer'], police)).client;
    otherOfficer = (await provisionUser(t, admin, 'mz-officer', ['data_officer'], civil)).client;
    consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
  });
  afterAll(() => t?.close());

  it('registers a draft catalogue entry invisible to other organisations', async () => {
    const res = await officer.call('POST', '/api/v1/datasets', {
      name: '户籍人口信息',
      summary: '全省户籍人口基本信息,含姓名、公民身份号码、联系电话、住址',
      domain: '公共安全',
      category: '社会/人口/户籍',
      share_type: 'conditional',
      share_conditions: '用于社会救助资格核验等法定职责',
      update_cycle: 'monthly',
      tags: ['人口', '户籍'],
      contact: { name: '王科长', phone: '024-12345678' },
    });
    expect(res.statusCode).toBe(201);
    code = res.json().code;
    expect(code).toMatch(/^210000-\d{6}$/);
    expect(res.json()).toMatchObject({ status: 'draft', providerName: '省公安厅', shareType: 'conditional' });
    expect((await consumer.call('GET', `/api/v1/datasets/${code}`)).statusCode).toBe(404);
    expect((await consumer.call('GET', '/api/v1/datasets?q=人口')).json().total).toBe(0);
    expect((await consumer.call('POST', '/api/v1/datasets', { name: '不该建' })).statusCode).toBe(403);
  });

  it('loads a GBK CSV as a version through a job, with inferred types, classification and encryption', async () => {
    const csv = iconv.encode(peopleCsv(3000), 'gbk');
    const res = await upload(officer, code, '户籍人口.csv', csv);
    expect(res.statusCode).toBe(202);
    const job = await waitForJob(officer, res.json().jobId);
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ state: 'succeeded', rows: 3000 });

    const columns = (await officer.call('GET', `/api/v1/datasets/${code}/columns`)).json().items as {
      name: string;
      dataType: string;
      grade: number;
      encrypted: boolean;
    }[];
    const byName = Object.fromEntries(columns.map((c) => [c.name, c]));
    expect(byName['身份证号']).toMatchObject({ grade: 4, encrypted: true });
    expect(byName['姓名']).toMatchObject({ grade: 3, encrypted: false });
    expect(byName['手机号']).toMatchObject({ grade: 3 });
    expect(byName['住址']).toMatchObject({ grade: 3 });
    expect(byName['出生日期']!.dataType).toBe('date');
    expect(byName['人口数']!.dataType).toBe('integer');

    const dataset = (await officer.call('GET', `/api/v1/datasets/${code}`)).json();
    expect(dataset).toMatchObject({ currentVersion: 1, rowCount: 3000, grade: 4 });
    const versions = (await officer.call('GET', `/api/v1/datasets/${code}/versions`)).json().items;
    expect(versions[0]).toMatchObject({ version: 1, state: 'active', rowsLoaded: 3000, source: { encoding: 'gbk', format: 'csv' } });

    // The ID column is stored encrypted: no clear ID is in the table.
    const sample = peopleCsv(1).split('\n')[1]!.split(',')[1]!;
    const relation = (await t.db.query<{ relation: string }>('SELECT relation FROM datasets WHERE code = $1', [code]))[0]!.relation;
    const stored = await t.db.query<{ c002: string }>(`SELECT c002 FROM ${relation} ORDER BY _row LIMIT 1`);
    expect(stored[0]!.c002).not.toBe(sample);
    expect(stored[0]!.c002.length).toBeGreaterThan(30);
    expect(t.events.some((e) => e.action === 'dataset.version_load' && e.dataset === code)).toBe(true);
  });

  it('finds the dataset by searching 人口 once published, with facets', async () => {
    const unreviewed = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
    expect(unreviewed.statusCode).toBe(409);
    expect(unreviewed.json().error.code).toBe('classification_review_required');
    expect((await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] })).statusCode).toBe(200);
    const published = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
    expect(published.statusCode).toBe(200);
    expect(published.json().publishDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const found = (await consumer.call('GET', `/api/v1/datasets?q=${encodeURIComponent('人口')}`)).json();
    expect(found.items.map((d: { code: string }) => d.code)).toContain(code);
    expect(found.facets.shareType).toEqual([{ value: 'conditional', label: 'conditional', count: 1 }]);
    expect(found.facets.org[0]).toMatchObject({ label: '省公安厅', count: 1 });
    // 信息项 are searchable too.
    expect((await consumer.call('GET', `/api/v1/datasets?q=${encodeURIComponent('身份证号')}`)).json().total).toBe(1);
    expect((await consumer.call('GET', `/api/v1/datasets?q=${encodeURIComponent('耕地')}`)).json().total).toBe(0);
    // LIKE wildcards in the query are plain characters.
    expect((await consumer.call('GET', `/api/v1/datasets?q=${encodeURIComponent('%')}`)).json().total).toBe(0);
    expect((await consumer.call('GET', '/api/v1/datasets?shareType=none')).json().total).toBe(0);
  });

  it('exports the catalogue as DCAT JSON-LD and XLSX', async () => {
    const ld = await consumer.call('GET', '/api/v1/catalog.jsonld');
    expect(ld.headers['content-type']).toContain('application/ld+json');
    const doc = ld.json();
    expect(doc['@type']).toBe('dcat:Catalog');
    const entry = doc['dcat:dataset'].find((d: { 'dct:identifier': string }) => d['dct:identifier'] === code);
    expect(entry['pdx:shareType']).toBe('有条件共享');
    expect(entry['pdx:informationItems'].map((i: { 'dct:title': string }) => i['dct:title'])).toContain('身份证号');
    const xlsx = await consumer.call('GET', '/api/v1/catalog.xlsx');
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
  });

  it('rejects a bad version with the line and column, keeping the previous version exactly', async () => {
    const lines = peopleCsv(50, 11).split('\n');
    lines[20] = lines[20]!.replace(/,(\d{17}[\dX]),/, ',11010519491231002Y,');
    const res = await upload(officer, code, 'bad.csv', Buffer.from(lines.join('\n')));
    const job = await waitForJob(officer, res.json().jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('invalid_value');
    expect(job.error?.message).toContain('第 21 行');
    expect(job.error?.message).toContain('身份证号');
    const dataset = (await officer.call('GET', `/api/v1/datasets/${code}`)).json();
    expect(dataset).toMatchObject({ currentVersion: 1, rowCount: 3000 });
    const versions = (await officer.call('GET', `/api/v1/datasets/${code}/versions`)).json().items;
    expect(versions[0]).toMatchObject({ version: 2, state: 'failed' });

    const unclosed = await upload(officer, code, 'unclosed.csv', Buffer.from(`${lines[0]}\n张三,"11010519491231002X,13800000000,x,朝阳市,1949-12-31,1\n`));
    const failed = await waitForJob(officer, unclosed.json().jobId);
    expect(failed.error?.code).toBe('unclosed_quote');
    expect((await officer.call('GET', `/api/v1/datasets/${code}`)).json().rowCount).toBe(3000);
  });

  it('quarantines invalid rows when the officer chooses so, and appends', async () => {
    expect((await officer.call('PATCH', `/api/v1/datasets/${code}`, { on_invalid: 'quarantine' })).statusCode).toBe(200);
    const lines = peopleCsv(100, 12).split('\n');
    lines[5] = lines[5]!.replace(/,(\d{17}[\dX]),/, ',11010519491231002Y,');
    lines[9] = lines[9]!.replace(/,\d+$/, ',很多');
    const res = await upload(officer, code, 'append.csv', Buffer.from(lines.join('\n')), '?mode=append');
    const job = await waitForJob(officer, res.json().jobId);
    expect(job.error).toBeNull();
    expect(job.result).toMatchObject({ rows: 98, quarantined: 2 });
    expect((await officer.call('GET', `/api/v1/datasets/${code}`)).json().rowCount).toBe(3098);
    const version = (await officer.call('GET', `/api/v1/datasets/${code}`)).json().currentVersion;
    const report = (await officer.call('GET', `/api/v1/datasets/${code}/versions/${version}`)).json();
    expect(report.quarantined.map((q: { line: number }) => q.line)).toEqual([6, 10]);
    expect(JSON.stringify(report.quarantined)).not.toContain('11010519491231002Y');
    const quality = report.version.quality;
    expect(quality.rows).toBe(100);
    expect(quality.columns.find((c: { name: string }) => c.name === '人口数').invalid).toBe(1);
    // Another organisation's officer sees neither the report nor may upload.
    expect((await otherOfficer.call('GET', `/api/v1/datasets/${code}/versions/${version}`)).statusCode).toBe(404);
    expect((await upload(otherOfficer, code, 'x.csv', Buffer.from('a\n1\n'))).statusCode).toBe(403);
  });

  it('refuses a file whose columns do not match the schema, naming them', async () => {
    const res = await upload(officer, code, 'wrong.csv', Buffer.from('姓名,证件号\n张三,1\n'));
    const job = await waitForJob(officer, res.json().jobId);
    expect(job.error?.code).toBe('schema_mismatch');
    expect(job.error?.message).toContain('身份证号');
  });

  it('gives job status only to the uploader organisation', async () => {
    const res = await upload(officer, code, 'ok.csv', iconv.encode(peopleCsv(10, 13), 'gb18030'), '?mode=append');
    const jobId = res.json().jobId;
    await waitForJob(officer, jobId);
    expect((await otherOfficer.call('GET', `/api/v1/jobs/${jobId}`)).statusCode).toBe(404);
    expect((await t.anonymous.call('GET', `/api/v1/jobs/${jobId}`)).statusCode).toBe(401);
  });
});
