import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';
import type { Client } from './helpers/api.ts';

type Todo = { items: { kind: string; count: number }[]; expiringDays: number };
const todo = async (c: Client): Promise<Record<string, number>> => {
  const res = await c.call('GET', '/api/v1/overview/todo');
  expect(res.statusCode, res.body).toBe(200);
  return Object.fromEntries((res.json() as Todo).items.map((i) => [i.kind, i.count]));
};
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describeEachBackend('工作台: the to-do counts of the caller', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 200);
  });
  afterAll(() => t?.close());

  it('answers only a signed-in caller, and only with the queues of its roles', async () => {
    expect((await t.anonymous.call('GET', '/api/v1/overview/todo')).statusCode).toBe(401);
    expect(Object.keys(await todo(w.auditor))).toEqual([]);
    expect(Object.keys(await todo(w.admin))).toEqual([]);
    expect(Object.keys(await todo(w.secadmin)).sort()).toEqual(['demandsToAssign', 'openAlerts', 'returnFlowReviews', 'securityReviews']);
    expect(Object.keys(await todo(w.officer)).sort()).toEqual(['approvals', 'classifyReviews', 'demandsToAnswer', 'grantsEnding', 'objections']);
    expect(Object.keys(await todo(w.consumer))).toEqual(['expiringGrants']);
  });

  it('counts a request in the provider’s and then the security administrator’s queue, and a grant ending soon on both sides', async () => {
    const before = { officer: await todo(w.officer), secadmin: await todo(w.secadmin) };
    const req = await w.consumer.call('POST', '/api/v1/share/requests', {
      dataset: w.code,
      columns: ['姓名', '身份证号'],
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》',
      endDate: inDays(10),
    });
    expect(req.statusCode, req.body).toBe(201);
    expect((await todo(w.officer)).approvals).toBe(before.officer.approvals! + 1);
    // Another organisation's officer has nothing to approve.
    expect((await todo(w.civilOfficer)).approvals).toBe(0);

    const approved = await w.officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
      ],
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect((await todo(w.officer)).approvals).toBe(before.officer.approvals);
    expect((await todo(w.secadmin)).securityReviews).toBe(before.secadmin.securityReviews! + 1);

    expect((await w.secadmin.call('POST', `/api/v1/share/requests/${req.json().id}/security-approve`, { note: '同意' })).statusCode).toBe(200);
    expect((await todo(w.secadmin)).securityReviews).toBe(before.secadmin.securityReviews);
    // The grant ends in 10 days: expiring for the consumer, and among those the provider gave.
    expect((await todo(w.consumer)).expiringGrants).toBe(1);
    expect((await todo(w.officer)).grantsEnding).toBe(1);
    expect((await todo(w.otherConsumer)).expiringGrants).toBe(0);
    // A grant to 2099 is not expiring.
    await grantJourney(w);
    expect((await todo(w.consumer)).expiringGrants).toBe(1);
  });
});

describeEachBackend('城市大脑: the sharing trend counts every data response', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 200);
  });
  afterAll(() => t?.close());

  type Day = { day: string; responses: number; rows: number };
  const today = async (): Promise<Day> => {
    const res = await w.secadmin.call('GET', '/api/v1/overview');
    expect(res.statusCode, res.body).toBe(200);
    const chinaDay = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    return (res.json().sharing as Day[]).find((d) => d.day === chinaDay) ?? { day: chinaDay, responses: 0, rows: 0 };
  };

  it('counts a records read and an export as the usage statistics do, with their rows', async () => {
    const { grantId } = await grantJourney(w);
    const before = await today();
    const read = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&select=${encodeURI('姓名,户籍地')}&limit=5`);
    expect(read.statusCode, read.body).toBe(200);
    const created = await w.keyClient.call('POST', `/api/v1/datasets/${w.code}/exports`, { format: 'csv', query: `grant=${grantId}&select=姓名,户籍地` });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().id as string;
    await expect.poll(async () => (await w.keyClient.call('GET', `/api/v1/exports/${id}`)).json().state).toBe('ready');

    const after = await today();
    expect(after.responses).toBe(before.responses + 2);
    const exported = (await w.keyClient.call('GET', `/api/v1/exports/${id}`)).json().rowCount as number;
    expect(after.rows).toBe(before.rows + 5 + exported);
  });
});
