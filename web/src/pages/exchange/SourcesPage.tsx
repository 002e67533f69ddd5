import { Alert, App, Button, Descriptions, Drawer, Form, Input, InputNumber, Modal, Radio, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { sourcesApi, type Binding, type Run, type Source, type SourceInput, type SourceTest } from '../../api/exchange.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { BindingWizard } from './BindingWizard.tsx';
import { useScheduleText } from './DatasetBinding.tsx';

const RUN_COLOR = { running: 'processing', succeeded: 'green', unchanged: 'default', failed: 'red' } as const;

/**
 * 数据源: a data officer's department databases (register, test, edit, disable), the bindings of
 * datasets to their tables (the wizard, run now, schedule) and each binding's run history.
 */
/** WAL bytes as B / KB / MB. */
const formatBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

export function SourcesPage() {
  const { t, time, lang, paren, colon } = useI18n();
  const { message, modal } = App.useApp();
  const [params, setParams] = useSearchParams();
  const { data, reload, error } = useLoad(() => Promise.all([sourcesApi.list(), sourcesApi.bindings()]), []);
  const [sources = [], bindings = []] = data ?? [];
  const [editing, setEditing] = useState<Source | 'new' | undefined>();
  const [tested, setTested] = useState<{ source: Source; result: SourceTest } | undefined>();
  const [wizard, setWizard] = useState<{ sourceId?: string; dataset?: string } | undefined>(params.get('bind') ? { dataset: params.get('bind')! } : undefined);
  const [history, setHistory] = useState<Binding | undefined>();
  const [form] = Form.useForm<SourceInput>();
  const text = (m: { zh: string; en: string } | null | undefined) => (m ? m[lang] : '');
  const fail = (e: unknown) => message.error((e as Error).message);

  const runs = useLoad(() => sourcesApi.runs(history!.dataset), [history?.dataset], { when: !!history, every: history ? 2000 : undefined });
  const cdc = history?.mode === 'cdc';
  const lag = useLoad(() => sourcesApi.lag(history!.dataset), [history?.dataset], { when: cdc, every: cdc ? 2000 : undefined });

  async function save(values: SourceInput) {
    try {
      if (editing === 'new') await sourcesApi.add(values);
      else if (editing) {
        const { kind: _kind, ...changes } = values;
        await sourcesApi.update(editing.id, { ...changes, password: changes.password || undefined });
      }
      setEditing(undefined);
      await reload();
    } catch (e) {
      fail(e);
    }
  }

  async function test(source: Source) {
    try {
      setTested({ source, result: await sourcesApi.test(source.id) });
    } catch (e) {
      fail(e);
    }
  }

  async function runNow(b: Binding) {
    try {
      await sourcesApi.sync(b.dataset);
      message.info(t('sources.syncQueued'));
      setHistory(b);
    } catch (e) {
      fail(e);
    }
  }

  const unbind = (b: Binding) =>
    modal.confirm({
      title: t('sources.unbind'),
      content: t('sources.unbindConfirm', { dataset: b.datasetName }),
      okButtonProps: { danger: true },
      onOk: async () => {
        await sourcesApi.unbind(b.dataset);
        await reload();
      },
    });

  const closeWizard = (changed: boolean) => {
    setWizard(undefined);
    if (params.has('bind')) setParams({}, { replace: true });
    if (changed) void reload();
  };

  const schedule = useScheduleText();

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary">{t('sources.intro')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon message={error} />}
      <div>
        <Space style={{ marginBottom: 12 }} wrap>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('sources.title')}
          </Typography.Title>
          <Button type="primary" onClick={() => setEditing('new')} data-testid="source-add">
            {t('sources.add')}
          </Button>
        </Space>
        <Table<Source>
          rowKey="id"
          size="small"
          pagination={false}
          scroll={{ x: 'max-content' }}
          dataSource={sources}
          data-testid="sources-table"
          columns={[
            { title: t('sources.name'), dataIndex: 'name' },
            { title: t('sources.kind'), dataIndex: 'kind', render: (k: string) => (k === 'mysql' ? 'MySQL / MariaDB' : 'PostgreSQL') },
            { title: t('sources.address'), render: (_, r) => <Typography.Text code>{`${r.user}@${r.host}:${r.port}/${r.database}`}</Typography.Text> },
            { title: 'TLS', dataIndex: 'tls' },
            {
              title: t('sources.state'),
              dataIndex: 'state',
              render: (s: Source['state']) => <Tag color={s === 'active' ? 'green' : 'default'}>{t(`sources.state.${s}`)}</Tag>,
            },
            {
              title: t('common.actions'),
              render: (_, r) => (
                <Space size={0} wrap>
                  <Button type="link" onClick={() => void test(r)} data-testid={`source-test-${r.name}`}>
                    {t('sources.test')}
                  </Button>
                  <Button type="link" onClick={() => setEditing(r)}>
                    {t('sources.edit')}
                  </Button>
                  {r.state === 'active' && (
                    <Button type="link" onClick={() => setWizard({ sourceId: r.id })} data-testid={`source-bind-${r.name}`}>
                      {t('sources.bind')}
                    </Button>
                  )}
                  <Button
                    type="link"
                    danger={r.state === 'active'}
                    onClick={() => void sourcesApi.setState(r.id, r.state === 'active' ? 'disabled' : 'active').then(reload, fail)}
                  >
                    {r.state === 'active' ? t('sources.disable') : t('sources.enable')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      </div>

      <div>
        <Space style={{ marginBottom: 12 }} wrap>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('sources.bindings')}
          </Typography.Title>
          <Button disabled={!sources.some((s) => s.state === 'active')} onClick={() => setWizard({})}>
            {t('sources.bind')}
          </Button>
        </Space>
        <Table<Binding>
          rowKey="id"
          size="small"
          pagination={false}
          scroll={{ x: 'max-content' }}
          dataSource={bindings}
          data-testid="bindings-table"
          columns={[
            { title: t('sources.dataset'), render: (_, b) => `${b.datasetName}${paren(b.dataset)}` },
            { title: t('sources.from'), render: (_, b) => <Typography.Text code>{`${b.sourceName}:${b.schema}.${b.table}`}</Typography.Text> },
            { title: t('sources.mode'), dataIndex: 'mode', render: (m: Binding['mode']) => t(`sources.mode.${m}`) },
            { title: t('sources.schedule'), render: (_, b) => (b.mode === 'cdc' ? t('sources.continuous') : schedule(b)) },
            { title: t('sources.nextRun'), dataIndex: 'nextRunAt', render: (v: string | null) => (v ? time(v) : '—') },
            {
              title: t('sources.state'),
              render: (_, b) =>
                b.lastError ? (
                  <Typography.Text type="danger">
                    {t('sources.failures', { n: b.consecutiveFailures })}
                    {colon}
                    {text(b.lastError.message)}
                  </Typography.Text>
                ) : (
                  <Tag color="green">{b.lastVersion ? t('sources.atVersion', { n: b.lastVersion }) : t('sources.notRun')}</Tag>
                ),
            },
            {
              title: t('common.actions'),
              render: (_, b) => (
                <Space size={0} wrap>
                  {b.mode !== 'cdc' && (
                    <Button type="link" onClick={() => void runNow(b)} data-testid={`binding-run-${b.dataset}`}>
                      {t('sources.runNow')}
                    </Button>
                  )}
                  <Button type="link" onClick={() => setHistory(b)} data-testid={`binding-history-${b.dataset}`}>
                    {t('sources.history')}
                  </Button>
                  <Button type="link" danger onClick={() => unbind(b)}>
                    {t('sources.unbind')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      </div>

      <Modal
        open={editing !== undefined}
        title={editing === 'new' ? t('sources.add') : t('sources.edit')}
        onCancel={() => setEditing(undefined)}
        onOk={() => form.submit()}
        okText={editing === 'new' ? t('common.create') : t('common.save')}
        okButtonProps={{ 'data-testid': 'source-save' } as Record<`data-${string}`, string>}
        destroyOnHidden
        width={560}
      >
        <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('sources.hint')} />
        <Form
          form={form}
          layout="vertical"
          onFinish={save}
          initialValues={editing && editing !== 'new' ? { ...editing, password: '' } : { kind: 'postgresql', port: 5432, tls: 'verify-full' }}
        >
          <Form.Item name="name" label={t('sources.name')} rules={[{ required: true }]}>
            <Input placeholder="户籍库" data-testid="source-name" />
          </Form.Item>
          <Form.Item name="kind" label={t('sources.kind')} rules={[{ required: true }]}>
            <Radio.Group
              disabled={editing !== 'new'}
              onChange={(e) => form.setFieldValue('port', e.target.value === 'mysql' ? 3306 : 5432)}
              options={[
                { value: 'postgresql', label: 'PostgreSQL' },
                { value: 'mysql', label: 'MySQL / MariaDB' },
              ]}
            />
          </Form.Item>
          <Space wrap>
            <Form.Item name="host" label={t('sources.host')} rules={[{ required: true }]}>
              <Input placeholder="10.2.3.4" data-testid="source-host" />
            </Form.Item>
            <Form.Item name="port" label={t('sources.port')} rules={[{ required: true }]}>
              <InputNumber min={1} max={65535} data-testid="source-port" />
            </Form.Item>
          </Space>
          <Form.Item name="database" label={t('sources.database')} rules={[{ required: true }]}>
            <Input data-testid="source-database" />
          </Form.Item>
          <Space wrap>
            <Form.Item name="user" label={t('sources.user')} rules={[{ required: true }]}>
              <Input data-testid="source-user" />
            </Form.Item>
            <Form.Item
              name="password"
              label={t('sources.password')}
              rules={[{ required: editing === 'new' }]}
              extra={editing !== 'new' ? t('sources.passwordKeep') : undefined}
            >
              <Input.Password autoComplete="new-password" data-testid="source-password" />
            </Form.Item>
          </Space>
          <Form.Item name="tls" label={t('sources.tls')} extra={t('sources.tlsHint')}>
            <Radio.Group options={['verify-full', 'require', 'off'].map((v) => ({ value: v, label: v }))} data-testid="source-tls" />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.tls !== b.tls}>
            {({ getFieldValue }) =>
              getFieldValue('tls') === 'verify-full' && (
                <Form.Item
                  name="ca"
                  label={t('sources.ca')}
                  rules={[{ required: !(typeof editing === 'object' && editing.hasCa) }]}
                  extra={typeof editing === 'object' && editing.hasCa ? t('sources.caKeep') : undefined}
                >
                  <Input.TextArea rows={3} placeholder="-----BEGIN CERTIFICATE-----" />
                </Form.Item>
              )
            }
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        open={tested !== undefined}
        title={tested ? t('sources.testOf', { name: tested.source.name }) : ''}
        onCancel={() => setTested(undefined)}
        footer={null}
        width={640}
      >
        {tested && (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="source-test-result">
            {tested.result.ok ? (
              <Alert type="success" showIcon message={t('sources.reachable')} />
            ) : (
              <Alert type="error" showIcon message={t('sources.unreachable')} description={text(tested.result.error?.message)} />
            )}
            {tested.result.version && (
              <Typography.Text>
                {t('sources.version')}
                {colon}
                {tested.result.version}
              </Typography.Text>
            )}
            {tested.result.privileges && (
              <div>
                <Typography.Text>
                  {t('sources.privileges')}
                  {colon}
                </Typography.Text>
                {tested.result.privileges.map((p) => (
                  <div key={p}>
                    <Typography.Text code>{p}</Typography.Text>
                  </div>
                ))}
              </div>
            )}
            {tested.result.warnings?.map((w) => (
              <Alert key={w.en} type="warning" showIcon message={text(w)} />
            ))}
          </Space>
        )}
      </Modal>

      {wizard && (
        <BindingWizard sources={sources.filter((s) => s.state === 'active')} sourceId={wizard.sourceId} dataset={wizard.dataset} onClose={closeWizard} />
      )}

      <Drawer
        open={history !== undefined}
        width={Math.min(820, window.innerWidth)}
        title={history ? t('sources.historyOf', { dataset: history.datasetName }) : ''}
        onClose={() => {
          setHistory(undefined);
          // The run may have made a version or failed since the list was loaded.
          void reload();
        }}
      >
        {runs.error && <Alert type="error" showIcon message={runs.error} />}
        {cdc && lag.data && (
          <Descriptions size="small" column={2} style={{ marginBottom: 16 }} data-testid="binding-lag">
            <Descriptions.Item label={t('sources.lagBytes')}>
              {lag.data.bytes === null ? text(lag.data.error?.message) : formatBytes(lag.data.bytes)}
            </Descriptions.Item>
            <Descriptions.Item label={t('sources.lagSince')}>
              {lag.data.secondsSinceApplied === null ? t('sources.lagNever') : t('sources.lagSeconds', { n: lag.data.secondsSinceApplied })}
            </Descriptions.Item>
            <Descriptions.Item label={t('sources.streaming')}>
              <Tag color={lag.data.streaming ? 'green' : 'red'}>{lag.data.streaming ? t('sources.streamingYes') : t('sources.streamingNo')}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label="LSN">
              <Typography.Text code>{lag.data.lsn ?? '—'}</Typography.Text>
            </Descriptions.Item>
          </Descriptions>
        )}
        <Table<Run>
          rowKey="id"
          size="small"
          scroll={{ x: 'max-content' }}
          data-testid="binding-runs"
          dataSource={history ? (runs.data ?? []) : []}
          columns={[
            { title: t('sources.startedAt'), dataIndex: 'startedAt', render: (v: string) => time(v) },
            { title: t('sources.outcome'), dataIndex: 'state', render: (s: Run['state']) => <Tag color={RUN_COLOR[s]}>{t(`sources.run.${s}`)}</Tag> },
            { title: t('sources.version'), dataIndex: 'version', render: (v: number | null) => v ?? '' },
            { title: t('sources.rowsRead'), dataIndex: 'rowsRead' },
            { title: t('sources.rowsApplied'), dataIndex: 'rowsApplied' },
            { title: t('sources.rowsQuarantined'), dataIndex: 'rowsQuarantined' },
            { title: t('sources.rowsDeleted'), dataIndex: 'rowsDeleted' },
            { title: t('sources.duration'), dataIndex: 'durationMs', render: (v: number | null) => (v === null ? '' : `${(v / 1000).toFixed(1)} s`) },
            { title: t('sources.error'), dataIndex: 'error', render: (e: Run['error']) => (e ? text(e.message) : '') },
          ]}
        />
      </Drawer>
    </Space>
  );
}
