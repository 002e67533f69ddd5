/** Turning parsed values (JSON, spreadsheet cells) into the readers' strings-or-null. */

/** null/'' → null; booleans → 'true'/'false'; numbers → their shortest text; nested values → JSON. */
export function jsonCell(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

/** Thrown by quoteNumbers when a text nests deeper than it allows. */
export class JsonTooDeep extends Error {
  constructor(readonly depth: number) {
    super(`JSON nested ${depth} levels deep`);
  }
}

/**
 * Put every number of a (valid) JSON text in quotes, so JSON.parse keeps its exact source text:
 * 18-digit codes stored as numbers keep every digit and 100.00 stays "100.00". Refuses (JsonTooDeep)
 * nesting beyond `maxDepth` before anything recursive (JSON.stringify of a cell) can overflow the stack.
 */
export function quoteNumbers(json: string, maxDepth = Infinity): string {
  let out = '';
  let from = 0;
  let inString = false;
  let depth = 0;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) throw new JsonTooDeep(depth);
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < n) {
        const d = json.charCodeAt(j);
        // digits . e E + -
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) j++;
        else break;
      }
      out += json.slice(from, i) + '"' + json.slice(i, j) + '"';
      from = j;
      i = j - 1;
    }
  }
  return from === 0 ? json : out + json.slice(from);
}
