/**
 * Industrial telemetry (工业大数据汇聚治理): the registry of plants, lines, devices and points with
 * device credentials; the ingestion entry every transport uses (MQTT broker, external broker, HTTP
 * JSON/NDJSON/CSV, InfluxDB line protocol); time partitions and retention; quality scores, events
 * and the live silence check; ingestion status; telemetry sets in the catalogue.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Db, Queryable } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { DATASET_DEFAULTS, type CatalogService } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { PayloadError, type RawSample, type RejectReason } from './payloads.ts';
import { converter, normalizeUnit, QUALITY_DEFAULTS, score, silent, type PointSpec } from './quality.ts';
import { telemetryRepo, type DeviceRow, type PointDataType, type PointRow, type SettingsRow, type Table } from './telemetry.repo.ts';
import { createWriter, daysOf, OverloadedError, storeBatch, type QuarantinedSample, type ResolvedSample, type Submission, type Writer } from './writer.ts';

// ---- grades and retention -----------------------------------------------------------------------

/** 工业数据分类分级指南(试行)(工信厅信发〔2020〕6号) 一级/二级/三级 → pdx 一般数据 grade. */
export const LEVEL_TO_GRADE: Record<number, number> = { 1: 2, 2: 3, 3: 4 };
export const LEVEL_LABELS: Record<number, { zh: string; en: string }> = {
  1: { zh: '一级', en: 'Level 1' },
  2: { zh: '二级', en: 'Level 2' },
  3: { zh: '三级', en: 'Level 3' },
};

const retentionDays = z.object({ raw: z.number().int().min(1).max(3650), minute: z.number().int().min(1).max(3650), hour: z.number().int().min(1).max(36500) });
/** Days each table keeps per industrial level (product default; the secadmin may change it). */
export const retentionSchema = z.object({ 1: retentionDays, 2: retentionDays, 3: retentionDays });
export type Retention = z.infer<typeof retentionSchema>;
export const DEFAULT_RETENTION: Retention = {
  1: { raw: 30, minute: 180, hour: 1825 },
  2: { raw: 30, minute: 180, hour: 1825 },
  // 三级: the most sensitive detail is kept the shortest (minimisation).
  3: { raw: 14, minute: 90, hour: 1095 },
};
const RETENTION_KEY = 'telemetry.retention';

/** Samples further ahead than this are refused (their partitions are not made yet). */
const MAX_FUTURE_MS = 86_400_000;
const DEVICE_TOKEN = /^pdxd_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export interface TelemetryOptions {
  /** Samples the write buffer holds at most. */
  bufferSamples: number;
  /** Samples per write transaction at most. */
  batchSamples: number;
  /** Bound of the wait for room and for the commit before a client is told to retry. */
  ackWaitMs: number;
  now?: () => number;
  onError?: (error: unknown) => void;
}

/** What a transport knows of an authenticated device. */
export interface DeviceContext {
  device: DeviceRow;
  settings: SettingsRow;
  points: Map<string, PointRow>;
  loadedAt: number;
}

/** One row of the registry: plant, line, device and point, with the point's specification. */
export interface RegistryRow {
  plant: string;
  plantName?: string;
  line: string;
  lineName?: string;
  device: string;
  deviceName?: string;
  point: string;
  pointName?: string;
  unit?: string;
  dataType?: PointDataType;
  min?: number | null;
  max?: number | null;
  samplingMs?: number | null;
  level?: 1 | 2 | 3;
}

const DEVICE = { zh: '设备', en: 'Device' };
const POINT = { zh: '测点', en: 'Point' };

function bad(code: string, zh: string, en: string, details?: unknown): BadRequestError {
  return new BadRequestError(code, { zh, en }, details);
}

export function tokenHashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Partition names and ranges: raw by UTC day, 1-minute roll-ups by month, 1-hour roll-ups by year. */
export function partitionOf(table: Table, dayIndex: number): { name: string; from: Date; to: Date } {
  const day = new Date(dayIndex * 86_400_000);
  const y = day.getUTCFullYear();
  const m = day.getUTCMonth();
  if (table === 'telemetry_raw') {
    const stamp = day.toISOString().slice(0, 10).replaceAll('-', '');
    return { name: `telemetry_raw_p${stamp}`, from: day, to: new Date(day.getTime() + 86_400_000) };
  }
  if (table === 'telemetry_rollup_1m') {
    return { name: `telemetry_rollup_1m_p${y}${String(m + 1).padStart(2, '0')}`, from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
  }
  return { name: `telemetry_rollup_1h_p${y}`, from: new Date(Date.UTC(y, 0, 1)), to: new Date(Date.UTC(y + 1, 0, 1)) };
}

/** The upper bound of a partition from its name (for retention), or undefined for a name pdx did not make. */
export function partitionEnd(name: string): Date | undefined {
  let m = /^telemetry_raw_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (m) return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1));
  m = /^telemetry_rollup_1m_p(\d{4})(\d{2})$/.exec(name);
  if (m) return new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
  m = /^telemetry_rollup_1h_p(\d{4})$/.exec(name);
  if (m) return new Date(Date.UTC(Number(m[1]) + 1, 0, 1));
  return undefined;
}

const PARTITION_LOCK = 0x7064787470617274n; // "pdxtpart"
const MAINTENANCE_LOCK = 0x706478746d61696en; // "pdxtmain"

export function createTelemetryService(deps: {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'create' | 'setResourceColumns' | 'get'>;
  /** An enterprise's USCC (its default enterprise code) and the enterprises' names on the summary. */
  identity: Pick<IdentityService, 'find' | 'names'>;
  options: TelemetryOptions;
}) {
  const { db, events, catalog, identity, options } = deps;
  const repo = telemetryRepo(db);
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((e: unknown) => console.error('[telemetry]', e));

  // Point specs for the quality checks, cached briefly (the registry changes rarely).
  const specCache = new Map<number, { spec: PointSpec; at: number }>();
  async function specs(ids: number[], q: Queryable): Promise<Map<number, PointSpec>> {
    const out = new Map<number, PointSpec>();
    const missing: number[] = [];
    for (const id of ids) {
      const c = specCache.get(id);
      if (c && now() - c.at < 10_000) out.set(id, c.spec);
      else missing.push(id);
    }
    if (missing.length) {
      for (const p of await telemetryRepo(q).pointsByIds(missing)) {
        const spec = { rangeMin: p.range_min, rangeMax: p.range_max, samplingMs: p.sampling_ms, boolean: p.data_type === 'boolean' };
        specCache.set(p.id, { spec, at: now() });
        out.set(p.id, spec);
      }
    }
    return out;
  }

  const writer: Writer = createWriter(db, {
    capacity: options.bufferSamples,
    batchSize: options.batchSamples,
    waitMs: options.ackWaitMs,
    lingerMs: 200,
    specs,
    now,
    onError,
  });

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  function officerOf(p: Principal): string {
    if (!p.roles.includes('data_officer'))
      throw new ForbiddenError('not_data_officer', { zh: '只有本单位的数据管理员可以管理设备与测点', en: 'Only data officers manage devices and points' });
    return p.orgId;
  }

  // ---- settings --------------------------------------------------------------------------------

  async function ensureSettings(orgId: string): Promise<SettingsRow> {
    const existing = await repo.settings(orgId);
    if (existing) return existing;
    const org = await identity.find.org(orgId);
    if (!org) throw new NotFoundError({ zh: '单位', en: 'Organisation' });
    const code = (org.uscc ?? '').toLowerCase() || `e${orgId.replaceAll('-', '').slice(0, 10)}`;
    await repo.saveSettings({ orgId, enterpriseCode: code, autoRegister: false });
    return (await repo.settings(orgId))!;
  }

  // ---- device contexts (cached per process; the registry stamp tells when to reload) ---------------

  const contexts = new Map<string, DeviceContext>();
  const tokenCache = new Map<string, { deviceId: string; at: number }>();

  async function loadContext(deviceId: string): Promise<DeviceContext | undefined> {
    const device = await repo.device(deviceId);
    if (!device) return undefined;
    const settings = await ensureSettings(device.org_id);
    const points = new Map((await repo.pointsOfDevice(deviceId)).map((p) => [p.code, p]));
    const ctx = { device, settings, points, loadedAt: now() };
    contexts.set(deviceId, ctx);
    return ctx;
  }

  async function context(deviceId: string, fresh = false): Promise<DeviceContext | undefined> {
    const c = contexts.get(deviceId);
    if (c && !fresh && now() - c.loadedAt < 5_000) return c;
    return loadContext(deviceId);
  }

  function invalidate(deviceId?: string): void {
    if (deviceId) contexts.delete(deviceId);
    else contexts.clear();
    specCache.clear();
    tokenCache.clear();
  }

  // ---- partitions and retention -----------------------------------------------------------------

  const knownPartitions = new Set<string>();
  async function ensurePartitions(tsUs: Iterable<number>): Promise<void> {
    const wanted: { table: Table; name: string; from: Date; to: Date }[] = [];
    for (const day of daysOf(tsUs)) {
      for (const table of ['telemetry_raw', 'telemetry_rollup_1m', 'telemetry_rollup_1h'] as const) {
        const p = partitionOf(table, day);
        if (!knownPartitions.has(p.name) && !wanted.some((w) => w.name === p.name)) wanted.push({ table, ...p });
      }
    }
    if (!wanted.length) return;
    await db.withAdvisoryLock(PARTITION_LOCK, async () => {
      const existing = new Set<string>();
      for (const table of new Set(wanted.map((w) => w.table))) for (const r of await repo.partitions(table)) existing.add(r.name);
      for (const w of wanted) {
        if (!existing.has(w.name)) await repo.createPartition(w.table, w.name, w.from, w.to);
        knownPartitions.add(w.name);
      }
    });
  }

  // Read on every payload (the accepted time range): cached briefly, refreshed on change.
  let retentionCache: { value: Retention; at: number } | undefined;
  async function retention(): Promise<Retention> {
    if (retentionCache && now() - retentionCache.at < 30_000) return retentionCache.value;
    const parsed = retentionSchema.safeParse(await repo.retentionSetting(RETENTION_KEY));
    retentionCache = { value: parsed.success ? parsed.data : DEFAULT_RETENTION, at: now() };
    return retentionCache.value;
  }

  /**
   * Drops the partitions past every level's retention, then deletes each level's rows older than its
   * own retention from the partitions kept (a 1-minute partition spans a month, a 1-hour one a year:
   * without this a roll-up would outlive its retention by up to that long).
   */
  async function applyRetention(): Promise<{ dropped: string[] }> {
    const r = await retention();
    const dropped: string[] = [];
    const levels = [1, 2, 3] as const;
    const spans: [Table, 'raw' | 'minute' | 'hour'][] = [
      ['telemetry_raw', 'raw'],
      ['telemetry_rollup_1m', 'minute'],
      ['telemetry_rollup_1h', 'hour'],
    ];
    const points = await repo.pointLevels();
    for (const [table, key] of spans) {
      const longest = Math.max(...levels.map((l) => r[l][key]));
      const cutoff = new Date(now() - longest * 86_400_000);
      await db.withAdvisoryLock(PARTITION_LOCK, async () => {
        for (const { name } of await repo.partitions(table)) {
          const end = partitionEnd(name);
          if (end && end <= cutoff) {
            await repo.dropPartition(name);
            knownPartitions.delete(name);
            dropped.push(name);
          }
        }
      });
      for (const level of levels) {
        const ids = points.filter((p) => p.industrial_level === level).map((p) => p.id);
        if (ids.length) await repo.deleteOlder(table, ids, new Date(now() - r[level][key] * 86_400_000));
      }
    }
    return { dropped };
  }

  // ---- rate limits (per process; a flood shows on each process it reaches) ---------------------------

  const buckets = new Map<string, { tokens: number; at: number }>();
  const throttledAudit = new Map<string, number>();
  /** Takes n tokens of the device's bucket; returns how long the caller must wait first (ms). */
  function takeTokens(device: DeviceRow, n: number): number {
    const rate = device.max_points_per_second;
    const burst = rate * 2;
    const t = now();
    const b = buckets.get(device.id) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    b.tokens -= n;
    buckets.set(device.id, b);
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens / rate) * 1000);
  }

  async function recordThrottle(ctx: DeviceContext, points: number, via: string, ip?: string): Promise<void> {
    const last = throttledAudit.get(ctx.device.id) ?? 0;
    if (now() - last < 60_000) return;
    throttledAudit.set(ctx.device.id, now());
    await events.record({
      action: 'telemetry.throttled',
      result: 'denied',
      actor: { username: `${ctx.settings.enterprise_code}/${ctx.device.code}`, orgId: ctx.device.org_id },
      target: { type: 'telemetry_device', id: ctx.device.id, label: ctx.device.code },
      details: { device: ctx.device.code, limit: ctx.device.max_points_per_second, points, via },
      ...(ip ? { ip } : {}),
    });
  }

  async function countRejection(reason: RejectReason, detail: string, who: { device?: DeviceRow; subject?: string; orgId?: string | null }): Promise<void> {
    const hour = new Date(Math.floor(now() / 3_600_000) * 3_600_000);
    await repo
      .addRejection({
        subject: who.device ? `device:${who.device.id}` : (who.subject ?? 'anonymous'),
        hour,
        reason,
        orgId: who.device?.org_id ?? who.orgId ?? null,
        deviceId: who.device?.id ?? null,
        detail: detail.slice(0, 500),
      })
      .catch(onError);
  }

  // ---- the ingestion entry --------------------------------------------------------------------------

  /**
   * Resolves a parsed payload against the device's points and stores it. Throws PayloadError (the
   * payload is refused whole and counted with its reason) or OverloadedError (retry later).
   * `maxDelayMs`: how long a flooding device may be slowed down before it is refused (MQTT slows
   * down, HTTP answers 429 at once).
   */
  async function ingest(
    ctx: DeviceContext,
    raw: RawSample[],
    opts: { via: 'mqtt' | 'http' | 'line' | 'external'; receivedMs?: number; maxDelayMs?: number; ip?: string },
  ): Promise<{ accepted: number; quarantined: number }> {
    const receivedMs = opts.receivedMs ?? now();
    try {
      if (ctx.device.state !== 'active') throw new PayloadError('bad_credentials', 'the device is disabled');
      const wait = takeTokens(ctx.device, raw.length);
      if (wait > 0) {
        await recordThrottle(ctx, raw.length, opts.via, opts.ip);
        if (wait > (opts.maxDelayMs ?? 0)) {
          // Give the tokens back: the payload is refused, not counted against the next one.
          takeTokens(ctx.device, -raw.length);
          throw new PayloadError('rate_limited', `more than ${ctx.device.max_points_per_second} points per second; slow down`);
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const submission = await resolveSamples(ctx, raw, receivedMs);
      await ensurePartitions(submission.samples.map((s) => s.tsUs));
      await writer.submit(submission);
      return { accepted: submission.samples.length, quarantined: submission.quarantined.length };
    } catch (error) {
      if (error instanceof PayloadError) await countRejection(error.reason, error.message, { device: ctx.device });
      if (error instanceof OverloadedError) await countRejection('overloaded', error.message, { device: ctx.device });
      throw error;
    }
  }

  /** Parses (refusals of the parser are counted per device too) and ingests. */
  async function ingestPayload(
    ctx: DeviceContext,
    parse: () => RawSample[],
    opts: Parameters<typeof ingest>[2],
  ): Promise<{ accepted: number; quarantined: number }> {
    let raw: RawSample[];
    try {
      raw = parse();
    } catch (error) {
      if (error instanceof PayloadError) await countRejection(error.reason, error.message, { device: ctx.device });
      throw error;
    }
    return ingest(ctx, raw, opts);
  }

  async function resolveSamples(ctx: DeviceContext, raw: RawSample[], receivedMs: number): Promise<Submission> {
    const r = await retention();
    const oldest = receivedMs - Math.max(r[1].raw, r[2].raw, r[3].raw) * 86_400_000;
    const samples: ResolvedSample[] = [];
    const quarantined: QuarantinedSample[] = [];
    const events: Submission['events'] = [];
    let refreshed = false;
    for (let i = 0; i < raw.length; i++) {
      const s = raw[i]!;
      const tsUs = s.tsUs ?? receivedMs * 1000;
      if (tsUs / 1000 < oldest || tsUs / 1000 > receivedMs + MAX_FUTURE_MS) {
        throw new PayloadError(
          'timestamp_out_of_range',
          `sample ${i + 1} (${s.point}): timestamp ${new Date(tsUs / 1000).toISOString()} is older than the retention or more than a day ahead`,
        );
      }
      let point = ctx.points.get(s.point);
      if (!point && !refreshed) {
        // Registered a moment ago, perhaps on another process: look once more before quarantining.
        refreshed = true;
        const fresh = await context(ctx.device.id, true);
        if (fresh) ctx = fresh;
        point = ctx.points.get(s.point);
      }
      if (!point && ctx.settings.auto_register) {
        point = await autoRegister(ctx, s);
      }
      if (!point) {
        quarantined.push({ code: s.point, tsUs, value: s.value, unit: s.unit ?? '' });
        if (!quarantined.slice(0, -1).some((q) => q.code === s.point))
          events.push({ pointId: null, kind: 'unknown_point', details: { point: s.point, unit: s.unit ?? null } });
        continue;
      }
      let value = s.value;
      if (s.unit !== undefined && point.unit && normalizeUnit(s.unit) !== normalizeUnit(point.unit)) {
        const convert = converter(s.unit, point.unit);
        if (!convert)
          throw new PayloadError('unit_mismatch', `sample ${i + 1} (${s.point}): unit ${s.unit} cannot be converted to the registered unit ${point.unit}`);
        value = convert(value);
        if (!events.some((e) => e.pointId === point!.id && e.kind === 'unit_mismatch'))
          events.push({ pointId: point.id, kind: 'unit_mismatch', details: { sent: s.unit, registered: point.unit, converted: true } });
      }
      if (point.data_type === 'integer' && !Number.isInteger(value))
        throw new PayloadError('invalid_value', `sample ${i + 1} (${s.point}): ${value} is not an integer`);
      if (point.data_type === 'boolean' && value !== 0 && value !== 1)
        throw new PayloadError('invalid_value', `sample ${i + 1} (${s.point}): ${value} is not a boolean`);
      samples.push({ pointId: point.id, tsUs, value });
    }
    return { deviceId: ctx.device.id, orgId: ctx.device.org_id, receivedMs, samples, quarantined, events };
  }

  async function autoRegister(ctx: DeviceContext, s: RawSample): Promise<PointRow | undefined> {
    await repo.insertPoint({
      deviceId: ctx.device.id,
      code: s.point,
      name: s.point,
      unit: s.unit ?? '',
      dataType: 'float',
      rangeMin: null,
      rangeMax: null,
      samplingMs: null,
      level: 1,
      auto: true,
    });
    const fresh = await loadContext(ctx.device.id);
    if (fresh) {
      ctx.points = fresh.points;
      await events.record({
        action: 'telemetry.point_auto_register',
        result: 'success',
        actor: { username: `${ctx.settings.enterprise_code}/${ctx.device.code}`, orgId: ctx.device.org_id },
        target: { type: 'telemetry_point', label: `${ctx.device.code}.${s.point}` },
        details: { device: ctx.device.code, point: s.point, unit: s.unit ?? null },
      });
      await syncSets(ctx.device.org_id);
    }
    return ctx.points.get(s.point);
  }

  // ---- device authentication -------------------------------------------------------------------------

  /**
   * The device of a token, compared by hash in constant time. A refusal is counted: against the
   * device when the token names one (a wrong secret), else against the sender.
   */
  async function authenticateDevice(token: string, who: { via: string; ip?: string; username?: string } = { via: 'http' }): Promise<DeviceContext | undefined> {
    const hash = tokenHashOf(token);
    const cached = tokenCache.get(hash);
    if (cached && now() - cached.at < 10_000) {
      const ctx = await context(cached.deviceId);
      if (ctx && ctx.device.state === 'active') return ctx;
    }
    const m = DEVICE_TOKEN.exec(token);
    const device = m ? await repo.deviceByTokenPrefix(m[1]!) : undefined;
    const a = Buffer.from(device?.token_hash ?? '', 'hex');
    const b = Buffer.from(hash, 'hex');
    if (!device || a.length !== b.length || !timingSafeEqual(a, b) || device.state !== 'active') {
      const detail = `${who.via} sign-in refused${who.username ? ` for ${who.username}` : ''}${who.ip ? ` from ${who.ip}` : ''}${device ? (device.state === 'active' ? ': wrong token' : ': device disabled') : ''}`;
      await countRejection('bad_credentials', detail, device ? { device } : { subject: `${who.via}:${who.username ?? who.ip ?? '?'}` });
      // A wrong token over HTTP is a failed sign-in too: the password-guessing detector (secops) counts
      // it by the device it names and by address. The broker records its own, with the MQTT user name.
      if (who.via !== 'mqtt') {
        await events.record({
          action: 'telemetry.auth',
          result: 'failure',
          ...(device ? { actor: { username: `${device.enterprise_code ?? '?'}/${device.code}`, orgId: device.org_id } } : {}),
          details: { via: who.via, reason: device ? (device.state === 'active' ? 'bad_token' : 'device_disabled') : 'unknown_token' },
          ...(who.ip ? { ip: who.ip } : {}),
        });
      }
      return undefined;
    }
    tokenCache.set(hash, { deviceId: device.id, at: now() });
    return context(device.id);
  }

  /** The device named by a topic's enterprise and device codes (external broker: it authenticated them). */
  async function deviceByCodes(enterpriseCode: string, deviceCode: string): Promise<DeviceContext | undefined> {
    const settings = await repo.settingsByCode(enterpriseCode);
    if (!settings) return undefined;
    const device = await repo.deviceByCode(settings.org_id, deviceCode);
    return device ? context(device.id) : undefined;
  }

  // ---- telemetry sets (catalogue resources) ----------------------------------------------------------

  /** Keeps the 信息项 of an organisation's telemetry sets equal to its points (and their grades). */
  async function syncSets(orgId: string): Promise<void> {
    const sets = await repo.setsOfOrg(orgId);
    if (!sets.length) return;
    const devices = new Map((await repo.devices(orgId)).map((d) => [d.id, d]));
    const points = await repo.pointsOfOrg(orgId);
    for (const set of sets) {
      const inSet = points.filter((p) => !set.plant_id || devices.get(p.device_id)?.plant_id === set.plant_id);
      await catalog.setResourceColumns(
        set.dataset_id,
        inSet.map((p) => {
          const d = devices.get(p.device_id)!;
          return {
            name: `${d.code}.${p.code}`,
            physical: `p${p.id}`,
            label: `${p.name}${p.unit ? `(${p.unit})` : ''}`,
            dataType: p.data_type === 'float' ? 'decimal' : p.data_type,
            description: `${d.plant_name}/${d.line_name}/${d.name} · ${LEVEL_LABELS[p.industrial_level]!.zh}${p.sampling_ms ? ` · 采样 ${p.sampling_ms / 1000}s` : ''}${p.range_min !== null || p.range_max !== null ? ` · 范围 ${p.range_min ?? '−∞'}~${p.range_max ?? '∞'}` : ''}`,
            grade: LEVEL_TO_GRADE[p.industrial_level]!,
          };
        }),
      );
    }
  }

  // ---- the service --------------------------------------------------------------------------------

  const service = {
    repo,
    writer,
    ingest,
    ingestPayload,
    authenticateDevice,
    deviceByCodes,
    ensurePartitions,
    applyRetention,
    retention,
    countRejection,
    context,

    async settings(p: Principal): Promise<SettingsRow> {
      return ensureSettings(officerOf(p));
    },

    async updateSettings(caller: Caller, patch: { enterpriseCode?: string; autoRegister?: boolean }): Promise<SettingsRow> {
      const orgId = officerOf(caller.principal);
      const current = await ensureSettings(orgId);
      const code = patch.enterpriseCode ?? current.enterprise_code;
      if (!/^[a-z0-9][a-z0-9-]{1,31}$/.test(code))
        throw bad(
          'invalid_enterprise_code',
          '企业编码应为 2-32 位小写字母、数字或连字符',
          'The enterprise code must be 2-32 lower-case letters, digits or hyphens',
          { field: 'enterpriseCode' },
        );
      const taken = await repo.settingsByCode(code);
      if (taken && taken.org_id !== orgId)
        throw new ConflictError(
          'enterprise_code_taken',
          { zh: `企业编码 ${code} 已被使用`, en: `Enterprise code ${code} is taken` },
          { field: 'enterpriseCode' },
        );
      await repo.saveSettings({ orgId, enterpriseCode: code, autoRegister: patch.autoRegister ?? current.auto_register });
      invalidate();
      await record(caller, {
        action: 'telemetry.settings',
        result: 'success',
        details: { enterpriseCode: code, autoRegister: patch.autoRegister ?? current.auto_register },
      });
      return (await repo.settings(orgId))!;
    },

    /** Registers rows of plant/line/device/point (one form or an imported sheet), idempotently. */
    async register(caller: Caller, rows: RegistryRow[]): Promise<{ plants: number; lines: number; devices: number; points: number; updated: number }> {
      const orgId = officerOf(caller.principal);
      await ensureSettings(orgId);
      const counts = { plants: 0, lines: 0, devices: 0, points: 0, updated: 0 };
      rows.forEach((r, i) => {
        for (const [field, value] of [
          ['plant', r.plant],
          ['line', r.line],
          ['device', r.device],
          ['point', r.point],
        ] as const) {
          if (!CODE.test(value))
            throw bad(
              'invalid_code',
              `第 ${i + 1} 行：${field} 编码 ${JSON.stringify(value)} 应为 1-64 位字母、数字、_ . -`,
              `Row ${i + 1}: ${field} code ${JSON.stringify(value)} must be 1-64 of letters, digits, _ . -`,
              { row: i + 1, field },
            );
        }
        if (r.min != null && r.max != null && r.min > r.max)
          throw bad('invalid_range', `第 ${i + 1} 行：下限大于上限`, `Row ${i + 1}: min is above max`, { row: i + 1, field: 'min' });
      });
      // Samples waiting in quarantine become the history of the points registered now: their
      // partitions are made first (DDL stays outside the transaction that moves them).
      const span = await repo.quarantineSpan(orgId);
      if (span.min !== null && span.max !== null) {
        const days: number[] = [];
        for (let d = Math.floor(span.min / 86_400_000_000); d <= Math.floor(span.max / 86_400_000_000); d++) days.push(d * 86_400_000_000);
        await ensurePartitions(days);
      }
      await db.transaction(async (tx) => {
        const t = telemetryRepo(tx);
        for (const r of rows) {
          let plant = await t.plantByCode(orgId, r.plant);
          if (!plant) {
            await t.insertPlant({ id: randomUUID(), orgId, code: r.plant, name: r.plantName ?? r.plant });
            plant = (await t.plantByCode(orgId, r.plant))!;
            counts.plants++;
          }
          let line = await t.lineByCode(plant.id, r.line);
          if (!line) {
            await t.insertLine({ id: randomUUID(), plantId: plant.id, code: r.line, name: r.lineName ?? r.line });
            line = (await t.lineByCode(plant.id, r.line))!;
            counts.lines++;
          }
          let device = await t.deviceByCode(orgId, r.device);
          if (!device) {
            await t.insertDevice({ id: randomUUID(), orgId, lineId: line.id, code: r.device, name: r.deviceName ?? r.device, maxPointsPerSecond: 2000 });
            device = (await t.deviceByCode(orgId, r.device))!;
            counts.devices++;
          } else if (device.line_id !== line.id) {
            throw bad(
              'device_on_other_line',
              `设备 ${r.device} 已登记在产线 ${device.line_code}`,
              `Device ${r.device} is registered on line ${device.line_code}`,
              { device: r.device },
            );
          }
          const spec = {
            name: r.pointName ?? r.point,
            unit: r.unit ?? '',
            dataType: r.dataType ?? 'float',
            rangeMin: r.min ?? null,
            rangeMax: r.max ?? null,
            samplingMs: r.samplingMs ?? null,
            level: r.level ?? 1,
          };
          const inserted = await t.insertPoint({ deviceId: device.id, code: r.point, ...spec, auto: false });
          if (inserted.length) counts.points++;
          else {
            const existing = (await t.pointsOfDevice(device.id)).find((p) => p.code === r.point)!;
            await t.updatePoint(existing.id, spec);
            counts.updated++;
          }
          const released = await t.releaseQuarantine(device.id, r.point);
          if (released.length) {
            const point = (await t.pointsOfDevice(device.id)).find((p) => p.code === r.point)!;
            await storeBatch(
              tx,
              [
                {
                  deviceId: device.id,
                  orgId,
                  receivedMs: now(),
                  samples: released.map((q) => ({ pointId: point.id, tsUs: Number(q.us), value: q.value })),
                  quarantined: [],
                  events: [],
                },
              ],
              now(),
              { specs },
            );
          }
        }
      });
      invalidate();
      await syncSets(orgId);
      await record(caller, { action: 'telemetry.register', result: 'success', details: { rows: rows.length, ...counts } });
      return counts;
    },

    /** A new device token, shown once; the previous one stops working at once. */
    async issueToken(caller: Caller, deviceCode: string): Promise<{ token: string; username: string; topic: string }> {
      const orgId = officerOf(caller.principal);
      const device = await repo.deviceByCode(orgId, deviceCode);
      if (!device) throw new NotFoundError(DEVICE);
      const prefix = randomBytes(8).toString('hex').slice(0, 10);
      const token = `pdxd_${prefix}_${randomBytes(32).toString('base64url')}`;
      await repo.setToken(device.id, prefix, tokenHashOf(token));
      invalidate(device.id);
      await record(caller, { action: 'telemetry.device_token', result: 'success', target: { type: 'telemetry_device', id: device.id, label: device.code } });
      const settings = await ensureSettings(orgId);
      return { token, username: `${settings.enterprise_code}/${device.code}`, topic: `plant/${settings.enterprise_code}/${device.code}/telemetry` };
    },

    async updateDevice(caller: Caller, deviceCode: string, patch: { name?: string; maxPointsPerSecond?: number; state?: 'active' | 'disabled' }) {
      const orgId = officerOf(caller.principal);
      const device = await repo.deviceByCode(orgId, deviceCode);
      if (!device) throw new NotFoundError(DEVICE);
      await repo.updateDevice(device.id, {
        name: patch.name ?? device.name,
        maxPointsPerSecond: patch.maxPointsPerSecond ?? device.max_points_per_second,
        state: patch.state ?? device.state,
      });
      invalidate(device.id);
      await record(caller, {
        action: 'telemetry.device_update',
        result: 'success',
        target: { type: 'telemetry_device', id: device.id, label: device.code },
        details: patch,
      });
      return (await repo.device(device.id))!;
    },

    /** The registry of the caller's organisation: devices with their points. */
    async registry(p: Principal) {
      const orgId = officerOf(p);
      const settings = await ensureSettings(orgId);
      const [devices, points] = await Promise.all([repo.devices(orgId), repo.pointsOfOrg(orgId)]);
      return { settings, devices, points };
    },

    async device(p: Principal, code: string) {
      const orgId = officerOf(p);
      const device = await repo.deviceByCode(orgId, code);
      if (!device) throw new NotFoundError(DEVICE);
      const points = await repo.pointsOfDevice(device.id);
      const states = new Map((await repo.states(points.map((x) => x.id))).map((s) => [s.point_id, s]));
      return { device, points, states };
    },

    /** Recent samples of one point of the caller's own organisation (console live charts). */
    async recent(
      p: Principal,
      deviceCode: string,
      pointCode: string,
      sinceMs: number,
      step: 'raw' | '1m' | '1h',
    ): Promise<{ tsUs: number; value: number; min?: number; max?: number }[]> {
      const orgId = officerOf(p);
      const device = await repo.deviceByCode(orgId, deviceCode);
      if (!device) throw new NotFoundError(DEVICE);
      const point = (await repo.pointsOfDevice(device.id)).find((x) => x.code === pointCode);
      if (!point) throw new NotFoundError(POINT);
      const from = new Date(sinceMs);
      const to = new Date(now() + MAX_FUTURE_MS);
      if (step === 'raw') return (await repo.raw([point.id], from, to, 5000)).map((r) => ({ tsUs: Number(r.us), value: r.value }));
      const rows = await repo.rollup(step === '1m' ? 'telemetry_rollup_1m' : 'telemetry_rollup_1h', [point.id], from, to, 5000);
      return rows.map((r) => ({ tsUs: r.bucket.getTime() * 1000, value: r.avg, min: r.min, max: r.max }));
    },

    /** Quality scores over a window per point, device and line, with open events and counts by kind. */
    async quality(p: Principal, hours = 24) {
      const orgId = officerOf(p);
      const since = new Date(now() - hours * 3_600_000);
      const [rows, devices, counts] = await Promise.all([repo.qualityWindow(orgId, since), repo.devices(orgId), repo.eventCounts(orgId, since)]);
      const windowEnd = now();
      const points = rows.map((r) => {
        const start = Math.max(since.getTime(), r.created_at.getTime());
        const expected = r.sampling_ms ? Math.max(0, (windowEnd - start) / r.sampling_ms) : null;
        return {
          pointId: r.point_id,
          deviceId: r.device_id,
          lineId: r.line_id,
          samples: Number(r.samples),
          bad: Number(r.bad),
          openEvents: r.open_events,
          score: score(Number(r.samples), Number(r.bad), expected),
        };
      });
      const mean = (xs: number[]) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);
      const byDevice = devices.map((d) => ({
        device: d,
        score: mean(points.filter((x) => x.deviceId === d.id).map((x) => x.score)),
        openEvents: points.filter((x) => x.deviceId === d.id).reduce((n, x) => n + x.openEvents, 0),
      }));
      const lines = [...new Map(devices.map((d) => [d.line_id, d])).values()].map((d) => ({
        lineId: d.line_id,
        line: d.line_code,
        lineName: d.line_name,
        plant: d.plant_code,
        score: mean(byDevice.filter((x) => x.device.line_id === d.line_id && x.score !== null).map((x) => x.score!)),
      }));
      return { since, points, devices: byDevice, lines, counts };
    },

    async events(p: Principal, filter: { device?: string; kind?: string; open?: boolean }, limit = 200) {
      const orgId = officerOf(p);
      const deviceId = filter.device ? (await repo.deviceByCode(orgId, filter.device))?.id : undefined;
      if (filter.device && !deviceId) return [];
      return repo.events(
        orgId,
        { ...(deviceId ? { deviceId } : {}), ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.open !== undefined ? { open: filter.open } : {}) },
        limit,
      );
    },

    /** The overview's view of the plants: counts only, no values (any signed-in user). */
    async summary() {
      const rows = await repo.summary();
      const names = await identity.names({ orgs: rows.map((r) => r.org_id) });
      return rows
        .map(({ org_id, ...r }) => ({ org_name: names.orgs.get(org_id)?.name ?? '', ...r }))
        .sort((a, b) => (a.org_name < b.org_name ? -1 : a.org_name > b.org_name ? 1 : 0));
    },

    /** The newest sample time of each telemetry set (the upkeep of its catalogue entry, duties module). */
    async lastSamples(datasetIds: string[]): Promise<Map<string, Date>> {
      if (datasetIds.length === 0) return new Map();
      return new Map((await repo.lastSamples(datasetIds)).map((r) => [r.dataset_id, r.last_ts]));
    },

    async unknownPoints(p: Principal) {
      return repo.unknownPoints(officerOf(p));
    },

    /** Ingestion status: points per second and lag per minute, rejected payloads by reason, the buffer. */
    async status(p: Principal, minutes = 15) {
      const orgId = officerOf(p);
      const since = new Date(now() - minutes * 60_000);
      const [perMinute, rejected] = await Promise.all([repo.ingestMinutes(orgId, since), repo.rejections(orgId, new Date(now() - 24 * 3_600_000))]);
      // The rate over the newest minute with data: a full minute, or the seconds elapsed of the current one.
      const last = perMinute.at(-1);
      const seconds = last ? Math.min(60, Math.max(1, (now() - last.minute.getTime()) / 1000)) : 60;
      return {
        perMinute,
        pointsPerSecond: last && now() - last.minute.getTime() < 120_000 ? Number(last.points) / seconds : 0,
        lagMsMax: last ? last.lag_ms_max : null,
        rejected,
        writer: writer.stats(),
      };
    },

    /** The live silence check: opens a gap event for every point silent past its allowed intervals. */
    async checkSilence(): Promise<number> {
      const t = now();
      const rows = await repo.silenceCandidates(new Date(t - QUALITY_DEFAULTS.silenceMinMs));
      let opened = 0;
      for (const r of rows) {
        const state = {
          lastTs: r.last_ts?.getTime() ?? null,
          lastValue: r.last_value,
          runSince: null,
          runCount: 0,
          mean: null,
          var: null,
          seen: 0,
          open: r.open_events,
        };
        if (!silent({ rangeMin: r.range_min, rangeMax: r.range_max, samplingMs: r.sampling_ms }, state, t)) continue;
        const id = randomUUID();
        await db.transaction(async (tx) => {
          const tr = telemetryRepo(tx);
          await tr.openEvent({
            id,
            pointId: r.point_id,
            deviceId: r.device_id,
            kind: 'gap',
            startedAt: r.last_ts!,
            endedAt: null,
            samples: 0,
            details: { from: r.last_ts!.toISOString(), ongoing: true },
          });
          await tr.markGapOpen(r.point_id, id);
        });
        opened++;
      }
      return opened;
    },

    /** Periodic upkeep (one process at a time): partitions ahead, retention, silence, old counters. */
    async maintain(): Promise<void> {
      await db.withAdvisoryLock(MAINTENANCE_LOCK, async () => {
        const today = Math.floor(now() / 86_400_000);
        await ensurePartitions([0, 1, 2].map((d) => (today + d) * 86_400_000_000));
        await applyRetention();
        await service.checkSilence();
        await repo.expireQuarantine(new Date(now() - 7 * 86_400_000));
        await repo.expireStats(new Date(now() - 7 * 86_400_000));
      });
    },

    /** Registers a telemetry set (the points of the organisation, or of one plant) in the catalogue. */
    async createSet(
      caller: Caller,
      input: {
        name: string;
        summary?: string;
        plant?: string;
        shareType?: 'unconditional' | 'conditional' | 'none';
        shareConditions?: string;
        tags?: string[];
      },
    ) {
      const orgId = officerOf(caller.principal);
      const plant = input.plant ? await repo.plantByCode(orgId, input.plant) : undefined;
      if (input.plant && !plant) throw new NotFoundError({ zh: '厂区', en: 'Plant' });
      const d = await catalog.create(
        caller,
        {
          ...DATASET_DEFAULTS,
          name: input.name,
          summary: input.summary ?? '',
          domain: '工业',
          category: '工业数据/生产运行/设备测点',
          format: '时序数据',
          share_type: input.shareType ?? 'conditional',
          share_conditions: input.shareConditions ?? '',
          update_cycle: 'realtime',
          tags: input.tags ?? ['工业大数据', '时序'],
        },
        'telemetry',
      );
      await repo.insertSet(d.id, orgId, plant?.id ?? null);
      await syncSets(orgId);
      return catalog.get(caller.principal, d.code);
    },

    /** The devices of a telemetry set's points (for grants naming devices). */
    async setDevices(datasetId: string): Promise<Map<string, string[]>> {
      const set = await repo.setOf(datasetId);
      if (!set) return new Map();
      const devices = await repo.devices(set.org_id);
      const out = new Map<string, string[]>();
      for (const d of devices) if (!set.plant_id || d.plant_id === set.plant_id) out.set(d.code, []);
      return out;
    },

    /** The secadmin sets the retention per industrial level; partitions follow at the next upkeep. */
    async setRetention(caller: Caller, value: Retention): Promise<Retention> {
      if (!caller.principal.roles.includes('secadmin')) throw new ForbiddenError();
      // A roll-up is kept at least as long as what it rolls up (raw ≤ 1-minute ≤ 1-hour).
      for (const level of [1, 2, 3] as const) {
        const { raw, minute, hour } = value[level];
        if (minute < raw || hour < minute) {
          const label = LEVEL_LABELS[level]!;
          throw bad(
            'retention_order',
            `${label.zh}：分钟汇总的保留天数不得少于原始数据，小时汇总不得少于分钟汇总`,
            `${label.en}: 1-minute roll-ups must be kept at least as long as raw samples, 1-hour roll-ups at least as long as 1-minute ones`,
            { field: `${level}.${minute < raw ? 'minute' : 'hour'}` },
          );
        }
      }
      await repo.saveRetentionSetting(RETENTION_KEY, value);
      retentionCache = undefined;
      await record(caller, { action: 'telemetry.retention', result: 'success', details: value });
      return value;
    },

    invalidate,
    syncSets,
  };
  return service;
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
