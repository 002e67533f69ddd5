import type { ECharts, EChartsOption } from 'echarts';
import { useEffect, useRef } from 'react';

/**
 * One ECharts chart that follows its option and its container's size. ECharts (about 1 MB) is
 * fetched when the first chart mounts, so pages without charts never load it.
 */
export function Chart({ option, height = 320, testId }: { option: EChartsOption; height?: number; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts>(undefined);
  const latest = useRef(option);
  latest.current = option;
  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | undefined;
    void import('./echarts.ts').then((echarts) => {
      if (disposed || !ref.current) return;
      chart.current = echarts.init(ref.current);
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
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);
  return <div ref={ref} style={{ width: '100%', height }} data-testid={testId} />;
}
