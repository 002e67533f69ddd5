/**
 * Bulk export files (issue 7 §3): a job reads the grant's view through the same path as the API
 * (same checks, masking, quotas and per-chunk audit) into a file kept in the database, so every pdx
 * process can serve it; the download link carries a one-time-shown token and expires. The file and
 * its query (filter values may be ID numbers) are sealed under the platform key: a clear grant of a
 * 4级 column must not leave clear values in the database's pages or WAL.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { newToken, tokenHash } from '../../lib/tokens.ts';
import type { Jobs } from '../jobs/jobs.service.ts';
import type { Keyring } from '../protect/keyring.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { encodeChunk, epilogue, prologue } from './encode.ts';
import { compileRead } from './access/compile.ts';
import { parseRecordsQuery, type RecordsService } from './records.service.ts';
import { shareRepo } from './share.repo.ts';
import { grantState } from './share.service.ts';

export const EXPORT_JOB = 'share.export';
/** Largest export file, in rows. */
export const EXPORT_MAX_ROWS = 1_000_000;
/** How long a download link works. */
export const EXPORT_TTL_HOURS = 24;
const FILE_CHUNK_BYTES = 1 << 20;
const EXPORT = { zh: '导出文件', en: 'Export' };

interface ExportPayload {
  exportId: string;
  principal: Principal;
  requestId?: string;
  ip?: string;
}

/** The stored query of an export: sealed since files are sealed; `text` from before (a clear file). */
type StoredQuery = { sealed?: string; text?: string };

export function createExportsService(deps: {
  db: Db;
  jobs: Pick<Jobs, 'enqueue' | 'get' | 'handle'>;
  records: RecordsService;
  events: EventSink;
  sealer: Pick<Keyring, 'seal' | 'unseal'>;
  catalog: Pick<CatalogService, 'names'>;
}) {
  const { db, jobs, records, events, sealer, catalog } = deps;
  /** The export with its dataset's code (the catalogue's). */
  const exportById = async (id: string) => {
    const e = await repo.exportById(id);
    return e && { ...e, dataset_code: (await catalog.names([e.dataset_id])).get(e.dataset_id)?.code ?? '' };
  };
  const repo = shareRepo(db);
  const isSealed = (q: unknown) => typeof (q as StoredQuery).sealed === 'string';
  const queryText = (q: unknown): string => {
    const stored = q as StoredQuery;
    return stored.sealed !== undefined ? sealer.unseal(Buffer.from(stored.sealed, 'base64')).toString('utf8') : String(stored.text ?? '');
  };

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  /** Writes the file of one export job: the records stream, encoded, in 1 MB pieces. */
  jobs.handle(EXPORT_JOB, async (ctx) => {
    const payload = ctx.job.payload as unknown as ExportPayload;
    const e = await exportById(payload.exportId);
    if (!e) throw new NotFoundError(EXPORT);
    const caller: Caller = {
      principal: payload.principal,
      ...(payload.requestId ? { requestId: payload.requestId } : {}),
      ...(payload.ip ? { ip: payload.ip } : {}),
    };
    const text = queryText(e.query);
    const query = parseRecordsQuery(new URLSearchParams(text), { maxLimit: EXPORT_MAX_ROWS });
    if (!new URLSearchParams(text).has('limit')) query.limit = EXPORT_MAX_ROWS;
    query.grant = e.grant_id;
    await repo.clearExportChunks(e.id);
    try {
      const stream = await records.open(caller, e.dataset_code, query, 'data.export');
      const names = stream.columns.map((c) => c.name);
      let pending = prologue(e.format, names, true);
      let seq = 0;
      let bytes = 0;
      let rows = 0;
      const flush = async (force: boolean) => {
        while (Buffer.byteLength(pending) >= FILE_CHUNK_BYTES || (force && pending.length > 0)) {
          const data = Buffer.from(pending);
          pending = '';
          await repo.addExportChunk(e.id, seq++, sealer.seal(data));
          bytes += data.length;
        }
      };
      for await (const chunk of stream.chunks) {
        pending += encodeChunk(e.format, names, chunk, rows === 0);
        rows += chunk.length;
        await flush(false);
        await ctx.progress({ phase: 'exporting', rows });
      }
      pending += epilogue(e.format, null);
      await flush(true);
      await repo.finishExport(e.id, 'ready', rows, bytes);
      return { exportId: e.id, rows, bytes, columns: stream.columns };
    } catch (error) {
      await repo.clearExportChunks(e.id).catch(() => undefined);
      await repo.finishExport(e.id, 'failed', 0, 0).catch(() => undefined);
      throw error;
    }
  });

  return {
    /**
     * Starts an export: checks the grant and the query now (a bad column is a 400 at once), then
     * queues the job. Returns the download link with its token (shown only here).
     */
    async create(caller: Caller, code: string, input: { format: 'csv' | 'ndjson'; query: string }) {
      const query = parseRecordsQuery(new URLSearchParams(input.query), { maxLimit: EXPORT_MAX_ROWS });
      const access = await records.resolve(caller, code, query.grant);
      compileRead(
        access.ctx.dataset.relation,
        access.view,
        access.grant.row_filter,
        { ...(query.select ? { select: query.select } : {}), filter: query.filter, order: query.order },
        { terms: () => ['-'] },
      );
      const id = randomUUID();
      const token = newToken();
      const expiresAt = new Date(Date.now() + EXPORT_TTL_HOURS * 3600_000);
      await repo.insertExport({
        id,
        grantId: access.grant.id,
        datasetId: access.ctx.dataset.id,
        consumerOrgId: caller.principal.orgId,
        requestedBy: caller.principal.userId,
        apiKeyId: caller.principal.apiKeyId ?? null,
        format: input.format,
        query: { sealed: sealer.seal(Buffer.from(input.query, 'utf8')).toString('base64') } satisfies StoredQuery,
        tokenHash: tokenHash(token),
        expiresAt,
      });
      const payload: ExportPayload = {
        exportId: id,
        principal: caller.principal,
        ...(caller.requestId ? { requestId: caller.requestId } : {}),
        ...(caller.ip ? { ip: caller.ip } : {}),
      };
      const jobId = await jobs.enqueue(EXPORT_JOB, payload as unknown as Record<string, unknown>, caller.principal.userId);
      await repo.setExportJob(id, jobId);
      return { id, jobId, downloadUrl: `/api/v1/exports/${id}/download?token=${token}`, expiresAt };
    },

    async status(p: Principal, id: string) {
      const e = await exportById(id);
      if (!e || e.consumer_org_id !== p.orgId) throw new NotFoundError(EXPORT);
      return e;
    },

    /**
     * A download: same organisation, the token of the link, before expiry, and a grant that is still
     * active now. Audited before the first byte; returns the file's pieces one by one.
     */
    async download(caller: Caller, id: string, token: string) {
      const e = await exportById(id);
      if (!e || e.consumer_org_id !== caller.principal.orgId || e.token_hash !== tokenHash(token)) throw new NotFoundError(EXPORT);
      if (e.expires_at <= new Date()) throw new ForbiddenError('export_expired', { zh: '下载链接已过期', en: 'The download link has expired' });
      if (e.state !== 'ready') throw new ConflictError('export_not_ready', { zh: '导出文件尚未生成', en: 'The export file is not ready yet' });
      const grant = await repo.grant(e.grant_id);
      const state = grant ? grantState(grant) : 'revoked';
      if (state === 'revoked') throw new ForbiddenError('grant_revoked', { zh: '共享授权已被撤销', en: 'The grant has been revoked' });
      if (state === 'expired') throw new ForbiddenError('grant_expired', { zh: '共享授权已过期', en: 'The grant has expired' });
      const job = e.job_id ? await jobs.get(e.job_id) : undefined;
      const columns = (job?.result as { columns?: unknown } | null | undefined)?.columns ?? [];
      await record(caller, {
        action: 'data.download',
        result: 'success',
        dataset: e.dataset_code,
        target: { type: 'share_export', id },
        details: { columns, rowCount: e.row_count ?? 0, grantId: e.grant_id, grant: e.grant_id, purpose: grant?.purpose ?? '', format: e.format },
      });
      const sealed = isSealed(e.query);
      async function* pieces(): AsyncGenerator<Buffer> {
        for (let seq = 0; ; seq++) {
          const chunk = await repo.exportChunk(id, seq);
          if (!chunk) return;
          yield sealed ? sealer.unseal(chunk.data) : chunk.data;
        }
      }
      return { format: e.format, fileName: `${e.dataset_code}-${id.slice(0, 8)}.${e.format === 'csv' ? 'csv' : 'ndjson'}`, pieces: pieces() };
    },
  };
}

export type ExportsService = ReturnType<typeof createExportsService>;
