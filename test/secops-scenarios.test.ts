/**
 * Attack scenarios replayed with real HTTP requests against a listening pdx (platform + sharing +
 * security operations), with a local webhook receiver and a local SMTP server. Each scenario
 * asserts the alert, its severity, the containment, the in-app notice and the outside deliveries,
 * each waited for as a condition (detector interval 100 ms in these tests: on an idle machine they
 * arrive within a second or two; the bound below only catches one that never comes).
 *
 * Night: the volume detector takes "what hour is it" from an injected event clock. The test maps
 * the audit stamps of each phase onto a virtual day (10:00, 11:00, 14:00, then 03:00 the next
 * night), which is how a replay of a past day would be judged too.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the scenarios read API answers (alerts, containments, audit records) loosely in assertions */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createPlatform, type Platform } from '../src/main.ts';
import { bootstrapIdentity } from '../src/modules/identity/bootstrap.ts';
import type { SecopsModule } from '../src/modules/secops/secops.module.ts';
import { residentId } from './corpus/values.ts';
import { Random } from './corpus/random.ts';
import { ADMIN_PASSWORDS, createOrg, multipart, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { apiKey, grantJourney, shareWorld, type ShareTestApp, type ShareWorld } from './share-helpers.ts';
import { httpClient, httpLogin, sessionHeaders } from './helpers/http.ts';
import { CONDITION_MS } from './helpers/bounds.ts';
import { startMailServer, type Mail } from './helpers/mail.ts';
import { TEST_ENV } from './helpers/env.ts';
import { virtualClock } from './helpers/virtual-clock.ts';

const WEBHOOK_SECRET = 'whsec-liaoning-soc-2026-test';

/** Waits until `probe` returns a value (not undefined/false), polling; fails after `ms`. */
async function within<T>(ms: number, probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeEachBackend('security operations: attack scenarios over HTTP', ({ use }) => {
  let platform: Platform;
  let secops: SecopsModule;
  let base: string;
  let dataDir: string;
  let w: ShareWorld;
  let secadmin: Client;
  const hooks: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let mails: Mail[] = [];
  let hookServer: http.Server;
  let smtp: Awaited<ReturnType<typeof startMailServer>>;
  let failNextHooks = 0;
  // The virtual clock of the volume detector: from real instant `real` on, time reads `virtual`.
  const { setVirtual, eventTime } = virtualClock();

  const alerts = async (detector: string) => (await secadmin.call('GET', `/api/v1/secops/alerts?detector=${detector}`)).json().items as any[];

  beforeAll(async () => {
    hookServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (failNextHooks > 0) {
          failNextHooks--;
          res.writeHead(503).end();
          return;
        }
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    smtp = await startMailServer();
    mails = smtp.mails;
    const smtpPort = smtp.port;

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-secops-'));
    const config = loadConfig({
      ...TEST_ENV,
      PDX_LOG_LEVEL: 'silent',
      PDX_RATE_LIMIT: '100000',
      PDX_DATA_DIR: dataDir,
      PDX_MASTER_KEY: randomBytes(32).toString('base64'),
      PDX_PORT: '0',
      PDX_UPSTREAM_ALLOW: '127.0.0.1/32',
    });
    const db = use().db;
    platform = await createPlatform(config, db, {
      jobPollMs: 50,
      secops: { smtp: { host: '127.0.0.1', port: smtpPort, secure: false, from: 'pdx@liaoning.gov.cn' }, eventTime },
    });
    const { app, services } = platform;
    secops = services.secops;
    await bootstrapIdentity(db, services.identity, ADMIN_PASSWORDS);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    services.jobs.start();

    const t = {
      // Signs in or throws with the server's status and answer (a refused sign-in once left an undefined client).
      login: async (u: string, p: string) => httpClient(base, await sessionHeaders(base, u, p)),
      withKey: (key: string) => httpClient(base, { authorization: `Bearer ${key}` }),
    };
    w = await shareWorld(t as unknown as ShareTestApp, 1500);
    secadmin = w.secadmin;
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/soc`;
    // Webhooks go through the egress guard like every outbound connection: the cloud metadata address
    // and a non-http scheme are refused, naming the field (the receiver on 127.0.0.1 is allowlisted above).
    for (const [url, code] of [
      ['http://169.254.169.254/latest/meta-data/', 'address_refused'],
      ['ftp://soc.liaoning.gov.cn/hook', 'invalid_webhook_url'],
    ] as const) {
      const refused = await secadmin.call('PUT', '/api/v1/secops/settings', { webhooks: [{ url }] });
      expect(refused.statusCode, url).toBe(400);
      expect(refused.json().error).toMatchObject({ code, details: { field: 'webhooks[0].url' } });
    }
    const put = await secadmin.call('PUT', '/api/v1/secops/settings', {
      intervalMs: 100,
      webhooks: [{ url: hookUrl, secret: WEBHOOK_SECRET, minSeverity: 'significant' }],
      email: { to: ['soc@liaoning.gov.cn'], minSeverity: 'significant' },
      delivery: { retryBaseMs: 50, maxAttempts: 5, timeoutMs: 5000 },
      detectors: { volume: { minRows: 200, minBaselineHours: 3 }, bruteForce: { failures: 5, windowMinutes: 10, sprayAccounts: 3 } },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(JSON.stringify(put.json())).not.toContain(WEBHOOK_SECRET);
    secops.start();
  });

  afterAll(async () => {
    await secops?.stop();
    await platform?.services.jobs.stop();
    await platform?.app.close();
    await platform?.services.audit.close();
    await new Promise((r) => hookServer?.close(r));
    await smtp?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a key pulling 50× its usual volume at 03:00: 较大 alert, key suspended, officer and secadmin notified, signed webhook, e-mail, incident with a 4-hour clock', async () => {
    const { grantId } = await grantJourney(w);
    const read = (limit: number, after?: string) =>
      w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    // The usual day: four rows an hour.
    for (const hour of ['2026-03-09T10:00:00+08:00', '2026-03-09T11:00:00+08:00', '2026-03-09T14:00:00+08:00']) {
      setVirtual(hour);
      const res = await read(4);
      expect(res.statusCode, res.body).toBe(200);
    }
    // The next night at 03:00: every 朝阳 row, again and again, until pdx stops the key.
    setVirtual('2026-03-10T03:00:00+08:00');
    failNextHooks = 1; // the SOC's receiver is down once: the delivery is retried
    let total = 0;
    let refusedDuringAttack = false;
    for (let i = 0; i < 8 && !refusedDuringAttack; i++) {
      const res = await read(1000);
      // Refused from the moment the containment commits: 401 by auth, or 403 'contained' when the
      // request passed auth just before the commit and reached the grant check just after it.
      if (res.statusCode === 401 || res.statusCode === 403) refusedDuringAttack = true;
      else total += res.json().rows.length;
    }
    // The alert fires only past 200 rows in the hour (minRows), i.e. at ≥ 50 × the 4-row baseline.
    expect(total).toBeGreaterThanOrEqual(200);

    const alert = await within(CONDITION_MS, async () => (await alerts('volume'))[0], 'volume alert');
    expect(alert.severity).toBe('significant');
    expect(alert.facts.night).toBe(true);
    expect(alert.facts.ratio).toBeGreaterThanOrEqual(50);
    expect(alert.dataset).toBe(w.code);
    expect(alert.evidence.length).toBeGreaterThan(0);
    // The evidence is the audit record of the read.
    const evidence = (await w.auditor.call('GET', `/api/v1/audit/records/${alert.evidence[0]}`)).json();
    expect(evidence.action).toBe('data.read');
    expect(evidence.details.grantId).toBe(grantId);

    // Contained: the key is refused from now on, on every process (checked in the database).
    const refused = await read(5);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('api_key_suspended');
    const containments = (await secadmin.call('GET', '/api/v1/secops/containments?active=true')).json().items as any[];
    const suspension = containments.find((c) => c.kind === 'suspend_key' && c.alertId === alert.id);
    expect(suspension).toMatchObject({ automatic: true, active: true });
    const contain = (await w.auditor.call('GET', '/api/v1/audit/records?action=secops.contain')).json().items as any[];
    expect(contain.some((r) => r.targetId === suspension.targetId && r.details.kind === 'suspend_key')).toBe(true);

    // In-app notices: the provider's data officer and the secadmin.
    // Each names the dataset and the consumer organisation.
    for (const c of [w.officer, secadmin]) {
      const notes = (await c.call('GET', '/api/v1/notifications')).json().items as any[];
      const note = notes.find((n) => n.kind === 'secops.alert' && n.body.alertId === alert.id);
      expect(note.title).toContain('数据资源：户籍人口信息');
      expect(note.title).toContain('使用方：朝阳市民政局');
    }
    // The consumer's people get no alert (its evidence is for the provider and the secadmin), but are
    // told their key is suspended and why.
    const consumerNotes = (await w.consumer.call('GET', '/api/v1/notifications')).json().items as any[];
    expect(consumerNotes.some((n) => n.kind === 'secops.alert')).toBe(false);
    expect(consumerNotes.find((n) => n.kind === 'secops.key_contained' && n.body.containmentId === suspension.id)?.title).toMatch(
      /^API 密钥「.+」已暂停，待安全管理员解除：自动处置：/,
    );

    // Signed webhook (after one failed attempt) and e-mail.
    const hook = await within(CONDITION_MS, async () => hooks.find((h) => JSON.parse(h.body).alert?.id === alert.id), 'webhook');
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(hook.body).digest('hex')}`;
    expect(hook.headers['x-pdx-signature']).toBe(expected);
    expect(JSON.parse(hook.body)).toMatchObject({
      type: 'pdx.secops.alert',
      alert: { severity: 'significant', detector: 'volume' },
      containment: { kind: 'suspend_key' },
    });
    const mail = await within(CONDITION_MS, async () => mails.find((m) => m.raw.includes(alert.id)), 'e-mail');
    expect(mail.to).toEqual(['soc@liaoning.gov.cn']);
    // The receiver has the message before the sender records it as sent: wait for the record.
    const deliveries = await within(
      CONDITION_MS,
      async () => {
        const items = (await secadmin.call('GET', `/api/v1/secops/deliveries?alert=${alert.id}`)).json().items as any[];
        return items.filter((d) => d.state === 'sent').length === 2 && items;
      },
      'deliveries recorded as sent',
    );
    expect(deliveries.find((d) => d.channel === 'webhook')).toMatchObject({ state: 'sent', attempts: 2 });
    expect(deliveries.find((d) => d.channel === 'email')).toMatchObject({ state: 'sent' });

    // An incident with the 4-hour first-report clock.
    expect(alert.incidentId).toBeTruthy();
    const incident = (await secadmin.call('GET', `/api/v1/secops/incidents/${alert.incidentId}`)).json();
    expect(incident.incident).toMatchObject({ severity: 'significant', state: 'discovered' });
    // Opened by the platform: the alert's title in both languages, the Chinese one stored for the reports.
    // (The alert's own title follows its growing count; the incident keeps the one it was opened with.)
    expect(incident.incident.titleMessage.zh).toBe(incident.incident.title);
    expect(incident.incident.title).toMatch(/^访问量达到基线的 [0-9.]+ 倍（夜间）$/);
    expect(incident.incident.titleMessage.en).toMatch(/^Volume [0-9.]+× the baseline at night$/);
    const opened = Date.parse(incident.incident.openedAt);
    expect(Date.parse(incident.clocks.first.due) - opened).toBe(4 * 3_600_000);
    expect(Date.parse(incident.clocks.final.due) - opened).toBe(30 * 86_400_000);
    expect(incident.clocks.first.remainingMs).toBeGreaterThan(3 * 3_600_000);
    // The platform's own timeline entries in both languages (the English console once showed the stored Chinese).
    const said = (kind: string) => (incident.timeline as any[]).find((e) => e.kind === kind && e.actorName === 'pdx');
    expect(said('opened')).toMatchObject({ text: '', message: { zh: '由告警自动创建', en: 'Opened automatically from an alert' } });
    expect(said('action')).toMatchObject({
      text: '',
      message: { zh: `暂停 API 密钥：${suspension.targetLabel}`, en: `Suspend API key: ${suspension.targetLabel}` },
    });

    // The secadmin lifts the suspension: recorded, and the key works again.
    const lifted = await secadmin.call('POST', `/api/v1/secops/containments/${suspension.id}/lift`, { reason: '核实为夜间批处理,已约谈使用方' });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect((await read(1)).statusCode).toBe(200);
    const liftRecords = (await w.auditor.call('GET', '/api/v1/audit/records?action=secops.contain_lift')).json().items as any[];
    expect(liftRecords[0].details.containmentId).toBe(suspension.id);
  });

  it('a password-guessing run: account locked by the detector, 较大 for guessing across accounts from one address, reversible', async () => {
    const admin = w.admin;
    const orgId = await createOrg(admin, '省信访局');
    const victim = await provisionUser(
      { login: async (u: string, p: string) => httpClient(base, await sessionHeaders(base, u, p)) } as never,
      admin,
      'xf-officer',
      ['data_officer'],
      orgId,
    );
    for (let i = 0; i < 5; i++) expect((await httpLogin(base, 'xf-officer', `Guess-${i}-Wrong!`)).status).toBe(401);
    for (const name of ['xf-admin', 'xf-root']) expect((await httpLogin(base, name, 'Password123!')).status).toBe(401);

    const byUser = await within(CONDITION_MS, async () => (await alerts('bruteForce')).find((a) => a.subject === 'user:xf-officer'), 'account alert');
    expect(byUser.severity).toBe('general');
    expect(byUser.facts.failures).toBeGreaterThanOrEqual(5);
    // The address's alert opens at the fifth failure and rises to 较大 once a third account is tried.
    const byIp = await within(
      CONDITION_MS,
      async () => (await alerts('bruteForce')).find((a) => a.subject.startsWith('ip:') && a.severity === 'significant'),
      'address alert at 较大',
    );
    expect(byIp.facts.accounts).toBeGreaterThanOrEqual(3);

    const lock = ((await secadmin.call('GET', '/api/v1/secops/containments?active=true')).json().items as any[]).find(
      (c) => c.kind === 'lock_account' && c.targetId === victim.id,
    );
    expect(lock).toBeTruthy();
    // Locked for the detector's 60 minutes, longer than the sign-in lockout's 15.
    expect(Date.parse(lock.until) - Date.now()).toBeGreaterThan(50 * 60_000);
    expect((await httpLogin(base, 'xf-officer', victim.password)).status).toBe(401);
    expect((await secadmin.call('POST', `/api/v1/secops/containments/${lock.id}/lift`, { reason: '本人确认,已重置' })).statusCode).toBe(200);
    expect((await httpLogin(base, 'xf-officer', victim.password)).status).toBe(200);
    const mail = await within(CONDITION_MS, async () => mails.find((m) => m.raw.includes(byIp.id)), 'e-mail for the address alert');
    expect(mail).toBeTruthy();
  });

  it('a revoked key retried: refused, and an alert names the key', async () => {
    const key = await apiKey(w.consumer, 'old-app');
    const keys = (await w.consumer.call('GET', '/api/v1/api-keys')).json() as any;
    const row = (Array.isArray(keys) ? keys : keys.items).find((k: { name: string }) => k.name === 'old-app');
    expect((await w.consumer.call('DELETE', `/api/v1/api-keys/${row.id}`)).statusCode).toBe(200);
    const retry = httpClient(base, { authorization: `Bearer ${key}` });
    for (let i = 0; i < 3; i++) {
      const res = await retry.call('GET', `/api/v1/datasets/${w.code}/records?limit=1`);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('api_key_revoked');
    }
    // Three uses, one alert with three hits (grouped by key).
    const alert = await within(
      CONDITION_MS,
      async () => (await alerts('revokedKey')).find((a) => a.subject === `key:${row.id}` && a.hits === 3),
      'revoked key alert, 3 hits',
    );
    expect(alert.severity).toBe('general');
    expect(alert.evidence).toHaveLength(3);
    expect(alert.facts).toMatchObject({ reason: 'revoked', keyName: 'old-app' });
  });

  it('an ID column sneaking into a shared dataset through a new version: 较大, sharing frozen', async () => {
    const header = '单位名称,备注,人数';
    const r = new Random(11);
    const plain = [header, ...Array.from({ length: 200 }, (_, i) => `朝阳市第${i + 1}社区居委会,季度走访正常,${(i % 9) + 1}`)].join('\n');
    const created = await w.officer.call('POST', '/api/v1/datasets', { name: '社区走访记录', summary: '社区走访', share_type: 'conditional' });
    expect(created.statusCode, created.body).toBe(201);
    const code = created.json().code as string;
    const upload = async (csv: string) => {
      const { body, contentType } = multipart('visits.csv', Buffer.from(csv));
      const res = await w.officer.call('POST', `/api/v1/datasets/${code}/versions?mode=replace`, body, { 'content-type': contentType });
      expect(res.statusCode, res.body).toBe(202);
      const jobId = res.json().jobId as string;
      return within(
        CONDITION_MS,
        async () => {
          const job = (await w.officer.call('GET', `/api/v1/jobs/${jobId}`)).json();
          return job.state === 'succeeded' || job.state === 'failed' ? job : undefined;
        },
        'load',
      );
    };
    expect((await upload(plain)).state).toBe('succeeded');
    expect((await w.officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] })).statusCode).toBe(200);
    expect((await w.officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);
    // Version 2: the 备注 column now carries 身份证号.
    const sneaky = [header, ...Array.from({ length: 200 }, (_, i) => `朝阳市第${i + 1}社区居委会,${residentId(r)},${(i % 9) + 1}`)].join('\n');
    const job = await upload(sneaky);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');

    const alert = await within(CONDITION_MS, async () => (await alerts('newSensitiveColumn')).find((a) => a.dataset === code), 'new column alert');
    expect(alert.severity).toBe('significant');
    expect(alert.facts.columns).toEqual([expect.objectContaining({ name: '备注', grade: 4 })]);
    const datasetId = (await use().db.query<{ id: string }>('SELECT id FROM datasets WHERE code = $1', [code]))[0]!.id;
    const freeze = ((await secadmin.call('GET', '/api/v1/secops/containments?active=true')).json().items as any[]).find(
      (c) => c.kind === 'freeze_dataset' && c.targetId === datasetId,
    );
    expect(freeze).toMatchObject({ automatic: true, targetLabel: code });
    const { isContained } = await import('../src/modules/secops/secops.module.ts');
    expect(await isContained(use().db, { datasetId })).toMatchObject({ contained: true, kind: 'freeze_dataset' });
    const notes = (await w.officer.call('GET', '/api/v1/notifications')).json().items as any[];
    expect(notes.some((n) => n.body.alertId === alert.id)).toBe(true);
  });

  it('events the sharing module is to record (IP range, quota) raise alerts and contain the key', async () => {
    const events = platform.services.events;
    const keyId = (
      await use().db.query<{ id: string }>('SELECT id FROM api_keys WHERE revoked_at IS NULL AND org_id = $1 ORDER BY created_at LIMIT 1', [w.civilOrg])
    )[0]!.id;
    const actor = { apiKeyId: keyId, orgId: w.civilOrg, userId: w.consumerId };
    await events.record({
      action: 'access.denied',
      result: 'denied',
      actor,
      dataset: w.code,
      ip: '203.0.113.9',
      details: { reason: 'ip_not_allowed', grantId: 'g-1' },
    });
    const ip = await within(CONDITION_MS, async () => (await alerts('ipRange')).find((a) => a.subject === `key:${keyId}`), 'ip alert');
    expect(ip.severity).toBe('significant');
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=1`)).json().error.code).toBe('api_key_suspended');
    const suspension = ((await secadmin.call('GET', '/api/v1/secops/containments?active=true')).json().items as any[]).find(
      (c) => c.kind === 'suspend_key' && c.targetId === keyId,
    );
    // The key's holder sees it: the key list says 已暂停, a notice names the key and the reason.
    const keyState = async () => ((await w.consumer.call('GET', '/api/v1/api-keys')).json().items as any[]).find((k) => k.id === keyId);
    const notices = async (kind: string) =>
      ((await w.consumer.call('GET', '/api/v1/notifications')).json().items as any[]).filter((n) => n.kind === kind && n.body.keyId === keyId);
    expect(await keyState()).toMatchObject({ state: 'suspended', throttledUntil: null });
    const suspended = (await notices('secops.key_contained')).find((n) => n.body.containment === 'suspend_key');
    expect(suspended.body.containmentId).toBe(suspension.id);
    expect(suspended.title).toContain(`API 密钥「${suspended.body.keyName}」已暂停`);
    expect(suspended.title).toContain(suspension.reason.zh ?? suspension.reason);
    expect(suspended.link).toBe('/api-keys');
    await secadmin.call('POST', `/api/v1/secops/containments/${suspension.id}/lift`, { reason: 'test' });
    expect((await keyState()).state).toBe('active');

    for (let i = 0; i < 3; i++)
      await events.record({ action: 'data.quota_exceeded', result: 'denied', actor, dataset: w.code, details: { grantId: 'g-1', quota: 'rows_per_day' } });
    const quota = await within(CONDITION_MS, async () => (await alerts('quota'))[0], 'quota alert');
    expect(quota.severity).toBe('general');
    const refused = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=1`);
    expect(refused.json().error.code).toBe('api_key_throttled');
    const throttle = ((await secadmin.call('GET', '/api/v1/secops/containments?active=true')).json().items as any[]).find(
      (c) => c.kind === 'throttle_key' && c.targetId === keyId,
    );
    expect(Date.parse(throttle.until) - Date.now()).toBeGreaterThan(10 * 60_000);
    // 限流至 hh:mm (China Standard Time) in the key list's data and in the notice, with the end time.
    expect(await keyState()).toMatchObject({ state: 'throttled', throttledUntil: new Date(throttle.until).toISOString() });
    const hhmm = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
      new Date(throttle.until),
    );
    const throttled = (await notices('secops.key_contained')).find((n) => n.body.containment === 'throttle_key');
    expect(throttled.title).toContain(`已限流至 ${hhmm}`);
    expect(throttled.body.until).toBe(new Date(throttle.until).toISOString());
    await secadmin.call('POST', `/api/v1/secops/containments/${throttle.id}/lift`, { reason: 'test' });
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=1`)).statusCode).toBe(200);
  });

  it('incident workflow: forward only, owner, actions, report clock warning, report export', async () => {
    const opened = await secadmin.call('POST', '/api/v1/secops/incidents', {
      title: '疑似 API 密钥泄露',
      severity: 'significant',
      description: '朝阳市民政局密钥夜间异常调用',
    });
    expect(opened.statusCode, opened.body).toBe(201);
    // Opened by a person: their title, no platform wording.
    expect(opened.json().incident).toMatchObject({ title: '疑似 API 密钥泄露', titleMessage: null });
    const id = opened.json().incident.id as string;
    const secadminId = (await secadmin.call('GET', '/api/v1/auth/me')).json().user?.id ?? (await secadmin.call('GET', '/api/v1/auth/me')).json().id;
    expect((await secadmin.call('POST', `/api/v1/secops/incidents/${id}/owner`, { ownerId: secadminId })).statusCode).toBe(200);
    expect((await secadmin.call('POST', `/api/v1/secops/incidents/${id}/transition`, { state: 'analysing', note: '确认为密钥外泄' })).statusCode).toBe(200);
    const back = await secadmin.call('POST', `/api/v1/secops/incidents/${id}/transition`, { state: 'discovered', note: '' });
    expect(back.statusCode).toBe(409);
    expect((await secadmin.call('POST', `/api/v1/secops/incidents/${id}/actions`, { text: '已吊销并重新签发密钥' })).statusCode).toBe(200);
    expect((await secadmin.call('POST', `/api/v1/secops/incidents/${id}/reports`, { kind: 'first', note: '已电话并书面报告省网信办' })).statusCode).toBe(200);
    const noSummary = await secadmin.call('POST', `/api/v1/secops/incidents/${id}/transition`, { state: 'closed', note: '' });
    expect(noSummary.statusCode).toBe(400);

    // The final report's clock: warn 30 days ahead and the warning arrives as an alert on the incident.
    const current = (await secadmin.call('GET', '/api/v1/secops/settings')).json();
    const put = await secadmin.call('PUT', '/api/v1/secops/settings', {
      ...current,
      webhooks: current.webhooks.map((h: { url: string; minSeverity: string }) => ({ url: h.url, minSeverity: h.minSeverity })),
      reporting: { firstReportHours: 4, finalReportDays: 30, warnBeforeMinutes: 31 * 24 * 60 },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().webhooks[0].hasSecret).toBe(true);
    const warning = await within(CONDITION_MS, async () => (await alerts('reportClock')).find((a) => a.subject === `incident:${id}:final`), 'clock warning');
    expect(warning.incidentId).toBe(id);
    const detail = (await secadmin.call('GET', `/api/v1/secops/incidents/${id}`)).json();
    expect(detail.timeline.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['opened', 'owner', 'state', 'action', 'report', 'warning']));
    expect(detail.clocks.first.reportedAt).toBeTruthy();
    // The warning in both languages; what the secadmin typed as written.
    const warned = (detail.timeline as any[]).find((e) => e.kind === 'warning');
    expect(warned.message.en).toMatch(/^The final report is due in \d+ minutes$/);
    expect(warned.message.zh).toMatch(/^最终报告将于 \d+ 分钟后到期$/);
    expect((detail.timeline as any[]).find((e) => e.kind === 'action')).toMatchObject({ text: '已吊销并重新签发密钥', message: null });
    const regraded = (await secadmin.call('POST', `/api/v1/secops/incidents/${id}/severity`, { severity: 'major' })).json();
    expect((regraded.timeline as any[]).find((e) => e.kind === 'severity').message).toEqual({ zh: '较大 → 重大', en: 'Significant → Major' });

    const closed = await secadmin.call('POST', `/api/v1/secops/incidents/${id}/transition`, {
      state: 'closed',
      note: '结案',
      summary: '密钥外泄,已处置;加强密钥保管',
    });
    expect(closed.statusCode, closed.body).toBe(200);
    const md = await secadmin.call('GET', `/api/v1/secops/incidents/${id}/report?format=md`);
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-disposition']).toContain('.md');
    expect(md.body).toContain('# 网络安全事件报告：疑似 API 密钥泄露');
    expect(md.body).toContain('重大');
    expect(md.body).toContain('较大 → 重大');
    expect(md.body).toMatch(/最终报告将于 \d+ 分钟后到期/);
    expect(md.body).toContain('已吊销并重新签发密钥');
    const html = await secadmin.call('GET', `/api/v1/secops/incidents/${id}/report?format=html`);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('<h1>');
  });

  it('only the secadmin reaches security operations', async () => {
    for (const c of [w.admin, w.auditor, w.officer, w.consumer]) {
      expect((await c.call('GET', '/api/v1/secops/alerts')).statusCode).toBe(403);
      expect((await c.call('GET', '/api/v1/secops/settings')).statusCode).toBe(403);
      expect((await c.call('POST', '/api/v1/secops/containments', { kind: 'suspend_key', targetId: 'x', reason: 'x' })).statusCode).toBe(403);
    }
    const byKey = await w.keyClient.call('GET', '/api/v1/secops/alerts');
    expect(byKey.statusCode, byKey.body).toBe(403);
    expect((await httpClient(base, {}).call('GET', '/api/v1/secops/dashboard')).statusCode).toBe(401);
  });

  it('the live stream sends alerts as server-sent events', async () => {
    const cookie = secadmin.headers.cookie!;
    const controller = new AbortController();
    const res = await fetch(`${base}/api/v1/secops/alerts/stream`, { headers: { cookie }, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    // A new attack after the stream opened arrives on it.
    for (let i = 0; i < 5; i++) await httpLogin(base, 'sse-probe', `wrong-${i}`);
    let text = '';
    const event = await within(
      CONDITION_MS,
      async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return text
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => JSON.parse(l.slice(6)))
          .find((a) => a.subject === 'user:sse-probe');
      },
      'the new alert on the stream',
    );
    controller.abort();
    expect(event).toMatchObject({ detector: 'bruteForce', severity: 'general', title: { zh: expect.stringContaining('sse-probe') } });
  });
});
