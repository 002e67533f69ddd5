/**
 * The JSON fields of versions and 信息项 that the pipeline's writers fill (uploads, database sources,
 * corrections, the classifier) and the console reads. One declaration serves both: the writers are
 * typed by it, the routes answer with it, and the console's types are generated from the routes.
 * The objects are loose: fields a later writer adds pass through unchanged.
 */
import { z } from 'zod';

const bilingual = z.object({ zh: z.string(), en: z.string() });

/** What a version was loaded from. */
export const versionSourceSchema = z.looseObject({
  /** Absent for uploads; `database` for a pull from a data source. */
  kind: z.enum(['database']).optional(),
  fileName: z.string().optional().describe('上传的文件名'),
  bytes: z.number().optional(),
  /** 数据截至: when the data was extracted, an ISO instant. */
  asOf: z.string().optional(),
  format: z.string().optional(),
  encoding: z.string().optional(),
  delimiter: z.string().nullable().optional(),
  /** A pull: the data source's name, the table, the cursor range and the key of an incremental binding. */
  source: z.string().optional(),
  table: z.string().optional(),
  after: z.string().nullable().optional(),
  upTo: z.string().nullable().optional(),
  key: z.string().optional(),
  /** The 信息项 that identifies a row of a keyed load (later rows of the same value replace earlier ones). */
  keyItem: z.string().optional(),
  /** An incremental pull with a soft-delete column: its name, and the soft-deleted rows whose key's stored row the version removed. */
  softDelete: z.string().optional(),
  deleted: z.number().optional(),
  /** A correction version (数据纠错): its reason and the number of corrected rows. */
  correction: z.string().optional(),
  rows: z.number().optional(),
});
export type VersionSource = z.infer<typeof versionSourceSchema>;

/** Why a version failed. */
export const versionErrorSchema = z.looseObject({
  code: z.string(),
  message: bilingual,
  details: z.unknown().optional(),
});
export type VersionError = z.infer<typeof versionErrorSchema>;

/** A 信息项's classification as the scan stored it (recognised types, personal-information category). */
export const columnClassificationSchema = z.looseObject({
  /** Recognised types, most confident first: confidence, share of values valid, share failing a checksum (0..1). */
  types: z
    .array(z.object({ type: z.string(), confidence: z.number().optional(), matched: z.number().optional(), checksumFailed: z.number().optional() }))
    .optional(),
  category: z.string().nullable().optional(),
  sensitive: z.boolean().optional(),
});
export type ColumnClassification = z.infer<typeof columnClassificationSchema>;
