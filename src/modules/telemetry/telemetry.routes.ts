/**
 * Telemetry endpoints. Devices: `POST /api/v1/telemetry` (JSON, NDJSON, CSV or line protocol) and
 * the InfluxDB-compatible `POST /api/v2/write` (Telegraf's influxdb_v2 output, Node-RED), both with a
 * device token. Data officers: registry, credentials, quality, ingestion status, telemetry sets.
 * Consumers: `GET /api/v1/series/{code}/points` and the live stream, under their grants.
 */
import zlib from 'node:zlib';
import { loadExcel } from '../../heavy.ts';
import { parse as parseCsv } from 'csv-parse/sync';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, BadRequestError, TooManyRequestsError, UnauthorizedError, UnavailableError } from '../../errors.ts';
import { toDataset, datasetSchema } from '../catalog/catalog.routes.ts';
import { csvLine } from '../share/encode.ts';
import { RESOLUTIONS } from '../share/series.ts';
import { parseCsvPayload, parseJson, parseLineProtocol, parseNdjson, PayloadError, type Precision, type RawSample } from './payloads.ts';
import { QUALITY_KINDS } from './quality.ts';
import { AGGS, MAX_VALUES, type SeriesService } from './series.service.ts';
import type { DeviceRow, PointRow } from './telemetry.repo.ts';
import { LEVEL_TO_GRADE, retentionSchema, type DeviceContext, type RegistryRow, type TelemetryService } from './telemetry.service.ts';
import { OverloadedError } from './writer.ts';
import { callerOf, errorResponses } from '../../http/kit.ts';

const errors = errorResponses(400, 401, 403, 404, 409, 429, 503);
const officer = { roles: ['data_officer'] as const };
const reader = { roles: ['consumer', 'data_officer'] as const, apiKey: true };
/** Samples one HTTP request may carry. */
const HTTP_MAX_SAMPLES = 50_000;
/** Decompressed body size accepted (gzip bodies from Telegraf). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

const codeParam = z.object({ code: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) });
const datasetCode = z.object({
  code: z
    .string()
    .regex(/^\d{6}-\d{6}$/)
    .describe('资源代码'),
});

const pointSchema = z.object({
  id: z.number(),
  device: z.string(),
  code: z.string(),
  name: z.string(),
  unit: z.string(),
  dataType: z.enum(['float', 'integer', 'boolean']),
  min: z.number().nullable(),
  max: z.number().nullable(),
  samplingMs: z.number().nullable(),
  level: z.number(),
  grade: z.number(),
  autoRegistered: z.boolean(),
});
const deviceSchema = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  plant: z.string(),
  plantName: z.string(),
  line: z.string(),
  lineName: z.string(),
  state: z.enum(['active', 'disabled']),
  maxPointsPerSecond: z.number(),
  hasToken: z.boolean(),
  lastSeenAt: z.date().nullable(),
  username: z.string(),
  topic: z.string(),
});
const settingsSchema = z.object({ enterpriseCode: z.string(), autoRegister: z.boolean() });

function toPoint(p: PointRow) {
  return {
    id: p.id,
    device: p.device_code,
    code: p.code,
    name: p.name,
    unit: p.unit,
    dataType: p.data_type,
    min: p.range_min,
    max: p.range_max,
    samplingMs: p.sampling_ms,
    level: p.industrial_level,
    grade: LEVEL_TO_GRADE[p.industrial_level]!,
    autoRegistered: p.auto_registered,
  };
}

function toDevice(d: DeviceRow) {
  const enterprise = d.enterprise_code ?? '?';
  return {
    id: d.id,
    code: d.code,
    name: d.name,
    plant: d.plant_code,
    plantName: d.plant_name,
    line: d.line_code,
    lineName: d.line_name,
    state: d.state,
    maxPointsPerSecond: d.max_points_per_second,
    hasToken: d.token_hash !== null,
    lastSeenAt: d.last_seen_at,
    username: `${enterprise}/${d.code}`,
    topic: `plant/${enterprise}/${d.code}/telemetry`,
  };
}

const rowSchema = z.object({
  plant: z.string(),
  plantName: z.string().max(200).optional(),
  line: z.string(),
  lineName: z.string().max(200).optional(),
  device: z.string(),
  deviceName: z.string().max(200).optional(),
  point: z.string(),
  pointName: z.string().max(200).optional(),
  unit: z.string().max(32).optional(),
  dataType: z.enum(['float', 'integer', 'boolean']).optional(),
  min: z.number().nullable().optional(),
  max: z.number().nullable().optional(),
  samplingMs: z.number().int().positive().nullable().optional(),
  level: z
    .union([z.literal(1), z.literal(2), z.literal(3)])
    .optional()
    .describe('工业数据分级：1 一级，2 二级，3 三级'),
});

/** Header names of an imported registry sheet (English or Chinese) → RegistryRow fields. */
const HEADERS: Record<string, keyof RegistryRow> = {
  plant: 'plant',
  厂区: 'plant',
  plant_name: 'plantName',
  厂区名称: 'plantName',
  line: 'line',
  产线: 'line',
  line_name: 'lineName',
  产线名称: 'lineName',
  device: 'device',
  设备: 'device',
  device_name: 'deviceName',
  设备名称: 'deviceName',
  point: 'point',
  测点: 'point',
  point_name: 'pointName',
  name: 'pointName',
  测点名称: 'pointName',
  unit: 'unit',
  单位: 'unit',
  type: 'dataType',
  data_type: 'dataType',
  类型: 'dataType',
  min: 'min',
  下限: 'min',
  max: 'max',
  上限: 'max',
  sampling_ms: 'samplingMs',
  采样间隔ms: 'samplingMs',
  level: 'level',
  分级: 'level',
};
const LEVEL_WORDS: Record<string, 1 | 2 | 3> = { '1': 1, '2': 2, '3': 3, 一级: 1, 二级: 2, 三级: 3 };

/** Reads a registry sheet (CSV or XLSX), row by row, naming the row of any bad value. */
export async function readRegistrySheet(fileName: string, data: Buffer): Promise<RegistryRow[]> {
  let table: string[][];
  if (/\.xlsx$/i.test(fileName)) {
    const ExcelJS = await loadExcel();
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(data as unknown as ArrayBuffer);
    const sheet = book.worksheets[0];
    table = [];
    sheet?.eachRow({ includeEmpty: false }, (row) => {
      const values = (row.values as unknown[])
        .slice(1)
        .map((v) =>
          v === null || v === undefined ? '' : typeof v === 'object' && 'text' in (v as object) ? String((v as { text: unknown }).text) : String(v),
        );
      table.push(values);
    });
  } else {
    try {
      table = parseCsv(data.toString('utf8'), { skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }) as string[][];
    } catch (e) {
      throw new BadRequestError('invalid_sheet', { zh: `CSV 无法解析：${(e as Error).message}`, en: `Cannot read the CSV: ${(e as Error).message}` });
    }
  }
  const header = (table[0] ?? []).map((h) => HEADERS[h.trim().toLowerCase()] ?? HEADERS[h.trim()]);
  for (const required of ['plant', 'line', 'device', 'point'] as const) {
    if (!header.includes(required))
      throw new BadRequestError('invalid_sheet', { zh: `表头缺少列 ${required}`, en: `The header lacks the column ${required}` }, { column: required });
  }
  return table.slice(1).map((cells, i) => {
    const row: Record<string, unknown> = {};
    header.forEach((field, c) => {
      const v = (cells[c] ?? '').trim();
      if (!field || v === '') return;
      const fail = () => {
        throw new BadRequestError(
          'invalid_sheet',
          { zh: `第 ${i + 2} 行 ${field} 的值 ${v} 无效`, en: `Row ${i + 2}: invalid ${field} ${v}` },
          { row: i + 2, field },
        );
      };
      if (field === 'min' || field === 'max' || field === 'samplingMs') {
        const n = Number(v);
        if (!Number.isFinite(n)) fail();
        row[field] = n;
      } else if (field === 'level') {
        row.level = LEVEL_WORDS[v] ?? fail();
      } else if (field === 'dataType') {
        if (!['float', 'integer', 'boolean'].includes(v)) fail();
        row.dataType = v;
      } else row[field] = v;
    });
    return row as unknown as RegistryRow;
  });
}

/** The device token of a request: `Authorization: Token …` (InfluxDB clients) or `Bearer …`. */
function deviceToken(request: FastifyRequest): string | undefined {
  const m = /^(?:Token|Bearer)\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return m?.[1];
}

function bodyText(request: FastifyRequest): string {
  let body = request.body as Buffer | undefined;
  if (!body || body.length === 0) return '';
  if (String(request.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
    try {
      body = zlib.gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES });
    } catch {
      throw new PayloadError('malformed', 'the gzip body cannot be decompressed (or exceeds 32 MiB)');
    }
  }
  return body.toString('utf8');
}

function precisionOf(value: unknown): Precision {
  const p = String(value ?? 'ns');
  if (p === 'ns' || p === 'us' || p === 'ms' || p === 's') return p;
  throw new PayloadError('malformed', `precision ${p.slice(0, 10)} is not one of ns, us, ms, s`);
}

/** Turns the outcome of an ingestion into HTTP: 400 naming the line, 429 and 503 with Retry-After. */
function httpError(error: unknown, reply: FastifyReply): AppError | unknown {
  if (error instanceof PayloadError) {
    if (error.reason === 'rate_limited')
      return new TooManyRequestsError(1, { zh: `设备超出上报速率：${error.message}`, en: `The device exceeds its rate: ${error.message}` });
    return new BadRequestError(
      `payload_${error.reason}`,
      { zh: `数据被拒收（${error.reason}）：${error.message}`, en: `Payload refused (${error.reason}): ${error.message}` },
      { reason: error.reason, ...(error.line !== undefined ? { line: error.line } : {}) },
    );
  }
  if (error instanceof OverloadedError) {
    reply.header('retry-after', String(error.retryAfterSeconds));
    return new UnavailableError({ zh: '平台写入繁忙，数据未确认，请稍后重发', en: 'pdx is busy storing; nothing was acknowledged, retry later' });
  }
  return error;
}

export function telemetryRoutes(deps: { telemetry: TelemetryService; series: SeriesService }): { api: FastifyPluginAsyncZod; root: FastifyPluginAsyncZod } {
  const { telemetry, series } = deps;

  async function authenticate(request: FastifyRequest): Promise<DeviceContext> {
    const ctx = await telemetry.authenticateDevice(deviceToken(request) ?? '', { via: 'http', ip: request.ip });
    if (!ctx) {
      throw new UnauthorizedError('invalid_device_token', {
        zh: '设备令牌无效（Authorization: Token pdxd_…）',
        en: 'Invalid device token (Authorization: Token pdxd_…)',
      });
    }
    return ctx;
  }

  /** Raw bodies for the device endpoints: the parsers here read them whole and name the bad line. */
  const rawBodies: FastifyPluginAsyncZod = async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => done(null, body));
  };

  const ingestHttp: FastifyPluginAsyncZod = async (app) => {
    await rawBodies(app, {});
    app.post(
      '/telemetry',
      {
        config: { access: { device: true } },
        schema: {
          tags: ['telemetry'],
          summary: 'Send samples with a device token (JSON, NDJSON, CSV or line protocol) / 设备上报测点数据',
          description:
            'Authorization: Token pdxd_…. Content-Type application/json ({"point","value","ts"} or {"ts","values":{…}}, alone or in an array), application/x-ndjson, text/csv (point,value,ts,unit) or text/plain (InfluxDB line protocol, ?precision=ns|us|ms|s). Answered only after the samples are stored.',
          querystring: z.object({ precision: z.enum(['ns', 'us', 'ms', 's']).optional() }),
          response: { 200: z.object({ accepted: z.number(), quarantined: z.number() }), ...errors },
        },
      },
      async (request, reply) => {
        const ctx = await authenticate(request);
        const type = String(request.headers['content-type'] ?? '').toLowerCase();
        try {
          const parse = (): RawSample[] => {
            const text = bodyText(request);
            if (type.includes('ndjson')) return parseNdjson(text, HTTP_MAX_SAMPLES);
            if (type.includes('csv')) return parseCsvPayload(text, HTTP_MAX_SAMPLES);
            if (type.includes('json')) return parseJson(text, HTTP_MAX_SAMPLES);
            return parseLineProtocol(text, { precision: precisionOf(request.query.precision), deviceCode: ctx.device.code, max: HTTP_MAX_SAMPLES });
          };
          return await telemetry.ingestPayload(ctx, parse, { via: 'http', ip: request.ip });
        } catch (e) {
          throw httpError(e, reply);
        }
      },
    );
  };

  /** InfluxDB v2 write API: Telegraf's influxdb_v2 output and Node-RED send here unchanged. */
  const influx: FastifyPluginAsyncZod = async (app) => {
    await rawBodies(app, {});
    app.post(
      '/api/v2/write',
      {
        config: { access: { device: true } },
        schema: {
          tags: ['telemetry'],
          summary: 'InfluxDB v2 line-protocol write (Telegraf influxdb_v2 output) with a device token / 兼容 InfluxDB 写入接口',
          querystring: z.object({ org: z.string().optional(), bucket: z.string().optional(), precision: z.string().optional() }),
        },
      },
      async (request, reply) => {
        // InfluxDB's own error shape, so collectors log the reason: {"code","message"}.
        const fail = (status: number, code: string, message: string) => reply.status(status).type('application/json').send({ code, message });
        const ctx = await telemetry.authenticateDevice(deviceToken(request) ?? '', { via: 'line', ip: request.ip });
        if (!ctx) {
          return fail(401, 'unauthorized', 'unauthorized access: invalid device token');
        }
        try {
          await telemetry.ingestPayload(
            ctx,
            () => parseLineProtocol(bodyText(request), { precision: precisionOf(request.query.precision), deviceCode: ctx.device.code, max: HTTP_MAX_SAMPLES }),
            { via: 'line', ip: request.ip },
          );
          return reply.status(204).send();
        } catch (e) {
          if (e instanceof PayloadError) {
            if (e.reason === 'rate_limited') {
              reply.header('retry-after', '1');
              return fail(429, 'too many requests', e.message);
            }
            return fail(400, 'invalid', e.message);
          }
          if (e instanceof OverloadedError) {
            reply.header('retry-after', String(e.retryAfterSeconds));
            return fail(503, 'unavailable', e.message);
          }
          throw e;
        }
      },
    );
  };

  const registry: FastifyPluginAsyncZod = async (app) => {
    app.get(
      '/telemetry/settings',
      {
        config: { access: officer },
        schema: { tags: ['telemetry'], summary: 'Enterprise code and auto-registration / 接入设置', response: { 200: settingsSchema, ...errors } },
      },
      async (request) => {
        const s = await telemetry.settings(callerOf(request).principal);
        return { enterpriseCode: s.enterprise_code, autoRegister: s.auto_register };
      },
    );
    app.put(
      '/telemetry/settings',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Change the enterprise code or auto-registration of unknown points / 修改接入设置',
          body: z.object({ enterpriseCode: z.string().max(32).optional(), autoRegister: z.boolean().optional() }),
          response: { 200: settingsSchema, ...errors },
        },
      },
      async (request) => {
        const s = await telemetry.updateSettings(callerOf(request), request.body);
        return { enterpriseCode: s.enterprise_code, autoRegister: s.auto_register };
      },
    );
    app.get(
      '/telemetry/registry',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Devices and points of my enterprise / 设备与测点',
          response: { 200: z.object({ settings: settingsSchema, devices: z.array(deviceSchema), points: z.array(pointSchema) }), ...errors },
        },
      },
      async (request) => {
        const r = await telemetry.registry(callerOf(request).principal);
        return {
          settings: { enterpriseCode: r.settings.enterprise_code, autoRegister: r.settings.auto_register },
          devices: r.devices.map(toDevice),
          points: r.points.map(toPoint),
        };
      },
    );
    const counts = z.object({ plants: z.number(), lines: z.number(), devices: z.number(), points: z.number(), updated: z.number() });
    app.post(
      '/telemetry/registry',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Register plants, lines, devices and points (idempotent) / 登记设备与测点',
          body: z.object({ rows: z.array(rowSchema).min(1).max(20_000) }),
          response: { 200: counts, ...errors },
        },
      },
      async (request) => telemetry.register(callerOf(request), request.body.rows),
    );
    app.post(
      '/telemetry/registry/import',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Import the registry from CSV or XLSX (multipart field "file") / 导入设备测点表',
          consumes: ['multipart/form-data'],
          response: { 200: counts, ...errors },
        },
      },
      async (request) => {
        if (!request.isMultipart())
          throw new BadRequestError(
            'multipart_required',
            { zh: '请以 multipart/form-data 上传文件（字段 file）', en: 'Upload the file as multipart/form-data (field "file")' },
            { field: 'file' },
          );
        const part = await request.file({ limits: { fileSize: 20 * 1024 * 1024 } });
        if (!part) throw new BadRequestError('file_required', { zh: '缺少文件', en: 'No file' }, { field: 'file' });
        const rows = await readRegistrySheet(part.filename, await part.toBuffer());
        if (!rows.length) throw new BadRequestError('invalid_sheet', { zh: '表格没有数据行', en: 'The sheet has no rows' });
        return telemetry.register(callerOf(request), rows);
      },
    );
    app.get(
      '/telemetry/devices/:code',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'A device with its points and their latest values / 设备详情',
          params: codeParam,
          response: {
            200: z.object({
              device: deviceSchema,
              points: z.array(pointSchema.extend({ lastTs: z.date().nullable(), lastValue: z.number().nullable(), openEvents: z.array(z.string()) })),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const d = await telemetry.device(callerOf(request).principal, request.params.code);
        return {
          device: toDevice(d.device),
          points: d.points.map((p) => {
            const s = d.states.get(p.id);
            return { ...toPoint(p), lastTs: s?.last_ts ?? null, lastValue: s?.last_value ?? null, openEvents: Object.keys(s?.open_events ?? {}) };
          }),
        };
      },
    );
    app.patch(
      '/telemetry/devices/:code',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Rename, limit or disable a device / 修改设备',
          params: codeParam,
          body: z.object({
            name: z.string().min(1).max(200).optional(),
            maxPointsPerSecond: z.number().int().min(1).max(1_000_000).optional(),
            state: z.enum(['active', 'disabled']).optional(),
          }),
          response: { 200: deviceSchema, ...errors },
        },
      },
      async (request) => toDevice(await telemetry.updateDevice(callerOf(request), request.params.code, request.body)),
    );
    app.post(
      '/telemetry/devices/:code/token',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Issue a new device token (shown once; the old one stops working) / 签发设备令牌',
          params: codeParam,
          response: { 201: z.object({ token: z.string(), username: z.string(), topic: z.string() }), ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await telemetry.issueToken(callerOf(request), request.params.code)),
    );
    app.get(
      '/telemetry/devices/:code/points/:point/samples',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Recent samples of one point (console charts) / 测点近期数据',
          params: codeParam.extend({ point: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) }),
          querystring: z.object({ since: z.coerce.number().int().min(0).optional().describe('毫秒时间戳'), step: z.enum(RESOLUTIONS).default('raw') }),
          response: {
            200: z.object({ items: z.array(z.object({ ts: z.string(), value: z.number(), min: z.number().optional(), max: z.number().optional() })) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const since = request.query.since ?? Date.now() - 10 * 60_000;
        const rows = await telemetry.recent(callerOf(request).principal, request.params.code, request.params.point, since, request.query.step);
        return {
          items: rows.map((r) => ({
            ts: new Date(r.tsUs / 1000).toISOString(),
            value: r.value,
            ...(r.min !== undefined && r.max !== undefined ? { min: r.min, max: r.max } : {}),
          })),
        };
      },
    );
    app.get(
      '/telemetry/quality',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Quality scores per point, device and line, and events by kind and hour / 数据质量',
          querystring: z.object({
            hours: z.coerce
              .number()
              .int()
              .min(1)
              .max(24 * 30)
              .default(24),
          }),
          response: {
            200: z.object({
              since: z.date(),
              points: z.array(z.object({ pointId: z.number(), samples: z.number(), bad: z.number(), openEvents: z.number(), score: z.number() })),
              devices: z.array(z.object({ code: z.string(), name: z.string(), line: z.string(), score: z.number().nullable(), openEvents: z.number() })),
              lines: z.array(z.object({ line: z.string(), lineName: z.string(), plant: z.string(), score: z.number().nullable() })),
              counts: z.array(z.object({ kind: z.string(), hour: z.date(), n: z.number() })),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const q = await telemetry.quality(callerOf(request).principal, request.query.hours);
        return {
          since: q.since,
          points: q.points,
          devices: q.devices.map((d) => ({ code: d.device.code, name: d.device.name, line: d.device.line_code, score: d.score, openEvents: d.openEvents })),
          lines: q.lines,
          counts: q.counts,
        };
      },
    );
    app.get(
      '/telemetry/quality/events',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Quality events (gaps, out of range, stuck, spikes, clock, units, unknown points) / 质量事件',
          querystring: z.object({
            device: z.string().max(64).optional(),
            kind: z.enum(QUALITY_KINDS as [string, ...string[]]).optional(),
            open: z.enum(['true', 'false']).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(200),
          }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  kind: z.string(),
                  device: z.string(),
                  line: z.string(),
                  point: z.string().nullable(),
                  startedAt: z.date(),
                  endedAt: z.date().nullable(),
                  samples: z.number(),
                  details: z.record(z.string(), z.unknown()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { device, kind, open, limit } = request.query;
        const rows = await telemetry.events(
          callerOf(request).principal,
          { ...(device ? { device } : {}), ...(kind ? { kind } : {}), ...(open ? { open: open === 'true' } : {}) },
          limit,
        );
        return {
          items: rows.map((e) => ({
            id: e.id,
            kind: e.kind,
            device: e.device_code,
            line: e.line_code,
            point: e.point_code,
            startedAt: e.started_at,
            endedAt: e.ended_at,
            samples: e.samples,
            details: e.details,
          })),
        };
      },
    );
    app.get(
      '/telemetry/summary',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['telemetry'],
          summary: 'Plants connected: devices, devices heard in the last minute, samples per minute, open quality events (counts only) / 工业数据接入概况',
          response: {
            200: z.object({
              items: z.array(
                z.object({ enterprise: z.string(), devices: z.number(), liveDevices: z.number(), pointsLastMinute: z.number(), openEvents: z.number() }),
              ),
            }),
            ...errors,
          },
        },
      },
      async () => ({
        items: (await telemetry.summary()).map((r) => ({
          enterprise: r.org_name,
          devices: r.devices,
          liveDevices: r.live_devices,
          pointsLastMinute: Number(r.points_last_minute),
          openEvents: r.open_events,
        })),
      }),
    );
    app.get(
      '/telemetry/unknown-points',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Points devices send that the registry does not know (quarantined) / 未登记测点',
          response: {
            200: z.object({
              items: z.array(z.object({ device: z.string(), point: z.string(), unit: z.string(), samples: z.number(), firstTs: z.date(), lastTs: z.date() })),
            }),
            ...errors,
          },
        },
      },
      async (request) => ({
        items: (await telemetry.unknownPoints(callerOf(request).principal)).map((u) => ({
          device: u.device_code,
          point: u.point_code,
          unit: u.unit,
          samples: u.samples,
          firstTs: u.first_ts,
          lastTs: u.last_ts,
        })),
      }),
    );
    app.get(
      '/telemetry/status',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Ingestion status: points per second, lag, rejected payloads by reason / 接入状态',
          response: {
            200: z.object({
              pointsPerSecond: z.number(),
              lagMsMax: z.number().nullable(),
              perMinute: z.array(z.object({ minute: z.date(), points: z.number(), duplicates: z.number(), lagMsMax: z.number() })),
              rejected: z.array(z.object({ device: z.string().nullable(), reason: z.string(), count: z.number(), lastAt: z.date(), lastDetail: z.string() })),
              writer: z.object({
                buffered: z.number(),
                capacity: z.number(),
                batches: z.number(),
                written: z.number(),
                duplicates: z.number(),
                overloaded: z.number(),
                lastBatchMs: z.number(),
              }),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const s = await telemetry.status(callerOf(request).principal);
        return {
          pointsPerSecond: s.pointsPerSecond,
          lagMsMax: s.lagMsMax,
          perMinute: s.perMinute.map((m) => ({ minute: m.minute, points: Number(m.points), duplicates: Number(m.duplicates), lagMsMax: m.lag_ms_max })),
          rejected: s.rejected.map((r) => ({ device: r.device_code, reason: r.reason, count: Number(r.count), lastAt: r.last_at, lastDetail: r.last_detail })),
          writer: s.writer,
        };
      },
    );
    app.post(
      '/telemetry/sets',
      {
        config: { access: officer },
        schema: {
          tags: ['telemetry'],
          summary: 'Register a telemetry set in the catalogue (draft; publish like any resource) / 登记时序数据资源',
          body: z.object({
            name: z.string().trim().min(2).max(200),
            summary: z.string().max(4000).optional(),
            plant: z.string().max(64).optional().describe('只含该厂区的测点；不填为本企业全部测点'),
            shareType: z.enum(['unconditional', 'conditional', 'none']).optional(),
            shareConditions: z.string().max(2000).optional(),
            tags: z.array(z.string().max(50)).max(50).optional(),
          }),
          response: { 201: datasetSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(toDataset(await telemetry.createSet(callerOf(request), request.body))),
    );
    app.get(
      '/telemetry/retention',
      {
        config: { access: { authenticated: true } },
        schema: {
          tags: ['telemetry'],
          summary: 'Days raw samples and roll-ups are kept per industrial level / 保留期限',
          response: { 200: retentionSchema, ...errors },
        },
      },
      async () => telemetry.retention(),
    );
    app.put(
      '/telemetry/retention',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['telemetry'],
          summary: 'Set the retention per industrial level (secadmin) / 设置保留期限',
          body: retentionSchema,
          response: { 200: retentionSchema, ...errors },
        },
      },
      async (request) => telemetry.setRetention(callerOf(request), request.body),
    );
  };

  const sharing: FastifyPluginAsyncZod = async (app) => {
    const streams = new Set<() => void>();
    app.addHook('onClose', async () => {
      for (const end of streams) end();
    });
    const seriesQuery = z.object({
      points: z.string().max(20_000).optional().describe('测点（设备.测点），逗号分隔；不填为授权的全部测点'),
      from: z.string().max(40).describe('起始时间 ISO 8601'),
      to: z.string().max(40).optional().describe('结束时间 ISO 8601，默认现在'),
      step: z.enum(RESOLUTIONS).default('1h').describe('raw 原始，1m 分钟，1h 小时'),
      agg: z.enum(AGGS).default('avg'),
      grant: z.uuid().optional(),
      limit: z.coerce.number().int().min(1).max(MAX_VALUES).default(10_000),
    });
    const instant = (text: string, field: string) => {
      const ms = Date.parse(text);
      if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text))
        throw new BadRequestError('invalid_time', { zh: `${field} 不是有效的 ISO 8601 时间`, en: `${field} is not an ISO 8601 time` }, { parameter: field });
      return new Date(ms);
    };
    const valueSchema = z.object({ point: z.string(), ts: z.string(), value: z.number() });
    app.get(
      '/series/:code/points',
      {
        config: { access: reader },
        schema: {
          tags: ['telemetry'],
          summary: 'Read granted telemetry: raw samples or 1m/1h roll-ups (JSON, NDJSON or CSV by Accept) / 时序数据接口',
          params: datasetCode,
          querystring: seriesQuery,
          response: {
            200: z.object({
              code: z.string(),
              step: z.enum(RESOLUTIONS),
              agg: z.enum(AGGS).nullable(),
              from: z.string(),
              to: z.string(),
              grantId: z.string(),
              points: z.array(z.object({ name: z.string(), label: z.string() })),
              values: z.array(valueSchema),
              truncated: z.boolean(),
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const from = instant(q.from, 'from');
        const to = q.to ? instant(q.to, 'to') : new Date();
        if (from >= to) throw new BadRequestError('invalid_time', { zh: 'from 须早于 to', en: 'from must be before to' }, { parameter: 'from' });
        const answer = await series.query(callerOf(request), request.params.code, {
          ...(q.points
            ? {
                points: q.points
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              }
            : {}),
          from,
          to,
          step: q.step,
          agg: q.agg,
          limit: q.limit,
          ...(q.grant ? { grant: q.grant } : {}),
        });
        reply.header('x-pdx-grant', answer.grantId);
        const accept = String(request.headers.accept ?? '').toLowerCase();
        if (accept.includes('ndjson')) {
          reply.type('application/x-ndjson; charset=utf-8');
          return reply.send(answer.values.map((v) => `${JSON.stringify(v)}\n`).join('') as never);
        }
        if (accept.includes('text/csv')) {
          reply.type('text/csv; charset=utf-8');
          return reply.send((csvLine(['point', 'ts', 'value']) + answer.values.map((v) => csvLine([v.point, v.ts, v.value])).join('')) as never);
        }
        return answer;
      },
    );
    app.get(
      '/series/:code/live',
      {
        config: { access: reader },
        schema: {
          tags: ['telemetry'],
          summary: 'Live granted telemetry as server-sent events (event: values) / 实时订阅',
          params: datasetCode,
          querystring: z.object({ points: z.string().max(20_000).optional(), step: z.enum(RESOLUTIONS).optional(), grant: z.uuid().optional() }),
        },
      },
      async (request, reply) => {
        const q = request.query;
        const caller = callerOf(request);
        const signal = {
          closed: false,
          wake: () => {},
          wait: (ms: number) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(resolve, ms);
              signal.wake = () => {
                clearTimeout(t);
                resolve();
              };
            }),
        };
        // The grant, step and points are checked before any header: a refusal is a clean JSON error.
        const live = await series.openLive(caller, request.params.code, {
          ...(q.points
            ? {
                points: q.points
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              }
            : {}),
          ...(q.step ? { step: q.step } : {}),
          ...(q.grant ? { grant: q.grant } : {}),
        });
        const end = () => {
          signal.closed = true;
          signal.wake();
        };
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(': pdx telemetry\n\n');
        streams.add(end);
        request.raw.on('close', end);
        const stream = live(signal);
        try {
          let next = await stream.next();
          while (!next.done) {
            const v = next.value;
            if ('end' in v) {
              res.write(`event: end\ndata: ${JSON.stringify({ reason: v.end })}\n\n`);
              break;
            }
            res.write(`event: values\ndata: ${JSON.stringify(v)}\n\n`);
            next = await stream.next();
          }
        } catch (e) {
          const code = e instanceof AppError ? e.code : 'error';
          if (!res.writableEnded) res.write(`event: end\ndata: ${JSON.stringify({ reason: code })}\n\n`);
          if (!(e instanceof AppError)) request.log.warn({ err: e }, 'telemetry stream ended');
        } finally {
          streams.delete(end);
          end();
          res.end();
        }
      },
    );
    app.get(
      '/series/:code/access',
      {
        config: { access: reader },
        schema: {
          tags: ['telemetry'],
          summary: 'What my grant on a telemetry set allows: points, finest resolution, window / 我的时序授权',
          params: datasetCode,
          querystring: z.object({ grant: z.uuid().optional() }),
          response: {
            200: z.object({
              grantId: z.string(),
              resolution: z.enum(RESOLUTIONS),
              from: z.string().nullable(),
              to: z.string().nullable(),
              devices: z.array(z.string()),
              points: z.array(z.object({ name: z.string(), label: z.string() })),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const g = await series.granted(callerOf(request), request.params.code, request.query.grant);
        return {
          grantId: g.access.grant.id,
          resolution: g.terms.resolution,
          from: g.terms.from ?? null,
          to: g.terms.to ?? null,
          devices: g.terms.devices ?? [],
          points: [...g.points].map(([name, p]) => ({ name, label: p.label })),
        };
      },
    );
  };

  return {
    api: async (app) => {
      await app.register(ingestHttp);
      await app.register(registry);
      await app.register(sharing);
    },
    root: async (app) => {
      await app.register(influx);
    },
  };
}
