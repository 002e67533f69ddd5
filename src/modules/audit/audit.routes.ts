/**
 * Audit log API. Only the auditor reads the log (三员分立); the public key is public so anyone
 * holding an export can check its signed heads.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import type { AuditLog } from './audit.service.ts';
import { callerEvent } from './events.ts';
import { callerOf, errorResponses } from '../../http/kit.ts';

const AUDITOR = { roles: ['auditor'] } as const;
const TAGS = ['audit'];

const errors = errorResponses(400, 401, 403, 404);

const hex = z.string().regex(/^[0-9a-f]*$/);
const result = z.enum(['success', 'failure', 'denied']);
const seq = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((v) => new Date(v))
  .describe('ISO 8601 date or date-time');

export const recordSchema = z.object({
  seq: z.number().int(),
  time: z.string().describe('Server time at append (ISO 8601, UTC)'),
  action: z.string(),
  result,
  actorUserId: z.string().nullable(),
  actorUsername: z.string().nullable(),
  actorOrgId: z.string().nullable(),
  actorApiKeyId: z.string().nullable(),
  actorRoles: z.array(z.string()),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  targetLabel: z.string().nullable(),
  dataset: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  clientIp: z.string().nullable(),
  prevHash: hex,
  hash: hex,
});

export const headSchema = z.object({
  treeSize: z.number().int(),
  rootHash: hex,
  timestamp: z.string(),
  hashAlg: z.enum(['sha256', 'sm3']),
  keyId: hex,
  signature: z.string().describe('Ed25519 signature, base64, over the canonical head (docs/audit-proofs.md)'),
});

const verifySchema = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  checkpoints: z.number().int(),
  firstBadSeq: z.number().int().optional(),
  badCheckpoint: z.number().int().optional(),
  missingHead: z.number().int().optional().describe('Size of a head the policy requires (every 1000 records) that is missing'),
  reason: z.string().optional(),
});

const inclusionSchema = z.object({
  seq: z.number().int(),
  leafIndex: z.number().int(),
  treeSize: z.number().int(),
  recordHash: hex,
  leafHash: hex,
  auditPath: z.array(hex),
  head: headSchema,
  record: recordSchema,
});

const filterQuery = z.object({
  actor_user_id: z.string().max(200).optional(),
  actor_username: z.string().max(200).optional(),
  org_id: z.string().max(200).optional().describe('Organisation of the actor'),
  api_key_id: z.string().max(200).optional(),
  dataset: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  action_prefix: z.string().max(100).optional().describe('e.g. `data.` or `auth.`'),
  result: result.optional(),
  from: instant.optional().describe('Inclusive start of the time range'),
  to: instant.optional().describe('Exclusive end of the time range'),
});

function filterOf(q: z.infer<typeof filterQuery>) {
  return {
    actorUserId: q.actor_user_id,
    actorUsername: q.actor_username,
    orgId: q.org_id,
    apiKeyId: q.api_key_id,
    dataset: q.dataset,
    action: q.action,
    actionPrefix: q.action_prefix,
    result: q.result,
    from: q.from,
    to: q.to,
  };
}

/** The audit routes, registered under /api/v1. */
export function auditRoutes({ audit }: { audit: AuditLog }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/audit/public-key',
      {
        config: { access: { public: true } },
        schema: {
          tags: TAGS,
          summary: 'Public key that signs audit tree heads / 审计检查点签名公钥',
          response: {
            200: z.object({ algorithm: z.literal('Ed25519'), keyId: hex, publicKeyPem: z.string(), hashAlg: z.enum(['sha256', 'sm3']) }),
          },
        },
      },
      async () => audit.publicKey(),
    );

    app.get(
      '/audit/verify',
      {
        config: { access: AUDITOR },
        schema: { tags: TAGS, summary: 'Recompute the chain and signed heads / 校验审计链', response: { 200: verifySchema, ...errors } },
      },
      async (request) => {
        const report = await audit.verify();
        await audit.record(
          callerEvent(callerOf(request), {
            action: 'audit.verify',
            result: 'success',
            details: { ok: report.ok, checked: report.checked, ...(report.firstBadSeq ? { firstBadSeq: report.firstBadSeq } : {}) },
          }),
        );
        return report;
      },
    );

    app.get(
      '/audit/witness',
      {
        config: { access: AUDITOR },
        schema: {
          tags: TAGS,
          summary: 'A head signed now over every record, with the public key: keep it outside pdx (pdx audit verify --head) / 下载检查点见证',
          response: {
            200: z.object({
              format: z.literal('pdx-audit-witness/v1'),
              head: headSchema.nullable(),
              publicKeyPem: z.string(),
              keyId: hex,
              hashAlg: z.enum(['sha256', 'sm3']),
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const witness = await audit.witness();
        await audit.record(callerEvent(callerOf(request), { action: 'audit.witness', result: 'success', details: { treeSize: witness.head?.treeSize ?? 0 } }));
        const size = witness.head?.treeSize ?? 0;
        reply.header('content-disposition', `attachment; filename="pdx-audit-witness-${size}.json"`);
        return witness;
      },
    );

    app.get(
      '/audit/heads/latest',
      {
        config: { access: AUDITOR },
        schema: { tags: TAGS, summary: 'Latest signed tree head / 最新签名树头', response: { 200: headSchema, ...errors } },
      },
      async () => {
        const head = await audit.latestHead();
        if (!head) throw new NotFoundError({ zh: '签名树头', en: 'Signed tree head' });
        return head;
      },
    );

    app.get(
      '/audit/proof/:seq',
      {
        config: { access: AUDITOR },
        schema: {
          tags: TAGS,
          summary: 'Inclusion proof of a record under a signed head / 记录包含证明',
          params: z.object({ seq }),
          querystring: z.object({ tree_size: seq.optional().describe('Size of a signed head; default the latest') }),
          response: { 200: inclusionSchema, ...errors },
        },
      },
      async (request) => {
        const proof = await audit.proof(request.params.seq, request.query.tree_size);
        const record = await audit.get(request.params.seq);
        if (!record) throw new NotFoundError({ zh: `审计记录 ${request.params.seq}`, en: `Audit record ${request.params.seq}` });
        return { ...proof, record };
      },
    );

    app.get(
      '/audit/consistency',
      {
        config: { access: AUDITOR },
        schema: {
          tags: TAGS,
          summary: 'Consistency proof between two signed heads / 一致性证明',
          querystring: z.object({ from: seq, to: seq }),
          response: { 200: z.object({ from: headSchema, to: headSchema, proof: z.array(hex) }), ...errors },
        },
      },
      async (request) => audit.consistency(request.query.from, request.query.to),
    );

    app.get(
      '/audit/records',
      {
        config: { access: AUDITOR },
        schema: {
          tags: TAGS,
          summary: 'Search the audit log / 检索审计记录',
          querystring: filterQuery.extend({
            cursor: seq.optional().describe('nextCursor of the previous page'),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            order: z.enum(['asc', 'desc']).default('desc'),
          }),
          response: { 200: z.object({ items: z.array(recordSchema), nextCursor: z.number().int().optional() }), ...errors },
        },
      },
      async (request) => {
        const { cursor, limit, order, ...filter } = request.query;
        return audit.search(filterOf(filter), { cursor, limit, order });
      },
    );

    app.get(
      '/audit/records/:seq',
      {
        config: { access: AUDITOR },
        schema: { tags: TAGS, summary: 'One audit record / 单条审计记录', params: z.object({ seq }), response: { 200: recordSchema, ...errors } },
      },
      async (request) => {
        const record = await audit.get(request.params.seq);
        if (!record) throw new NotFoundError({ zh: `审计记录 ${request.params.seq}`, en: `Audit record ${request.params.seq}` });
        return record;
      },
    );

    app.get(
      '/audit/export',
      {
        config: { access: AUDITOR },
        schema: {
          tags: TAGS,
          summary: 'Export a selection: CSV, or JSON with inclusion proofs (streamed) / 导出审计证据',
          querystring: filterQuery.extend({ format: z.enum(['csv', 'json']).default('json') }),
          response: {
            200: z.string().describe('CSV (UTF-8 with BOM) or JSON `{format, hashAlg, publicKeyPem, head, records: [{record, proof}]}`'),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const { format, ...filter } = request.query;
        // The export is itself evidence of who took what out of the log.
        await audit.record(callerEvent(callerOf(request), { action: 'audit.export', result: 'success', details: { format, filter: { ...filter } } }));
        const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '');
        reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="pdx-audit-${stamp}.${format}"`);
        // A stream bypasses the serializer; the 200 schema above documents its content for OpenAPI.
        const body = Readable.from(audit.exportRecords(filterOf(filter), format));
        return reply.send(body as unknown as string);
      },
    );

    app.get(
      '/audit/access-history',
      {
        config: { access: AUDITOR },
        schema: {
          tags: TAGS,
          summary: 'Who read a dataset (or one column of it) / 数据访问追溯',
          querystring: z.object({
            dataset: z.string().min(1).max(200),
            column: z.string().min(1).max(200).optional(),
            from: instant.optional(),
            to: instant.optional(),
            result: result.optional(),
            cursor: seq.optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
          response: {
            200: z.object({
              summary: z.array(
                z.object({
                  actorUserId: z.string().nullable(),
                  actorUsername: z.string().nullable(),
                  actorOrgId: z.string().nullable(),
                  actorApiKeyId: z.string().nullable(),
                  responses: z.number().int(),
                  rows: z.number().int(),
                  firstTime: z.string(),
                  lastTime: z.string(),
                }),
              ),
              entries: z.array(
                z.object({
                  seq: z.number().int(),
                  time: z.string(),
                  action: z.string(),
                  result,
                  actorUserId: z.string().nullable(),
                  actorUsername: z.string().nullable(),
                  actorOrgId: z.string().nullable(),
                  actorApiKeyId: z.string().nullable(),
                  columns: z.array(z.object({ name: z.string(), mode: z.string() })),
                  rowCount: z.number().nullable(),
                  purpose: z.string().nullable(),
                  grantId: z.string().nullable(),
                  requestId: z.string().nullable(),
                  clientIp: z.string().nullable(),
                }),
              ),
              nextCursor: z.number().int().optional(),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { cursor, limit, ...filter } = request.query;
        return audit.accessHistory(filter, { cursor, limit });
      },
    );
  };
}
