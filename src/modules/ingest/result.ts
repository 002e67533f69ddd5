/** What an ingest job answers when it succeeds (its `result`, read by the console's upload wizard). */
export type IngestResult = {
  version: number;
  rows: number;
  quarantined: number;
  /** Soft-deleted source rows whose key's stored row the version removed (database sources). */
  deleted?: number;
  grade: number | null;
};
