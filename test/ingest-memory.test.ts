/**
 * Reading a file far larger than the heap it runs under: a child process with a 48 MB old-space
 * limit streams a ~300 MB CSV through openTable. If the readers kept rows (or the file) in memory it
 * would die of heap exhaustion; the test also checks the peaks it reports stay far below the file.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writeLargeCsv } from './fixtures/tables.ts';

const run = promisify(execFile);
const MB = 1024 * 1024;
const HEAP_LIMIT_MB = 48;
const FILE_BYTES = 300 * MB;

const dir = tempDir('pdx-ingest-memory-');
afterAll(() => dir.remove());

describe('ingest memory', () => {
  it('streams a 300 MB CSV in a process whose heap is limited to 48 MB', async () => {
    const file = dir.file('big.csv');
    const rows = writeLargeCsv(file, FILE_BYTES);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(6 * HEAP_LIMIT_MB * MB);

    const child = fileURLToPath(new URL('./fixtures/count-rows.ts', import.meta.url));
    const { stdout } = await run(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--import', 'tsx', child, file], {
      maxBuffer: 1 << 20,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      rows: number;
      width: number;
      bytes: number;
      peakHeap: number;
      peakRss: number;
      maxRssBytes: number;
      maxRssAtStart: number;
    };
    expect(result.rows).toBe(rows);
    expect(result.width).toBe(5);
    expect(result.bytes).toBe(size);
    // Bounded: the heap never approaches the file, and the whole process stays a fraction of it.
    expect(result.peakHeap).toBeLessThan(HEAP_LIMIT_MB * MB);
    expect(result.peakRss).toBeLessThan(size / 2);
    // The kernel's peak counts only when this process raised it (it starts at the test runner's).
    if (result.maxRssBytes > result.maxRssAtStart) expect(result.maxRssBytes).toBeLessThan(size / 2);
  });
});
