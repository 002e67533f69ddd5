import { Alert, Card, Descriptions, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import { useI18n } from '../i18n.tsx';

interface SystemInfo {
  name: string;
  nameEn: string;
  version: string;
  database: 'pglite' | 'postgres';
}

/** The landing page: what the platform is and whether it is healthy. */
export function OverviewPage() {
  const { t } = useI18n();
  const [info, setInfo] = useState<SystemInfo>();
  const [healthy, setHealthy] = useState<boolean>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    api<SystemInfo>('GET', '/api/v1/system/info').then(setInfo, (e: Error) => setError(e.message));
    fetch('/health').then((r) => setHealthy(r.ok), () => setHealthy(false));
  }, []);

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card>
        <Typography.Title level={3}>{t('overview.welcome')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('overview.intro')}</Typography.Paragraph>
      </Card>
      {error && <Alert type="error" message={error} />}
      <Card title={t('overview.status')}>
        <Descriptions column={1} data-testid="status">
          <Descriptions.Item label={t('overview.version')}>{info?.version ?? '…'}</Descriptions.Item>
          <Descriptions.Item label={t('overview.database')}>{info ? t(`db.${info.database}`) : '…'}</Descriptions.Item>
          <Descriptions.Item label={t('overview.health')}>
            {healthy === undefined ? '…' : <Tag color={healthy ? 'green' : 'red'}>{t(healthy ? 'overview.healthy' : 'overview.unhealthy')}</Tag>}
          </Descriptions.Item>
        </Descriptions>
      </Card>
    </Space>
  );
}
