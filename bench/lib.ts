/**
 * The benchmark pattern: every figure is printed next to a baseline measured in the same run, as
 * a ratio, with the data size, so results compare across machines. Timings never go into tests.
 */
import { performance } from 'node:perf_hooks';

export interface Figure {
  /** What was measured, e.g. "point query". */
  name: string;
  /** Data size the figure was measured on, e.g. "10,000 rows × 4 columns". */
  size: string;
  unit: string;
  value: number;
  baselineName: string;
  baseline: number;
  /** true when larger is better (throughput); false for latencies. */
  higherIsBetter: boolean;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

/** Prints one figure with its baseline and ratio (pdx relative to the baseline, 1.0 = as fast). */
export function report(f: Figure): void {
  const ratio = f.higherIsBetter ? f.value / f.baseline : f.baseline / f.value;
  console.log(
    `${f.name.padEnd(40)} ${fmt(f.value).padStart(12)} ${f.unit.padEnd(8)} | ${f.baselineName}: ${fmt(f.baseline).padStart(12)} ${f.unit.padEnd(8)} | ratio ${ratio.toFixed(2)} | ${f.size}`,
  );
}

/** Runs fn `iterations` times after a warm-up and returns operations per second. */
export async function opsPerSecond(iterations: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(50, iterations); i++) await fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return iterations / ((performance.now() - start) / 1000);
}

/**
 * Measures pdx and its baseline in alternating rounds and keeps the best round of each, so JIT
 * warm-up and connection set-up do not favour whichever ran second.
 */
export async function alternate(
  rounds: number,
  iterations: number,
  pdx: () => Promise<unknown> | unknown,
  baseline: () => Promise<unknown> | unknown,
): Promise<{ value: number; baseline: number }> {
  let best = { value: 0, baseline: 0 };
  for (let r = 0; r < rounds; r++) {
    const b = await opsPerSecond(iterations, baseline);
    const v = await opsPerSecond(iterations, pdx);
    best = { value: Math.max(best.value, v), baseline: Math.max(best.baseline, b) };
  }
  return best;
}

export function section(title: string): void {
  console.log(`\n== ${title}`);
}
