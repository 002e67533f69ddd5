/**
 * An XLSX zip bomb (issue 23, finding 5): a workbook of a few hundred KB whose shared-string table
 * inflates to 64 MB (more than the 48 MB heap could cache). Read by a child process whose V8 heap is limited to 48 MB, with the PDX_XLSX_*
 * bounds set small, it is refused with an error naming the limit; without the bound the cached
 * strings would exhaust that heap. An honest workbook under the same limits reads in full.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writeXlsx } from './fixtures/tables.ts';

const run = promisify(execFile);
const HEAP_LIMIT_MB = 48;

/** One stored zip entry, deflated (a minimal zip writer: local header, data, central entry). */
interface Entry {
  name: string;
  crc: number;
  size: number;
  data: Buffer;
}

async function deflated(name: string, parts: () => Iterable<string>): Promise<Entry> {
  const deflate = zlib.createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  let crc = 0;
  let size = 0;
  for (const text of parts()) {
    const b = Buffer.from(text);
    crc = zlib.crc32(b, crc);
    size += b.length;
    if (!deflate.write(b)) await new Promise((r) => deflate.once('drain', r));
  }
  await new Promise((r) => {
    deflate.on('end', r);
    deflate.end();
  });
  return { name, crc, size, data: Buffer.concat(out) };
}

function zip(entries: Entry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(e.crc >>> 0, 16);
    dir.writeUInt32LE(e.data.length, 20);
    dir.writeUInt32LE(e.size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    central.push(dir, name);
    offset += local.length + name.length + e.data.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** A workbook whose sheet uses two shared strings, and whose table holds `strings` of `length` chars. */
async function bomb(file: string, strings: number, length: number): Promise<void> {
  const one = (text: string) => () => [text];
  const entries = [
    await deflated(
      '[Content_Types].xml',
      one(
        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
      ),
    ),
    await deflated(
      '_rels/.rels',
      one(
        `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      ),
    ),
    await deflated(
      'xl/workbook.xml',
      one(
        `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      ),
    ),
    await deflated(
      'xl/_rels/workbook.xml.rels',
      one(
        `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
      ),
    ),
    await deflated('xl/sharedStrings.xml', function* () {
      yield `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}" count="${strings}" uniqueCount="${strings}">`;
      const filler = 'A'.repeat(length);
      for (let i = 0; i < strings; i++) yield `<si><t>${i}${filler}</t></si>`;
      yield '</sst>';
    }),
    await deflated(
      'xl/worksheets/sheet1.xml',
      one(
        `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`,
      ),
    ),
  ];
  fs.writeFileSync(file, zip(entries));
}

describe('an XLSX zip bomb under a small heap', () => {
  const dir = tempDir('pdx-bomb-');
  afterAll(() => dir.remove());
  const child = fileURLToPath(new URL('./fixtures/count-rows.ts', import.meta.url));
  const read = (file: string, env: Record<string, string>) =>
    run(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--import', 'tsx', child, file], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      maxBuffer: 1 << 20,
    }).then(
      ({ stdout }) => ({ ok: true as const, out: stdout }),
      (error: { stderr?: string; code?: number }) => ({ ok: false as const, out: String(error.stderr), code: error.code }),
    );

  it('refuses a 64 MB shared-string table from a small file, naming the limit', async () => {
    const file = dir.file('bomb.xlsx');
    await bomb(file, 64_000, 1000);
    expect(fs.statSync(file).size).toBeLessThan(2 * 1024 * 1024);
    const result = await read(file, { PDX_XLSX_MAX_SHARED_STRINGS_BYTES: String(8 * 1024 * 1024) });
    expect(result.ok).toBe(false);
    expect(result.out).toContain('xlsx_too_large');
    expect(result.out).toContain('PDX_XLSX_MAX_SHARED_STRINGS_BYTES');
    expect(result.out).not.toMatch(/heap out of memory|Allocation failed/);
    // More strings than allowed is refused the same way.
    const many = await read(file, { PDX_XLSX_MAX_SHARED_STRINGS: '1000' });
    expect(many.ok).toBe(false);
    expect(many.out).toContain('PDX_XLSX_MAX_SHARED_STRINGS');
  });

  it('reads an honest workbook under the same limits', async () => {
    const file = dir.file('honest.xlsx');
    await writeXlsx(file, [{ name: '人员', rows: [['姓名', '城市'], ...Array.from({ length: 2000 }, (_, i) => [`张${i}`, '朝阳市'])] }]);
    const result = await read(file, { PDX_XLSX_MAX_SHARED_STRINGS_BYTES: String(8 * 1024 * 1024) });
    expect(result.ok, result.out).toBe(true);
    expect(JSON.parse(result.out)).toMatchObject({ rows: 2000, width: 2 });
  });
});
