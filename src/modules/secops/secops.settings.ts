/**
 * The security administrator's settings of the detectors, containment, notification and reporting
 * clocks, stored in `settings` under 'secops.settings' so every pdx process reads the same. Webhook
 * secrets are kept sealed by the keyring (they must be recoverable to sign) and never returned.
 */
import { z } from 'zod';
import type { Queryable } from '../../db/db.ts';

export const SETTINGS_KEY = 'secops.settings';

/** 一般 / 较大 / 重大 / 特别重大 (国家网络安全事件报告管理办法), lowest first. */
export const SEVERITIES = ['general', 'significant', 'major', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_LABELS: Record<Severity, { zh: string; en: string }> = {
  general: { zh: '一般', en: 'General' },
  significant: { zh: '较大', en: 'Significant' },
  major: { zh: '重大', en: 'Major' },
  critical: { zh: '特别重大', en: 'Critical' },
};
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);
export const maxSeverity = (a: Severity, b: Severity): Severity => (severityRank(a) >= severityRank(b) ? a : b);

export const CONTAINMENT_KINDS = ['throttle_key', 'suspend_key', 'suspend_grant', 'freeze_dataset', 'lock_account'] as const;
export type ContainmentKind = (typeof CONTAINMENT_KINDS)[number];
export const CONTAINMENT_LABELS: Record<ContainmentKind, { zh: string; en: string }> = {
  throttle_key: { zh: '限流 API 密钥', en: 'Throttle API key' },
  suspend_key: { zh: '暂停 API 密钥', en: 'Suspend API key' },
  suspend_grant: { zh: '暂停共享授权', en: 'Suspend grant' },
  freeze_dataset: { zh: '冻结数据共享', en: "Freeze dataset's sharing" },
  lock_account: { zh: '锁定账号', en: 'Lock account' },
};

const severity = z.enum(SEVERITIES);
const hour = z.number().int().min(0).max(24);
const keyAction = z.enum(['none', 'throttle_key', 'suspend_key', 'suspend_grant']);
const on = z.boolean().default(true);

export const settingsSchema = z.object({
  /** How often the worker looks for new audit records (ms). */
  intervalMs: z.number().int().min(50).max(600_000).default(2000),
  /** Audit records handled per batch (one transaction). */
  batchSize: z.number().int().min(1).max(5000).default(500),
  /** Hits of the same detector on the same subject within this window join one alert. */
  dedupeMinutes: z.number().int().min(1).max(10_080).default(60),
  /** Local time of the province for "night" and working hours: UTC+8. */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
  /** Night, local hours [from, to). */
  nightHours: z.object({ from: hour, to: hour }).default({ from: 0, to: 6 }),
  /** Alerts of this severity or above open an incident by themselves ('none': never). */
  autoIncidentSeverity: z.enum([...SEVERITIES, 'none']).default('significant'),
  reporting: z
    .object({
      /** First report to the provincial cyberspace office for 较大 and above. */
      firstReportHours: z.number().min(0.01).max(720).default(4),
      finalReportDays: z.number().min(0.01).max(365).default(30),
      /** Warn this long before a report is due. */
      warnBeforeMinutes: z.number().min(0).max(86_400).default(60),
    })
    .default({ firstReportHours: 4, finalReportDays: 30, warnBeforeMinutes: 60 }),
  detectors: z
    .object({
      volume: z
        .object({
          enabled: on,
          /** Rows read in an hour ≥ ratio × the consumer's mean over its active hours in the baseline window. */
          ratio: z.number().min(1.5).default(10),
          /** …this many times (or any hit at night) is 较大. */
          highRatio: z.number().min(1.5).default(50),
          baselineHours: z
            .number()
            .int()
            .min(1)
            .max(24 * 90)
            .default(168),
          /** Active hours needed before a consumer has a baseline at all. */
          minBaselineHours: z.number().int().min(1).max(1000).default(3),
          /** Hours with fewer rows never alert, whatever the ratio. */
          minRows: z.number().int().min(1).default(1000),
          action: keyAction.default('suspend_key'),
        })
        .prefault({}),
      sensitiveBulk: z
        .object({
          enabled: on,
          /** One response with at least this many rows including a 3级/4级 column in a readable form. */
          rows: z.number().int().min(1).default(10_000),
          action: keyAction.default('none'),
        })
        .prefault({}),
      outsideHours: z
        .object({
          enabled: on,
          /** Also flag any read outside [from, to) local time, not only those the grant marks. */
          checkTimeOfDay: z.boolean().default(false),
          from: hour.default(7),
          to: hour.default(20),
          action: keyAction.default('none'),
        })
        .prefault({}),
      bruteForce: z
        .object({
          enabled: on,
          failures: z.number().int().min(2).default(5),
          windowMinutes: z.number().int().min(1).default(10),
          /** An IP guessing at this many different accounts is 较大 (password spraying). */
          sprayAccounts: z.number().int().min(2).default(3),
          lockAccount: z.boolean().default(true),
          lockMinutes: z.number().int().min(1).default(60),
        })
        .prefault({}),
      denials: z.object({ enabled: on, count: z.number().int().min(1).default(10), windowMinutes: z.number().int().min(1).default(10) }).prefault({}),
      ipRange: z.object({ enabled: on, severity: severity.default('significant'), action: keyAction.default('suspend_key') }).prefault({}),
      revokedKey: z.object({ enabled: on, severity: severity.default('general') }).prefault({}),
      quota: z
        .object({
          enabled: on,
          count: z.number().int().min(1).default(3),
          windowMinutes: z.number().int().min(1).default(10),
          action: keyAction.default('throttle_key'),
          throttleMinutes: z.number().int().min(1).default(15),
        })
        .prefault({}),
      newSensitiveColumn: z.object({ enabled: on, freezeSharing: z.boolean().default(true) }).prefault({}),
      /** Changes to secadmin and auditor accounts: always on (the three administrators watch one another). */
      adminChange: z.object({ severity: severity.default('general') }).prefault({}),
      auditChain: z.object({ enabled: on, everyMinutes: z.number().min(0.01).default(10) }).prefault({}),
      /** A telemetry device throttled for exceeding its points per second. */
      telemetryFlood: z.object({ enabled: on, severity: severity.default('general') }).prefault({}),
      /** A share request past its time limit, escalated by the duties module. */
      requestOverdue: z.object({ enabled: on, severity: severity.default('general') }).prefault({}),
      /** A database binding (exchange) whose runs failed `count` times in a row. */
      syncFailures: z.object({ enabled: on, count: z.number().int().min(1).default(3), severity: severity.default('general') }).prefault({}),
    })
    .prefault({}),
  webhooks: z
    .array(
      z.object({
        url: z.url(),
        /** Sealed HMAC secret (base64); write-only through the API. */
        sealedSecret: z.string().optional(),
        minSeverity: severity.default('general'),
      }),
    )
    .max(20)
    .default([]),
  email: z.object({ to: z.array(z.email()).max(50).default([]), minSeverity: severity.default('significant') }).prefault({}),
  delivery: z
    .object({
      maxAttempts: z.number().int().min(1).max(20).default(6),
      /** First retry after this many ms, doubling each time. */
      retryBaseMs: z.number().int().min(10).max(3_600_000).default(30_000),
      timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    })
    .prefault({}),
});

export type SecopsSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: SecopsSettings = settingsSchema.parse({});

/** The settings' JSON Schema as accepted on input (limits and defaults of every field), for forms. */
export const SETTINGS_JSON_SCHEMA = z.toJSONSchema(settingsSchema, { io: 'input' }) as Record<string, unknown>;

/** Reads the stored settings over the defaults (a missing or partial row takes defaults). */
export async function loadSettings(q: Queryable): Promise<SecopsSettings> {
  const rows = await q.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [SETTINGS_KEY]);
  const parsed = settingsSchema.safeParse(rows[0]?.value ?? {});
  return parsed.success ? parsed.data : DEFAULT_SETTINGS;
}

export async function saveSettings(q: Queryable, settings: SecopsSettings): Promise<void> {
  await q.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [SETTINGS_KEY, JSON.stringify(settings)],
  );
}

/** Local hour (0-23) of an instant under the configured offset. */
export function localHour(time: Date, utcOffsetMinutes: number): number {
  return new Date(time.getTime() + utcOffsetMinutes * 60_000).getUTCHours();
}

/** True when the hour lies in [from, to), wrapping past midnight when from > to. */
export function inHours(hourOfDay: number, range: { from: number; to: number }): boolean {
  if (range.from === range.to) return false;
  return range.from < range.to ? hourOfDay >= range.from && hourOfDay < range.to : hourOfDay >= range.from || hourOfDay < range.to;
}
