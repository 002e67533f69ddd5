import { currentLang } from '../i18n.tsx';

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

function csrfToken(cookie: string): string | undefined {
  return document.cookie
    .split('; ')
    .find((c) => c.startsWith(`${cookie}=`))
    ?.slice(cookie.length + 1);
}

/**
 * Calls the pdx API with the session cookie, CSRF token and language; throws ApiError on failure.
 * The open-data portal passes its own CSRF cookie (pdx_open_csrf): society users have their own session.
 */
export async function api<T>(method: string, path: string, body?: unknown, options: { csrfCookie?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { 'x-pdx-lang': currentLang() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = csrfToken(options.csrfCookie ?? 'pdx_csrf');
  if (token && method !== 'GET') headers['x-csrf-token'] = decodeURIComponent(token);
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (data as { error?: { code: string; message: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? response.statusText, error?.details);
  }
  return data as T;
}
