import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BadRequestError } from '../../errors.ts';
import { assertStorable } from '../../http/input.ts';
import type { IngestService } from './ingest.service.ts';
import { callerOf, errorResponses } from '../../http/kit.ts';

/** Upload of a new version: streamed to disk, loaded by a background job. */
export function ingestRoutes(deps: { ingest: IngestService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/datasets/:code/versions',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['ingest'],
          summary: 'Upload a file as a new version (multipart field "file") / 上传数据版本',
          description: 'CSV/TSV (UTF-8, GBK, GB18030), JSON array, NDJSON or XLSX. Returns a job id at once; poll GET /api/v1/jobs/{id}.',
          consumes: ['multipart/form-data'],
          params: z.object({ code: z.string().regex(/^\d{6}-\d{6}$/) }),
          querystring: z.object({
            mode: z.enum(['append', 'replace']).default('replace').describe('追加或替换'),
            encoding: z.enum(['utf-8', 'gbk', 'gb18030']).optional().describe('默认自动识别'),
            delimiter: z.string().length(1).optional(),
            sheet: z.string().max(100).optional().describe('XLSX 工作表名称或序号'),
            asOf: z.iso
              .datetime({ offset: true })
              .optional()
              .describe('数据截至时间（文件数据的提取时间，如 2026-01-31T24:00:00+08:00 写作 2026-02-01T00:00:00+08:00）；目录更新周期按它而非上传时间判断'),
          }),
          response: { 202: z.object({ jobId: z.string() }), ...errorResponses(400, 401, 403, 404, 413) },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart()) {
          throw new BadRequestError(
            'multipart_required',
            { zh: '请以 multipart/form-data 上传文件（字段 file）', en: 'Upload the file as multipart/form-data (field "file")' },
            { field: 'file' },
          );
        }
        const part = await request.file();
        if (!part) throw new BadRequestError('file_required', { zh: '缺少文件（字段 file）', en: 'Missing file (field "file")' }, { field: 'file' });
        // The file name is stored with the version: it must be storable text like every other input.
        assertStorable(part.filename, 'file.filename');
        const { mode, encoding, delimiter, sheet, asOf } = request.query;
        const jobId = await deps.ingest.upload(callerOf(request), request.params.code, part.file, {
          fileName: part.filename,
          mode,
          options: {
            ...(encoding ? { encoding } : {}),
            ...(delimiter ? { delimiter } : {}),
            ...(sheet ? { sheet: /^\d+$/.test(sheet) ? Number(sheet) : sheet } : {}),
          },
          ...(asOf ? { asOf: new Date(asOf).toISOString() } : {}),
        });
        return reply.status(202).send({ jobId });
      },
    );
  };
}
