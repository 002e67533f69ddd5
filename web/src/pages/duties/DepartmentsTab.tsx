/**
 * 部门履职统计: share requests per providing department, its own answering stage (GET
 * /api/v1/duties/departments): on time, late, overdue, escalated, extended. The authority sees every
 * department, a department's officers their own line (the server filters). A table whose every
 * column sorts; on a phone one card per department, sorted by the count chosen.
 */
import { Alert, Card, Descriptions, Empty, Grid, Select, Space, Table, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { dutiesSettingsApi, type DepartmentCount } from '../../api/duties.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

type Count = Exclude<keyof DepartmentCount, 'orgId' | 'orgName'>;
/** Every count the API answers, in the order shown; `warn`: red when not zero (the compiler checks none is missing). */
const COUNTS: Record<Count, { warn?: boolean }> = {
  requests: {},
  open: {},
  answeredOnTime: {},
  answeredLate: { warn: true },
  overdueOpen: { warn: true },
  escalated: { warn: true },
  extended: {},
};
const KEYS = Object.keys(COUNTS) as Count[];

function Figure({ d, k }: { d: DepartmentCount; k: Count }) {
  const { num } = useI18n();
  return (
    <Typography.Text type={COUNTS[k].warn && d[k] > 0 ? 'danger' : undefined} data-testid={`dept-${k}`}>
      {num(d[k])}
    </Typography.Text>
  );
}

function DepartmentTable({ items, loading }: { items: DepartmentCount[]; loading: boolean }) {
  const { t, lang } = useI18n();
  const columns: TableColumnsType<DepartmentCount> = [
    {
      title: t('dept.org'),
      dataIndex: 'orgName',
      sorter: (a, b) => a.orgName.localeCompare(b.orgName, lang === 'zh' ? 'zh-CN' : 'en'),
      render: (name: string) => <span data-testid="dept-org">{name}</span>,
    },
    ...KEYS.map((k) => ({
      title: t(`dept.${k}`),
      key: k,
      align: 'right' as const,
      width: 110,
      sorter: (a: DepartmentCount, b: DepartmentCount) => a[k] - b[k],
      render: (_: unknown, d: DepartmentCount) => <Figure d={d} k={k} />,
    })),
  ];
  return (
    <Table<DepartmentCount>
      rowKey="orgId"
      size="small"
      loading={loading}
      dataSource={items}
      columns={columns}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      showSorterTooltip={false}
      locale={{ emptyText: <Empty description={t('dept.empty')} /> }}
      data-testid="dept-table"
    />
  );
}

/** On a phone: one card per department with every count, most of the chosen count first. */
function DepartmentCards({ items }: { items: DepartmentCount[] }) {
  const { t } = useI18n();
  const [by, setBy] = useState<Count>('overdueOpen');
  const sorted = [...items].sort((a, b) => b[by] - a[by]);
  if (items.length === 0) return <Empty description={t('dept.empty')} />;
  return (
    <Space direction="vertical" size={8} style={{ width: '100%' }} data-testid="dept-cards">
      <Select
        value={by}
        onChange={setBy}
        options={KEYS.map((k) => ({ value: k, label: t(`dept.${k}`) }))}
        prefix={t('dept.sortBy')}
        style={{ width: '100%' }}
        aria-label={t('dept.sortBy')}
        data-testid="dept-sort"
      />
      {sorted.map((d) => (
        <Card key={d.orgId} size="small" title={<span data-testid="dept-org">{d.orgName}</span>} data-testid="dept-card">
          <Descriptions size="small" column={2} colon={false} items={KEYS.map((k) => ({ key: k, label: t(`dept.${k}`), children: <Figure d={d} k={k} /> }))} />
        </Card>
      ))}
    </Space>
  );
}

export function DepartmentsTab() {
  const { t } = useI18n();
  const { has } = useAuth();
  const phone = Grid.useBreakpoint().md === false;
  const { data, loading, error } = useLoad(() => dutiesSettingsApi.departments(), []);
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {error && <Alert type="error" showIcon message={error} />}
      {!has('secadmin') && <Alert type="info" showIcon message={t('dept.scopeOwn')} />}
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t('dept.hint')}
      </Typography.Paragraph>
      {phone ? data && <DepartmentCards items={data} /> : <DepartmentTable items={data ?? []} loading={loading} />}
    </Space>
  );
}
