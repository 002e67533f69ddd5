/**
 * Usage per grant (issue 22): the provider sees, on the dataset's grants list and on the grant, the
 * calls, rows returned and last use of each grant, counted by the duties module's usage statistics
 * from the audit log's data responses. Another organisation sees nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { provisionUser } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

describeEachBackend('usage per grant', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 60);
  });
  afterAll(() => t?.close());

  it('counts calls, rows and last use per grant for the provider and the holder; nobody else sees the grant', async () => {
    const { grantId } = await grantJourney(w);
    // Before any call: zero, never used.
    const fresh = (await w.officer.call('GET', `/api/v1/share/grants/${grantId}`)).json();
    expect(fresh.usage).toEqual({ calls: 0, rows: 0, lastUsedAt: null });

    const before = Date.now();
    const a = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=5`);
    const b = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=3`);
    expect(a.json().rows).toHaveLength(5);
    expect(b.json().rows).toHaveLength(3);
    // A refused call is not use.
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?不存在=eq.1`)).statusCode).toBe(400);

    const list = await w.officer.call('GET', `/api/v1/share/grants?dataset=${w.code}`);
    expect(list.statusCode).toBe(200);
    const row = list.json().items.find((g: { id: string }) => g.id === grantId);
    expect(row.usage).toMatchObject({ calls: 2, rows: 8 });
    expect(new Date(row.usage.lastUsedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    const detail = (await w.officer.call('GET', `/api/v1/share/grants/${grantId}`)).json();
    expect(detail.usage).toEqual(row.usage);
    // The holder sees its own use; the secadmin too.
    expect((await w.consumer.call('GET', `/api/v1/share/grants/${grantId}`)).json().usage).toMatchObject({ calls: 2, rows: 8 });
    expect((await w.secadmin.call('GET', `/api/v1/share/grants/${grantId}`)).json().usage).toMatchObject({ calls: 2, rows: 8 });
    // Without a dataset the list carries no usage (it is asked for per dataset).
    const all = (await w.officer.call('GET', '/api/v1/share/grants')).json().items.find((g: { id: string }) => g.id === grantId);
    expect(all.usage).toBeNull();

    // Another organisation's officer, another consumer, the auditor: nothing.
    const otherOfficer = (await provisionUser(t, w.admin, 'jz-officer-usage', ['data_officer'], w.otherOrg)).client;
    expect((await otherOfficer.call('GET', `/api/v1/share/grants/${grantId}`)).statusCode).toBe(404);
    expect((await otherOfficer.call('GET', `/api/v1/share/grants?dataset=${w.code}`)).json().items).toEqual([]);
    expect((await w.otherConsumer.call('GET', `/api/v1/share/grants/${grantId}`)).statusCode).toBe(404);
    expect((await w.auditor.call('GET', `/api/v1/share/grants?dataset=${w.code}`)).statusCode).toBe(403);

    // A second grant of the same dataset keeps its own count.
    const other = await grantJourney({ ...w, consumer: w.otherConsumer }, {}, {});
    const jz = t.withKey(w.otherKey);
    expect((await jz.call('GET', `/api/v1/datasets/${w.code}/records?limit=4`)).statusCode).toBe(200);
    const both = (await w.officer.call('GET', `/api/v1/share/grants?dataset=${w.code}`)).json().items as {
      id: string;
      usage: { calls: number; rows: number };
    }[];
    expect(both.find((g) => g.id === other.grantId)?.usage).toMatchObject({ calls: 1, rows: 4 });
    expect(both.find((g) => g.id === grantId)?.usage).toMatchObject({ calls: 2, rows: 8 });
  });
});
