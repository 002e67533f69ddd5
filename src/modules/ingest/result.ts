/** What an ingest job answers when it succeeds (its `result`, read by the console's upload wizard). */
export type IngestResult = {
  version: number;
  rows: number;
  quarantined: number;
  grade: number | null;
};
