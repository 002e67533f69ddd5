/**
 * Helpers of the aggregation process tests and the ingest bench: a provider organisation with a
 * data officer and a dataset set up through the services, people CSVs written line by line (never
 * whole in memory), and `pdx` child processes whose progress the caller can watch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config.ts';
import { migrate, openDatabase, type Db } from '../../src/db/index.ts';
import { createPlatform, type Platform } from '../../src/main.ts';
import type { Caller } from '../../src/modules/identity/identity.service.ts';
import { PEOPLE_HEADER, peopleRows } from '../fixtures/people.ts';
import { TEST_ENV } from '../helpers/env.ts';
import { CONDITION_MS } from '../helpers/bounds.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PDX_BIN = path.join(ROOT, 'bin', 'pdx.js');

export interface World {
  code: string;
  datasetId: string;
  relation: string;
  caller: Caller;
}

/** Opens the configured database with the services a pdx process has, runs fn, closes everything. */
export async function withPlatform<T>(env: Record<string, string>, fn: (services: Platform['services'], db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...TEST_ENV, PDX_LOG_LEVEL: 'silent', PDX_DEMO: 'false', ...env });
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const { services } = await createPlatform(config, db);
    try {
      return await fn(services, db, config);
    } finally {
      await services.audit.close();
    }
  } finally {
    await db.close();
  }
}

/** A province department with a data officer and one empty dataset that rejects invalid rows. */
export async function createWorld(services: Platform['services'], name = '户籍人口信息'): Promise<World> {
  const system: Caller = { principal: { kind: 'user', userId: '', username: 'test', orgId: '', roles: ['sysadmin'] }, requestId: 'test' };
  const org =
    (await services.identity.find.orgByName('省公安厅')) ??
    (await services.identity.createOrg(system, { name: '省公安厅', type: 'department', level: 'province', regionCode: '210000', uscc: null, parentId: null }));
  const existing = await services.identity.find.userByName('ga-officer');
  const userId =
    existing?.id ??
    (
      await services.identity.createUser(system, {
        username: 'ga-officer',
        displayName: '公安数据管理员',
        orgId: org.id,
        roles: ['data_officer'],
        password: 'Shenyang-Officer-2026',
      })
    ).user.id;
  const caller: Caller = { principal: { kind: 'user', userId, username: 'ga-officer', orgId: org.id, roles: ['data_officer'] }, requestId: 'test' };
  const dataset = await services.catalog.create(caller, {
    name,
    summary: '全省户籍人口基本信息',
    domain: '公共安全',
    category: '社会/人口/户籍',
    format: '库表',
    share_type: 'conditional',
    share_conditions: '法定职责',
    share_methods: ['api'],
    open_type: 'none',
    update_cycle: 'monthly',
    related_codes: [],
    tags: [],
    contact: {},
    on_invalid: 'reject',
  });
  return { code: dataset.code, datasetId: dataset.id, relation: dataset.relation, caller };
}

/** Loads a file as a new version in this process (import + drain) and returns the job. */
export async function importHere(services: Platform['services'], world: World, file: string, mode: 'append' | 'replace' = 'replace') {
  const jobId = await services.ingest.importFile(world.caller, world.code, file, { mode, options: {} });
  await services.jobs.drain();
  const job = await services.jobs.get(jobId);
  if (job?.state !== 'succeeded') throw new Error(`import of ${file} failed: ${JSON.stringify(job?.error)}`);
  return job;
}

/**
 * Writes `count` people rows as UTF-8 CSV in blocks. `breakLine` (1-based data line) gets one field
 * too many there, so a reader must fail at that line.
 */
export function writePeopleCsv(file: string, count: number, options: { seed?: number; breakLine?: number } = {}): number {
  const fd = fs.openSync(file, 'w');
  try {
    let block = `${PEOPLE_HEADER.join(',')}\n`;
    let line = 0;
    for (const row of peopleRows(count, options.seed ?? 7)) {
      line++;
      block += `${row.join(',')}${line === options.breakLine ? ',多余字段' : ''}\n`;
      if (block.length > 1 << 20) {
        fs.writeSync(fd, block);
        block = '';
      }
    }
    fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

export interface PdxChild {
  child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Rows of the latest progress line the CLI printed (its job's progress in the database). */
  rows(): number;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | NodeJS.Signals>;
}

/** Starts `node bin/pdx.js …args` with the given PDX_* environment. */
export function spawnPdx(args: string[], env: Record<string, string>, nodeArgs: string[] = []): PdxChild {
  const child = spawn(process.execPath, [...nodeArgs, PDX_BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...TEST_ENV, PDX_LOG_LEVEL: 'warn', PDX_DEMO: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    rows() {
      const all = [...err.matchAll(/([\d,]+) rows/g)];
      const last = all.at(-1);
      return last ? Number(last[1]!.replaceAll(',', '')) : 0;
    },
    exited,
  };
}

/** Polls until the predicate holds; throws with the description after the time limit. */
export async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = CONDITION_MS, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
