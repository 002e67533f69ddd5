/** Header names as read from the first row or the first objects' keys, made usable as column names. */

/**
 * Trim each name and drop a BOM; an empty name becomes `column_N` (N = 1-based position) and a
 * repeated one gets `_2`, `_3` …, so every column has a distinct, non-empty name.
 */
export function normaliseHeader(raw: readonly (string | null | undefined)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  raw.forEach((value, i) => {
    let name = (value ?? '').replace(/^\uFEFF/, '').trim();
    if (name === '') name = `column_${i + 1}`;
    let unique = name;
    for (let k = 2; seen.has(unique); k++) unique = `${name}_${k}`;
    seen.add(unique);
    out.push(unique);
  });
  return out;
}
