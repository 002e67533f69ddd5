/**
 * A throwaway MariaDB server (Debian's `mariadb-server` package) on a free loopback port with its own
 * data directory, for the MySQL connector of database exchange. `root` connects over the socket
 * only; tests create their own users with passwords.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';

export interface MariaDb {
  host: string;
  port: number;
  /** Runs statements as root (over the socket). */
  admin(sql: string, params?: unknown[]): Promise<unknown[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startMariaDb(): Promise<MariaDb> {
  const binary = ['/usr/sbin/mariadbd', '/usr/bin/mariadbd'].find((p) => fs.existsSync(p));
  if (!binary) throw new Error('mariadb-server is not installed (apt-get install mariadb-server)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-maria-'));
  const datadir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const user = os.userInfo().username;
  const init = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${datadir}`, `--user=${user}`, '--auth-root-authentication-method=socket', '--skip-test-db'],
    { encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--user=${user}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mariadbd did not start: ${stderr}`);
    try {
      const c = await mysql.createConnection({ socketPath: socket, user: 'root' });
      await c.end();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const pool = mysql.createPool({ socketPath: socket, user: 'root', connectionLimit: 2 });
  return {
    host: '127.0.0.1',
    port,
    async admin(sql, params = []) {
      const [rows] = await pool.query(sql, params);
      return rows as unknown[];
    },
    async stop() {
      await pool.end();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
