import { Alert, App, Button, Drawer, Form, Input, InputNumber, Modal, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { waitForJob } from '../../api/catalog.ts';
import { exchangeApi, type Delivery, type Subscription, type Target, type TargetInput } from '../../api/exchange.ts';
import { shareApi, type Grant } from '../../api/share.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

const STATE_COLOR = { active: 'green', paused: 'default', stopped: 'red' } as const;
const DELIVERY_COLOR = { running: 'processing', delivered: 'green', unchanged: 'default', failed: 'red', refused: 'orange', stopped: 'red' } as const;

/**
 * 推送订阅: the consumer organisation's target databases and its subscriptions (the granted view
 * delivered into a table of its own database), with pause, deliver-now and the delivery history.
 */
export function PushPage() {
  const { t, time, lang, colon, paren } = useI18n();
  const { message, modal } = App.useApp();
  const { data, reload } = useLoad(() => Promise.all([exchangeApi.targets(), exchangeApi.subscriptions()]), []);
  const [targets = [], subs = []] = data ?? [];
  const [grants, setGrants] = useState<Grant[]>([]);
  const [adding, setAdding] = useState(false);
  const [subscribing, setSubscribing] = useState(false);
  const [history, setHistory] = useState<{ sub: Subscription; rows: Delivery[] } | undefined>();
  const [targetForm] = Form.useForm<TargetInput>();
  const [subForm] = Form.useForm();
  const text = (m: { zh: string; en: string } | null | undefined) => (m ? m[lang] : '');

  const fail = (e: unknown) => message.error((e as Error).message);

  async function addTarget(values: TargetInput) {
    try {
      await exchangeApi.addTarget(values);
      setAdding(false);
      await reload();
    } catch (e) {
      fail(e);
    }
  }

  async function test(target: Target) {
    const r = await exchangeApi.testTarget(target.id);
    if (!r.ok) {
      modal.error({ title: t('push.testFailed'), content: text(r.error?.message) });
      return;
    }
    modal.info({
      title: t('push.testOk'),
      width: 640,
      content: (
        <Space direction="vertical">
          <Typography.Text>{r.version}</Typography.Text>
          {r.privileges?.map((p) => (
            <Typography.Text key={p} code>
              {p}
            </Typography.Text>
          ))}
          {r.warnings?.map((w) => (
            <Alert key={w.en} type="warning" showIcon message={text(w)} />
          ))}
        </Space>
      ),
    });
  }

  async function openSubscribe() {
    try {
      setGrants((await shareApi.grants()).filter((g) => g.state === 'active'));
      setSubscribing(true);
    } catch (e) {
      fail(e);
    }
  }

  async function subscribe(values: {
    grantId: string;
    targetId: string;
    schema?: string;
    table: string;
    mode: 'full' | 'incremental';
    intervalMinutes: number;
  }) {
    try {
      await exchangeApi.subscribe({ ...values, schema: values.schema || undefined });
      setSubscribing(false);
      await reload();
    } catch (e) {
      fail(e);
    }
  }

  async function showHistory(sub: Subscription) {
    setHistory({ sub, rows: await exchangeApi.deliveries(sub.id) });
  }

  async function deliver(sub: Subscription) {
    try {
      const { jobId } = await exchangeApi.deliver(sub.id);
      message.info(t('push.queued'));
      // Wait for the job to end (a few seconds for most tables), then show the outcome.
      await waitForJob(jobId);
      await reload();
      await showHistory(sub);
    } catch (e) {
      fail(e);
    }
  }

  const remove = (sub: Subscription) =>
    modal.confirm({
      title: t('push.remove'),
      content: t('push.removeConfirm'),
      okButtonProps: { danger: true },
      onOk: async () => {
        await exchangeApi.remove(sub.id);
        await reload();
      },
    });

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary">{t('push.intro')}</Typography.Paragraph>
      <div>
        <Space style={{ marginBottom: 12 }}>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('push.targets')}
          </Typography.Title>
          <Button onClick={() => setAdding(true)} data-testid="push-add-target">
            {t('push.addTarget')}
          </Button>
        </Space>
        <Table<Target>
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={targets}
          columns={[
            { title: t('push.name'), dataIndex: 'name' },
            { title: t('push.kind'), dataIndex: 'kind' },
            { title: t('push.address'), render: (_, r) => <Typography.Text code>{`${r.user}@${r.host}:${r.port}/${r.database}`}</Typography.Text> },
            { title: 'TLS', dataIndex: 'tls' },
            {
              title: t('push.state'),
              dataIndex: 'state',
              render: (s: Target['state']) => <Tag color={s === 'active' ? 'green' : 'default'}>{t(`push.targetState.${s}`)}</Tag>,
            },
            {
              title: t('common.actions'),
              render: (_, r) => (
                <Button type="link" onClick={() => void test(r)}>
                  {t('push.test')}
                </Button>
              ),
            },
          ]}
        />
      </div>
      <div>
        <Space style={{ marginBottom: 12 }}>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('push.subscriptions')}
          </Typography.Title>
          <Button type="primary" disabled={targets.length === 0} onClick={() => void openSubscribe()} data-testid="push-subscribe">
            {t('push.subscribe')}
          </Button>
        </Space>
        <Table<Subscription>
          rowKey="id"
          size="small"
          dataSource={subs}
          columns={[
            { title: t('push.dataset'), render: (_, s) => `${s.datasetName}${paren(s.dataset)}` },
            { title: t('push.into'), render: (_, s) => <Typography.Text code>{`${s.targetName}:${s.schema}.${s.table}`}</Typography.Text> },
            { title: t('push.mode'), dataIndex: 'mode', render: (m: Subscription['mode']) => t(`push.mode.${m}`) },
            { title: t('push.interval'), dataIndex: 'intervalMinutes', render: (n: number) => t('push.everyMinutes', { n }) },
            {
              title: t('push.state'),
              render: (_, s) => (
                <Space direction="vertical" size={0}>
                  <Tag color={STATE_COLOR[s.state]} data-testid={`push-state-${s.table}`}>
                    {t(`push.state.${s.state}`)}
                  </Tag>
                  {s.state === 'stopped' && <Typography.Text type="danger">{text(s.stopReason?.message)}</Typography.Text>}
                  {s.state !== 'stopped' && s.lastError && (
                    <Typography.Text type="danger">
                      {t('push.failures', { n: s.consecutiveFailures })}
                      {colon}
                      {text(s.lastError.message)}
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            { title: t('push.lastDelivered'), dataIndex: 'lastDeliveredAt', render: (v: string | null) => (v ? time(v) : t('common.never')) },
            {
              title: t('common.actions'),
              render: (_, s) => (
                <Space size={0} wrap>
                  {s.state !== 'stopped' && (
                    <Button type="link" onClick={() => void deliver(s)} data-testid={`push-deliver-${s.table}`}>
                      {t('push.deliverNow')}
                    </Button>
                  )}
                  {s.state !== 'stopped' && (
                    <Button type="link" onClick={() => void exchangeApi.setState(s.id, s.state === 'active' ? 'paused' : 'active').then(reload, fail)}>
                      {s.state === 'active' ? t('push.pause') : t('push.resume')}
                    </Button>
                  )}
                  <Button type="link" onClick={() => void showHistory(s)}>
                    {t('push.history')}
                  </Button>
                  <Button type="link" danger onClick={() => remove(s)}>
                    {t('push.remove')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      </div>

      <Modal
        open={adding}
        title={t('push.addTarget')}
        onCancel={() => setAdding(false)}
        onOk={() => targetForm.submit()}
        okText={t('common.create')}
        destroyOnHidden
        width={560}
      >
        <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('push.targetHint')} />
        <Form form={targetForm} layout="vertical" onFinish={addTarget} initialValues={{ kind: 'postgresql', port: 5432, tls: 'verify-full' }}>
          <Form.Item name="name" label={t('push.name')} rules={[{ required: true }]}>
            <Input placeholder="民政前置库" data-testid="target-name" />
          </Form.Item>
          <Form.Item name="kind" label={t('push.kind')} rules={[{ required: true }]}>
            <Radio.Group
              options={[
                { value: 'postgresql', label: 'PostgreSQL' },
                { value: 'mysql', label: 'MySQL / MariaDB' },
              ]}
            />
          </Form.Item>
          <Space>
            <Form.Item name="host" label={t('push.host')} rules={[{ required: true }]}>
              <Input placeholder="10.2.3.4" data-testid="target-host" />
            </Form.Item>
            <Form.Item name="port" label={t('push.port')} rules={[{ required: true }]}>
              <InputNumber min={1} max={65535} data-testid="target-port" />
            </Form.Item>
          </Space>
          <Form.Item name="database" label={t('push.database')} rules={[{ required: true }]}>
            <Input data-testid="target-database" />
          </Form.Item>
          <Space>
            <Form.Item name="user" label={t('push.user')} rules={[{ required: true }]}>
              <Input data-testid="target-user" />
            </Form.Item>
            <Form.Item name="password" label={t('push.password')} rules={[{ required: true }]}>
              <Input.Password autoComplete="new-password" data-testid="target-password" />
            </Form.Item>
          </Space>
          <Form.Item name="tls" label="TLS">
            <Radio.Group options={['verify-full', 'require', 'off'].map((v) => ({ value: v, label: v }))} />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.tls !== b.tls}>
            {({ getFieldValue }) =>
              getFieldValue('tls') === 'verify-full' && (
                <Form.Item name="ca" label={t('push.ca')} rules={[{ required: true }]}>
                  <Input.TextArea rows={3} placeholder="-----BEGIN CERTIFICATE-----" />
                </Form.Item>
              )
            }
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        open={subscribing}
        title={t('push.subscribe')}
        onCancel={() => setSubscribing(false)}
        onOk={() => subForm.submit()}
        okText={t('common.create')}
        destroyOnHidden
        width={560}
      >
        <Form form={subForm} layout="vertical" onFinish={subscribe} initialValues={{ mode: 'full', intervalMinutes: 60 }}>
          <Form.Item name="grantId" label={t('push.grant')} rules={[{ required: true }]} extra={grants.length === 0 ? t('push.noGrants') : undefined}>
            <Select
              showSearch
              optionFilterProp="label"
              data-testid="push-grant"
              options={grants.map((g) => ({ value: g.id, label: `${g.dataset.name}(${g.dataset.code})· ${g.purpose}` }))}
            />
          </Form.Item>
          <Form.Item name="targetId" label={t('push.target')} rules={[{ required: true }]}>
            <Select
              showSearch
              optionFilterProp="label"
              data-testid="push-target"
              options={targets.filter((x) => x.state === 'active').map((x) => ({ value: x.id, label: x.name }))}
            />
          </Form.Item>
          <Space>
            <Form.Item name="schema" label={t('push.schema')} extra={t('push.schemaHint')}>
              <Input placeholder="public" />
            </Form.Item>
            <Form.Item
              name="table"
              label={t('push.table')}
              rules={[{ required: true, pattern: /^[A-Za-z_][A-Za-z0-9_]{0,62}$/, message: t('push.tableRule') }]}
            >
              <Input placeholder="hukou_dibao" data-testid="push-table" />
            </Form.Item>
          </Space>
          <Form.Item name="mode" label={t('push.mode')} extra={t('push.modeHint')}>
            <Radio.Group
              options={[
                { value: 'full', label: t('push.mode.full') },
                { value: 'incremental', label: t('push.mode.incremental') },
              ]}
            />
          </Form.Item>
          <Form.Item name="intervalMinutes" label={t('push.interval')} rules={[{ required: true }]}>
            <InputNumber min={1} max={525600} addonAfter={t('push.minutes')} />
          </Form.Item>
        </Form>
      </Modal>

      <Drawer
        open={history !== undefined}
        width={720}
        title={history ? t('push.historyOf', { table: `${history.sub.schema}.${history.sub.table}` }) : ''}
        onClose={() => setHistory(undefined)}
      >
        <Table<Delivery>
          rowKey="id"
          size="small"
          data-testid="push-history"
          dataSource={history?.rows ?? []}
          columns={[
            { title: t('push.startedAt'), dataIndex: 'startedAt', render: (v: string) => time(v) },
            {
              title: t('push.outcome'),
              dataIndex: 'status',
              render: (s: Delivery['status']) => <Tag color={DELIVERY_COLOR[s]}>{t(`push.delivery.${s}`)}</Tag>,
            },
            { title: t('push.mode'), dataIndex: 'mode', render: (m: Delivery['mode']) => (m ? t(`push.mode.${m}`) : '') },
            { title: t('push.rows'), dataIndex: 'rows' },
            { title: t('push.duration'), dataIndex: 'durationMs', render: (v: number | null) => (v === null ? '' : `${(v / 1000).toFixed(1)} s`) },
            { title: t('push.error'), dataIndex: 'error', render: (e: Delivery['error']) => (e ? text(e.message) : '') },
          ]}
        />
      </Drawer>
    </Space>
  );
}
