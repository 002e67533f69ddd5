/**
 * Security operations endpoints, for the security administrator: detector settings, alerts (list,
 * live stream, acknowledge, close), containment (list, act, undo), deliveries, incidents (workflow,
 * timeline, reports, document export) and the dashboard's figures.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AlertRow, ContainmentRow, DeliveryRow, IncidentRow } from './secops.repo.ts';
import { INCIDENT_STATES } from './secops.repo.ts';
import type { SecopsService } from './secops.service.ts';
import { CONTAINMENT_KINDS, SETTINGS_JSON_SCHEMA, SEVERITIES, type SecopsSettings } from './secops.settings.ts';
import { COMMON_ERRORS, callerOf } from '../../http/kit.ts';
import { timelineMessage } from './timeline.ts';

const errors = COMMON_ERRORS;
const SECADMIN = { roles: ['secadmin'] as const };
const message = z.object({ zh: z.string(), en: z.string() });
const id = z.object({ id: z.uuid() });
const severity = z.enum(SEVERITIES);

const alertSchema = z.object({
  id: z.string(),
  detector: z.string(),
  subject: z.string(),
  severity,
  state: z.enum(['open', 'acknowledged', 'closed']),
  title: message,
  summary: message,
  facts: z.record(z.string(), z.unknown()),
  evidence: z.array(z.number()),
  hits: z.number(),
  dataset: z.string().nullable(),
  orgId: z.string().nullable(),
  incidentId: z.string().nullable(),
  names: z
    .object({ actor: z.string().optional(), actorKind: z.enum(['key', 'user']).optional(), org: z.string().optional(), dataset: z.string().optional() })
    .describe('names of the key or person, organisation and dataset as they stood when the alert was raised'),
  firstSeen: z.date(),
  lastSeen: z.date(),
  updatedAt: z.date(),
});
export const alertOut = (a: AlertRow): z.infer<typeof alertSchema> => ({
  id: a.id,
  detector: a.detector,
  subject: a.subject,
  severity: a.severity,
  state: a.state,
  title: a.title,
  summary: a.summary,
  facts: a.facts,
  evidence: a.evidence,
  hits: a.hits,
  dataset: a.dataset,
  orgId: a.org_id,
  incidentId: a.incident_id,
  names: a.names ?? {},
  firstSeen: a.first_seen,
  lastSeen: a.last_seen,
  updatedAt: a.updated_at,
});

const containmentSchema = z.object({
  id: z.string(),
  kind: z.enum(CONTAINMENT_KINDS),
  targetId: z.string(),
  targetLabel: z.string().nullable(),
  alertId: z.string().nullable(),
  reason: message,
  automatic: z.boolean(),
  createdAt: z.date(),
  until: z.date().nullable(),
  liftedAt: z.date().nullable(),
  liftReason: z.string().nullable(),
  active: z.boolean(),
});
const containmentOut = (c: ContainmentRow) => ({
  id: c.id,
  kind: c.kind,
  targetId: c.target_id,
  targetLabel: c.target_label,
  alertId: c.alert_id,
  reason: c.reason,
  automatic: c.automatic,
  createdAt: c.created_at,
  until: c.until,
  liftedAt: c.lifted_at,
  liftReason: c.lift_reason,
  active: !c.lifted_at && (!c.until || c.until > new Date()),
});

const deliverySchema = z.object({
  id: z.string(),
  alertId: z.string().nullable(),
  channel: z.enum(['webhook', 'email']),
  target: z.string(),
  state: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number(),
  nextAt: z.date(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
});
const deliveryOut = (d: DeliveryRow) => ({
  id: d.id,
  alertId: d.alert_id,
  channel: d.channel,
  target: d.target,
  state: d.state,
  attempts: d.attempts,
  nextAt: d.next_at,
  lastStatus: d.last_status,
  lastError: d.last_error,
  createdAt: d.created_at,
  sentAt: d.sent_at,
});

const incidentSchema = z.object({
  id: z.string(),
  title: z.string(),
  titleMessage: message.nullable().describe('平台由告警自动立案时，立案时告警标题的中英文表述（title 为其中文）；人工创建的事件为 null'),
  severity,
  state: z.enum(INCIDENT_STATES as [string, ...string[]]),
  ownerId: z.string().nullable(),
  ownerName: z.string().nullable(),
  description: z.string(),
  summary: z.string(),
  openedAt: z.date(),
  closedAt: z.date().nullable(),
  firstReportDue: z.date().nullable(),
  firstReportedAt: z.date().nullable(),
  finalReportDue: z.date().nullable(),
  finalReportedAt: z.date().nullable(),
});
const incidentOut = (i: IncidentRow) => ({
  id: i.id,
  title: i.title,
  titleMessage: i.title_message,
  severity: i.severity,
  state: i.state,
  ownerId: i.owner_id,
  ownerName: i.owner_name,
  description: i.description,
  summary: i.summary,
  openedAt: i.opened_at,
  closedAt: i.closed_at,
  firstReportDue: i.first_report_due,
  firstReportedAt: i.first_reported_at,
  finalReportDue: i.final_report_due,
  finalReportedAt: i.final_reported_at,
});
const clockSchema = z.object({ due: z.date(), reportedAt: z.date().nullable(), remainingMs: z.number().nullable(), overdue: z.boolean() }).nullable();
const detailSchema = z.object({
  incident: incidentSchema,
  clocks: z.object({ first: clockSchema, final: clockSchema }),
  timeline: z.array(
    z.object({
      id: z.number(),
      at: z.date(),
      actorName: z.string().nullable(),
      kind: z.string(),
      text: z.string().describe('填写人的说明；平台写入的早期条目为中文句子'),
      message: message.nullable().describe('平台写入的条目（自动立案、处置措施、时限提醒、级别变更）的中英文表述；人填写的条目为 null'),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
  alerts: z.array(alertSchema),
});
type Detail = Awaited<ReturnType<SecopsService['incidentDetail']>>;
const detailOut = (d: Detail): z.infer<typeof detailSchema> => ({
  incident: incidentOut(d.incident),
  clocks: d.clocks,
  timeline: d.timeline.map((e) => ({
    id: Number(e.id),
    at: e.at,
    actorName: e.actor_name,
    kind: e.kind,
    text: e.text,
    message: timelineMessage(e.code, e.params),
    details: e.details,
  })),
  alerts: d.alerts.map(alertOut),
});

/** Settings as shown: webhook secrets never leave the server, only whether one is set. */
const settingsOut = (s: SecopsSettings) => ({
  ...s,
  webhooks: s.webhooks.map((w) => ({ url: w.url, minSeverity: w.minSeverity, hasSecret: Boolean(w.sealedSecret) })),
});

export function secopsRoutes(deps: { secops: SecopsService }): FastifyPluginAsyncZod {
  const { secops } = deps;
  return async (app) => {
    // Live streams end when the server closes, so shutdown does not wait on open connections.
    const streams = new Set<() => void>();
    app.addHook('onClose', async () => {
      for (const end of streams) end();
    });

    // ---- settings ----
    app.get(
      '/secops/settings',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Detector, containment and notification settings / 安全运营设置',
          response: { 200: z.record(z.string(), z.unknown()), ...errors },
        },
      },
      async () => settingsOut(await secops.getSettings()),
    );
    app.get(
      '/secops/settings/schema',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'JSON Schema of the settings: types, limits and defaults of every field (the console builds its forms from it) / 安全运营设置的字段说明',
          response: { 200: z.record(z.string(), z.unknown()), ...errors },
        },
      },
      async () => SETTINGS_JSON_SCHEMA,
    );
    app.put(
      '/secops/settings',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Replace the settings (webhook secret write-only; omitted: kept) / 修改安全运营设置',
          body: z
            .object({
              webhooks: z
                .array(z.object({ url: z.url(), secret: z.string().min(16).max(256).optional(), minSeverity: severity.optional() }))
                .max(20)
                .optional(),
            })
            .catchall(z.unknown()),
          response: { 200: z.record(z.string(), z.unknown()), ...errors },
        },
      },
      async (request) => settingsOut(await secops.putSettings(callerOf(request), request.body)),
    );

    // ---- alerts ----
    app.get(
      '/secops/alerts',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Alerts, newest change first; `since` (a version from a previous answer) gives only changes / 告警列表',
          querystring: z.object({
            state: z.enum(['open', 'acknowledged', 'closed']).optional(),
            severity: severity.optional(),
            detector: z.string().max(64).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ items: z.array(alertSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await secops.listAlerts(request.query)).map(alertOut) }),
    );
    app.get(
      '/secops/alerts/stream',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Live alerts as server-sent events (event: alert) / 实时告警流',
          querystring: z.object({ since: z.coerce.number().int().min(0).optional() }),
        },
      },
      async (request, reply) => {
        const interval = Math.min((await secops.getSettings()).intervalMs, 5000);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        // Without `since`: the alerts changed in the last day first, then every change.
        let version = request.query.since ?? (Date.now() - 86_400_000) * 1000;
        let closed = false;
        let wake: (() => void) | undefined;
        const onChange = () => wake?.();
        secops.changes.on('change', onChange);
        const end = () => {
          closed = true;
          wake?.();
        };
        streams.add(end);
        request.raw.on('close', end);
        res.write(': pdx secops alerts\n\n');
        try {
          while (!closed) {
            // Polls the database too: alerts raised by another pdx process appear here as well.
            for (const a of await secops.alertsChangedSince(version, 100)) {
              version = Math.max(version, a.version);
              res.write(`id: ${a.version}\nevent: alert\ndata: ${JSON.stringify(alertOut(a))}\n\n`);
            }
            res.write(': keep-alive\n\n');
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, interval);
              wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
          }
        } catch (e) {
          request.log.warn({ err: e }, 'alert stream ended');
        } finally {
          secops.changes.off('change', onChange);
          streams.delete(end);
          res.end();
        }
      },
    );
    app.get(
      '/secops/alerts/:id',
      {
        config: { access: SECADMIN },
        schema: { tags: ['secops'], summary: 'One alert with its evidence / 告警详情', params: id, response: { 200: alertSchema, ...errors } },
      },
      async (request) => alertOut(await secops.getAlert(request.params.id)),
    );
    for (const [path, state] of [
      ['ack', 'acknowledged'],
      ['close', 'closed'],
    ] as const) {
      app.post(
        `/secops/alerts/:id/${path}`,
        {
          config: { access: SECADMIN },
          schema: {
            tags: ['secops'],
            summary: `${state === 'closed' ? 'Close' : 'Acknowledge'} an alert / ${state === 'closed' ? '关闭' : '确认'}告警`,
            params: id,
            response: { 200: alertSchema, ...errors },
          },
        },
        async (request) => alertOut(await secops.setAlertState(callerOf(request), request.params.id, state)),
      );
    }

    // ---- containment ----
    app.get(
      '/secops/containments',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Containment actions, automatic and manual / 处置措施',
          querystring: z.object({ active: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ items: z.array(containmentSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await secops.listContainments(request.query.active === 'true')).map(containmentOut) }),
    );
    app.post(
      '/secops/containments',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Contain by hand: throttle or suspend a key, suspend a grant, freeze a dataset, lock an account / 手动处置',
          body: z.object({
            kind: z.enum(CONTAINMENT_KINDS),
            targetId: z.uuid().describe('the API key, grant, dataset or user id'),
            reason: z.string().min(1).max(1000),
            minutes: z.number().int().min(1).max(525_600).optional(),
            alertId: z.uuid().optional(),
          }),
          response: { 201: containmentSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(containmentOut(await secops.contain(callerOf(request), request.body))),
    );
    app.post(
      '/secops/containments/:id/lift',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Undo a containment / 解除处置',
          params: id,
          body: z.object({ reason: z.string().min(1).max(1000) }),
          response: { 200: containmentSchema, ...errors },
        },
      },
      async (request) => containmentOut(await secops.lift(callerOf(request), request.params.id, request.body.reason)),
    );

    app.get(
      '/secops/deliveries',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Webhook and e-mail delivery log / 通知投递记录',
          querystring: z.object({ alert: z.uuid().optional() }),
          response: { 200: z.object({ items: z.array(deliverySchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await secops.listDeliveries(request.query.alert)).map(deliveryOut) }),
    );

    // ---- incidents ----
    app.get(
      '/secops/incidents',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Incidents / 安全事件',
          querystring: z.object({ state: z.enum(INCIDENT_STATES as [string, ...string[]]).optional() }),
          response: { 200: z.object({ items: z.array(incidentSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await secops.listIncidents(request.query.state)).map(incidentOut) }),
    );
    app.post(
      '/secops/incidents',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Open an incident by hand or from alerts / 创建安全事件',
          body: z.object({
            title: z.string().min(1).max(200),
            severity,
            description: z.string().max(10_000).default(''),
            alertIds: z.array(z.uuid()).max(100).default([]),
          }),
          response: { 201: detailSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(detailOut(await secops.openIncident(callerOf(request), request.body))),
    );
    app.get(
      '/secops/incidents/:id',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Incident with timeline, alerts and reporting clocks / 事件详情',
          params: id,
          response: { 200: detailSchema, ...errors },
        },
      },
      async (request) => detailOut(await secops.incidentDetail(request.params.id)),
    );
    app.post(
      '/secops/incidents/:id/transition',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Move to the next stage / 推进阶段：发现 → 研判 → 处置 → 恢复 → 总结',
          params: id,
          body: z.object({
            state: z.enum(INCIDENT_STATES as [string, ...string[]]),
            note: z.string().max(5000).default(''),
            summary: z.string().max(20_000).optional(),
          }),
          response: { 200: detailSchema, ...errors },
        },
      },
      async (request) =>
        detailOut(
          await secops.transition(callerOf(request), request.params.id, request.body as { state: IncidentRow['state']; note: string; summary?: string }),
        ),
    );
    app.post(
      '/secops/incidents/:id/owner',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Assign the owner / 指定负责人',
          params: id,
          body: z.object({ ownerId: z.uuid() }),
          response: { 200: detailSchema, ...errors },
        },
      },
      async (request) => detailOut(await secops.assign(callerOf(request), request.params.id, request.body.ownerId)),
    );
    app.post(
      '/secops/incidents/:id/severity',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Re-grade the incident (moves its clocks) / 调整事件级别',
          params: id,
          body: z.object({ severity }),
          response: { 200: detailSchema, ...errors },
        },
      },
      async (request) => detailOut(await secops.changeSeverity(callerOf(request), request.params.id, request.body.severity)),
    );
    app.post(
      '/secops/incidents/:id/actions',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Record an action taken or a note / 记录处置措施',
          params: id,
          body: z.object({ kind: z.enum(['action', 'note']).default('action'), text: z.string().min(1).max(5000) }),
          response: { 200: detailSchema, ...errors },
        },
      },
      async (request) => detailOut(await secops.addAction(callerOf(request), request.params.id, request.body)),
    );
    app.post(
      '/secops/incidents/:id/reports',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Record the first or final report to the provincial cyberspace office / 登记报告',
          params: id,
          body: z.object({ kind: z.enum(['first', 'final']), note: z.string().max(5000).default('') }),
          response: { 200: detailSchema, ...errors },
        },
      },
      async (request) => detailOut(await secops.reported(callerOf(request), request.params.id, request.body)),
    );
    app.get(
      '/secops/incidents/:id/report',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'The incident report as a document (Markdown or HTML) / 导出事件报告',
          params: id,
          querystring: z.object({ format: z.enum(['md', 'html']).default('md') }),
        },
      },
      async (request, reply) => {
        const doc = await secops.report(callerOf(request), request.params.id, request.query.format);
        return reply.header('content-type', doc.contentType).header('content-disposition', `attachment; filename="${doc.fileName}"`).send(doc.body);
      },
    );

    // ---- dashboard ----
    app.get(
      '/secops/dashboard',
      {
        config: { access: SECADMIN },
        schema: {
          tags: ['secops'],
          summary: 'Figures of the security dashboard / 安全态势',
          response: {
            200: z.object({
              alerts: z.array(z.object({ severity: z.string(), state: z.string(), n: z.number() })),
              incidents: z.array(z.object({ state: z.string(), n: z.number() })),
              hits: z.array(z.object({ hour: z.date(), detector: z.string(), n: z.number() })),
              consumers: z.array(
                z.object({ subject: z.string(), orgName: z.string().nullable(), keyName: z.string().nullable(), sensitiveRows: z.number(), rows: z.number() }),
              ),
              assets: z.array(z.object({ orgName: z.string(), grade: z.number().nullable(), n: z.number() })),
              live: z.array(alertSchema),
            }),
            ...errors,
          },
        },
      },
      async () => {
        const d = await secops.dashboard();
        return {
          alerts: d.alerts,
          incidents: d.incidents,
          hits: d.hits,
          consumers: d.consumers.map((c) => ({
            subject: c.subject,
            orgName: c.org_name,
            keyName: c.key_name,
            sensitiveRows: Number(c.sensitive_rows),
            rows: Number(c.rows),
          })),
          assets: d.assets.map((a) => ({ orgName: a.org_name, grade: a.grade, n: a.n })),
          live: d.live.map(alertOut),
        };
      },
    );
  };
}
