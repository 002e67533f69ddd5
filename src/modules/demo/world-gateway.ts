/**
 * The demo world's interface (issue 17): 省市场监督管理局 publishes its 企业信息查询 service (by
 * 统一社会信用代码), served by a small real HTTP upstream the demo starts on a local port; it is
 * registered through the gateway from an OpenAPI document, graded, published, and shared with
 * 朝阳市民政局 with the legal representative's name and ID number masked and the phone hidden.
 */
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Platform } from '../../main.ts';
import type { Caller } from '../identity/identity.service.ts';
import { PLATFORM_ORG } from '../identity/bootstrap.ts';
import { generatePassword } from '../identity/passwords.ts';
import { birthDate, county, mobile, personName, residentId, Rng, uscc } from './generate.ts';
import type { DemoAccount } from './world.ts';

type Services = Platform['services'];

const FILE = 'demo-gateway.json';
export const DEMO_GATEWAY_ORG = '省市场监督管理局';
const OFFICER = { username: 'sj-officer', displayName: '陈科长（省市场监管局数据管理员）', org: DEMO_GATEWAY_ORG, roles: ['data_officer' as const] };
/** The upstream's port when free (else any free port, recorded for the next start). */
const PREFERRED_PORT = 18717;

export interface DemoCompany {
  uscc: string;
  name: string;
  status: string;
  capital: number;
  legalPerson: { name: string; idNumber: string; mobile: string };
}

/** 200 enterprises of 朝阳市 with checksum-valid codes and IDs (the same ones on every start). */
export function demoCompanies(): DemoCompany[] {
  const r = new Rng(20261202);
  const trades = ['商贸', '建材', '农业科技', '物流', '餐饮管理', '机械制造', '电子科技', '养殖'];
  return Array.from({ length: 200 }, (_, i) => {
    const [countyCode] = county(r, '211300');
    const birth = birthDate(r, 1960, 1995);
    return {
      uscc: uscc(r, '211300', '91'),
      name: `朝阳市${personName(r).slice(0, 1)}氏${r.pick(trades)}有限公司${i % 7 === 0 ? '（分公司）' : ''}`,
      status: i % 11 === 0 ? '注销' : '存续',
      capital: r.int(10, 5000) * 10,
      legalPerson: { name: personName(r), idNumber: residentId(r, countyCode, birth, r.next() < 0.5), mobile: mobile(r) },
    };
  });
}

const OPENAPI = `openapi: 3.0.3
info:
  title: 企业信息查询
  description: 省市场监督管理局 企业登记信息查询接口，按统一社会信用代码查询企业基本信息与法定代表人
paths:
  /companies/{uscc}:
    get:
      operationId: getCompany
      summary: 按统一社会信用代码查询企业
      parameters:
        - { name: uscc, in: path, required: true, description: 统一社会信用代码, schema: { type: string } }
      responses:
        '200':
          description: 企业信息
          content:
            application/json:
              schema:
                type: object
                properties:
                  data:
                    type: object
                    properties:
                      uscc: { type: string, title: 统一社会信用代码 }
                      name: { type: string, title: 企业名称 }
                      status: { type: string, title: 登记状态 }
                      capital: { type: number, title: 注册资本（万元） }
                      legalPerson:
                        type: object
                        properties:
                          name: { type: string, title: 法定代表人姓名 }
                          idNumber: { type: string, title: 法定代表人身份证号 }
                          mobile: { type: string, title: 联系电话 }
`;

/** The department's own service: a token header, one lookup, 404 for an unknown code. */
export async function startDemoUpstream(options: { port: number; host: string; token: string }): Promise<{ app: FastifyInstance; port: number }> {
  const companies = new Map(demoCompanies().map((c) => [c.uscc, c]));
  const app = Fastify({ forceCloseConnections: true });
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-api-token'] !== options.token) return reply.status(401).send({ message: 'unauthorized' });
  });
  app.get<{ Params: { uscc: string } }>('/api/companies/:uscc', async (request, reply) => {
    const c = companies.get(request.params.uscc);
    return c ? { code: 0, data: c } : reply.status(404).send({ code: 404, message: 'not found' });
  });
  app.get('/api/health', async () => ({ code: 0, status: 'ok' }));
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : options.port };
}

export function hasDemoGateway(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, FILE));
}

/**
 * Starts the upstream (every start of a data directory whose demo world has it) on the recorded
 * port; registers, publishes and shares the service on the first start. Returns the officer's
 * account when it was created now, and a stop function.
 */
export async function startDemoGateway(
  services: Services,
  options: { dataDir: string; first: boolean; log?: (line: string) => void },
): Promise<{ accounts: DemoAccount[]; stop(): Promise<void> }> {
  const file = path.join(options.dataDir, FILE);
  const saved = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { port: number; token: string }) : undefined;
  if (!saved && !options.first) return { accounts: [], stop: async () => {} };
  const token = saved?.token ?? generatePassword();
  let upstream: Awaited<ReturnType<typeof startDemoUpstream>>;
  try {
    upstream = await startDemoUpstream({ port: saved?.port ?? PREFERRED_PORT, host: '127.0.0.1', token });
  } catch {
    // Taken: on a first start any free port is registered; later, the registered base URL no longer reaches it.
    if (saved) options.log?.(`  demo interface upstream: port ${saved.port} is taken; 企业信息查询 calls will answer upstream_unreachable`);
    upstream = await startDemoUpstream({ port: 0, host: '127.0.0.1', token });
  }
  const accounts: DemoAccount[] = [];
  if (!saved) {
    accounts.push(...(await loadDemoGateway(services, { port: upstream.port, token, log: options.log })));
    fs.writeFileSync(file, JSON.stringify({ port: upstream.port, token }), { mode: 0o600 });
  }
  return { accounts, stop: () => upstream.app.close() };
}

async function loadDemoGateway(services: Services, options: { port: number; token: string; log?: (line: string) => void }): Promise<DemoAccount[]> {
  const { identity, catalog, share, gateway } = services;
  const callerOf = async (username: string): Promise<Caller> => {
    const user = (await identity.find.userByName(username))!;
    return { principal: { kind: 'user', userId: user.id, username, orgId: user.org_id, roles: user.roles }, requestId: 'demo' };
  };
  const accounts: DemoAccount[] = [];
  const platform = await identity.find.orgByName(PLATFORM_ORG.name);
  const system: Caller = { principal: { kind: 'user', userId: '', username: 'demo', orgId: platform?.id ?? '', roles: ['sysadmin'] }, requestId: 'demo' };
  const org =
    (await identity.find.orgByName(DEMO_GATEWAY_ORG)) ??
    (await identity.createOrg(system, {
      name: DEMO_GATEWAY_ORG,
      type: 'department',
      level: 'province',
      regionCode: '210000',
      uscc: uscc(new Rng(17), '210000', '11'),
      parentId: platform?.id ?? null,
    }));
  if (!(await identity.find.userByName(OFFICER.username))) {
    const password = generatePassword();
    await identity.createUser(system, { username: OFFICER.username, displayName: OFFICER.displayName, orgId: org.id, roles: [...OFFICER.roles], password });
    accounts.push({ ...OFFICER, roles: [...OFFICER.roles], password });
  }
  const officer = await callerOf(OFFICER.username);
  // The demo upstream listens on 127.0.0.1, which the egress guard refuses unless allowlisted: the
  // demo world's security administrator allowlists exactly that address.
  const allow = await services.egress.settings();
  if (!allow.networks.includes('127.0.0.1/32')) await services.egress.setNetworks(system, [...allow.networks, '127.0.0.1/32']);
  const companies = demoCompanies();
  const registered = await gateway.service.register(officer, {
    name: '企业信息查询',
    summary: '按统一社会信用代码查询企业登记信息与法定代表人（省市场监督管理局 接口服务）',
    baseUrl: `http://127.0.0.1:${options.port}/api`,
    timeoutMs: 5000,
    auth: { header: 'X-Api-Token', secret: options.token },
    health: { path: '/health', intervalSeconds: 60 },
    openapi: OPENAPI,
    samples: { getCompany: { code: 0, data: companies[1] } },
  });
  await catalog.publish(officer, registered.code);
  const minzheng = await callerOf('zy-minzheng');
  const request = await share.share.submit(minzheng, {
    dataset: registered.code,
    columns: ['data.uscc', 'data.name', 'data.status', 'data.legalPerson.name', 'data.legalPerson.idNumber', 'data.legalPerson.mobile'],
    operations: ['getCompany'],
    purpose: '低保申请人名下企业核查',
    purposeCategory: 'social_assistance',
    legalBasis: '《社会救助暂行办法》第十一条',
    endDate: `${new Date().getUTCFullYear() + 1}-12-31`,
  });
  await share.share.approve(officer, request.id, {
    columns: [
      { name: 'data.uscc', mode: 'clear' },
      { name: 'data.name', mode: 'clear' },
      { name: 'data.status', mode: 'clear' },
      { name: 'data.legalPerson.name', mode: 'masked' },
      { name: 'data.legalPerson.idNumber', mode: 'masked' },
      { name: 'data.legalPerson.mobile', mode: 'hidden' },
    ],
    requestsPerMinute: 120,
    rowsPerDay: 5000,
    note: '法定代表人信息脱敏后共享，仅限低保核查',
  });
  // The legal representative's ID number is 4级: the security administrator approves as well.
  await share.share.securityApprove(await callerOf('secadmin'), request.id, '脱敏共享，同意');
  options.log?.(`  ${registered.code}  企业信息查询 (接口服务)  /api/v1/services/${registered.code}/companies/${companies[0]!.uscc}`);
  return accounts;
}
