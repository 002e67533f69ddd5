/**
 * The open-data test world: 省信访局 with a person-level 信访 dataset (names, IDs, sex, age, district,
 * kind of petition, date), 锦州 tourism events (no personal data), and a 有条件开放 enterprise list,
 * all loaded, reviewed and published in the catalogue through the real pipeline.
 */
import { Random } from './corpus/random.ts';
import { personName, residentId } from './corpus/values.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, type Client, type TestApp } from './helpers/api.ts';
import { uploadCsv } from './share-helpers.ts';

export const PETITION_HEADER = ['事项编号', '姓名', '身份证号', '性别', '年龄', '区县', '诉求类别', '登记日期'];
export const COUNTIES = ['双塔区', '龙城区', '朝阳县', '建平县', '古塔区', '凌河区', '太和区', '北镇市'];
export const KINDS = ['劳动社保', '城乡建设', '教育', '卫生健康'];

export function petitionRows(count: number, seed = 11): string[][] {
  const r = new Random(seed);
  return Array.from({ length: count }, (_, i) => [
    `XF${String(i + 1).padStart(6, '0')}`,
    personName(r),
    residentId(r),
    r.pick(['男', '女']),
    String(r.int(18, 90)),
    r.pick(COUNTIES),
    r.pick(KINDS),
    `2023-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
  ]);
}

export function csvOf(header: string[], rows: string[][]): string {
  return `${[header, ...rows].map((row) => row.join(',')).join('\n')}\n`;
}

/** Registers, loads, confirms the classification of and publishes a dataset in the catalogue. */
export async function catalogueDataset(officer: Client, meta: Record<string, unknown>, csv: string): Promise<string> {
  const created = await officer.call('POST', '/api/v1/datasets', { summary: '', share_type: 'conditional', ...meta });
  if (created.statusCode !== 201) throw new Error(`create dataset: ${created.body}`);
  const code = created.json().code as string;
  await uploadCsv(officer, code, csv);
  const reviewed = await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] });
  if (reviewed.statusCode !== 200) throw new Error(`review: ${reviewed.body}`);
  const published = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
  if (published.statusCode !== 200) throw new Error(`publish: ${published.body}`);
  return code;
}

export interface OpenWorld {
  admin: Client;
  secadmin: Client;
  auditor: Client;
  officer: Client;
  orgId: string;
  otherOfficer: Client;
  consumer: Client;
  /** 信访事项 (person-level, 无条件开放). */
  petitions: string;
  /** 锦州 events (no personal data, 无条件开放). */
  events: string;
  /** Enterprises (有条件开放). */
  enterprises: string;
}

export async function openWorld(t: Pick<TestApp, 'login'>, rows = 400): Promise<OpenWorld> {
  const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
  const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
  const auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
  const orgId = await createOrg(admin, '省信访局');
  const otherOrg = await createOrg(admin, '锦州市文化旅游和广播电视局', 'city', '210700');
  const consumerOrg = await createOrg(admin, '朝阳市民政局', 'city', '211300');
  const officer = (await provisionUser(t as TestApp, admin, 'xf-officer', ['data_officer'], orgId)).client;
  const otherOfficer = (await provisionUser(t as TestApp, admin, 'jz-officer', ['data_officer'], otherOrg)).client;
  const consumer = (await provisionUser(t as TestApp, admin, 'zy-consumer', ['consumer'], consumerOrg)).client;
  const petitions = await catalogueDataset(
    officer,
    { name: '信访事项登记', summary: '信访事项', domain: '社会治理', open_type: 'unconditional', tags: ['信访'] },
    csvOf(PETITION_HEADER, petitionRows(rows)),
  );
  const events = await catalogueDataset(
    otherOfficer,
    { name: '锦州金秋文化旅游季活动', summary: '锦州金秋文化旅游季系列活动', domain: '文化旅游', open_type: 'unconditional', tags: ['旅游'] },
    csvOf(
      ['活动名称', '板块', '地点', '开始日期'],
      Array.from({ length: 60 }, (_, i) => [
        `活动${i + 1}`,
        ['滨海风情', '锦州美食', '情满锦州'][i % 3]!,
        ['笔架山', '古塔公园'][i % 2]!,
        `2023-09-${String((i % 28) + 1).padStart(2, '0')}`,
      ]),
    ),
  );
  const enterprises = await catalogueDataset(
    officer,
    { name: '信访代理机构名录', summary: '登记的信访代理机构', domain: '社会治理', open_type: 'conditional' },
    csvOf(
      ['机构名称', '所在城市', '登记年份'],
      Array.from({ length: 30 }, (_, i) => [`某某咨询服务有限公司${i + 1}`, ['沈阳市', '大连市', '朝阳市'][i % 3]!, String(2010 + (i % 10))]),
    ),
  );
  return { admin, secadmin, auditor, officer, orgId, otherOfficer, consumer, petitions, events, enterprises };
}

/** Starts a release, sets its plan (when given), checks and publishes it; returns the published release. */
export async function openDataset(officer: Client, code: string, columns?: { name: string; role: string; hierarchy?: string; level?: number }[]) {
  const created = await officer.call('POST', '/api/v1/open/manage/releases', { dataset: code });
  if (created.statusCode !== 201) throw new Error(`release: ${created.body}`);
  const release = created.json();
  if (columns) {
    const plan = release.columns.map((c: { name: string; role: string; hierarchy: string; level: number }) => {
      const given = columns.find((g) => g.name === c.name);
      return given ? { ...c, ...given } : c;
    });
    const updated = await officer.call('PUT', `/api/v1/open/manage/releases/${release.id}`, { columns: plan });
    if (updated.statusCode !== 200) throw new Error(`plan: ${updated.body}`);
  }
  const checked = await officer.call('POST', `/api/v1/open/manage/releases/${release.id}/check`);
  if (checked.statusCode !== 200) throw new Error(`check: ${checked.body}`);
  const published = await officer.call('POST', `/api/v1/open/manage/releases/${release.id}/publish`);
  if (published.statusCode !== 200) throw new Error(`publish: ${published.body}`);
  return published.json();
}

/** A society user signed in through the portal's own cookie (and CSRF header). */
export async function societyClient(t: TestApp, email: string, password: string): Promise<Client> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/open/account/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`society login ${email}: ${res.statusCode} ${res.body}`);
  const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
  const headers = {
    cookie: Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; '),
    'x-csrf-token': cookies.pdx_open_csrf ?? '',
  };
  return {
    headers,
    call: (method, url, body, extra = {}) =>
      t.app.inject({ method: method as 'GET', url, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { payload: body as object }) }),
  };
}
