/**
 * The department score of 共享评价 (issue 20 §5), pure. Four parts, each a rate between 0 and 1:
 *
 *   requests    share requests answered on time  = on time / (on time + late + overdue and still open)
 *   objections  objections answered on time      = on time / (on time + late + open past the deadline)
 *   catalogue   catalogue entries current         = current / (current + overdue + unattached), published
 *                                                   entries judged against their 更新周期
 *   ratings     consumers' ratings                = (mean rating − 1) / 4, the mean of every rating's
 *                                                   three dimensions (1-5)
 *
 *   score = 100 × Σ wᵢ·rateᵢ / Σ wᵢ over the parts that have something to judge (weights below);
 *           none: no score.
 *
 * A part without anything to judge (no request answered or due, no rating) is left out rather than
 * counted as 0 or 1, so a department is scored on what it was asked to do.
 */

/** The weight of each part (their sum is 100). */
export const SCORE_WEIGHTS = { requests: 30, objections: 20, catalogue: 25, ratings: 25 } as const;

export type ScorePart = keyof typeof SCORE_WEIGHTS;

/** part / whole, or null when there is nothing to judge. */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** A mean rating (1-5) as a rate (0-1). */
export function ratingRate(mean: number | null): number | null {
  return mean === null ? null : (mean - 1) / 4;
}

/** The combined score, 0-100 with one decimal, over the parts that have a rate. */
export function combinedScore(rates: Record<ScorePart, number | null>): number | null {
  let sum = 0;
  let weight = 0;
  for (const part of Object.keys(SCORE_WEIGHTS) as ScorePart[]) {
    const rate = rates[part];
    if (rate === null) continue;
    sum += SCORE_WEIGHTS[part] * rate;
    weight += SCORE_WEIGHTS[part];
  }
  return weight === 0 ? null : Math.round((1000 * sum) / weight) / 10;
}
