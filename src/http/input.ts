/**
 * Text a request brings in must be storable as PostgreSQL text. NUL (U+0000) is refused by the
 * database ("invalid byte sequence"), which used to surface as a 500 or a cut stream; an unpaired
 * UTF-16 surrogate would be stored silently as U+FFFD. Both are refused here, once, for every route:
 * path parameters, query parameters (names and values), headers and JSON bodies, with a 400 naming
 * the parameter (`params.code`, `querystring.dataset`, `headers.user-agent`, `body.match.姓名`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError } from '../errors.ts';

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Deeper JSON than this is not walked (bodies are small and schemas bound them). */
const MAX_DEPTH = 64;

/** True when the text holds a character PostgreSQL text cannot store as given. */
export function hasUnstorable(text: string): boolean {
  return UNSTORABLE.test(text);
}

/** A name that may itself hold such characters, made printable for the message. */
function printable(name: string): string {
  return name.replace(UNSTORABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function unstorableError(field: string): BadRequestError {
  const name = printable(field);
  return new BadRequestError(
    'invalid_text',
    {
      zh: `参数 ${name} 含有无法保存的字符（NUL 空字符或不成对的 UTF-16 代理项）`,
      en: `Parameter ${name} contains a character that cannot be stored (NUL or an unpaired UTF-16 surrogate)`,
    },
    { field: name },
  );
}

/** Throws the 400 when a text input holds an unstorable character. */
export function assertStorable(value: string | undefined | null, field: string): void {
  if (typeof value === 'string' && hasUnstorable(value)) throw unstorableError(field);
}

/** The path of the first unstorable string (or key) in a JSON value, if any. */
export function findUnstorable(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return hasUnstorable(value) ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || Buffer.isBuffer(value)) return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnstorable(item, `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (hasUnstorable(key)) return `${path}.${key}`;
    const found = findUnstorable(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Path parameters, query parameters (as the routes parse them) and headers of a request. */
function checkRequestLine(request: FastifyRequest): void {
  for (const [name, value] of Object.entries((request.params ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && hasUnstorable(value)) throw unstorableError(`params.${name}`);
  }
  const raw = request.raw.url ?? '';
  const q = raw.indexOf('?');
  if (q >= 0) {
    for (const [name, value] of new URLSearchParams(raw.slice(q + 1))) {
      if (hasUnstorable(name) || hasUnstorable(value)) throw unstorableError(`querystring.${name}`);
    }
  }
  for (const [name, value] of Object.entries(request.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string' && v.includes('\u0000')) throw unstorableError(`headers.${name}`);
    }
  }
}

/**
 * Installs the check on every route: the request line and headers before authentication (so no
 * lookup ever sees such a value), the parsed body before validation.
 */
export function registerInputCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => checkRequestLine(request));
  app.addHook('preValidation', async (request) => {
    const found = findUnstorable(request.body, 'body');
    if (found) throw unstorableError(found);
  });
}
