import { DownloadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Form,
  Input,
  List,
  Modal,
  Rate,
  Result,
  Skeleton,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../../../api/client.ts';
import { portalApi, type Application, type Cell, type DatasetPage as Page, type Preview as PreviewData } from '../../../api/open.ts';
import { Chart } from '../../../components/Chart.tsx';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { number, OpenTypeTag, percent, useLabel, useSociety } from './common.tsx';

function Preview({ code, conditional }: { code: string; conditional: boolean }) {
  const { t } = useI18n();
  // A conditionally open dataset shows its rows only to an approved applicant: "locked" for others.
  const { data: loaded, error } = useLoad(async () => {
    try {
      return await portalApi.preview(code);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403) && conditional) return 'locked' as const;
      throw e;
    }
  }, [code, conditional]);
  if (loaded === 'locked') return <Empty description={t('op.preview.locked')} />;
  if (error) return <Alert type="error" showIcon message={error} />;
  const data: PreviewData | undefined = loaded;
  if (!data) return <Skeleton active />;
  return (
    <Table
      size="small"
      rowKey={(_, i) => String(i)}
      dataSource={data.rows}
      pagination={false}
      scroll={{ x: 'max-content' }}
      data-testid="preview-table"
      columns={data.columns.map((c) => ({
        title: c,
        dataIndex: c,
        render: (v: Cell) =>
          v === null ? <Typography.Text type="secondary">—</Typography.Text> : typeof v === 'boolean' ? t(v ? 'op.yes' : 'op.no') : String(v),
      }))}
    />
  );
}

function ApplyButton({ page }: { page: Page }) {
  const { t, time, colon } = useI18n();
  const { me } = useSociety();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState<string>();
  const [form] = Form.useForm();
  const { data: mine } = useLoad(
    async (): Promise<Application | undefined> =>
      (await portalApi.myApplications()).items.find((a) => a.dataset.code === page.code && (a.state === 'approved' || a.state === 'submitted')),
    [me, page.code],
    { when: Boolean(me?.verified) },
  );
  if (mine?.state === 'approved' && mine.terms)
    return (
      <Tag color="success" data-testid="approved">
        {t('op.app.approved')} · {t('op.app.until')} {mine.terms.until}
      </Tag>
    );
  if (mine?.state === 'submitted')
    return (
      <Tag color="processing">
        {t('op.app.submitted')} · {t('op.app.due')} {time(mine.dueAt)}
      </Tag>
    );
  if (!me?.verified) {
    return (
      <Link to={me ? '/open/account' : `/open/login?next=${encodeURIComponent(`/open/datasets/${page.code}`)}`}>
        <Button>{t('op.apply.signIn')}</Button>
      </Link>
    );
  }
  if (done) return <Alert type="success" showIcon message={`${t('op.apply.done')} ${time(done)}`} data-testid="apply-done" />;
  const submit = async () => {
    const v = await form.validateFields();
    try {
      const res = await portalApi.apply(page.code, {
        purpose: v.purpose,
        intendedUse: v.intendedUse,
        applicant: {
          name: v.name,
          ...(v.organization ? { organization: v.organization } : {}),
          ...(v.uscc ? { uscc: v.uscc } : {}),
          ...(v.phone ? { phone: v.phone } : {}),
        },
      });
      setDone(res.dueAt);
      setOpen(false);
    } catch (error) {
      message.error((error as Error).message);
    }
  };
  return (
    <>
      <Button type="primary" onClick={() => setOpen(true)} data-testid="apply">
        {t('op.apply')}
      </Button>
      <Modal
        open={open}
        title={`${t('op.apply.title')}${colon}${page.name}`}
        onCancel={() => setOpen(false)}
        onOk={() => void submit()}
        okText={t('op.apply.submit')}
        okButtonProps={{ 'data-testid': 'apply-submit' }}
      >
        <Form
          form={form}
          layout="vertical"
          initialValues={{ name: me.displayName, organization: me.orgName ?? '', uscc: me.uscc ?? '', phone: me.phone ?? '' }}
        >
          <Form.Item name="purpose" label={t('op.apply.purpose')} rules={[{ required: true, min: 2 }]}>
            <Input data-testid="apply-purpose" />
          </Form.Item>
          <Form.Item name="intendedUse" label={t('op.apply.intendedUse')} rules={[{ required: true, min: 2 }]}>
            <Input.TextArea rows={3} data-testid="apply-intended-use" />
          </Form.Item>
          <Form.Item name="name" label={t('op.apply.name')} rules={[{ required: true }]}>
            <Input data-testid="apply-name" />
          </Form.Item>
          <Form.Item name="organization" label={t('op.apply.org')}>
            <Input />
          </Form.Item>
          <Form.Item name="uscc" label={t('op.apply.uscc')}>
            <Input />
          </Form.Item>
          <Form.Item name="phone" label={t('op.apply.phone')}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function Comments({ page }: { page: Page }) {
  const { t, time } = useI18n();
  const { me } = useSociety();
  const [sent, setSent] = useState(false);
  const [form] = Form.useForm();
  const { message } = App.useApp();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <List
        locale={{ emptyText: t('op.comment.none') }}
        dataSource={page.comments}
        renderItem={(c) => (
          <List.Item>
            <List.Item.Meta
              title={
                <Space>
                  {c.author}
                  <Rate disabled value={c.rating} style={{ fontSize: 12 }} />
                  <Typography.Text type="secondary">{time(c.createdAt)}</Typography.Text>
                </Space>
              }
              description={<Typography.Paragraph style={{ whiteSpace: 'pre-wrap', marginBottom: 0 }}>{c.body}</Typography.Paragraph>}
            />
          </List.Item>
        )}
      />
      {sent ? (
        <Alert type="success" message={t('op.comment.pending')} />
      ) : me?.verified ? (
        <Card size="small" title={t('op.comment.add')}>
          <Form
            form={form}
            layout="vertical"
            onFinish={(v: { rating: number; body: string }) =>
              portalApi.comment(page.code, v).then(
                () => setSent(true),
                (e: Error) => message.error(e.message),
              )
            }
          >
            <Form.Item name="rating" label={t('op.comment.rating')} rules={[{ required: true }]}>
              <Rate />
            </Form.Item>
            <Form.Item name="body" label={t('op.comment.body')} rules={[{ required: true, min: 2 }]}>
              <Input.TextArea rows={3} maxLength={2000} />
            </Form.Item>
            <Button htmlType="submit">{t('op.comment.submit')}</Button>
          </Form>
        </Card>
      ) : (
        <Typography.Text type="secondary">{t('op.comment.signIn')}</Typography.Text>
      )}
    </Space>
  );
}

function ApiTab({ page }: { page: Page }) {
  const { t } = useI18n();
  const origin = window.location.origin;
  const column = page.columns[0]?.name;
  const examples = [
    `curl "${origin}/api/v1/open/datasets/${page.code}/records?limit=100"`,
    `curl -H "Authorization: Bearer pdxo_…" "${origin}/api/v1/open/datasets/${page.code}/records?limit=1000&after=<next>"`,
    ...(column ? [`curl "${origin}/api/v1/open/datasets/${page.code}/records?${encodeURIComponent(column)}=<值>"`] : []),
    `curl -OJ "${origin}/api/v1/open/datasets/${page.code}/download?format=csv"`,
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Paragraph>{t('op.api.intro')}</Typography.Paragraph>
      {examples.map((e) => (
        <Typography.Paragraph key={e} code copyable style={{ wordBreak: 'break-all' }} data-testid="api-example">
          {e}
        </Typography.Paragraph>
      ))}
      <Space wrap>
        <a href="/api/v1/open/openapi.json" target="_blank" rel="noreferrer">
          {t('op.api.doc')}
        </a>
        <Link to="/open/account">{t('op.api.keyHint')}</Link>
      </Space>
    </Space>
  );
}

function Deidentification({ page }: { page: Page }) {
  const { t, sep } = useI18n();
  const d = page.deidentification;
  const risk = d.risks;
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="deid">
      <Alert type="info" showIcon message={t('op.deid.intro')} />
      {d.quasiIdentifiers.length === 0 && <Typography.Text type="secondary">{t('op.deid.none')}</Typography.Text>}
      <Space size={24} wrap>
        <Statistic title={t('op.deid.k')} value={d.k ?? '—'} />
        <Statistic title={t('op.deid.l')} value={d.l.length ? Math.min(...d.l.map((l) => l ?? 0)) : '—'} />
        <Statistic title={t('op.deid.suppression')} value={percent(d.suppression)} />
        <Statistic title={t('op.deid.loss')} value={percent(d.informationLoss)} />
        {risk && <Statistic title={t('op.deid.prosecutor')} value={percent(risk.prosecutor.highestRisk)} />}
        {risk && <Statistic title={t('op.deid.journalist')} value={percent(risk.journalist.highestRisk)} />}
        {risk && <Statistic title={t('op.deid.marketer')} value={percent(risk.marketer.successRate)} />}
      </Space>
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('op.deid.thresholds')}>
          k ≥ {d.thresholds.k} · l ≥ {d.thresholds.l} · ≤ {percent(d.thresholds.maxSuppression, 0)}
        </Descriptions.Item>
        <Descriptions.Item label={t('op.deid.qi')}>{d.quasiIdentifiers.join(sep) || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('op.deid.sensitive')}>{d.sensitive.join(sep) || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('op.deid.removed')}>{d.removedColumns}</Descriptions.Item>
      </Descriptions>
    </Space>
  );
}

/** A dataset page: metadata, downloads, preview, data dictionary, chart, API, history, reviews, de-identification. */
export function DatasetPage() {
  const { code = '' } = useParams();
  const { t, time, lang, paren } = useI18n();
  const label = useLabel();
  // null: no such open dataset (or no longer open).
  const { data: page, error } = useLoad(async (): Promise<Page | null> => {
    try {
      return await portalApi.dataset(code);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }, [code]);
  const chart = useMemo(
    () =>
      page?.chart
        ? {
            tooltip: {},
            grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
            xAxis: { type: 'category' as const, data: page.chart.values.map((v) => v.value), axisLabel: { rotate: page.chart.values.length > 6 ? 30 : 0 } },
            yAxis: { type: 'value' as const },
            series: [{ type: 'bar' as const, data: page.chart.values.map((v) => v.count), itemStyle: { color: '#0e7c66' } }],
          }
        : undefined,
    [page],
  );
  if (error) return <Alert type="error" showIcon message={error} />;
  if (page === undefined) return <Skeleton active />;
  if (page === null) return <Result status="404" title={t('op.ds.notFound')} />;
  const conditional = page.openType === 'conditional';
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Card>
        <Space direction="vertical" size={8} style={{ width: '100%' }}>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="dataset-name">
            {page.name}
          </Typography.Title>
          <Space size={[4, 4]} wrap>
            <OpenTypeTag type={page.openType} />
            {page.domain && <Tag>{page.domain}</Tag>}
            {page.tags.map((tag) => (
              <Tag key={tag}>{tag}</Tag>
            ))}
          </Space>
          <Typography.Paragraph style={{ marginBottom: 0 }}>{page.summary}</Typography.Paragraph>
          {conditional && <Alert type="warning" showIcon message={t('op.conditional.notice')} />}
          <Space wrap>
            {(['csv', 'xlsx', 'json'] as const).map((f) => (
              <a key={f} href={portalApi.downloadUrl(page.code, f)} data-testid={`download-${f}`} download>
                <Button icon={<DownloadOutlined />}>
                  {t('op.ds.download')} {f.toUpperCase()}
                </Button>
              </a>
            ))}
            {conditional && <ApplyButton page={page} />}
          </Space>
        </Space>
      </Card>
      <Card size="small">
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} data-testid="dataset-meta">
          <Descriptions.Item label={t('op.ds.provider')}>
            <Link to={`/open/departments/${page.provider.id}`}>{page.provider.name}</Link>
          </Descriptions.Item>
          <Descriptions.Item label={t('op.ds.category')}>{page.category || '—'}</Descriptions.Item>
          <Descriptions.Item label={t('op.ds.cycle')}>{label('op.cycle', page.updateCycle)}</Descriptions.Item>
          <Descriptions.Item label={t('op.ds.published')}>{time(page.publishedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('op.ds.release')}>
            {page.release}
            {paren(page.code)}
          </Descriptions.Item>
          <Descriptions.Item label={t('op.ds.rows')}>{number(page.rows)}</Descriptions.Item>
          <Descriptions.Item label={t('op.ds.licence')}>{page.licence}</Descriptions.Item>
          <Descriptions.Item label={t('op.ds.quality')}>
            <span data-testid="quality">{page.quality.score}</span> / 100
          </Descriptions.Item>
          <Descriptions.Item label={t('op.ds.contact')}>
            {[page.contact.name, page.contact.phone, page.contact.email].filter(Boolean).join(' ') || '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('op.ds.downloads')}>
            <span data-testid="download-count">{number(page.downloads)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('op.ds.calls')}>{number(page.apiCalls)}</Descriptions.Item>
          <Descriptions.Item label={t('op.ds.previews')}>{number(page.previews)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card size="small">
        <Tabs
          items={[
            { key: 'preview', label: t('op.tab.preview'), children: <Preview code={page.code} conditional={conditional} /> },
            {
              key: 'dictionary',
              label: t('op.tab.dictionary'),
              children: (
                <Table
                  size="small"
                  rowKey="name"
                  pagination={false}
                  scroll={{ x: 'max-content' }}
                  dataSource={page.columns}
                  data-testid="dictionary"
                  columns={[
                    { title: t('op.dict.name'), dataIndex: 'name' },
                    { title: t('op.dict.type'), dataIndex: 'dataType', render: (v: string) => label('op.type', v) },
                    { title: t('op.dict.description'), dataIndex: 'description' },
                    {
                      title: t('op.dict.generalization'),
                      dataIndex: 'generalization',
                      render: (g: Page['columns'][number]['generalization']) => (g ? g[lang] : '—'),
                    },
                    { title: t('op.dict.completeness'), dataIndex: 'completeness', render: (v: number) => percent(v) },
                    { title: t('op.dict.distinct'), dataIndex: 'distinct', render: (v: number) => number(v) },
                  ]}
                />
              ),
            },
            ...(chart
              ? [
                  {
                    key: 'chart',
                    label: t('op.tab.chart'),
                    children: (
                      <>
                        <Typography.Text type="secondary">{page.chart!.column}</Typography.Text>
                        <Chart option={chart} height={300} testId="dataset-chart" />
                      </>
                    ),
                  },
                ]
              : []),
            { key: 'api', label: t('op.tab.api'), children: <ApiTab page={page} /> },
            {
              key: 'history',
              label: t('op.tab.history'),
              children: (
                <Table
                  size="small"
                  rowKey="release"
                  pagination={false}
                  dataSource={page.history}
                  columns={[
                    { title: t('op.history.release'), dataIndex: 'release' },
                    { title: t('op.history.version'), dataIndex: 'version' },
                    { title: t('op.history.published'), dataIndex: 'publishedAt', render: (v: string | null) => (v ? time(v) : '—') },
                    { title: t('op.history.rows'), dataIndex: 'rows', render: (v: number | null) => (v === null ? '—' : number(v)) },
                    {
                      title: t('op.history.state'),
                      dataIndex: 'state',
                      render: (s: string, h) => (
                        <Space>
                          {t(s === 'published' ? 'op.state.published' : s === 'withdrawn' ? 'op.state.withdrawn' : 'op.state.superseded')}
                          {h.reason && <Typography.Text type="secondary">{h.reason}</Typography.Text>}
                        </Space>
                      ),
                    },
                  ]}
                />
              ),
            },
            { key: 'comments', label: `${t('op.tab.comments')}${page.ratings ? ` ${page.rating ?? ''}★` : ''}`, children: <Comments page={page} /> },
            { key: 'deid', label: t('op.tab.deid'), children: <Deidentification page={page} /> },
          ]}
        />
      </Card>
    </Space>
  );
}
