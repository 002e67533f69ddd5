/**
 * Test app of the real platform (createPlatform wires the sharing routes), with the share module at
 * hand. Plus the demo world of issue 7: 省公安厅 publishes 户籍人口, 朝阳市民政局 consumes it.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../src/db/index.ts';
import type { ShareModule } from '../src/modules/share/share.module.ts';
import { peopleCsv } from './fixtures/people.ts';
import { ADMIN_PASSWORDS, createOrg, multipart, provisionUser, startTestApp, waitForJob, type Client, type TestApp } from './helpers/api.ts';

export interface ShareTestApp extends TestApp {
  shareModule: ShareModule;
  /** The master key (a second process on the same database must use the same one). */
  masterKey: string;
}

/** startTestApp with a known master key (a second process on the same database must use the same one). */
export async function startShareApp(db: Db, env: Record<string, string> = {}, options: Parameters<typeof startTestApp>[2] = {}): Promise<ShareTestApp> {
  const masterKey = env.PDX_MASTER_KEY ?? randomBytes(32).toString('base64');
  const t = await startTestApp(db, { ...env, PDX_MASTER_KEY: masterKey }, options);
  return { ...t, shareModule: t.services.share, masterKey };
}

export interface ShareWorld {
  admin: Client;
  secadmin: Client;
  auditor: Client;
  policeOrg: string;
  civilOrg: string;
  otherOrg: string;
  officer: Client;
  consumer: Client;
  consumerId: string;
  /** An API key of 朝阳市民政局. */
  key: string;
  keyClient: Client;
  otherConsumer: Client;
  otherKey: string;
  civilOfficer: Client;
  /** 户籍人口 (conditional, published). */
  code: string;
}

export async function uploadCsv(officer: Client, code: string, csv: string): Promise<void> {
  const { body, contentType } = multipart('people.csv', Buffer.from(csv));
  const res = await officer.call('POST', `/api/v1/datasets/${code}/versions`, body, { 'content-type': contentType });
  if (res.statusCode !== 202) throw new Error(`upload: ${res.body}`);
  const job = await waitForJob(officer, res.json().jobId);
  if (job.state !== 'succeeded') throw new Error(`load failed: ${JSON.stringify(job.error)}`);
}

/** Creates, loads, confirms the classification of and publishes a dataset from CSV text; returns its code. */
export async function publishCsv(
  officer: Client,
  name: string,
  csv: string,
  shareType: 'conditional' | 'unconditional' | 'none' = 'conditional',
): Promise<string> {
  const created = await officer.call('POST', '/api/v1/datasets', { name, summary: name, share_type: shareType });
  if (created.statusCode !== 201) throw new Error(`create dataset: ${created.body}`);
  const code = created.json().code as string;
  await uploadCsv(officer, code, csv);
  // The officer confirms the detected classification (the publication gate of the classify module).
  const reviewed = await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] });
  if (reviewed.statusCode !== 200) throw new Error(`review: ${reviewed.body}`);
  const published = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
  if (published.statusCode !== 200) throw new Error(`publish: ${published.body}`);
  return code;
}

/** Creates, loads and publishes a people dataset; returns its code. */
export async function publishPeople(
  officer: Client,
  options: { name?: string; shareType?: 'conditional' | 'unconditional' | 'none'; rows?: number; seed?: number } = {},
): Promise<string> {
  return publishCsv(officer, options.name ?? '户籍人口信息', peopleCsv(options.rows ?? 300, options.seed ?? 7), options.shareType);
}

export async function apiKey(c: Client, name = 'app'): Promise<string> {
  const res = await c.call('POST', '/api/v1/api-keys', { name });
  if (res.statusCode !== 201) throw new Error(`api key: ${res.body}`);
  return res.json().key;
}

/** 省公安厅 (provider), 朝阳市民政局 (consumer), 锦州市民政局 (another consumer), the 户籍人口 dataset. */
export async function shareWorld(t: ShareTestApp, rows = 300): Promise<ShareWorld> {
  const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
  const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
  const auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
  const policeOrg = await createOrg(admin, '省公安厅');
  const civilOrg = await createOrg(admin, '朝阳市民政局', 'city', '211300');
  const otherOrg = await createOrg(admin, '锦州市民政局', 'city', '210700');
  const officer = (await provisionUser(t, admin, 'ga-officer', ['data_officer'], policeOrg)).client;
  const consumerUser = await provisionUser(t, admin, 'mz-consumer', ['consumer'], civilOrg);
  const civilOfficer = (await provisionUser(t, admin, 'mz-officer', ['data_officer'], civilOrg)).client;
  const otherConsumer = (await provisionUser(t, admin, 'jz-consumer', ['consumer'], otherOrg)).client;
  const code = await publishPeople(officer, { rows });
  const key = await apiKey(consumerUser.client);
  const otherKey = await apiKey(otherConsumer);
  return {
    admin,
    secadmin,
    auditor,
    policeOrg,
    civilOrg,
    otherOrg,
    officer,
    consumer: consumerUser.client,
    consumerId: consumerUser.id,
    key,
    keyClient: t.withKey(key),
    otherConsumer,
    otherKey,
    civilOfficer,
    code,
  };
}

/** The journey: request 姓名, 身份证号, 住址 (+ more) for 朝阳市 rows; approve; secadmin approves. */
export async function grantJourney(
  w: ShareWorld,
  approval: Record<string, unknown> = {},
  request: Record<string, unknown> = {},
): Promise<{ requestId: string; grantId: string }> {
  const req = await w.consumer.call('POST', '/api/v1/share/requests', {
    dataset: w.code,
    columns: ['姓名', '身份证号', '手机号', '住址', '户籍地', '出生日期', '人口数'],
    purpose: '低保资格核验',
    purposeCategory: 'social_assistance',
    legalBasis: '《社会救助暂行办法》第十一条',
    endDate: '2099-06-30',
    expectedRowsPerDay: 5000,
    rowFilter: '户籍地=eq.朝阳市',
    ...request,
  });
  if (req.statusCode !== 201) throw new Error(`request: ${req.body}`);
  const requestId = req.json().id as string;
  const approved = await w.officer.call('POST', `/api/v1/share/requests/${requestId}/approve`, {
    columns: [
      { name: '姓名', mode: 'masked' },
      { name: '身份证号', mode: 'pseudonym' },
      { name: '手机号', mode: 'verify' },
      { name: '住址', mode: 'generalized', generalize: { address: 'district' } },
      { name: '户籍地', mode: 'clear' },
      { name: '出生日期', mode: 'generalized', generalize: { date: 'year' } },
      { name: '人口数', mode: 'clear' },
    ],
    ...approval,
  });
  if (approved.statusCode !== 200) throw new Error(`approve: ${approved.body}`);
  if ((approved.json().state as string) === 'provider_approved') {
    const sec = await w.secadmin.call('POST', `/api/v1/share/requests/${requestId}/security-approve`, { note: '同意' });
    if (sec.statusCode !== 200) throw new Error(`security approve: ${sec.body}`);
  }
  const final = (await w.consumer.call('GET', `/api/v1/share/requests/${requestId}`)).json();
  return { requestId, grantId: final.grantId };
}
