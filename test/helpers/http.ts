/** API clients over real HTTP (fetch) with the same shape as the inject() clients of api.ts. */
import type { Client } from './api.ts';
import { authenticatorFor } from './authenticator.ts';

interface HttpResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test responses are checked field by field
}

/** A Client over real HTTP (fetch), the shape share-helpers expects. */
export function httpClient(base: string, headers: Record<string, string>): Client {
  return {
    headers,
    async call(method, url, body, extra = {}) {
      const isBuffer = Buffer.isBuffer(body);
      const res = await fetch(`${base}${url}`, {
        method,
        headers: { ...headers, ...(body !== undefined && !isBuffer ? { 'content-type': 'application/json' } : {}), ...extra },
        ...(body === undefined ? {} : { body: isBuffer ? new Uint8Array(body as Buffer) : JSON.stringify(body) }),
      });
      const text = await res.text();
      const responseHeaders: Record<string, string> = {};
      res.headers.forEach((value, name) => (responseHeaders[name] = value));
      const out: HttpResponse = { statusCode: res.status, body: text, headers: responseHeaders, json: () => JSON.parse(text) };
      return out as unknown as Awaited<ReturnType<Client['call']>>;
    },
  };
}

/**
 * POST /auth/login and, for an account that needs a second factor, /auth/second-factor with a code from
 * the server's authenticator; returns the last answer (its Set-Cookie holds the session).
 */
export async function fetchSignIn(base: string, username: string, password: string, init: Omit<RequestInit, 'method' | 'body'> = {}): Promise<Response> {
  const post = (url: string, body: unknown) =>
    fetch(`${base}${url}`, { ...init, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const res = await post('/api/v1/auth/login', { username, password });
  if (res.status !== 200) return res;
  const { secondFactor } = (await res.clone().json()) as { secondFactor?: { ticket: string; enrol?: { secret: string } } };
  if (!secondFactor) return res;
  return post('/api/v1/auth/second-factor', { ticket: secondFactor.ticket, code: await authenticatorFor(base).code(username, secondFactor) });
}

type SessionHeaders = { cookie: string; 'x-csrf-token': string };

/** Signs in over HTTP (a second factor answered by the server's authenticator): the status, and the session's headers when it succeeded. */
async function signInOverHttp(base: string, username: string, password: string): Promise<{ status: number; body: string; headers?: SessionHeaders }> {
  const res = await fetchSignIn(base, username, password);
  const body = await res.text();
  if (res.status !== 200) return { status: res.status, body };
  const cookies = Object.fromEntries(res.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  return {
    status: 200,
    body,
    headers: {
      cookie: Object.entries(cookies)
        .map(([k, v]) => `${k}=${v}`)
        .join('; '),
      'x-csrf-token': decodeURIComponent(cookies.pdx_csrf ?? ''),
    },
  };
}

/** The headers of a signed-in session as the console sends them (cookies and the CSRF header); throws on a refusal. */
export async function sessionHeaders(base: string, username: string, password: string): Promise<SessionHeaders> {
  const { status, body, headers } = await signInOverHttp(base, username, password);
  if (!headers) throw new Error(`sign-in of ${username}: ${status} ${body}`);
  return headers;
}

/** Signs in over HTTP; an account that needs a second factor gets a code from the server's authenticator. */
export async function httpLogin(base: string, username: string, password: string): Promise<{ status: number; client?: Client }> {
  const { status, headers } = await signInOverHttp(base, username, password);
  return headers ? { status, client: httpClient(base, headers) } : { status };
}
