/**
 * The few error classes pdx raises on purpose. Each has a stable `code` clients can rely on, an HTTP
 * status, and a message in Chinese and English; one handler in http/ maps them to responses.
 */
export interface Message {
  zh: string;
  en: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: Message,
    readonly details?: unknown,
  ) {
    super(text.en);
    this.name = new.target.name;
  }
}

/** 400: the request itself is wrong; details name the field, row or line. */
export class BadRequestError extends AppError {
  constructor(code: string, text: Message, details?: unknown) {
    super(400, code, text, details);
  }
}

/** 401: no valid credentials. */
export class UnauthorizedError extends AppError {
  constructor(code = 'unauthenticated', text: Message = { zh: '未登录或登录已失效', en: 'Not signed in or session expired' }) {
    super(401, code, text);
  }
}

/** 403: authenticated, but this role or organisation may not do this. */
export class ForbiddenError extends AppError {
  constructor(code = 'forbidden', text: Message = { zh: '无权执行此操作', en: 'You are not allowed to do this' }, details?: unknown) {
    super(403, code, text, details);
  }
}

/** 404: absent, or present but not visible to the caller (never reveal which). */
export class NotFoundError extends AppError {
  constructor(what: Message = { zh: '资源', en: 'Resource' }) {
    super(404, 'not_found', { zh: `${what.zh}不存在`, en: `${what.en} not found` });
  }
}

/** 409: conflicts with stored state (duplicate name, wrong state for the action). */
export class ConflictError extends AppError {
  constructor(code: string, text: Message, details?: unknown) {
    super(409, code, text, details);
  }
}

/** 429: a quota or rate limit; retryAfter in seconds. */
export class TooManyRequestsError extends AppError {
  constructor(
    readonly retryAfter: number,
    text: Message = { zh: '请求过于频繁，请稍后再试', en: 'Too many requests, retry later' },
  ) {
    super(429, 'rate_limited', text, { retryAfter });
  }
}

/** 503: a dependency (the database) is unavailable. */
export class UnavailableError extends AppError {
  constructor(text: Message = { zh: '服务暂不可用', en: 'Service unavailable' }) {
    super(503, 'unavailable', text);
  }
}

/**
 * 502/504: an upstream service behind the gateway failed, timed out or answered what cannot be
 * passed on. The message says which; the upstream's own text and internals are never included.
 */
export class UpstreamError extends AppError {
  constructor(status: 502 | 504, code: string, text: Message, details?: unknown) {
    super(status, code, text, details);
  }
}
