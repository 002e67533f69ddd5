/**
 * The `redacted` grant mode through the interface gateway (issue 24 point 3), end to end: a 12345
 * hotline department registers its work-order API, whose free-text field 工单内容 is classified by the
 * spans of its sample and graded 4级; a consumer requests it; the provider grants it redacted (the
 * form the approval form starts from); the security administrator approves; calls through
 * /api/v1/services/{code}/… reach a REAL upstream HTTP server started here and answer the text with
 * every detected span replaced, the rest of the text kept, no clear span in the answer or the audit.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnRow } from '../src/modules/catalog/catalog.service.ts';
import { rewrite } from '../src/modules/gateway/fields.ts';
import { outputValue, viewColumns } from '../src/modules/share/access/compile.ts';
import { findSpans } from '../src/modules/classify/text.ts';
import { redactText } from '../src/modules/classify/redact.ts';
import { generateDocuments } from './corpus/documents.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { apiKey, startShareApp, type ShareTestApp } from './share-helpers.ts';

const TOKEN = 'hotline-token-5c1e';

/** 12 work orders: the prose of a generated document each (names, IDs, phones, addresses in it). */
const orders = generateDocuments(2424, 12)
  .text.split('\n\n')
  .filter((d) => d.trim())
  .map((d, i) => ({ no: `GD2024${String(i + 1).padStart(6, '0')}`, content: d.replaceAll('\n', ' '), status: i % 2 ? '已办结' : '办理中' }));
/** A sample response for the registration: a work order with a name, an ID and a phone in its text. */
const SAMPLE = {
  data: {
    no: 'GD2023000001',
    content: '来电人秦明辉反映，其身份证号11010519491231002X，手机13812345678，住朝阳市双塔区燕都路3号，小区供暖不达标。',
    status: '已办结',
  },
};

/** The clear values of the spans in the orders that are long enough that seeing one can only mean a leak. */
const leakable = [...new Set(orders.flatMap((o) => findSpans(o.content).map((s) => o.content.slice(s.start, s.end))))].filter((v) => v.length >= 6);
function expectNoLeak(body: string): void {
  expect(
    leakable.filter((v) => body.includes(v)),
    'clear spans in the answer',
  ).toEqual([]);
}

async function startUpstream(): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ forceCloseConnections: true });
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-api-token'] !== TOKEN) return reply.status(401).send({ message: 'bad token' });
  });
  app.get<{ Params: { no: string } }>('/api/orders/:no', async (request, reply) => {
    const o = orders.find((x) => x.no === request.params.no);
    if (!o) return reply.status(404).send({ message: 'no such order' });
    return { data: o };
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${address}/api` };
}

describeEachBackend('interface gateway: a free-text field granted redacted', ({ use }) => {
  let t: ShareTestApp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let officer: Client;
  let secadmin: Client;
  let consumer: Client;
  let auditor: Client;
  let key: Client;
  let code: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startShareApp(use().db, { PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const hotline = await createOrg(admin, '市12345政务服务便民热线');
    const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    officer = (await provisionUser(t, admin, 'rx-officer', ['data_officer'], hotline)).client;
    consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
    key = t.withKey(await apiKey(consumer));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.app.close();
  });

  it('registers the interface: 工单内容 is free text graded 4级 by its spans', async () => {
    const res = await officer.call('POST', '/api/v1/gateway/services', {
      name: '12345工单查询',
      baseUrl: upstream.url,
      timeoutMs: 30_000,
      auth: { header: 'X-Api-Token', secret: TOKEN },
      operations: [
        {
          id: 'getOrder',
          method: 'GET',
          path: '/orders/{no}',
          fields: [
            { path: 'data.no', label: '工单编号', dataType: 'text' },
            { path: 'data.content', label: '工单内容', dataType: 'text' },
            { path: 'data.status', label: '办理状态', dataType: 'text' },
          ],
        },
      ],
      samples: { getOrder: SAMPLE },
    });
    expect(res.statusCode, res.body).toBe(201);
    code = res.json().code;
    expect(res.json().fields.find((f: { name: string }) => f.name === 'data.content')).toMatchObject({ grade: 4 });
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);
  });

  it('request → the provider grants 工单内容 redacted → security approval', async () => {
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns: ['data.no', 'data.content', 'data.status'],
      operations: ['getOrder'],
      purpose: '低保对象诉求核查',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》第十一条',
      endDate: '2099-06-30',
    });
    expect(req.statusCode, req.body).toBe(201);
    const id = req.json().id;
    // What the approval form starts 工单内容 from: a 4级 free-text column, so redacted.
    const detail = (await officer.call('GET', `/api/v1/share/requests/${id}`)).json();
    expect(detail.columnDetails.find((c: { name: string }) => c.name === 'data.content')).toMatchObject({ grade: 4, freeText: true, dataType: 'text' });
    const approved = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [
        { name: 'data.no', mode: 'clear' },
        { name: 'data.content', mode: 'redacted', redact: 'placeholder' },
        { name: 'data.status', mode: 'clear' },
      ],
    });
    expect(approved.statusCode, approved.body).toBe(200);
    const sec = await secadmin.call('POST', `/api/v1/share/requests/${id}/security-approve`, { note: '同意去标识共享' });
    expect(sec.statusCode, sec.body).toBe(200);
    expect(sec.json().state).toBe('active');
  });

  it('calls through the gateway answer 工单内容 with every detected span replaced, the rest kept; the audit holds no clear span', async () => {
    for (const o of orders) {
      const res = await key.call('GET', `/api/v1/services/${code}/orders/${o.no}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ data: { no: o.no, content: redactText(o.content, 'placeholder'), status: o.status } });
      expectNoLeak(res.body);
    }
    const all = orders.map((o) => redactText(o.content, 'placeholder')).join('');
    for (const placeholder of ['〔姓名〕', '〔身份证号〕', '〔手机号〕']) expect(all).toContain(placeholder);
    const records = (await auditor.call('GET', `/api/v1/audit/records?action=gateway.call&dataset=${code}&limit=100`)).json().items as {
      result: string;
      details: Record<string, unknown>;
    }[];
    expect(records.filter((r) => r.result === 'success')).toHaveLength(orders.length);
    expect(records[0]!.details).toMatchObject({ columns: expect.arrayContaining([{ name: 'data.content', mode: 'redacted' }]) });
    expectNoLeak(JSON.stringify(records));
  });
});

describe('gateway field forms of a redacted grant', () => {
  it('answers a free-text field granted redacted with every detected span replaced (issue 24), as the gateway builds its forms', () => {
    const field: ColumnRow = {
      dataset_id: 'd',
      position: 1,
      physical: 'c001',
      name: 'data.remark',
      label: '备注',
      data_type: 'text',
      length: null,
      description: '',
      rules: {},
      grade: 3,
      classification: { types: [], grade: 3, text: { spans: [{ type: 'mobile', count: 1 }], scanned: 1 } },
      encrypted: false,
      blind_index: false,
    };
    const body = { data: { remark: '经办人秦明辉，手机13812345678，已回访。' } };
    for (const [redact, expected] of [
      ['masked', '经办人秦**，手机138****5678，已回访。'],
      ['placeholder', '经办人〔姓名〕，手机〔手机号〕，已回访。'],
    ] as const) {
      const visible = viewColumns([field], [{ name: 'data.remark', mode: 'redacted', redact }]);
      const forms = new Map(visible.map((c) => [c.name, (v: string | number | boolean | null) => outputValue(c, v, {})] as const));
      expect(rewrite(body, forms).body).toEqual({ data: { remark: expected } });
    }
  });
});
