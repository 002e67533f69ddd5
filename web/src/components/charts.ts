/**
 * Parts every console chart shares, so that charts stay readable from a 390-px phone to a desktop
 * (issue 22): a legend on one line, a grid that keeps axis labels and names inside the chart, names
 * cut short on a category axis, counts that do not run into each other on a value axis, and
 * settings for a narrow chart. Plain data (no React, no ECharts import): the unit tests read them.
 */
import type { EChartsOption, GridComponentOption, LegendComponentOption } from 'echarts';
import { compactNumber } from '../numbers.ts';

/** Charts narrower than this (a phone, a third of a desktop row) take their `whenNarrow` settings. */
export const NARROW_WIDTH = 480;

/** A legend on one line that pages with arrows when its items do not fit (wrapped legends covered the plot on a phone). */
export const LEGEND: LegendComponentOption = { top: 0, type: 'scroll' };

/**
 * The plot area: `top` leaves room for the legend, `bottom` for what is under the x axis. Axis labels
 * and axis names stay inside the chart (with containLabel alone a y axis's name was cut at the left edge).
 */
export function chartGrid(top: number, bottom = 8): GridComponentOption {
  return { left: 8, right: 16, top, bottom, outerBoundsMode: 'same', outerBoundsContain: 'all' };
}

/** Labels of names on a category axis, cut to `width` px with an ellipsis; the axis tooltip names them in full. */
export function namesLabel(width: number) {
  return { width, overflow: 'truncate' as const, ellipsis: '…' };
}

/** Labels of counts on a value axis: short (1.2万 / 12K), and one of two that would overlap is left out. */
export function countsLabel(lang: 'zh' | 'en') {
  return { hideOverlap: true, formatter: (value: number) => compactNumber(value, lang) };
}

/** Settings ECharts applies over a chart's own while the chart is narrower than NARROW_WIDTH (a media query). */
export function whenNarrow(option: EChartsOption): EChartsOption['media'] {
  return [{ query: { maxWidth: NARROW_WIDTH }, option }];
}
