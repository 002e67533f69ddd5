/**
 * Objections and corrections (issue 20 §2): a reader with a grant objects to cells, the rows are
 * flagged to every reader of the records API, the provider accepts (a version holding only the
 * corrected rows; history kept) or rejects; escalation to the authority; grant holders notified;
 * and who may do what.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOrg, provisionUser } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

describeEachBackend('duties: objections and corrections', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 30);
    await grantJourney(w, {}, { rowFilter: '' });
    // 锦州市民政局 also holds a grant: it is told of corrections.
    await grantJourney({ ...w, consumer: w.otherConsumer }, {}, { rowFilter: '' });
  });
  afterAll(() => t?.close());

  const read = (query = '') => w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?rowid=true&limit=100${query}`);

  it('a reader objects, the rows are flagged, the provider corrects them in a new version of those rows only', async () => {
    const before = await read();
    expect(before.statusCode).toBe(200);
    expect(before.headers['x-pdx-flagged-rows']).toBeUndefined();
    const rows = before.json().rows as Record<string, unknown>[];
    expect(rows[0]).toHaveProperty('_row');
    const target = rows[3]!;
    const row = target._row as number;

    const raised = await w.consumer.call('POST', '/api/v1/duties/objections', {
      dataset: w.code,
      cells: [{ row, column: '户籍地', proposed: '北票市' }],
      evidence: '户籍迁移证明(2026年第118号)',
    });
    expect(raised.statusCode).toBe(201);
    const o = raised.json();
    expect(o).toMatchObject({ state: 'open', overdue: false, cells: [{ row, column: '户籍地', proposed: '北票市' }] });
    // A column outside the grant's readable ones cannot be objected to.
    const hidden = await w.consumer.call('POST', '/api/v1/duties/objections', {
      dataset: w.code,
      cells: [{ row, column: '手机号', proposed: '13800000000' }],
      evidence: '说明说明',
    });
    expect(hidden.json().error).toMatchObject({ code: 'column_not_readable', details: { column: '手机号' } });

    // Flagged to every reader, by row number.
    const flagged = await read();
    expect(flagged.headers['x-pdx-flagged-rows']).toBe(String(row));
    const other = await t.withKey(w.otherKey).call('GET', `/api/v1/datasets/${w.code}/records?limit=1`);
    expect(other.headers['x-pdx-flagged-rows']).toBe(String(row));
    // And for the console (标注): the row and the column objected to, to whoever sees the entry; not who objected nor the value proposed.
    const marked = await w.otherConsumer.call('GET', `/api/v1/duties/flagged/${w.code}`);
    expect(marked.statusCode, marked.body).toBe(200);
    expect(marked.json().rows).toEqual([{ row, columns: ['户籍地'], since: expect.any(String) }]);
    expect(marked.body).not.toContain('北票市');
    expect((await t.anonymous.call('GET', `/api/v1/duties/flagged/${w.code}`)).statusCode).toBe(401);
    // The provider's officers are told.
    const inbox = (await w.officer.call('GET', '/api/v1/notifications')).json().items;
    expect(inbox.some((n: { kind: string; body: { objectionId?: string } }) => n.kind === 'duties.objection' && n.body.objectionId === o.id)).toBe(true);

    // Only the provider's officer accepts (not the objecting organisation's own officer).
    expect((await w.civilOfficer.call('POST', `/api/v1/duties/objections/${o.id}/accept`, {})).statusCode).toBe(403);
    expect((await w.consumer.call('POST', `/api/v1/duties/objections/${o.id}/accept`, {})).statusCode).toBe(403);
    const accepted = await w.officer.call('POST', `/api/v1/duties/objections/${o.id}/accept`, { note: '核实无误' });
    expect(accepted.statusCode).toBe(200);
    const a = accepted.json();
    expect(a).toMatchObject({ state: 'accepted', changes: [{ row, column: '户籍地', before: target['户籍地'], after: '北票市', encrypted: false }] });
    // The objecting organisation sees which cells changed, not the provider's values before and after.
    const seen = (await w.consumer.call('GET', `/api/v1/duties/objections/${o.id}`)).json();
    expect(seen.changes).toEqual([{ row, column: '户籍地', before: null, after: null, encrypted: false }]);

    // The reader sees the corrected value, every other row as it was, the same number of rows, no flag.
    const after = await read();
    expect(after.headers['x-pdx-flagged-rows']).toBeUndefined();
    expect((await w.otherConsumer.call('GET', `/api/v1/duties/flagged/${w.code}`)).json().rows).toEqual([]);
    const afterRows = after.json().rows as Record<string, unknown>[];
    expect(afterRows).toHaveLength(rows.length);
    for (const r of afterRows) {
      const old = rows.find((x) => x._row === r._row)!;
      expect(r).toEqual(r._row === row ? { ...old, 户籍地: '北票市' } : old);
    }
    // The version holds only the corrected row; the earlier version is still there (history).
    const versions = (await w.officer.call('GET', `/api/v1/datasets/${w.code}/versions`)).json();
    const list = (versions.items ?? versions) as { version: number; mode: string; state: string; rowsLoaded?: number; rows_loaded?: number }[];
    const correction = list.find((v) => v.version === a.correctionVersion)!;
    expect(correction).toMatchObject({ mode: 'correct', state: 'active' });
    expect(list.filter((v) => v.state === 'active').length).toBeGreaterThanOrEqual(2);
    const ds = (await w.officer.call('GET', `/api/v1/datasets/${w.code}`)).json();
    expect(ds.row_count ?? ds.rowCount).toBe(30);

    // Every grant holder is told; the correction is in the audit log.
    const jz = (await w.otherConsumer.call('GET', '/api/v1/notifications')).json().items;
    expect(jz.some((n: { kind: string }) => n.kind === 'duties.corrected')).toBe(true);
    expect(t.events.some((e) => e.action === 'dataset.version_correct' && e.dataset === w.code)).toBe(true);
    expect(t.events.some((e) => e.action === 'duties.objection_accept' && e.target?.id === o.id)).toBe(true);
    // The log names the changed cells, never their values.
    for (const e of t.events.filter((x) => x.action === 'duties.objection_accept')) expect(JSON.stringify(e.details)).not.toContain('北票市');
  });

  it('a rejected objection is escalated to the authority, who upholds it; bad corrections are refused', async () => {
    const rows = (await read()).json().rows as Record<string, unknown>[];
    const row = rows[5]!._row as number;
    const o = (
      await w.consumer.call('POST', '/api/v1/duties/objections', {
        dataset: w.code,
        cells: [{ row, column: '人口数', proposed: '不是数字' }],
        evidence: '户口簿',
      })
    ).json();
    // Not escalable while open and in time.
    expect((await w.consumer.call('POST', `/api/v1/duties/objections/${o.id}/escalate`, { reason: '未答复' })).json().error.code).toBe('not_escalable');
    // A value of the wrong type is refused, naming row and column; nothing changes.
    const bad = await w.officer.call('POST', `/api/v1/duties/objections/${o.id}/accept`, {});
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_correction', details: { row, column: '人口数' } });
    expect((await w.officer.call('GET', `/api/v1/duties/objections/${o.id}`)).json().state).toBe('open');

    const rejected = await w.officer.call('POST', `/api/v1/duties/objections/${o.id}/reject`, { reason: '与登记一致' });
    expect(rejected.json()).toMatchObject({ state: 'rejected', answer: '与登记一致' });
    expect((await w.officer.call('POST', `/api/v1/duties/objections/${o.id}/escalate`, { reason: '不服' })).statusCode).toBe(403);
    const esc = await w.consumer.call('POST', `/api/v1/duties/objections/${o.id}/escalate`, { reason: '有新证据' });
    expect(esc.json().state).toBe('escalated');
    expect((await read()).headers['x-pdx-flagged-rows']).toBe(String(row));
    const sec = (await w.secadmin.call('GET', '/api/v1/notifications')).json().items;
    expect(sec.some((n: { kind: string }) => n.kind === 'duties.objection_escalated')).toBe(true);
    expect((await w.officer.call('POST', `/api/v1/duties/objections/${o.id}/decide`, { uphold: true, note: '支持' })).statusCode).toBe(403);
    const decided = await w.secadmin.call('POST', `/api/v1/duties/objections/${o.id}/decide`, { uphold: true, note: '请提供方重新核实' });
    expect(decided.json()).toMatchObject({ state: 'open', decisionNote: '请提供方重新核实' });
    const fixed = await w.officer.call('POST', `/api/v1/duties/objections/${o.id}/accept`, {
      cells: [{ row, column: '人口数', proposed: '4' }],
      note: '按户口簿更正',
    });
    expect(fixed.json()).toMatchObject({ state: 'accepted', changes: [{ row, column: '人口数', after: '4' }] });
    const now = (await read()).json().rows.find((r: { _row: number }) => r._row === row);
    expect(now['人口数']).toBe(4);

    const stats = (await w.secadmin.call('GET', '/api/v1/duties/objections/stats')).json().items;
    expect(stats.find((s: { datasetCode: string }) => s.datasetCode === w.code)).toMatchObject({ accepted: 2, open: 0 });
  });

  it('authorization boundaries of the objection endpoints', async () => {
    const o = (await w.consumer.call('GET', '/api/v1/duties/objections')).json().items[0];
    const endpoints: [string, string, unknown?][] = [
      ['POST', '/api/v1/duties/objections', { dataset: w.code, cells: [{ row: 1, column: '户籍地', proposed: 'x' }], evidence: '说明' }],
      ['GET', '/api/v1/duties/objections'],
      ['GET', '/api/v1/duties/objections/stats'],
      ['GET', `/api/v1/duties/objections/${o.id}`],
      ['POST', `/api/v1/duties/objections/${o.id}/accept`, {}],
      ['POST', `/api/v1/duties/objections/${o.id}/reject`, { reason: '理由理由' }],
      ['POST', `/api/v1/duties/objections/${o.id}/escalate`, { reason: '理由理由' }],
      ['POST', `/api/v1/duties/objections/${o.id}/decide`, { uphold: false, note: '理由理由' }],
    ];
    for (const [method, url, body] of endpoints) expect((await t.anonymous.call(method, url, body)).statusCode, `${method} ${url}`).toBe(401);
    // An organisation without a grant cannot object; another consumer does not see the objection.
    const lonely = (await provisionUser(t, w.admin, 'dl-consumer', ['consumer'], await createOrg(w.admin, '大连市民政局', 'city', '210200'))).client;
    expect((await lonely.call('GET', `/api/v1/duties/objections/${o.id}`)).statusCode).toBe(404);
    const noGrant = await lonely.call('POST', '/api/v1/duties/objections', {
      dataset: w.code,
      cells: [{ row: 1, column: '户籍地', proposed: 'x' }],
      evidence: '说明',
    });
    expect(noGrant.statusCode).toBe(403);
    expect((await w.otherConsumer.call('GET', `/api/v1/duties/objections/${o.id}`)).statusCode).toBe(404);
    expect((await w.otherConsumer.call('GET', '/api/v1/duties/objections')).json().items.some((x: { id: string }) => x.id === o.id)).toBe(false);
    // An API key raises objections (the data path's callers); the auditor and sysadmin do not take part.
    const byKey = await w.keyClient.call('POST', '/api/v1/duties/objections', {
      dataset: w.code,
      cells: [{ row: 2, column: '户籍地', proposed: '凌源市' }],
      evidence: '系统比对',
    });
    expect(byKey.statusCode).toBe(201);
    expect((await w.auditor.call('GET', '/api/v1/duties/objections')).statusCode).toBe(403);
    expect((await w.admin.call('GET', '/api/v1/duties/objections')).statusCode).toBe(403);
    expect((await w.consumer.call('GET', '/api/v1/duties/objections/stats')).statusCode).toBe(403);
  });

  it('evidence files travel with an objection: sealed at rest, downloaded by its parties only, audited', async () => {
    const row = ((await read()).json().rows as { _row: number }[])[8]!._row;
    const certificate = Buffer.concat([Buffer.from('%PDF-1.4\n户籍迁移证明 第2026-118号 MARKER-7f3a\n'), randomBytes(2000)]);
    const photo = randomBytes(5000);
    const raised = await w.consumer.call('POST', '/api/v1/duties/objections', {
      dataset: w.code,
      cells: [{ row, column: '户籍地', proposed: '凌源市' }],
      evidence: '见附件：户籍迁移证明及户口簿照片',
      attachments: [
        { name: '户籍迁移证明.pdf', contentType: 'application/pdf', content: certificate.toString('base64') },
        { name: 'hukou.png', contentType: 'image/png', content: photo.toString('base64') },
      ],
    });
    expect(raised.statusCode, raised.body).toBe(201);
    const o = raised.json();
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(o.attachments).toEqual([
      { seq: 1, name: '户籍迁移证明.pdf', contentType: 'application/pdf', size: certificate.length, sha256: sha(certificate) },
      { seq: 2, name: 'hukou.png', contentType: 'image/png', size: photo.length, sha256: sha(photo) },
    ]);
    // The provider's officer sees them in its list and downloads each, byte for byte, as a download.
    const listed = (await w.officer.call('GET', '/api/v1/duties/objections')).json().items.find((x: { id: string }) => x.id === o.id);
    expect(listed.attachments.map((a: { name: string }) => a.name)).toEqual(['户籍迁移证明.pdf', 'hukou.png']);
    const file = await w.officer.call('GET', `/api/v1/duties/objections/${o.id}/attachments/1`);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(certificate)).toBe(true);
    expect(file.headers['content-type']).toContain('application/pdf');
    expect(file.headers['content-disposition']).toMatch(/^attachment;/);
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect((await w.consumer.call('GET', `/api/v1/duties/objections/${o.id}/attachments/2`)).rawPayload.equals(photo)).toBe(true);
    expect((await w.secadmin.call('GET', `/api/v1/duties/objections/${o.id}/attachments/2`)).statusCode).toBe(200);
    // Nobody else: another consumer, an unknown file, an anonymous caller.
    expect((await w.otherConsumer.call('GET', `/api/v1/duties/objections/${o.id}/attachments/1`)).statusCode).toBe(404);
    expect((await w.officer.call('GET', `/api/v1/duties/objections/${o.id}/attachments/3`)).statusCode).toBe(404);
    expect((await t.anonymous.call('GET', `/api/v1/duties/objections/${o.id}/attachments/1`)).statusCode).toBe(401);
    // Sealed at rest: the stored bytes are not the file.
    const stored = await t.db.query<{ data: Uint8Array }>('SELECT data FROM duty_objection_attachments WHERE objection_id = $1 ORDER BY seq', [o.id]);
    expect(stored).toHaveLength(2);
    expect(Buffer.from(stored[0]!.data).includes(Buffer.from('MARKER-7f3a'))).toBe(false);
    // Audited: which files came with the objection (names and hashes), and each download.
    const raise = t.events.find((e) => e.action === 'duties.objection_raise' && e.target?.id === o.id)!;
    expect(raise.details).toMatchObject({
      attachments: [
        { name: '户籍迁移证明.pdf', sha256: sha(certificate) },
        { name: 'hukou.png', sha256: sha(photo) },
      ],
    });
    expect(t.events.filter((e) => e.action === 'duties.objection_attachment' && e.target?.id === o.id)).toHaveLength(3);

    // Refused, naming the field: not base64, too large, too many, a kind that is not evidence.
    const base = { dataset: w.code, cells: [{ row, column: '户籍地', proposed: '凌源市' }], evidence: '见附件' };
    const one = (a: object) => w.consumer.call('POST', '/api/v1/duties/objections', { ...base, attachments: [a] });
    const notBase64 = await one({ name: 'a.txt', contentType: 'text/plain', content: '这不是base64!!' });
    expect(notBase64.json().error).toMatchObject({ code: 'invalid_attachment', details: { field: 'attachments.0.content' } });
    const tooLarge = await one({ name: 'big.pdf', contentType: 'application/pdf', content: Buffer.alloc(2 * 1024 * 1024 + 1, 1).toString('base64') });
    expect(tooLarge.statusCode).toBe(400);
    expect(tooLarge.json().error.code).toMatch(/attachment_too_large|validation/);
    expect((await one({ name: 'x.html', contentType: 'text/html', content: Buffer.from('<script>').toString('base64') })).statusCode).toBe(400);
    const four = Array.from({ length: 4 }, (_, i) => ({ name: `${i}.txt`, contentType: 'text/plain', content: Buffer.from('证明').toString('base64') }));
    expect((await w.consumer.call('POST', '/api/v1/duties/objections', { ...base, attachments: four })).statusCode).toBe(400);
  });
});
