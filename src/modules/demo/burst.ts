/**
 * `pdx demo burst`: journey step 6 replayed for a newcomer. 朝阳市民政局's application reads 户籍人口信息
 * with its API key through the real records API: a few ordinary hours of reads (the baseline the
 * volume detector needs), then at 03:00 far more. The security worker does the rest as it would for
 * a real night: a 较大 alert, the key suspended, the officer and secadmin notified, an incident with
 * its 4-hour clock, and the consumer's organisation told why and until when.
 *
 * Time: the detectors judge "night" and the hourly baseline on `eventTime`. The audit log is an
 * append-only hash chain stamped with the true time, so nothing is back-dated: the run declares
 * replay clocks (secops `declareReplayClock`, stored and audited) under which the demo key's records
 * are judged as if at yesterday's working hours and at 03:00 last night.
 */
import type { App } from '../../http/app.ts';
import type { Principal } from '../../http/access.ts';
import { ConflictError, type Message } from '../../errors.ts';
import type { Platform } from '../../main.ts';
import { callerEvent } from '../audit/events.ts';
import type { Caller } from '../identity/identity.service.ts';
import { inHours, SEVERITY_LABELS, type Severity } from '../secops/secops.settings.ts';
import { grantExpired } from '../share/share.service.ts';

type Services = Platform['services'];

/** Who and what of journey step 6 in the demo world. */
export const BURST_DATASET = '户籍人口信息';
const CONSUMER = 'zy-minzheng';
const OFFICER = 'ga-officer';
const SECADMIN = 'secadmin';
/** Yesterday's ordinary hours (local time) and the rows read in each. */
const BASELINE_HOURS = [9, 10, 11, 14, 15];
const BASELINE_ROWS = 100;
/**
 * Rows per request of the burst at most: below the bulk-read detector's 10,000 (this is the volume
 * detector's demonstration), and a bound on the requests whatever the settings say.
 */
const PAGE_ROWS = 9000;
const MAX_BURST_REQUESTS = 200;
/** How long the run waits for the security worker's alert before it says it saw none. */
const ALERT_WAIT_MS = 180_000;
/** The audit action of a replay, by whoever started it. */
export const BURST_ACTION = 'demo.burst';

export interface BurstDeps {
  services: Services;
  /** The HTTP app the reads go through (in process: the same auth hook, records route and audit as a real call). */
  inject: App['inject'];
  /** Who replays it (the host's command line, or the secadmin's button): recorded as `demo.burst`. */
  by: Partial<Caller>;
  /**
   * May the run approve the waiting request of step 4 as 省公安厅 and the secadmin? The host's command
   * line may; the console button may not (its secadmin is not 省公安厅's officer): without a usable
   * grant it refuses, naming the steps to do first.
   */
  approve: boolean;
  /** How long to wait for the security worker's alert (default 180 s). */
  waitMs?: number;
  log?: (line: string) => void;
}

export interface BurstOutcome {
  dataset: { code: string; name: string; provider: string };
  consumer: { org: string; username: string };
  grant: { id: string; approvedNow: boolean };
  key: { id: string; name: string; state: 'suspended' | 'throttled' | 'active'; throttledUntil: Date | null };
  baseline: { day: string; hours: string[]; rowsPerHour: number };
  burst: { at: string; rows: number; requests: number; refused: boolean };
  alert?: { id: string; severity: Severity; title: Message; summary: Message };
  incident?: { id: string; title: string; firstDue: Date | null };
  notified: { username: string; org: string; title: Message }[];
}

/** China Standard Time (the province's clock) as YYYY-MM-DD HH:mm. */
export function chinaTime(d: Date): string {
  return new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function callerOf(user: { id: string; username: string; org_id: string; roles: Principal['roles'] }): Caller {
  return { principal: { kind: 'user', userId: user.id, username: user.username, orgId: user.org_id, roles: user.roles }, requestId: 'demo-burst' };
}

/** The demo world's people and dataset of step 6, or a clear refusal when the world is not loaded. */
async function stepSixWorld(services: Services) {
  const { identity, catalog } = services;
  const dataset = (await catalog.published()).find((d) => d.name === BURST_DATASET);
  const users = await Promise.all([CONSUMER, OFFICER, SECADMIN].map((u) => identity.find.userByName(u)));
  const [consumer, officer, secadmin] = users;
  if (!dataset || !consumer || !officer || !secadmin) {
    throw new ConflictError('demo_world_missing', {
      zh: `未找到演示数据（数据资源「${BURST_DATASET}」和账号 ${CONSUMER}、${OFFICER}、${SECADMIN}）：请先加载演示数据（npx pdx demo）`,
      en: `The demo world is not loaded (dataset “${BURST_DATASET}”, accounts ${CONSUMER}, ${OFFICER}, ${SECADMIN}): load it first (npx pdx demo)`,
    });
  }
  const [consumerOrg, provider] = await Promise.all([identity.getOrg(consumer.org_id), identity.getOrg(dataset.provider_org_id)]);
  return {
    dataset,
    consumer: callerOf(consumer),
    officer: callerOf(officer),
    secadmin: callerOf(secadmin),
    consumerOrg: consumerOrg.name,
    provider: provider.name,
  };
}

type World = Awaited<ReturnType<typeof stepSixWorld>>;

/** True when the demo world of step 6 is there (the console offers its replay only then). */
export async function burstAvailable(services: Services): Promise<boolean> {
  return stepSixWorld(services).then(
    () => true,
    () => false,
  );
}

/**
 * The grant the burst reads under: an active requested grant of the consumer that lets the whole
 * replay through (no daily row quota below it, no IP ranges, a request rate that allows it); else the
 * demo world's waiting request (or a new one), approved as journey steps 4 and 5 approve it.
 */
async function ensureGrant(services: Services, w: World, rowsNeeded: number, approve: boolean): Promise<{ id: string; approvedNow: boolean }> {
  const share = services.share.share;
  const grants = await share.grants(w.consumer.principal, { dataset: w.dataset.code });
  const usable = grants.find(
    (g) =>
      g.state === 'active' &&
      !g.return_flow_id &&
      !g.suspended_at &&
      !grantExpired(g.expires_at) &&
      (g.rows_per_day === null || g.rows_per_day >= 2 * rowsNeeded) &&
      (g.requests_per_minute === null || g.requests_per_minute >= 60) &&
      g.ip_ranges.length === 0,
  );
  if (usable) return { id: usable.id, approvedNow: false };
  if (!approve) {
    throw new ConflictError('demo_grant_needed', {
      zh: `${w.consumerOrg}尚无可用于演示的「${BURST_DATASET}」共享授权：请先完成旅程第 4 步（${w.provider}与安全管理员批准其申请，不设每日行数上限或不少于 ${2 * rowsNeeded} 行），或在服务器主机上运行 npx pdx demo burst`,
      en: `${w.consumerOrg} holds no grant on “${BURST_DATASET}” the replay can use: do journey step 4 first (${w.provider} and the secadmin approve its request, with no daily row quota or at least ${2 * rowsNeeded} rows), or run npx pdx demo burst on the server host`,
    });
  }
  const waiting = (await share.list(w.consumer.principal, { state: 'submitted', dataset: w.dataset.code })).find(
    (r) => r.consumer_org_id === w.consumer.principal.orgId,
  );
  const request =
    waiting ??
    (await share.submit(w.consumer, {
      dataset: w.dataset.code,
      columns: ['姓名', '身份证号', '住址'],
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》第十一条',
      endDate: `${new Date().getUTCFullYear() + 1}-12-31`,
      expectedRowsPerDay: 500,
      rowFilter: '户籍地=eq.朝阳市',
    }));
  const approved = await share.approve(w.officer, request.id, {
    columns: [
      { name: '姓名', mode: 'masked' },
      { name: '身份证号', mode: 'pseudonym' },
      { name: '住址', mode: 'generalized', generalize: { address: 'district' } },
    ],
    rowFilter: '户籍地=eq.朝阳市',
    rowsPerDay: Math.max(20_000, 2 * rowsNeeded),
    requestsPerMinute: 120,
    note: '同意低保资格核验（演示：夜间突发访问重放）',
  });
  const active = approved.state === 'active' ? approved : await share.securityApprove(w.secadmin, request.id, '涉及4级字段，以假名方式共享，同意（演示）');
  if (!active.grant_id)
    throw new ConflictError('demo_grant_missing', { zh: '演示申请批准后未生成共享授权', en: 'The demo request was approved but no grant was made' });
  return { id: active.grant_id, approvedNow: true };
}

/** The instants to replay: yesterday's ordinary hours and 03:00 (or the night's first hour) last night, local time. */
export function replayPlan(now: Date, s: { utcOffsetMinutes: number; nightHours: { from: number; to: number } }) {
  const offset = s.utcOffsetMinutes * 60_000;
  const local = new Date(now.getTime() + offset);
  const nightHour = inHours(3, s.nightHours) ? 3 : s.nightHours.from;
  const day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  // The latest such hour that has begun: today's, or yesterday's before it comes round.
  const nightDay = day + nightHour * 3_600_000 <= local.getTime() ? day : day - 86_400_000;
  const night = new Date(nightDay + nightHour * 3_600_000 - offset);
  const baselineDay = nightDay - 86_400_000;
  const baseline = BASELINE_HOURS.map((h) => new Date(baselineDay + h * 3_600_000 - offset));
  return { night, baseline };
}

/** One page of records with the key: rows read and the cursor, or `refused` when the answer was not 200. */
async function readPage(
  deps: BurstDeps,
  key: string,
  code: string,
  query: Record<string, string>,
): Promise<{ rows: number; next: string | null; refused: boolean }> {
  const res = await deps.inject({
    method: 'GET',
    url: `/api/v1/datasets/${code}/records?${new URLSearchParams(query).toString()}`,
    headers: { authorization: `Bearer ${key}` },
  });
  if (res.statusCode !== 200) return { rows: 0, next: null, refused: true };
  const body = res.json<{ rows: unknown[]; next: string | null }>();
  return { rows: body.rows.length, next: body.next, refused: false };
}

/** Waits for the volume alert on the key (the security worker runs in this process or another one). */
async function alertOf(services: Services, keyId: string, waitMs: number) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alert = await services.secops.service.latestAlertFor('volume', `key:${keyId}`);
    if (alert || Date.now() > deadline) return alert;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs the replay and reports what the platform did. */
export async function replayBurst(deps: BurstDeps): Promise<BurstOutcome> {
  const { services } = deps;
  const log = deps.log ?? (() => {});
  const w = await stepSixWorld(services);
  const settings = await services.secops.service.getSettings();
  const volume = settings.detectors.volume;
  const burstTarget = Math.max(volume.minRows, Math.ceil(volume.highRatio * BASELINE_ROWS));
  const started = (result: 'success' | 'failure', details: Record<string, unknown>) =>
    services.events.record(
      callerEvent(deps.by, {
        action: BURST_ACTION,
        result,
        dataset: w.dataset.code,
        target: { type: 'dataset', id: w.dataset.id, label: w.dataset.name },
        details: { consumer: w.consumerOrg, ...details },
      }),
    );
  const grant = await ensureGrant(services, w, burstTarget + BASELINE_ROWS * BASELINE_HOURS.length, deps.approve).catch(async (error: unknown) => {
    await started('failure', { reason: error instanceof ConflictError ? error.code : 'error' });
    throw error;
  });
  // Who replayed it, before the first read: the reads and the alert that follow are explained by this record.
  await started('success', { grantApprovedNow: grant.approvedNow });
  log(
    grant.approvedNow
      ? `  共享申请已批准(${w.provider} 与安全管理员)/ share request approved (${w.provider} and the secadmin)`
      : '  沿用已有的共享授权 / using the existing grant',
  );

  const plan = replayPlan(new Date(), settings);
  const keyName = `低保核验系统（夜间突发演示 ${chinaTime(new Date()).slice(5)}）`;
  const { key, row } = await services.identity.createApiKey(w.consumer, { name: keyName, expiresAt: null });
  const note = `演示：重放旅程第 6 步（${BURST_DATASET} 夜间突发访问）/ demo: journey step 6 replayed`;
  const replay = (at: Date) => services.secops.service.declareReplayClock(w.consumer, { apiKeyId: row.id, keyName, at, minutes: 60, note });

  let baselineRows = 0;
  for (const at of plan.baseline) {
    await replay(at);
    baselineRows += (await readPage(deps, key, w.dataset.code, { limit: String(BASELINE_ROWS), grant: grant.id })).rows;
  }
  if (baselineRows === 0)
    throw new ConflictError('demo_no_rows', { zh: `演示授权下「${BURST_DATASET}」没有可读取的行`, en: `The demo grant reads no rows of “${BURST_DATASET}”` });
  const rowsPerHour = Math.round(baselineRows / plan.baseline.length);
  log(`  基线 / baseline: ${plan.baseline.length} × ${rowsPerHour}`);

  await replay(plan.night);
  const target = Math.max(volume.minRows, Math.ceil(volume.highRatio * rowsPerHour));
  const burst = { rows: 0, requests: 0, refused: false };
  let after: string | null = null;
  while (burst.rows < target && burst.requests < MAX_BURST_REQUESTS && !burst.refused) {
    // As few requests as the data allows: the alert then opens at the full ratio, as in README's step 6.
    const limit = Math.min(PAGE_ROWS, target - burst.rows);
    const page = await readPage(deps, key, w.dataset.code, { limit: String(limit), grant: grant.id, ...(after ? { after } : {}) });
    burst.requests++;
    burst.rows += page.rows;
    burst.refused = page.refused;
    // Past the last page the application starts over, as a bulk puller does.
    after = page.next;
  }
  log(`  突发 / burst: ${burst.rows} rows, ${burst.requests} requests`);

  const alert = await alertOf(services, row.id, deps.waitMs ?? ALERT_WAIT_MS);
  const held = (await services.identity.find.apiKey(row.id)) as { suspended_at?: Date | null; throttled_until?: Date | null } | undefined;
  const throttledUntil = held?.throttled_until && held.throttled_until > new Date() ? held.throttled_until : null;
  const incident = alert?.incident_id ? (await services.secops.service.incidentDetail(alert.incident_id)).incident : undefined;
  return {
    dataset: { code: w.dataset.code, name: w.dataset.name, provider: w.provider },
    consumer: { org: w.consumerOrg, username: CONSUMER },
    grant,
    key: { id: row.id, name: keyName, state: held?.suspended_at ? 'suspended' : throttledUntil ? 'throttled' : 'active', throttledUntil },
    baseline: { day: chinaTime(plan.baseline[0]!).slice(0, 10), hours: plan.baseline.map((d) => chinaTime(d).slice(11)), rowsPerHour },
    burst: { at: chinaTime(plan.night), ...burst },
    ...(alert ? { alert: { id: alert.id, severity: alert.severity, title: alert.title, summary: alert.summary } } : {}),
    ...(incident ? { incident: { id: incident.id, title: incident.title, firstDue: incident.first_report_due } } : {}),
    notified: alert ? await noticesOf(services, w, alert.id, row.id) : [],
  };
}

/** The notices of this run each person of step 6 received: the alert (officer, secadmin), the key's state (consumer). */
async function noticesOf(services: Services, w: World, alertId: string, keyId: string): Promise<BurstOutcome['notified']> {
  const out: BurstOutcome['notified'] = [];
  for (const who of [w.officer, w.secadmin, w.consumer]) {
    const [items] = await services.share.share.notifications(who.principal, false);
    const mine = items.find((n) => (n.kind === 'secops.alert' && n.body.alertId === alertId) || (n.kind === 'secops.key_contained' && n.body.keyId === keyId));
    const org = (await services.identity.find.org(who.principal.orgId))?.name ?? '';
    if (mine) out.push({ username: who.principal.username, org, title: mine.title });
  }
  return out;
}

const KEY_STATE: Record<BurstOutcome['key']['state'], Message> = {
  suspended: { zh: '已暂停（待安全管理员解除）', en: 'suspended (until the security administrator lifts it)' },
  throttled: { zh: '已限流', en: 'throttled' },
  active: { zh: '有效（未被处置）', en: 'active (not contained)' },
};

/** What happened and where to look, in Chinese and English, for the terminal. */
export function burstReport(o: BurstOutcome): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    '夜间突发访问已重放（旅程第 6 步）/ Night burst replayed (journey step 6)',
    `  数据资源 / dataset:   ${o.dataset.name}（${o.dataset.provider}）`,
    `  使用方 / consumer:    ${o.consumer.org}（${o.consumer.username}），${o.grant.approvedNow ? '共享申请刚获批准 / request approved now' : '沿用已有授权 / existing grant'}`,
    `  API 密钥 / key:       「${o.key.name}」`,
    `  基线 / baseline:      ${o.baseline.day} ${o.baseline.hours.join('、')} 各读取 ${n(o.baseline.rowsPerHour)} 行 / ${n(o.baseline.rowsPerHour)} rows in each of those hours`,
    `  突发 / burst:         ${o.burst.at} 读取 ${n(o.burst.rows)} 行（${o.burst.requests} 次请求${o.burst.refused ? '，最后一次被拒绝' : ''}）/ ${n(o.burst.rows)} rows in ${o.burst.requests} requests${o.burst.refused ? ', the last one refused' : ''}`,
  ];
  if (!o.alert) {
    lines.push(
      '  未见告警：安全运营的检测器可能已停用或设置已更改（安全运营 → 监测设置）/ no alert: the volume detector may be off or retuned (Security operations → Detector settings)',
    );
    return `${lines.join('\n')}\n`;
  }
  const sev = SEVERITY_LABELS[o.alert.severity];
  lines.push(
    `  告警 / alert:         【${sev.zh}】${o.alert.title.zh} / [${sev.en}] ${o.alert.title.en}`,
    `                        ${o.alert.summary.zh}`,
    `  密钥状态 / key state: ${KEY_STATE[o.key.state].zh} / ${KEY_STATE[o.key.state].en}`,
    ...(o.incident
      ? [
          `  安全事件 / incident:  「${o.incident.title}」，首次报告截止 / first report due ${o.incident.firstDue ? chinaTime(o.incident.firstDue) : '—'}（北京时间 / China time）`,
        ]
      : []),
    '  已通知 / notified:',
    ...o.notified.map((x) => `    ${x.username}（${x.org}）：${x.title.zh}`),
    '',
    '在控制台查看 / Where to look in the console:',
    '  secadmin     安全运营 → 告警、安全事件、处置措施 / Security operations → Alerts, Incidents, Containment',
    `  ${OFFICER}   通知（右上角铃铛）/ Notifications (the bell, top right)`,
    `  ${CONSUMER}  API 密钥：「${o.key.name}」${KEY_STATE[o.key.state].zh}；通知 / API keys: the key ${KEY_STATE[o.key.state].en}; Notifications`,
  );
  return `${lines.join('\n')}\n`;
}
