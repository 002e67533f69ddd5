/** Ids in the facts: shown as names or links elsewhere in the drawer, and in the technical details. */
export const ID_FACTS = new Set(['grantId', 'apiKeyId', 'changeId', 'requestId', 'providerOrgId', 'binding', 'incidentId', 'via', 'kind', 'adminRoles']);

/** What factValue needs of the console language (useI18n() gives it; the unit test the message files). */
export interface FactFormat {
  t(key: 'secops.yes' | 'secops.no'): string;
  time(value: string): string;
  num(value: number): string;
  sep: string;
}

/**
 * One fact a detector saw, as text in the console language: yes/no, counts with the language's digit
 * grouping, moments in the console's one format, lists with the language's separator (、 / , ),
 * an hour range as 22:00–06:00.
 */
export function factValue(key: string, v: unknown, i18n: FactFormat): string {
  const { t, time, num, sep } = i18n;
  if (typeof v === 'boolean') return t(v ? 'secops.yes' : 'secops.no');
  if (typeof v === 'number') return key === 'ratio' || key === 'baselineMean' ? num(Math.round(v * 10) / 10) : num(v);
  if ((key === 'hour' || key === 'due' || key === 'dueAt') && typeof v === 'string' && /^\d{4}-/.test(v)) return time(v);
  if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' && 'name' in x ? String((x as { name: unknown }).name) : String(x))).join(sep);
  if (v && typeof v === 'object' && 'from' in v && 'to' in v) return `${String((v as { from: unknown }).from)}:00–${String((v as { to: unknown }).to)}:00`;
  return String(v);
}
