/**
 * Issue 13, findings 3, 4 and 6 across the whole API: every operation of /openapi.json, every path,
 * query and body parameter, tried by anonymous callers, API keys and each role with NUL bytes, unpaired
 * surrogates and timestamps whose UTC offset PostgreSQL refuses. Never a 5xx; every 4xx carries exactly
 * the standard error shape; NUL is a 400 naming the parameter. The framework's own refusals (bad
 * percent-encoding, an over-long path parameter, broken JSON, a wrong content type) are checked on
 * every operation too.
 */
import { randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { societyClient } from './open-helpers.ts';
import { grantJourney, publishPeople, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
}
interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}
interface Operation {
  method: string;
  /** Fastify form: /api/v1/datasets/{code}/records. */
  path: string;
  parameters: Parameter[];
  body?: JsonSchema;
  multipart: boolean;
}
/** One place a value can go: a path or query parameter, or a JSON body field. */
interface Slot {
  where: 'path' | 'query' | 'body';
  /** Path in the body (['match', '姓名']), or the parameter name. */
  keys: string[];
  /** The field an error names for it. */
  field: string;
}

const NUL_VALUES = ['\u0000', '210000\u0000-000001'];
const SURROGATE = 'x\ud800';
const BAD_TIMESTAMPS = ['2020-01-01T00:00:00+99:00', '2020-01-01T00:00:00-23:59'];

/** A value the schema accepts (or nearly: patterns are not solved), for the parameters not under test. */
function sample(schema: JsonSchema | undefined): unknown {
  if (!schema) return 'xx';
  if (schema.default !== undefined) return schema.default;
  const variant = schema.anyOf ?? schema.oneOf;
  if (variant) return sample(variant.find((v) => v.type !== 'null') ?? variant[0]);
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return (schema.minItems ?? 0) > 0 ? [sample(schema.items)] : [];
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((k) => [k, sample(schema.properties?.[k])]));
    default:
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date' || schema.pattern?.includes('\\d{4}-')) return '2099-01-01';
      return 'x'.repeat(Math.min(Math.max(schema.minLength ?? 2, 2), schema.maxLength ?? 64));
  }
}

/** The body fields of an operation, one level into objects, arrays and records. */
function bodySlots(schema: JsonSchema | undefined): Slot[] {
  const slots: Slot[] = [];
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    slots.push({ where: 'body', keys: [name], field: `body.${name}` });
    const variant = prop.anyOf?.find((v) => v.type !== 'null') ?? prop;
    if (variant.type === 'array') slots.push({ where: 'body', keys: [name, '0'], field: `body.${name}.0` });
    for (const sub of Object.keys(variant.properties ?? {})) slots.push({ where: 'body', keys: [name, sub], field: `body.${name}.${sub}` });
    if (typeof variant.additionalProperties === 'object') slots.push({ where: 'body', keys: [name, '姓名'], field: `body.${name}.姓名` });
  }
  return slots;
}

function setIn(target: Record<string, unknown>, keys: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(target);
  let node: Record<string, unknown> = copy;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) node[key] = value;
    else {
      const next = node[key];
      node[key] = next !== null && typeof next === 'object' ? next : /^\d+$/.test(keys[i + 1]!) ? [] : {};
      node = node[key] as Record<string, unknown>;
    }
  });
  return copy;
}

/** An answer as the fuzz reads it: an event stream is answered once its head arrives (its body never ends). */
interface Answer {
  statusCode: number;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the error bodies the fuzz inspects have any shape
}

/** What is wrong with an answer: a 5xx, or a 4xx without exactly the standard error shape. */
function shapeProblem(res: Answer, what: string): string | undefined {
  if (res.statusCode >= 500) return `${what}: ${res.statusCode} ${res.body.slice(0, 200)}`;
  if (res.statusCode < 400) return undefined;
  let body: { error?: Record<string, unknown> };
  try {
    body = res.json();
  } catch {
    return `${what}: a ${res.statusCode} that is not JSON: ${res.body.slice(0, 200)}`;
  }
  // The InfluxDB-compatible write answers in InfluxDB's own shape, {"code","message"}, so collectors
  // log the reason; what the platform refuses before the route runs (request line, identification)
  // keeps the standard shape.
  if (what.includes(' POST /api/v2/write ') && !('error' in body)) {
    const influx = body as Record<string, unknown>;
    const ok = Object.keys(influx).every((k) => k === 'code' || k === 'message') && typeof influx.code === 'string' && typeof influx.message === 'string';
    return ok ? undefined : `${what}: not the InfluxDB error shape: ${res.body.slice(0, 200)}`;
  }
  const keys = Object.keys(body.error ?? {});
  const ok =
    Object.keys(body).length === 1 &&
    keys.every((k) => ['code', 'message', 'details'].includes(k)) &&
    typeof body.error?.code === 'string' &&
    typeof body.error.message === 'string';
  return ok ? undefined : `${what}: not the standard error shape: ${res.body.slice(0, 200)}`;
}

describeEachBackend('API fuzz: NUL, surrogates and impossible UTC offsets in every parameter of every route', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;
  let scratch: string;
  let operations: Operation[];
  let callers: Record<string, Client>;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 60);
    await grantJourney(w);
    scratch = await publishPeople(w.officer, { name: '演练数据', rows: 30, seed: 3 });
    const spec = (await t.app.inject('/openapi.json')).json() as {
      paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
    };
    operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        ...(op.requestBody?.content['application/json'] ? { body: op.requestBody.content['application/json'].schema } : {}),
        multipart: Boolean(op.requestBody?.content['multipart/form-data']) || path.endsWith('/versions') || path.endsWith('/scan'),
      })),
    );
    // The consumer signs in too: a rating (共享评价) is a person's, so its route admits no API key.
    await t.services.open.service.society.seed({ email: 'fuzz@example.cn', password: 'Hunhe-River-2026!', kind: 'individual', displayName: '演练' });
    callers = {
      anonymous: t.anonymous,
      society: await societyClient(t, 'fuzz@example.cn', 'Hunhe-River-2026!'),
      consumerKey: w.keyClient,
      consumer: w.consumer,
      officer: w.officer,
      secadmin: w.secadmin,
      auditor: w.auditor,
      sysadmin: w.admin,
    };
  });
  afterAll(() => t?.close());

  /** Ending one's own session would sign the fuzzing callers out. */
  const skipped = (op: Operation) => op.path === '/api/v1/auth/logout';

  /** The request of an operation with every parameter at a usable value and one slot set to `value`. */
  function request(op: Operation, slot: Slot | undefined, value: unknown): { method: string; url: string; payload?: Record<string, unknown> } {
    const dataPath = /\/(records|access|verify|exports)$/.test(op.path);
    let url = op.path.replace(/\{(\w+|\*)\}/g, (_m, name: string) => {
      const given =
        slot?.where === 'path' && slot.keys[0] === name ? String(value) : name === 'code' ? (dataPath ? w.code : scratch) : name === 'id' ? randomUUID() : '1';
      return encodeURIComponent(given);
    });
    const query = new URLSearchParams();
    for (const p of op.parameters.filter((x) => x.in === 'query')) {
      if (slot?.where === 'query' && slot.keys[0] === p.name) query.set(p.name, String(value));
      else if (p.required) query.set(p.name, String(sample(p.schema)));
    }
    if (query.size) url += `?${query}`;
    if (!op.body || op.multipart) return { method: op.method, url };
    const base = (sample(op.body) ?? {}) as Record<string, unknown>;
    return { method: op.method, url, payload: slot?.where === 'body' ? setIn(base, slot.keys, value) : base };
  }

  const slotsOf = (op: Operation): Slot[] => [
    ...op.parameters.filter((p) => p.in === 'path').map((p): Slot => ({ where: 'path', keys: [p.name], field: `params.${p.name}` })),
    ...op.parameters.filter((p) => p.in === 'query').map((p): Slot => ({ where: 'query', keys: [p.name], field: `querystring.${p.name}` })),
    ...(op.multipart ? [] : bodySlots(op.body)),
  ];

  /**
   * Sends a request as `c`. The body is read as a stream: a route that admits the caller may answer
   * with a live event stream, which never ends; its head is the answer, and the stream is dropped
   * (the server ends it on close).
   */
  async function call(c: Client, r: ReturnType<typeof request>, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await t.app.inject({
      method: r.method as 'GET',
      url: r.url,
      headers: { ...c.headers, ...headers },
      ...(r.payload === undefined ? {} : { payload: r.payload }),
      payloadAsStream: true,
    });
    const stream = res.stream();
    let body = '';
    if (String(res.headers['content-type']).startsWith('text/event-stream')) stream.destroy();
    else body = await text(stream);
    return { statusCode: res.statusCode, body, json: () => JSON.parse(body) };
  }

  it('reads the operations from /openapi.json', () => {
    expect(operations.length).toBeGreaterThan(70);
    expect(operations.some((o) => o.path === '/api/v1/datasets/{code}/records')).toBe(true);
  });

  it('NUL (and an unpaired surrogate in JSON) in any parameter is a 400 naming it, for every caller, never a 500', async () => {
    let checked = 0;
    const problems: string[] = [];
    for (const op of operations.filter((o) => !skipped(o))) {
      // The body is checked once the caller passed the door (identification and the route's declared
      // access, before the body is read): the first bad body tells who passes (a 400) from who is
      // refused there (a 401 or 403, whatever the body); the other bad bodies need only the former.
      let admitted = Object.entries(callers);
      for (const slot of slotsOf(op)) {
        const values = slot.where === 'body' ? [...NUL_VALUES, SURROGATE] : NUL_VALUES;
        for (const value of values) {
          const r = request(op, slot, value);
          let named = 0;
          // The request line is checked before anyone is identified: two callers show it.
          const tried = slot.where === 'body' ? admitted : Object.entries(callers).filter(([name]) => name === 'anonymous' || name === 'sysadmin');
          // The callers' requests are independent: they are sent together, and judged in the callers' order.
          const answers = await Promise.all(tried.map(([, c]) => call(c, r)));
          const passed: typeof admitted = [];
          tried.forEach(([who, c], i) => {
            const res = answers[i]!;
            const what = `${who} ${op.method} ${op.path} ${slot.field}=${JSON.stringify(value)}`;
            const problem = shapeProblem(res, what);
            if (problem) problems.push(problem);
            if (slot.where !== 'body' || res.statusCode === 400) {
              expect(res.statusCode, what).toBe(400);
              expect(res.json().error, what).toMatchObject({ code: 'invalid_text', details: { field: slot.field } });
              named++;
              passed.push([who, c]);
            } else {
              expect([401, 403], what).toContain(res.statusCode);
            }
            checked++;
          });
          if (slot.where === 'body') admitted = passed;
          expect(named, `${op.method} ${op.path} ${slot.field}: nobody reached the check`).toBeGreaterThan(0);
        }
      }
      // Headers the server reads as values.
      const headers = ['user-agent', 'x-pdx-lang', 'accept-language'];
      const answers = await Promise.all(headers.map((header) => call(t.anonymous, request(op, undefined, undefined), { [header]: 'a\u0000b' })));
      headers.forEach((header, i) => {
        expect(answers[i]!.json().error, `${op.method} ${op.path} ${header}`).toMatchObject({ code: 'invalid_text', details: { field: `headers.${header}` } });
      });
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(800);
  }, 900_000);

  it('timestamps with an impossible UTC offset in any parameter never give a 500, for every caller', async () => {
    let checked = 0;
    const problems: string[] = [];
    for (const op of operations.filter((o) => !skipped(o))) {
      const slots: Slot[] = [...slotsOf(op)];
      // The records API takes its filters from any other query parameter.
      if (op.path.endsWith('/records'))
        slots.push({ where: 'query', keys: ['出生日期'], field: 'querystring.出生日期' }, { where: 'query', keys: ['人口数'], field: 'querystring.人口数' });
      const tries = slots.flatMap((slot) =>
        BAD_TIMESTAMPS.flatMap((bad) =>
          (slot.where === 'query' && ['出生日期', '人口数'].includes(slot.keys[0]!) ? [`gt.${bad}`, `in.(${bad})`] : [bad]).map((value) => ({ slot, value })),
        ),
      );
      // The callers are independent: each goes through the tries in order, all callers at once.
      await Promise.all(
        Object.entries(callers).map(async ([who, c]) => {
          // A caller the route refuses at the door (401/403 before any parameter is read) gets the same
          // answer whatever the parameters: one bad value shows it, the rest would only repeat it.
          const benign = await call(c, request(op, undefined, undefined));
          let door: string | undefined = benign.statusCode === 401 || benign.statusCode === 403 ? `${benign.statusCode} ${benign.body}` : undefined;
          for (const { slot, value } of tries) {
            const res = await call(c, request(op, slot, value));
            const problem = shapeProblem(res, `${who} ${op.method} ${op.path} ${slot.field}=${value}`);
            if (problem) problems.push(problem);
            checked++;
            if (door !== undefined && `${res.statusCode} ${res.body}` === door) break;
            door = undefined;
          }
        }),
      );
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(500);
  }, 900_000);

  it("the framework's own refusals on every operation carry the standard shape and quote nothing", async () => {
    for (const op of operations.filter((o) => !skipped(o))) {
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      const base = request(op, undefined, undefined);
      const cases: { what: string; url: string; headers?: Record<string, string>; payload?: string; status?: number; code?: string }[] = [];
      if (pathParams.length) {
        const name = pathParams[0]!.name;
        const slot: Slot = { where: 'path', keys: [name], field: `params.${name}` };
        cases.push({ what: 'bad percent-encoding', url: request(op, slot, 'EVIL').url.replace('EVIL', 'EVIL%E4%ZZ'), status: 400, code: 'bad_url' });
        cases.push({ what: 'over-long parameter', url: request(op, slot, `EVIL${'y'.repeat(120)}`).url, status: 414, code: 'uri_too_long' });
      }
      if (op.body && !op.multipart && op.method !== 'GET') {
        cases.push({ what: 'broken JSON', url: base.url, headers: { 'content-type': 'application/json' }, payload: '{"EVIL": ' });
        cases.push({ what: 'wrong content type', url: base.url, headers: { 'content-type': 'text/evil' }, payload: 'EVIL' });
      }
      for (const k of cases) {
        const answers = await Promise.all(
          Object.values(callers).map((c) =>
            t.app.inject({
              method: op.method as 'GET',
              url: k.url,
              headers: { ...c.headers, ...k.headers },
              ...(k.payload !== undefined ? { payload: k.payload } : {}),
            }),
          ),
        );
        for (const [i, [who]] of Object.entries(callers).entries()) {
          const res = answers[i]!;
          const what = `${who} ${op.method} ${op.path}: ${k.what}`;
          expect(shapeProblem(res, what)).toBeUndefined();
          expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
          expect(res.body, what).not.toMatch(/EVIL|yyyy/);
          if (k.code) expect(res.json().error.code, what).toBe(k.code);
          if (k.status) expect(res.statusCode, what).toBe(k.status);
        }
      }
    }
  }, 900_000);
});
