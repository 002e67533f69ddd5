import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, TooManyRequestsError, type Message } from '../errors.ts';

/** The error body every endpoint returns: `{"error":{"code","message","details"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Picks Chinese unless the client prefers English. */
export function pickLanguage(request: FastifyRequest): 'zh' | 'en' {
  const header = request.headers['x-pdx-lang'] ?? request.headers['accept-language'] ?? '';
  return String(header).trim().toLowerCase().startsWith('en') ? 'en' : 'zh';
}

function body(request: FastifyRequest, code: string, text: Message, details?: unknown): ErrorBody {
  return { error: { code, message: text[pickLanguage(request)], ...(details === undefined ? {} : { details }) } };
}

const fastifyCodes: Record<string, { code: string; text: Message }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', text: { zh: '请求体超过大小限制', en: 'Request body too large' } },
  FST_REQ_FILE_TOO_LARGE: { code: 'payload_too_large', text: { zh: '上传文件超过大小限制', en: 'Uploaded file too large' } },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', text: { zh: '不支持的内容类型', en: 'Unsupported content type' } },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', text: { zh: '请求体为空', en: 'Empty JSON body' } },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', text: { zh: '请求体不是合法的 JSON', en: 'Body is not valid JSON' } },
};

/** Maps every thrown error to a status and the standard body; never leaks internals on 5xx. */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) {
    if (error instanceof TooManyRequestsError) reply.header('retry-after', String(error.retryAfter));
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(error.status).send(body(request, error.code, error.text, error.details));
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({
      field: `${error.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`,
      message: v.message,
    }));
    const fields = details.map((d) => d.field).join(', ');
    return reply
      .status(400)
      .send(body(request, 'invalid_request', { zh: `请求参数无效:${fields}`, en: `Invalid request: ${fields}` }, details));
  }
  if (isResponseSerializationError(error)) {
    request.log.error({ err: error }, 'response did not match its schema');
    return reply.status(500).send(body(request, 'internal', { zh: '服务器内部错误', en: 'Internal server error' }));
  }
  const known = error.code ? fastifyCodes[error.code] : undefined;
  const status = error.statusCode ?? 500;
  if (known) return reply.status(status).send(body(request, known.code, known.text));
  if (status === 429) {
    return reply.status(429).send(body(request, 'rate_limited', { zh: '请求过于频繁,请稍后再试', en: 'Too many requests, retry later' }));
  }
  if (status >= 400 && status < 500) {
    return reply.status(status).send(body(request, 'bad_request', { zh: `请求无效:${error.message}`, en: `Bad request: ${error.message}` }));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(body(request, 'internal', { zh: '服务器内部错误', en: 'Internal server error' }));
}

/** Unknown API paths get the standard body; other paths are left to the console. */
export function apiNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .status(404)
    .send(body(request, 'not_found', { zh: `接口不存在:${request.method} ${request.url.split('?')[0]}`, en: `No such endpoint: ${request.method} ${request.url.split('?')[0]}` }));
}
