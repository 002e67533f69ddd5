/**
 * The demo world of the Liaoning newspaper page (shared/seed): the platform authority and the
 * departments it names, accounts for every role, and datasets with generated, realistic,
 * checksum-valid data, loaded through the real ingestion pipeline (classified, encrypted, audited).
 */
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Role } from '../../http/access.ts';
import { DATASET_DEFAULTS, type DatasetInput } from '../catalog/catalog.service.ts';
import type { Caller } from '../identity/identity.service.ts';
import { generatePassword } from '../identity/passwords.ts';
import type { Platform } from '../../main.ts';
import { PLATFORM_ORG } from '../identity/bootstrap.ts';
import { address, birthDate, county, LIAONING_CITIES, mobile, personName, petitionText, residentId, Rng, uscc } from './generate.ts';
import { loadOpenWorld } from './world-open.ts';
import { loadDutiesWorld } from './world-duties.ts';

type Services = Platform['services'];

interface OrgSpec {
  name: string;
  type: 'government' | 'department' | 'enterprise';
  level: 'province' | 'city' | 'county';
  region: string;
  parent?: string;
}

/** Organisations named on the seed page, under the platform authority. */
export const DEMO_ORGS: OrgSpec[] = [
  { name: '省公安厅', type: 'department', level: 'province', region: '210000' },
  { name: '省自然资源厅', type: 'department', level: 'province', region: '210000' },
  { name: '省科技厅', type: 'department', level: 'province', region: '210000' },
  { name: '省财政厅', type: 'department', level: 'province', region: '210000' },
  { name: '省高级人民法院', type: 'department', level: 'province', region: '210000' },
  { name: '省信访局', type: 'department', level: 'province', region: '210000' },
  { name: '省文化和旅游厅', type: 'department', level: 'province', region: '210000' },
  { name: '朝阳市人民政府', type: 'government', level: 'city', region: '211300' },
  { name: '朝阳市民政局', type: 'department', level: 'city', region: '211300', parent: '朝阳市人民政府' },
  { name: '朝阳市城市大脑指挥中心', type: 'department', level: 'city', region: '211300', parent: '朝阳市人民政府' },
  // Counties of 朝阳: 户籍人口 flows back to them (数据回流).
  { name: '朝阳市双塔区人民政府', type: 'government', level: 'county', region: '211302', parent: '朝阳市人民政府' },
  { name: '北票市人民政府', type: 'government', level: 'county', region: '211381', parent: '朝阳市人民政府' },
  { name: '锦州市人民政府', type: 'government', level: 'city', region: '210700' },
  { name: '锦州市文化旅游和广播电视局', type: 'department', level: 'city', region: '210700', parent: '锦州市人民政府' },
  { name: '营口市人民政府', type: 'government', level: 'city', region: '210800' },
  { name: '沈阳市人民政府', type: 'government', level: 'city', region: '210100' },
  { name: '鞍钢集团朝阳钢铁有限公司', type: 'enterprise', level: 'city', region: '211300', parent: '朝阳市人民政府' },
];

interface UserSpec {
  username: string;
  displayName: string;
  org: string;
  roles: Role[];
}

/** One account per working role; the 三员 come from the first start. */
export const DEMO_USERS: UserSpec[] = [
  { username: 'ga-officer', displayName: '王警官（省公安厅数据管理员）', org: '省公安厅', roles: ['data_officer'] },
  { username: 'zr-officer', displayName: '刘处长（省自然资源厅数据管理员）', org: '省自然资源厅', roles: ['data_officer'] },
  { username: 'kj-officer', displayName: '孙工（省科技厅数据管理员）', org: '省科技厅', roles: ['data_officer'] },
  { username: 'cz-officer', displayName: '钱会计（省财政厅数据管理员）', org: '省财政厅', roles: ['data_officer'] },
  { username: 'fy-officer', displayName: '周书记员（省高院数据管理员）', org: '省高级人民法院', roles: ['data_officer'] },
  { username: 'xf-officer', displayName: '吴科长（省信访局数据管理员）', org: '省信访局', roles: ['data_officer'] },
  { username: 'jz-officer', displayName: '郑主任（锦州文旅数据管理员）', org: '锦州市文化旅游和广播电视局', roles: ['data_officer'] },
  { username: 'zg-officer', displayName: '冯工程师（朝阳钢铁数据管理员）', org: '鞍钢集团朝阳钢铁有限公司', roles: ['data_officer'] },
  { username: 'zy-minzheng', displayName: '李民政（朝阳市民政局）', org: '朝阳市民政局', roles: ['consumer'] },
  { username: 'zy-brain', displayName: '赵调度（朝阳城市大脑）', org: '朝阳市城市大脑指挥中心', roles: ['consumer', 'data_officer'] },
];

export interface DemoDataset {
  org: string;
  file: string;
  encoding: 'utf-8' | 'gbk';
  meta: Partial<DatasetInput> & { name: string };
  /** The file's data was extracted this many days before the load (数据截至): its catalogue entry may be overdue at once. */
  asOfDaysAgo?: number;
  /** Generates the rows (header first). */
  rows: (r: Rng) => Iterable<string[]>;
}

/** 7603万亩 of farmland and 6251万亩 of permanent basic farmland (省自然资源厅), shared by city. */
export const FARMLAND_TOTAL = 7603;
export const BASIC_FARMLAND_TOTAL = 6251;
const FARMLAND_WEIGHTS = [9.8, 2.9, 4.6, 2.1, 0.9, 3.5, 9.5, 1.7, 11.4, 3.4, 2.6, 12.2, 10.6, 6.0];

/** Splits a total across weights in tenths, so the parts add up exactly. */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const tenths = weights.map((w) => Math.floor((total * 10 * w) / sum));
  let rest = total * 10 - tenths.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % tenths.length, rest--) tenths[i]!++;
  return tenths.map((t) => t / 10);
}

const INDUSTRY_CLUSTERS = [
  '数控机床',
  '航空装备',
  '集成电路装备',
  '机器人',
  '新能源汽车',
  '精细化工',
  '冶金新材料',
  '生物医药',
  '软件和信息服务',
  '工业互联网',
  '海工装备',
  '节能环保',
];
const PETITION_KINDS = ['劳动社保', '城乡建设', '农村农业', '自然资源', '卫生健康', '教育', '交通运输', '市场监管', '生态环境', '民政'];
const JINZHOU_BLOCKS = ['滨海风情', '英雄传承', '锦州美食', '情满锦州', '锦州旅拍', '研学展览', '动炫锦城'];
const SCIENCE_THEMES = ['提升全民科学素质，助力科技自立自强', '走进科技馆', '社区科普', '青少年科学营', '科学家精神宣讲', '应急科普'];

export const DEMO_DATASETS: (opts: { people: number }) => DemoDataset[] = ({ people }) => [
  {
    org: '省公安厅',
    file: '户籍人口.csv',
    encoding: 'gbk',
    meta: {
      name: '户籍人口信息',
      summary: '全省户籍人口基本信息，包括姓名、性别、公民身份号码、出生日期、联系电话、户籍地和住址。用于社会救助资格核验、政务服务身份核验等法定职责。',
      domain: '公共安全',
      category: '社会/人口/户籍',
      share_type: 'conditional',
      share_conditions: '仅限履行法定职责所需，按最小必要原则申请信息项',
      update_cycle: 'monthly',
      tags: ['人口', '户籍', '身份核验'],
      contact: { name: '王警官', phone: '024-23456789' },
    },
    rows: function* (r) {
      yield ['姓名', '性别', '身份证号', '出生日期', '手机号', '户籍地', '户籍地代码', '住址', '登记日期'];
      for (let i = 0; i < people; i++) {
        const city = i % 9 === 0 ? LIAONING_CITIES.find((c) => c.name === '朝阳市')! : r.pick(LIAONING_CITIES);
        const [code, countyName] = county(r, city.code);
        const male = r.next() < 0.5;
        const birth = birthDate(r);
        yield [
          personName(r),
          male ? '男' : '女',
          residentId(r, code, birth, male),
          birth,
          mobile(r),
          city.name,
          code,
          address(r, city, countyName),
          birthDate(r, 2015, 2025),
        ];
      }
    },
  },
  {
    org: '省自然资源厅',
    file: '耕地保护任务.csv',
    encoding: 'utf-8',
    meta: {
      name: '耕地保护任务分解',
      summary: `全省${FARMLAND_TOTAL}万亩耕地保护任务和${BASIC_FARMLAND_TOTAL}万亩永久基本农田保护任务按市分解。`,
      domain: '自然资源',
      category: '资源环境/土地/耕地',
      share_type: 'unconditional',
      open_type: 'unconditional',
      update_cycle: 'yearly',
      tags: ['耕地', '永久基本农田', '粮食安全'],
    },
    rows: function* () {
      yield ['城市', '行政区划代码', '耕地保护任务（万亩）', '永久基本农田保护任务（万亩）'];
      const farmland = apportion(FARMLAND_TOTAL, FARMLAND_WEIGHTS);
      const basic = apportion(BASIC_FARMLAND_TOTAL, FARMLAND_WEIGHTS);
      for (const [i, city] of LIAONING_CITIES.entries()) yield [city.name, city.code, farmland[i]!.toFixed(1), basic[i]!.toFixed(1)];
    },
  },
  {
    org: '省科技厅',
    file: '科技型企业登记.csv',
    encoding: 'utf-8',
    meta: {
      name: '科技型企业登记信息',
      summary: '全省科技型中小企业和高新技术企业登记信息，覆盖22个重点产业集群。',
      domain: '科技创新',
      category: '经济/企业/科技型企业',
      share_type: 'unconditional',
      open_type: 'conditional',
      update_cycle: 'monthly',
      tags: ['企业', '信用代码', '产业集群'],
    },
    // A monthly register last extracted 70 days ago: overdue against its 更新周期 (目录挂接).
    asOfDaysAgo: 70,
    rows: function* (r) {
      yield ['企业名称', '统一社会信用代码', '法定代表人', '注册地', '所属产业集群', '成立日期', '注册资本（万元）'];
      for (let i = 0; i < 2000; i++) {
        const city = r.pick(LIAONING_CITIES);
        const cluster = r.pick(INDUSTRY_CLUSTERS);
        yield [
          `${city.name.replace('市', '')}${r.pick(['华', '辽', '盛', '东', '北', '新', '远'])}${r.pick(['科', '创', '智', '航', '源'])}${cluster.slice(0, 2)}科技有限公司${i}`,
          uscc(r, city.code),
          personName(r),
          city.name,
          cluster,
          birthDate(r, 2000, 2024),
          String(r.int(50, 50000)),
        ];
      }
    },
  },
  {
    org: '省科技厅',
    file: '全国科普日活动.csv',
    encoding: 'utf-8',
    meta: {
      name: '全国科普日活动',
      summary: '2023年辽宁省暨沈阳市全国科普日活动清单，全省3000余场重点科普活动。',
      domain: '科技创新',
      category: '文化/科普/活动',
      share_type: 'unconditional',
      open_type: 'unconditional',
      update_cycle: 'yearly',
      tags: ['科普', '活动'],
    },
    rows: function* (r) {
      yield ['活动名称', '城市', '区县', '举办单位', '日期', '形式', '主题'];
      for (let i = 0; i < 3200; i++) {
        const city = r.pick(LIAONING_CITIES);
        const [, countyName] = county(r, city.code);
        yield [
          `${countyName}${r.pick(SCIENCE_THEMES)}活动第${i + 1}场`,
          city.name,
          countyName,
          `${countyName}科学技术协会`,
          `2023-09-${String(r.int(16, 30)).padStart(2, '0')}`,
          r.pick(['线下', '线上', '线上线下']),
          r.pick(SCIENCE_THEMES),
        ];
      }
    },
  },
  {
    org: '锦州市文化旅游和广播电视局',
    file: '锦州金秋文旅活动.csv',
    encoding: 'utf-8',
    meta: {
      name: '锦州金秋文化旅游季活动',
      summary: '“奔赴山海前程 是‘锦’”锦州金秋文化旅游季（9月至11月）七个板块系列活动。',
      domain: '文化旅游',
      category: '文化/旅游/活动',
      share_type: 'unconditional',
      open_type: 'unconditional',
      update_cycle: 'irregular',
      tags: ['旅游', '活动', '锦州'],
    },
    rows: function* (r) {
      yield ['活动名称', '板块', '地点', '开始日期', '结束日期', '是否免费'];
      const named: [string, string, string, string, string][] = [
        ['龙头礁风筝露营海洋文化节', '滨海风情', '龙头礁', '2023-09-23', '2023-09-24'],
        ['“舌尖上的非遗”锦州烧烤擂台赛', '锦州美食', '锦州市区', '2023-10-01', '2023-10-05'],
        ['“情满锦州”游园会', '情满锦州', '古塔公园', '2023-09-29', '2023-10-06'],
        ['古塔光影秀', '情满锦州', '广济寺古塔', '2023-09-29', '2023-10-06'],
      ];
      for (const n of named) yield [...n, '是'];
      for (let i = 0; i < 56; i++) {
        const block = r.pick(JINZHOU_BLOCKS);
        const start = r.int(1, 80);
        const day = (offset: number) => new Date(Date.UTC(2023, 8, 1 + offset)).toISOString().slice(0, 10);
        yield [
          `${block}系列活动${i + 1}`,
          block,
          r.pick(['笔架山', '东湖森林公园', '辽沈战役纪念馆', '北普陀山', '锦州世博园', '滨海新区']),
          day(start),
          day(start + r.int(0, 5)),
          r.next() < 0.7 ? '是' : '否',
        ];
      }
    },
  },
  {
    org: '省信访局',
    file: '信访事项.csv',
    encoding: 'utf-8',
    meta: {
      name: '信访事项登记',
      summary: '全省信访事项登记与办理情况，包括信访人、联系方式、事项内容、诉求类别和办理状态。',
      domain: '社会治理',
      category: '社会/信访/事项',
      share_type: 'conditional',
      share_conditions: '仅限信访事项办理和督办单位',
      update_cycle: 'daily',
      tags: ['信访', '诉求'],
    },
    rows: function* (r) {
      yield ['事项编号', '信访人', '联系电话', '事项内容', '诉求类别', '所在地', '登记日期', '办理状态'];
      for (let i = 0; i < 5000; i++) {
        const name = personName(r);
        const phone = mobile(r);
        const city = r.pick(LIAONING_CITIES);
        // 事项内容 is free text: names, IDs, phones and addresses in prose (graded 4级 by its spans).
        const content = petitionText(r, { name, phone, city });
        yield [
          `XF2023${String(i + 1).padStart(6, '0')}`,
          name,
          phone,
          content,
          r.pick(PETITION_KINDS),
          city.name,
          birthDate(r, 2023, 2023),
          r.pick(['已受理', '办理中', '已办结', '已办结', '已办结']),
        ];
      }
    },
  },
  {
    org: '鞍钢集团朝阳钢铁有限公司',
    file: '朝阳钢铁生产传感器.csv',
    encoding: 'utf-8',
    meta: {
      name: '朝阳钢铁生产线传感器读数',
      summary: '鞍钢集团朝阳钢铁数智中心采集的高炉、转炉、轧线传感器读数（工业大数据）。',
      domain: '工业',
      category: '经济/工业/生产监测',
      share_type: 'conditional',
      share_conditions: '仅限工业和信息化主管部门及城市大脑',
      update_cycle: 'realtime',
      tags: ['工业大数据', '钢铁', '传感器'],
    },
    rows: function* (r) {
      yield ['设备编号', '产线', '指标', '数值', '单位', '采集时间'];
      const sensors: [string, string, string, number, number][] = [
        ['BF1-T01', '1号高炉', '炉顶温度', 120, 250],
        ['BF1-P02', '1号高炉', '热风压力', 0.32, 0.45],
        ['BOF2-T01', '2号转炉', '钢水温度', 1580, 1680],
        ['HSM-S03', '热轧线', '轧制速度', 8, 14],
        ['HSM-V04', '热轧线', '主电机振动', 1.2, 4.5],
      ];
      const units: Record<string, string> = { 炉顶温度: '℃', 热风压力: 'MPa', 钢水温度: '℃', 轧制速度: 'm/s', 主电机振动: 'mm/s' };
      const start = Date.UTC(2023, 8, 20, 0, 0, 0);
      for (let i = 0; i < 20_000; i++) {
        const [id, line, metric, lo, hi] = sensors[i % sensors.length]!;
        const value = lo + (hi - lo) * r.next();
        yield [
          id,
          line,
          metric,
          value.toFixed(3),
          units[metric]!,
          new Date(start + Math.floor(i / sensors.length) * 60_000).toISOString().replace('T', ' ').slice(0, 19),
        ];
      }
    },
  },
];

export interface DemoAccount {
  username: string;
  displayName: string;
  org: string;
  roles: Role[];
  password: string;
}

/** RFC 4180 quoting where a value needs it. */
function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Writes a dataset's rows to a CSV file in its encoding, streaming, and returns the path. */
function writeCsv(dir: string, spec: DemoDataset, seed: number): string {
  const file = path.join(dir, spec.file);
  const fd = fs.openSync(file, 'w');
  try {
    let chunk: string[] = [];
    const flush = () => {
      const text = chunk.join('');
      fs.writeSync(fd, spec.encoding === 'gbk' ? iconv.encode(text, 'gbk') : Buffer.from(text));
      chunk = [];
    };
    for (const row of spec.rows(new Rng(seed))) {
      chunk.push(`${row.map(csvField).join(',')}\n`);
      if (chunk.length >= 5000) flush();
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

/**
 * Loads the demo world into an empty catalogue: organisations, accounts (returned with their
 * passwords, to print once) and datasets through the ingestion pipeline. `people` sizes 户籍人口.
 */
export async function loadDemoWorld(services: Services, options: { dataDir: string; people?: number; log?: (line: string) => void }): Promise<DemoAccount[]> {
  const log = options.log ?? (() => {});
  const { identity, catalog, ingest, jobs, review } = services;
  const platform = await identity.find.orgByName(PLATFORM_ORG.name);
  const system: Caller = { principal: { kind: 'user', userId: '', username: 'demo', orgId: platform?.id ?? '', roles: ['sysadmin'] }, requestId: 'demo' };
  const orgIds = new Map<string, string>();
  const rng = new Rng(20230920);
  for (const spec of DEMO_ORGS) {
    const existing = await identity.find.orgByName(spec.name);
    const parentId = spec.parent ? orgIds.get(spec.parent)! : (platform?.id ?? null);
    const org =
      existing ??
      (await identity.createOrg(system, {
        name: spec.name,
        type: spec.type,
        level: spec.level,
        regionCode: spec.region,
        uscc: uscc(rng, spec.region, spec.type === 'enterprise' ? '91' : '11'),
        parentId,
      }));
    orgIds.set(spec.name, org.id);
  }

  const accounts: DemoAccount[] = [];
  const userIds = new Map<string, string>();
  for (const spec of DEMO_USERS) {
    const password = generatePassword();
    const existing = await identity.find.userByName(spec.username);
    const user =
      existing ??
      (await identity.createUser(system, { username: spec.username, displayName: spec.displayName, orgId: orgIds.get(spec.org)!, roles: spec.roles, password }))
        .user;
    userIds.set(spec.org, user.id);
    if (!existing) accounts.push({ ...spec, password });
  }

  const codes = new Map<string, string>();
  const dir = path.join(options.dataDir, 'demo');
  fs.mkdirSync(dir, { recursive: true });
  for (const [i, spec] of DEMO_DATASETS({ people: options.people ?? 100_000 }).entries()) {
    const orgId = orgIds.get(spec.org)!;
    const caller: Caller = { principal: { kind: 'user', userId: userIds.get(spec.org)!, username: 'demo', orgId, roles: ['data_officer'] }, requestId: 'demo' };
    const dataset = await catalog.create(caller, { ...DATASET_DEFAULTS, ...spec.meta });
    const file = writeCsv(dir, spec, 1000 + i);
    const asOf = spec.asOfDaysAgo ? { asOf: new Date(Date.now() - spec.asOfDaysAgo * 86_400_000).toISOString() } : {};
    const jobId = await ingest.importFile(caller, dataset.code, file, { mode: 'replace', options: { encoding: spec.encoding }, ...asOf });
    await jobs.drain();
    const job = await jobs.get(jobId);
    if (job?.state !== 'succeeded') throw new Error(`demo dataset ${spec.meta.name} failed to load: ${JSON.stringify(job?.error)}`);
    fs.rmSync(file, { force: true });
    // The provider confirms the detected classification, as the publication gate requires.
    await review.review(caller, dataset.code, { columns: [] });
    await catalog.publish(caller, dataset.code);
    codes.set(spec.meta.name, dataset.code);
    log(`  ${dataset.code}  ${spec.meta.name}  ${(job.result as { rows: number }).rows} rows`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  await seedSharing(services, codes);
  accounts.push(...(await loadOpenWorld(services, codes, log)));
  await loadDutiesWorld(services, codes, log);
  await seedPasswordGuessing(services);
  return accounts;
}

/**
 * Someone guesses the password of a non-existent 'admin' account from one address: once the
 * server's security worker runs, the brute-force detector turns it into an open alert.
 */
async function seedPasswordGuessing(services: Services): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await services.identity.login({ username: 'admin', password: `admin12${i}`, ip: '203.0.113.7', requestId: 'demo' }).catch(() => undefined);
  }
}

/** The living part of the world: two active grants (one of them redacted free text) and one request waiting for its provider. */
async function seedSharing(services: Services, codes: Map<string, string>): Promise<void> {
  const { identity, share } = services;
  const callerOf = async (username: string): Promise<Caller> => {
    const user = (await identity.find.userByName(username))!;
    return { principal: { kind: 'user', userId: user.id, username, orgId: user.org_id, roles: user.roles }, requestId: 'demo' };
  };
  const endDate = `${new Date().getUTCFullYear() + 1}-12-31`;
  // 朝阳城市大脑 reads the steel plant's sensors under an active grant.
  const brain = await callerOf('zy-brain');
  const sensors = codes.get('朝阳钢铁生产线传感器读数')!;
  const sensorColumns = ['设备编号', '产线', '指标', '数值', '单位', '采集时间'];
  const request = await share.share.submit(brain, {
    dataset: sensors,
    columns: sensorColumns,
    purpose: '城市大脑工业运行监测：高炉、转炉和轧线运行状态',
    purposeCategory: 'administrative_duty',
    legalBasis: '《辽宁省大数据发展条例》',
    endDate,
    expectedRowsPerDay: 20_000,
  });
  await share.share.approve(await callerOf('zg-officer'), request.id, {
    columns: sensorColumns.map((name) => ({ name, mode: 'clear' as const })),
    rowsPerDay: 100_000,
    requestsPerMinute: 120,
    note: '同意城市大脑接入生产监测数据',
  });
  // 朝阳市民政局 reads the petitions of 朝阳市 with 事项内容 redacted: persons taken out of the text.
  const minzheng = await callerOf('zy-minzheng');
  const petitionColumns = ['事项编号', '事项内容', '诉求类别', '所在地', '办理状态'];
  const petitions = await share.share.submit(minzheng, {
    dataset: codes.get('信访事项登记')!,
    columns: petitionColumns,
    purpose: '信访事项督办与困难群众救助线索核查',
    purposeCategory: 'social_assistance',
    legalBasis: '《信访工作条例》第三十一条',
    endDate,
    expectedRowsPerDay: 2000,
    rowFilter: '所在地=eq.朝阳市',
  });
  await share.share.approve(await callerOf('xf-officer'), petitions.id, {
    columns: petitionColumns.map((name) =>
      name === '事项内容' ? { name, mode: 'redacted' as const, redact: 'placeholder' as const } : { name, mode: 'clear' as const },
    ),
    rowsPerDay: 5000,
    requestsPerMinute: 60,
    note: '事项内容去标识后共享，仅限督办',
  });
  // 事项内容 is 4级 (IDs in the text): the security administrator approves as well.
  await share.share.securityApprove(await callerOf('secadmin'), petitions.id, '去标识共享，同意');
  // 朝阳市民政局 asks for 户籍人口 to check 低保 eligibility: waiting for 省公安厅 (journey step 5),
  // submitted 30 days ago, so past its time limit (10 working days at most): overdue in earnest.
  await share.share.submit(
    minzheng,
    {
      dataset: codes.get('户籍人口信息')!,
      columns: ['姓名', '身份证号', '住址'],
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》第十一条',
      endDate: '2027-06-30',
      expectedRowsPerDay: 500,
      rowFilter: '户籍地=eq.朝阳市',
    },
    undefined,
    { submittedAt: new Date(Date.now() - 30 * 86_400_000) },
  );
}
