import { describe, expect, it } from 'vitest';
import { textTable } from './output.ts';

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
