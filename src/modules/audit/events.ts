/**
 * The one event function of pdx: every security-relevant action (logins, changes, approvals, data
 * responses, denials) is described as an AuditEvent and handed to an EventSink. The audit module's
 * sink appends it to the hash-chained log; `record` resolves only after the event is committed, so
 * callers that must not proceed without a record (data responses) simply await it.
 */
import { actorOf, type Caller } from '../../http/access.ts';

export type AuditResult = 'success' | 'failure' | 'denied';

export interface AuditActor {
  userId?: string;
  username?: string;
  orgId?: string;
  apiKeyId?: string;
  roles?: string[];
}

export interface AuditEvent {
  /** Dotted verb: `auth.login`, `auth.login_failed`, `user.create`, `data.read`, `grant.approve` … */
  action: string;
  result: AuditResult;
  actor?: AuditActor;
  /** What was acted on. */
  target?: { type: string; id?: string; label?: string };
  /** The dataset involved, when there is one (catalogue code). */
  dataset?: string;
  /** Free structured details: columns and modes, row count, filter, reason of a denial … Never secrets. */
  details?: Record<string, unknown>;
  requestId?: string;
  ip?: string;
}

export interface EventSink {
  record(event: AuditEvent): Promise<void>;
}

/**
 * The one way a module turns "this caller did this" into an audit event: the caller's actor fields,
 * request id and address. Without a caller (pdx itself acting) the event has no actor.
 */
export function callerEvent(caller: Partial<Caller> | undefined, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>): AuditEvent {
  return requestEvent(caller, { ...event, ...(caller?.principal ? { actor: actorOf(caller.principal) } : {}) });
}

/**
 * An event whose actor is not a signed-in console caller (a sign-in before its session exists, a
 * society user of the open portal): the actor as the event names it, the request's id and address.
 */
export function requestEvent(
  request: { requestId?: string | undefined; ip?: string | undefined } | undefined,
  event: Omit<AuditEvent, 'requestId' | 'ip'>,
): AuditEvent {
  return {
    ...event,
    ...(request?.requestId ? { requestId: request.requestId } : {}),
    ...(request?.ip ? { ip: request.ip } : {}),
  };
}

/** A sink that keeps events in memory: for wiring before the audit log exists and for unit tests. */
export function memorySink(): EventSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    async record(event) {
      events.push(event);
    },
  };
}

/**
 * The details a data response (and a verification answer) records, so the auditor can answer "who
 * read the 身份证号 column of 户籍人口 this month" (GET /api/v1/audit/access-history). Producers
 * of data responses put these keys in `AuditEvent.details` and the dataset code in `dataset`.
 */
export interface DataResponseDetails {
  /** Every column returned, with the form it was returned in (`clear`, `masked`, `pseudonym`, …). */
  columns: { name: string; mode: string }[];
  /** Rows in the response. */
  rowCount?: number;
  grantId?: string;
  purpose?: string;
  /** The row filter applied (the grant's and the caller's), as structured data, never SQL text. */
  filter?: unknown;
}
