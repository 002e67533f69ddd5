/**
 * The settings form's model: which limit goes in which section, the form values and back, the bounds
 * read from the server's JSON Schema of the settings, what changed (for the confirmation) and where a
 * field the server refused sits in the form.
 */
import dayjs, { type Dayjs } from 'dayjs';
import type { CalendarOverride, DutiesSettings, DutyLimits, FieldIssue } from '../../../api/duties.ts';

type ByType = DutyLimits['securityByType'];
/** A limit by its dotted path under `limits`. */
export type LimitPath = Exclude<keyof DutyLimits, 'securityByType'> | `securityByType.${keyof ByType}`;
export type Section = 'requests' | 'security' | 'other';

/** Every limit of the server's settings, in the order shown (the compiler checks none is missing). */
export const LIMIT_SECTIONS: Record<LimitPath, Section> = {
  unconditional: 'requests',
  conditionalShared: 'requests',
  conditional: 'requests',
  security: 'security',
  'securityByType.unconditional': 'security',
  'securityByType.conditionalShared': 'security',
  'securityByType.conditional': 'security',
  maxExtension: 'other',
  remindBefore: 'other',
  objection: 'other',
  demand: 'other',
};
export const LIMIT_PATHS = Object.keys(LIMIT_SECTIONS) as LimitPath[];

/** The form field of a limit. */
export const limitName = (path: LimitPath): string[] => ['limits', ...path.split('.')];

export function limitAt(limits: DutyLimits, path: LimitPath): number | null {
  const [head, sub] = path.split('.') as [keyof DutyLimits, keyof ByType | undefined];
  return sub ? limits.securityByType[sub] : (limits[head] as number);
}

/** A calendar row of the form: the date is the picker's value until it is sent. */
export interface DayRow {
  date: Dayjs | null;
  kind: CalendarOverride['kind'];
  name: string;
}
export interface Values {
  limits: DutyLimits;
  calendar: DayRow[];
}

export function toValues(s: DutiesSettings): Values {
  const days = [...s.calendar].sort((a, b) => a.date.localeCompare(b.date));
  return { limits: s.limits, calendar: days.map((d) => ({ date: dayjs(d.date), kind: d.kind, name: d.name })) };
}

/** The settings to send: the form's limits and calendar (in the form's order, which the server's messages count by), the rest as loaded. */
export function fromValues(s: DutiesSettings, v: Values): DutiesSettings {
  const byType = v.limits.securityByType;
  return {
    ...s,
    limits: {
      ...v.limits,
      securityByType: {
        unconditional: byType.unconditional ?? null,
        conditionalShared: byType.conditionalShared ?? null,
        conditional: byType.conditional ?? null,
      },
    },
    calendar: (v.calendar ?? []).map((d) => ({ date: d.date!.format('YYYY-MM-DD'), kind: d.kind, name: d.name.trim() })),
  };
}

/** Bounds and default of one limit, from the JSON Schema of the settings (GET /api/v1/duties/settings/schema). */
export interface Bounds {
  min?: number;
  max?: number;
  /** null: no value of its own (a security limit per share type falls back to the general one). */
  def: number | null;
}
interface Prop {
  minimum?: number;
  maximum?: number;
  default?: unknown;
  properties?: Record<string, Prop>;
  anyOf?: Prop[];
}
export function boundsOf(schema: Record<string, unknown>, path: LimitPath): Bounds {
  const prop = ['limits', ...path.split('.')].reduce<Prop | undefined>((p, k) => p?.properties?.[k], schema as Prop);
  const number = prop?.anyOf?.find((p) => p.minimum !== undefined) ?? prop;
  return { min: number?.minimum, max: number?.maximum, def: typeof prop?.default === 'number' ? prop.default : null };
}

export type Change =
  | { kind: 'limit'; path: LimitPath; from: number | null; to: number | null }
  | { kind: 'added' | 'removed'; day: CalendarOverride }
  | { kind: 'edited'; from: CalendarOverride; to: CalendarOverride };

/** What saving `after` changes from `before`: the limits, then the calendar days by date. */
export function changesOf(before: DutiesSettings, after: DutiesSettings): Change[] {
  const changes: Change[] = [];
  for (const path of LIMIT_PATHS) {
    const from = limitAt(before.limits, path);
    const to = limitAt(after.limits, path);
    if (from !== to) changes.push({ kind: 'limit', path, from, to });
  }
  const old = new Map(before.calendar.map((d) => [d.date, d]));
  const now = new Map(after.calendar.map((d) => [d.date, d]));
  for (const d of after.calendar) {
    const was = old.get(d.date);
    if (!was) changes.push({ kind: 'added', day: d });
    else if (was.kind !== d.kind || was.name !== d.name) changes.push({ kind: 'edited', from: was, to: d });
  }
  for (const d of before.calendar) if (!now.has(d.date)) changes.push({ kind: 'removed', day: d });
  return changes;
}

/** The server's refusals as form errors: `calendar.2.date` → ['calendar', 2, 'date'], several per field kept together. */
export function fieldErrors(issues: FieldIssue[]): { name: (string | number)[]; errors: string[] }[] {
  const byField = new Map<string, string[]>();
  for (const i of issues) byField.set(i.field, [...(byField.get(i.field) ?? []), i.message]);
  return [...byField].map(([field, errors]) => ({ name: field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), errors }));
}
