import { Alert, Card, Col, Input, Row, Skeleton, Space, Statistic, Tag, Typography } from 'antd';
import { useNavigate } from 'react-router-dom';
import { portalApi } from '../../../api/open.ts';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { DatasetCard } from './common.tsx';

/** The portal's home: search, figures, the newest and the most used datasets, the fields. */
export function HomePage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { data: home, error } = useLoad(() => portalApi.home(), []);
  const search = (q: string) => navigate(`/open/datasets${q.trim() ? `?q=${encodeURIComponent(q.trim())}` : ''}`);
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Card style={{ background: 'linear-gradient(120deg, #0e7c66, #1668dc)', border: 'none' }}>
        <Typography.Title level={2} style={{ color: '#fff', marginTop: 0 }}>
          {t('op.title')}
        </Typography.Title>
        <Typography.Paragraph style={{ color: '#e6fffa' }}>{t('op.subtitle')}</Typography.Paragraph>
        <Input.Search
          size="large"
          placeholder={t('op.search.placeholder')}
          enterButton={t('op.search.button')}
          onSearch={search}
          data-testid="portal-search"
          allowClear
        />
      </Card>
      {error ? (
        <Alert type="error" showIcon message={error} />
      ) : !home ? (
        <Skeleton active />
      ) : (
        <>
          <Row gutter={[12, 12]}>
            {(
              [
                ['op.stats.datasets', home.stats.datasets],
                ['op.stats.departments', home.stats.departments],
                ['op.stats.rows', home.stats.rows],
                ['op.stats.downloads', home.stats.downloads],
                ['op.stats.apiCalls', home.stats.apiCalls],
              ] as const
            ).map(([label, value]) => (
              <Col key={label} flex="1 1 150px">
                <Card size="small">
                  <Statistic title={t(label)} value={value} data-testid={`stat-${label}`} />
                </Card>
              </Col>
            ))}
          </Row>
          {home.domains.length > 0 && (
            <Card size="small" title={t('op.home.domains')}>
              <Space size={[8, 8]} wrap>
                {home.domains.map((d) => (
                  <Tag
                    key={d.name}
                    color="blue"
                    style={{ cursor: 'pointer', fontSize: 14, padding: '4px 10px' }}
                    onClick={() => navigate(`/open/datasets?domain=${encodeURIComponent(d.name)}`)}
                  >
                    {d.name} · {d.datasets}
                  </Tag>
                ))}
              </Space>
            </Card>
          )}
          {(
            [
              ['op.home.newest', home.newest, 'newest'],
              ['op.home.popular', home.popular, 'popular'],
            ] as const
          ).map(([title, items, id]) => (
            <Card key={id} title={t(title)} size="small" data-testid={`home-${id}`}>
              <Row gutter={[12, 12]}>
                {items.map((d) => (
                  <Col xs={24} md={12} lg={8} key={d.code}>
                    <DatasetCard d={d} />
                  </Col>
                ))}
              </Row>
            </Card>
          ))}
        </>
      )}
    </Space>
  );
}
