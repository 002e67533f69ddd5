import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, multipart, provisionUser, startTestApp, waitForJob, type Client, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { PEOPLE_HEADER, peopleCsv, peopleRows } from './fixtures/people.ts';
import type { Db } from '../src/db/index.ts';
import { DEFAULT_POLICY } from '../src/modules/classify/grades.ts';
import { loadPolicy } from '../src/modules/classify/review.service.ts';

/** The platform of main.ts, which wires this module's routes and publication gate. */
async function startReviewApp(db: Db): Promise<TestApp> {
  return startTestApp(db);
}

interface ColumnView {
  name: string;
  encrypted: boolean;
  detectedType: string | null;
  effectiveType: string | null;
  effectiveGrade: number;
  overridden: boolean;
  changed: boolean;
  examples: string[];
  detected: { grade: number; types: { type: string; matched: number; checksumFailed: number; confidence: number }[] };
  review: { reason: string; override: boolean } | null;
}

describeEachBackend('classification review', ({ use }) => {
  let t: TestApp;
  let officer: Client;
  let otherOfficer: Client;
  let consumer: Client;
  let secadmin: Client;
  let sysadmin: Client;
  let auditor: Client;
  let people: string;

  async function upload(c: Client, code: string, fileName: string, content: string, mode = 'replace') {
    const { body, contentType } = multipart(fileName, Buffer.from(content));
    const res = await c.call('POST', `/api/v1/datasets/${code}/versions?mode=${mode}`, body, { 'content-type': contentType });
    expect(res.statusCode, res.body).toBe(202);
    const job = await waitForJob(c, res.json().jobId);
    expect(job.error, JSON.stringify(job.error)).toBeNull();
  }

  async function createDataset(name: string): Promise<string> {
    const res = await officer.call('POST', '/api/v1/datasets', { name, summary: name, domain: '公共安全' });
    expect(res.statusCode).toBe(201);
    return res.json().code;
  }

  const columnsOf = async (c: Client, code: string) => {
    const res = await c.call('GET', `/api/v1/datasets/${code}/classification`);
    expect(res.statusCode, res.body).toBe(200);
    return { body: res.json(), byName: Object.fromEntries((res.json().columns as ColumnView[]).map((col) => [col.name, col])) };
  };

  beforeAll(async () => {
    t = await startReviewApp(use().db);
    sysadmin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const police = await createOrg(sysadmin, '省公安厅');
    const civil = await createOrg(sysadmin, '朝阳市民政局', 'city', '211300');
    officer = (await provisionUser(t, sysadmin, 'ga-officer', ['data_officer'], police)).client;
    otherOfficer = (await provisionUser(t, sysadmin, 'mz-officer', ['data_officer'], civil)).client;
    consumer = (await provisionUser(t, sysadmin, 'mz-consumer', ['consumer'], civil)).client;
    people = await createDataset('户籍人口信息');
    await upload(officer, people, '户籍人口.csv', peopleCsv(300));
  });
  afterAll(() => t?.close());

  it('shows detection, evidence and masked examples to the provider officer; the first publication waits for the review', async () => {
    const { body, byName } = await columnsOf(officer, people);
    expect(body).toMatchObject({ state: 'unreviewed', currentVersion: 1, detectedGrade: 4, effectiveGrade: 4, needsReplace: false, level: 'general' });
    const id = byName['身份证号']!;
    expect(id).toMatchObject({ detectedType: 'cn_resident_id', effectiveGrade: 4, encrypted: true, overridden: false, review: null });
    expect(id.detected.types[0]).toMatchObject({ type: 'cn_resident_id', matched: 1, checksumFailed: 0 });
    expect(id.detected.types[0]!.confidence).toBeGreaterThan(0.9);
    // Encrypted values are decrypted and masked (keep first 3 and last 4), never shown in clear.
    expect(id.examples).toHaveLength(3);
    for (const e of id.examples) expect(e).toMatch(/^\d{3}\*{11}\d{3}[\dX]$/);
    const clearIds = peopleCsv(300)
      .split('\n')
      .slice(1, -1)
      .map((l) => l.split(',')[1]!);
    expect(JSON.stringify(body)).not.toContain(clearIds[0]);
    for (const e of byName['手机号']!.examples) expect(e).toMatch(/1\d{2}\*{4}\d{4}$/);
    for (const e of byName['姓名']!.examples) expect(e).toMatch(/^[\u4e00-\u9fff]{1,2}\*+$/);
    expect(byName['户籍地']).toMatchObject({ detectedType: null, effectiveGrade: 2 });
    // A 2级 column without a personal type shows its values, so the reviewer can judge it (城市名, not ***).
    for (const e of byName['户籍地']!.examples) expect(e).toMatch(/^[\u4e00-\u9fff]+(市|区|县)$/);
    // Showing examples is recorded like a data response, with each column's form.
    expect(t.events.find((e) => e.action === 'classification.view' && e.dataset === people)?.details).toMatchObject({
      columns: expect.arrayContaining([
        { name: '身份证号', mode: 'masked' },
        { name: '户籍地', mode: 'clear' },
      ]),
      rowCount: 3,
    });

    const refused = await officer.call('POST', `/api/v1/datasets/${people}/publish`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('classification_review_required');
    expect(refused.json().error.message).toContain('身份证号');
    const english = await officer.call('POST', `/api/v1/datasets/${people}/publish`, undefined, { 'x-pdx-lang': 'en' });
    expect(english.json().error.message).toMatch(/review and confirm the classification/);
  });

  it('previews the first rows masked to the provider officer and the secadmin, recorded in the audit log; nobody else', async () => {
    const clear = [...peopleRows(5)];
    const res = await officer.call('GET', `/api/v1/datasets/${people}/preview?limit=5`);
    expect(res.statusCode, res.body).toBe(200);
    const preview = res.json() as { version: number; columns: { name: string; mode: string }[]; rows: (string | null)[][] };
    expect(preview.version).toBe(1);
    expect(preview.columns.map((c) => c.name)).toEqual(PEOPLE_HEADER);
    const at = (name: string) => PEOPLE_HEADER.indexOf(name);
    expect(preview.columns[at('身份证号')]!.mode).toBe('masked');
    expect(preview.columns[at('户籍地')]!.mode).toBe('clear');
    expect(preview.rows).toHaveLength(5);
    preview.rows.forEach((row, i) => {
      // The encrypted ID number decrypted and masked, the name and phone masked; the city as it is.
      for (const name of ['身份证号', '姓名', '手机号']) {
        expect(row[at(name)]).toContain('*');
        expect(row[at(name)]).not.toBe(clear[i]![at(name)]);
      }
      expect(row[at('身份证号')]!.slice(-4)).toBe(clear[i]![at('身份证号')]!.slice(-4));
      expect(row[at('户籍地')]).toBe(clear[i]![at('户籍地')]);
    });
    expect(res.body).not.toContain(clear[0]![at('身份证号')]!);
    expect((await secadmin.call('GET', `/api/v1/datasets/${people}/preview`)).json().rows).toHaveLength(10);

    const log = (await auditor.call('GET', '/api/v1/audit/records?action=dataset.preview')).json() as {
      items: { dataset: string; details: { rowCount: number } }[];
    };
    expect(log.items.map((r) => [r.dataset, r.details.rowCount])).toEqual([
      [people, 10],
      [people, 5],
    ]);
    for (const [c, status] of [
      [otherOfficer, 404],
      [consumer, 403],
      [sysadmin, 403],
      [auditor, 403],
      [t.anonymous, 401],
    ] as const) {
      const refused = await c.call('GET', `/api/v1/datasets/${people}/preview`);
      expect(refused.statusCode).toBe(status);
      expect(refused.body).not.toContain('"rows"');
    }
  });

  it('requires a reason for an override, keeps it, records the review, and then publishing works', async () => {
    const noReason = await officer.call('PUT', `/api/v1/datasets/${people}/classification`, { columns: [{ name: '户籍地', type: null, grade: 3 }] });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error).toMatchObject({ code: 'reason_required', details: { column: '户籍地' } });
    const unknown = await officer.call('PUT', `/api/v1/datasets/${people}/classification`, {
      columns: [{ name: '不存在', type: null, grade: 3, reason: '测试' }],
    });
    expect(unknown.json().error.code).toBe('unknown_column');
    const stale = await officer.call('PUT', `/api/v1/datasets/${people}/classification`, { version: 9, columns: [] });
    expect(stale.json().error.code).toBe('classification_stale');
    // Nothing was stored by the refused requests.
    expect((await columnsOf(officer, people)).body.state).toBe('unreviewed');

    const res = await officer.call('PUT', `/api/v1/datasets/${people}/classification`, {
      version: 1,
      columns: [
        { name: '户籍地', type: null, grade: 3, reason: '户籍地与姓名结合可识别个人,按 3 级保护' },
        { name: '身份证号', type: 'cn_resident_id', grade: 4 },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const byName = Object.fromEntries((res.json().columns as ColumnView[]).map((c) => [c.name, c]));
    expect(res.json()).toMatchObject({ state: 'confirmed', confirmation: { version: 1, by: 'ga-officer' }, effectiveGrade: 4, notice: null });
    expect(byName['户籍地']).toMatchObject({
      effectiveGrade: 3,
      overridden: true,
      review: { override: true, reason: '户籍地与姓名结合可识别个人,按 3 级保护', reviewer: 'ga-officer' },
    });
    expect(byName['身份证号']).toMatchObject({ overridden: false, review: { override: false, reviewer: 'ga-officer' } });
    // The list names the confirmer too (names come from identity, one statement for the list).
    const listed = (await officer.call('GET', '/api/v1/classification/datasets')).json().items as { code: string; confirmation: unknown }[];
    expect(listed.find((d) => d.code === people)?.confirmation).toMatchObject({ version: 1, by: 'ga-officer' });
    const event = t.events.find((e) => e.action === 'classification.review' && e.dataset === people);
    expect(event?.details).toMatchObject({
      version: 1,
      columns: [
        { name: '户籍地', override: true, grade: 3 },
        { name: '身份证号', override: false },
      ],
    });
    const columns = (await officer.call('GET', `/api/v1/datasets/${people}/columns`)).json().items as { name: string; grade: number }[];
    expect(columns.find((c) => c.name === '户籍地')!.grade).toBe(3);

    const published = await officer.call('POST', `/api/v1/datasets/${people}/publish`);
    expect(published.statusCode, published.body).toBe(200);
  });

  it('lowers a 4级 column with a reason (it stays encrypted) and the dataset grade follows (就高从严)', async () => {
    const res = await officer.call('PUT', `/api/v1/datasets/${people}/classification`, {
      columns: [{ name: '身份证号', type: null, grade: 2, reason: '此列为内部工单号,非身份证号' }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const id = (res.json().columns as ColumnView[]).find((c) => c.name === '身份证号')!;
    expect(id).toMatchObject({ effectiveGrade: 2, effectiveType: null, encrypted: true, overridden: true });
    // The other overrides stay in force; the dataset takes the highest effective column grade.
    expect(res.json().effectiveGrade).toBe(3);
    expect((res.json().columns as ColumnView[]).find((c) => c.name === '户籍地')!.effectiveGrade).toBe(3);
    expect((await officer.call('GET', `/api/v1/datasets/${people}`)).json().grade).toBe(3);
    // Undo: back to the detection.
    const back = await officer.call('PUT', `/api/v1/datasets/${people}/classification`, { columns: [{ name: '身份证号', type: 'cn_resident_id', grade: 4 }] });
    expect(back.json().effectiveGrade).toBe(4);
  });

  it('raising a clear column to 4级 asks for a replace upload and blocks publication until then', async () => {
    const code = await createDataset('社区人员名单');
    await upload(officer, code, '名单.csv', peopleCsv(40, 3));
    const res = await officer.call('PUT', `/api/v1/datasets/${code}/classification`, {
      columns: [{ name: '住址', type: 'address', grade: 4, reason: '精确住址属敏感个人信息' }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ needsReplace: true, replaceColumns: ['住址'] });
    expect(res.json().notice).toContain('替换方式重新上传');
    const refused = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
    expect(refused.json().error).toMatchObject({ code: 'replace_upload_required', details: { columns: ['住址'] } });
  });

  it('flags a new version whose detection rises above the confirmed result, keeping overrides', async () => {
    const code = await createDataset('来访登记');
    const names = peopleCsv(60, 5)
      .split('\n')
      .slice(1, -1)
      .map((l) => l.split(','));
    const v1 = ['姓名,备注,登记号', ...names.map((r) => `${r[0]},无,A${r[6]}`)].join('\n');
    await upload(officer, code, 'v1.csv', v1);
    const first = await officer.call('PUT', `/api/v1/datasets/${code}/classification`, {
      columns: [{ name: '登记号', type: null, grade: 1, reason: '登记号为公开流水号' }],
    });
    expect(first.json()).toMatchObject({ state: 'confirmed' });
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);

    const v2 = ['姓名,备注,登记号', ...names.map((r) => `${r[0]},${r[2]},A${r[6]}`)].join('\n');
    await upload(officer, code, 'v2.csv', v2);
    const { body, byName } = await columnsOf(officer, code);
    expect(body).toMatchObject({ state: 'changed', currentVersion: 2, flaggedColumns: ['备注'] });
    expect(byName['备注']).toMatchObject({ detectedType: 'cn_mobile', changed: true, effectiveGrade: 3 });
    expect(byName['登记号']).toMatchObject({ overridden: true, effectiveGrade: 1, changed: false });
    const refused = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
    expect(refused.json().error).toMatchObject({ code: 'classification_review_required', details: { columns: ['备注'] } });
    expect(refused.json().error.message).toContain('备注');

    await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { version: 2, columns: [] });
    const after = await columnsOf(officer, code);
    expect(after.body.state).toBe('confirmed');
    expect(after.byName['登记号']).toMatchObject({ overridden: true, effectiveGrade: 1 });
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);
  });

  it('lets the secadmin keep the policy, see 重要数据 candidates under it and decide them', async () => {
    expect(await loadPolicy(t.db)).toEqual(DEFAULT_POLICY);
    expect((await secadmin.call('GET', '/api/v1/classification/policy')).json()).toEqual(DEFAULT_POLICY);
    expect((await secadmin.call('GET', '/api/v1/classification/candidates')).json().items).toEqual([]);

    const badRegex = await secadmin.call('PUT', '/api/v1/classification/policy', {
      ...DEFAULT_POLICY,
      extraRules: [{ id: 'x', description: 'x', headerPattern: '(' }],
    });
    expect(badRegex.statusCode).toBe(400);
    const noCondition = await secadmin.call('PUT', '/api/v1/classification/policy', { ...DEFAULT_POLICY, extraRules: [{ id: 'x', description: 'x' }] });
    expect(noCondition.statusCode).toBe(400);
    expect(await loadPolicy(t.db)).toEqual(DEFAULT_POLICY);

    const policy = { ...DEFAULT_POLICY, importantPersonThreshold: 100, extraRules: [{ id: 'visits', description: '来访登记数据', headerPattern: '登记号' }] };
    const saved = await secadmin.call('PUT', '/api/v1/classification/policy', policy);
    expect(saved.statusCode, saved.body).toBe(200);
    expect(await loadPolicy(t.db)).toEqual(policy);
    expect(t.events.some((e) => e.action === 'classification.policy_change')).toBe(true);

    const queue = (await secadmin.call('GET', '/api/v1/classification/candidates')).json().items as {
      code: string;
      important: { reasons: string[]; persons: { count: number } };
    }[];
    const pop = queue.find((c) => c.code === people)!;
    expect(pop.important.persons.count).toBe(300);
    expect(pop.important.reasons.join()).toContain('300');
    expect(queue.find((c) => c.code !== people && c.important.reasons.some((r) => r.includes('visits')))).toBeDefined();

    const noReason = await secadmin.call('POST', `/api/v1/classification/candidates/${people}/decision`, { level: 'important', reason: ' ' });
    expect(noReason.json().error.code).toBe('reason_required');
    const decided = await secadmin.call('POST', `/api/v1/classification/candidates/${people}/decision`, { level: 'important', reason: '涉及全省户籍人口' });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json().important.decision).toMatchObject({ level: 'important', reason: '涉及全省户籍人口', decidedBy: '安全管理员' });
    expect(t.events.some((e) => e.action === 'classification.important_decision' && e.dataset === people)).toBe(true);
    expect(((await secadmin.call('GET', '/api/v1/classification/candidates')).json().items as { code: string }[]).map((c) => c.code)).not.toContain(people);
    const all = (await secadmin.call('GET', '/api/v1/classification/candidates?all=true')).json().items as {
      code: string;
      important: { decision: { decidedBy: string } | null };
    }[];
    expect(all.find((c) => c.code === people)?.important.decision?.decidedBy).toBe('安全管理员');

    // Confirmed 重要数据 is protected as 4级.
    const view = (await officer.call('GET', `/api/v1/datasets/${people}/classification`)).json();
    expect(view).toMatchObject({ level: 'important', protection: { grade: 4, encryptAtRest: true, clearRequires: ['provider', 'security'] } });

    const other = await createDataset('空表');
    const notCandidate = await secadmin.call('POST', `/api/v1/classification/candidates/${other}/decision`, { level: 'important', reason: '测试一下' });
    expect(notCandidate.json().error.code).toBe('not_a_candidate');
  });

  it('keeps every endpoint to its roles and organisation (403/404, no data)', async () => {
    const noData = (res: { statusCode: number; body: string }, status: number) => {
      expect(res.statusCode).toBe(status);
      expect(res.body).not.toContain('examples');
      expect(res.body).not.toContain('身份证号');
    };
    const review = { columns: [{ name: '住址', type: null, grade: 1, reason: '试图降级' }] };
    // The dataset is published: other departments see the catalogue entry but not its review.
    noData(await otherOfficer.call('GET', `/api/v1/datasets/${people}/classification`), 404);
    noData(await consumer.call('GET', `/api/v1/datasets/${people}/classification`), 403);
    noData(await sysadmin.call('GET', `/api/v1/datasets/${people}/classification`), 403);
    noData(await auditor.call('GET', `/api/v1/datasets/${people}/classification`), 403);
    noData(await t.anonymous.call('GET', `/api/v1/datasets/${people}/classification`), 401);
    expect((await secadmin.call('GET', `/api/v1/datasets/${people}/classification`)).statusCode).toBe(200);

    noData(await otherOfficer.call('PUT', `/api/v1/datasets/${people}/classification`, review), 403);
    noData(await secadmin.call('PUT', `/api/v1/datasets/${people}/classification`, review), 403);
    noData(await consumer.call('PUT', `/api/v1/datasets/${people}/classification`, review), 403);
    // A draft of another organisation does not exist for them.
    const draft = await createDataset('草稿');
    noData(await otherOfficer.call('GET', `/api/v1/datasets/${draft}/classification`), 404);
    noData(await otherOfficer.call('PUT', `/api/v1/datasets/${draft}/classification`, review), 404);

    const list = (await otherOfficer.call('GET', '/api/v1/classification/datasets')).json();
    expect(list.items).toEqual([]);
    expect(((await officer.call('GET', '/api/v1/classification/datasets')).json().items as { code: string }[]).map((d) => d.code)).toContain(people);
    noData(await consumer.call('GET', '/api/v1/classification/datasets'), 403);

    for (const c of [officer, otherOfficer, consumer, sysadmin, auditor]) {
      noData(await c.call('GET', '/api/v1/classification/candidates'), 403);
      noData(await c.call('POST', `/api/v1/classification/candidates/${people}/decision`, { level: 'general', reason: '不是重要数据' }), 403);
      noData(await c.call('GET', '/api/v1/classification/policy'), 403);
      noData(await c.call('PUT', '/api/v1/classification/policy', { ...DEFAULT_POLICY, importantPersonThreshold: 1 }), 403);
    }
    noData(await t.anonymous.call('GET', '/api/v1/classification/candidates'), 401);
    expect((await loadPolicy(t.db)).importantPersonThreshold).toBe(100);
    // The refused review changed nothing.
    expect((await columnsOf(officer, people)).byName['住址']!.overridden).toBe(false);
  });
});
