/**
 * Interface sharing (接口服务, issue 17): a provider's data officer registers an HTTP API of the
 * department as a catalogue resource of kind `service`; consumers request its operations through the
 * sharing module's request → approval → grant flow; the gateway proxies each call under the grant.
 *
 * Every call: the grant is resolved from the database (revocation, expiry, IP ranges, containment:
 * the same path as the records API), the operation must be one the grant names, the path cannot
 * leave the registered base URL, only declared parameters pass, identity and routing headers of the
 * caller are not forwarded, the upstream credential is added, the upstream answers within the
 * service's timeout and size limit, each response field is rewritten to its granted form (fields not
 * granted are removed) and the call is in the audit log before the response leaves.
 */
import type { Db } from '../../db/index.ts';
import { AppError, BadRequestError, ForbiddenError, NotFoundError, UpstreamError } from '../../errors.ts';
import type { Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService, ColumnRow, DataType } from '../catalog/catalog.service.ts';
import { classifyRows } from '../classify/engine.ts';
import { columnProtection } from '../classify/grades.ts';
import { headerHints } from '../classify/headers.ts';
import { candidatesFor, RECOGNIZERS } from '../classify/recognizers/index.ts';
import { MATCH, type TypeId } from '../classify/types.ts';
import type { Caller } from '../../http/access.ts';
import type { Keyring } from '../protect/keyring.ts';
import { mask } from '../protect/masking.ts';
import { pseudonymizerOf } from '../protect/pseudonym.ts';
import { suiteHash } from '../protect/suites.ts';
import { outputValue, type CellContext } from '../share/policy.ts';
import type { RecordsService } from '../share/records.service.ts';
import { rewrite, valuesByPath } from './fields.ts';
import { gatewayRepo, type OperationRow, type ServiceRow } from './gateway.repo.ts';
import { checkOperation, parseOpenApi, type OperationSpec } from './openapi.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_CONCURRENCY = 32;
/** Request headers passed to the upstream; every other header of the caller stays at the gateway. */
const FORWARDED_HEADERS = ['accept-language', 'content-type'] as const;
const SERVICE = { zh: '接口服务', en: 'Service' };

export interface RegisterInput {
  name: string;
  summary?: string;
  shareType?: 'unconditional' | 'conditional' | 'none';
  baseUrl: string;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Calls in flight to the upstream per process at most (more: 503 upstream_busy). */
  maxConcurrency?: number;
  /** Upstream credential: a header and its value (stored encrypted, never returned). */
  auth?: { header: string; secret: string };
  /** An OpenAPI 3 document (JSON or YAML); or `operations` entered by hand. */
  openapi?: string;
  operations?: OperationSpec[];
  /** Sample responses by operation id: their fields are added and their values classify the fields. */
  samples?: Record<string, unknown>;
}

/** A registered interface as the API shows it: never the credential, the base URL only to its provider. */
export interface ServiceView {
  code: string;
  name: string;
  status: string;
  shareType: string;
  providerOrgId: string;
  providerName: string;
  grade: number | null;
  baseUrl: string | null;
  timeoutMs: number;
  maxConcurrency: number;
  authHeader: string | null;
  hasCredential: boolean;
  operations: { id: string; method: string; path: string; summary: string; parameters: OperationRow['parameters']; fields: string[] }[];
  fields: { name: string; label: string; grade: number | null; type: string | null; dataType: string }[];
}

/** What the gateway sends back: status, JSON body text, and headers. */
export interface CallResult {
  status: number;
  body: string;
  grantId: string;
}

export interface CallInput {
  method: string;
  /** The operation path after `/services/{code}`, still percent-encoded, without the query. */
  path: string;
  query: URLSearchParams;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

function bad(code: string, zh: string, en: string, details?: unknown): BadRequestError {
  return new BadRequestError(code, { zh, en }, details);
}

/** The base URL as stored: http(s), no credentials, query or fragment; no trailing slash. */
export function checkBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('invalid_base_url', '接口地址(baseUrl)不是有效的 URL', 'baseUrl is not a valid URL', { field: 'baseUrl' });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw bad('invalid_base_url', '接口地址(baseUrl)须为 http(s),不含用户名、查询串或片段', 'baseUrl must be http(s) without credentials, query or fragment', { field: 'baseUrl' });
  }
  return url.href.replace(/\/+$/, '');
}

/** A parameter value as the audit log keeps it: recognised personal values masked. */
export function auditedParameter(name: string, value: string): string {
  const hinted = Object.entries(headerHints(name)).find(([, v]) => v === 1)?.[0] as TypeId | undefined;
  if (hinted) return mask(hinted, value);
  const v = value.trim();
  if (!v) return value;
  for (const i of candidatesFor(v)) {
    const r = RECOGNIZERS[i]!;
    if (r.strength !== 'weak' && r.check(v) === MATCH) return mask(r.type, value);
  }
  return value;
}

/** Classifies the fields (names and sample values) into 信息项 rows for the catalogue. */
async function fieldColumns(fields: { path: string; label: string; dataType: DataType }[], samples: Map<string, unknown[]>) {
  const headers = fields.map((f) => (f.label && f.label !== f.path ? `${f.label} ${lastSegment(f.path)}` : lastSegment(f.path)));
  const depth = Math.max(0, ...fields.map((f) => samples.get(f.path)?.length ?? 0));
  const rows = Array.from({ length: depth }, (_, i) => ({
    values: fields.map((f) => {
      const v = samples.get(f.path)?.[i];
      return v === undefined || v === null ? null : String(v);
    }),
  }));
  const classified = (await classifyRows(headers, rows)).result.columns;
  return fields.map((f, i) => {
    const c = classified[i]!;
    return {
      name: f.path,
      physical: `f${String(i + 1).padStart(3, '0')}`,
      label: f.label,
      dataType: f.dataType,
      description: '',
      grade: c.grade,
      classification: { ...c, protection: columnProtection(c) },
    };
  });
}

function lastSegment(path: string): string {
  return path.replace(/\[\]/g, '').split('.').pop() || path;
}

/** Splits a call path into decoded segments; refuses traversal, empty segments and encoded separators. */
export function callSegments(path: string): string[] {
  const raw = path.replace(/^\/+/, '');
  if (raw === '') return [];
  return raw.split('/').map((s) => {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw bad('invalid_path', '接口路径编码无效', 'The operation path is not valid percent-encoding');
    }
    if (d === '' || d === '.' || d === '..' || /[/\\\u0000-\u001f]/.test(d)) {
      throw bad('invalid_path', '接口路径不允许空段、. 、.. 或编码的分隔符', 'The operation path may not hold empty segments, . or .., or encoded separators');
    }
    return d;
  });
}

/** The operation whose template matches the segments (literal segments before parameters), with its path parameters. */
export function matchOperation(ops: readonly OperationRow[], segments: readonly string[]): { op: OperationRow; params: Record<string, string> } | undefined {
  let best: { op: OperationRow; params: Record<string, string>; literals: number } | undefined;
  for (const op of ops) {
    const template = op.path.split('/').slice(1).filter((s, i, all) => !(s === '' && all.length === 1));
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    template.forEach((t, i) => {
      if (t.startsWith('{')) params[t.slice(1, -1)] = segments[i]!;
      else if (t === segments[i]) literals++;
      else ok = false;
    });
    if (ok && (!best || literals > best.literals)) best = { op, params, literals };
  }
  return best && { op: best.op, params: best.params };
}

export function createGatewayService(deps: {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'create' | 'setResourceColumns' | 'get' | 'getOwned' | 'visible' | 'repo'>;
  records: Pick<RecordsService, 'resolve' | 'countRequest' | 'reserveRows' | 'rowsQuotaError'>;
  keyring: Pick<Keyring, 'fieldCipher' | 'datasetKeys' | 'suite'>;
  /** The upstream client (global fetch by default). */
  fetch?: typeof fetch;
}) {
  const { db, events, catalog, records, keyring } = deps;
  const doFetch = deps.fetch ?? fetch;
  const repo = gatewayRepo(db);
  /** Calls in flight per upstream (resource id) in this process. */
  const inFlight = new Map<string, number>();

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));
  const hash = (data: string | Buffer) => suiteHash(keyring.suite, data).toString('hex');

  async function view(p: Principal, code: string): Promise<ServiceView> {
    const d = await catalog.get(p, code);
    const s = d.resource_kind === 'service' ? await repo.service(d.id) : undefined;
    if (!s) throw new NotFoundError(SERVICE);
    const ops = await repo.operations(d.id);
    const columns = await catalog.repo.columns(d.id);
    const own = (d.provider_org_id === p.orgId && p.roles.includes('data_officer')) || p.roles.includes('secadmin');
    return {
      code: d.code,
      name: d.name,
      status: d.status,
      shareType: d.share_type,
      providerOrgId: d.provider_org_id,
      providerName: d.provider_name,
      grade: d.grade,
      baseUrl: own ? s.base_url : null,
      timeoutMs: s.timeout_ms,
      maxConcurrency: s.max_concurrency,
      authHeader: own ? s.auth_header : null,
      hasCredential: s.auth_secret !== null,
      operations: ops.map((o) => ({ id: o.op_id, method: o.method, path: o.path, summary: o.summary, parameters: o.parameters, fields: o.fields })),
      fields: columns.map((c: ColumnRow) => ({
        name: c.name,
        label: c.label,
        grade: c.grade,
        type: (c.classification as { types?: { type?: string }[] }).types?.[0]?.type ?? null,
        dataType: c.data_type,
      })),
    };
  }

  /** Calls the upstream within the timeout and size limit; every failure is an UpstreamError. */
  async function upstream(s: ServiceRow, url: URL, init: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; type: string; bytes: Buffer }> {
    const signal = AbortSignal.timeout(s.timeout_ms);
    let res: Response;
    try {
      res = await doFetch(url, { ...init, redirect: 'manual', signal });
    } catch (error) {
      if (signal.aborted) throw new UpstreamError(504, 'upstream_timeout', { zh: `上游接口未在 ${s.timeout_ms} 毫秒内响应`, en: `The upstream service did not answer within ${s.timeout_ms} ms` });
      throw new UpstreamError(502, 'upstream_unreachable', { zh: '无法连接上游接口', en: 'The upstream service cannot be reached' }, { cause: (error as { cause?: { code?: string } }).cause?.code ?? 'error' });
    }
    try {
      if (res.status >= 300 && res.status < 400) {
        throw new UpstreamError(502, 'upstream_redirect', { zh: '上游接口返回重定向,网关不跟随', en: 'The upstream service answered with a redirect; the gateway does not follow it' }, { status: res.status });
      }
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > s.max_response_bytes) throw tooLarge(s);
      const chunks: Buffer[] = [];
      let size = 0;
      if (res.body) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > s.max_response_bytes) throw tooLarge(s);
          chunks.push(Buffer.from(chunk));
        }
      }
      return { status: res.status, type: res.headers.get('content-type') ?? '', bytes: Buffer.concat(chunks) };
    } catch (error) {
      await res.body?.cancel().catch(() => undefined);
      if (error instanceof AppError) throw error;
      if (signal.aborted) throw new UpstreamError(504, 'upstream_timeout', { zh: `上游接口未在 ${s.timeout_ms} 毫秒内响应`, en: `The upstream service did not answer within ${s.timeout_ms} ms` });
      throw new UpstreamError(502, 'upstream_reset', { zh: '上游接口连接中断', en: 'The upstream connection was cut' });
    }
  }

  function tooLarge(s: ServiceRow): UpstreamError {
    return new UpstreamError(502, 'upstream_too_large', { zh: `上游响应超过 ${s.max_response_bytes} 字节上限`, en: `The upstream response exceeds the limit of ${s.max_response_bytes} bytes` }, { limit: s.max_response_bytes });
  }

  /** Maps an upstream status that is not a success to the pdx error the consumer sees (never the upstream body). */
  function statusError(status: number): AppError {
    if (status === 404) return new AppError(404, 'upstream_not_found', { zh: '上游接口未找到所查询的对象', en: 'The upstream service found nothing for this query' }, { upstreamStatus: status });
    if (status === 400 || status === 422) return new AppError(400, 'upstream_rejected', { zh: '上游接口认为请求参数无效', en: 'The upstream service refused the parameters' }, { upstreamStatus: status });
    return new UpstreamError(502, 'upstream_error', { zh: `上游接口返回错误(HTTP ${status})`, en: `The upstream service answered with an error (HTTP ${status})` }, { upstreamStatus: status });
  }

  const service = {
    repo,
    view,

    /** Registers an interface (draft resource of kind service) with its operations and graded fields. */
    async register(caller: Caller, input: RegisterInput): Promise<ServiceView> {
      const baseUrl = checkBaseUrl(input.baseUrl);
      const imported = input.openapi !== undefined ? parseOpenApi(input.openapi) : undefined;
      const ops = imported ? imported.operations : (input.operations ?? []).map((o, i) => checkOperation(structuredClone(o), `operations[${i}]`));
      if (ops.length === 0) throw bad('no_operations', '至少登记一个接口操作(operations 或 openapi)', 'Register at least one operation (operations or openapi)', { field: 'operations' });
      const ids = new Set<string>();
      for (const op of ops) {
        if (ids.has(op.id)) throw bad('duplicate_operation', `接口操作 ${op.id} 重复`, `Operation ${op.id} appears twice`, { field: 'operations', operation: op.id });
        ids.add(op.id);
      }
      if (input.auth && !/^[A-Za-z0-9-]{1,64}$/.test(input.auth.header)) throw bad('invalid_auth_header', '凭据请求头名称无效', 'Invalid credential header name', { field: 'auth.header' });
      // Fields: declared ones, then those a sample response shows; their values classify them.
      const samples = new Map<string, unknown[]>();
      for (const [opId, sample] of Object.entries(input.samples ?? {})) {
        const op = ops.find((o) => o.id === opId);
        if (!op) throw bad('unknown_operation', `样例响应对应的接口操作 ${opId} 不存在`, `Sample for unknown operation ${opId}`, { field: 'samples', operation: opId });
        for (const [path, values] of valuesByPath(sample)) {
          if (!op.fields.some((f) => f.path === path)) op.fields.push({ path, label: lastSegment(path), dataType: typeof values.find((v) => v !== null) === 'number' ? 'decimal' : typeof values.find((v) => v !== null) === 'boolean' ? 'boolean' : 'text' });
          samples.set(path, [...(samples.get(path) ?? []), ...values]);
        }
      }
      for (const op of ops) checkOperation(op, `operations.${op.id}`);
      const fields = new Map<string, { path: string; label: string; dataType: DataType }>();
      for (const op of ops) for (const f of op.fields) if (!fields.has(f.path)) fields.set(f.path, f);
      if (fields.size === 0) throw bad('no_fields', '接口操作没有响应字段(在 OpenAPI 响应结构、fields 或样例响应中给出)', 'The operations declare no response fields (give them in the OpenAPI response schema, fields or a sample)', { field: 'operations' });
      const columns = await fieldColumns([...fields.values()], samples);

      const d = await catalog.create(
        caller,
        {
          name: input.name,
          summary: input.summary ?? imported?.description ?? '',
          domain: '',
          category: '',
          format: '接口',
          share_type: input.shareType ?? 'conditional',
          share_conditions: '',
          share_methods: ['api'],
          open_type: 'none',
          update_cycle: 'realtime',
          related_codes: [],
          tags: ['接口服务'],
          contact: {},
          on_invalid: 'reject',
        },
        'service',
      );
      const secret = input.auth ? (await keyring.fieldCipher(d.id)).encrypt(input.auth.secret) : null;
      await db.transaction(async (tx) => {
        const r = gatewayRepo(tx);
        await r.insertService({
          datasetId: d.id,
          baseUrl,
          timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          maxResponseBytes: input.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
          maxConcurrency: input.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
          authHeader: input.auth?.header.toLowerCase() ?? null,
          authSecret: secret,
        });
        for (const [i, op] of ops.entries()) {
          await r.insertOperation({ datasetId: d.id, op_id: op.id, method: op.method, path: op.path, summary: op.summary, parameters: op.parameters, fields: op.fields.map((f) => f.path), position: i + 1 });
        }
      });
      await catalog.setResourceColumns(d.id, columns);
      await record(caller, {
        action: 'gateway.register',
        result: 'success',
        dataset: d.code,
        target: { type: 'service', id: d.id, label: input.name },
        details: { host: new URL(baseUrl).host, operations: ops.map((o) => `${o.method} ${o.path}`), fields: columns.map((c) => ({ name: c.name, grade: c.grade })), credential: input.auth ? input.auth.header.toLowerCase() : null, imported: Boolean(imported) },
      });
      return view(caller.principal, d.code);
    },

    /** Replaces (or removes) the upstream credential; the value is encrypted and never shown again. */
    async setCredential(caller: Caller, code: string, auth: { header: string; secret: string } | null): Promise<ServiceView> {
      const d = await catalog.getOwned(caller.principal, code);
      if (d.resource_kind !== 'service' || !(await repo.service(d.id))) throw new NotFoundError(SERVICE);
      if (auth && !/^[A-Za-z0-9-]{1,64}$/.test(auth.header)) throw bad('invalid_auth_header', '凭据请求头名称无效', 'Invalid credential header name', { field: 'header' });
      await repo.setAuth(d.id, auth?.header.toLowerCase() ?? null, auth ? (await keyring.fieldCipher(d.id)).encrypt(auth.secret) : null);
      await record(caller, { action: 'gateway.credential', result: 'success', dataset: code, target: { type: 'service', id: d.id }, details: { header: auth?.header.toLowerCase() ?? null, removed: auth === null } });
      return view(caller.principal, code);
    },

    /** Interfaces the caller may see (published ones, and drafts of the caller's organisation). */
    async list(p: Principal): Promise<ServiceView[]> {
      const ids = await repo.serviceIds();
      const out: ServiceView[] = [];
      for (const id of ids) {
        const d = await catalog.repo.byId(id);
        if (d && catalog.visible(d, p)) out.push(await view(p, d.code));
      }
      return out;
    },

    /** Operation ids of an interface (the sharing module checks requests against them). */
    operationsOf: async (datasetId: string) => (await repo.operations(datasetId)).map((o) => o.op_id),

    /** One proxied call (see the module comment for the guarantees). */
    async call(caller: Caller, code: string, input: CallInput): Promise<CallResult> {
      const started = Date.now();
      const access = await records.resolve(caller, code, undefined, 'service');
      const { grant, ctx } = access;
      const deny = async (error: AppError, details: Record<string, unknown>) => {
        await record(caller, { action: 'access.denied', result: 'denied', dataset: code, details: { reason: error.code, grant: grant.id, ...details } });
        return error;
      };
      const s = await repo.service(ctx.dataset.id);
      if (!s) throw new NotFoundError(SERVICE);
      let segments: string[];
      try {
        segments = callSegments(input.path);
      } catch (error) {
        throw await deny(error as AppError, { method: input.method });
      }
      const matched = matchOperation(await repo.operationsFor(ctx.dataset.id, input.method), segments);
      if (!matched) {
        throw await deny(new AppError(404, 'unknown_operation', { zh: '接口服务没有与该方法和路径对应的操作', en: 'The service has no operation for this method and path' }, { method: input.method }), { method: input.method });
      }
      const { op, params } = matched;
      if (!(grant.service_terms?.operations ?? []).includes(op.op_id)) {
        throw await deny(new ForbiddenError('operation_not_granted', { zh: `接口操作 ${op.op_id} 不在授权范围内`, en: `Operation ${op.op_id} is not granted to you` }, { operation: op.op_id }), { operation: op.op_id });
      }
      // Parameters: only declared query parameters pass, required ones must be there.
      const query = new URLSearchParams();
      for (const [name, value] of input.query) {
        const spec = op.parameters.find((p) => p.in === 'query' && p.name === name);
        if (!spec) throw await deny(bad('unknown_parameter', `接口操作 ${op.op_id} 没有参数 ${name}`, `Operation ${op.op_id} has no parameter ${name}`, { parameter: name }), { operation: op.op_id });
        query.append(name, value);
      }
      for (const p of op.parameters) {
        if (p.required && p.in === 'query' && !query.has(p.name)) throw bad('missing_parameter', `缺少必填参数 ${p.name}`, `Missing required parameter ${p.name}`, { parameter: p.name });
      }
      await records.countRequest(caller, code, grant, 'requests', grant.requests_per_minute);
      // rows_per_day of a service grant counts calls per day.
      if ((await records.reserveRows(grant, 1)) === 0) throw records.rowsQuotaError();

      // The upstream URL: the registered base, the template with encoded values, declared parameters.
      const base = new URL(s.base_url);
      const path = op.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
      const url = new URL(`${s.base_url}${path === '/' ? '' : path}`);
      url.search = query.toString();
      if (url.origin !== base.origin || !(url.pathname === base.pathname || url.pathname.startsWith(base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`))) {
        throw bad('invalid_path', '接口路径超出登记的接口地址', 'The operation path leaves the registered base URL');
      }
      const headers: Record<string, string> = { accept: 'application/json', 'x-pdx-consumer-org': caller.principal.orgId, ...(caller.requestId ? { 'x-pdx-request-id': caller.requestId } : {}) };
      for (const name of FORWARDED_HEADERS) {
        const v = input.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      if (s.auth_header && s.auth_secret) headers[s.auth_header] = (await keyring.fieldCipher(ctx.dataset.id)).decrypt(s.auth_secret);
      const requestBody = input.body === undefined || input.method === 'GET' || input.method === 'DELETE' ? undefined : JSON.stringify(input.body);
      if (requestBody === undefined) delete headers['content-type'];
      else headers['content-type'] = 'application/json';

      const audited = {
        operation: op.op_id,
        method: op.method,
        path: op.path,
        parameters: Object.fromEntries([...Object.entries(params), ...query.entries()].map(([k, v]) => [k, auditedParameter(k, v)])),
        grantId: grant.id,
        grant: grant.id,
        purpose: grant.purpose,
        requestHash: requestBody === undefined ? null : hash(requestBody),
      };
      const fail = async (error: AppError, extra: Record<string, unknown> = {}) => {
        await record(caller, { action: 'gateway.call', result: 'failure', dataset: code, details: { ...audited, error: error.code, status: error.status, latencyMs: Date.now() - started, ...extra } });
        return error;
      };

      let answer: { status: number; type: string; bytes: Buffer };
      const busy = inFlight.get(s.dataset_id) ?? 0;
      if (busy >= s.max_concurrency) {
        throw await fail(new AppError(503, 'upstream_busy', { zh: '上游接口并发调用已达上限,请稍后重试', en: 'Too many calls to this upstream service are in flight; retry shortly' }, { limit: s.max_concurrency }));
      }
      inFlight.set(s.dataset_id, busy + 1);
      try {
        answer = await upstream(s, url, { method: op.method, headers, ...(requestBody !== undefined ? { body: requestBody } : {}) });
      } catch (error) {
        throw error instanceof AppError ? await fail(error) : error;
      } finally {
        const left = (inFlight.get(s.dataset_id) ?? 1) - 1;
        if (left > 0) inFlight.set(s.dataset_id, left);
        else inFlight.delete(s.dataset_id);
      }
      if (answer.status < 200 || answer.status >= 300) throw await fail(statusError(answer.status), { upstreamStatus: answer.status, responseHash: hash(answer.bytes) });
      let parsed: unknown;
      try {
        if (!/json/i.test(answer.type)) throw new Error('not json');
        parsed = JSON.parse(answer.bytes.toString('utf8'));
      } catch {
        throw await fail(new UpstreamError(502, 'upstream_not_json', { zh: '上游接口没有返回 JSON', en: 'The upstream service did not answer JSON' }), { upstreamStatus: answer.status, responseHash: hash(answer.bytes) });
      }

      // Each granted field of this operation in its form; everything else is removed.
      const visible = access.view.filter((c) => c.mode !== 'hidden' && op.fields.includes(c.name));
      const keys = visible.some((c) => c.mode === 'pseudonym') ? await keyring.datasetKeys(ctx.dataset.id) : undefined;
      const cellCtx: CellContext = keys ? { pseudonym: pseudonymizerOf(keys, caller.principal.orgId) } : {};
      const forms = new Map(visible.map((c) => [c.name, (v: string | number | boolean | null) => outputValue(c, v, cellCtx)] as const));
      const { body, fields } = rewrite(parsed, forms);
      const text = JSON.stringify(body);
      await record(caller, {
        action: 'gateway.call',
        result: 'success',
        dataset: code,
        details: {
          ...audited,
          columns: visible.map((c) => ({ name: c.name, mode: c.mode })),
          rowCount: 1,
          fieldsSent: fields,
          upstreamStatus: answer.status,
          latencyMs: Date.now() - started,
          responseHash: hash(answer.bytes),
          sentHash: hash(text),
        },
      });
      return { status: answer.status, body: text, grantId: grant.id };
    },
  };
  return service;
}

export type GatewayService = ReturnType<typeof createGatewayService>;
