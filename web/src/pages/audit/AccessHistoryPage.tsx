import { SearchOutlined } from '@ant-design/icons';
import { Alert, AutoComplete, Button, Card, DatePicker, Empty, Form, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { accessHistory, RESULTS, type AccessEntry, type AccessFilter, type AccessSummary, type AuditResult } from '../../api/audit.ts';
import { getColumns, searchDatasets, type Dataset } from '../../api/catalog.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { ActorText, rangeQuery, ResultTag, thisMonth, useOrgs, useRangePresets, type Range } from './common.tsx';
import { RecordDrawer } from './RecordDrawer.tsx';

interface AccessForm {
  dataset?: string;
  column?: string;
  range?: Range;
  result?: AuditResult;
}

type DatasetRef = Pick<Dataset, 'code' | 'name'>;

const PAGE = 50;
/** How a column left pdx (share module): clear is the one an auditor looks at first. */
const MODES = { clear: 'red', masked: 'blue', pseudonym: 'purple', generalized: 'cyan', verify: 'gold' } as const;
type Mode = keyof typeof MODES;
const isMode = (m: string): m is Mode => m in MODES;

/** Catalogue entries to pick from (the auditor may also type any code: withdrawn datasets stay auditable). */
function useDatasets(): DatasetRef[] {
  const { data: items = [] } = useLoad(
    () =>
      searchDatasets({ pageSize: 200 }).then(
        (r): DatasetRef[] => r.items,
        (): DatasetRef[] => [],
      ),
    [],
  );
  return items;
}

/** Column names of a catalogue dataset, as suggestions. */
function useColumns(code: string | undefined): string[] {
  const { data } = useLoad(async () => ({ code, names: (await getColumns(code!)).map((c) => c.name) }), [code], { when: !!code });
  // Another dataset's columns are no suggestion for this one, not even while its own load.
  return data && data.code === code ? data.names : [];
}

/** "Who read the 身份证号 column of 户籍人口 this month": data responses of a dataset (and column), per caller and one by one. */
export function AccessHistoryPage() {
  const { t, time, paren } = useI18n();
  const { orgName } = useOrgs();
  const presets = useRangePresets();
  const datasets = useDatasets();
  const [form] = Form.useForm<AccessForm>();
  const code = Form.useWatch('dataset', form);
  const columns = useColumns(datasets.some((d) => d.code === code) ? code : undefined);
  const [query, setQuery] = useState<AccessFilter>();
  const [summary, setSummary] = useState<AccessSummary[]>([]);
  const [entries, setEntries] = useState<AccessEntry[]>([]);
  const [next, setNext] = useState<number>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<number>();

  async function load(filter: AccessFilter, cursor: number | undefined) {
    setLoading(true);
    setError(undefined);
    try {
      const r = await accessHistory(filter, { cursor, limit: PAGE });
      setSummary(r.summary);
      setEntries((old) => (cursor === undefined ? r.entries : [...old, ...r.entries]));
      setNext(r.nextCursor);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }

  function run(v: AccessForm) {
    const filter: AccessFilter = { dataset: (v.dataset ?? '').trim(), column: v.column?.trim() || undefined, result: v.result, ...rangeQuery(v.range) };
    setQuery(filter);
    void load(filter, undefined);
  }

  const datasetName = (c: string) => datasets.find((d) => d.code === c)?.name;
  return (
    <>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">{t('access.intro')}</Typography.Paragraph>
        <Form form={form} layout="inline" onFinish={run} initialValues={{ range: thisMonth() }} style={{ rowGap: 12 }} data-testid="access-form">
          <Form.Item name="dataset" label={t('access.dataset')} rules={[{ required: true, whitespace: true, message: t('access.datasetRequired') }]}>
            <AutoComplete
              style={{ width: 260 }}
              placeholder={t('access.datasetHint')}
              options={datasets.map((d) => ({ value: d.code, label: `${d.code} · ${d.name}` }))}
              showSearch={{
                filterOption: (input, option) =>
                  String(option?.label ?? '')
                    .toLowerCase()
                    .includes(input.toLowerCase()),
              }}
            />
          </Form.Item>
          <Form.Item name="column" label={t('access.column')}>
            <AutoComplete
              style={{ width: 180 }}
              allowClear
              placeholder={t('access.columnHint')}
              options={columns.map((c) => ({ value: c }))}
              showSearch={{ filterOption: (input, option) => String(option?.value ?? '').includes(input) }}
            />
          </Form.Item>
          <Form.Item name="range" label={t('audit.filter.time')}>
            <DatePicker.RangePicker showTime presets={presets} allowEmpty={[true, true]} />
          </Form.Item>
          <Form.Item name="result" label={t('audit.col.result')}>
            <Select allowClear style={{ width: 110 }} options={RESULTS.map((r) => ({ value: r, label: t(`audit.result.${r}`) }))} />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit" icon={<SearchOutlined />} loading={loading} data-testid="access-search">
              {t('access.search')}
            </Button>
          </Form.Item>
        </Form>
      </Card>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      {!query && <Empty description={t('access.empty')} />}
      {query && (
        <>
          <Typography.Title level={5} data-testid="access-question">
            {query.column ? `${t('access.whoReadColumn')} ${query.column} · ` : `${t('access.whoRead')} `}
            {datasetName(query.dataset) ? `${datasetName(query.dataset)}${paren(query.dataset)}` : query.dataset}
          </Typography.Title>
          <Table<AccessSummary>
            rowKey={(s) => `${s.actorUserId}|${s.actorApiKeyId}|${s.actorUsername}|${s.actorOrgId}`}
            size="small"
            dataSource={summary}
            pagination={false}
            style={{ marginBottom: 24 }}
            data-testid="access-summary"
            columns={[
              { title: t('access.who'), render: (_, s) => <ActorText username={s.actorUsername} apiKeyId={s.actorApiKeyId} /> },
              { title: t('audit.col.org'), dataIndex: 'actorOrgId', render: (id: string | null) => orgName(id) },
              { title: t('access.responses'), dataIndex: 'responses', align: 'right' },
              { title: t('access.rows'), dataIndex: 'rows', align: 'right' },
              { title: t('access.first'), dataIndex: 'firstTime', render: (v: string) => time(v) },
              { title: t('access.last'), dataIndex: 'lastTime', render: (v: string) => time(v) },
            ]}
          />
          <Table<AccessEntry>
            rowKey="seq"
            size="small"
            loading={loading}
            dataSource={entries}
            pagination={false}
            scroll={{ x: 1100 }}
            data-testid="access-entries"
            columns={[
              { title: t('audit.col.seq'), dataIndex: 'seq', width: 70, render: (seq: number) => <a onClick={() => setOpen(seq)}>{seq}</a> },
              { title: t('access.when'), dataIndex: 'time', width: 170, render: (v: string) => time(v) },
              { title: t('access.who'), render: (_, e) => <ActorText username={e.actorUsername} apiKeyId={e.actorApiKeyId} /> },
              { title: t('audit.col.org'), dataIndex: 'actorOrgId', render: (id: string | null) => orgName(id) },
              {
                title: t('access.columns'),
                dataIndex: 'columns',
                render: (cols: AccessEntry['columns']) => (
                  <Space size={[0, 4]} wrap>
                    {cols.map((c) => (
                      <Tag key={c.name} color={isMode(c.mode) ? MODES[c.mode] : undefined}>
                        {c.name} · {isMode(c.mode) ? t(`access.mode.${c.mode}`) : c.mode}
                      </Tag>
                    ))}
                  </Space>
                ),
              },
              { title: t('access.rows'), dataIndex: 'rowCount', align: 'right', width: 80, render: (n: number | null) => n ?? '' },
              { title: t('access.purpose'), dataIndex: 'purpose', render: (v: string | null) => v ?? '' },
              {
                title: t('access.grant'),
                dataIndex: 'grantId',
                render: (v: string | null) =>
                  v ? (
                    <Typography.Text code title={v}>
                      {v.slice(0, 8)}
                    </Typography.Text>
                  ) : (
                    ''
                  ),
              },
              { title: t('audit.col.result'), dataIndex: 'result', width: 80, render: (r: AuditResult) => <ResultTag result={r} /> },
              { title: t('audit.col.ip'), dataIndex: 'clientIp', render: (v: string | null) => v ?? '' },
            ]}
          />
          {next !== undefined && (
            <Button style={{ marginTop: 12 }} onClick={() => void load(query, next)} loading={loading}>
              {t('access.more')}
            </Button>
          )}
        </>
      )}
      <RecordDrawer seq={open} onClose={() => setOpen(undefined)} />
    </>
  );
}
