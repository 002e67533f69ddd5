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
import { createPrivateKey, X509Certificate } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch as undiciFetch, type Response } from 'undici';
import type { Db } from '../../db/index.ts';
import { AppError, BadRequestError, ForbiddenError, NotFoundError, UpstreamError } from '../../errors.ts';
import type { Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { DATASET_DEFAULTS, type CatalogService, type ColumnRow, type DatasetRow, type DataType } from '../catalog/catalog.service.ts';
import { classifyRows, REPORT_THRESHOLD } from '../classify/engine.ts';
import { columnProtection, gradeColumn } from '../classify/grades.ts';
import { headerHints } from '../classify/headers.ts';
import { candidatesFor, RECOGNIZERS } from '../classify/recognizers/index.ts';
import { MATCH, type ColumnResult, type TypeId } from '../classify/types.ts';
import type { Caller } from '../../http/access.ts';
import { portOf } from '../egress/egress.ts';
import { AddressRefusedError, type EgressService } from '../egress/egress.service.ts';
import { fieldCipherOf, type Keyring } from '../protect/keyring.ts';
import { mask } from '../../lib/mask.ts';
import { pseudonymizerOf } from '../protect/pseudonym.ts';
import { suiteHash } from '../protect/suites.ts';
import { outputValue, type CellContext } from '../share/access/compile.ts';
import type { RecordsService } from '../share/records.service.ts';
import { rewrite, valuesByPath } from './fields.ts';
import { backoffMs, CircuitBreaker, type BreakerState, isAvailabilityFailure, isIdempotent, isRetryable, RETRY_STATUSES } from './resilience.ts';
import { gatewayRepo, type OperationRow, type ServiceRow } from './gateway.repo.ts';
import { checkOperation, parseOpenApi, type OperationSpec } from './openapi.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_CONCURRENCY = 32;
export const DEFAULT_HEALTH_INTERVAL_S = 60;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_BREAKER_THRESHOLD = 5;
export const DEFAULT_BREAKER_COOLDOWN_MS = 30_000;
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
  /** Periodic health check: GET base URL + path every intervalSeconds. */
  health?: { path: string; intervalSeconds?: number };
  /** Retries of idempotent operations (default 2). */
  retries?: number;
  /** Circuit breaker: opens after `threshold` consecutive failed calls, probes after `cooldownMs`. */
  breaker?: { threshold?: number; cooldownMs?: number };
  clientCertificate?: ClientCertificateInput;
  /** PEM CA that signs the upstream's server certificate (default: the system's CAs). */
  upstreamCa?: string;
}

/** An edit of a registered service; what is absent stays as it is. */
export interface UpdateInput {
  baseUrl?: string;
  timeoutMs?: number;
  /** A header with a new value, or a blank value to keep the stored one; null removes the credential. */
  auth?: { header: string; secret?: string } | null;
  openapi?: string;
  operations?: OperationSpec[];
  samples?: Record<string, unknown>;
}

export interface EditPreviewInput {
  openapi?: string;
  operations?: OperationSpec[];
  samples?: Record<string, unknown>;
  /** The caller's service an edit would change. */
  service?: string;
}

export interface ImportPreview {
  title: string;
  servers: string[];
  operations: OperationSpec[];
  fields: { path: string; label: string; grade: number | null; type: string | null; existing: boolean }[];
  added: string[];
  removed: string[];
}

/** Client certificate (mTLS) the gateway presents to the upstream; the key is sealed, never returned. */
export interface ClientCertificateInput {
  cert: string;
  key: string;
}

/** A registered interface as the API shows it: never the credential, the base URL only to its provider. */
export interface ServiceView {
  code: string;
  name: string;
  status: DatasetRow['status'];
  shareType: string;
  providerOrgId: string;
  providerName: string;
  grade: number | null;
  baseUrl: string | null;
  timeoutMs: number;
  maxConcurrency: number;
  authHeader: string | null;
  hasCredential: boolean;
  /** The client certificate's subject, issuer and expiry (provider only); never the key. */
  clientCertificate: { subject: string; issuer: string; validTo: string } | null;
  hasClientCertificate: boolean;
  hasUpstreamCa: boolean;
  health: { path: string | null; intervalSeconds: number; state: string; checkedAt: string | null; error: string | null };
  resilience: { retries: number; breakerThreshold: number; breakerCooldownMs: number; breaker: BreakerState; consecutiveFailures: number };
  operations: { id: string; method: string; path: string; summary: string; parameters: OperationRow['parameters']; fields: string[] }[];
  fields: { name: string; label: string; grade: number | null; type: string | null; dataType: string }[];
}

/** The upstream's answer as read (within the size limit). */
interface UpstreamAnswer {
  status: number;
  type: string;
  bytes: Buffer;
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
    throw bad('invalid_base_url', '接口地址（baseUrl）不是有效的 URL', 'baseUrl is not a valid URL', { field: 'baseUrl' });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw bad(
      'invalid_base_url',
      '接口地址（baseUrl）须为 http(s)，不含用户名、查询串或片段',
      'baseUrl must be http(s) without credentials, query or fragment',
      { field: 'baseUrl' },
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** A health check path: absolute, no dot segments, query allowed. */
export function checkHealthPath(path: string): string {
  const [p = ''] = path.split('?');
  if (!p.startsWith('/') || p.split('/').some((seg) => seg === '.' || seg === '..') || /[\\#\u0000-\u001f]/.test(path)) {
    throw bad('invalid_health_path', '健康检查路径（health.path）须以 / 开头，不含 . 或 .. 段', 'health.path must start with / and hold no . or .. segments', {
      field: 'health.path',
    });
  }
  return path;
}

/** What the API shows of a client certificate: subject, issuer, expiry. */
export function certificateSummary(pem: string): { subject: string; issuer: string; validTo: string } {
  const c = new X509Certificate(pem);
  return { subject: c.subject.replace(/\n/g, ', '), issuer: c.issuer.replace(/\n/g, ', '), validTo: new Date(c.validTo).toISOString() };
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

/**
 * Classifies the fields (names and sample values) into 信息项 rows for the catalogue. A field that no
 * sample shows is typed from its label and name alone (the first type they name, at the reporting
 * threshold), so that 法定代表人姓名 is masked as a name even before a response was seen; the officer
 * reviews it as any classification.
 */
export async function fieldColumns(fields: { path: string; label: string; dataType: DataType }[], samples: Map<string, unknown[]>) {
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
    const c = typedFromHeader(classified[i]!, headers[i]!, samples.has(f.path));
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

function typedFromHeader(c: ColumnResult, header: string, sampled: boolean): ColumnResult {
  if (sampled || c.types.length > 0) return c;
  const hinted = Object.entries(headerHints(header)).find(([, v]) => v === 1)?.[0] as TypeId | undefined;
  if (!hinted) return c;
  const types = [{ type: hinted, confidence: REPORT_THRESHOLD, matched: 0, checksumFailed: 0 }];
  // A response field sits next to the others of one person or company: graded as person-tied (就高从严).
  return { ...c, types, ...gradeColumn(types, true) };
}

function lastSegment(path: string): string {
  return path.replace(/\[\]/g, '').split('.').pop() || path;
}

/**
 * The operations of a registration or an edit (an OpenAPI document, else the hand-entered list) with
 * their response fields: declared ones, then those a sample response shows, whose values classify them.
 */
export async function operationsFrom(input: { openapi?: string; operations?: OperationSpec[]; samples?: Record<string, unknown> }) {
  const imported = input.openapi !== undefined ? parseOpenApi(input.openapi) : undefined;
  const ops = imported ? imported.operations : (input.operations ?? []).map((o, i) => checkOperation(structuredClone(o), `operations[${i}]`));
  if (ops.length === 0)
    throw bad('no_operations', '至少登记一个接口操作（operations 或 openapi）', 'Register at least one operation (operations or openapi)', {
      field: 'operations',
    });
  const ids = new Set<string>();
  for (const op of ops) {
    if (ids.has(op.id))
      throw bad('duplicate_operation', `接口操作 ${op.id} 重复`, `Operation ${op.id} appears twice`, { field: 'operations', operation: op.id });
    ids.add(op.id);
  }
  const samples = new Map<string, unknown[]>();
  for (const [opId, sample] of Object.entries(input.samples ?? {})) {
    const op = ops.find((o) => o.id === opId);
    if (!op)
      throw bad('unknown_operation', `样例响应对应的接口操作 ${opId} 不存在`, `Sample for unknown operation ${opId}`, { field: 'samples', operation: opId });
    for (const [path, values] of valuesByPath(sample)) {
      if (!op.fields.some((f) => f.path === path))
        op.fields.push({
          path,
          label: lastSegment(path),
          dataType: typeof values.find((v) => v !== null) === 'number' ? 'decimal' : typeof values.find((v) => v !== null) === 'boolean' ? 'boolean' : 'text',
        });
      samples.set(path, [...(samples.get(path) ?? []), ...values]);
    }
  }
  for (const op of ops) checkOperation(op, `operations.${op.id}`);
  const fields = new Map<string, { path: string; label: string; dataType: DataType }>();
  for (const op of ops) for (const f of op.fields) if (!fields.has(f.path)) fields.set(f.path, f);
  if (fields.size === 0)
    throw bad(
      'no_fields',
      '接口操作没有响应字段（在 OpenAPI 响应结构、fields 或样例响应中给出）',
      'The operations declare no response fields (give them in the OpenAPI response schema, fields or a sample)',
      { field: 'operations' },
    );
  return { imported, ops, columns: await fieldColumns([...fields.values()], samples) };
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
    const template = op.path
      .split('/')
      .slice(1)
      .filter((s, i, all) => !(s === '' && all.length === 1));
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
  catalog: Pick<CatalogService, 'create' | 'setResourceColumns' | 'get' | 'getOwned' | 'visible' | 'columnsOf' | 'byId'>;
  records: Pick<RecordsService, 'resolve' | 'countCall'>;
  keyring: Pick<Keyring, 'fieldCipher' | 'datasetKeys' | 'keysFromRows' | 'suite' | 'seal' | 'unseal'>;
  egress: Pick<EgressService, 'checkHost' | 'checkAddress' | 'lookupFor' | 'generation'>;
}) {
  const { db, events, catalog, records, keyring, egress } = deps;
  const repo = gatewayRepo(db);
  /**
   * One connection pool per upstream, rebuilt when the service changes: its sockets connect only to
   * addresses the egress guard checked at connection time (the lookup below).
   */
  const agents = new Map<string, { key: string; agent: Agent }>();
  function agentOf(s: ServiceRow): Agent {
    const key = `${s.base_url}|${new Date(s.updated_at).toISOString()}|${egress.generation()}`;
    const known = agents.get(s.dataset_id);
    if (known?.key === key) return known.agent;
    void known?.agent.close().catch(() => undefined);
    const agent = new Agent({
      connect: {
        lookup: egress.lookupFor('baseUrl', portOf(new URL(s.base_url))),
        ...(s.client_cert && s.client_key_sealed ? { cert: s.client_cert, key: keyring.unseal(Buffer.from(s.client_key_sealed)).toString('utf8') } : {}),
        ...(s.upstream_ca ? { ca: s.upstream_ca } : {}),
      },
    });
    agents.set(s.dataset_id, { key, agent });
    return agent;
  }
  /** Resource id by code, as the grants resolved them (lets the call read its service early). */
  const datasetIds = new Map<string, string>();
  /** Calls in flight per upstream (resource id) in this process. */
  const inFlight = new Map<string, number>();

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));
  const hash = (data: string | Buffer) => suiteHash(keyring.suite, data).toString('hex');

  async function view(p: Principal, code: string): Promise<ServiceView> {
    const d = await catalog.get(p, code);
    const s = d.resource_kind === 'service' ? await repo.service(d.id) : undefined;
    if (!s) throw new NotFoundError(SERVICE);
    const ops = await repo.operations(d.id);
    const columns = await catalog.columnsOf(d.id);
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
      clientCertificate: own && s.client_cert ? certificateSummary(s.client_cert) : null,
      hasClientCertificate: s.client_cert !== null,
      hasUpstreamCa: s.upstream_ca !== null,
      health: {
        path: s.health_path,
        intervalSeconds: s.health_interval_s,
        state: s.health_state,
        checkedAt: s.health_checked_at ? new Date(s.health_checked_at).toISOString() : null,
        error: s.health_error,
      },
      resilience: {
        retries: s.retries,
        breakerThreshold: s.breaker_threshold,
        breakerCooldownMs: s.breaker_cooldown_ms,
        breaker: breakers.get(s.dataset_id)?.state(s.breaker_cooldown_ms) ?? 'closed',
        consecutiveFailures: breakers.get(s.dataset_id)?.consecutiveFailures() ?? 0,
      },
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
  async function upstream(s: ServiceRow, url: URL, init: { method: string; headers: Record<string, string>; body?: string }): Promise<UpstreamAnswer> {
    const signal = AbortSignal.timeout(s.timeout_ms);
    let res: Response;
    try {
      // An address literal is not looked up: it is checked here, on every call.
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(host)) await egress.checkAddress('baseUrl', host, portOf(url));
      res = await undiciFetch(url, { ...init, redirect: 'manual', signal, dispatcher: agentOf(s) });
    } catch (error) {
      const refused = error instanceof AddressRefusedError ? error : (error as { cause?: unknown }).cause;
      if (refused instanceof AddressRefusedError) {
        throw new UpstreamError(502, 'upstream_address_refused', {
          zh: '上游接口地址指向不允许访问的地址',
          en: 'The upstream address points at an address pdx does not contact',
        });
      }
      if (signal.aborted)
        throw new UpstreamError(504, 'upstream_timeout', {
          zh: `上游接口未在 ${s.timeout_ms} 毫秒内响应`,
          en: `The upstream service did not answer within ${s.timeout_ms} ms`,
        });
      throw new UpstreamError(
        502,
        'upstream_unreachable',
        { zh: '无法连接上游接口', en: 'The upstream service cannot be reached' },
        { cause: (error as { cause?: { code?: string } }).cause?.code ?? 'error' },
      );
    }
    try {
      if (res.status >= 300 && res.status < 400) {
        throw new UpstreamError(
          502,
          'upstream_redirect',
          { zh: '上游接口返回重定向，网关不跟随', en: 'The upstream service answered with a redirect; the gateway does not follow it' },
          { status: res.status },
        );
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
      if (signal.aborted)
        throw new UpstreamError(504, 'upstream_timeout', {
          zh: `上游接口未在 ${s.timeout_ms} 毫秒内响应`,
          en: `The upstream service did not answer within ${s.timeout_ms} ms`,
        });
      throw new UpstreamError(502, 'upstream_reset', { zh: '上游接口连接中断', en: 'The upstream connection was cut' });
    }
  }

  function tooLarge(s: ServiceRow): UpstreamError {
    return new UpstreamError(
      502,
      'upstream_too_large',
      { zh: `上游响应超过 ${s.max_response_bytes} 字节上限`, en: `The upstream response exceeds the limit of ${s.max_response_bytes} bytes` },
      { limit: s.max_response_bytes },
    );
  }

  /** Checks a client certificate (PEM, key matching, CA readable) and seals its key under the master key. */
  function sealCertificate(input: ClientCertificateInput, field: string): { cert: string; keySealed: Buffer } {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(input.cert);
    } catch {
      throw bad('invalid_client_certificate', `${field}.cert 不是有效的 PEM 证书`, `${field}.cert is not a valid PEM certificate`, { field: `${field}.cert` });
    }
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey(input.key);
    } catch {
      throw bad(
        'invalid_client_certificate',
        `${field}.key 不是有效的 PEM 私钥（不支持加密的私钥）`,
        `${field}.key is not a valid PEM private key (encrypted keys are not supported)`,
        { field: `${field}.key` },
      );
    }
    if (!cert.checkPrivateKey(key))
      throw bad('invalid_client_certificate', `${field}.key 与证书不匹配`, `${field}.key does not belong to the certificate`, { field: `${field}.key` });
    return { cert: input.cert, keySealed: keyring.seal(Buffer.from(input.key, 'utf8')) };
  }

  /**
   * One health check: GET base URL + health path through the same guarded pool (egress, mTLS), the
   * upstream credential added; up on a 2xx within the timeout. A change of state is audited.
   */
  async function checkHealth(s: ServiceRow, code?: string): Promise<void> {
    let state: 'up' | 'down' = 'up';
    let error: string | null = null;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (s.auth_header && s.auth_secret) headers[s.auth_header] = (await keyring.fieldCipher(s.dataset_id)).decrypt(s.auth_secret);
      const answer = await upstream(s, new URL(`${s.base_url}${s.health_path}`), { method: 'GET', headers });
      if (answer.status < 200 || answer.status >= 300) {
        state = 'down';
        error = `upstream_status_${answer.status}`;
      }
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      state = 'down';
      error = e.code;
    }
    const before = await repo.setHealth(s.dataset_id, state, error);
    if (before !== state) {
      await events.record({
        action: 'gateway.health',
        result: state === 'up' ? 'success' : 'failure',
        ...(code ? { dataset: code } : {}),
        target: { type: 'service', id: s.dataset_id },
        details: { from: before ?? 'unknown', to: state, error },
      });
    }
  }

  /** Circuit breakers per upstream (resource id), in this process. */
  const breakers = new Map<string, CircuitBreaker>();
  function breakerOf(id: string): CircuitBreaker {
    let b = breakers.get(id);
    if (!b) breakers.set(id, (b = new CircuitBreaker()));
    return b;
  }

  function unavailable(s: ServiceRow, breaker: CircuitBreaker): AppError {
    const seconds = breaker.retryAfterSeconds(s.breaker_cooldown_ms);
    return new AppError(
      503,
      'upstream_unavailable',
      {
        zh: `上游接口连续调用失败，暂停调用（熔断），约 ${seconds} 秒后重试`,
        en: `The upstream service failed repeatedly; calls are paused (circuit open), retry in about ${seconds} s`,
      },
      { retryAfterSeconds: seconds },
    );
  }

  /**
   * One call with the service's retries: idempotent operations only, after a connection failure or
   * a 502/503/504 answer, with exponential backoff, never past the service's timeout.
   */
  async function withRetries(s: ServiceRow, method: string, attempt: () => Promise<UpstreamAnswer>): Promise<{ answer: UpstreamAnswer; attempts: number }> {
    const deadline = Date.now() + s.timeout_ms;
    const retries = isIdempotent(method) ? s.retries : 0;
    for (let n = 0; ; n++) {
      let answer: UpstreamAnswer | undefined;
      try {
        answer = await attempt();
      } catch (error) {
        if (!isRetryable(error) || n >= retries) throw Object.assign(error as object, { attempts: n + 1 });
      }
      if (answer && (!RETRY_STATUSES.has(answer.status) || n >= retries)) return { answer, attempts: n + 1 };
      const wait = backoffMs(n);
      if (Date.now() + wait >= deadline) {
        if (answer) return { answer, attempts: n + 1 };
        throw new UpstreamError(502, 'upstream_unreachable', { zh: '无法连接上游接口', en: 'The upstream service cannot be reached' }, { attempts: n + 1 });
      }
      await sleep(wait);
    }
  }

  /** Maps an upstream status that is not a success to the pdx error the consumer sees (never the upstream body). */
  function statusError(status: number): AppError {
    if (status === 404)
      return new AppError(
        404,
        'upstream_not_found',
        { zh: '上游接口未找到所查询的对象', en: 'The upstream service found nothing for this query' },
        { upstreamStatus: status },
      );
    if (status === 400 || status === 422)
      return new AppError(
        400,
        'upstream_rejected',
        { zh: '上游接口认为请求参数无效', en: 'The upstream service refused the parameters' },
        { upstreamStatus: status },
      );
    return new UpstreamError(
      502,
      'upstream_error',
      { zh: `上游接口返回错误（HTTP ${status}）`, en: `The upstream service answered with an error (HTTP ${status})` },
      { upstreamStatus: status },
    );
  }

  /** The caller's own registered service (its department's data officer). */
  async function ownService(caller: Caller, code: string) {
    const d = await catalog.getOwned(caller.principal, code);
    if (d.resource_kind !== 'service' || !(await repo.service(d.id))) throw new NotFoundError(SERVICE);
    return d;
  }

  const service = {
    repo,
    view,

    /** Registers an interface (draft resource of kind service) with its operations and graded fields. */
    async register(caller: Caller, input: RegisterInput): Promise<ServiceView> {
      const baseUrl = checkBaseUrl(input.baseUrl);
      const parsedBase = new URL(baseUrl);
      await egress.checkHost('baseUrl', parsedBase.hostname, portOf(parsedBase));
      if (input.auth && !/^[A-Za-z0-9-]{1,64}$/.test(input.auth.header))
        throw bad('invalid_auth_header', '凭据请求头名称无效', 'Invalid credential header name', { field: 'auth.header' });
      if (input.health) checkHealthPath(input.health.path);
      const certificate = input.clientCertificate ? sealCertificate(input.clientCertificate, 'clientCertificate') : undefined;
      if (input.upstreamCa !== undefined) {
        try {
          new X509Certificate(input.upstreamCa);
        } catch {
          throw bad('invalid_upstream_ca', 'upstreamCa 不是有效的 PEM 证书', 'upstreamCa is not a valid PEM certificate', { field: 'upstreamCa' });
        }
      }
      const { imported, ops, columns } = await operationsFrom(input);

      const d = await catalog.create(
        caller,
        {
          ...DATASET_DEFAULTS,
          name: input.name,
          summary: input.summary ?? imported?.description ?? '',
          format: '接口',
          share_type: input.shareType ?? 'conditional',
          update_cycle: 'realtime',
          tags: ['接口服务'],
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
          healthPath: input.health ? checkHealthPath(input.health.path) : null,
          healthIntervalS: input.health?.intervalSeconds ?? DEFAULT_HEALTH_INTERVAL_S,
          retries: input.retries ?? DEFAULT_RETRIES,
          breakerThreshold: input.breaker?.threshold ?? DEFAULT_BREAKER_THRESHOLD,
          breakerCooldownMs: input.breaker?.cooldownMs ?? DEFAULT_BREAKER_COOLDOWN_MS,
          clientCert: certificate?.cert ?? null,
          clientKeySealed: certificate?.keySealed ?? null,
          upstreamCa: input.upstreamCa ?? null,
        });
        for (const [i, op] of ops.entries()) {
          await r.insertOperation({
            datasetId: d.id,
            op_id: op.id,
            method: op.method,
            path: op.path,
            summary: op.summary,
            parameters: op.parameters,
            fields: op.fields.map((f) => f.path),
            position: i + 1,
          });
        }
      });
      await catalog.setResourceColumns(d.id, columns);
      await record(caller, {
        action: 'gateway.register',
        result: 'success',
        dataset: d.code,
        target: { type: 'service', id: d.id, label: input.name },
        details: {
          host: new URL(baseUrl).host,
          clientCertificate: certificate ? certificateSummary(certificate.cert) : null,
          health: input.health?.path ?? null,
          operations: ops.map((o) => `${o.method} ${o.path}`),
          fields: columns.map((c) => ({ name: c.name, grade: c.grade })),
          credential: input.auth ? input.auth.header.toLowerCase() : null,
          imported: Boolean(imported),
        },
      });
      return view(caller.principal, d.code);
    },

    /**
     * What an OpenAPI document (or a hand-entered list) would register, nothing stored: operations and
     * response fields with their detected type and grade. For an edit of the caller's own service, a
     * field it already has keeps its reviewed classification (`existing`), and the operations added
     * and removed are named.
     */
    async preview(caller: Caller, input: EditPreviewInput): Promise<ImportPreview> {
      const { imported, ops, columns } = await operationsFrom(input);
      const kept = input.service ? await ownService(caller, input.service) : undefined;
      const before = kept ? new Map((await catalog.columnsOf(kept.id)).map((c) => [c.name, c])) : new Map<string, ColumnRow>();
      const previous = kept ? (await repo.operations(kept.id)).map((o) => o.op_id) : [];
      return {
        title: imported?.title ?? '',
        servers: imported?.servers ?? [],
        operations: ops,
        fields: columns.map((c) => {
          const old = before.get(c.name);
          const types = ((old?.classification ?? c.classification) as { types?: { type?: string }[] }).types;
          return { path: c.name, label: c.label, grade: old ? old.grade : c.grade, type: types?.[0]?.type ?? null, existing: Boolean(old) };
        }),
        added: kept ? ops.map((o) => o.id).filter((id) => !previous.includes(id)) : [],
        removed: previous.filter((id) => !ops.some((o) => o.id === id)),
      };
    },

    /**
     * Edits a registered service: base URL, timeout, upstream credential (a blank secret keeps the
     * stored one; null removes it) and the operations (an OpenAPI document or a list). Fields the
     * service had keep their classification; new ones are classified; audited without the secret.
     */
    async update(caller: Caller, code: string, input: UpdateInput): Promise<ServiceView> {
      const d = await ownService(caller, code);
      const s = (await repo.service(d.id))!;
      const baseUrl = input.baseUrl !== undefined ? checkBaseUrl(input.baseUrl) : s.base_url;
      if (input.baseUrl !== undefined) {
        const parsedBase = new URL(baseUrl);
        await egress.checkHost('baseUrl', parsedBase.hostname, portOf(parsedBase));
      }
      let authHeader = s.auth_header;
      let authSecret = s.auth_secret;
      if (input.auth === null) {
        authHeader = null;
        authSecret = null;
      } else if (input.auth) {
        if (!/^[A-Za-z0-9-]{1,64}$/.test(input.auth.header))
          throw bad('invalid_auth_header', '凭据请求头名称无效', 'Invalid credential header name', { field: 'auth.header' });
        authHeader = input.auth.header.toLowerCase();
        if (input.auth.secret) authSecret = (await keyring.fieldCipher(d.id)).encrypt(input.auth.secret);
        else if (!authSecret)
          throw bad('credential_required', '没有已保存的凭据值，请填写凭据值', 'No credential value is stored; give one', { field: 'auth.secret' });
      }
      const replacing = input.openapi !== undefined || input.operations !== undefined;
      const next = replacing ? await operationsFrom(input) : undefined;
      const previous = await repo.operations(d.id);
      let columns: Parameters<typeof catalog.setResourceColumns>[1] | undefined;
      if (next) {
        const before = new Map((await catalog.columnsOf(d.id)).map((c) => [c.name, c]));
        let n = Math.max(0, ...[...before.values()].map((c) => Number(c.physical.slice(1)) || 0));
        columns = next.columns.map((c) => {
          const old = before.get(c.name);
          if (!old) return { ...c, physical: `f${String(++n).padStart(3, '0')}` };
          return { ...c, physical: old.physical, label: old.label || c.label, grade: old.grade ?? c.grade, classification: old.classification };
        });
      }
      await db.transaction(async (tx) => {
        const r = gatewayRepo(tx);
        await r.updateService(d.id, { baseUrl, timeoutMs: input.timeoutMs ?? s.timeout_ms, authHeader, authSecret });
        if (next) {
          await r.deleteOperations(d.id);
          for (const [i, op] of next.ops.entries()) {
            await r.insertOperation({
              datasetId: d.id,
              op_id: op.id,
              method: op.method,
              path: op.path,
              summary: op.summary,
              parameters: op.parameters,
              fields: op.fields.map((f) => f.path),
              position: i + 1,
            });
          }
        }
      });
      if (columns) await catalog.setResourceColumns(d.id, columns);
      const ids = next?.ops.map((o) => o.id);
      await record(caller, {
        action: 'gateway.update',
        result: 'success',
        dataset: code,
        target: { type: 'service', id: d.id, label: d.name },
        details: {
          ...(baseUrl !== s.base_url ? { host: { from: new URL(s.base_url).host, to: new URL(baseUrl).host } } : {}),
          ...(input.timeoutMs !== undefined && input.timeoutMs !== s.timeout_ms ? { timeoutMs: { from: s.timeout_ms, to: input.timeoutMs } } : {}),
          ...(input.auth !== undefined ? { credential: { header: authHeader, replaced: Boolean(input.auth?.secret), removed: input.auth === null } } : {}),
          ...(ids
            ? {
                operations: {
                  added: ids.filter((id) => !previous.some((o) => o.op_id === id)),
                  removed: previous.map((o) => o.op_id).filter((id) => !ids.includes(id)),
                },
                imported: Boolean(next?.imported),
              }
            : {}),
          ...(columns ? { fields: columns.map((c) => ({ name: c.name, grade: c.grade })) } : {}),
        },
      });
      return view(caller.principal, code);
    },

    /** Replaces (or removes) the upstream credential; the value is encrypted and never shown again. */
    async setCredential(caller: Caller, code: string, auth: { header: string; secret: string } | null): Promise<ServiceView> {
      const d = await catalog.getOwned(caller.principal, code);
      if (d.resource_kind !== 'service' || !(await repo.service(d.id))) throw new NotFoundError(SERVICE);
      if (auth && !/^[A-Za-z0-9-]{1,64}$/.test(auth.header))
        throw bad('invalid_auth_header', '凭据请求头名称无效', 'Invalid credential header name', { field: 'header' });
      await repo.setAuth(d.id, auth?.header.toLowerCase() ?? null, auth ? (await keyring.fieldCipher(d.id)).encrypt(auth.secret) : null);
      await record(caller, {
        action: 'gateway.credential',
        result: 'success',
        dataset: code,
        target: { type: 'service', id: d.id },
        details: { header: auth?.header.toLowerCase() ?? null, removed: auth === null },
      });
      return view(caller.principal, code);
    },

    /** Replaces (or removes) the client certificate; the key is sealed and never shown again. */
    async setClientCertificate(caller: Caller, code: string, input: ClientCertificateInput | null): Promise<ServiceView> {
      const d = await catalog.getOwned(caller.principal, code);
      if (d.resource_kind !== 'service' || !(await repo.service(d.id))) throw new NotFoundError(SERVICE);
      const sealed = input ? sealCertificate(input, 'clientCertificate') : undefined;
      await repo.setClientCertificate(d.id, sealed?.cert ?? null, sealed?.keySealed ?? null);
      await record(caller, {
        action: 'gateway.client_certificate',
        result: 'success',
        dataset: code,
        target: { type: 'service', id: d.id },
        details: { certificate: sealed ? certificateSummary(sealed.cert) : null, removed: input === null },
      });
      return view(caller.principal, code);
    },

    /** Checks the upstream's health now (the provider's 立即检查) and returns the service. */
    async checkHealthNow(caller: Caller, code: string): Promise<ServiceView> {
      const d = await catalog.getOwned(caller.principal, code);
      const s = d.resource_kind === 'service' ? await repo.service(d.id) : undefined;
      if (!s) throw new NotFoundError(SERVICE);
      if (!s.health_path) throw bad('no_health_check', '该接口服务没有登记健康检查路径', 'This service has no health check path', { field: 'health.path' });
      await checkHealth(s, d.code);
      return view(caller.principal, code);
    },

    /** Checks every service whose health check is due (one process per check); called every few seconds. */
    async healthTick(): Promise<number> {
      const due = await repo.claimHealthDue();
      await Promise.all(due.map((s) => checkHealth(s)));
      return due.length;
    },

    /** Interfaces the caller may see (published ones, and drafts of the caller's organisation). */
    async list(p: Principal): Promise<ServiceView[]> {
      const ids = await repo.serviceIds();
      const out: ServiceView[] = [];
      for (const id of ids) {
        const d = await catalog.byId(id);
        if (d && catalog.visible(d, p)) out.push(await view(p, d.code));
      }
      return out;
    },

    /** Every registered interface with its provider, whatever its status (the call statistics' scope). */
    async registered(): Promise<{ code: string; name: string; providerOrgId: string }[]> {
      const out: { code: string; name: string; providerOrgId: string }[] = [];
      for (const id of await repo.serviceIds()) {
        const d = await catalog.byId(id);
        if (d) out.push({ code: d.code, name: d.name, providerOrgId: d.provider_org_id });
      }
      return out;
    },

    /** Operation ids of an interface (the sharing module checks requests against them). */
    operationsOf: async (datasetId: string) => (await repo.operations(datasetId)).map((o) => o.op_id),

    /** One proxied call (see the module comment for the guarantees). */
    async call(caller: Caller, code: string, input: CallInput): Promise<CallResult> {
      const started = Date.now();
      // The service row is read alongside the grant when this process has seen the code before (a
      // code names one resource for good; the id is checked against the grant's all the same).
      const known = datasetIds.get(code);
      const early = known === undefined ? undefined : repo.callTarget(known, input.method);
      early?.catch(() => undefined);
      const access = await records.resolve(caller, code, undefined, 'service');
      const { grant, ctx } = access;
      datasetIds.set(code, ctx.dataset.id);
      const deny = async (error: AppError, details: Record<string, unknown>) => {
        await record(caller, { action: 'access.denied', result: 'denied', dataset: code, details: { reason: error.code, grant: grant.id, ...details } });
        return error;
      };
      const target = early && known === ctx.dataset.id ? await early : await repo.callTarget(ctx.dataset.id, input.method);
      if (!target) throw new NotFoundError(SERVICE);
      const s = target.service;
      let segments: string[];
      try {
        segments = callSegments(input.path);
      } catch (error) {
        throw await deny(error as AppError, { method: input.method });
      }
      const matched = matchOperation(target.operations, segments);
      if (!matched) {
        throw await deny(
          new AppError(
            404,
            'unknown_operation',
            { zh: '接口服务没有与该方法和路径对应的操作', en: 'The service has no operation for this method and path' },
            { method: input.method },
          ),
          { method: input.method },
        );
      }
      const { op, params } = matched;
      if (!(grant.service_terms?.operations ?? []).includes(op.op_id)) {
        throw await deny(
          new ForbiddenError(
            'operation_not_granted',
            { zh: `接口操作 ${op.op_id} 不在授权范围内`, en: `Operation ${op.op_id} is not granted to you` },
            { operation: op.op_id },
          ),
          { operation: op.op_id },
        );
      }
      // Parameters: only declared query parameters pass, required ones must be there.
      const query = new URLSearchParams();
      for (const [name, value] of input.query) {
        const spec = op.parameters.find((p) => p.in === 'query' && p.name === name);
        if (!spec)
          throw await deny(
            bad('unknown_parameter', `接口操作 ${op.op_id} 没有参数 ${name}`, `Operation ${op.op_id} has no parameter ${name}`, { parameter: name }),
            { operation: op.op_id },
          );
        query.append(name, value);
      }
      for (const p of op.parameters) {
        if (p.required && p.in === 'query' && !query.has(p.name)) {
          throw await deny(bad('missing_parameter', `缺少必填参数 ${p.name}`, `Missing required parameter ${p.name}`, { parameter: p.name }), {
            operation: op.op_id,
            parameter: p.name,
          });
        }
      }
      // Quota refusals are the platform's quota event (result denied), which the quota and denial
      // detectors count; rows_per_day of a service grant counts calls per day.
      await records.countCall(caller, code, grant, { operation: op.op_id });

      // The upstream URL: the registered base, the template with encoded values, declared parameters.
      const base = new URL(s.base_url);
      const path = op.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
      const url = new URL(`${s.base_url}${path === '/' ? '' : path}`);
      url.search = query.toString();
      if (
        url.origin !== base.origin ||
        !(url.pathname === base.pathname || url.pathname.startsWith(base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`))
      ) {
        throw bad('invalid_path', '接口路径超出登记的接口地址', 'The operation path leaves the registered base URL');
      }
      const headers: Record<string, string> = {
        accept: 'application/json',
        'x-pdx-consumer-org': caller.principal.orgId,
        ...(caller.requestId ? { 'x-pdx-request-id': caller.requestId } : {}),
      };
      for (const name of FORWARDED_HEADERS) {
        const v = input.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      // The key rows came with the grant (one statement); before the resource's first key, datasetKeys makes it.
      const datasetKeys = () => (ctx.dataKeys.length ? keyring.keysFromRows(ctx.dataset.id, ctx.dataKeys) : keyring.datasetKeys(ctx.dataset.id));
      if (s.auth_header && s.auth_secret) headers[s.auth_header] = fieldCipherOf(await datasetKeys()).decrypt(s.auth_secret);
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
        await record(caller, {
          action: 'gateway.call',
          result: 'failure',
          dataset: code,
          details: { ...audited, error: error.code, status: error.status, latencyMs: Date.now() - started, ...extra },
        });
        return error;
      };

      let answer: { status: number; type: string; bytes: Buffer };
      const busy = inFlight.get(s.dataset_id) ?? 0;
      if (busy >= s.max_concurrency) {
        throw await fail(
          new AppError(
            503,
            'upstream_busy',
            { zh: '上游接口并发调用已达上限，请稍后重试', en: 'Too many calls to this upstream service are in flight; retry shortly' },
            { limit: s.max_concurrency },
          ),
        );
      }
      const breaker = breakerOf(s.dataset_id);
      if (breaker.admit(s.breaker_cooldown_ms) === 'refuse') {
        throw await fail(unavailable(s, breaker), { breaker: 'open' });
      }
      inFlight.set(s.dataset_id, busy + 1);
      let attempts: number;
      try {
        ({ answer, attempts } = await withRetries(s, op.method, () =>
          upstream(s, url, { method: op.method, headers, ...(requestBody !== undefined ? { body: requestBody } : {}) }),
        ));
        if (answer.status >= 500) breaker.failure(s.breaker_threshold);
        else breaker.success();
      } catch (error) {
        if (isAvailabilityFailure(error)) breaker.failure(s.breaker_threshold);
        else breaker.release();
        throw error instanceof AppError ? await fail(error, { attempts: (error as { attempts?: number }).attempts ?? 1 }) : error;
      } finally {
        const left = (inFlight.get(s.dataset_id) ?? 1) - 1;
        if (left > 0) inFlight.set(s.dataset_id, left);
        else inFlight.delete(s.dataset_id);
      }
      if (answer.status < 200 || answer.status >= 300)
        throw await fail(statusError(answer.status), { upstreamStatus: answer.status, responseHash: hash(answer.bytes), attempts });
      let parsed: unknown;
      try {
        if (!/json/i.test(answer.type)) throw new Error('not json');
        parsed = JSON.parse(answer.bytes.toString('utf8'));
      } catch {
        throw await fail(new UpstreamError(502, 'upstream_not_json', { zh: '上游接口没有返回 JSON', en: 'The upstream service did not answer JSON' }), {
          upstreamStatus: answer.status,
          responseHash: hash(answer.bytes),
        });
      }

      // Each granted field of this operation in its form; everything else is removed.
      const visible = access.view.filter((c) => c.mode !== 'hidden' && op.fields.includes(c.name));
      const keys = visible.some((c) => c.mode === 'pseudonym') ? await datasetKeys() : undefined;
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
          attempts,
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
