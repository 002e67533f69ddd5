/**
 * `pdx demo burst` (issue 22 point 7): journey step 6 replayed on the demo world, whatever the time
 * of day. The command runs the real reads through the records API; the security worker judges them on
 * the stored replay clocks. What README step 6 promises must follow: a 较大 alert, the key suspended,
 * an incident with its 4-hour clock, notices to the officer, the secadmin and the consumer's
 * organisation (with the reason and until when), and an audit log never back-dated.
 * Then every notification the world holds names its subjects: no UUID, code or JSON, the dataset by name.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerBurstCommand } from '../src/modules/demo/burst.cli.ts';
import { loadDemoWorld, type DemoAccount } from '../src/modules/demo/world.ts';
import { ADMIN_PASSWORDS, startTestApp, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const DATASET_CODE = /\b\d{6}-\d{6}\b/;
const JSON_TEXT = /[{[]\s*"|"\s*:/;

describeEachBackend('pdx demo burst', ({ use }) => {
  // (The first test refuses, so the demo world's request of step 4 is still waiting when the command runs.)
  let t: TestApp;
  let accounts: DemoAccount[];

  beforeAll(async () => {
    t = await startTestApp(use().db);
    // The world loader runs its load jobs itself (as pdx demo does), not beside a worker.
    await t.services.jobs.stop();
    accounts = await loadDemoWorld(t.services, { dataDir: t.dataDir, people: 2000 });
  });
  afterAll(async () => {
    await t?.services.secops.stop();
    await t?.close();
  });

  /** Runs `pdx demo burst` over the test platform; what it printed. */
  async function burst(): Promise<string> {
    let out = '';
    const program = new Command('pdx').exitOverride();
    const demo = program.command('demo');
    registerBurstCommand(demo, {
      open: async () => ({ services: t.services, inject: t.app.inject.bind(t.app), close: async () => {} }),
      write: (text) => void (out += text),
    });
    await program.parseAsync(['node', 'pdx', 'demo', 'burst']);
    return out;
  }

  const signIn = (username: string) => t.login(username, accounts.find((a) => a.username === username)!.password);
  const notices = async (username: string) =>
    (await (await signIn(username)).call('GET', '/api/v1/notifications')).json().items as {
      kind: string;
      title: string;
      body: Record<string, unknown>;
      link: string | null;
    }[];

  const secadmin = () => t.login('secadmin', ADMIN_PASSWORDS.secadmin);

  it('the console replay is the secadmin’s only, and approves on nobody’s behalf: before step 4 it refuses, naming what to do', async () => {
    const others = [
      await signIn('zy-minzheng'),
      await signIn('ga-officer'),
      await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin),
      await t.login('auditor', ADMIN_PASSWORDS.auditor),
    ];
    expect((await t.anonymous.call('POST', '/api/v1/demo/burst')).statusCode).toBe(401);
    for (const c of others) {
      expect((await c.call('GET', '/api/v1/demo/burst')).statusCode).toBe(403);
      expect((await c.call('POST', '/api/v1/demo/burst')).statusCode).toBe(403);
    }
    const sec = await secadmin();
    expect((await sec.call('GET', '/api/v1/demo/burst')).json()).toEqual({ available: true });
    const refused = await sec.call('POST', '/api/v1/demo/burst');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'demo_grant_needed' });
    expect(refused.json().error.message).toContain('旅程第 4 步');
    const [request] = await use().db.query<{ state: string }>(
      `SELECT state FROM share_requests r JOIN datasets d ON d.id = r.dataset_id WHERE d.name = '户籍人口信息' AND r.purpose = '低保资格核验'`,
    );
    expect(request!.state).toBe('submitted');
  });

  it('raises a 较大 alert, suspends the key, opens an incident with its 4-hour clock and tells the officer, the secadmin and 朝阳市民政局', async () => {
    const out = await burst();
    expect(out).toContain('夜间突发访问已重放');
    expect(out).toContain('【较大】访问量达到基线的');
    expect(out).toContain('已暂停');
    expect(out).toContain('安全运营 → 告警');

    const { db } = use();
    const [key] = await db.query<{ id: string; name: string; suspended_at: Date | null; created_at: Date }>(
      `SELECT k.id, k.name, k.suspended_at, k.created_at FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE o.name = '朝阳市民政局' ORDER BY k.created_at DESC LIMIT 1`,
    );
    expect(key!.suspended_at).not.toBeNull();
    const alert = (await t.services.secops.service.latestAlertFor('volume', `key:${key!.id}`))!;
    expect(alert.severity).toBe('significant');
    expect(alert.facts).toMatchObject({ night: true, baselineHours: 5 });
    expect(Number(alert.facts.ratio)).toBeGreaterThanOrEqual(10);
    const { incident, clocks } = await t.services.secops.service.incidentDetail(alert.incident_id!);
    expect(incident.severity).toBe('significant');
    expect(clocks.first!.due.getTime() - incident.opened_at.getTime()).toBe(4 * 3_600_000);

    // The officer and the secadmin are told, naming the dataset and the consumer; the officer's notice links to the dataset.
    const officer = (await notices('ga-officer')).find((n) => n.kind === 'secops.alert' && n.body.alertId === alert.id)!;
    expect(officer.title).toContain('户籍人口信息');
    expect(officer.title).toContain('朝阳市民政局');
    expect(officer.link).toMatch(/^\/datasets\//);
    const sec = (
      (await (await secadmin()).call('GET', '/api/v1/notifications')).json().items as { kind: string; body: { alertId?: string }; link: string }[]
    ).find((n) => n.body.alertId === alert.id)!;
    expect(sec.link).toBe(`/secops?alert=${alert.id}`);
    // The consumer's organisation: the key by name, suspended until the secadmin lifts it, why, and on which dataset.
    const held = (await notices('zy-minzheng')).find((n) => n.kind === 'secops.key_contained' && n.body.keyId === key!.id)!;
    expect(held.title).toContain(`API 密钥「${key!.name}」已暂停，待安全管理员解除`);
    expect(held.title).toContain('户籍人口信息');
    expect(held.link).toBe('/api-keys');

    // Nothing back-dated: the key's reads carry their true stamps, the replay clocks are themselves recorded, the chain verifies.
    const reads = await db.query<{ time: Date }>(`SELECT time FROM audit_records WHERE actor_api_key_id = $1 AND action = 'data.read'`, [key!.id]);
    expect(reads.length).toBeGreaterThan(5);
    expect(reads.every((r) => new Date(r.time).getTime() >= key!.created_at.getTime() - 1000)).toBe(true);
    const clocksRecorded = await db.query(`SELECT 1 FROM audit_records WHERE action = 'secops.replay_clock' AND target_id = $1`, [key!.id]);
    expect(clocksRecorded).toHaveLength(6);
    expect((await t.services.audit.verify()).ok).toBe(true);
  });

  it('replays again with a fresh key and the same outcome', async () => {
    const out = await burst();
    expect(out).toContain('【较大】');
    expect(out).toContain('沿用已有授权');
    const alerts = await use().db.query<{ severity: string }>(`SELECT severity FROM secops_alerts WHERE detector = 'volume'`);
    expect(alerts.map((a) => a.severity)).toEqual(['significant', 'significant']);
    // The refused console attempt, then two replays.
    expect(
      (await use().db.query<{ result: string }>(`SELECT result FROM audit_records WHERE action = 'demo.burst' ORDER BY seq`)).map((r) => r.result),
    ).toEqual(['failure', 'success', 'success']);
  });

  it('the secadmin’s button replays it under the grant of step 4 while the server runs: the same outcome, named', async () => {
    t.services.secops.start();
    const res = await (await secadmin()).call('POST', '/api/v1/demo/burst');
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ dataset: '户籍人口信息', consumer: '朝阳市民政局', keyState: 'suspended', alert: { severity: 'significant' } });
    expect(o.incident.title).toContain('访问量达到基线');
    expect(o.notified.map((n: { username: string }) => n.username).sort()).toEqual(['ga-officer', 'secadmin', 'zy-minzheng']);
    expect(JSON.stringify(o)).not.toMatch(UUID);
    const [by] = await use().db.query<{ actor_username: string }>(
      `SELECT actor_username FROM audit_records WHERE action = 'demo.burst' ORDER BY seq DESC LIMIT 1`,
    );
    expect(by!.actor_username).toBe('secadmin');
  });

  it('every notification names its subjects: no UUID, code or JSON in any title, the dataset by its name', async () => {
    const names = new Map((await t.services.catalog.published()).map((d) => [d.code, d.name]));
    const rows = await use().db.query<{ kind: string; title: { zh: string; en: string }; body: Record<string, unknown> }>(
      `SELECT kind, title, body FROM notifications`,
    );
    const kinds = new Set(rows.map((r) => r.kind));
    // The demo world and the burst leave many kinds behind: sharing, duties, open data, security.
    for (const k of [
      'share.request',
      'share.active',
      'share.security_review',
      'duties.overdue',
      'duties.objection',
      'duties.return_flow',
      'duties.demand_answered',
      'open.application',
      'secops.alert',
      'secops.key_contained',
    ]) {
      expect(kinds, k).toContain(k);
    }
    for (const r of rows) {
      for (const text of [r.title.zh, r.title.en]) {
        expect(text, `${r.kind}: ${text}`).not.toMatch(UUID);
        expect(text, `${r.kind}: ${text}`).not.toMatch(DATASET_CODE);
        expect(text, `${r.kind}: ${text}`).not.toMatch(JSON_TEXT);
        const code = typeof r.body.dataset === 'string' ? r.body.dataset : undefined;
        if (code) expect(text, `${r.kind} names its dataset`).toContain(names.get(code));
      }
    }
    // As the console reads them (the caller's language).
    for (const n of await notices('zy-minzheng')) {
      expect(n.title).not.toMatch(UUID);
      expect(n.title).not.toMatch(DATASET_CODE);
    }
  });
});

describeEachBackend('demo burst without the demo world', ({ use }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(use().db);
  });
  afterAll(() => t?.close());

  it('is not offered, and refused with a clear message', async () => {
    const sec = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    expect((await sec.call('GET', '/api/v1/demo/burst')).json()).toEqual({ available: false });
    const refused = await sec.call('POST', '/api/v1/demo/burst');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('demo_world_missing');
  });
});
