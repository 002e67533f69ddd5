import { BellOutlined } from '@ant-design/icons';
import { Alert, Badge, Button, List, Space, Tag, Tooltip, Typography } from 'antd';
import { useLocation, useNavigate } from 'react-router-dom';
import { consoleLink, shareApi, type Notification } from '../../api/share.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

/** The console notifications of the signed-in user, newest first; opening one marks it read. */
export function NotificationList() {
  const { t, time, lang } = useI18n();
  const navigate = useNavigate();
  // Titles are in the console language: loaded again when it changes.
  const { data, error, reload: load } = useLoad(() => shareApi.notifications(), [lang]);
  const items: Notification[] | undefined = data?.items;
  const unread = data?.unread ?? 0;

  async function open(n: Notification) {
    if (!n.readAt) await shareApi.markRead(n.id).catch(() => undefined);
    window.dispatchEvent(new Event('pdx:notifications'));
    const link = consoleLink(n.link);
    if (link) navigate(link);
    else await load();
  }

  if (error) return <Alert type="error" showIcon message={error} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space>
        <Typography.Text type="secondary" data-testid="unread-count">
          {t('share.unread', { n: unread })}
        </Typography.Text>
        <Button
          size="small"
          disabled={unread === 0}
          onClick={async () => {
            await shareApi.markAllRead();
            window.dispatchEvent(new Event('pdx:notifications'));
            await load();
          }}
          data-testid="read-all"
        >
          {t('share.readAll')}
        </Button>
      </Space>
      <List<Notification>
        loading={!items}
        dataSource={items ?? []}
        locale={{ emptyText: t('share.noNotifications') }}
        bordered
        renderItem={(n) => (
          <List.Item
            data-testid="notification"
            style={{ background: n.readAt ? undefined : '#f0f7ff', cursor: 'pointer' }}
            onClick={() => void open(n)}
            actions={[
              !n.readAt && (
                <Button
                  key="read"
                  type="link"
                  size="small"
                  onClick={async (e) => {
                    e.stopPropagation();
                    await shareApi.markRead(n.id);
                    window.dispatchEvent(new Event('pdx:notifications'));
                    await load();
                  }}
                >
                  {t('share.markRead')}
                </Button>
              ),
            ]}
          >
            <List.Item.Meta
              title={
                <Space>
                  {!n.readAt && <Badge status="processing" />}
                  <Typography.Text strong={!n.readAt}>{n.title}</Typography.Text>
                  {typeof n.body.reason === 'string' && <Tag>{n.body.reason}</Tag>}
                </Space>
              }
              description={
                <Space size="middle" wrap>
                  <span>{time(n.createdAt)}</span>
                  {consoleLink(n.link) && (
                    // The whole row opens it too; the link says so (and keeps to one line on a phone).
                    <Typography.Link
                      data-testid="notification-link"
                      href={consoleLink(n.link)!}
                      onClick={(e) => e.preventDefault()}
                      style={{ whiteSpace: 'nowrap' }}
                    >
                      {t('share.openNotice')}
                    </Typography.Link>
                  )}
                </Space>
              }
            />
          </List.Item>
        )}
      />
    </Space>
  );
}

/** Header bell with the unread count; refreshed on navigation, on a 'pdx:notifications' event and every minute. */
export function NotificationBell() {
  const { t } = useI18n();
  const { has } = useAuth();
  // Roles without the sharing pages (sysadmin, auditor) read their notifications on a page of their own.
  const page = has('data_officer', 'consumer', 'secadmin') ? '/sharing?tab=notifications' : '/notifications';
  const navigate = useNavigate();
  const location = useLocation();
  // Every minute, on navigation and when another view reads one ('pdx:notifications'); a failed count keeps the last one.
  const { data: unread = 0 } = useLoad(async () => (await shareApi.notifications(true)).unread, [location.pathname, location.search], {
    every: 60_000,
    on: 'pdx:notifications',
  });
  return (
    <Tooltip title={t('share.tab.notifications')}>
      <Button type="text" onClick={() => navigate(page)} data-testid="notification-bell" aria-label={t('share.tab.notifications')}>
        <Badge count={unread} size="small" data-testid="bell-count">
          <BellOutlined style={{ fontSize: 18 }} />
        </Badge>
      </Button>
    </Tooltip>
  );
}
