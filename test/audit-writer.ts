/**
 * Child process of test/audit-concurrency.test.ts: appends records to the audit log of the database
 * at PDX_DATABASE_URL as writer WRITER_ID, COUNT records with CONCURRENCY callers at once. Prints
 * "ready" once connected, starts on "go" from stdin, prints "done <n>" and exits.
 */
import readline from 'node:readline';
import { openPostgres } from '../src/db/postgres.ts';
import { createAuditModule } from '../src/modules/audit/audit.module.ts';

const url = process.env.PDX_DATABASE_URL as string;
const writer = process.env.WRITER_ID as string;
const count = Number(process.env.COUNT);
const concurrency = Number(process.env.CONCURRENCY);

const db = await openPostgres(url, 4);
const same = (b: Buffer) => Buffer.from(b);
const { audit } = await createAuditModule({ db, hash: 'sha256', sealer: { seal: same, unseal: same }, checkpointEvery: { seconds: 0 } });
process.stdout.write('ready\n');
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();

let next = 0;
let written = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      await audit.record({ action: 'data.read', result: 'success', actor: { username: writer }, details: { i, pid: process.pid } });
      written++;
    }
  }),
);
await audit.close();
await db.close();
process.stdout.write(`done ${written}\n`);
