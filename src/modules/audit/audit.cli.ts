/**
 * `pdx audit …`: verification, checkpoints and archiving from the command line. `pdx audit verify`
 * exits non-zero on any break and prints the first bad sequence number.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { AuditLog, SignedHead } from './audit.service.ts';
import { parsePublicKey } from './trust.ts';

export type OpenAudit = () => Promise<{ audit: AuditLog; close(): Promise<void> }>;
/** Opens the log for verification only, trusting the given key (PEM) or else the pin. */
export type OpenAuditForVerify = (publicKeyPem?: string) => Promise<{ audit: AuditLog; trustedFrom: string; close(): Promise<void> }>;

/**
 * The signed head in a file an auditor kept: a head, a witness (GET /audit/witness), a JSON export,
 * a consistency proof (its `to`) or an archive file (its header line).
 */
export function readHeadFile(file: string): SignedHead {
  const text = fs.readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = JSON.parse(text.split('\n')[0] ?? '');
  }
  const d = doc as { head?: unknown; to?: unknown };
  const head = (d.head ?? d.to ?? doc) as Partial<SignedHead>;
  if (typeof head.treeSize !== 'number' || typeof head.rootHash !== 'string' || typeof head.signature !== 'string' || typeof head.timestamp !== 'string') {
    throw new Error(`${file}: no signed tree head found / 文件中没有签名树头`);
  }
  return head as SignedHead;
}

async function withAudit<T>(open: OpenAudit, fn: (audit: AuditLog) => Promise<T>): Promise<T> {
  const { audit, close } = await open();
  try {
    return await fn(audit);
  } finally {
    await audit.close();
    await close();
  }
}

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Adds the `audit` command group to the pdx program. */
export function registerAuditCommands(program: Command, open: OpenAudit, openForVerify: OpenAuditForVerify): Command {
  const audit = program.command('audit').description('audit log: verify, checkpoint, archive / 审计日志');

  audit
    .command('verify')
    .description('recompute the hash chain and signed heads against the pinned key; exit 1 on any break / 校验审计链')
    .option('--json', 'print the report as JSON')
    .option('--head <file...>', 'a signed head kept outside pdx (witness, export, archive): the log must extend it')
    .option('--public-key <file>', 'trust this public key (PEM) instead of the pinned one')
    .action(async (options: { json?: boolean; head?: string[]; publicKey?: string }) => {
      const heads = (options.head ?? []).map(readHeadFile);
      const pem = options.publicKey ? parsePublicKey(fs.readFileSync(options.publicKey, 'utf8'), options.publicKey) : undefined;
      const { audit: log, trustedFrom, close } = await openForVerify(pem);
      let report;
      try {
        report = await log.verify({ heads });
      } finally {
        await log.close();
        await close();
      }
      if (options.json) out(JSON.stringify({ ...report, trustedKey: trustedFrom }));
      else if (report.ok) {
        out(
          `audit log OK: ${report.checked} records, ${report.checkpoints} signed heads verified${heads.length ? `, extends ${heads.length} head(s) given` : ''} / 审计链完整`,
        );
        out(`trusted key / 信任的公钥: ${log.publicKey().keyId} (${trustedFrom})`);
      } else {
        out(`audit log BROKEN / 审计链被破坏`);
        if (report.firstBadSeq !== undefined) out(`first bad seq / 首个异常序号: ${report.firstBadSeq}`);
        if (report.missingHead !== undefined) out(`missing signed head / 缺少检查点: tree size ${report.missingHead}`);
        if (report.badCheckpoint !== undefined) out(`bad signed head / 异常检查点: tree size ${report.badCheckpoint}`);
        out(`reason / 原因: ${report.reason ?? ''}`);
        out(`records verified before the break / 异常前已校验记录: ${report.checked}`);
      }
      if (!report.ok) process.exitCode = 1;
    });

  audit
    .command('checkpoint')
    .description('sign a Merkle tree head over every record now / 立即生成签名检查点')
    .action(async () => {
      const head = await withAudit(open, (log) => log.checkpoint());
      out(head ? JSON.stringify(head) : 'audit log is empty, no head / 审计日志为空');
    });

  audit
    .command('archive')
    .description('export records older than the retention period, with proofs, to NDJSON files (deletes nothing) / 归档')
    .argument('<dir>', 'directory for the archive files')
    .option('--before <date>', 'archive records older than this ISO date instead of the retention cut-off')
    .action(async (dir: string, options: { before?: string }) => {
      const before = options.before === undefined ? undefined : new Date(options.before);
      if (before && Number.isNaN(before.getTime())) throw new Error(`--before: not a date: ${options.before}`);
      const result = await withAudit(open, (log) => log.archive(dir, before ? { before } : {}));
      for (const file of result.files) out(`${file.path}\t${file.fromSeq}-${file.toSeq}\t${file.count}`);
      out(`${result.files.reduce((n, f) => n + f.count, 0)} records archived in ${result.files.length} files / 已归档`);
    });

  return audit;
}
