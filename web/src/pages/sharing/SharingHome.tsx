import { Alert, Badge, Button, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { shareApi, type Grant, type ShareRequest } from '../../api/share.ts';
import { useAuth } from '../../auth.tsx';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { endDateOf, GrantStateTag, ModeTag, RequestStateTag, RowFilter } from './common.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { ClockTag } from '../duties/Clock.tsx';
import { NotificationList } from './Notifications.tsx';

type Side = 'consumer' | 'provider' | 'security';

function RequestTable({ items, side, loading }: { items: ShareRequest[]; side: Side; loading: boolean }) {
  const { t, label, time, sep } = useI18n();
  const navigate = useNavigate();
  const act =
    side === 'provider'
      ? (r: ShareRequest) => r.state === 'submitted'
      : side === 'security'
        ? (r: ShareRequest) => r.state === 'provider_approved'
        : () => false;
  return (
    <Table<ShareRequest>
      rowKey="id"
      size="middle"
      loading={loading}
      dataSource={items}
      locale={{ emptyText: t(side === 'consumer' ? 'share.emptyRequests' : 'share.emptyInbox') }}
      columns={[
        {
          title: t('share.col.dataset'),
          render: (_, r) => (
            <>
              <Typography.Text strong>{r.dataset.name}</Typography.Text>
              <br />
              <Typography.Text type="secondary">{r.dataset.code}</Typography.Text>
            </>
          ),
        },
        side === 'consumer'
          ? { title: t('share.col.provider'), dataIndex: 'providerName' }
          : {
              title: t('share.col.requester'),
              render: (_, r) => (
                <>
                  {r.consumerName}
                  <br />
                  <Typography.Text type="secondary">{r.requester.name || r.requester.username}</Typography.Text>
                </>
              ),
            },
        { title: t('share.col.columns'), dataIndex: 'columns', render: (c: string[]) => c.join(sep) },
        {
          title: t('share.col.purpose'),
          render: (_, r) => (
            <>
              {r.purpose}
              <br />
              <Typography.Text type="secondary">{label('share.category', r.purposeCategory)}</Typography.Text>
            </>
          ),
        },
        { title: t('share.col.endDate'), dataIndex: 'endDate' },
        {
          title: t('share.col.state'),
          render: (_, r) => (
            <Space size={4} wrap>
              <RequestStateTag state={r.state} />
              <ClockTag clock={r.clock} testId={`clock-${r.id}`} />
              {r.needsSecurity && r.state === 'submitted' && <Tag>{t('share.needsSecurity')}</Tag>}
            </Space>
          ),
        },
        { title: t('share.col.created'), dataIndex: 'createdAt', render: (v: string) => time(v) },
        {
          title: t('common.actions'),
          render: (_, r) => (
            <Button type="link" onClick={() => navigate(`/sharing/requests/${r.id}`)} data-testid={`open-request-${r.dataset.code}`}>
              {act(r) ? t(side === 'security' ? 'share.securityReview' : 'share.review') : t('share.view')}
            </Button>
          ),
        },
      ]}
    />
  );
}

function GrantTable({ items, side, loading }: { items: Grant[]; side: 'consumer' | 'provider'; loading: boolean }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Table<Grant>
      rowKey="id"
      size="middle"
      loading={loading}
      dataSource={items}
      locale={{ emptyText: t('share.emptyGrants') }}
      columns={[
        {
          title: t('share.col.dataset'),
          render: (_, g) => (
            <>
              <Typography.Text strong>{g.dataset.name}</Typography.Text>
              <br />
              <Typography.Text type="secondary">{g.dataset.code}</Typography.Text>
            </>
          ),
        },
        ...(side === 'provider' ? [{ title: t('share.col.consumer'), dataIndex: 'consumerName' }] : []),
        {
          title: t('share.col.granted'),
          render: (_, g) => (
            <Space size={[4, 4]} wrap>
              {g.columns.map((c) => (
                <span key={c.name}>
                  {c.name} <ModeTag mode={c.mode} />
                </span>
              ))}
            </Space>
          ),
        },
        { title: t('share.col.rowFilter'), dataIndex: 'rowFilter', render: (f: string | null) => <RowFilter filter={f} /> },
        { title: t('share.col.endDate'), render: (_, g) => endDateOf(g.expiresAt) ?? t('share.noEnd') },
        {
          title: t('share.col.state'),
          render: (_, g) => (
            <Space size={4}>
              <GrantStateTag state={g.state} supersededBy={g.supersededBy} />
              {g.automatic && <Tag>{t('share.automatic')}</Tag>}
            </Space>
          ),
        },
        {
          title: t('common.actions'),
          render: (_, g) => (
            <Button type="link" onClick={() => navigate(`/sharing/grants/${g.id}`)} data-testid={`open-grant-${g.dataset.code}`}>
              {side === 'consumer' && g.state === 'active' ? t('share.howToCall') : t('share.view')}
            </Button>
          ),
        },
      ]}
    />
  );
}

/** /sharing: my requests and grants (consumers), the approvals inbox (officers, secadmin), notifications. */
export function SharingHome() {
  const { t } = useI18n();
  const { me, has } = useAuth();
  const [params, setParams] = useSearchParams();
  const { data, error, reload } = useLoad(() => Promise.all([shareApi.requests(), shareApi.grants()]), []);
  const [requests, grants] = data ?? [];

  const org = me?.orgId;
  const loading = !requests;
  const all = requests ?? [];
  const allGrants = grants ?? [];
  const mine = all.filter((r) => r.consumerOrgId === org);
  const myGrants = allGrants.filter((g) => g.consumerOrgId === org);
  const forMe = all.filter((r) => r.providerOrgId === org);
  const pending = forMe.filter((r) => r.state === 'submitted');
  const security = all.filter((r) => r.state === 'provider_approved');
  const given = allGrants.filter((g) => g.providerOrgId === org);
  const officer = has('data_officer');
  const secadmin = has('secadmin');
  const consumer = has('consumer', 'data_officer');

  const count = (label: MessageKey, n: number) => (
    <Space size={6}>
      {t(label)}
      {n > 0 && <Badge count={n} size="small" />}
    </Space>
  );

  const tabs = [
    ...(secadmin
      ? [
          {
            key: 'security',
            label: count('share.tab.security', security.length),
            children: <RequestTable items={security} side="security" loading={loading} />,
          },
          { key: 'all', label: t('share.tab.allRequests'), children: <RequestTable items={all} side="security" loading={loading} /> },
          { key: 'allGrants', label: t('share.tab.allGrants'), children: <GrantTable items={allGrants} side="provider" loading={loading} /> },
        ]
      : []),
    ...(officer
      ? [
          { key: 'inbox', label: count('share.tab.inbox', pending.length), children: <RequestTable items={pending} side="provider" loading={loading} /> },
          {
            key: 'decided',
            label: t('share.tab.decided'),
            children: <RequestTable items={forMe.filter((r) => r.state !== 'submitted')} side="provider" loading={loading} />,
          },
          { key: 'given', label: t('share.tab.given'), children: <GrantTable items={given} side="provider" loading={loading} /> },
        ]
      : []),
    ...(consumer && !secadmin
      ? [
          { key: 'requests', label: t('share.tab.requests'), children: <RequestTable items={mine} side="consumer" loading={loading} /> },
          { key: 'grants', label: t('share.tab.grants'), children: <GrantTable items={myGrants} side="consumer" loading={loading} /> },
        ]
      : []),
    { key: 'notifications', label: t('share.tab.notifications'), children: <NotificationList /> },
  ];
  const active = tabs.some((x) => x.key === params.get('tab')) ? params.get('tab')! : (tabs[0]?.key ?? 'notifications');

  return (
    <>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      {consumer && !secadmin && <Alert style={{ marginBottom: 16 }} type="info" showIcon message={t('share.howToRequest')} />}
      <Tabs
        activeKey={active}
        onChange={(key) => {
          setParams({ tab: key });
          void reload();
        }}
        items={tabs}
      />
    </>
  );
}
