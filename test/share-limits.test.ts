/**
 * Issue 13, findings 3 and 8 on the data path: timestamps with an impossible UTC offset are a 400
 * naming the parameter (in a filter, a forged cursor, a request's or a grant's row filter — never a
 * 500 on every later read), and a filter on a pseudonym column scans a bounded number of rows per
 * request, answering with a cursor to go on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PSEUDONYM_SCAN_ROWS } from '../src/modules/share/records.service.ts';
import { pseudonymizer } from '../src/modules/protect/pseudonym.ts';
import { peopleCsv, peopleRows } from './fixtures/people.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, publishCsv, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

const BAD_OFFSETS = ['2020-01-01T00:00:00+99:00', '2020-01-01T00:00:00-99', '2020-01-01T00:00:00+23:59', '2020-01-01T00:00:00+16:00'];
/** A row filter is written as a query string: its values are URL-encoded ('+' is %2B). */
const rowFilter = (op: string, value: string) => new URLSearchParams([['采集时间', `${op}.${value}`]]).toString();

/** 空气质量监测: a station, a timestamp, a reading per row (no personal data, graded low). */
function airCsv(rows: number): string {
  const lines = ['站点,采集时间,PM25'];
  for (let i = 0; i < rows; i++) {
    const hour = String(i % 24).padStart(2, '0');
    lines.push(`${['双塔区站', '龙城区站', '凌源站'][i % 3]},2024-05-${String(1 + (i % 28)).padStart(2, '0')} ${hour}:00:00,${20 + (i % 50)}`);
  }
  return `${lines.join('\n')}\n`;
}

describeEachBackend('data path limits: UTC offsets and pseudonym scans', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;
  let air: string;
  let requestId: string;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 60);
    air = await publishCsv(w.officer, '空气质量监测', airCsv(120));
  });
  afterAll(() => t?.close());

  const read = (query: string) => w.keyClient.call('GET', `/api/v1/datasets/${air}/records${query}`);

  it("refuses a request's row filter with an impossible offset, naming rowFilter", async () => {
    const columns = (await w.officer.call('GET', `/api/v1/datasets/${air}/columns`))
      .json()
      .items.map((c: { name: string; dataType: string }) => `${c.name}:${c.dataType}`);
    expect(columns).toContain('采集时间:timestamp');
    const base = {
      dataset: air,
      columns: ['站点', '采集时间', 'PM25'],
      purpose: '大气污染联防联控',
      purposeCategory: 'other',
      legalBasis: '《大气污染防治法》',
      endDate: '2099-01-01',
    };
    for (const bad of BAD_OFFSETS) {
      const res = await w.consumer.call('POST', '/api/v1/share/requests', { ...base, rowFilter: rowFilter('gt', bad) });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_value', details: { field: 'rowFilter', column: '采集时间' } });
      expect(res.json().error.message).toContain('行过滤条件 rowFilter');
    }
    const ok = await w.consumer.call('POST', '/api/v1/share/requests', { ...base, rowFilter: rowFilter('gte', '2024-05-01T00:00:00+08:00') });
    expect(ok.statusCode, ok.body).toBe(201);
    requestId = ok.json().id;
  });

  it('refuses to approve a grant whose row filter holds an impossible offset, naming rowFilter', async () => {
    const columns = [
      { name: '站点', mode: 'clear' },
      { name: '采集时间', mode: 'clear' },
      { name: 'PM25', mode: 'clear' },
    ];
    for (const bad of BAD_OFFSETS) {
      const res = await w.officer.call('POST', `/api/v1/share/requests/${requestId}/approve`, { columns, rowFilter: rowFilter('lt', bad) });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_value', details: { field: 'rowFilter', column: '采集时间' } });
    }
    // A request stored before the check (its row filter written straight into the database) is checked again at approval.
    await t.db.query(`UPDATE share_requests SET requested_filter = $2 WHERE id = $1`, [
      requestId,
      JSON.stringify({ and: [{ column: '采集时间', op: 'gt', value: BAD_OFFSETS[0] }] }),
    ]);
    const stale = await w.officer.call('POST', `/api/v1/share/requests/${requestId}/approve`, { columns });
    expect(stale.statusCode).toBe(400);
    expect(stale.json().error.details).toMatchObject({ field: 'rowFilter' });

    const approved = await w.officer.call('POST', `/api/v1/share/requests/${requestId}/approve`, {
      columns,
      rowFilter: rowFilter('gte', '2024-05-01T00:00:00+08:00'),
    });
    expect(approved.statusCode, approved.body).toBe(200);
    if (approved.json().state === 'provider_approved') {
      expect((await w.secadmin.call('POST', `/api/v1/share/requests/${requestId}/security-approve`, {})).statusCode).toBe(200);
    }
    expect((await read('?limit=5')).statusCode).toBe(200);
  });

  it('answers a filter or a forged cursor with an impossible offset with a 400 naming the parameter, never a 500', async () => {
    for (const bad of BAD_OFFSETS) {
      const filters: [string, string][] = [
        ['采集时间', `gt.${bad}`],
        ['or', `(采集时间.lt.${bad},PM25.gt.30)`],
        ['采集时间', `in.(${bad})`],
      ];
      for (const filter of filters) {
        const res = await read(`?${new URLSearchParams([filter])}`);
        expect(res.statusCode, `${filter.join('=')}: ${res.body}`).toBe(400);
        expect(res.json().error, filter.join('=')).toMatchObject({ code: 'invalid_value', details: { column: '采集时间' } });
      }
      const forged = Buffer.from(JSON.stringify([bad, 5])).toString('base64url');
      const cursor = await read(`?order=${encodeURIComponent('采集时间.desc')}&after=${forged}`);
      expect(cursor.statusCode, bad).toBe(400);
      expect(cursor.json().error).toMatchObject({ code: 'invalid_cursor', details: { parameter: 'after' } });
    }
    expect((await read(`?${new URLSearchParams({ 采集时间: 'gt.2024-05-02T00:00:00+15:59' })}`)).statusCode).toBe(200);
  });

  it('a grant written with an impossible offset before the check answers 400 on read, not 500', async () => {
    const grantId = (await w.consumer.call('GET', `/api/v1/share/requests/${requestId}`)).json().grantId;
    await t.db.query(`UPDATE share_grants SET row_filter = $2 WHERE id = $1`, [
      grantId,
      JSON.stringify({ and: [{ column: '采集时间', op: 'gt', value: BAD_OFFSETS[2] }] }),
    ]);
    const res = await read('?limit=5');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_value');
  });

  it(`a pseudonym filter scans at most ${PSEUDONYM_SCAN_ROWS} rows per request, then answers with a cursor to go on`, async () => {
    const rows = PSEUDONYM_SCAN_ROWS + 1500;
    const code = await publishCsv(w.officer, '户籍人口(大)', peopleCsv(rows, 21));
    await grantJourney({ ...w, code }, {}, { rowFilter: undefined });
    const datasetId = (await t.db.query<{ id: string }>('SELECT id FROM datasets WHERE code = $1', [code]))[0]!.id;
    const pseudo = await pseudonymizer(t.services.keyring, datasetId, w.civilOrg);
    const people = [...peopleRows(rows, 21)];
    const target = pseudo(people[rows - 10]![1]!, 'cn_resident_id');
    const get = (query: string) => w.keyClient.call('GET', `/api/v1/datasets/${code}/records${query}`);

    const first = await get(`?select=${encodeURIComponent('身份证号')}&${encodeURIComponent('身份证号')}=eq.${target}&limit=1`);
    expect(first.statusCode).toBe(200);
    expect(first.json().rows).toEqual([]);
    // The cursor is the row number where the scan stopped: exactly the budget, not the whole view.
    expect(Number(first.json().next)).toBe(PSEUDONYM_SCAN_ROWS);
    const second = await get(`?select=${encodeURIComponent('身份证号')}&${encodeURIComponent('身份证号')}=eq.${target}&limit=1&after=${first.json().next}`);
    expect(second.json().rows).toEqual([{ 身份证号: target }]);
  }, 600_000);
});
