/**
 * What the platform itself writes into an incident's timeline, stored as a code with its parameters
 * (secops_incident_events.code / params) and put into words when read, in both languages: the
 * console shows an entry in its language, the incident report in Chinese. What a person types (a
 * note, the reason of a stage change) is stored as text and shown as written.
 */
import type { Message } from '../../errors.ts';
import { CONTAINMENT_KINDS, CONTAINMENT_LABELS, SEVERITIES, SEVERITY_LABELS, type ContainmentKind, type Severity } from './secops.settings.ts';

export type TimelineEntry =
  /** The incident was opened by the platform from an alert. */
  | { code: 'auto_opened'; params: Record<string, never> }
  /** A containment taken on the incident's alert; `target` names the key, grant, dataset or account. */
  | { code: 'containment'; params: { kind: ContainmentKind; target: string } }
  /** A report deadline is near (`minutes` left) or passed (negative). */
  | { code: 'deadline_warning'; params: { which: 'first' | 'final'; minutes: number } }
  | { code: 'severity'; params: { from: Severity; to: Severity } };

export type TimelineCode = TimelineEntry['code'];

const REPORTS = { first: { zh: '首次报告', en: 'first report' }, final: { zh: '最终报告', en: 'final report' } } as const;

const isOneOf = <T extends string>(values: readonly T[], v: unknown): v is T => typeof v === 'string' && (values as readonly string[]).includes(v);

/**
 * The words of a stored entry, or null when the row has no code (a person's note, or a row written
 * before codes existed: its stored text is what there is) or parameters that do not fit the code.
 */
export function timelineMessage(code: string | null, params: Record<string, unknown>): Message | null {
  switch (code) {
    case 'auto_opened':
      return { zh: '由告警自动创建', en: 'Opened automatically from an alert' };
    case 'containment': {
      const { kind, target } = params;
      if (!isOneOf(CONTAINMENT_KINDS, kind) || typeof target !== 'string') return null;
      return { zh: `${CONTAINMENT_LABELS[kind].zh}：${target}`, en: `${CONTAINMENT_LABELS[kind].en}: ${target}` };
    }
    case 'deadline_warning': {
      const { which, minutes } = params;
      if (!isOneOf(['first', 'final'] as const, which) || typeof minutes !== 'number') return null;
      const what = REPORTS[which];
      return minutes >= 0
        ? { zh: `${what.zh}将于 ${minutes} 分钟后到期`, en: `The ${what.en} is due in ${minutes} minutes` }
        : { zh: `${what.zh}已超时 ${-minutes} 分钟`, en: `The ${what.en} is ${-minutes} minutes overdue` };
    }
    case 'severity': {
      const { from, to } = params;
      if (!isOneOf(SEVERITIES, from) || !isOneOf(SEVERITIES, to)) return null;
      return { zh: `${SEVERITY_LABELS[from].zh} → ${SEVERITY_LABELS[to].zh}`, en: `${SEVERITY_LABELS[from].en} → ${SEVERITY_LABELS[to].en}` };
    }
    default:
      return null;
  }
}
