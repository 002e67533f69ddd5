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
