/**
 * Vitest global setup: makes a real PostgreSQL server available to every test file. Uses
 * PDX_TEST_DATABASE_URL when set; otherwise starts a throwaway cluster with the machine's
 * initdb/pg_ctl on a free port (as the postgres user when running as root) and removes it after.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

function findPgBin(name: string): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, name)),
    ...(fs.existsSync('/usr/lib/postgresql')
      ? fs.readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin/${name}`)
      : []),
  ];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) {
    throw new Error(`PostgreSQL server binaries not found (${name}); install the postgresql package or set PDX_TEST_DATABASE_URL`);
  }
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.PDX_TEST_DATABASE_URL;
  if (given) {
    project.provide('pgAdminUrl', given);
    console.log('[pdx tests] database backends: pglite, postgres (PDX_TEST_DATABASE_URL)');
    return () => {};
  }
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-pg-'));
  const run = (bin: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', findPgBin(bin), ...args], { stdio: 'pipe' })
      : execFileSync(findPgBin(bin), args, { stdio: 'pipe' });
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  project.provide('pgAdminUrl', url);
  console.log(`[pdx tests] database backends: pglite, postgres (throwaway cluster on port ${port})`);
  return () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}
