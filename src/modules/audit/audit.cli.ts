/**
 * `pdx audit …`: verification, checkpoints and archiving from the command line. `pdx audit verify`
 * exits non-zero on any break and prints the first bad sequence number.
 */
import type { Command } from 'commander';
import type { AuditLog } from './audit.service.ts';

export type OpenAudit = () => Promise<{ audit: AuditLog; close(): Promise<void> }>;

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
export function registerAuditCommands(program: Command, open: OpenAudit): Command {
  const audit = program.command('audit').description('audit log: verify, checkpoint, archive / 审计日志');

  audit
    .command('verify')
    .description('recompute the hash chain and signed heads; exit 1 on any break / 校验审计链')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await withAudit(open, (log) => log.verify());
      if (options.json) out(JSON.stringify(report));
      else if (report.ok) {
        out(`audit log OK: ${report.checked} records, ${report.checkpoints} signed heads verified / 审计链完整`);
      } else {
        out(`audit log BROKEN / 审计链被破坏`);
        if (report.firstBadSeq !== undefined) out(`first bad seq / 首个异常序号: ${report.firstBadSeq}`);
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
