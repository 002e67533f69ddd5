import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BadRequestError } from '../../errors.ts';
import { scanUpload } from './scan.ts';
import { scanText } from './text.ts';
import { errorResponses } from '../../http/kit.ts';

const typeResult = z.object({ type: z.string(), confidence: z.number(), matched: z.number(), checksumFailed: z.number() });
const scanResult = z.union([
  z.object({
    kind: z.literal('table'),
    rows: z.number(),
    columns: z.array(
      z.object({
        name: z.string(),
        index: z.number(),
        types: z.array(typeResult),
        category: z.string().nullable(),
        sensitive: z.boolean(),
        grade: z.number(),
        // Free-text columns: the span types found (counts only, never values).
        text: z.object({ spans: z.array(z.object({ type: z.string(), count: z.number() })), scanned: z.number() }).optional(),
      }),
    ),
    grade: z.number(),
    importantCandidate: z.boolean(),
  }),
  // Findings carry only masked values and character offsets, never the clear value.
  z.object({ kind: z.literal('text'), findings: z.array(z.object({ type: z.string(), start: z.number(), end: z.number(), masked: z.string() })) }),
]);

/** POST /scan: what `pdx scan` does, for an uploaded file (multipart field "file") or JSON {text}. */
export function scanRoutes(deps: { maxBytes: number }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/scan',
      {
        config: { access: { roles: ['data_officer', 'secadmin'] } },
        schema: {
          tags: ['classify'],
          summary: 'Classify a file or text without storing it / 敏感数据扫描',
          description: 'multipart/form-data with field "file" (CSV/TSV/XLSX/JSON scanned as a table, anything else as text), or JSON {"text": "…"}.',
          response: { 200: scanResult, ...errorResponses(400, 401, 403, 413) },
        },
      },
      async (request) => {
        if (request.isMultipart()) {
          const part = await request.file();
          if (!part) throw new BadRequestError('file_required', { zh: '缺少文件（字段 file）', en: 'Missing file (field "file")' }, { field: 'file' });
          return scanUpload(part.file, part.filename, { maxBytes: deps.maxBytes });
        }
        const body = request.body as { text?: unknown } | undefined;
        if (typeof body?.text !== 'string') {
          throw new BadRequestError('text_required', { zh: '请上传文件或提供 text 字段', en: 'Upload a file or send {"text": "…"}' }, { field: 'text' });
        }
        if (body.text.length > 1_000_000)
          throw new BadRequestError('text_too_long', { zh: '文本超过 100 万字符', en: 'Text longer than 1,000,000 characters' }, { field: 'text' });
        return { kind: 'text' as const, findings: scanText(body.text) };
      },
    );
  };
}
