/**
 * Security operations: the worker that follows the audit log and runs the detectors (监测), the
 * containment they trigger (防护), alerts with in-app, webhook and e-mail notification (预警), and
 * incidents with their reporting clocks (处置).
 *
 * Exactly once across processes: a batch of records is read, judged and turned into alerts,
 * containment, notifications and queued deliveries inside ONE transaction that holds the cursor row
 * FOR UPDATE and moves it at the end. Another process waits for the row and then sees the moved
 * cursor. The module's own audit events (secops.*) are written after the commit (the audit log
 * commits in its own transaction) and are skipped by the detectors.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Agent } from 'undici';
import type { Db, Queryable } from '../../db/index.ts';
import { BadRequestError, ConflictError, NotFoundError, type Message } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { ShareService } from '../share/share.service.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { AuditRecord } from '../audit/record.ts';
import { portOf } from '../egress/egress.ts';
import type { EgressService } from '../egress/egress.service.ts';
import { countUsage, detect, DETECTOR_LABELS, type DetectorName, type Finding } from './detectors.ts';
import { createMailer, sendWebhook, type SmtpOptions } from './notify.ts';
import type { DeliveryRow } from './secops.repo.ts';
import {
  INCIDENT_STATES,
  secopsRepo,
  type AlertNames,
  type AlertRow,
  type ContainmentRow,
  type IncidentRow,
  type IncidentState,
  type ReplayClockRow,
  type SecopsRepo,
  type StoredIncidentRow,
} from './secops.repo.ts';
import {
  CONTAINMENT_LABELS,
  loadSettings,
  maxSeverity,
  saveSettings,
  settingsSchema,
  SEVERITY_LABELS,
  severityRank,
  type ContainmentKind,
  type SecopsSettings,
  type Severity,
} from './secops.settings.ts';
import { incidentReport } from './report.ts';
import type { TimelineEntry } from './timeline.ts';

export type { Caller } from '../../http/access.ts';
/** Security operations' part of the sharing module's access context (one statement on the records path). */
export { containmentsJsonForAccessContext } from './secops.repo.ts';

/** What a sealer does for webhook secrets (the keyring implements it). */
export interface SecretSealer {
  seal(plain: Buffer): Buffer;
  unseal(sealed: Buffer): Buffer;
}

export interface SecopsDeps {
  db: Db;
  events: EventSink;
  audit: Pick<AuditLog, 'verify' | 'recordsAfter' | 'detectorCounts'>;
  /**
   * Names of API keys, people and organisations; the console's notices; the keys and accounts a
   * containment suspends, throttles or locks. Each inside the worker's transaction where it runs.
   */
  identity: Pick<IdentityService, 'names' | 'notices' | 'containment'>;
  /** Datasets by code and the grades of their 信息项 (inside the worker's transaction); the dashboard's assets. */
  catalog: Pick<CatalogService, 'readIn' | 'assetsByProviderAndGrade'>;
  /** A grant as a person names it (the label of a suspended grant). */
  share: Pick<ShareService, 'grantLabel'>;
  sealer?: SecretSealer;
  smtp?: SmtpOptions;
  /** The clock of reporting deadlines and warnings (default: the system clock). */
  now?: () => Date;
  /**
   * The time a detector assigns to a record for "night" and hourly baselines (default: its stamp).
   * A replay of past logs, or a test that cannot wait for 03:00, maps stamps onto another clock.
   */
  eventTime?: (record: AuditRecord) => Date;
  /** Console address for links in e-mails and webhooks (e.g. https://pdx.example). */
  publicUrl?: string;
  /** The egress guard: webhook addresses are checked when set and when each delivery connects. */
  egress: Pick<EgressService, 'checkHost' | 'lookupFor'>;
  onError?: (error: unknown) => void;
}

/** Side effects of a committed transaction: audit events to write, and whether anything changed. */
interface Effects {
  alerts: AlertRow[];
  contained: ContainmentRow[];
  incidents: { id: string; title: string; severity: Severity; alertId: string | null }[];
}
const noEffects = (): Effects => ({ alerts: [], contained: [], incidents: [] });

/** Default length of a timed containment when the detector names none. */
/**
 * hh:mm in China Standard Time, for notices stored as text (the console and e-mail show them as
 * written): the platform serves a provincial authority in that zone.
 */
function clockTime(d: Date): string {
  return new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

const DEFAULT_MINUTES: Partial<Record<ContainmentKind, number>> = { throttle_key: 15, lock_account: 60 };

/**
 * The detectors' clock over stored replay clocks: a record of a key with a clock running at its stamp
 * (the latest begun, not yet ended) is judged at the replayed time; every other record at its stamp.
 */
export function replayEventTime(clocks: ReplayClockRow[]): (record: AuditRecord) => Date {
  return (r) => {
    const real = Date.parse(r.time);
    const clock = clocks.filter((c) => c.api_key_id === r.actorApiKeyId && c.real_start.getTime() <= real && real < c.real_end.getTime()).at(-1);
    return new Date(clock ? clock.replay_start.getTime() + (real - clock.real_start.getTime()) : real);
  };
}

export const STATE_LABELS: Record<IncidentState, Message> = {
  discovered: { zh: '发现', en: 'Discovered' },
  analysing: { zh: '研判', en: 'Analysis' },
  handling: { zh: '处置', en: 'Handling' },
  recovering: { zh: '恢复', en: 'Recovery' },
  closed: { zh: '总结', en: 'Summary (closed)' },
};

const ALERT = { zh: '告警', en: 'Alert' };
const INCIDENT = { zh: '安全事件', en: 'Incident' };
const CONTAINMENT = { zh: '处置措施', en: 'Containment' };

export function createSecopsService(deps: SecopsDeps) {
  const { db, events, identity, catalog } = deps;
  const now = deps.now ?? (() => new Date());
  /** The clock of one batch: the injected one, else the stamps with any stored replay clocks of the batch's keys. */
  async function batchEventTime(r: SecopsRepo, records: AuditRecord[]): Promise<(record: AuditRecord) => Date> {
    if (deps.eventTime) return deps.eventTime;
    const keys = [...new Set(records.flatMap((rec) => (rec.actorApiKeyId ? [rec.actorApiKeyId] : [])))];
    return replayEventTime(keys.length ? await r.replayClocks(keys) : []);
  }
  const onError = deps.onError ?? ((error: unknown) => console.error('[secops]', error));
  const mailer = createMailer(deps.smtp ?? {});
  /** Wakes live alert streams and the delivery loop of this process. */
  const changes = new EventEmitter();
  changes.setMaxListeners(1000);

  const record = (caller: Caller | undefined, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  /** Who a data response or refusal came from, by name: the API key (and its organisation) or the person. */
  async function actorNames(q: Queryable, apiKeyId: string | null, userId: string | null): Promise<AlertNames | undefined> {
    if (apiKeyId) {
      const k = (await identity.names({ apiKeys: [apiKeyId] }, q)).apiKeys.get(apiKeyId);
      return k ? { actor: k.name, actorKind: 'key', org: k.orgName } : undefined;
    }
    if (!userId) return undefined;
    const u = (await identity.names({ users: [userId] }, q)).users.get(userId);
    return u ? { actor: u.displayName, actorKind: 'user', ...(u.orgName ? { org: u.orgName } : {}) } : undefined;
  }

  /** Who read the most sensitive rows: the API key's name, or the person's name for a signed-in reader (key_name). */
  async function sensitiveConsumers(since: Date, limit: number) {
    const rows = await secopsRepo(db).topSensitiveConsumers(since, limit);
    const idOf = (prefix: string) => rows.flatMap((r) => (r.subject.startsWith(prefix) ? [r.subject.slice(prefix.length)] : []));
    const names = await identity.names({ apiKeys: idOf('key:'), users: idOf('user:'), orgs: rows.flatMap((r) => (r.org_id ? [r.org_id] : [])) });
    return rows.map(({ subject, org_id, sensitive_rows, rows: read }) => {
      const id = subject.slice(subject.indexOf(':') + 1);
      return {
        subject,
        org_name: (org_id && names.orgs.get(org_id)?.name) ?? null,
        key_name:
          (subject.startsWith('key:') ? names.apiKeys.get(id)?.name : subject.startsWith('user:') ? names.users.get(id)?.displayName : undefined) ?? null,
        sensitive_rows,
        rows: read,
      };
    });
  }

  // ---- alerts, containment, incidents inside one transaction ---------------------------------

  function link(path: string): string {
    return `${deps.publicUrl ?? ''}${path}`;
  }

  async function openIncidentTx(
    r: SecopsRepo,
    s: SecopsSettings,
    input: { title: string; titleMessage?: Message; severity: Severity; description: string; createdBy: Principal | null; alertIds: string[] },
    fx: Effects,
  ) {
    const id = randomUUID();
    const openedAt = now();
    const clocked = severityRank(input.severity) >= severityRank('significant');
    await r.insertIncident({
      id,
      title: input.title,
      titleMessage: input.titleMessage ?? null,
      severity: input.severity,
      description: input.description,
      firstDue: clocked ? new Date(openedAt.getTime() + s.reporting.firstReportHours * 3_600_000) : null,
      finalDue: clocked ? new Date(openedAt.getTime() + s.reporting.finalReportDays * 86_400_000) : null,
      createdBy: input.createdBy?.userId ?? null,
      openedAt,
    });
    await r.addIncidentEvent({
      incidentId: id,
      actorId: input.createdBy?.userId ?? null,
      actorName: input.createdBy?.username ?? 'pdx',
      kind: 'opened',
      ...(input.createdBy ? {} : { entry: { code: 'auto_opened', params: {} } as const }),
      details: { alertIds: input.alertIds, severity: input.severity },
    });
    for (const alertId of input.alertIds) await r.linkIncident(alertId, id);
    fx.incidents.push({ id, title: input.title, severity: input.severity, alertId: input.alertIds[0] ?? null });
    return id;
  }

  async function containTx(
    tx: Queryable,
    c: { kind: ContainmentKind; targetId: string; label?: string; minutes?: number; alertId: string | null; reason: Message; by: Principal | null },
    fx: Effects,
  ): Promise<ContainmentRow | undefined> {
    const r = secopsRepo(tx);
    if (await r.activeContainment(c.kind, c.targetId)) return undefined;
    // The secadmin's decision to lift stands for the rest of this alert; a new alert may contain again.
    if (!c.by && c.alertId && (await r.liftedForAlert(c.alertId, c.kind, c.targetId))) return undefined;
    const minutes = c.minutes ?? DEFAULT_MINUTES[c.kind];
    const until = minutes ? new Date(Date.now() + minutes * 60_000) : null;
    let label = c.label ?? null;
    // The state the auth path and the sharing module read: identity's key and account columns, and
    // for suspend_grant and freeze_dataset the containment row itself (the access context reads it).
    const held = identity.containment(tx);
    if (c.kind === 'suspend_key') label = (await held.suspendKey(c.targetId)) ?? label;
    if (c.kind === 'throttle_key') label = (await held.throttleKey(c.targetId, until!)) ?? label;
    if (c.kind === 'lock_account') label = (await held.lockAccount(c.targetId, until!)) ?? label;
    if (c.kind === 'suspend_grant') label = (await deps.share.grantLabel(c.targetId, tx)) ?? label;
    const row = await r.insertContainment({
      id: randomUUID(),
      kind: c.kind,
      targetId: c.targetId,
      label,
      alertId: c.alertId,
      reason: c.reason,
      automatic: !c.by,
      createdBy: c.by?.userId ?? null,
      until,
    });
    if (c.alertId) {
      const alert = await r.getAlert(c.alertId);
      if (alert?.incident_id) {
        const entry = { code: 'containment', params: { kind: c.kind, target: label ?? c.targetId } } as const;
        await r.addIncidentEvent({ incidentId: alert.incident_id, actorId: null, actorName: 'pdx', kind: 'action', entry, details: { containmentId: row.id } });
      }
    }
    if (c.kind === 'throttle_key' || c.kind === 'suspend_key') await notifyKeyHolder(tx, c.kind, c.targetId, until, c.reason, row.id);
    fx.contained.push(row);
    return row;
  }

  /**
   * Tells the organisation holding a contained API key what happened to it, why and until when:
   * its applications are being refused, and nobody else would tell it.
   */
  async function notifyKeyHolder(
    tx: Queryable,
    kind: 'throttle_key' | 'suspend_key',
    keyId: string,
    until: Date | null,
    reason: Message,
    containmentId: string,
  ) {
    const key = (await identity.names({ apiKeys: [keyId] }, tx)).apiKeys.get(keyId);
    if (!key) return;
    const state: Message =
      kind === 'throttle_key' && until
        ? { zh: `已限流至 ${clockTime(until)}`, en: `throttled until ${clockTime(until)}` }
        : { zh: '已暂停，待安全管理员解除', en: 'suspended until the security administrator lifts it' };
    await identity.notices(tx).notify(
      {
        kind: 'secops.key_contained',
        title: { zh: `API 密钥「${key.name}」${state.zh}：${reason.zh}`, en: `API key "${key.name}" ${state.en}: ${reason.en}` },
        body: { keyId, keyName: key.name, containment: kind, containmentId, until: until?.toISOString() ?? null, reason },
        link: '/api-keys',
      },
      { orgId: key.orgId },
    );
  }

  function deliveriesFor(alert: AlertRow, s: SecopsSettings, containment: ContainmentRow | undefined) {
    const out: { channel: 'webhook' | 'email'; target: string; payload: unknown }[] = [];
    const body = {
      type: 'pdx.secops.alert',
      alert: {
        id: alert.id,
        detector: alert.detector,
        severity: alert.severity,
        severityLabel: SEVERITY_LABELS[alert.severity],
        title: alert.title,
        summary: alert.summary,
        subject: alert.subject,
        hits: alert.hits,
        evidence: alert.evidence,
        dataset: alert.dataset,
        incidentId: alert.incident_id,
        firstSeen: alert.first_seen,
        lastSeen: alert.last_seen,
        link: link(`/secops?alert=${alert.id}`),
      },
      ...(containment
        ? {
            containment: {
              id: containment.id,
              kind: containment.kind,
              target: containment.target_id,
              label: containment.target_label,
              until: containment.until,
            },
          }
        : {}),
    };
    for (const w of s.webhooks) if (severityRank(alert.severity) >= severityRank(w.minSeverity)) out.push({ channel: 'webhook', target: w.url, payload: body });
    if (severityRank(alert.severity) >= severityRank(s.email.minSeverity)) {
      const text = [
        `${SEVERITY_LABELS[alert.severity].zh}（${SEVERITY_LABELS[alert.severity].en}）告警 / alert`,
        `${alert.title.zh} / ${alert.title.en}`,
        `${alert.summary.zh}`,
        `${alert.summary.en}`,
        `检测器 detector: ${DETECTOR_LABELS[alert.detector as DetectorName]?.zh ?? alert.detector} (${alert.detector})`,
        `对象 subject: ${alert.subject}`,
        `证据 evidence (audit seq): ${alert.evidence.join(', ')}`,
        ...(containment ? [`已自动处置 containment: ${CONTAINMENT_LABELS[containment.kind].zh} ${containment.target_label ?? containment.target_id}`] : []),
        ...(alert.incident_id ? [`安全事件 incident: ${alert.incident_id}`] : []),
        link(`/secops?alert=${alert.id}`),
      ].join('\n');
      for (const to of s.email.to)
        out.push({ channel: 'email', target: to, payload: { subject: `[pdx ${SEVERITY_LABELS[alert.severity].zh}] ${alert.title.zh}`, text } });
    }
    return out;
  }

  /** Turns a finding into an alert (or one more hit of an alert), containment, incident and notices. */
  async function raiseTx(q: Queryable, s: SecopsSettings, f: Finding & { incidentId?: string }, fx: Effects): Promise<AlertRow> {
    const r = secopsRepo(q);
    const existing = await r.openAlertFor(f.detector, f.subject, new Date(Date.now() - s.dedupeMinutes * 60_000));
    let alert: AlertRow;
    let notify: boolean;
    if (existing) {
      const severity = maxSeverity(existing.severity, f.severity);
      notify = severity !== existing.severity;
      alert = await r.foldIntoAlert(existing.id, { severity, title: f.title, summary: f.summary, facts: f.facts, seq: f.seq ?? null });
    } else {
      alert = await r.insertAlert({
        id: randomUUID(),
        detector: f.detector,
        subject: f.subject,
        severity: f.severity,
        title: f.title,
        summary: f.summary,
        facts: f.facts,
        evidence: f.seq !== undefined ? [f.seq] : [],
        dataset: f.dataset ?? null,
        orgId: f.orgId ?? null,
        names: f.names ?? {},
      });
      notify = true;
    }
    await r.insertHit(f.detector, alert.id, f.seq ?? null);
    if (notify && !alert.incident_id) {
      if (f.incidentId) {
        await r.linkIncident(alert.id, f.incidentId);
      } else if (s.autoIncidentSeverity !== 'none' && severityRank(alert.severity) >= severityRank(s.autoIncidentSeverity)) {
        await openIncidentTx(
          r,
          s,
          { title: alert.title.zh, titleMessage: alert.title, severity: alert.severity, description: alert.summary.zh, createdBy: null, alertIds: [alert.id] },
          fx,
        );
      }
      alert = (await r.getAlert(alert.id))!;
    }
    // The reason names the dataset too: the key holder's notice quotes it.
    const on = alert.names.dataset ? { zh: `（数据资源：${alert.names.dataset}）`, en: ` (dataset: ${alert.names.dataset})` } : { zh: '', en: '' };
    const containment = f.contain
      ? await containTx(
          q,
          { ...f.contain, alertId: alert.id, reason: { zh: `自动处置：${alert.title.zh}${on.zh}`, en: `Automatic: ${alert.title.en}${on.en}` }, by: null },
          fx,
        )
      : undefined;
    if (notify) {
      const dataset = alert.dataset ? await catalog.readIn(q).byCode(alert.dataset) : undefined;
      // A notice names what it is about: the dataset and the organisation whose key or account acted.
      const consumer =
        alert.org_id && alert.org_id !== dataset?.provider_org_id
          ? (await identity.names({ orgs: [alert.org_id] }, q)).orgs.get(alert.org_id)?.name
          : undefined;
      const about = [
        ...(dataset ? [{ zh: `数据资源：${dataset.name}`, en: `dataset: ${dataset.name}` }] : []),
        ...(consumer ? [{ zh: `使用方：${consumer}`, en: `consumer: ${consumer}` }] : []),
      ];
      const suffix = about.length ? { zh: `（${about.map((a) => a.zh).join('；')}）`, en: ` (${about.map((a) => a.en).join('; ')})` } : { zh: '', en: '' };
      // To every secadmin (linked to the alert) and the provider's data officers (linked to their dataset: they have no security pages).
      await identity.notices(q).notify(
        {
          kind: 'secops.alert',
          title: {
            zh: `【${SEVERITY_LABELS[alert.severity].zh}】${alert.title.zh}${suffix.zh}`,
            en: `[${SEVERITY_LABELS[alert.severity].en}] ${alert.title.en}${suffix.en}`,
          },
          body: {
            alertId: alert.id,
            severity: alert.severity,
            summary: alert.summary,
            incidentId: alert.incident_id,
            ...(dataset ? { datasetName: dataset.name } : {}),
            ...(consumer ? { consumerOrg: consumer } : {}),
            ...(containment ? { containment: containment.kind } : {}),
          },
          link: `/secops?alert=${alert.id}`,
        },
        {
          role: 'secadmin',
          ...(dataset ? { orgRole: { orgId: dataset.provider_org_id, role: 'data_officer', link: `/datasets/${alert.dataset}` } } : {}),
        },
      );
      for (const d of deliveriesFor(alert, s, containment))
        await r.insertDelivery({ id: randomUUID(), alertId: alert.id, incidentId: alert.incident_id, ...d });
      fx.alerts.push(alert);
    }
    return alert;
  }

  /** Writes the audit events of a committed transaction and wakes streams and deliveries. */
  async function publish(fx: Effects, caller?: Caller): Promise<void> {
    for (const a of fx.alerts) {
      await record(undefined, {
        action: 'secops.alert',
        result: 'success',
        target: { type: 'secops_alert', id: a.id, label: a.title.zh },
        ...(a.dataset ? { dataset: a.dataset } : {}),
        details: { detector: a.detector, severity: a.severity, subject: a.subject, hits: a.hits, evidence: a.evidence, incidentId: a.incident_id },
      });
    }
    for (const c of fx.contained) {
      await record(caller, {
        action: 'secops.contain',
        result: 'success',
        target: { type: c.kind, id: c.target_id, ...(c.target_label ? { label: c.target_label } : {}) },
        details: { containmentId: c.id, kind: c.kind, automatic: c.automatic, alertId: c.alert_id, until: c.until?.toISOString() ?? null },
      });
    }
    for (const i of fx.incidents) {
      await record(caller, {
        action: 'secops.incident_open',
        result: 'success',
        target: { type: 'secops_incident', id: i.id, label: i.title },
        details: { severity: i.severity, alertId: i.alertId },
      });
    }
    if (fx.alerts.length || fx.contained.length || fx.incidents.length) changes.emit('change');
  }

  // ---- the worker -----------------------------------------------------------------------------

  /** Handles the next batch of audit records; returns how many were read. */
  async function processBatch(): Promise<number> {
    const fx = noEffects();
    const s = await loadSettings(db);
    const n = await db.transaction(async (tx) => {
      const r = secopsRepo(tx);
      const cursor = await r.lockCursor('detectors');
      const records = await deps.audit.recordsAfter(tx, cursor, s.batchSize);
      if (!records.length) return 0;
      const grades = new Map<string, Map<string, number>>();
      const actors = new Map<string, AlertNames | undefined>();
      const datasets = new Map<string, string | undefined>();
      const read = catalog.readIn(tx);
      const ctx = {
        q: tx,
        counts: deps.audit.detectorCounts(tx),
        settings: s,
        eventTime: await batchEventTime(r, records),
        async columnGrades(code: string) {
          let g = grades.get(code);
          if (!g) grades.set(code, (g = new Map((await read.columnGrades(code)).map((c) => [c.name, c.grade ?? 0]))));
          return g;
        },
        // Per batch: a burst is many records of one key, named once.
        async actorNames(rec: AuditRecord) {
          const id = rec.actorApiKeyId ? `key:${rec.actorApiKeyId}` : `user:${rec.actorUserId ?? ''}`;
          if (!actors.has(id)) actors.set(id, await actorNames(tx, rec.actorApiKeyId, rec.actorUserId));
          return actors.get(id);
        },
        async datasetName(code: string) {
          if (!datasets.has(code)) datasets.set(code, (await read.byCode(code))?.name);
          return datasets.get(code);
        },
      };
      // One statement counts the batch's usage; each record then sees its own running total.
      const batch = { ...ctx, usage: await countUsage(records, ctx), baseline: new Map() };
      for (const rec of records) for (const finding of await detect(rec, batch)) await raiseTx(tx, s, finding, fx);
      await r.moveCursor('detectors', records.at(-1)!.seq);
      return records.length;
    });
    await publish(fx);
    return n;
  }

  /** Verifies the audit chain if the configured interval has passed since any process last did. */
  async function verifyChainIfDue(force = false): Promise<void> {
    const s = await loadSettings(db);
    if (!s.detectors.auditChain.enabled && !force) return;
    const due = await db.transaction(async (tx) => {
      const r = secopsRepo(tx);
      const last = await r.tryLockCursor('audit_verify');
      if (!last) return false;
      const t = now().getTime();
      if (!force && t - Number(last.seq) < s.detectors.auditChain.everyMinutes * 60_000) return false;
      await r.moveCursor('audit_verify', t);
      return true;
    });
    if (!due) return;
    const report = await deps.audit.verify();
    if (report.ok) return;
    const fx = noEffects();
    await db.transaction((tx) =>
      raiseTx(
        tx,
        s,
        {
          detector: 'auditChain',
          subject: 'audit',
          severity: 'major',
          title: { zh: '审计日志链校验失败', en: 'Audit chain verification failed' },
          summary: {
            zh: `第一个异常记录序号 ${report.firstBadSeq ?? '?'}：${report.reason ?? ''}`,
            en: `First bad record seq ${report.firstBadSeq ?? '?'}: ${report.reason ?? ''}`,
          },
          facts: { ...report },
          ...(report.firstBadSeq !== undefined ? { seq: report.firstBadSeq } : {}),
        },
        fx,
      ),
    );
    await publish(fx);
  }

  /** Warns (alert + notice + timeline) when a report deadline is within the configured margin. */
  async function checkReportClocks(): Promise<void> {
    const s = await loadSettings(db);
    const fx = noEffects();
    await db.transaction(async (tx) => {
      const r = secopsRepo(tx);
      for (const which of ['first', 'final'] as const) {
        for (const i of await r.dueForWarning(which, now(), s.reporting.warnBeforeMinutes * 60_000)) {
          const due = which === 'first' ? i.first_report_due! : i.final_report_due!;
          const minutes = Math.round((due.getTime() - now().getTime()) / 60_000);
          await r.markWarned(i.id, which);
          const what = which === 'first' ? { zh: '首次报告', en: 'first report' } : { zh: '最终报告', en: 'final report' };
          await r.addIncidentEvent({
            incidentId: i.id,
            actorId: null,
            actorName: 'pdx',
            kind: 'warning',
            entry: { code: 'deadline_warning', params: { which, minutes } },
            details: { which, due },
          });
          await raiseTx(
            tx,
            s,
            {
              detector: 'reportClock',
              subject: `incident:${i.id}:${which}`,
              severity: i.severity,
              title: { zh: `安全事件「${i.title}」${what.zh}时限临近`, en: `Incident "${i.title}": ${what.en} due soon` },
              summary: {
                zh:
                  minutes >= 0 ? `剩余 ${minutes} 分钟（截止 ${due.toISOString()}），请向省网信办报告` : `已超时 ${-minutes} 分钟（截止 ${due.toISOString()}）`,
                en:
                  minutes >= 0
                    ? `${minutes} minutes left (due ${due.toISOString()}): report to the provincial cyberspace office`
                    : `Overdue by ${-minutes} minutes (due ${due.toISOString()})`,
              },
              facts: { incidentId: i.id, which, due, minutesLeft: minutes },
              incidentId: i.id,
            },
            fx,
          );
        }
      }
    });
    await publish(fx);
  }

  /** A webhook goes over http(s) to an address pdx may contact (not loopback, link-local, metadata …). */
  async function checkWebhookUrl(field: string, text: string): Promise<void> {
    const url = URL.canParse(text) ? new URL(text) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new BadRequestError('invalid_webhook_url', { zh: `${field} 须为 http 或 https 地址`, en: `${field} must be an http or https URL` }, { field });
    }
    await deps.egress.checkHost(field, url.hostname, portOf(url));
  }

  /** A webhook delivery over a connection to the address the egress guard checked at connect time. */
  async function sendGuarded(d: DeliveryRow, secret: string | undefined, timeoutMs: number) {
    const agent = new Agent({ connect: { lookup: deps.egress.lookupFor('webhooks.url', portOf(new URL(d.target))) } });
    try {
      return await sendWebhook(d, secret, timeoutMs, agent);
    } finally {
      await agent.close();
    }
  }

  /** Sends due deliveries (this process's share of them) and schedules retries with backoff. */
  async function deliverDue(): Promise<number> {
    const s = await loadSettings(db);
    const due = await secopsRepo(db).claimDeliveries(20, Math.max(60_000, s.delivery.timeoutMs * 2));
    const r = secopsRepo(db);
    await Promise.all(
      due.map(async (d) => {
        let result;
        if (d.channel === 'webhook') {
          const sealed = s.webhooks.find((w) => w.url === d.target)?.sealedSecret;
          const secret = sealed && deps.sealer ? deps.sealer.unseal(Buffer.from(sealed, 'base64')).toString('utf8') : undefined;
          result = await sendGuarded(d, secret, s.delivery.timeoutMs);
        } else {
          result = await mailer.send(d, s.delivery.timeoutMs);
        }
        if (result.ok) await r.deliverySent(d.id, result.status);
        else
          await r.deliveryFailed(
            d.id,
            result.status,
            result.error ?? 'failed',
            d.attempts >= s.delivery.maxAttempts ? null : s.delivery.retryBaseMs * 2 ** (d.attempts - 1),
          );
      }),
    );
    return due.length;
  }

  /** One pass of everything the worker does. */
  async function tick(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const n = await processBatch();
      if (n < (await loadSettings(db)).batchSize) break;
    }
    await verifyChainIfDue();
    await checkReportClocks();
    await deliverDue();
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  function schedule(ms: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch(onError)
        .then(async () => schedule((await loadSettings(db).catch(() => undefined))?.intervalMs ?? 2000));
    }, ms);
    timer.unref?.();
  }

  // ---- incidents ------------------------------------------------------------------------------

  /** Incidents with their owners' names (identity's), read in one statement for them all. */
  async function namedIncidents(rows: StoredIncidentRow[]): Promise<IncidentRow[]> {
    const owners = rows.flatMap((i) => (i.owner_id ? [i.owner_id] : []));
    const { users } = await identity.names({ users: owners });
    return rows.map((i) => ({ ...i, owner_name: i.owner_id ? (users.get(i.owner_id)?.displayName ?? null) : null }));
  }

  async function requireIncident(id: string): Promise<IncidentRow> {
    const incident = await secopsRepo(db).getIncident(id);
    if (!incident) throw new NotFoundError(INCIDENT);
    return (await namedIncidents([incident]))[0]!;
  }

  function clockOf(due: Date | null, done: Date | null) {
    if (!due) return null;
    return { due, reportedAt: done, remainingMs: done ? null : due.getTime() - now().getTime(), overdue: !done && due.getTime() < now().getTime() };
  }

  async function incidentDetail(id: string) {
    const r = secopsRepo(db);
    const incident = await requireIncident(id);
    return {
      incident,
      clocks: { first: clockOf(incident.first_report_due, incident.first_reported_at), final: clockOf(incident.final_report_due, incident.final_reported_at) },
      timeline: await r.incidentEvents(id),
      alerts: await r.incidentAlerts(id),
    };
  }

  /** A timeline entry by the caller: what it typed (`text`), or an `entry` the platform words (a severity change). */
  async function timeline(caller: Caller, id: string, kind: string, text: string, details: Record<string, unknown> = {}, entry?: TimelineEntry) {
    await secopsRepo(db).addIncidentEvent({
      incidentId: id,
      actorId: caller.principal.userId,
      actorName: caller.principal.username,
      kind,
      text,
      details,
      ...(entry ? { entry } : {}),
    });
    await record(caller, {
      action: `secops.incident_${kind}`,
      result: 'success',
      target: { type: 'secops_incident', id },
      details: { text: text.slice(0, 500), ...details },
    });
    changes.emit('change');
  }

  const service = {
    changes,
    processBatch,
    verifyChainIfDue,
    checkReportClocks,
    deliverDue,
    tick,

    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      mailer.close();
    },

    // ---- settings ----
    async getSettings() {
      return loadSettings(db);
    },
    /** Replaces the settings; a webhook given without `secret` keeps the secret it had (same URL). */
    async putSettings(caller: Caller, input: unknown) {
      const before = await loadSettings(db);
      const raw = input as { webhooks?: { url: string; secret?: string; minSeverity?: Severity }[] } & Record<string, unknown>;
      for (const [i, w] of (raw.webhooks ?? []).entries()) await checkWebhookUrl(`webhooks[${i}].url`, w.url);
      const webhooks = (raw.webhooks ?? []).map((w) => {
        const kept = before.webhooks.find((b) => b.url === w.url)?.sealedSecret;
        if (w.secret && !deps.sealer) throw new BadRequestError('no_sealer', { zh: '无法加密保存 Webhook 密钥', en: 'Webhook secrets cannot be sealed' });
        const sealedSecret = w.secret ? deps.sealer!.seal(Buffer.from(w.secret, 'utf8')).toString('base64') : kept;
        return { url: w.url, minSeverity: w.minSeverity ?? 'general', ...(sealedSecret ? { sealedSecret } : {}) };
      });
      const parsed = settingsSchema.safeParse({ ...raw, webhooks });
      if (!parsed.success) {
        const field = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
        throw new BadRequestError(
          'invalid_settings',
          { zh: `安全运营设置无效：${field}`, en: `Invalid security settings: ${field}` },
          { issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) },
        );
      }
      await saveSettings(db, parsed.data);
      await record(caller, {
        action: 'secops.settings_change',
        result: 'success',
        target: { type: 'setting', id: 'secops.settings' },
        details: { webhooks: parsed.data.webhooks.map((w) => w.url), email: parsed.data.email.to.length },
      });
      return parsed.data;
    },

    // ---- alerts ----
    /** Alerts nobody has acknowledged or closed (the secadmin's 工作台). */
    openAlertCount: () => secopsRepo(db).openAlertCount(),
    listAlerts: (f: { state?: string; severity?: string; detector?: string; limit?: number }) => secopsRepo(db).listAlerts({ ...f, limit: f.limit ?? 100 }),
    alertsChangedSince: (version: number, limit = 100) => secopsRepo(db).alertsChangedSince(version, limit),
    async getAlert(id: string) {
      const alert = await secopsRepo(db).getAlert(id);
      if (!alert) throw new NotFoundError(ALERT);
      return alert;
    },
    async setAlertState(caller: Caller, id: string, state: 'acknowledged' | 'closed') {
      if (!(await secopsRepo(db).setAlertState(id, state, caller.principal.userId))) throw new NotFoundError(ALERT);
      await record(caller, { action: state === 'closed' ? 'secops.alert_close' : 'secops.alert_ack', result: 'success', target: { type: 'secops_alert', id } });
      changes.emit('change');
      return service.getAlert(id);
    },

    // ---- containment ----
    listContainments: (activeOnly: boolean) => secopsRepo(db).listContainments(activeOnly, 200),
    /** The secadmin's own containment (the same actions a detector can take). */
    async contain(caller: Caller, input: { kind: ContainmentKind; targetId: string; reason: string; minutes?: number; alertId?: string }) {
      const fx = noEffects();
      const row = await db.transaction((tx) =>
        containTx(
          tx,
          {
            kind: input.kind,
            targetId: input.targetId,
            ...(input.minutes ? { minutes: input.minutes } : {}),
            alertId: input.alertId ?? null,
            reason: { zh: input.reason, en: input.reason },
            by: caller.principal,
          },
          fx,
        ),
      );
      if (!row) throw new ConflictError('already_contained', { zh: '该对象已处于此处置状态', en: 'This target is already contained that way' });
      await publish(fx, caller);
      return row;
    },
    /** Undoes a containment (automatic or manual); recorded with the reason. */
    async lift(caller: Caller, id: string, reason: string) {
      const row = await db.transaction(async (tx) => {
        const r = secopsRepo(tx);
        const current = await r.getContainment(id);
        if (!current) throw new NotFoundError(CONTAINMENT);
        const lifted = await r.liftContainment(id, caller.principal.userId, reason);
        if (!lifted) throw new ConflictError('already_lifted', { zh: '该处置措施已解除', en: 'This containment was already lifted' });
        // Another active containment of the same key or account keeps its state in place.
        if (!(await r.activeContainment(lifted.kind, lifted.target_id))) {
          const held = identity.containment(tx);
          if (lifted.kind === 'suspend_key') await held.unsuspendKey(lifted.target_id);
          if (lifted.kind === 'throttle_key') await held.unthrottleKey(lifted.target_id);
          if (lifted.kind === 'lock_account') await held.unlockAccount(lifted.target_id);
        }
        return lifted;
      });
      await record(caller, {
        action: 'secops.contain_lift',
        result: 'success',
        target: { type: row.kind, id: row.target_id, ...(row.target_label ? { label: row.target_label } : {}) },
        details: { containmentId: id, reason },
      });
      changes.emit('change');
      return row;
    },

    /**
     * From now on, for `minutes`, the detectors judge the records of one API key as if they happened
     * at `at` plus the time passed since: a demonstration replays a night at 03:00 on any time of day.
     * The audit records keep their true stamps; the clock itself is recorded.
     */
    async declareReplayClock(caller: Caller, input: { apiKeyId: string; keyName: string; at: Date; minutes: number; note: string }) {
      const realStart = new Date();
      const realEnd = new Date(realStart.getTime() + input.minutes * 60_000);
      await secopsRepo(db).insertReplayClock({ id: randomUUID(), apiKeyId: input.apiKeyId, realStart, realEnd, replayStart: input.at, note: input.note });
      await record(caller, {
        action: 'secops.replay_clock',
        result: 'success',
        target: { type: 'api_key', id: input.apiKeyId, label: input.keyName },
        details: { replayStart: input.at.toISOString(), realStart: realStart.toISOString(), realEnd: realEnd.toISOString(), note: input.note },
      });
    },
    /** The latest alert of a detector on a subject (`key:<id>`, `user:<id>` …), if any. */
    latestAlertFor: (detector: DetectorName, subject: string) => secopsRepo(db).latestAlertFor(detector, subject),

    listDeliveries: (alertId?: string) => secopsRepo(db).listDeliveries(200, alertId),

    // ---- incidents ----
    listIncidents: async (state?: string) => namedIncidents(await secopsRepo(db).listIncidents(state ?? null, 200)),
    incidentDetail,
    async openIncident(caller: Caller, input: { title: string; severity: Severity; description: string; alertIds: string[] }) {
      const s = await loadSettings(db);
      for (const alertId of input.alertIds) {
        const alert = await secopsRepo(db).getAlert(alertId);
        if (!alert) throw new BadRequestError('unknown_alert', { zh: `告警不存在：${alertId}`, en: `Unknown alert: ${alertId}` }, { field: 'alertIds' });
        if (alert.incident_id)
          throw new ConflictError(
            'alert_has_incident',
            { zh: '该告警已关联安全事件', en: 'This alert already belongs to an incident' },
            { incidentId: alert.incident_id },
          );
      }
      const fx = noEffects();
      const id = await db.transaction((tx) => openIncidentTx(secopsRepo(tx), s, { ...input, createdBy: caller.principal }, fx));
      await publish(fx, caller);
      return incidentDetail(id);
    },
    /** Moves an incident forward through 发现 → 研判 → 处置 → 恢复 → 总结; closing needs the summary. */
    async transition(caller: Caller, id: string, input: { state: IncidentState; note: string; summary?: string }) {
      const incident = await requireIncident(id);
      if (INCIDENT_STATES.indexOf(input.state) <= INCIDENT_STATES.indexOf(incident.state)) {
        throw new ConflictError(
          'invalid_transition',
          {
            zh: `安全事件只能向后推进（当前：${STATE_LABELS[incident.state].zh}）`,
            en: `An incident only moves forward (now: ${STATE_LABELS[incident.state].en})`,
          },
          { state: incident.state },
        );
      }
      const summary = input.summary ?? incident.summary;
      if (input.state === 'closed' && !summary.trim()) {
        throw new BadRequestError('summary_required', { zh: '进入总结阶段须填写事件总结', en: 'Closing an incident needs its summary' }, { field: 'summary' });
      }
      await secopsRepo(db).updateIncident(id, { state: input.state, ...(input.summary !== undefined ? { summary: input.summary } : {}) });
      await timeline(caller, id, 'state', input.note, { from: incident.state, to: input.state });
      return incidentDetail(id);
    },
    async assign(caller: Caller, id: string, ownerId: string) {
      await requireIncident(id);
      const user = (await identity.names({ users: [ownerId] })).users.get(ownerId);
      if (!user) throw new BadRequestError('unknown_user', { zh: '负责人不存在', en: 'Unknown owner' }, { field: 'ownerId' });
      await secopsRepo(db).updateIncident(id, { ownerId });
      await timeline(caller, id, 'owner', user.username, { ownerId });
      return incidentDetail(id);
    },
    async addAction(caller: Caller, id: string, input: { kind: 'action' | 'note'; text: string }) {
      await requireIncident(id);
      await timeline(caller, id, input.kind, input.text);
      return incidentDetail(id);
    },
    /** Records that the first or final report went to the provincial cyberspace office. */
    async reported(caller: Caller, id: string, input: { kind: 'first' | 'final'; note: string }) {
      const incident = await requireIncident(id);
      if ((input.kind === 'first' ? incident.first_reported_at : incident.final_reported_at) !== null) {
        throw new ConflictError('already_reported', { zh: '该报告已登记', en: 'This report is already recorded' });
      }
      await secopsRepo(db).markReported(id, input.kind);
      await timeline(caller, id, 'report', input.note, { which: input.kind });
      return incidentDetail(id);
    },
    async changeSeverity(caller: Caller, id: string, severity: Severity) {
      const incident = await requireIncident(id);
      const s = await loadSettings(db);
      const clocked = severityRank(severity) >= severityRank('significant');
      const opened = incident.opened_at.getTime();
      await secopsRepo(db).updateIncident(id, {
        severity,
        firstDue: clocked ? new Date(opened + s.reporting.firstReportHours * 3_600_000) : null,
        finalDue: clocked ? new Date(opened + s.reporting.finalReportDays * 86_400_000) : null,
      });
      await timeline(
        caller,
        id,
        'severity',
        '',
        { from: incident.severity, to: severity },
        { code: 'severity', params: { from: incident.severity, to: severity } },
      );
      return incidentDetail(id);
    },
    async report(caller: Caller, id: string, format: 'md' | 'html') {
      const detail = await incidentDetail(id);
      await record(caller, { action: 'secops.incident_export', result: 'success', target: { type: 'secops_incident', id }, details: { format } });
      return incidentReport(detail, format, now());
    },

    // ---- dashboard ----
    async dashboard() {
      const r = secopsRepo(db);
      const since = new Date(now().getTime() - 24 * 3_600_000);
      const [alerts, incidents, hits, consumers, assets, live] = await Promise.all([
        r.alertsBySeverity(),
        r.incidentsByState(),
        r.hitsByHour(since),
        sensitiveConsumers(new Date(now().getTime() - 30 * 86_400_000), 10),
        catalog.assetsByProviderAndGrade(),
        r.listAlerts({ limit: 20 }),
      ]);
      return { alerts, incidents, hits, consumers, assets, live };
    },
  };
  return service;
}

export type SecopsService = ReturnType<typeof createSecopsService>;
