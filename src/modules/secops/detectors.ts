/**
 * Detectors (日常监测): each looks at one audit record (with the database as it stood when the
 * record was handled) and says what it saw. They decide, they do not act: the service turns a
 * finding into an alert, a containment and notifications.
 *
 * Time: windows over the log itself (failures in the last T minutes) use the records' own stamps.
 * "Night" and the hourly baseline of the volume detector use `eventTime(record)`, by default the
 * record's stamp; a caller may map stamps onto another clock (a replay of a past day, a test that
 * cannot wait for 03:00).
 */
import type { Queryable } from '../../db/index.ts';
import type { DetectorCounts } from '../audit/audit.service.ts';
import type { Message } from '../../errors.ts';
import { ROLE_LABELS, type Role } from '../../http/access.ts';
import type { AuditRecord } from '../audit/record.ts';
import type { AlertNames } from './secops.repo.ts';
import { inHours, localHour, type ContainmentKind, type SecopsSettings, type Severity } from './secops.settings.ts';

export interface Finding {
  detector: DetectorName;
  /** The grouping key: hits on the same subject within the dedupe window are one alert. */
  subject: string;
  severity: Severity;
  title: Message;
  summary: Message;
  facts: Record<string, unknown>;
  /** The audit record that is the evidence. */
  seq?: number;
  dataset?: string | null;
  orgId?: string | null;
  contain?: { kind: ContainmentKind; targetId: string; label?: string; minutes?: number };
  /** Names of the actor, organisation and dataset for the console (set by `detect`). */
  names?: AlertNames;
}

export const DETECTORS = [
  'volume',
  'sensitiveBulk',
  'outsideHours',
  'bruteForce',
  'denials',
  'ipRange',
  'revokedKey',
  'quota',
  'newSensitiveColumn',
  'adminChange',
  'auditChain',
  'reportClock',
  'telemetryFlood',
  'requestOverdue',
  'syncFailures',
] as const;
export type DetectorName = (typeof DETECTORS)[number];

export const DETECTOR_LABELS: Record<DetectorName, Message> = {
  volume: { zh: '访问量异常', en: 'Volume far above baseline' },
  sensitiveBulk: { zh: '批量读取敏感字段', en: 'Bulk read of 3级/4级 columns' },
  outsideHours: { zh: '授权时段外访问', en: 'Access outside allowed hours' },
  bruteForce: { zh: '暴力破解/口令猜测', en: 'Password guessing' },
  denials: { zh: '频繁越权访问', en: 'Repeated denials' },
  ipRange: { zh: '授权 IP 范围外调用', en: 'Call from outside the IP ranges' },
  revokedKey: { zh: '使用已吊销/过期密钥', en: 'Revoked or expired key used' },
  quota: { zh: '配额耗尽', en: 'Quota exhausted' },
  newSensitiveColumn: { zh: '新版本出现敏感字段', en: 'New sensitive column in a version' },
  adminChange: { zh: '三员账号变更', en: 'Administrator account change' },
  auditChain: { zh: '审计链校验失败', en: 'Audit chain verification failed' },
  reportClock: { zh: '事件报告时限临近', en: 'Incident report due soon' },
  telemetryFlood: { zh: '设备数据洪泛', en: 'Device flooding telemetry' },
  requestOverdue: { zh: '共享申请逾期未答复', en: 'Share request overdue' },
  syncFailures: { zh: '库表同步或推送连续失败', en: 'Database sync or push failing repeatedly' },
};

/** Failed sign-ins counted by the password-guessing detector: console users and telemetry devices (MQTT broker). */
export const SIGN_IN_ACTIONS = ['auth.login', 'telemetry.auth'];
/** The event the telemetry module records when a device exceeds its points per second. */
export const TELEMETRY_THROTTLED_ACTION = 'telemetry.throttled';
/** Written by the duties module when a share request passes its time limit. */
export const REQUEST_OVERDUE_ACTION = 'duties.request_overdue';
/** The event the exchange module records when a sync run fails (details.consecutiveFailures). */
export const SYNC_FAILED_ACTION = 'exchange.sync_failed';
/** The same for a failed delivery of a push subscription (库表推送). */
export const PUSH_FAILED_ACTION = 'exchange.push_failed';

/** The event the sharing module records when a quota refuses a request (HTTP 429). */
export const QUOTA_EXCEEDED_ACTION = 'data.quota_exceeded';
/** The event of one call through the interface gateway (details: operation, columns, rowCount 1). */
export const GATEWAY_CALL_ACTION = 'gateway.call';
/**
 * The audit actions of a data response: rows of a dataset handed to a consumer (a records page, an
 * export, its download, a push into the consumer's database, a call through the interface gateway).
 * The volume, off-hours and sensitive-read detectors count these; so do the usage statistics (duties).
 */
export const DATA_RESPONSE_ACTIONS = ['data.read', 'data.export', 'data.download', 'data.push', GATEWAY_CALL_ACTION] as const;
const DATA_ACTIONS = new Set<string>(DATA_RESPONSE_ACTIONS);
/** Column modes that give nothing of the value away. */
const OPAQUE_MODES = new Set(['hidden', 'verify']);

export interface DetectorContext {
  q: Queryable;
  /** Counts over the recent audit records (the audit log's, read in the worker's transaction). */
  counts: DetectorCounts;
  settings: SecopsSettings;
  eventTime(record: AuditRecord): Date;
  /** 信息项 name → effective grade of a dataset's columns (catalogue code). */
  columnGrades(dataset: string): Promise<Map<string, number>>;
  /** The API key or person of a record and their organisation, by name (undefined: not found). */
  actorNames(record: AuditRecord): Promise<AlertNames | undefined>;
  /** A dataset's name by its catalogue code. */
  datasetName(code: string): Promise<string | undefined>;
  /** A dataset (catalogue code) with one version's stored classification (the catalogue's); undefined when either is missing. */
  versionClassification(
    dataset: string,
    version: number,
  ): Promise<{ id: string; provider_org_id: string; status: string; classification: Record<string, unknown> | null } | undefined>;
  /** The grades per column of a dataset's last confirmed classification review (classification's); undefined: never confirmed. */
  confirmedGrades(datasetId: string): Promise<Record<string, { grade?: number }> | undefined>;
  /** Set by `detect` for the record at hand: what `who` says. */
  actor?: AlertNames;
  /** Rows of a consumer's hour up to and including a data response, from `countUsage` (by seq). */
  usage?: ReadonlyMap<number, number>;
  /** The trailing baseline of a consumer before an hour, read once per batch. */
  baseline?: Map<string, Promise<{ hours: number; mean: number | null } | undefined>>;
}

type Detector = (record: AuditRecord, ctx: DetectorContext) => Promise<Finding[]>;

interface ReadDetails {
  columns?: { name?: unknown; mode?: unknown }[];
  rowCount?: unknown;
  grantId?: unknown;
  grant?: unknown;
  outsideHours?: unknown;
  allowedHours?: unknown;
  reason?: unknown;
  ipDenied?: unknown;
}

const detailsOf = (r: AuditRecord) => r.details as ReadDetails;
const rowsOf = (r: AuditRecord) => (typeof detailsOf(r).rowCount === 'number' ? (detailsOf(r).rowCount as number) : 0);
const grantOf = (r: AuditRecord) => {
  const d = detailsOf(r);
  const g = d.grantId ?? d.grant;
  return typeof g === 'string' ? g : undefined;
};
/** The consumer a data response is counted against: its API key, else its user. */
const consumerOf = (r: AuditRecord) => (r.actorApiKeyId ? `key:${r.actorApiKeyId}` : r.actorUserId ? `user:${r.actorUserId}` : undefined);
/**
 * The actor of a record as a person reads it: "朝阳市民政局的密钥「低保核验」", "省公安厅 张三"; ids
 * only when the key or account no longer exists.
 */
function who(r: AuditRecord, ctx: DetectorContext): Message {
  const a = ctx.actor;
  if (a?.actorKind === 'key') return { zh: `${a.org ?? ''}的密钥「${a.actor}」`, en: `the key “${a.actor}” of ${a.org ?? '?'}` };
  if (a?.actor) return { zh: `${a.org ? `${a.org} ` : ''}${a.actor}`, en: `${a.actor}${a.org ? ` (${a.org})` : ''}` };
  if (r.actorApiKeyId) return { zh: `密钥 ${r.actorApiKeyId.slice(0, 8)}`, en: `key ${r.actorApiKeyId.slice(0, 8)}` };
  const name = r.actorUsername ?? r.actorUserId ?? '?';
  return { zh: name, en: name };
}

function keyContainment(r: AuditRecord, action: 'none' | 'throttle_key' | 'suspend_key' | 'suspend_grant', minutes?: number): Finding['contain'] {
  if (action === 'none') return undefined;
  if (action === 'suspend_grant') {
    const grant = grantOf(r);
    return grant ? { kind: 'suspend_grant', targetId: grant } : undefined;
  }
  if (!r.actorApiKeyId) return undefined;
  return { kind: action, targetId: r.actorApiKeyId, ...(minutes ? { minutes } : {}) };
}

/** Start of the hour of an instant (UTC hours; the offsets of China are whole hours). */
export function hourOf(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 3_600_000) * 3_600_000);
}

/** The sensitive (3级/4级, readable form) columns of a data response and the highest such grade. */
async function sensitiveColumns(r: AuditRecord, ctx: DetectorContext): Promise<{ names: string[]; clear4: boolean }> {
  if (!r.dataset) return { names: [], clear4: false };
  const grades = await ctx.columnGrades(r.dataset);
  const names: string[] = [];
  let clear4 = false;
  for (const c of detailsOf(r).columns ?? []) {
    if (typeof c.name !== 'string' || OPAQUE_MODES.has(String(c.mode))) continue;
    const grade = grades.get(c.name) ?? 0;
    if (grade >= 3) names.push(c.name);
    if (grade >= 4 && c.mode === 'clear') clear4 = true;
  }
  return { names, clear4 };
}

/**
 * Counts a batch's data responses into the hourly usage of each consumer, in one statement, and
 * returns each response's running total of its consumer's hour (by seq), as if counted one by one.
 */
export async function countUsage(records: AuditRecord[], ctx: DetectorContext): Promise<Map<number, number>> {
  const counted: { seq: number; key: string; rows: number }[] = [];
  const hours = new Map<string, { subject: string; hour: Date; rows: number; sensitive: number; requests: number; org: string | null }>();
  for (const r of records) {
    const subject = consumerOf(r);
    if (!DATA_ACTIONS.has(r.action) || r.result !== 'success' || !subject) continue;
    const hour = hourOf(ctx.eventTime(r));
    const key = `${subject}\u0000${hour.toISOString()}`;
    const rows = rowsOf(r);
    const sensitive = (await sensitiveColumns(r, ctx)).names.length ? rows : 0;
    const h = hours.get(key) ?? { subject, hour, rows: 0, sensitive: 0, requests: 0, org: r.actorOrgId };
    h.rows += rows;
    h.sensitive += sensitive;
    h.requests++;
    h.org = r.actorOrgId ?? h.org;
    hours.set(key, h);
    counted.push({ seq: r.seq, key, rows });
  }
  if (!hours.size) return new Map();
  const list = [...hours.values()];
  const totals = await ctx.q.query<{ subject: string; hour: Date; rows: number }>(
    `INSERT INTO secops_usage (subject, hour, rows, sensitive_rows, requests, org_id)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::int[], $6::text[])
     ON CONFLICT (subject, hour) DO UPDATE SET rows = secops_usage.rows + EXCLUDED.rows,
       sensitive_rows = secops_usage.sensitive_rows + EXCLUDED.sensitive_rows, requests = secops_usage.requests + EXCLUDED.requests
     RETURNING subject, hour, rows`,
    [
      list.map((h) => h.subject),
      list.map((h) => h.hour),
      list.map((h) => h.rows),
      list.map((h) => h.sensitive),
      list.map((h) => h.requests),
      list.map((h) => h.org),
    ],
  );
  // The total after the batch, less the rows of the responses after each one.
  const running = new Map(totals.map((t) => [`${t.subject}\u0000${new Date(t.hour).toISOString()}`, Number(t.rows)]));
  const usage = new Map<number, number>();
  for (let i = counted.length - 1; i >= 0; i--) {
    const c = counted[i]!;
    const total = running.get(c.key)!;
    usage.set(c.seq, total);
    running.set(c.key, total - c.rows);
  }
  return usage;
}

/** Rows read per consumer and hour, against its own trailing mean over active hours. */
const volume: Detector = async (r, ctx) => {
  if (!DATA_ACTIONS.has(r.action) || r.result !== 'success') return [];
  const subject = consumerOf(r);
  if (!subject) return [];
  const s = ctx.settings.detectors.volume;
  const time = ctx.eventTime(r);
  const hour = hourOf(time);
  const usage = ctx.usage?.get(r.seq);
  if (!s.enabled || usage === undefined) return [];
  const current = usage;
  if (current < s.minRows) return [];
  const since = new Date(hour.getTime() - s.baselineHours * 3_600_000);
  const baselineKey = `${subject}\u0000${hour.toISOString()}`;
  const baselines = ctx.baseline ?? new Map();
  if (!baselines.has(baselineKey)) {
    baselines.set(
      baselineKey,
      ctx.q
        .query<{ hours: number; mean: number | null }>(
          `SELECT count(*)::int AS hours, avg(rows)::float8 AS mean FROM secops_usage
            WHERE subject = $1 AND hour >= $2 AND hour < $3 AND rows > 0`,
          [subject, since, hour],
        )
        .then((rows) => rows[0]),
    );
  }
  const base = await baselines.get(baselineKey)!;
  if (!base || base.hours < s.minBaselineHours || !base.mean) return [];
  const ratio = current / base.mean;
  if (ratio < s.ratio) return [];
  const night = inHours(localHour(time, ctx.settings.utcOffsetMinutes), ctx.settings.nightHours);
  const severity: Severity = ratio >= s.highRatio || night ? 'significant' : 'general';
  const x = Math.round(ratio * 10) / 10;
  const local = `${String(localHour(time, ctx.settings.utcOffsetMinutes)).padStart(2, '0')}:00`;
  return [
    {
      detector: 'volume',
      subject,
      severity,
      title: { zh: `访问量达到基线的 ${x} 倍${night ? '（夜间）' : ''}`, en: `Volume ${x}× the baseline${night ? ' at night' : ''}` },
      summary: {
        zh: `${who(r, ctx).zh} 在 ${local} 这一小时读取 ${current} 行，过去 ${base.hours} 个活跃小时平均 ${Math.round(base.mean)} 行`,
        en: `${who(r, ctx).en} read ${current} rows in the hour of ${local}; its mean over ${base.hours} active hours is ${Math.round(base.mean)}`,
      },
      facts: {
        rows: current,
        baselineMean: base.mean,
        baselineHours: base.hours,
        ratio,
        night,
        hour: hour.toISOString(),
        grantId: grantOf(r) ?? null,
        apiKeyId: r.actorApiKeyId,
      },
      seq: r.seq,
      dataset: r.dataset,
      orgId: r.actorOrgId,
      contain: keyContainment(r, s.action),
    },
  ];
};

/** One response with many rows of 3级/4级 columns in a readable form. */
const sensitiveBulk: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.sensitiveBulk;
  if (!s.enabled || !DATA_ACTIONS.has(r.action) || r.result !== 'success' || rowsOf(r) < s.rows) return [];
  const sensitive = await sensitiveColumns(r, ctx);
  if (!sensitive.names.length) return [];
  const subject = consumerOf(r) ?? 'unknown';
  return [
    {
      detector: 'sensitiveBulk',
      subject,
      severity: sensitive.clear4 ? 'significant' : 'general',
      title: { zh: `批量读取敏感字段（${sensitive.names.join('、')}）`, en: `Bulk read of sensitive columns (${sensitive.names.join(', ')})` },
      summary: {
        zh: `${who(r, ctx).zh} 一次读取 ${rowsOf(r)} 行，含 3级/4级 信息项`,
        en: `${who(r, ctx).en} read ${rowsOf(r)} rows including 3级/4级 columns in one response`,
      },
      facts: { rows: rowsOf(r), columns: sensitive.names, clear4: sensitive.clear4 },
      seq: r.seq,
      dataset: r.dataset,
      orgId: r.actorOrgId,
      contain: keyContainment(r, s.action),
    },
  ];
};

/** A read the grant marks outside its hours, or (optionally) any read outside working hours. */
const outsideHours: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.outsideHours;
  if (!s.enabled || !DATA_ACTIONS.has(r.action) || r.result !== 'success') return [];
  const hourOfDay = localHour(ctx.eventTime(r), ctx.settings.utcOffsetMinutes);
  const marked = detailsOf(r).outsideHours === true;
  if (!marked && !(s.checkTimeOfDay && !inHours(hourOfDay, { from: s.from, to: s.to }))) return [];
  return [
    {
      detector: 'outsideHours',
      subject: consumerOf(r) ?? 'unknown',
      severity: 'general',
      title: { zh: '授权时段外访问数据', en: 'Data read outside the allowed hours' },
      summary: { zh: `${who(r, ctx).zh} 在当地 ${hourOfDay} 时读取数据`, en: `${who(r, ctx).en} read data at ${hourOfDay}:00 local time` },
      facts: { hour: hourOfDay, markedByGrant: marked, allowedHours: detailsOf(r).allowedHours ?? { from: s.from, to: s.to } },
      seq: r.seq,
      dataset: r.dataset,
      orgId: r.actorOrgId,
      contain: keyContainment(r, s.action),
    },
  ];
};

/** N failed sign-ins for one account, or from one address, within T minutes. */
const bruteForce: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.bruteForce;
  if (!s.enabled || !SIGN_IN_ACTIONS.includes(r.action) || r.result !== 'failure') return [];
  const since = new Date(Date.parse(r.time) - s.windowMinutes * 60_000);
  const findings: Finding[] = [];
  if (r.actorUsername) {
    const n = await ctx.counts.failuresOfAccount(SIGN_IN_ACTIONS, r.actorUsername, since, r.seq);
    if (n >= s.failures) {
      findings.push({
        detector: 'bruteForce',
        subject: `user:${r.actorUsername}`,
        severity: 'general',
        title: { zh: `账号 ${r.actorUsername} 连续登录失败`, en: `Repeated failed sign-ins for ${r.actorUsername}` },
        summary: {
          zh: `${s.windowMinutes} 分钟内失败 ${n} 次（来源 ${r.clientIp ?? '?'}）`,
          en: `${n} failures within ${s.windowMinutes} minutes (from ${r.clientIp ?? '?'})`,
        },
        facts: { username: r.actorUsername, failures: n, ip: r.clientIp },
        seq: r.seq,
        orgId: r.actorOrgId,
        ...(s.lockAccount && r.actorUserId
          ? { contain: { kind: 'lock_account' as const, targetId: r.actorUserId, label: r.actorUsername, minutes: s.lockMinutes } }
          : {}),
      });
    }
  }
  if (r.clientIp) {
    const n = await ctx.counts.failuresFromAddress(SIGN_IN_ACTIONS, r.clientIp, since, r.seq);
    if (n && n.n >= s.failures) {
      const spray = n.accounts >= s.sprayAccounts;
      findings.push({
        detector: 'bruteForce',
        subject: `ip:${r.clientIp}`,
        severity: spray ? 'significant' : 'general',
        title: { zh: `来源 ${r.clientIp} 口令猜测${spray ? '（多账号）' : ''}`, en: `Password guessing from ${r.clientIp}${spray ? ' (many accounts)' : ''}` },
        summary: {
          zh: `${s.windowMinutes} 分钟内失败 ${n.n} 次，涉及 ${n.accounts} 个账号`,
          en: `${n.n} failures within ${s.windowMinutes} minutes on ${n.accounts} accounts`,
        },
        facts: { ip: r.clientIp, failures: n.n, accounts: n.accounts },
        seq: r.seq,
      });
    }
  }
  return findings;
};

/** Many refusals of one caller within T minutes (probing for what it may not do). */
const denials: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.denials;
  if (!s.enabled || r.result !== 'denied' || !(r.action === 'access.denied' || r.action.startsWith('data.'))) return [];
  const actor = r.actorApiKeyId ? { apiKeyId: r.actorApiKeyId } : r.actorUserId ? { userId: r.actorUserId } : undefined;
  if (!actor) return [];
  const since = new Date(Date.parse(r.time) - s.windowMinutes * 60_000);
  const n = await ctx.counts.denialsOf(actor, since, r.seq);
  if (n < s.count) return [];
  return [
    {
      detector: 'denials',
      subject: consumerOf(r)!,
      severity: 'general',
      title: { zh: '频繁被拒绝的访问', en: 'Repeated denied requests' },
      summary: {
        zh: `${who(r, ctx).zh} ${s.windowMinutes} 分钟内被拒绝 ${n} 次`,
        en: `${who(r, ctx).en} was refused ${n} times within ${s.windowMinutes} minutes`,
      },
      facts: { denials: n },
      seq: r.seq,
      dataset: r.dataset,
      orgId: r.actorOrgId,
    },
  ];
};

/** A caller outside the IP ranges of its grant: a key used from an unexpected place. */
const ipRange: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.ipRange;
  const d = detailsOf(r);
  const ipDenied = d.ipDenied === true || d.reason === 'ip_range' || d.reason === 'ip_not_allowed';
  if (!s.enabled || r.result !== 'denied' || !ipDenied) return [];
  return [
    {
      detector: 'ipRange',
      subject: consumerOf(r) ?? `ip:${r.clientIp ?? '?'}`,
      severity: s.severity,
      title: { zh: '授权 IP 范围外的调用', en: "Call from outside the grant's IP ranges" },
      summary: { zh: `${who(r, ctx).zh} 从 ${r.clientIp ?? '?'} 调用`, en: `${who(r, ctx).en} called from ${r.clientIp ?? '?'}` },
      facts: { ip: r.clientIp, grantId: grantOf(r) ?? null },
      seq: r.seq,
      dataset: r.dataset,
      orgId: r.actorOrgId,
      contain: keyContainment(r, s.action),
    },
  ];
};

/** A revoked, expired or suspended key presented again. */
const revokedKey: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.revokedKey;
  const reason = detailsOf(r).reason;
  if (!s.enabled || r.action !== 'auth.apikey' || r.result !== 'denied' || !['revoked', 'expired', 'suspended'].includes(String(reason))) return [];
  return [
    {
      detector: 'revokedKey',
      subject: `key:${r.actorApiKeyId ?? r.targetId ?? '?'}`,
      severity: s.severity,
      title: {
        zh: `使用${reason === 'revoked' ? '已吊销' : reason === 'expired' ? '已过期' : '已暂停'}的 API 密钥`,
        en: `A ${String(reason)} API key was used`,
      },
      summary: {
        zh: `密钥 ${r.targetLabel ?? ''} 从 ${r.clientIp ?? '?'} 被再次使用`,
        en: `Key ${r.targetLabel ?? ''} was presented again from ${r.clientIp ?? '?'}`,
      },
      facts: { reason, ip: r.clientIp, keyName: r.targetLabel },
      seq: r.seq,
      orgId: r.actorOrgId,
    },
  ];
};

/** Quota refusals (HTTP 429) repeated within T minutes: a consumer hammering past its limits. */
const quota: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.quota;
  if (!s.enabled || r.action !== QUOTA_EXCEEDED_ACTION) return [];
  const subject = consumerOf(r);
  if (!subject) return [];
  const since = new Date(Date.parse(r.time) - s.windowMinutes * 60_000);
  const n = await ctx.counts.actionsOf(QUOTA_EXCEEDED_ACTION, r.actorApiKeyId, r.actorUserId, since, r.seq);
  if (n < s.count) return [];
  return [
    {
      detector: 'quota',
      subject,
      severity: 'general',
      title: { zh: '反复超出共享配额', en: 'Quota exhausted repeatedly' },
      summary: {
        zh: `${who(r, ctx).zh} ${s.windowMinutes} 分钟内 ${n} 次超出配额`,
        en: `${who(r, ctx).en} hit its quota ${n} times within ${s.windowMinutes} minutes`,
      },
      facts: { refusals: n, grantId: grantOf(r) ?? null },
      seq: r.seq,
      dataset: r.dataset,
      orgId: r.actorOrgId,
      contain: keyContainment(r, s.action, s.throttleMinutes),
    },
  ];
};

interface StoredColumn {
  name?: string;
  grade?: number;
  types?: { type?: string }[];
}

/** A version whose classification shows a 3级/4级 column the confirmed schema did not have. */
const newSensitiveColumn: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.newSensitiveColumn;
  if (!s.enabled || r.action !== 'dataset.version_load' || r.result !== 'success' || !r.dataset) return [];
  const version = Number((r.details as { version?: unknown }).version);
  const d = await ctx.versionClassification(r.dataset, version);
  const confirmed = d && (await ctx.confirmedGrades(d.id));
  // Nothing was confirmed yet: the officer's first review covers every column.
  if (!d || !confirmed) return [];
  const columns = (d.classification as { columns?: StoredColumn[] } | null)?.columns ?? [];
  const risen = columns.filter((c) => {
    const grade = Number(c.grade ?? 0);
    const before = Number(confirmed[c.name ?? '']?.grade ?? 0);
    return grade >= 3 && grade > before;
  });
  if (!risen.length) return [];
  const top = Math.max(...risen.map((c) => Number(c.grade)));
  const shared = d.status === 'published';
  const names = risen.map((c) => `${c.name}(${c.grade}级${c.types?.[0]?.type ? ` ${c.types[0].type}` : ''})`);
  return [
    {
      detector: 'newSensitiveColumn',
      subject: `dataset:${r.dataset}`,
      severity: top >= 4 && shared ? 'significant' : 'general',
      title: { zh: `新版本出现未经确认的敏感字段：${names.join('、')}`, en: `New version brings unconfirmed sensitive columns: ${names.join(', ')}` },
      summary: {
        zh: `数据资源 ${r.dataset} 第 ${version} 版的分类结果高于已确认的分级${shared && s.freezeSharing ? '，已冻结共享待复核' : ''}`,
        en: `Version ${version} of ${r.dataset} classifies above the confirmed grades${shared && s.freezeSharing ? '; sharing frozen until reviewed' : ''}`,
      },
      facts: { version, columns: risen.map((c) => ({ name: c.name, grade: c.grade, type: c.types?.[0]?.type ?? null })) },
      seq: r.seq,
      dataset: r.dataset,
      orgId: d.provider_org_id,
      ...(shared && s.freezeSharing ? { contain: { kind: 'freeze_dataset' as const, targetId: d.id, label: r.dataset } } : {}),
    },
  ];
};

/** The events of the identity module's two-person control: `admin_change.<step>`. */
export const ADMIN_CHANGE_PREFIX = 'admin_change.';
const STEP_LABELS: Record<string, { zh: string; en: string }> = {
  propose: { zh: '提出', en: 'proposed' },
  approve: { zh: '批准', en: 'approved' },
  reject: { zh: '驳回', en: 'rejected' },
  withdraw: { zh: '撤回', en: 'withdrawn' },
  apply: { zh: '生效', en: 'applied' },
};
const KIND_LABELS: Record<string, { zh: string; en: string }> = {
  create: { zh: '新建', en: 'creation of' },
  update: { zh: '修改', en: 'change of' },
  reset_password: { zh: '重置密码', en: 'password reset of' },
  reset_mfa: { zh: '重置动态验证码', en: 'authenticator reset of' },
};

/**
 * Every step of a change to an administrator account (三员: proposed, approved, rejected, withdrawn,
 * applied, also with host access) is an alert of its own: the three administrators watch one
 * another. Always on; the severity is configurable.
 */
const adminChange: Detector = async (r, ctx) => {
  if (!r.action.startsWith(ADMIN_CHANGE_PREFIX) || r.result !== 'success') return [];
  const d = r.details as { changeId?: unknown; kind?: unknown; adminRoles?: unknown; username?: unknown; via?: unknown; reason?: unknown };
  const step = r.action.slice(ADMIN_CHANGE_PREFIX.length);
  const stepLabel = STEP_LABELS[step] ?? { zh: step, en: step };
  const kind = KIND_LABELS[String(d.kind)] ?? { zh: String(d.kind ?? ''), en: String(d.kind ?? '') };
  const roles = (Array.isArray(d.adminRoles) ? d.adminRoles : []).map((x) => ROLE_LABELS[x as Role] ?? { zh: String(x), en: String(x) });
  const account = String(d.username ?? r.targetLabel ?? '?');
  const host = d.via === 'host';
  return [
    {
      detector: 'adminChange',
      subject: `admin_change:${typeof d.changeId === 'string' ? d.changeId : `seq${r.seq}`}:${step}`,
      severity: ctx.settings.detectors.adminChange.severity,
      title: {
        zh: `三员账号变更${stepLabel.zh}：${kind.zh}${roles.map((x) => x.zh).join('、')}账号 ${account}${host ? '（主机命令行）' : ''}`,
        en: `Administrator account change ${stepLabel.en}: ${kind.en} the ${roles.map((x) => x.en).join(', ')} account ${account}${host ? ' (host command line)' : ''}`,
      },
      summary: {
        zh: `${who(r, ctx).zh} ${stepLabel.zh}了对账号 ${account} 的${kind.zh}${typeof d.reason === 'string' ? `，理由：${d.reason}` : ''}`,
        en: `${who(r, ctx).en} ${stepLabel.en} the ${kind.en} account ${account}${typeof d.reason === 'string' ? `; reason: ${d.reason}` : ''}`,
      },
      facts: { step, changeId: d.changeId ?? null, kind: d.kind ?? null, adminRoles: d.adminRoles ?? null, username: account, via: host ? 'host' : 'api' },
      seq: r.seq,
      orgId: r.actorOrgId,
    },
  ];
};

/** A device sending more points per second than registered: throttled by the telemetry module, alerted here. */
const telemetryFlood: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.telemetryFlood;
  if (!s.enabled || r.action !== TELEMETRY_THROTTLED_ACTION) return [];
  const d = r.details as { device?: string; limit?: number; points?: number; via?: string };
  return [
    {
      detector: 'telemetryFlood',
      subject: `device:${r.targetId ?? d.device ?? '?'}`,
      severity: s.severity,
      title: { zh: `设备 ${d.device ?? '?'} 超出上报速率，已限流`, en: `Device ${d.device ?? '?'} exceeded its rate and is throttled` },
      summary: {
        zh: `设备 ${d.device ?? '?'} 经 ${d.via ?? '?'} 一次上报 ${d.points ?? '?'} 个点，超过每秒 ${d.limit ?? '?'} 点的限额（来源 ${r.clientIp ?? '?'}）`,
        en: `Device ${d.device ?? '?'} sent ${d.points ?? '?'} points over ${d.via ?? '?'}, above its limit of ${d.limit ?? '?'} per second (from ${r.clientIp ?? '?'})`,
      },
      facts: { device: d.device, limit: d.limit, points: d.points, via: d.via, ip: r.clientIp },
      seq: r.seq,
      orgId: r.actorOrgId,
    },
  ];
};

/** A share request left unanswered past its time limit (政务数据共享条例), escalated by the duties module. */
const requestOverdue: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.requestOverdue;
  if (!s.enabled || r.action !== REQUEST_OVERDUE_ACTION) return [];
  const d = r.details as { stage?: string; dueAt?: string; providerOrgId?: string; providerName?: string; consumerName?: string; authority?: string };
  const stage = d.stage === 'security' ? { zh: '安全审批', en: 'security approval' } : { zh: '提供方答复', en: "provider's answer" };
  return [
    {
      detector: 'requestOverdue',
      subject: `share_request:${r.targetId ?? '?'}:${d.stage ?? '?'}`,
      severity: s.severity,
      title: {
        zh: `共享申请逾期未答复：${d.providerName ?? '?'}·${r.targetLabel ?? r.dataset ?? '?'}`,
        en: `Share request overdue: ${d.providerName ?? '?'} · ${r.targetLabel ?? r.dataset ?? '?'}`,
      },
      summary: {
        zh: `${d.consumerName ?? '?'} 的共享申请（${stage.zh}）已超过 ${d.dueAt ?? '?'} 的期限，已上报${d.authority ?? '平台主管部门'}`,
        en: `The share request of ${d.consumerName ?? '?'} (${stage.en}) passed its deadline ${d.dueAt ?? '?'} and was escalated to ${d.authority ?? 'the platform authority'}`,
      },
      facts: { requestId: r.targetId, stage: d.stage, dueAt: d.dueAt, providerOrgId: d.providerOrgId },
      seq: r.seq,
      dataset: r.dataset,
      orgId: d.providerOrgId ?? null,
    },
  ];
};

/**
 * A database binding whose runs failed N times in a row (source down, credentials changed, schema
 * drift), or a push subscription whose deliveries did (target down, credentials changed).
 */
const syncFailures: Detector = async (r, ctx) => {
  const s = ctx.settings.detectors.syncFailures;
  if (!s.enabled || (r.action !== SYNC_FAILED_ACTION && r.action !== PUSH_FAILED_ACTION)) return [];
  const d = r.details as { consecutiveFailures?: number; error?: string };
  if ((d.consecutiveFailures ?? 0) < s.count) return [];
  const push = r.action === PUSH_FAILED_ACTION;
  return [
    {
      detector: 'syncFailures',
      subject: `${push ? 'subscription' : 'binding'}:${r.targetId ?? '?'}`,
      severity: s.severity,
      title: push
        ? { zh: `库表推送连续失败 ${d.consecutiveFailures} 次`, en: `Database push failed ${d.consecutiveFailures} times in a row` }
        : { zh: `库表同步连续失败 ${d.consecutiveFailures} 次`, en: `Database sync failed ${d.consecutiveFailures} times in a row` },
      summary: push
        ? {
            zh: `推送订阅 ${r.targetLabel ?? r.targetId ?? '?'} 最近一次错误：${d.error ?? '?'}`,
            en: `Push subscription ${r.targetLabel ?? r.targetId ?? '?'}, last error: ${d.error ?? '?'}`,
          }
        : { zh: `绑定 ${r.targetId ?? '?'} 最近一次错误：${d.error ?? '?'}`, en: `Binding ${r.targetId ?? '?'}, last error: ${d.error ?? '?'}` },
      facts: { [push ? 'subscription' : 'binding']: r.targetId, failures: d.consecutiveFailures, error: d.error },
      seq: r.seq,
      dataset: r.dataset,
      orgId: r.actorOrgId,
    },
  ];
};

const RECORD_DETECTORS: Detector[] = [
  volume,
  sensitiveBulk,
  outsideHours,
  bruteForce,
  denials,
  ipRange,
  revokedKey,
  quota,
  newSensitiveColumn,
  adminChange,
  telemetryFlood,
  requestOverdue,
  syncFailures,
];

/** Runs every record detector over one record; the module's own records are never looked at. */
export async function detect(record: AuditRecord, ctx: DetectorContext): Promise<Finding[]> {
  if (record.action.startsWith('secops.')) return [];
  const findings: Finding[] = [];
  const named: DetectorContext = { ...ctx, actor: await ctx.actorNames(record) };
  for (const detector of RECORD_DETECTORS) findings.push(...(await detector(record, named)));
  for (const f of findings) {
    const dataset = f.dataset ? await ctx.datasetName(f.dataset) : undefined;
    f.names = { ...named.actor, ...(dataset ? { dataset } : {}) };
  }
  return findings;
}
