/**
 * Memory-bounded distinct counting for the 重要数据 rule (≥ 1,000,000 distinct persons).
 *
 * Exact while small: the counter keeps 53-bit hashes of the values in an open-addressing hash table up to `exactLimit`
 * (default 100,000 values, a few MB); the chance of two different identifiers colliding in 53 bits is
 * negligible at these sizes. Past the limit it switches to HyperLogLog with 2^14 registers (16 KB,
 * standard error 1.04/√16384 ≈ 0.81%), so memory stays flat whatever the file size.
 */
import { hash64, lanes } from '../../lib/hash64.ts';

const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
/** Relative standard error of the HyperLogLog estimate. */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(M);

/**
 * Exact set of 53-bit hashes in an open-addressing table (no per-value objects: no GC churn on the hot
 * path). 0 marks an empty slot, so hashes are stored + 1.
 */
class HashSet53 {
  private table: Float64Array;
  size = 0;

  constructor(capacity: number) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.table = new Float64Array(n);
  }

  get capacity(): number {
    return this.table.length;
  }

  add(h: number): void {
    const key = h + 1;
    const mask = this.table.length - 1;
    let i = (key % 0x100000000) & mask;
    for (;;) {
      const slot = this.table[i]!;
      if (slot === 0) {
        this.table[i] = key;
        this.size++;
        return;
      }
      if (slot === key) return;
      i = (i + 1) & mask;
    }
  }

  *values(): Generator<number> {
    for (const key of this.table) if (key !== 0) yield key - 1;
  }
}

export class DistinctCounter {
  private exact: HashSet53 | null;
  private registers: Uint8Array | null = null;

  constructor(private readonly exactLimit = 100_000) {
    this.exact = new HashSet53(Math.min(exactLimit + 1, 1024));
  }

  add(value: string): void {
    hash64(value);
    const { h1, h2 } = lanes;
    if (this.exact) {
      this.addExact((h2 & 0x1fffff) * 0x100000000 + h1);
    } else {
      this.addHash(h1, h2 & 0x1fffff);
    }
  }

  private addExact(h: number): void {
    const set = this.exact!;
    set.add(h);
    if (set.size > this.exactLimit) this.toSketch();
    else if (set.size * 2 > set.capacity) this.grow();
  }

  /** Doubles the exact table (it starts small so that counters of small columns stay small). */
  private grow(): void {
    const old = this.exact!;
    const bigger = new HashSet53(Math.min(old.size * 2, this.exactLimit + 1));
    for (const h of old.values()) bigger.add(h);
    this.exact = bigger;
  }

  /** high21: the 21 hash bits the exact set keeps beside h1, so both modes see the same 53-bit hash. */
  private addHash(h1: number, high21: number): void {
    const index = h1 >>> (32 - P);
    const rank = Math.min(Math.clz32(high21 << 11) + 1, 22);
    const registers = this.registers!;
    if (rank > registers[index]!) registers[index] = rank;
  }

  private toSketch(): void {
    const exact = this.exact!;
    this.registers = new Uint8Array(M);
    this.exact = null;
    for (const h of exact.values()) this.addHash(h % 0x100000000, Math.floor(h / 0x100000000));
  }

  /** True while the count is exact. */
  get isExact(): boolean {
    return this.exact !== null;
  }

  /** Adds everything another counter saw (union); the result is exact only if both were. */
  merge(other: DistinctCounter): void {
    if (other.exact) {
      for (const h of other.exact.values()) {
        if (this.exact) this.addExact(h);
        else this.addHash(h % 0x100000000, Math.floor(h / 0x100000000));
      }
      return;
    }
    if (this.exact) this.toSketch();
    const mine = this.registers!;
    const theirs = other.registers!;
    for (let i = 0; i < M; i++) if (theirs[i]! > mine[i]!) mine[i] = theirs[i]!;
  }

  /** The distinct count (exact, or the HyperLogLog estimate). */
  count(): number {
    if (this.exact) return this.exact.size;
    const registers = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const r = registers[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const estimate = (ALPHA * M * M) / sum;
    if (estimate <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(estimate);
  }
}
