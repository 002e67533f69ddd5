import type { DemoAccount } from '../modules/demo/world.ts';
import type { FirstCredentials } from '../modules/identity/bootstrap.ts';

/** Prints the first-start accounts once; generated passwords are never shown again. */
export function printFirstCredentials(accounts: FirstCredentials[]): void {
  const lines = accounts.map((a) => `  ${a.username.padEnd(10)} ${a.role.padEnd(10)} ${a.password ?? '(from PDX_* variable)'}`);
  process.stdout.write(
    [
      'First start: administrator accounts (三员) were created. Passwords are shown only this once;',
      'generated ones must be changed at first sign-in. / 首次启动已创建三员账号,密码仅显示这一次:',
      ...lines,
      '',
      '',
    ].join('\n'),
  );
}

/** One carriage-returned progress bar line: bytes read of the total, rows so far. */
export function progressLine(progress: { rows?: number; bytes?: number; totalBytes?: number | null; phase?: string }): string {
  const total = progress.totalBytes ?? 0;
  const done = Math.min(progress.bytes ?? 0, total || Infinity);
  const share = total ? done / total : 0;
  const width = 30;
  const filled = Math.round(share * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `\r${bar} ${(share * 100).toFixed(0).padStart(3)}%  ${(progress.rows ?? 0).toLocaleString('en-US')} rows  ${progress.phase ?? ''}   `;
}

/** Prints the demo accounts once (their passwords are not stored anywhere in clear). */
export function printDemoAccounts(accounts: DemoAccount[]): void {
  if (accounts.length === 0) return;
  const lines = accounts.map((a) => `  ${a.username.padEnd(12)} ${a.password}  ${a.roles.join(',').padEnd(22)} ${a.org}`);
  process.stdout.write(['Demo accounts (shown only this once) / 演示账号(仅显示这一次):', ...lines, '', ''].join('\n'));
}
