/**
 * The demo world's interface (issue 17): 省市场监督管理局's 企业信息查询 runs as a real upstream on a
 * local port, and 朝阳市民政局 calls it through the gateway with the legal representative masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCompanies } from '../src/modules/demo/world-gateway.ts';
import { mask } from '../src/lib/mask.ts';
import { sessionHeaders } from './helpers/http.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('demo world interface', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '200', PDX_DEMO_GATEWAY: 'true' });
  });
  afterAll(() => server?.close());

  it('朝阳市民政局 looks an enterprise up by 统一社会信用代码: name in clear, legal representative masked, phone hidden', async () => {
    const account = server.demoAccounts!.find((a) => a.username === 'zy-minzheng')!;
    const { cookie } = await sessionHeaders(server.url, 'zy-minzheng', account.password);
    expect(server.demoAccounts!.map((a) => a.username)).toContain('sj-officer');
    const services = (await (await fetch(`${server.url}/api/v1/gateway/services`, { headers: { cookie } })).json()) as {
      items: { code: string; name: string; status: string }[];
    };
    const service = services.items.find((s) => s.name === '企业信息查询')!;
    expect(service.status).toBe('published');
    const company = demoCompanies()[3]!;
    const res = await fetch(`${server.url}/api/v1/services/${service.code}/companies/${company.uscc}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: {
        uscc: company.uscc,
        name: company.name,
        status: company.status,
        legalPerson: { name: mask('person_name', company.legalPerson.name), idNumber: mask('cn_resident_id', company.legalPerson.idNumber) },
      },
    });
  });
});
