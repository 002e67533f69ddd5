/**
 * The console's one way to call the pdx API: typed by the routes' own schemas (schema.d.ts, generated
 * by `npm run gen:api`), with the session cookie, the CSRF token and the console language on every
 * call, and failures thrown as ApiError.
 *
 *   const dataset = await GET('/api/v1/datasets/{code}', { path: { code } });
 *   await POST('/api/v1/share/requests/{id}/reject', { path: { id }, body: { reason } });
 *
 * The path is the route's pattern as the server declares it; a wrong path, a missing parameter or a
 * body of the wrong shape does not compile, and the answer has the route's response type. Name server
 * shapes with ResponseOf / BodyOf / QueryOf rather than writing them again (README: API documentation).
 */
import { currentLang } from '../i18n.tsx';
import type { paths } from './schema';

/** An error answered by the server, with its stable code and a message in the console language. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

// ---- types read from the generated schema ---------------------------------------------------------

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** Every route pattern that answers the method. */
export type PathOf<M extends Method> = { [P in keyof paths]: paths[P] extends Record<M, object> ? P : never }[keyof paths];
type Operation<P extends PathOf<M>, M extends Method> = paths[P][M];

type Json<R> = R extends { content: { 'application/json': infer T } } ? (T extends null ? void : T) : void;
type Responses<O> = O extends { responses: infer R } ? R : never;
/** What the route answers on success (a union when it has several success statuses, e.g. 201 | 202). */
export type ResponseOf<P extends PathOf<M>, M extends Method> = {
  [S in keyof Responses<Operation<P, M>>]: Json<Responses<Operation<P, M>>[S]>;
}[keyof Responses<Operation<P, M>>];
/** The JSON body the route accepts. */
export type BodyOf<P extends PathOf<M>, M extends Method> = Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type Parameters_<P extends PathOf<M>, M extends Method> = Operation<P, M> extends { parameters: infer X } ? X : never;
/** The route's query parameters. */
export type QueryOf<P extends PathOf<M>, M extends Method> = NonNullable<Parameters_<P, M> extends { query?: infer Q } ? Q : never>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type PathPart<X> = X extends { path: infer T } ? { path: T } : unknown;
type QueryPart<X> = X extends { query: infer T }
  ? { query: T }
  : X extends { query?: infer T }
    ? [T] extends [never | undefined]
      ? unknown
      : { query?: T }
    : unknown;
type BodyPart<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
  ? { body: B }
  : O extends { requestBody?: { content: { 'application/json': infer B } } }
    ? { body?: B }
    : unknown;
/** The second argument of a call: path parameters, query and body, each only where the route has them. */
export type Init<P extends PathOf<M>, M extends Method> = Simplify<PathPart<Parameters_<P, M>> & QueryPart<Parameters_<P, M>> & BodyPart<Operation<P, M>>>;
/** The init argument is optional where every part of it is. */
type Args<I> = Partial<I> extends I ? [init?: I] : [init: I];

// ---- requests --------------------------------------------------------------------------------------

/** The console's CSRF cookie; the open-data portal's society users have their own (see `portal`). */
const CONSOLE_CSRF = 'pdx_csrf';

function csrfToken(cookie: string): string | undefined {
  const raw = document.cookie
    .split('; ')
    .find((c) => c.startsWith(`${cookie}=`))
    ?.slice(cookie.length + 1);
  return raw ? decodeURIComponent(raw) : undefined;
}

/** The headers every call carries: console language, and the CSRF token for anything but GET. */
export function requestHeaders(method: string, csrfCookie = CONSOLE_CSRF): Record<string, string> {
  const headers: Record<string, string> = { 'x-pdx-lang': currentLang() };
  const token = csrfToken(csrfCookie);
  if (token && method.toUpperCase() !== 'GET') headers['x-csrf-token'] = token;
  return headers;
}

/** The ApiError for a failed answer's status and (parsed) body, the server's `{ error }` shape. */
export function apiError(status: number, data: unknown, statusText: string): ApiError {
  const error = (data as { error?: { code: string; message: string; details?: unknown } } | undefined)?.error;
  return new ApiError(status, error?.code ?? 'http_error', error?.message ?? (statusText || `HTTP ${status}`), error?.details);
}

/** Query string of the set parameters (undefined, null and '' are left out); '' or '?…'. */
export function queryString(query: object | undefined): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) q.append(key, String(item));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The URL of a route pattern with its path parameters (encoded) and query filled in. */
function fill(pattern: string, init: { path?: object; query?: object } | undefined): string {
  const params = (init?.path ?? {}) as Record<string, string | number>;
  const url = pattern.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params[name])));
  return url + queryString(init?.query);
}

/**
 * The address of a GET route, for links and downloads the browser fetches itself (it sends the
 * session cookie): `urlOf('/api/v1/audit/export', { query: { format: 'csv' } })`.
 */
export function urlOf<P extends PathOf<'get'>>(path: P, ...[init]: Args<Init<P, 'get'>>): string {
  return fill(path, init as { path?: object; query?: object } | undefined);
}

async function send(
  method: Method,
  pattern: string,
  init: { path?: object; query?: object; body?: unknown } | undefined,
  csrfCookie: string,
): Promise<unknown> {
  const body = init?.body;
  const headers = requestHeaders(method, csrfCookie);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(fill(pattern, init), {
    method: method.toUpperCase(),
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw apiError(response.status, data, response.statusText);
  return data;
}

function caller<M extends Method>(method: M, csrfCookie: string) {
  return <P extends PathOf<M>>(path: P, ...[init]: Args<Init<P, M>>): Promise<ResponseOf<P, M>> =>
    send(method, path, init as { path?: object; query?: object; body?: unknown } | undefined, csrfCookie) as Promise<ResponseOf<P, M>>;
}

/** The typed calls of a session whose CSRF token is in `csrfCookie`. */
function callers(csrfCookie: string) {
  return {
    GET: caller('get', csrfCookie),
    POST: caller('post', csrfCookie),
    PUT: caller('put', csrfCookie),
    PATCH: caller('patch', csrfCookie),
    DELETE: caller('delete', csrfCookie),
  };
}

export const { GET, POST, PUT, PATCH, DELETE } = callers(CONSOLE_CSRF);
/** Calls of the open-data portal: society users have their own session and CSRF cookie (pdx_open_csrf). */
export const portal = callers('pdx_open_csrf');

/**
 * Sends a multipart form (file uploads) to a POST route with the same headers and errors as the
 * JSON calls. XMLHttpRequest rather than fetch, because only it reports upload progress.
 */
export function upload<P extends PathOf<'post'>>(
  path: P,
  init: Init<P, 'post'>,
  form: FormData,
  onProgress?: (sent: number, total: number | undefined) => void,
): { done: Promise<ResponseOf<P, 'post'>>; abort(): void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<ResponseOf<P, 'post'>>((resolve, reject) => {
    xhr.open('POST', fill(path, init as { path?: object; query?: object }));
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(requestHeaders('POST'))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : undefined);
    xhr.onload = () => {
      let data: unknown;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as ResponseOf<P, 'post'>);
      else reject(apiError(xhr.status, data, xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', currentLang() === 'zh' ? '网络错误,上传未完成' : 'Network error: the upload did not complete'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', currentLang() === 'zh' ? '上传已取消' : 'Upload cancelled'));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

// ---- UI constants of server enums -----------------------------------------------------------------

/**
 * A list of every member of a server enum, in display order; it does not compile when the schema
 * gains or loses a member: `export const SEVERITIES = allOf<Severity>()(['general', …])`.
 */
export function allOf<T extends string | number>() {
  return <const A extends readonly T[]>(values: A & ([T] extends [A[number]] ? unknown : { missing: Exclude<T, A[number]> })): readonly T[] => values;
}
