import type { DemoAccount } from '../modules/demo/world.ts';
import type { FirstCredentials } from '../modules/identity/bootstrap.ts';

/** Role names as the console shows them, with the code an operator types in commands. */
const ROLE_NAMES: Record<string, string> = {
  sysadmin: '系统管理员',
  secadmin: '安全管理员',
  auditor: '审计管理员',
  data_officer: '数据管理员',
  consumer: '数据使用方',
};
const roleName = (role: string) => `${ROLE_NAMES[role] ?? role} ${role}`;

/** Columns a terminal gives a string: CJK and full-width characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return width;
}

/** A plain-text table with a header line, columns padded to their widest cell. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - displayWidth(c)))).join('  ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Prints the first-start accounts once; generated passwords are never shown again. */
export function printFirstCredentials(accounts: FirstCredentials[]): void {
  const rows = accounts.map((a) => [a.username, roleName(a.role), a.password ?? '(PDX_* variable / 环境变量)']);
  process.stdout.write(
    [
      'First start: administrator accounts (三员) were created. Passwords are shown only this once;',
      'generated ones must be changed at first sign-in. / 首次启动已创建三员账号，密码仅显示这一次，生成的密码须在首次登录时修改：',
      textTable(['account / 账号', 'role / 角色', 'password / 密码'], rows),
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
  const rows = accounts.map((a) => [a.username, a.password, a.roles.map((r) => ROLE_NAMES[r] ?? r).join('、'), a.org]);
  process.stdout.write(
    [
      'Demo accounts (shown only this once) / 演示账号（仅显示这一次）：',
      textTable(['account / 账号', 'password / 密码', 'role / 角色', 'organisation / 单位'], rows),
      '',
      '',
    ].join('\n'),
  );
}
