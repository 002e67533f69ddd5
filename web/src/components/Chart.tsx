import type { ECharts, EChartsOption, XAXisComponentOption } from 'echarts';
import { useEffect, useRef } from 'react';
import { useReducedMotion } from '../hooks/useReducedMotion.ts';
import { useI18n } from '../i18n.tsx';

/**
 * One ECharts chart that follows its option, its container's size and the console language (ECharts'
 * own texts). ECharts is fetched when the first chart mounts, so pages without charts never load it.
 * ARIA is on: the container gets a spoken description naming the series, which screen readers and
 * tests read where the canvas cannot be. Drawn without animation when the person asked for less motion.
 */
export function Chart({ option, height = 320, testId }: { option: EChartsOption; height?: number; testId?: string }) {
  const { lang } = useI18n();
  const reduced = useReducedMotion();
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts>(undefined);
  const shown: EChartsOption = { aria: { enabled: true }, ...(reduced ? { animation: false } : {}), ...option };
  const latest = useRef(shown);
  latest.current = shown;
  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | undefined;
    void import('./echarts.ts').then((echarts) => {
      if (disposed || !ref.current) return;
      chart.current = echarts.init(ref.current, undefined, { locale: lang === 'zh' ? 'ZH' : 'EN' });
      chart.current.setOption(latest.current, true);
      observer = new ResizeObserver(() => chart.current?.resize());
      observer.observe(ref.current);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = undefined;
    };
    // The option is applied by the effect below; a new language makes a new chart.
  }, [lang]);
  useEffect(() => {
    chart.current?.setOption(latest.current, true);
  }, [option, reduced]);
  return <div ref={ref} style={{ width: '100%', height }} data-testid={testId} />;
}

/** The last `days` days up to now as an ECharts time axis (a day without events is an empty day, not a missing one). */
export function lastDaysAxis(days: number, name?: string): XAXisComponentOption {
  const end = new Date();
  end.setHours(23, 59, 59, 999);
  const start = new Date(end.getTime() - days * 86_400_000);
  // Day labels as month/day in both languages (the default's month names collide with the days around them).
  return {
    type: 'time',
    min: start.getTime(),
    max: end.getTime(),
    minInterval: 86_400_000,
    axisLabel: { formatter: '{M}/{d}', hideOverlap: true },
    ...(name ? { name, nameLocation: 'middle', nameGap: 28 } : {}),
  };
}
