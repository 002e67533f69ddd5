/**
 * 我的接口: the interface operations the caller's organisation may call, one card per grant: the
 * operations with their parameters and an example call, the response fields in their granted forms,
 * the limits and the end date.
 */
import { Alert, Card, Descriptions, Empty, Space, Spin, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { gatewayApi, type Operation } from '../../api/gateway.ts';
import { shareApi } from '../../api/share.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { endDateOf, GrantStateTag, ModeTag } from '../sharing/common.tsx';

/** An example call: path parameters and required query parameters as placeholders to fill in. */
export function curlOf(origin: string, code: string, o: Operation): string {
  const query = o.parameters.filter((p) => p.in === 'query' && p.required).map((p) => `${encodeURIComponent(p.name)}=<${p.name}>`);
  const url = `${origin}/api/v1/services/${code}${o.path.replace(/\{([^}]+)\}/g, '<$1>')}${query.length ? `?${query.join('&')}` : ''}`;
  return `curl -X ${o.method} -H "Authorization: Bearer $PDX_KEY" "${url}"`;
}

/** Operations of an interface: (the registry: its id,) method, path, summary, parameters (required ones starred) and an example call. */
export function OperationsTable({ code, operations, testId, showId }: { code: string; operations: Operation[]; testId?: string; showId?: boolean }) {
  const { t, sep } = useI18n();
  const origin = window.location.origin;
  return (
    <Table<Operation>
      size="small"
      rowKey="id"
      pagination={false}
      scroll={{ x: 'max-content' }}
      dataSource={operations}
      data-testid={testId}
      columns={[
        ...(showId ? [{ title: 'ID', dataIndex: 'id' }] : []),
        { title: t('gw.method'), dataIndex: 'method', render: (m: string) => <Tag color="geekblue">{m}</Tag> },
        { title: t('gw.path'), dataIndex: 'path', render: (p: string) => <Typography.Text code>{p}</Typography.Text> },
        { title: t('gw.summary'), dataIndex: 'summary' },
        { title: t('gw.params'), render: (_, o) => o.parameters.map((p) => `${p.name}${p.required ? '*' : ''}`).join(sep) || '—' },
        {
          title: t('gw.curl'),
          render: (_, o) => (
            <Typography.Text code copyable style={{ fontSize: 12 }} data-testid="gw-curl">
              {curlOf(origin, code, o)}
            </Typography.Text>
          ),
        },
      ]}
    />
  );
}

export function MyServices() {
  const { t, sep } = useI18n();
  const { me } = useAuth();
  const { data, loading, error } = useLoad(async () => {
    const [grants, services] = await Promise.all([shareApi.grants(), gatewayApi.list()]);
    const byCode = new Map(services.map((s) => [s.code, s]));
    return grants
      .filter((g) => g.operations && g.consumerOrgId === me?.orgId && g.state === 'active')
      .map((g) => ({ grant: g, service: byCode.get(g.dataset.code) }));
  }, [me?.orgId]);

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!data) return <Spin spinning={loading} />;
  if (!data.length) return <Empty description={t('gw.mine.empty')} />;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="gw-mine">
      <Typography.Paragraph type="secondary">{t('gw.mine.hint')}</Typography.Paragraph>
      {data.map(({ grant: g, service }) => {
        const operations = (service?.operations ?? []).filter((o) => g.operations!.includes(o.id));
        return (
          <Card
            key={g.id}
            size="small"
            data-testid="gw-mine-grant"
            title={
              <Space wrap>
                <span>{g.dataset.name}</span>
                <Typography.Text code>{g.dataset.code}</Typography.Text>
                <GrantStateTag state={g.state} supersededBy={g.supersededBy} />
              </Space>
            }
            extra={<Link to={`/sharing/grants/${g.id}`}>{t('gw.mine.grant')}</Link>}
          >
            <Descriptions size="small" column={{ xs: 1, md: 3 }}>
              <Descriptions.Item label={t('gw.mine.until')}>{endDateOf(g.expiresAt) ?? t('gw.mine.noEnd')}</Descriptions.Item>
              <Descriptions.Item label={t('gw.mine.perMinute')}>{g.requestsPerMinute ?? t('gw.mine.unlimited')}</Descriptions.Item>
              <Descriptions.Item label={t('gw.mine.ips')}>{g.ipRanges.length ? g.ipRanges.join(sep) : t('gw.mine.unlimited')}</Descriptions.Item>
              <Descriptions.Item label={t('gw.mine.fields')} span={3}>
                <Space size={[8, 4]} wrap data-testid="gw-mine-fields">
                  {g.columns.map((c) => (
                    <span key={c.name}>
                      {c.name} <ModeTag mode={c.mode} />
                    </span>
                  ))}
                </Space>
              </Descriptions.Item>
            </Descriptions>
            <OperationsTable code={g.dataset.code} operations={operations} />
          </Card>
        );
      })}
    </Space>
  );
}
