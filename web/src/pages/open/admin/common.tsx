import { Tag } from 'antd';
import type { Release } from '../../../api/open.ts';
import { useI18n } from '../../../i18n.tsx';

const STATE_COLORS: Record<Release['state'], string> = { draft: 'default', published: 'green', withdrawn: 'red', superseded: 'default' };

export function ReleaseStateTag({ state }: { state: Release['state'] }) {
  const { t } = useI18n();
  return (
    <Tag color={STATE_COLORS[state]} data-testid="release-state">
      {t(`oa.state.${state}`)}
    </Tag>
  );
}
