/**
 * A throwaway PostgreSQL cluster made with the machine's initdb/pg_ctl, on a free port, as the
 * postgres user when running as root (initdb refuses root). Used by the test setup and benchmarks.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function findPgBin(name: string): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, name)),
    ...(fs.existsSync('/usr/lib/postgresql')
      ? fs
          .readdirSync('/usr/lib/postgresql')
          .sort()
          .reverse()
          .map((v) => `/usr/lib/postgresql/${v}/bin/${name}`)
      : []),
  ];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) {
    throw new Error(`PostgreSQL server binaries not found (${name}); install the postgresql package or set PDX_TEST_DATABASE_URL`);
  }
  return found;
}

/** A free TCP port on the loopback interface (also used by the benchmarks). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface PgCluster {
  url: string;
  port: number;
  /** Runs a PostgreSQL client program (psql, pg_dump …) of the same installation as the cluster's user. */
  run(bin: string, args: string[]): Buffer;
  stop(): void;
}

/**
 * Starts a cluster; `durable: false` turns off fsync for speed (tests), benchmarks keep defaults.
 * `walLevel: 'logical'`: a source for CDC bindings (logical replication slots and walsenders).
 */
export async function startPgCluster(options: { durable?: boolean; walLevel?: 'replica' | 'logical' } = {}): Promise<PgCluster> {
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-pg-'));
  const run = (bin: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', findPgBin(bin), ...args], { stdio: 'pipe', maxBuffer: 1 << 30 })
      : execFileSync(findPgBin(bin), args, { stdio: 'pipe', maxBuffer: 1 << 30 });
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const fast = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const logical = options.walLevel === 'logical' ? ' -c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20' : '';
  const settings = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=300${fast}${logical}`;
  run('pg_ctl', ['-D', data, '-o', settings, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    run,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
