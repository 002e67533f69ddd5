import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, TooManyRequestsError, type Message } from '../errors.ts';

/** The error body every endpoint returns: `{"error":{"code","message","details"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Picks Chinese unless the client prefers English (x-pdx-lang, else Accept-Language). */
export function pickLanguage(request: Pick<FastifyRequest, 'headers'>): 'zh' | 'en' {
  const header = request.headers['x-pdx-lang'] ?? request.headers['accept-language'] ?? '';
  return String(header).trim().toLowerCase().startsWith('en') ? 'en' : 'zh';
}

function body(request: FastifyRequest, code: string, text: Message, details?: unknown): ErrorBody {
  return { error: { code, message: text[pickLanguage(request)], ...(details === undefined ? {} : { details }) } };
}

/**
 * Fastify's (and its plugins') own errors, by code. Their messages often quote the request (the path,
 * a header): none of that is echoed; the code is kept in details.reason.
 */
const fastifyCodes: Record<string, { code: string; text: Message }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', text: { zh: '请求体超过大小限制', en: 'Request body too large' } },
  FST_REQ_FILE_TOO_LARGE: { code: 'payload_too_large', text: { zh: '上传文件超过大小限制', en: 'Uploaded file too large' } },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', text: { zh: '不支持的内容类型（Content-Type）', en: 'Unsupported content type' } },
  FST_ERR_CTP_INVALID_TYPE: { code: 'unsupported_media_type', text: { zh: '内容类型（Content-Type）无效', en: 'Invalid content type' } },
  FST_ERR_CTP_EMPTY_TYPE: { code: 'unsupported_media_type', text: { zh: '缺少内容类型（Content-Type）', en: 'Missing content type' } },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', text: { zh: 'Content-Length 与请求体长度不符', en: 'Content-Length does not match the body' } },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', text: { zh: '请求体为空', en: 'Empty JSON body' } },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', text: { zh: '请求体不是合法的 JSON', en: 'Body is not valid JSON' } },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    code: 'multipart_required',
    text: { zh: '请以 multipart/form-data 上传', en: 'Send the request as multipart/form-data' },
  },
  FST_PROTO_VIOLATION: { code: 'invalid_json', text: { zh: '请求体含有不允许的属性（__proto__）', en: 'Body holds a forbidden property (__proto__)' } },
  FST_ERR_BAD_URL: {
    code: 'bad_url',
    text: {
      zh: '请求路径的百分号编码无效（如 %E4%ZZ）；路径中的中文等字符须做 URL 编码',
      en: 'Invalid percent-encoding in the path; encode non-ASCII characters in the URL',
    },
  },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', text: { zh: '路径参数过长', en: 'A path parameter is too long' } },
};

/** What a status alone says, for framework errors without a known code (never their own message). */
const statusTexts: Record<number, { code: string; text: Message }> = {
  400: { code: 'bad_request', text: { zh: '请求无效', en: 'Bad request' } },
  404: { code: 'not_found', text: { zh: '资源不存在', en: 'Not found' } },
  405: { code: 'method_not_allowed', text: { zh: '不支持该请求方法', en: 'Method not allowed' } },
  406: { code: 'not_acceptable', text: { zh: '无法按请求的格式（Accept）应答', en: 'Not acceptable' } },
  408: { code: 'request_timeout', text: { zh: '请求超时', en: 'Request timeout' } },
  411: { code: 'length_required', text: { zh: '缺少 Content-Length', en: 'Length required' } },
  413: { code: 'payload_too_large', text: { zh: '请求体超过大小限制', en: 'Payload too large' } },
  414: { code: 'uri_too_long', text: { zh: '请求地址过长', en: 'URI too long' } },
  415: { code: 'unsupported_media_type', text: { zh: '不支持的内容类型（Content-Type）', en: 'Unsupported media type' } },
  431: { code: 'headers_too_large', text: { zh: '请求头过大', en: 'Request headers too large' } },
};

const reasonOf = (code: string | undefined) => (code && /^(FST|HPE)_/.test(code) ? { reason: code } : undefined);

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
    return reply.status(400).send(body(request, 'invalid_request', { zh: `请求参数无效：${fields}`, en: `Invalid request: ${fields}` }, details));
  }
  if (isResponseSerializationError(error)) {
    request.log.error({ err: error }, 'response did not match its schema');
    return reply.status(500).send(body(request, 'internal', { zh: '服务器内部错误', en: 'Internal server error' }));
  }
  const known = error.code ? fastifyCodes[error.code] : undefined;
  const status = error.statusCode ?? 500;
  if (known && status < 500) return reply.status(status).send(body(request, known.code, known.text, reasonOf(error.code)));
  if (status === 429) {
    return reply.status(429).send(body(request, 'rate_limited', { zh: '请求过于频繁，请稍后再试', en: 'Too many requests, retry later' }));
  }
  if (status >= 400 && status < 500) {
    const generic = statusTexts[status] ?? statusTexts[400]!;
    return reply.status(status).send(body(request, generic.code, generic.text, reasonOf(error.code)));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(body(request, 'internal', { zh: '服务器内部错误', en: 'Internal server error' }));
}

/**
 * Errors Fastify raises before a route is found (FST_ERR_BAD_URL, FST_ERR_MAX_PARAM_LENGTH, …): the
 * standard body in the caller's language, without the path they would otherwise quote.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-request-id', request.id);
  const known = error.code ? fastifyCodes[error.code] : undefined;
  if (!known) return errorHandler(error, request, reply);
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : (error.statusCode ?? 400);
  return reply.status(status).send(body(request, known.code, known.text, reasonOf(error.code)));
}

/** Unknown API paths get the standard body (without quoting the path); other paths are left to the console. */
export function apiNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .status(404)
    .send(body(request, 'not_found', { zh: '接口不存在：请对照 /docs 检查请求方法和路径', en: 'No such endpoint: check the method and path against /docs' }));
}

const NOT_ENCODED: Message = {
  zh: '请求地址含有未经 URL 编码的字符（如中文、空格或逗号以外的符号）；请对查询参数做 URL 编码，例如 curl -G --data-urlencode "select=姓名,住址"',
  en: 'The request URL holds characters that are not URL-encoded (such as Chinese text or spaces); percent-encode query parameters, e.g. curl -G --data-urlencode "select=姓名,住址"',
};

/** What a malformed request (refused by Node's HTTP parser, before Fastify) is answered with. */
function clientErrorOf(code: string | undefined): { status: number; code: string; text: Message } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, ...statusTexts[408]! };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, ...statusTexts[431]! };
  if (code === 'HPE_INVALID_URL') return { status: 400, code: 'url_not_encoded', text: NOT_ENCODED };
  if (code === 'HPE_INVALID_HEADER_TOKEN')
    return { status: 400, code: 'bad_header', text: { zh: '请求头含有非法字符', en: 'A request header holds an invalid character' } };
  return { status: 400, code: 'bad_request', text: { zh: '请求格式错误，无法解析', en: 'Malformed request' } };
}

/** The caller's language read from the raw bytes of a request Node could not parse. */
function rawLanguage(raw: Buffer | undefined): 'zh' | 'en' {
  const text = raw?.toString('latin1') ?? '';
  const header = /^x-pdx-lang:[ \t]*([^\r\n]*)/im.exec(text)?.[1] ?? /^accept-language:[ \t]*([^\r\n]*)/im.exec(text)?.[1] ?? '';
  return header.trim().toLowerCase().startsWith('en') ? 'en' : 'zh';
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (a raw UTF-8 query, a bad header
 * character): they too get the standard body, in the language their headers ask for, quoting nothing.
 */
export function clientErrorHandler(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, text } = clientErrorOf(error.code);
  const json = JSON.stringify({
    error: {
      code,
      message: text[rawLanguage(Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined)],
      ...(reasonOf(error.code) ? { details: reasonOf(error.code) } : {}),
    },
  });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  } else {
    socket.destroy();
  }
}
