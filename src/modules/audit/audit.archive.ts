/**
 * Archive exporter: writes old records with their inclusion proofs to NDJSON files. Each file is
 * self-contained evidence: line 1 is a header (hash suite, public key, the signed head the proofs
 * refer to), every further line is `{"type":"record","record":…,"proof":…}`. Files are written to a
 * temporary name, synced, then renamed, so a file under its final name is always complete. Nothing
 * is deleted from the database (see docs/audit-proofs.md, "Retention and archiving").
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AuditRecord } from './record.ts';

const FILE = /^audit-archive-(\d{12})-(\d{12})\.ndjson$/;

export interface ArchiveJob {
  dir: string;
  before: Date;
  recordsPerFile: number;
  header: Record<string, unknown>;
  /** Pages of records to archive with seq > afterSeq, in seq order. */
  pages(afterSeq: number): AsyncIterable<AuditRecord[]>;
  proofOf(record: AuditRecord): Promise<unknown>;
}

export interface ArchivedFile {
  path: string;
  fromSeq: number;
  toSeq: number;
  count: number;
}

/** The last seq already archived in `dir` (archiving resumes after it). */
export async function lastArchivedSeq(dir: string): Promise<number> {
  let last = 0;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const m = FILE.exec(name);
    if (m) last = Math.max(last, Number(m[2]));
  }
  return last;
}

export async function archiveRecords(job: ArchiveJob): Promise<ArchivedFile[]> {
  await fs.mkdir(job.dir, { recursive: true });
  const files: ArchivedFile[] = [];
  let current: { handle: fs.FileHandle; tmp: string; fromSeq: number; toSeq: number; count: number } | undefined;

  const finish = async () => {
    if (!current) return;
    await current.handle.sync();
    await current.handle.close();
    const name = `audit-archive-${String(current.fromSeq).padStart(12, '0')}-${String(current.toSeq).padStart(12, '0')}.ndjson`;
    const final = path.join(job.dir, name);
    await fs.rename(current.tmp, final);
    files.push({ path: final, fromSeq: current.fromSeq, toSeq: current.toSeq, count: current.count });
    current = undefined;
  };

  try {
    for await (const page of job.pages(await lastArchivedSeq(job.dir))) {
      const lines: string[] = [];
      for (const record of page) {
        if (!current) {
          const tmp = path.join(job.dir, `.audit-archive-${process.pid}-${record.seq}.tmp`);
          current = { handle: await fs.open(tmp, 'w'), tmp, fromSeq: record.seq, toSeq: record.seq, count: 0 };
          lines.push(`${JSON.stringify({ type: 'header', ...job.header })}\n`);
        }
        lines.push(`${JSON.stringify({ type: 'record', record, proof: await job.proofOf(record) })}\n`);
        current.toSeq = record.seq;
        current.count++;
        if (current.count >= job.recordsPerFile) {
          await current.handle.write(lines.splice(0).join(''));
          await finish();
        }
      }
      if (current && lines.length) await current.handle.write(lines.join(''));
    }
    await finish();
  } catch (error) {
    if (current) {
      await current.handle.close().catch(() => {});
      await fs.rm(current.tmp, { force: true });
    }
    throw error;
  }
  return files;
}
