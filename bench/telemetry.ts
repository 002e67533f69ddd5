/**
 * Telemetry ingestion and roll-up reads (issue 19), on a PostgreSQL server.
 *
 * 1. Sustained points/s stored and acknowledged by pdx over MQTT QoS 1 (messages of 100 samples) and
 *    over HTTP line protocol (/api/v2/write, 5,000 samples a request), from a load generator in its
 *    own process; baseline: the same samples `COPY`ed straight into the same table by another
 *    process. pdx and the baseline alternate over rounds; the median ratio and its spread are
 *    printed, with pdx's RSS before and after (flat = bounded memory).
 * 2. One day of hourly roll-ups for 100 points read from the roll-up table, against the same
 *    aggregate computed from the raw samples.
 *
 * Sizes: PDX_BENCH_TELEMETRY_POINTS samples per round (default 200,000), PDX_BENCH_TELEMETRY_ROUNDS
 * (3), PDX_BENCH_TELEMETRY_DAY_STEP_S sampling of the query day (60 s). A 5-minute soak for RSS:
 * PDX_BENCH_TELEMETRY_POINTS large enough for a round to last that long.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/main.ts';
import type { Caller } from '../src/modules/identity/identity.service.ts';
import { isoMicros } from '../src/modules/telemetry/payloads.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';
import { section } from './lib.ts';

const SELF = fileURLToPath(import.meta.url);
const DEVICES = 10;
const POINTS_PER_DEVICE = 10;

interface Job {
  mode: 'mqtt' | 'http' | 'copy';
  samples: number;
  /** First timestamp (ms); each round writes its own instants so nothing is a duplicate. */
  startMs: number;
  port: number;
  url: string;
  enterprise: string;
  tokens: string[];
  pointIds: number[];
}

// ---------- child: the load generator (or the baseline) in its own process ----------
if (process.env.PDX_BENCH_TELEMETRY_JOB) {
  const job = JSON.parse(process.env.PDX_BENCH_TELEMETRY_JOB) as Job;
  const perDevice = Math.ceil(job.samples / DEVICES);
  const instants = Math.ceil(perDevice / POINTS_PER_DEVICE);
  const started = performance.now();
  if (job.mode === 'copy') {
    const client = new pg.Client(job.url);
    await client.connect();
    const rows = Readable.from(
      (function* () {
        let buffer = '';
        for (let d = 0; d < DEVICES; d++) {
          for (let i = 0; i < instants; i++) {
            const ts = isoMicros((job.startMs + i * 10) * 1000);
            for (let p = 0; p < POINTS_PER_DEVICE; p++) {
              buffer += `${job.pointIds[d * POINTS_PER_DEVICE + p]},${ts},${(Math.sin(i / 50) * 10 + p).toFixed(3)}\n`;
              if (buffer.length > 65_536) {
                yield buffer;
                buffer = '';
              }
            }
          }
        }
        if (buffer) yield buffer;
      })(),
    );
    await pipeline(rows, client.query(copyFrom('COPY telemetry_raw (point_id, ts, value) FROM STDIN WITH (FORMAT csv)')));
    await client.end();
  } else if (job.mode === 'mqtt') {
    // One connection per device, messages of 100 samples (10 instants × 10 points), up to 32 in flight.
    await Promise.all(
      job.tokens.map(async (token, d) => {
        const c = await mqtt.connectAsync({ host: '127.0.0.1', port: job.port, username: `${job.enterprise}/D${d}`, password: token, reconnectPeriod: 0 });
        const messages = Math.ceil(instants / 10);
        let next = 0;
        const worker = async () => {
          while (next < messages) {
            const m = next++;
            const body = Array.from({ length: Math.min(10, instants - m * 10) }, (_, k) => {
              const i = m * 10 + k;
              return {
                ts: job.startMs + i * 10,
                values: Object.fromEntries(
                  Array.from({ length: POINTS_PER_DEVICE }, (_, p) => [`p${p}`, Math.round((Math.sin(i / 50) * 10 + p) * 1000) / 1000]),
                ),
              };
            });
            await c.publishAsync(`plant/${job.enterprise}/D${d}/telemetry`, JSON.stringify(body), { qos: 1 });
          }
        };
        await Promise.all(Array.from({ length: 32 }, worker));
        await c.endAsync();
      }),
    );
  } else {
    // Line protocol, 5,000 samples a request (500 instants × 10 points), 4 requests in flight per device.
    await Promise.all(
      job.tokens.map(async (token, d) => {
        const requests = Math.ceil(instants / 500);
        let next = 0;
        const worker = async () => {
          while (next < requests) {
            const r = next++;
            let body = '';
            for (let k = 0; k < Math.min(500, instants - r * 500); k++) {
              const i = r * 500 + k;
              body += `D${d} ${Array.from({ length: POINTS_PER_DEVICE }, (_, p) => `p${p}=${(Math.sin(i / 50) * 10 + p).toFixed(3)}`).join(',')} ${job.startMs + i * 10}\n`;
            }
            for (;;) {
              const res = await fetch(`http://127.0.0.1:${job.port}/api/v2/write?precision=ms`, {
                method: 'POST',
                headers: { authorization: `Token ${token}` },
                body,
              });
              await res.arrayBuffer();
              if (res.status === 204) break;
              if (res.status !== 503 && res.status !== 429) throw new Error(`write answered ${res.status}`);
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          }
        };
        await Promise.all(Array.from({ length: 4 }, worker));
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ pointsPerSecond: (DEVICES * instants * POINTS_PER_DEVICE) / seconds }));
  process.exit(0);
}

/** Runs one job in a child process; asynchronously, since pdx serves from this process meanwhile. */
async function runJob(job: Job): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SELF], {
    env: { ...process.env, PDX_BENCH_TELEMETRY_JOB: JSON.stringify(job) },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return (JSON.parse(stdout) as { pointsPerSecond: number }).pointsPerSecond;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MiB`;

export default async function run(): Promise<void> {
  const samples = Number(process.env.PDX_BENCH_TELEMETRY_POINTS ?? 200_000);
  const rounds = Math.max(3, Number(process.env.PDX_BENCH_TELEMETRY_ROUNDS ?? 3));
  const dayStepS = Number(process.env.PDX_BENCH_TELEMETRY_DAY_STEP_S ?? 60);
  const cluster = process.env.PDX_BENCH_DATABASE_URL ? undefined : await startPgCluster({ durable: true });
  const url = process.env.PDX_BENCH_DATABASE_URL ?? cluster!.url;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-tel-'));
  const server = await startServer(
    loadConfig({
      PDX_DATABASE_URL: url,
      PDX_DATA_DIR: dataDir,
      PDX_PORT: '0',
      PDX_MQTT_PORT: '0',
      PDX_LOG_LEVEL: 'silent',
      PDX_RATE_LIMIT: '100000000',
      PDX_DEMO: 'false',
      PDX_MASTER_KEY: randomBytes(32).toString('base64'),
    }),
  );
  try {
    const { identity, telemetry } = server.platform.services;
    const t = telemetry.service;
    const system: Caller = { principal: { kind: 'user', userId: '', username: 'bench', orgId: '', roles: ['sysadmin'] } };
    const org = await identity.createOrg(system, { name: '基准测试钢铁', type: 'enterprise', level: 'city', regionCode: '211300', uscc: null, parentId: null });
    const user = await identity.createUser(system, {
      username: 'bench-officer',
      displayName: 'bench',
      orgId: org.id,
      roles: ['data_officer'],
      password: `Qz${randomBytes(12).toString('base64url')}!9`,
    });
    const officer: Caller = { principal: { kind: 'user', userId: user.user.id, username: 'bench-officer', orgId: org.id, roles: ['data_officer'] } };
    await t.updateSettings(officer, { enterpriseCode: 'bench' });
    await t.register(
      officer,
      Array.from({ length: DEVICES }, (_, d) =>
        Array.from({ length: POINTS_PER_DEVICE }, (_, p) => ({ plant: 'P', line: 'L', device: `D${d}`, point: `p${p}`, unit: 'kW', samplingMs: 10 })),
      ).flat(),
    );
    const tokens: string[] = [];
    for (let d = 0; d < DEVICES; d++) {
      await t.updateDevice(officer, `D${d}`, { maxPointsPerSecond: 1_000_000 });
      tokens.push((await t.issueToken(officer, `D${d}`)).token);
    }
    const points = await t.repo.pointsOfOrg(org.id);
    const pointIds = Array.from(
      { length: DEVICES * POINTS_PER_DEVICE },
      (_, i) => points.find((p) => p.device_code === `D${Math.floor(i / POINTS_PER_DEVICE)}` && p.code === `p${i % POINTS_PER_DEVICE}`)!.id,
    );
    const httpPort = Number(new URL(server.url).port);
    const mqttPort = telemetry.brokerPort()!;
    // Each round's instants: 10 ms apart from a start inside the last hours (partitions made ahead).
    let clock = Date.now() - 3 * 3_600_000;
    const span = Math.ceil(samples / DEVICES / POINTS_PER_DEVICE) * 10 + 1000;
    const nextStart = () => (clock += span);
    await t.ensurePartitions([clock * 1000, (clock + span * rounds * 3) * 1000]);

    section(
      `ingestion: ${fmt(samples)} samples a round, ${DEVICES} devices × ${POINTS_PER_DEVICE} points, ${rounds} rounds alternating with COPY (measured on a shared, loaded machine)`,
    );
    for (const mode of ['mqtt', 'http'] as const) {
      const ratios: number[] = [];
      const pdxRates: number[] = [];
      const copyRates: number[] = [];
      const rss: number[] = [process.memoryUsage().rss];
      for (let r = 0; r < rounds; r++) {
        const base = { samples, port: mode === 'mqtt' ? mqttPort : httpPort, url, enterprise: 'bench', tokens, pointIds };
        const copy = await runJob({ ...base, mode: 'copy', startMs: nextStart() });
        const rate = await runJob({ ...base, mode, startMs: nextStart() });
        await t.writer.drain();
        rss.push(process.memoryUsage().rss);
        pdxRates.push(rate);
        copyRates.push(copy);
        ratios.push(rate / copy);
      }
      const label = mode === 'mqtt' ? 'MQTT QoS 1, 100 samples a message' : 'HTTP line protocol, 5,000 a request';
      console.log(
        `${label.padEnd(38)} ${fmt(median(pdxRates)).padStart(10)} points/s | COPY: ${fmt(median(copyRates)).padStart(10)} points/s | ratio ${median(ratios).toFixed(2)} (spread ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | RSS ${rss.map(mb).join(' → ')}`,
      );
    }

    section(`query: one day of hourly roll-ups for ${DEVICES * POINTS_PER_DEVICE} points, raw sampled every ${dayStepS} s`);
    const dayStart = Math.floor((Date.now() - 2 * 86_400_000) / 86_400_000) * 86_400_000;
    await t.ensurePartitions([dayStart * 1000, (dayStart + 86_399_000) * 1000]);
    const ctxs = await Promise.all(tokens.map((tok) => t.authenticateDevice(tok)));
    for (let d = 0; d < DEVICES; d++) {
      for (let from = dayStart; from < dayStart + 86_400_000; from += (5000 * dayStepS * 1000) / POINTS_PER_DEVICE) {
        const batch = [];
        for (let ts = from; ts < Math.min(from + (5000 * dayStepS * 1000) / POINTS_PER_DEVICE, dayStart + 86_400_000); ts += dayStepS * 1000) {
          for (let p = 0; p < POINTS_PER_DEVICE; p++) batch.push({ point: `p${p}`, value: Math.sin(ts / 3e6) * 10 + p, tsUs: ts * 1000 });
        }
        await t.ingest(ctxs[d]!, batch, { via: 'http', receivedMs: Date.now(), maxDelayMs: 60_000 });
      }
    }
    await server.db.query('ANALYZE');
    const from = new Date(dayStart);
    const to = new Date(dayStart + 86_400_000);
    const times = { rollup: [] as number[], raw: [] as number[] };
    for (let r = 0; r < Math.max(rounds, 5); r++) {
      let s = performance.now();
      const fromRaw = await t.repo.hourlyFromRaw(pointIds, from, to);
      times.raw.push(performance.now() - s);
      s = performance.now();
      const rolled = await t.repo.rollup('telemetry_rollup_1h', pointIds, from, to, 100_000);
      times.rollup.push(performance.now() - s);
      if (rolled.length !== fromRaw.length) throw new Error(`roll-up rows ${rolled.length} ≠ raw aggregate rows ${fromRaw.length}`);
    }
    const ratios = times.raw.map((raw, i) => raw / times.rollup[i]!);
    console.log(
      `${'hourly roll-up read (2,400 rows)'.padEnd(38)} ${median(times.rollup).toFixed(1).padStart(10)} ms | from raw (${fmt((86_400 / dayStepS) * DEVICES * POINTS_PER_DEVICE)} rows): ${median(times.raw).toFixed(1).padStart(8)} ms | ${median(ratios).toFixed(1)}× faster (spread ${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)})`,
    );
    console.log('anchors published on 2 vCPU (TSBS): InfluxDB ≈ 320,000 points/s, VictoriaMetrics ≈ 800,000 points/s (other machines; for scale only)');
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    cluster?.stop();
  }
}
