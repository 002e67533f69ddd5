/**
 * `pdx demo burst`: replays journey step 6 on the configured database (see burst.ts). The CLI owner
 * wires it with `registerBurstCommand(demo, { open })`, where `open` opens the database and the
 * platform as `pdx start` does, without listening.
 */
import type { Command } from 'commander';
import { AppError, ConflictError } from '../../errors.ts';
import type { App } from '../../http/app.ts';
import type { Platform } from '../../main.ts';
import { burstReport, replayBurst } from './burst.ts';

export interface BurstCliContext {
  services: Platform['services'];
  /** The platform's HTTP app: the burst's reads go through it in process. */
  inject: App['inject'];
  close(): Promise<void>;
}

export function registerBurstCommand(demo: Command, deps: { open(): Promise<BurstCliContext>; write?(text: string): void }): void {
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));
  demo
    .command('burst')
    .description('replay journey step 6: 朝阳市民政局’s key pulls far above its baseline at 03:00 / 重放夜间突发访问（旅程第 6 步）')
    .action(async () => {
      const ctx = await deps.open().catch((error: unknown) => {
        // The embedded server holds the data directory: the same replay is one click in its console.
        if (error instanceof AppError && error.code === 'database_locked') {
          throw new ConflictError('database_locked', {
            zh: `${error.text.zh}。服务运行时，可由安全管理员在控制台「安全运营」页点击「演示：重放夜间突发访问」`,
            en: `${error.text.en}. While it runs, the secadmin can press “Demo: replay the night burst” on the console's Security operations page`,
          });
        }
        throw error;
      });
      // The security worker of this process judges the reads (a server on the same database may take them first).
      ctx.services.secops.start();
      try {
        write('replaying the night burst / 正在重放夜间突发访问 …\n');
        // Host access: the command line may approve the waiting request of step 4 as the demo world's people.
        const by = { requestId: 'cli', hostAccess: true };
        const outcome = await replayBurst({ services: ctx.services, inject: ctx.inject, by, approve: true, log: (line) => write(`${line}\n`) });
        write(`\n${burstReport(outcome)}`);
        if (!outcome.alert) process.exitCode = 1;
      } finally {
        await ctx.services.secops.stop();
        await ctx.close();
      }
    });
}
