/** What a save changes, one line each, for the confirmation before it is sent. */
import type { CalendarOverride } from '../../../api/duties.ts';
import { useI18n } from '../../../i18n.tsx';
import { useDays } from './LimitsSection.tsx';
import { LIMIT_SECTIONS, type Change } from './model.ts';

export function ChangeList({ changes }: { changes: Change[] }) {
  const { t, date } = useI18n();
  const inDays = useDays();
  const days = (n: number | null) => (n === null ? t('dset.useGeneral') : inDays(n));
  const kind = (d: CalendarOverride) => t(`dset.cal.kind.${d.kind}`);
  const section = (c: Extract<Change, { kind: 'limit' }>) => (LIMIT_SECTIONS[c.path] === 'security' ? `${t('dset.sec.security')}·` : '');
  const line = (c: Change): string => {
    switch (c.kind) {
      case 'limit':
        return t('dset.change.limit', { label: section(c) + t(`dset.f.${c.path}`), from: days(c.from), to: days(c.to) });
      case 'added':
      case 'removed':
        return t(c.kind === 'added' ? 'dset.change.added' : 'dset.change.removed', { kind: kind(c.day), date: date(c.day.date), name: c.day.name });
      case 'edited':
        return t('dset.change.edited', { date: date(c.to.date), from: `${kind(c.from)} ${c.from.name}`, to: `${kind(c.to)} ${c.to.name}` });
    }
  };
  return (
    <ul style={{ paddingInlineStart: 20, margin: 0 }} data-testid="dset-changes">
      {changes.map((c) => {
        const text = line(c);
        return <li key={text}>{text}</li>;
      })}
    </ul>
  );
}
