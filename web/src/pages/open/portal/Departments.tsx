import { Alert, Card, Col, List, Row, Skeleton, Space, Typography } from 'antd';
import { Link, useParams } from 'react-router-dom';
import { portalApi } from '../../../api/open.ts';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { DatasetCard, number } from './common.tsx';

/** Departments with open datasets. */
export function DepartmentsPage() {
  const { t } = useI18n();
  const { data: items, error } = useLoad(async () => (await portalApi.departments()).items, []);
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!items) return <Skeleton active />;
  return (
    <Card title={t('op.nav.departments')} size="small">
      <List
        dataSource={items}
        renderItem={(d) => (
          <List.Item>
            <List.Item.Meta
              title={
                <Link to={`/open/departments/${d.id}`} data-testid={`department-${d.name}`}>
                  {d.name}
                </Link>
              }
              description={`${d.region} · ${d.datasets} ${t('op.dept.datasets')} · ${number(d.downloads)} ${t('op.dept.downloads')} · ${number(d.apiCalls)} ${t('op.dept.calls')}`}
            />
          </List.Item>
        )}
      />
    </Card>
  );
}

/** One department and its open datasets. */
export function DepartmentPage() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const { data: d, error } = useLoad(() => portalApi.department(id), [id]);
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!d) return <Skeleton active />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small">
        <Typography.Title level={3} style={{ margin: 0 }}>
          {d.name}
        </Typography.Title>
        <Typography.Text type="secondary">
          {d.region} · {d.datasets} {t('op.dept.datasets')} · {number(d.downloads)} {t('op.dept.downloads')} · {number(d.apiCalls)} {t('op.dept.calls')}
        </Typography.Text>
      </Card>
      <Row gutter={[12, 12]}>
        {d.items.map((item) => (
          <Col xs={24} md={12} key={item.code}>
            <DatasetCard d={item} />
          </Col>
        ))}
      </Row>
    </Space>
  );
}
