/**
 * The stored form of an audit record and how its hash is computed. One flat shape is used in the
 * database, the API, exports and the canonical encoding, so an outside verifier hashes exactly what
 * it is given:
 *
 *   canonical(record) = canonicalJson(record without prevHash and hash)
 *   hash_n            = H(hash_{n-1} || UTF-8(canonical(record_n))),  hash_0 = 32 zero bytes
 */
import { canonicalJson, hashOf, normaliseJson, storableText, type HashAlg, type Json } from './canonical.ts';
import type { AuditEvent, AuditResult } from './events.ts';

export const RESULTS: readonly AuditResult[] = ['success', 'failure', 'denied'];

/** The fields of a record that its hash covers, in their canonical JSON form. */
export interface RecordBody {
  seq: number;
  /** Server time at append, ISO 8601 UTC with milliseconds. */
  time: string;
  action: string;
  result: AuditResult;
  actorUserId: string | null;
  actorUsername: string | null;
  actorOrgId: string | null;
  actorApiKeyId: string | null;
  actorRoles: string[];
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  dataset: string | null;
  details: { [key: string]: Json };
  requestId: string | null;
  clientIp: string | null;
}

/** A stored record: its body plus the chain links, hex-encoded. */
export interface AuditRecord extends RecordBody {
  prevHash: string;
  hash: string;
}

/** A validated event waiting for its place in the chain (everything but seq and time). */
export type RecordDraft = Omit<RecordBody, 'seq' | 'time'>;

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
/** Largest canonical details accepted; a record is evidence, not a payload store. */
const MAX_DETAILS_BYTES = 256 * 1024;

function text(value: string | undefined | null, max = 1000): string | null {
  if (value === undefined || value === null) return null;
  return storableText(String(value)).slice(0, max);
}

/** Validates an event and brings it into the stored shape; throws on a malformed event. */
export function draftOf(event: AuditEvent): RecordDraft {
  if (typeof event.action !== 'string' || event.action.length > 100 || !ACTION.test(event.action)) {
    throw new TypeError(`audit: invalid action ${JSON.stringify(event.action)}`);
  }
  if (!RESULTS.includes(event.result)) throw new TypeError(`audit: invalid result ${JSON.stringify(event.result)}`);
  const details = normaliseJson(event.details ?? {});
  if (details === null || typeof details !== 'object' || Array.isArray(details)) {
    throw new TypeError('audit: details must be an object');
  }
  if (Buffer.byteLength(canonicalJson(details)) > MAX_DETAILS_BYTES) throw new TypeError('audit: details too large');
  const actor = event.actor ?? {};
  return {
    action: event.action,
    result: event.result,
    actorUserId: text(actor.userId),
    actorUsername: text(actor.username),
    actorOrgId: text(actor.orgId),
    actorApiKeyId: text(actor.apiKeyId),
    actorRoles: (actor.roles ?? []).map((role) => storableText(String(role)).slice(0, 100)),
    targetType: text(event.target?.type),
    targetId: text(event.target?.id),
    targetLabel: text(event.target?.label),
    dataset: text(event.dataset),
    details,
    requestId: text(event.requestId, 200),
    clientIp: text(event.ip, 100),
  };
}

/** The canonical encoding of a record's body (every field but prevHash and hash). */
export function canonicalRecord(record: RecordBody): string {
  const body: RecordBody = {
    seq: record.seq,
    time: record.time,
    action: record.action,
    result: record.result,
    actorUserId: record.actorUserId,
    actorUsername: record.actorUsername,
    actorOrgId: record.actorOrgId,
    actorApiKeyId: record.actorApiKeyId,
    actorRoles: record.actorRoles,
    targetType: record.targetType,
    targetId: record.targetId,
    targetLabel: record.targetLabel,
    dataset: record.dataset,
    details: record.details,
    requestId: record.requestId,
    clientIp: record.clientIp,
  };
  return canonicalJson(body as unknown as Json);
}

/** hash_n = H(hash_{n-1} || canonical(record_n)). */
export function chainHash(alg: HashAlg, prevHash: Buffer, record: RecordBody): Buffer {
  return hashOf(alg, prevHash, Buffer.from(canonicalRecord(record), 'utf8'));
}
