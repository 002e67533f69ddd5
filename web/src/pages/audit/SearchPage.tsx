import { DownloadOutlined, LeftOutlined, RightOutlined, SearchOutlined } from '@ant-design/icons';
import { Alert, Button, Card, DatePicker, Form, Input, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { exportUrl, RESULTS, searchRecords, type AuditRecord, type AuditResult, type RecordFilter } from '../../api/audit.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { ChainStatus } from './ChainStatus.tsx';
import { ACTION_GROUPS, actionFilter, ActionText, ActorText, rangeQuery, ResultTag, useOrgs, useRangePresets, type Range } from './common.tsx';
import { RecordDrawer } from './RecordDrawer.tsx';

interface FilterForm {
  actor?: string;
  orgId?: string;
  dataset?: string;
  action?: string;
  result?: AuditResult;
  range?: Range;
}

function filterOf(v: FilterForm): RecordFilter {
  return {
    actor_username: v.actor?.trim() || undefined,
    org_id: v.orgId,
    dataset: v.dataset?.trim() || undefined,
    ...actionFilter(v.action?.trim()),
    result: v.result,
    ...rangeQuery(v.range),
  };
}

/** auditor: search the log, page through it by seq, open a record with its proof, export the selection. */
export function AuditSearchPage() {
  const { t, time } = useI18n();
  const { orgs, orgName } = useOrgs();
  const presets = useRangePresets();
  const [form] = Form.useForm<FilterForm>();
  const [filter, setFilter] = useState<RecordFilter>({});
  const [limit, setLimit] = useState(20);
  // cursors[i] is the cursor that opens page i (undefined: the newest records).
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const { data, loading, error } = useLoad(() => searchRecords(filter, { cursor: cursors[page], limit }), [filter, cursors, page, limit]);
  // A failed search shows no page (not the previous one).
  const items = error ? [] : (data?.items ?? []);
  const next = error ? undefined : data?.nextCursor;
  const [open, setOpen] = useState<number>();
  const [actionSearch, setActionSearch] = useState('');

  function search(values: FilterForm) {
    setFilter(filterOf(values));
    setCursors([undefined]);
    setPage(0);
  }

  function goNext() {
    if (next === undefined) return;
    setCursors((c) => [...c.slice(0, page + 1), next]);
    setPage(page + 1);
  }

  // Known actions and families, plus whatever the auditor types (any action pdx may record).
  const typed = actionSearch.trim();
  const known = ACTION_GROUPS.flatMap((g) => [g.family.value, ...g.actions.map((a) => a.value)]);
  const actionOptions = [
    ...(typed && !known.includes(typed) ? [{ value: typed, label: typed }] : []),
    ...ACTION_GROUPS.map((g) => ({
      label: t(g.family.label),
      title: g.family.value,
      options: [g.family, ...g.actions].map((a) => ({ value: a.value, label: t(a.label), title: a.value })),
    })),
  ];

  return (
    <>
      <ChainStatus />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form form={form} layout="inline" onFinish={search} style={{ rowGap: 12 }} data-testid="audit-filters">
          <Form.Item name="actor" label={t('audit.col.actor')}>
            <Input allowClear placeholder={t('audit.filter.actorHint')} style={{ width: 150 }} />
          </Form.Item>
          <Form.Item name="orgId" label={t('audit.col.org')}>
            <Select allowClear showSearch={{ optionFilterProp: 'label' }} style={{ width: 200 }} options={orgs.map((o) => ({ value: o.id, label: o.name }))} />
          </Form.Item>
          <Form.Item name="dataset" label={t('audit.col.dataset')}>
            <Input allowClear placeholder={t('audit.filter.datasetHint')} style={{ width: 150 }} />
          </Form.Item>
          <Form.Item name="action" label={t('audit.col.action')}>
            <Select
              allowClear
              showSearch={{ onSearch: setActionSearch, filterOption: matchesLabelOrCode }}
              style={{ width: 260 }}
              popupMatchSelectWidth={340}
              options={actionOptions}
              placeholder={t('audit.filter.actionHint')}
              onChange={() => setActionSearch('')}
            />
          </Form.Item>
          <Form.Item name="result" label={t('audit.col.result')}>
            <Select allowClear style={{ width: 110 }} options={RESULTS.map((r) => ({ value: r, label: t(`audit.result.${r}`) }))} />
          </Form.Item>
          <Form.Item name="range" label={t('audit.filter.time')}>
            <DatePicker.RangePicker showTime presets={presets} allowEmpty={[true, true]} />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="audit-search">
                {t('audit.search')}
              </Button>
              <Button
                onClick={() => {
                  form.resetFields();
                  search({});
                }}
              >
                {t('audit.reset')}
              </Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      <Space style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Text type="secondary">{t('audit.exportHint')}</Typography.Text>
        <Space>
          <Button icon={<DownloadOutlined />} href={exportUrl(filter, 'csv')} data-testid="export-csv">
            {t('audit.export.csv')}
          </Button>
          <Button icon={<DownloadOutlined />} href={exportUrl(filter, 'json')} data-testid="export-json">
            {t('audit.export.json')}
          </Button>
        </Space>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Table<AuditRecord>
        rowKey="seq"
        size="middle"
        loading={loading}
        dataSource={items}
        pagination={false}
        scroll={{ x: 1160 }}
        onRow={(r) => ({ onClick: () => setOpen(r.seq), style: { cursor: 'pointer' } })}
        data-testid="audit-records"
        columns={[
          { title: t('audit.col.seq'), dataIndex: 'seq', width: 80, render: (seq: number) => <a onClick={() => setOpen(seq)}>{seq}</a> },
          { title: t('audit.col.time'), dataIndex: 'time', width: 170, render: (v: string) => time(v) },
          { title: t('audit.col.actor'), width: 150, render: (_, r) => <ActorText username={r.actorUsername} apiKeyId={r.actorApiKeyId} /> },
          { title: t('audit.col.action'), dataIndex: 'action', width: 230, render: (a: string) => <ActionText action={a} /> },
          { title: t('audit.col.result'), dataIndex: 'result', width: 80, render: (r: AuditResult) => <ResultTag result={r} /> },
          { title: t('audit.col.dataset'), dataIndex: 'dataset', width: 130, render: (d: string | null) => d ?? '' },
          { title: t('audit.col.org'), dataIndex: 'actorOrgId', width: 190, render: (id: string | null) => orgName(id) },
          { title: t('audit.col.ip'), dataIndex: 'clientIp', width: 130, render: (v: string | null) => v ?? '' },
        ]}
      />
      <Space style={{ marginTop: 12, width: '100%', justifyContent: 'flex-end' }} wrap>
        <Typography.Text type="secondary" data-testid="audit-page">
          {t('audit.page')} {page + 1}
        </Typography.Text>
        <Button icon={<LeftOutlined />} disabled={page === 0} onClick={() => setPage(page - 1)} data-testid="audit-prev">
          {t('audit.prev')}
        </Button>
        <Button disabled={next === undefined} onClick={goNext} data-testid="audit-next">
          {t('audit.next')} <RightOutlined />
        </Button>
        <Select
          value={limit}
          style={{ width: 130 }}
          onChange={(v) => {
            setLimit(v);
            setCursors([undefined]);
            setPage(0);
          }}
          options={[20, 50, 100, 200].map((n) => ({ value: n, label: `${n} ${t('audit.perPage')}` }))}
        />
      </Space>
      <RecordDrawer seq={open} onClose={() => setOpen(undefined)} />
    </>
  );
}

/** Auditors search actions by their label or, if they know it, by the recorded code (shown as the option's tooltip). */
function matchesLabelOrCode(input: string, option?: { label?: unknown; value?: unknown }): boolean {
  const needle = input.trim().toLowerCase();
  return [option?.label, option?.value].some((v) => typeof v === 'string' && v.toLowerCase().includes(needle));
}
