import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTables, toCsv } from '../../../test/corpus/tables.ts';
import { generateText } from '../../../test/corpus/texts.ts';
import { scanUpload } from './scan.ts';
import type { TableScanResult, TextScanResult } from './types.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'pdx-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENTRY = new URL('../../../test/corpus/pdx-scan.ts', import.meta.url).pathname;
const pdxScan = (...args: string[]) => run(process.execPath, ['--import', 'tsx', ENTRY, 'scan', ...args], { maxBuffer: 1 << 26 });

const CSV =
  'id,姓名,身份证号,手机,住址,金额\n' +
  '1,王小明,11010519491231002X,13812345678,辽宁省沈阳市和平区南京北街12号,10.50\n' +
  '2,欧阳娜娜,110105491231002,13912345678,北京市东城区王府井大街1号,20.00\n';

describe('scanUpload (behind POST /api/v1/scan)', () => {
  it('classifies an uploaded CSV as a table', async () => {
    const result = (await scanUpload(Readable.from([Buffer.from(CSV)]), 'people.csv')) as TableScanResult;
    expect(result).toMatchObject({ kind: 'table', rows: 2, grade: 4, importantCandidate: false });
    expect(result.columns.map((c) => c.types[0]?.type ?? null)).toEqual([null, 'person_name', 'cn_resident_id', 'cn_mobile', 'address', null]);
    expect(result.columns[2]).toMatchObject({ name: '身份证号', index: 2, category: '个人身份信息', sensitive: true, grade: 4 });
  });

  it('scans other uploads as text, GBK included, without the clear values', async () => {
    const text = '联系人：王小明，手机13812345678。';
    const result = (await scanUpload(Readable.from([iconv.encode(text, 'gbk')]), 'note.txt')) as TextScanResult;
    expect(result).toEqual({
      kind: 'text',
      findings: [
        { type: 'person_name', start: 4, end: 7, masked: '王**' },
        { type: 'cn_mobile', start: 10, end: 21, masked: '138****5678' },
      ],
    });
  });

  it('refuses text uploads over the byte limit', async () => {
    await expect(scanUpload(Readable.from([Buffer.alloc(2000, 0x61)]), 'big.txt', { maxBytes: 1000 })).rejects.toMatchObject({ code: 'file_too_large' });
  });
});

describe('pdx scan (child process)', () => {
  it('prints the table JSON of a generated CSV', async () => {
    const [table] = generateTables(99, 1, 60, 10);
    const file = join(dir, 'generated.csv');
    writeFileSync(file, toCsv(table!));
    const { stdout } = await pdxScan(file, '--json');
    const result = JSON.parse(stdout) as TableScanResult;
    expect(Object.keys(result)).toEqual(['kind', 'rows', 'columns', 'grade', 'importantCandidate']);
    expect(Object.keys(result.columns[0]!)).toEqual(['name', 'index', 'types', 'category', 'sensitive', 'grade']);
    expect(result.rows).toBe(60);
    table!.columns.forEach((column, i) => {
      expect(result.columns[i]!.types.map((t) => t.type).sort(), column.header).toEqual([...column.labels].sort());
    });
    expect(result.grade).toBe(Math.max(...result.columns.map((c) => c.grade)));
  });

  it('reads XLSX and prints a readable report', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('名单');
    sheet.addRow(['姓名', '身份证号']);
    sheet.addRow(['王小明', '11010519491231002X']);
    sheet.addRow(['李华', '110105491231002']);
    const file = join(dir, 'people.xlsx');
    await workbook.xlsx.writeFile(file);
    const { stdout } = await pdxScan(file);
    expect(stdout).toContain('居民身份证号 cn_resident_id');
    expect(stdout).toContain('数据集分级 dataset grade: 一般数据 4级');
    expect(stdout).not.toContain('11010519491231002X');
  });

  it('prints the text JSON of a generated text file', async () => {
    const { text, spans } = generateText(5, 40);
    const file = join(dir, 'notes.md');
    writeFileSync(file, text);
    const { stdout } = await pdxScan(file, '--json');
    const result = JSON.parse(stdout) as TextScanResult;
    expect(result.kind).toBe('text');
    expect(result.findings.map(({ type, start, end }) => ({ type, start, end }))).toEqual(spans);
  });

  it('--redact writes a redacted copy of a GBK text file with CRLF, keeping encoding and line ends', async () => {
    const text = '信访人秦明辉，1995年6月23日出生，身份证号11010519491231002X，手机199 3619 0080。\r\n此事由李建国负责跟进，车牌辽J·18777。\r\n';
    const file = join(dir, 'petition.txt');
    writeFileSync(file, iconv.encode(text, 'gbk'));
    const { stdout } = await pdxScan(file, '--redact', '--style', 'placeholder');
    expect(stdout).toContain('petition.redacted.txt');
    const copy = readFileSync(join(dir, 'petition.redacted.txt'));
    expect(iconv.decode(copy, 'gbk')).toBe(
      '信访人〔姓名〕，〔出生日期〕出生，身份证号〔身份证号〕，手机〔手机号〕。\r\n此事由〔姓名〕负责跟进，车牌〔车牌号〕。\r\n',
    );
    // the copy is GBK, not UTF-8
    expect(copy.includes(Buffer.from('姓名'))).toBe(false);
  });

  it('--redact on a table: typed columns masked, other cells redacted, format kept; -o names the copy', async () => {
    const file = join(dir, 'petitions.csv');
    writeFileSync(
      file,
      '姓名,身份证号,事项内容\r\n王小明,11010519491231002X,"来电人李建国反映，手机13812345678，要求回复。"\r\n欧阳娜娜,110105491231002,无\r\n',
    );
    const output = join(dir, 'out.csv');
    await pdxScan(file, '--redact', '-o', output);
    expect(readFileSync(output, 'utf8')).toBe(
      '姓名,身份证号,事项内容\r\n王**,110***********002X,来电人李**反映，手机138****5678，要求回复。\r\n欧阳**,110********1002,无\r\n',
    );
    await expect(pdxScan(file, '--redact', '-o', file)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('overwrite') });
  });

  it('fails with a message for a missing file', async () => {
    await expect(pdxScan(join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no such file') });
  });
});
