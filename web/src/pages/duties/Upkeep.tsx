/** The upkeep of a catalogue entry (目录挂接): a tag for the catalogue list, a line for the dataset page. */
import { Alert, Space, Tag, Tooltip, Typography } from 'antd';
import type { Dataset } from '../../api/catalog.ts';
import { useI18n } from '../../i18n.tsx';
import { lastDay } from './Clock.tsx';

type Upkeep = NonNullable<Dataset['upkeep']>;

const COLORS: Record<Upkeep['state'], string> = { current: 'green', overdue: 'red', unattached: 'default', untracked: 'blue' };

/**
 * When it was last updated and when the next update is (was) due: the last day of the period, in
 * China time; for 实时 (an hour without data) the instant.
 */
function useUpkeepText(): (u: Upkeep, cycle: string) => string {
  const { t, time } = useI18n();
  return (u, cycle) =>
    [
      u.lastUpdatedAt ? t('duties.up.lastUpdated', { time: time(u.lastUpdatedAt) }) : t('duties.up.noData'),
      u.dueAt ? t(u.state === 'overdue' ? 'duties.up.wasDue' : 'duties.up.due', { time: cycle === 'realtime' ? time(u.dueAt) : lastDay(u.dueAt) }) : '',
    ]
      .filter(Boolean)
      .join(' · ');
}

export function UpkeepTag({ upkeep, cycle }: { upkeep: Dataset['upkeep']; cycle: string }) {
  const { t } = useI18n();
  const text = useUpkeepText();
  if (!upkeep) return null;
  return (
    <Tooltip title={text(upkeep, cycle)}>
      <Tag color={COLORS[upkeep.state]} data-testid="upkeep-tag" data-state={upkeep.state}>
        {t(`duties.up.state.${upkeep.state}`)}
      </Tag>
    </Tooltip>
  );
}

/** The dataset page's line: the tag and its times, and a warning when the entry is overdue. */
export function UpkeepLine({ dataset }: { dataset: Dataset }) {
  const { t, label } = useI18n();
  const text = useUpkeepText();
  const u = dataset.upkeep;
  if (!u) return null;
  return (
    <Space direction="vertical" size={4} data-testid="upkeep">
      <Space wrap size={4}>
        <UpkeepTag upkeep={u} cycle={dataset.updateCycle} />
        <Typography.Text type={u.state === 'overdue' ? 'danger' : 'secondary'}>{text(u, dataset.updateCycle)}</Typography.Text>
      </Space>
      {u.state === 'overdue' && (
        <Alert type="warning" showIcon message={t('duties.up.overdueHint', { cycle: label('cat.cycle', dataset.updateCycle) })} data-testid="upkeep-overdue" />
      )}
    </Space>
  );
}
