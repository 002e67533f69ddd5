import { describe, expect, it } from 'vitest';
import { printDemoAccounts, printFirstCredentials, textTable } from './output.ts';

describe('textTable', () => {
  it('has a header and lines up columns by what a terminal shows (a Chinese character is two columns)', () => {
    const lines = textTable(
      ['account / 账号', 'role / 角色', 'organisation'],
      [
        ['ga-officer', '数据管理员', '省公安厅'],
        ['zy-minzheng', '数据使用方', '朝阳市民政局'],
      ],
    ).split('\n');
    expect(lines[0]).toBe('  account / 账号  role / 角色  organisation');
    expect(lines[1]).toBe('  --------------  -----------  ------------');
    expect(lines[2]).toBe('  ga-officer      数据管理员   省公安厅');
    // The last column starts at the same terminal column on every line.
    const start = (line: string) => [...line.slice(0, line.lastIndexOf('  ') + 2)].reduce((w, ch) => w + (/[\u4e00-\u9fff]/u.test(ch) ? 2 : 1), 0);
    expect(new Set(lines.map(start)).size).toBe(1);
  });
});

describe('the first-start and demo account lists', () => {
  /** What a print writes to the terminal. */
  function printed(print: () => void): string {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => chunks.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      print();
    } finally {
      process.stdout.write = write;
    }
    return chunks.join('');
  }

  it('say it in Chinese with its own punctuation, under column headers', () => {
    const text =
      printed(() => printFirstCredentials([{ username: 'secadmin', role: 'secadmin', password: 'Xy7-generated-pw' }])) +
      printed(() =>
        printDemoAccounts([{ username: 'ga-officer', displayName: '公安数据管理员', password: 'demo-pw', roles: ['data_officer'], org: '省公安厅' }]),
      );
    expect(text).toContain('首次启动已创建三员账号，密码仅显示这一次');
    expect(text).toContain('演示账号（仅显示这一次）：');
    expect(text).toContain('password / 密码');
    // The Chinese of each line (after its last " / "; English lines may name 三员 in brackets)
    // has no ASCII bracket, comma, colon or semicolon beside a Chinese character.
    const chinese = text
      .split('\n')
      .filter((line) => line.includes(' / ') || !/^[A-Za-z]/.test(line))
      .map((line) => line.slice(line.lastIndexOf(' / ') + 1));
    expect(chinese.filter((line) => /[\u4e00-\u9fff][(),:;]|[(),:;][\u4e00-\u9fff]/u.test(line))).toEqual([]);
  });
});
