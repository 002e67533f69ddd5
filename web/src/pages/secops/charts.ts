/**
 * The security dashboard's ranking of who read the most sensitive rows: one bar pair a reader, named
 * once (the key or the person, with the organisation only where the name does not already say it),
 * readable on a 390-px phone (names cut short, the full name in the tooltip; short counts on the axis).
 */
import type { EChartsOption } from 'echarts';
import { chartGrid, countsLabel, LEGEND, namesLabel, whenNarrow } from '../../components/charts.ts';

/** A row of the dashboard's `consumers` (GET /secops/dashboard). */
export interface Reader {
  orgName: string | null;
  /** The API key's name, or the person's for a signed-in reader. */
  keyName: string | null;
  sensitiveRows: number;
  rows: number;
}

/** What the chart needs of the console language (useI18n() gives it). */
export interface ReadersFormat {
  lang: 'zh' | 'en';
  t(key: 'secops.sensitiveRows' | 'secops.rows'): string;
  num(value: number): string;
  paren(text: string): string;
}

/**
 * A reader by name: 低保核验系统（朝阳市民政局）for a key; a person whose name already carries the
 * organisation (李民政（朝阳市民政局）) is not given it twice.
 */
export function readerName(r: Reader, paren: ReadersFormat['paren']): string {
  const name = r.keyName ?? '—';
  return r.orgName && !name.includes(r.orgName) ? `${name}${paren(r.orgName)}` : name;
}

/** Horizontal bars, the top reader first; the names on the y axis. */
export function readersOption(readers: readonly Reader[], f: ReadersFormat): EChartsOption {
  const rows = [...readers].reverse();
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => f.num(Number(v)) },
    legend: LEGEND,
    grid: chartGrid(36),
    xAxis: { type: 'value', axisLabel: countsLabel(f.lang) },
    yAxis: { type: 'category', data: rows.map((r) => readerName(r, f.paren)), axisLabel: namesLabel(180) },
    series: [
      { name: f.t('secops.sensitiveRows'), type: 'bar', barMaxWidth: 20, itemStyle: { color: '#f5222d' }, data: rows.map((r) => r.sensitiveRows) },
      { name: f.t('secops.rows'), type: 'bar', barMaxWidth: 20, itemStyle: { color: '#91caff' }, data: rows.map((r) => r.rows) },
    ],
    // A phone: shorter names, fewer counts on the axis.
    media: whenNarrow({ xAxis: { splitNumber: 2 }, yAxis: { axisLabel: { width: 100 } } }),
  };
}
