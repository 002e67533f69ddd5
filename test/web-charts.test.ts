/**
 * The security dashboard's ranking of sensitive reads (web/src/pages/secops/charts.ts) on a 390-px
 * phone (issue 22): each reader named once, names cut short on the axis and whole in the tooltip,
 * counts on the value axis short and never drawn over each other. The chart itself, at 390×844 and
 * 1440×900, is in test/browser/console-walk-en-2.test.ts (test/helpers/console-walk.ts).
 */
import { describe, expect, it } from 'vitest';
import * as secops from '../web/src/locales/secops.ts';
import { NARROW_WIDTH } from '../web/src/components/charts.ts';
import { formatNumber } from '../web/src/numbers.ts';
import { readerName, readersOption, type Reader } from '../web/src/pages/secops/charts.ts';

const format = (lang: 'zh' | 'en') => ({
  lang,
  t: (key: 'secops.sensitiveRows' | 'secops.rows') => secops[lang][key],
  num: (n: number) => formatNumber(n, lang),
  paren: (text: string) => (lang === 'zh' ? `（${text}）` : ` (${text})`),
});

const READERS: Reader[] = [
  { orgName: '朝阳市民政局', keyName: '李民政（朝阳市民政局）', sensitiveRows: 120_000, rows: 140_000 },
  { orgName: '朝阳市民政局', keyName: '低保核验系统', sensitiveRows: 90, rows: 90 },
  { orgName: null, keyName: null, sensitiveRows: 3, rows: 3 },
];

describe('who read the most sensitive rows, as a chart', () => {
  it('names a reader once: the organisation only where the name does not already say it', () => {
    expect(READERS.map((r) => readerName(r, format('zh').paren))).toEqual(['李民政（朝阳市民政局）', '低保核验系统（朝阳市民政局）', '—']);
    expect(readerName(READERS[1]!, format('en').paren)).toBe('低保核验系统 (朝阳市民政局)');
  });

  it.each(['zh', 'en'] as const)('cuts names short on a phone, keeps counts short and apart (%s)', (lang) => {
    const option = readersOption(READERS, format(lang)) as any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the option's fields are checked one by one
    // Horizontal bars: the names on the y axis, the top reader at the top.
    expect(option.yAxis.type).toBe('category');
    expect(option.yAxis.data).toEqual(['—', '低保核验系统' + format(lang).paren('朝阳市民政局'), '李民政（朝阳市民政局）']);
    expect(option.yAxis.axisLabel).toMatchObject({ overflow: 'truncate', width: 180 });
    const phone = option.media.find((m: { query: { maxWidth: number } }) => m.query.maxWidth >= 390);
    expect(NARROW_WIDTH).toBeGreaterThanOrEqual(390);
    expect(phone.option.yAxis.axisLabel.width).toBeLessThanOrEqual(100);
    expect(phone.option.xAxis.splitNumber).toBeLessThanOrEqual(3);
    // The whole name and the grouped counts in the tooltip (the axis tooltip shows the category in full).
    expect(option.tooltip.trigger).toBe('axis');
    expect(option.tooltip.valueFormatter(120000)).toBe('120,000');
    expect(option.xAxis.axisLabel.hideOverlap).toBe(true);
    expect(option.xAxis.axisLabel.formatter(120000)).toBe(lang === 'zh' ? '12万' : '120K');
    expect(option.legend.type).toBe('scroll');
    expect(option.series.map((s: { name: string }) => s.name)).toEqual([secops[lang]['secops.sensitiveRows'], secops[lang]['secops.rows']]);
  });
});
