/**
 * The HTTP load generator of the benchmarks, in its own process (lib.ts httpLoad() starts it), so
 * its cost never lands in the process of the server it measures. Reads its job from
 * PDX_BENCH_LOAD_JOB (see LoadJob in lib.ts): `connections` keep-alive connections, each sending its
 * next request as soon as the previous answer has been read in full, for `seconds`. Every `{n}` in the
 * path is replaced by the next number of a seeded sequence, so pdx and its baseline are asked for the
 * same pages in the same order. Prints one JSON line (LoadResult): requests, errors (any status but
 * 200, or a failed request), req/s, p50/p99/max latency in ms, bytes per response.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadJob, LoadResult } from '../lib.ts';

const job = JSON.parse(process.env.PDX_BENCH_LOAD_JOB ?? 'null') as Required<Pick<LoadJob, 'connections'>> & LoadJob;
if (!job) throw new Error('PDX_BENCH_LOAD_JOB is not set');
const target = new URL(job.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });

// mulberry32: a small seeded generator, the same sequence for both sides of a round.
let state = (job.vary?.seed ?? 1) >>> 0;
function nextNumber(max: number): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
}
const pathOf = () => (job.vary ? job.path.replaceAll('{n}', String(nextNumber(job.vary.max))) : job.path);

const latencies: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let bytes = 0;
let firstError: string | undefined;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    const req = http.request({ host: target.hostname, port: target.port, path: pathOf(), agent, headers: job.headers ?? {} }, (res) => {
      let body = '';
      const status = res.statusCode ?? 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (status !== 200 && body.length < 500) body += chunk.toString();
      });
      res.on('end', () => {
        latencies.push(performance.now() - start);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 200) {
          errors++;
          firstError ??= `${status} ${body.slice(0, 300)}`;
        }
        resolve();
      });
    });
    req.on('error', (e) => {
      errors++;
      firstError ??= String(e);
      resolve();
    });
    req.end();
  });
}

const started = performance.now();
const end = started + job.seconds * 1000;
await Promise.all(
  Array.from({ length: job.connections }, async () => {
    while (performance.now() < end) await one();
  }),
);
const elapsed = (performance.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
const result: LoadResult = {
  requests: latencies.length,
  errors,
  statuses,
  seconds: elapsed,
  rps: latencies.length / elapsed,
  p50: at(0.5),
  p99: at(0.99),
  max: latencies.at(-1) ?? 0,
  bytesPerResponse: latencies.length ? bytes / latencies.length : 0,
  ...(firstError ? { firstError } : {}),
};
console.log(JSON.stringify(result));
