/**
 * The SQL a grant compiles to, checked in (compile.snapshot.sql beside this file): representative
 * grants — everything clear, a conditional grant with a provider row filter and masked, pseudonymised,
 * generalised, redacted and hidden columns, a caller filter and order with a keyset cursor, an
 * encrypted column found through its blind index, a kept context's revision guard, verifications
 * (核验) — so a change of the data-access policy shows in review as a change of SQL. How a grant is
 * chosen and checked (state, end, IP ranges, containment) is checked in beside it, grant.snapshot.txt.
 * Update with `npx vitest run -u src/modules/share/access/compile.snapshot.test.ts` when meant.
 */
import { describe, expect, it } from 'vitest';
import type { ColumnRow } from '../../catalog/catalog.service.ts';
import { parseFilterText } from '../filter.ts';
import { compileRead, compileVerify, verifyMatch, viewColumns, type GrantColumn, type ReadRequest } from './compile.ts';

const column = (position: number, name: string, over: Partial<ColumnRow> = {}): ColumnRow => ({
  dataset_id: 'd',
  position,
  physical: `c${String(position).padStart(3, '0')}`,
  name,
  label: name,
  data_type: 'text',
  length: null,
  description: '',
  rules: {},
  classification: {},
  grade: 2,
  encrypted: false,
  blind_index: false,
  ...over,
});

/** A 户籍人口-like table: name, ID number (4级, encrypted, blind-indexed), phone, district, birth date, income, a free-text note. */
const CATALOGUE: ColumnRow[] = [
  column(1, '姓名', { grade: 3, classification: { types: [{ type: 'cn_name' }], grade: 3 } }),
  column(2, '身份证号', { grade: 4, encrypted: true, blind_index: true, classification: { types: [{ type: 'cn_resident_id' }], grade: 4 } }),
  column(3, '手机号', { grade: 3, classification: { types: [{ type: 'cn_mobile' }], grade: 3 } }),
  column(4, '区县', { classification: { types: [], grade: 2 } }),
  column(5, '出生日期', { data_type: 'date', classification: { types: [], grade: 2 } }),
  column(6, '月收入', { data_type: 'decimal', classification: { types: [], grade: 2 } }),
  column(7, '备注', { grade: 3, classification: { types: [], grade: 3, text: { spans: 2 } } }),
];

/** Blind-index terms as the keyring would give them (fixed here: the SQL shape is what is checked). */
const terms = { terms: (value: string) => [`bi:${value.length}`] };

interface Case {
  title: string;
  grant: GrantColumn[];
  rowFilter?: string;
  request: Omit<ReadRequest, 'limit' | 'after'>;
  cursor?: (string | number | null)[];
  /** The first chunk as a kept access context reads it: answers nothing once the revisions moved. */
  guard?: { scopes: string[]; revision: number };
}

const all = (mode: GrantColumn['mode']) => CATALOGUE.map((c) => ({ name: c.name, mode }));
const CASES: Case[] = [
  { title: 'unconditional, every column clear, no filter', grant: all('clear'), request: { filter: { and: [] }, order: [] } },
  {
    title: 'conditional: provider row filter, masked / pseudonym / generalized / redacted / hidden columns',
    grant: [
      { name: '姓名', mode: 'masked' },
      { name: '身份证号', mode: 'pseudonym' },
      { name: '手机号', mode: 'hidden' },
      { name: '区县', mode: 'clear' },
      { name: '出生日期', mode: 'generalized' },
      { name: '月收入', mode: 'clear' },
      { name: '备注', mode: 'redacted', redact: 'placeholder' },
    ],
    rowFilter: '区县=in.(和平区,沈河区)&月收入=gte.3000',
    request: { filter: { and: [] }, order: [] },
  },
  {
    title: 'caller filter, select and order, next page after a keyset cursor',
    grant: all('clear'),
    rowFilter: '区县=eq.和平区',
    request: { select: ['姓名', '月收入'], filter: parseFilterText('月收入=lt.9000&姓名=like.王*'), order: [{ column: '月收入', direction: 'desc' }] },
    cursor: ['8000.00', 41],
  },
  {
    title: 'encrypted column found through its blind index',
    grant: [
      { name: '姓名', mode: 'clear' },
      { name: '身份证号', mode: 'clear' },
    ],
    request: { select: ['姓名'], filter: parseFilterText('身份证号=eq.21010219800101001X'), order: [] },
  },
  {
    title: 'a kept access context: the first chunk checks its access revisions in its own snapshot',
    grant: [
      { name: '区县', mode: 'clear' },
      { name: '月收入', mode: 'clear' },
    ],
    request: { filter: { and: [] }, order: [] },
    guard: { scopes: ['ds-id', 'key:key-id'], revision: 7 },
  },
];

/** Verifications (核验): a grant's row filter ANDed with the match; one boolean comes back, never a value. */
const VERIFY_CASES: { title: string; grant: GrantColumn[]; rowFilter?: string; match: Record<string, string> }[] = [
  {
    title: 'verify columns and a provider row filter',
    grant: [
      { name: '姓名', mode: 'verify' },
      { name: '出生日期', mode: 'verify' },
      { name: '区县', mode: 'hidden' },
    ],
    rowFilter: '区县=eq.和平区',
    match: { 姓名: '王小明', 出生日期: '1980-01-01' },
  },
  {
    title: 'an encrypted column verified through its blind index',
    grant: [{ name: '身份证号', mode: 'verify' }],
    match: { 身份证号: '21010219800101001X' },
  },
];

describe('compiled SQL of representative grants', () => {
  it('matches the checked-in SQL', async () => {
    const out: string[] = [];
    for (const c of CASES) {
      const view = viewColumns(CATALOGUE, c.grant);
      const read = compileRead('ds_0001', view, c.rowFilter ? parseFilterText(c.rowFilter) : null, c.request, terms);
      const first = read.chunk(undefined, 1000, c.guard);
      out.push(
        `-- ${c.title}`,
        `-- grant: ${c.grant.map((g) => `${g.name}=${g.mode}${g.redact ? `(${g.redact})` : ''}`).join(', ')}${c.rowFilter ? `; row filter: ${c.rowFilter}` : ''}`,
      );
      out.push(`-- output: ${read.output.map((o) => `${o.name}(${o.mode})`).join(', ')}`, first.text + ';', `-- values: ${JSON.stringify(first.values)}`);
      if (c.cursor) {
        const next = read.chunk(c.cursor as never, 1000);
        out.push(`-- after cursor ${JSON.stringify(c.cursor)}`, next.text + ';', `-- values: ${JSON.stringify(next.values)}`);
      }
      out.push('');
    }
    for (const c of VERIFY_CASES) {
      const view = viewColumns(CATALOGUE, c.grant);
      const rowFilter = c.rowFilter ? parseFilterText(c.rowFilter) : null;
      const sql = compileVerify('ds_0001', rowFilter, verifyMatch(view, rowFilter, c.match), terms);
      out.push(
        `-- verify: ${c.title}`,
        `-- grant: ${c.grant.map((g) => `${g.name}=${g.mode}`).join(', ')}${c.rowFilter ? `; row filter: ${c.rowFilter}` : ''}`,
      );
      out.push(`-- match: ${JSON.stringify(c.match)}`, sql.text + ';', `-- values: ${JSON.stringify(sql.values)}`, '');
    }
    await expect(out.join('\n')).toMatchFileSnapshot('./compile.snapshot.sql');
  });

  it('compiles no read at all for a grant that only verifies', () => {
    const view = viewColumns(CATALOGUE, all('verify'));
    expect(() => compileRead('ds_0001', view, null, { filter: { and: [] }, order: [] }, terms)).toThrow(
      expect.objectContaining({ code: 'no_readable_columns' }),
    );
  });

  it('verifies only verify or clear columns, an encrypted one only through its blind index', () => {
    const view = viewColumns(CATALOGUE, [
      { name: '姓名', mode: 'masked' },
      { name: '手机号', mode: 'verify' },
    ]);
    expect(() => verifyMatch(view, null, { 姓名: '王小明' })).toThrow(expect.objectContaining({ code: 'column_not_verifiable' }));
    expect(() => verifyMatch(view, null, {})).toThrow(expect.objectContaining({ code: 'invalid_match' }));
    expect(() => verifyMatch(view, null, { 无此项: '1' })).toThrow(expect.objectContaining({ code: 'unknown_column' }));
    expect(verifyMatch(view, null, { 手机号: '13800000000' }).needsTerms).toBe(false);
    const noIndex = viewColumns(
      CATALOGUE.map((c) => (c.name === '身份证号' ? { ...c, blind_index: false } : c)),
      [{ name: '身份证号', mode: 'verify' }],
    );
    expect(() => verifyMatch(noIndex, null, { 身份证号: '21010219800101001X' })).toThrow(expect.objectContaining({ code: 'column_not_verifiable' }));
  });
});
