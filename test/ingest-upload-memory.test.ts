/**
 * Streaming uploads (issue 4, part 10): a `pdx start` process whose V8 old space is limited to 96 MB
 * receives, over real HTTP, a multipart upload several times larger than its heap, generated block
 * by block by the test (never whole in memory here either). If the upload path buffered the file the
 * process would die of heap exhaustion; the test also checks the peaks a preloaded sampler reports.
 *
 * Two uploads: ~400 MB whose header does not match the dataset (the spool step is what is measured:
 * the job then fails fast with schema_mismatch), and ~40 MB loaded in full as a new version (a
 * 400 MB full load takes minutes on a 2-core machine), in rows with long addresses (see csvBlock). A preloaded sampler reports the peaks of each
 * step; Buffers live outside the V8 heap, so Buffer memory and RSS growth are the decisive checks.
 */
import http from 'node:http';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE_HEADER, peopleRows } from './fixtures/people.ts';
import { CONDITION_MS, JOB_WAIT_MS, PROCESS_START_MS } from './helpers/bounds.ts';
import { createServerDatabase } from './helpers/db.ts';
import { tempDir, type TempDir } from './fixtures/tables.ts';
import { createWorld, importHere, spawnPdx, until, withPlatform, writePeopleCsv, type PdxChild, type World } from './scripts/ingest-world.ts';
import { fetchSignIn } from './helpers/http.ts';

const MB = 1024 * 1024;
const HEAP_LIMIT_MB = 96;
const PASSWORD = 'Shenyang-Officer-2026';

/**
 * A block of distinct CSV lines (no header) repeated to reach the size; rows = blocks × lines.
 * `addressNote` lengthens each 住址 (a text column) by that many characters: what the load test
 * checks is memory against the bytes of the upload, and the time of a load grows with its rows (each
 * is classified, its 身份证号 encrypted and indexed), so wider rows give the same bytes in a quarter
 * of the time (360,000 rows of 40 MB took over 3 minutes on a loaded 2-core machine).
 */
function csvBlock(rows: number, seed: number, addressNote = 0): Buffer {
  const note = addressNote > 0 ? `(${'门牌与楼栋补充说明'.repeat(Math.ceil(addressNote / 9)).slice(0, addressNote)})` : '';
  let text = '';
  for (const row of peopleRows(rows, seed)) text += `${row.map((cell, i) => (i === 3 ? cell + note : cell)).join(',')}\n`;
  return Buffer.from(text);
}

/** POSTs a multipart upload of header + block × repeats, writing with back-pressure; returns status and body. */
function streamUpload(
  url: string,
  headers: Record<string, string>,
  header: string,
  block: Buffer,
  repeats: number,
): Promise<{ status: number; body: string; bytes: number }> {
  const boundary = `----pdx${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\nContent-Type: text/csv\r\n\r\n${header}\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + block.length * repeats + tail.length;
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length) } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, bytes: length }));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < repeats) {
        sent++;
        if (!req.write(block)) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    req.write(head);
    pump();
  });
}

async function login(base: string, username: string, password: string): Promise<Record<string, string>> {
  const res = await fetchSignIn(base, username, password);
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const cookies = Object.fromEntries(res.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  return {
    cookie: Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; '),
    'x-csrf-token': cookies.pdx_csrf ?? '',
  };
}

async function waitForJob(base: string, headers: Record<string, string>, jobId: string) {
  let job: { state: string; rows: number; error: { code: string } | null; result: Record<string, unknown> | null } | undefined;
  await until(
    `job ${jobId}`,
    async () => {
      job = (await (await fetch(`${base}/api/v1/jobs/${jobId}`, { headers })).json()) as typeof job;
      return job!.state === 'succeeded' || job!.state === 'failed';
    },
    JOB_WAIT_MS,
    200,
  );
  return job!;
}

describe('HTTP upload into a pdx process with a 96 MB heap [postgres]', () => {
  let dir: TempDir;
  let drop = async () => {};
  let env: Record<string, string>;
  let world: World;
  let server: PdxChild;
  let base: string;
  let auth: Record<string, string>;
  let phases = 0;
  /** The child's memory peaks since the previous call (SIGUSR2 to the preloaded sampler). */
  async function peaks(): Promise<{ heapUsed: number; arrayBuffers: number; rss: number }> {
    const file = dir.file(`heap.json.${++phases}`);
    server.child.kill('SIGUSR2');
    await until('the memory report', () => fs.existsSync(file), CONDITION_MS, 20);
    await new Promise((r) => setTimeout(r, 50));
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  const show = (what: string, p: { heapUsed: number; arrayBuffers: number; rss: number }) =>
    console.log(
      `[upload memory] ${what}: peak heap ${(p.heapUsed / MB).toFixed(0)} MB, Buffers ${(p.arrayBuffers / MB).toFixed(0)} MB, RSS ${(p.rss / MB).toFixed(0)} MB`,
    );
  let idle: { heapUsed: number; arrayBuffers: number; rss: number };

  beforeAll(async () => {
    dir = tempDir('pdx-upload-memory-');
    const db = await createServerDatabase({ migrated: true });
    drop = db.drop;
    env = { PDX_DATA_DIR: dir.file('data'), PDX_DATABASE_URL: db.url, PDX_MASTER_KEY: randomBytes(32).toString('base64'), PDX_RATE_LIMIT: '100000' };
    writePeopleCsv(dir.file('v1.csv'), 1_000);
    world = await withPlatform(env, async (services) => {
      const w = await createWorld(services);
      await importHere(services, w, dir.file('v1.csv'));
      return w;
    });
    server = spawnPdx(['start'], { ...env, PDX_PORT: '0', PDX_HEAP_REPORT: dir.file('heap.json') }, [
      `--max-old-space-size=${HEAP_LIMIT_MB}`,
      '--import',
      './test/scripts/heap-watch.mjs',
    ]);
    await until('the server to listen', () => /http:\/\/[\d.]+:\d+/.test(server.stdout()) || server.child.exitCode !== null, PROCESS_START_MS, 50);
    base = /http:\/\/[\d.]+:\d+/.exec(server.stdout())![0];
    auth = await login(base, 'ga-officer', PASSWORD);
    idle = await peaks();
    show('start', idle);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await drop();
    dir?.remove();
  });

  it('spools a 400 MB upload to disk without holding it: 202, then the load fails fast on its header', async () => {
    const block = csvBlock(20_000, 3);
    const repeats = Math.ceil((400 * MB) / block.length);
    const wrongHeader = PEOPLE_HEADER.map((h, i) => (i === 0 ? '名字' : h)).join(',');
    const res = await streamUpload(`${base}/api/v1/datasets/${world.code}/versions`, auth, wrongHeader, block, repeats);
    expect(res.bytes).toBeGreaterThan(400 * MB);
    expect(res.status).toBe(202);
    const spool = await peaks();
    show(`upload of ${(res.bytes / MB).toFixed(0)} MB`, spool);
    // The heap is capped (the process would have died); Buffers are not, so they and the process's
    // growth over its idle size are checked against the upload.
    expect(spool.heapUsed).toBeLessThan(HEAP_LIMIT_MB * MB);
    expect(spool.arrayBuffers).toBeLessThan(res.bytes / 8);
    expect(spool.rss - idle.rss).toBeLessThan(res.bytes / 8);
    const job = await waitForJob(base, auth, JSON.parse(res.body).jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('schema_mismatch');
    // The spooled file is removed once its job has run.
    await until('the spool to empty', () => fs.readdirSync(dir.file('data/spool')).length === 0, CONDITION_MS, 50);
    expect(server.child.exitCode).toBeNull();
  });

  it('loads a 40 MB upload in full as a new version', async () => {
    const block = csvBlock(5_000, 4, 120);
    const repeats = Math.ceil((40 * MB) / block.length);
    const res = await streamUpload(`${base}/api/v1/datasets/${world.code}/versions?mode=append`, auth, PEOPLE_HEADER.join(','), block, repeats);
    expect(res.status).toBe(202);
    const job = await waitForJob(base, auth, JSON.parse(res.body).jobId);
    expect(job.error).toBeNull();
    expect(res.bytes).toBeGreaterThan(40 * MB);
    expect(job).toMatchObject({ state: 'succeeded', result: { rows: 5_000 * repeats, quarantined: 0 } });
    const load = await peaks();
    show(`upload and load of ${(res.bytes / MB).toFixed(0)} MB`, load);
    expect(load.heapUsed).toBeLessThan(HEAP_LIMIT_MB * MB);
    expect(load.rss - idle.rss).toBeLessThan(res.bytes * 2);
  });
});
