/**
 * The benchmark harness. Every figure is pdx next to a baseline that does the same work outside pdx,
 * measured in the same run:
 *
 * - pdx and the baseline ALTERNATE over rounds (baseline first in even rounds, pdx first in odd ones),
 *   after one warm-up run of each that is thrown away, so JIT, caches and the shared machine's load
 *   swings land on both sides;
 * - each figure prints the MEDIAN of pdx and of the baseline, and the median of the per-round ratios
 *   with their SPREAD (min–max), plus the data size;
 * - ratio = pdx ÷ baseline of the printed quantity: for rates (rows/s, req/s, MB/s) 1.00 means as fast
 *   and higher is better; for latencies and memory (ms, MB) lower is better;
 * - HTTP load comes from a generator in its OWN process (bench/child/http-load.ts), never from the
 *   process of a server it measures.
 *
 * Knobs shared by every benchmark (each bench documents its own at the top of its file):
 *   PDX_BENCH_ROUNDS        measured rounds per figure (default 3; fewer than 3 is refused)
 *   PDX_BENCH_CLIENTS       concurrent keep-alive connections of the HTTP load generator (default 16)
 *   PDX_BENCH_BATCH_MS      least duration of one measured batch of an in-process figure (default 500)
 *   PDX_BENCH_DATABASE_URL  a PostgreSQL server to use instead of a throwaway durable cluster
 *
 * Timings never go into tests.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, startPgCluster } from '../test/helpers/pg-cluster.ts';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(BENCH_DIR);

function knob(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}=${raw}: expected a number ≥ ${min}`);
  return n;
}

/** A numeric knob from the environment (with its default), refused when not a number ≥ min. */
export const numberKnob = knob;

/** Measured rounds per figure. */
export const ROUNDS = knob('PDX_BENCH_ROUNDS', 3, 3);
/** Concurrent connections of the HTTP load generator. */
export const CLIENTS = knob('PDX_BENCH_CLIENTS', 16);
/** Least duration of one measured batch of an in-process figure (rate()). */
export const BATCH_MS = knob('PDX_BENCH_BATCH_MS', 500);

// ---------------------------------------------------------------------------------------------
// Rounds

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Rounds<P, B = P> {
  pdx: P[];
  baseline: B[];
}

/**
 * Runs one warm-up of each side (discarded), then `rounds` measured rounds, alternating which side
 * goes first. Returns the per-round results of each side, in round order.
 */
export async function alternate<P, B = P>(o: {
  /** Called with round -1 for the warm-up, then 0, 1, … */
  pdx: (round: number) => Promise<P> | P;
  baseline: (round: number) => Promise<B> | B;
  rounds?: number;
  warmup?: boolean;
}): Promise<Rounds<P, B>> {
  const rounds = o.rounds ?? ROUNDS;
  if (o.warmup !== false) {
    await o.baseline(-1);
    await o.pdx(-1);
  }
  const out: Rounds<P, B> = { pdx: [], baseline: [] };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      out.baseline.push(await o.baseline(r));
      out.pdx.push(await o.pdx(r));
    } else {
      out.pdx.push(await o.pdx(r));
      out.baseline.push(await o.baseline(r));
    }
  }
  return out;
}

/** Seconds one call takes. */
export async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/**
 * Units per second of `fn` (one call handles `units`), calling it until at least `minMs` have passed:
 * one measured batch of an in-process figure (crypto, masking, driver calls).
 */
export async function rate(units: number, fn: () => Promise<unknown> | unknown, minMs = BATCH_MS): Promise<number> {
  let calls = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    await fn();
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (calls * units) / (elapsed / 1000);
}

// ---------------------------------------------------------------------------------------------
// Printing

export interface Figure {
  /** What was measured, e.g. "records pages/s". */
  name: string;
  /** Data size the figure was measured on, e.g. "200,000 rows × 7 columns". */
  size: string;
  unit: string;
  /** Per-round values of pdx and of the baseline, in round order (same length). */
  pdx: readonly number[];
  baseline: readonly number[];
  baselineName: string;
  /** Latencies and memory: a smaller value is better (the ratio is still pdx ÷ baseline). */
  lowerIsBetter?: boolean;
}

export const fmt = (n: number) =>
  !Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);

/** Median ratio and spread of the per-round pdx ÷ baseline ratios. */
export function ratios(pdx: readonly number[], baseline: readonly number[]): { median: number; min: number; max: number } {
  const r = pdx.map((v, i) => v / baseline[i]!);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

/** Prints one figure: medians of both sides, median ratio (spread, rounds), data size. Returns the median ratio. */
export function report(f: Figure): number {
  if (f.pdx.length !== f.baseline.length || f.pdx.length === 0)
    throw new Error(`${f.name}: ${f.pdx.length} pdx rounds vs ${f.baseline.length} baseline rounds`);
  const r = ratios(f.pdx, f.baseline);
  const better = f.lowerIsBetter ? 'lower is better' : 'higher is better';
  console.log(
    `${f.name.padEnd(42)} pdx ${fmt(median(f.pdx)).padStart(10)} ${f.unit.padEnd(8)} | ${f.baselineName}: ${fmt(median(f.baseline)).padStart(10)} ${f.unit.padEnd(8)} | ratio ${r.median.toFixed(2)} (spread ${r.min.toFixed(2)}–${r.max.toFixed(2)}, ${f.pdx.length} rounds, ${better}) | ${f.size}`,
  );
  return r.median;
}

/** Prints the two figures of an HTTP load run (req/s, p99 latency) of alternated rounds. */
export function reportLoad(
  name: string,
  rounds: { pdx: readonly { rps: number; p99: number }[]; baseline: readonly { rps: number; p99: number }[] },
  o: { size: string; baselineName: string },
): void {
  const side = (pick: (r: { rps: number; p99: number }) => number) => ({ pdx: rounds.pdx.map(pick), baseline: rounds.baseline.map(pick) });
  report({ name: `${name} req/s`, unit: 'req/s', ...o, ...side((r) => r.rps) });
  report({ name: `${name} p99 latency`, unit: 'ms', ...o, ...side((r) => r.p99), lowerIsBetter: true });
}

export function section(title: string): void {
  console.log(`\n== ${title}`);
}

/** The machine and its load right now: printed with every benchmark, since the figures depend on it. */
export function machine(): string {
  const [a, b, c] = os.loadavg().map((x) => x.toFixed(2));
  return `${os.cpus().length} CPUs, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, load average ${a} / ${b} / ${c} (1/5/15 min), Node ${process.version}, ${new Date().toISOString()}`;
}

// ---------------------------------------------------------------------------------------------
// Processes and databases

/** A free TCP port on the loopback interface. */
export { freePort };

/**
 * Runs a TypeScript file of bench/ in a child Node process with `env` added, and parses the last line
 * it prints on stdout as JSON. Asynchronous: a server in this process keeps serving meanwhile.
 */
export function runChild<T>(script: string, env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(BENCH_DIR, script)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

/** One run of the HTTP load generator (bench/child/http-load.ts). */
export interface LoadJob {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Path and query; every `{n}` is replaced per request by the next number of a seeded sequence in [0, vary.max). */
  path: string;
  vary?: { max: number; seed: number };
  headers?: Record<string, string>;
  connections?: number;
  seconds: number;
}

export interface LoadResult {
  requests: number;
  /** Answers other than 200 and failed requests. */
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  bytesPerResponse: number;
  firstError?: string;
}

/** Runs the load generator in its own process against a server in another one. */
export function httpLoad(job: LoadJob): Promise<LoadResult> {
  return runChild<LoadResult>('child/http-load.ts', { PDX_BENCH_LOAD_JOB: JSON.stringify({ connections: CLIENTS, ...job }) });
}

export interface BenchDatabase {
  /** A database of its own (created for this run, dropped by close()). */
  url: string;
  /** The PostgreSQL server log, when the cluster is a throwaway one this run started. */
  serverLog?: string;
  /** psql and other client programs, run as the cluster's user when the cluster is ours. */
  cluster?: Awaited<ReturnType<typeof startPgCluster>>;
  close(): Promise<void>;
}

/**
 * A fresh database on PDX_BENCH_DATABASE_URL, or on a throwaway cluster with production durability
 * (fsync on). `name` prefixes the database's name.
 */
export async function benchDatabase(name: string): Promise<BenchDatabase> {
  const cluster = process.env.PDX_BENCH_DATABASE_URL ? undefined : await startPgCluster({ durable: true });
  const adminUrl = process.env.PDX_BENCH_DATABASE_URL ?? cluster!.url;
  const dbName = `pdx_bench_${name}_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  let serverLog: string | undefined;
  try {
    await admin.query(`CREATE DATABASE ${dbName}`);
    if (cluster) {
      // pg-cluster.ts starts the server with `-l <dir>/server.log` next to `<dir>/data`.
      const [row] = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows;
      serverLog = path.join(path.dirname(row!.data_directory), 'server.log');
    }
  } catch (error) {
    await admin.end();
    cluster?.stop();
    throw error;
  }
  const url = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
  return {
    url,
    ...(serverLog ? { serverLog } : {}),
    ...(cluster ? { cluster } : {}),
    async close() {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
      cluster?.stop();
    },
  };
}

/** VmHWM (peak) and VmRSS of a process from /proc, in MB. */
export function processMemory(pid: number | undefined): { peakMb: number; rssMb: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return { peakMb: NaN, rssMb: NaN };
  }
}

export interface ServerChild {
  /** Where its stdout and stderr go. */
  log: string;
  /** Peak and current resident memory of the process in MB (from /proc; NaN where there is none). */
  memory(): { peakMb: number; rssMb: number };
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts a long-running server process (pdx, or a baseline server) with stdout and stderr to `log`,
 * and waits until `ready` answers 200 (bounded by `timeoutMs`; a process that exits first fails).
 */
export async function startServerChild(
  args: string[],
  env: Record<string, string>,
  log: string,
  ready: string | { url: string; headers: Record<string, string> },
  timeoutMs = 300_000,
): Promise<ServerChild> {
  const readyUrl = typeof ready === 'string' ? ready : ready.url;
  const readyHeaders = typeof ready === 'string' ? {} : ready.headers;
  const fd = fs.openSync(log, 'a');
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exited: number | string | null = null;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = signal ?? code;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited === null) child.kill('SIGTERM');
    await exit;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`${args.join(' ')} exited with ${exited} before it was ready; log: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    const ok = await fetch(readyUrl, { headers: readyHeaders }).then(
      async (res) => (await res.arrayBuffer(), res.status === 200),
      () => false,
    );
    if (ok) return { log, stop, memory: () => processMemory(child.pid) };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${args.join(' ')} not ready at ${readyUrl} after ${timeoutMs} ms; log: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
