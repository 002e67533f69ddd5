/**
 * Response fields by JSON path: the values of a sample response per path (for classification), and
 * the rewrite of a live response to the granted forms. Paths join object keys with '.' and mark array
 * items with '[]' (`data.shareholders[].idNumber`); a top-level array is `[]`.
 */
import type { MaskedValue } from '../protect/masking.ts';

type Scalar = string | number | boolean | null;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

/** Every scalar of a JSON value by its path (at most `limit` values per path). */
export function valuesByPath(value: unknown, limit = 1000): Map<string, Scalar[]> {
  const out = new Map<string, Scalar[]>();
  const visit = (v: unknown, path: string, depth: number) => {
    if (depth > 32) return;
    if (Array.isArray(v)) {
      for (const item of v) visit(item, `${path}[]`, depth + 1);
    } else if (isPlainObject(v)) {
      for (const [k, sub] of Object.entries(v)) visit(sub, join(path, k), depth + 1);
    } else if (path !== '' && (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
      const list = out.get(path) ?? [];
      if (list.length < limit) list.push(v);
      out.set(path, list);
    }
  };
  visit(value, '', 0);
  return out;
}

/**
 * Rewrites a response: each scalar whose path is a granted field goes through `out` (its granted
 * form); every other scalar, granted hidden or not registered at all, is removed with its key. An
 * object or array with nothing granted at or below it is removed, even when it was empty upstream
 * (its presence would tell whether an ungranted field is empty); one left empty by the removal is
 * removed too. Returns the rewritten value and how many fields were sent.
 */
export function rewrite(value: unknown, granted: ReadonlyMap<string, (v: Scalar) => MaskedValue>): { body: unknown; fields: number } {
  let fields = 0;
  const REMOVED = Symbol('removed');
  const paths = [...granted.keys()];
  const holdsGranted = (path: string) => path === '' || paths.some((k) => k === path || k.startsWith(`${path}.`) || k.startsWith(`${path}[]`));
  const visit = (v: unknown, path: string, depth: number): unknown => {
    if (depth > 64) return REMOVED;
    if (Array.isArray(v)) {
      if (!holdsGranted(path)) return REMOVED;
      const items = v.map((item) => visit(item, `${path}[]`, depth + 1)).filter((x) => x !== REMOVED);
      return items.length === 0 && v.length > 0 ? REMOVED : items;
    }
    if (isPlainObject(v)) {
      if (!holdsGranted(path)) return REMOVED;
      const entries = Object.entries(v)
        .map(([k, sub]) => [k, visit(sub, join(path, k), depth + 1)] as const)
        .filter(([, x]) => x !== REMOVED);
      return entries.length === 0 && Object.keys(v).length > 0 ? REMOVED : Object.fromEntries(entries);
    }
    const out = granted.get(path);
    if (!out || path === '') return REMOVED;
    fields++;
    return out(v as Scalar);
  };
  const body = visit(value, '', 0);
  return { body: body === REMOVED ? {} : body, fields };
}
