/**
 * What every module's routes share, once: the error-response schema, and the caller of a request as
 * services receive it. The audit event built from a caller is `callerEvent` in
 * src/modules/audit/events.ts (the audit module owns the shape of its records).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Caller, Principal } from './access.ts';

export type { Caller } from './access.ts';
export { pickLanguage } from './errors.ts';

/** The body of every error answer (src/http/errors.ts writes it): `{"error":{"code","message","details"}}`. */
export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

/**
 * The error answers a route documents, each with the one error schema:
 * `response: { 200: …, ...errorResponses(400, 401, 403) }`.
 */
export function errorResponses<const S extends readonly number[]>(...statuses: S): ErrorResponses<S[number]> {
  return Object.fromEntries(statuses.map((status) => [status, errorSchema])) as ErrorResponses<S[number]>;
}

/**
 * Keyed by the status as text, as an object literal `{ 400: … }` is: Fastify's types then still let a
 * handler answer an undeclared status such as 304 (numeric keys would narrow `reply.code`).
 */
type ErrorResponses<S extends number> = { [K in S as `${K}`]: typeof errorSchema };

/** The usual error answers of an authenticated route. */
export const COMMON_ERRORS = errorResponses(400, 401, 403, 404, 409);

/**
 * The caller of an authenticated route: its principal (set by the one auth hook, which has already
 * refused anonymous callers on such routes), the request id and the client address for audit.
 */
export function callerOf(request: FastifyRequest): Caller {
  return { principal: request.principal as Principal, requestId: request.id, ip: request.ip };
}
