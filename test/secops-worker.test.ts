import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { createSecopsService, type SecopsService } from '../src/modules/secops/secops.service.ts';
import { randomUUID } from 'node:crypto';
import type { AuditRecord } from '../src/modules/audit/record.ts';
import { countUsage, type DetectorContext } from '../src/modules/secops/detectors.ts';

describeEachBackend('secops worker', ({ use }) => {
  let t: TestApp;
  let a: SecopsService;
  let b: SecopsService;

  beforeAll(async () => {
    t = await startTestApp(use().db);
    const { events, audit, keyring, egress, identity, catalog, share, review } = t.services;
    const deps = {
      db: t.db,
      events,
      audit,
      sealer: keyring,
      egress,
      identity,
      catalog,
      classify: review,
      share: share.share,
      onError: (e: unknown) => {
        throw e;
      },
    };
    // Two workers on one database, as two pdx processes would run them.
    a = createSecopsService(deps);
    b = createSecopsService(deps);
  });
  afterAll(() => t?.close());

  it('counts a batch of data responses in one statement; each response sees the running total of its hour', async () => {
    const [k1, k2] = [randomUUID(), randomUUID()];
    const time = new Date().toISOString();
    const read = (seq: number, key: string, rows: number) =>
      ({
        seq,
        time,
        action: 'data.read',
        result: 'success',
        actorApiKeyId: key,
        actorUserId: null,
        actorOrgId: null,
        dataset: null,
        details: { rowCount: rows },
      }) as unknown as AuditRecord;
    const ctx = { q: t.db, eventTime: (r: AuditRecord) => new Date(r.time), columnGrades: async () => new Map() } as unknown as DetectorContext;
    const denied = { ...read(3, k1, 99), result: 'denied' } as AuditRecord;
    expect(await countUsage([read(1, k1, 10), read(2, k2, 5), denied, read(4, k1, 7)], ctx)).toEqual(
      new Map([
        [1, 10],
        [2, 5],
        [4, 17],
      ]),
    );
    expect(await countUsage([read(5, k1, 3)], ctx)).toEqual(new Map([[5, 20]]));
    const rows = await t.db.query<{ subject: string; rows: string; requests: number }>(
      'SELECT subject, rows::text, requests FROM secops_usage WHERE subject = ANY($1::text[]) ORDER BY requests',
      [[`key:${k1}`, `key:${k2}`]],
    );
    expect(rows).toEqual([
      { subject: `key:${k2}`, rows: '5', requests: 1 },
      { subject: `key:${k1}`, rows: '20', requests: 3 },
    ]);
  });

  it('two workers never judge the same record twice, and the cursor ends at the head', async () => {
    for (let i = 0; i < 12; i++) {
      await t.services.events.record({
        action: 'auth.login',
        result: 'failure',
        actor: { username: 'nobody' },
        ip: '198.51.100.7',
        details: { reason: 'unknown_user' },
      });
    }
    await Promise.all([a.processBatch(), b.processBatch(), a.processBatch(), b.processBatch()]);
    while ((await a.processBatch()) > 0);
    // The 5th to 12th failures each hit both the account and the address rule: 8 + 8 hits, two alerts.
    const hits = await t.db.query<{ detector: string; n: number }>(`SELECT detector, count(*)::int AS n FROM secops_hits GROUP BY detector`);
    expect(hits).toEqual([{ detector: 'bruteForce', n: 16 }]);
    const grouped = await t.db.query<{ subject: string; hits: number }>(`SELECT subject, hits FROM secops_alerts ORDER BY subject`);
    expect(grouped).toEqual([
      { subject: 'ip:198.51.100.7', hits: 8 },
      { subject: 'user:nobody', hits: 8 },
    ]);
    const [cursor] = await t.db.query<{ seq: number }>(`SELECT seq FROM secops_cursor WHERE name = 'detectors'`);
    const [head] = await t.db.query<{ seq: number }>(`SELECT max(seq)::int AS seq FROM audit_records WHERE action NOT LIKE 'secops.%'`);
    expect(Number(cursor!.seq)).toBeGreaterThanOrEqual(head!.seq);
  });

  it('a broken audit chain raises a 重大 alert on the next verification', async () => {
    await a.verifyChainIfDue(true);
    expect(await t.db.query(`SELECT 1 FROM secops_alerts WHERE detector = 'auditChain'`)).toHaveLength(0);
    await t.services.audit.record({ action: 'test.event', result: 'success' });
    await t.db.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_records DISABLE TRIGGER USER');
      await tx.query(`UPDATE audit_records SET actor_username = 'someone-else' WHERE seq = 3`);
      await tx.query('ALTER TABLE audit_records ENABLE TRIGGER USER');
    });
    await b.verifyChainIfDue(true);
    const [alert] = await t.db.query<{ severity: string; evidence: number[] }>(`SELECT severity, evidence FROM secops_alerts WHERE detector = 'auditChain'`);
    expect(alert?.severity).toBe('major');
    expect(alert?.evidence.map(Number)).toEqual([3]);
  });
});
