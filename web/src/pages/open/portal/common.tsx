import { Card, Space, Tag, Typography } from 'antd';
import { createContext, useContext, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { portalApi, type Comment, type DatasetSummary, type Demand, type Showcase, type SocietyUser } from '../../../api/open.ts';
import { useSession } from '../../../hooks/useSession.ts';
import { useI18n, type MessageKey } from '../../../i18n.tsx';

interface Society {
  /** undefined while loading, null when signed out. */
  me: SocietyUser | null | undefined;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const SocietyContext = createContext<Society | null>(null);

/** The signed-in society user of the portal (its own session, separate from the console's). */
export function SocietyProvider({ children }: { children: ReactNode }) {
  const { me, refresh, setMe } = useSession<SocietyUser>(portalApi.me);
  const signOut = async () => {
    await portalApi.logout().catch(() => undefined);
    setMe(null);
  };
  return <SocietyContext.Provider value={{ me, refresh, signOut }}>{children}</SocietyContext.Provider>;
}

export function useSociety(): Society {
  const value = useContext(SocietyContext);
  if (!value) throw new Error('useSociety outside SocietyProvider');
  return value;
}

export function OpenTypeTag({ type }: { type: string }) {
  const { t } = useI18n();
  return <Tag color={type === 'conditional' ? 'gold' : 'green'}>{t(`op.open.${type === 'conditional' ? 'conditional' : 'unconditional'}`)}</Tag>;
}

/** The state of a comment, data request or showcase entry (feedback), as a society user or an officer reads it. */
type FeedbackState = Comment['state'] | Demand['state'] | Showcase['state'];
const FEEDBACK_STATES: Record<FeedbackState, { label: MessageKey; color: string }> = {
  pending: { label: 'oa.fb.pending', color: 'processing' },
  submitted: { label: 'oa.fb.pending', color: 'processing' },
  approved: { label: 'oa.fb.approved', color: 'success' },
  answered: { label: 'oa.fb.answered', color: 'success' },
  rejected: { label: 'oa.fb.rejected', color: 'error' },
};

export function FeedbackStateTag({ state }: { state: FeedbackState }) {
  const { t } = useI18n();
  const { label, color } = FEEDBACK_STATES[state];
  return <Tag color={color}>{t(label)}</Tag>;
}

/** A label of a catalogue code (update cycle, data type) or the code itself. */
export function useLabel() {
  const { label } = useI18n();
  return (prefix: 'op.cycle' | 'op.type' | 'op.open', value: string) => label(prefix, value);
}

export const number = (n: number) => n.toLocaleString('en-US');
export const percent = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

/** One dataset in a list: name, department, openness, figures. */
export function DatasetCard({ d }: { d: DatasetSummary }) {
  const { t } = useI18n();
  const label = useLabel();
  return (
    <Card size="small" data-testid={`dataset-card-${d.code}`} style={{ height: '100%' }}>
      <Space direction="vertical" size={4} style={{ width: '100%' }}>
        <Link to={`/open/datasets/${d.code}`} data-testid={`dataset-link-${d.code}`}>
          <Typography.Text strong style={{ fontSize: 16 }}>
            {d.name}
          </Typography.Text>
        </Link>
        <Space size={[4, 4]} wrap>
          <OpenTypeTag type={d.openType} />
          {d.domain && <Tag>{d.domain}</Tag>}
          <Tag>{label('op.cycle', d.updateCycle)}</Tag>
        </Space>
        <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ marginBottom: 0 }}>
          {d.summary}
        </Typography.Paragraph>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {d.provider.name} · {number(d.rows)} {t('op.card.rows')} · {number(d.downloads)} {t('op.card.downloads')} · {number(d.apiCalls)} {t('op.card.calls')}{' '}
          · {t('op.card.quality')} {d.quality}
        </Typography.Text>
      </Space>
    </Card>
  );
}
