import { expect, it } from 'vitest';
import { burstReport, replayPlan } from './burst.ts';

it('replay plan: yesterday’s working hours, then 03:00 of the night just past (UTC+8)', () => {
  const plan = replayPlan(new Date('2026-12-03T06:00:00Z'), { utcOffsetMinutes: 480, nightHours: { from: 0, to: 6 } });
  expect(plan.night.toISOString()).toBe('2026-12-02T19:00:00.000Z');
  expect(plan.baseline.map((d) => d.toISOString().slice(0, 13))).toEqual(['2026-12-02T01', '2026-12-02T02', '2026-12-02T03', '2026-12-02T06', '2026-12-02T07']);
  // At 01:30 local the night's 03:00 has not come yet: the night before.
  expect(replayPlan(new Date('2026-12-02T17:30:00Z'), { utcOffsetMinutes: 480, nightHours: { from: 0, to: 6 } }).night.toISOString()).toBe(
    '2026-12-01T19:00:00.000Z',
  );
});

it('the report says what happened and where to look, in Chinese and English, with no id', () => {
  const text = burstReport({
    dataset: { code: '210000-000001', name: '户籍人口信息', provider: '省公安厅' },
    consumer: { org: '朝阳市民政局', username: 'zy-minzheng' },
    grant: { id: '6f1c0d2e-0000-4000-8000-000000000000', approvedNow: true },
    key: { id: '7a2b0d2e-0000-4000-8000-000000000000', name: '低保核验系统', state: 'suspended', throttledUntil: null },
    baseline: { day: '2026-12-02', hours: ['09:00', '10:00'], rowsPerHour: 100 },
    burst: { at: '2026-12-03 03:00', rows: 5000, requests: 1, refused: false },
    alert: {
      id: '8c3b0d2e-0000-4000-8000-000000000000',
      severity: 'significant',
      title: { zh: '访问量达到基线的 50 倍（夜间）', en: 'Volume 50× the baseline at night' },
      summary: { zh: '…', en: '…' },
    },
    incident: { id: '9d4b0d2e-0000-4000-8000-000000000000', title: '访问量达到基线的 50 倍（夜间）', firstDue: new Date('2026-12-03T10:00:00Z') },
    notified: [{ username: 'ga-officer', org: '省公安厅', title: { zh: '【较大】访问量达到基线的 50 倍（夜间）', en: '' } }],
  });
  expect(text).toContain('【较大】访问量达到基线的 50 倍（夜间） / [Significant] Volume 50× the baseline at night');
  expect(text).toContain('首次报告截止 / first report due 2026-12-03 18:00');
  expect(text).toContain('读取 5,000 行');
  // Chinese with its own punctuation: no ASCII bracket, comma, colon or semicolon beside a Chinese character.
  expect(text).not.toMatch(/[\u4e00-\u9fff」][(),:;]|[(),:;][\u4e00-\u9fff「]/);
  expect(text).toContain('安全运营 → 告警');
  expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  expect(text).not.toContain('210000-000001');
});
