/**
 * 数据回流: the provider's officer sets a dataset to flow back (region column, column modes), the
 * security administrator approves; both see per city what each organisation received and read, and
 * pause or resume the flow.
 */
import { Alert, App, Button, Card, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { getColumns, type Column } from '../../api/catalog.ts';
import { returnFlowApi, type Delivery, type ReturnFlow } from '../../api/duties.ts';
import { GRANT_MODES, type GrantMode } from '../../api/share.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { ReasonPrompt, type Ask } from './ReasonPrompt.tsx';

const STATE_COLORS: Record<ReturnFlow['state'], string> = { proposed: 'orange', active: 'green', paused: 'default', rejected: 'red' };
const GRANT_COLORS: Record<Delivery['grantState'], string> = { active: 'green', suspended: 'orange', revoked: 'red', expired: 'default', missing: 'default' };

export function ReturnFlowPage() {
  const { t, time, colon, sep, paren } = useI18n();
  const { has } = useAuth();
  const { message } = App.useApp();
  const { data: flows = [], error, reload } = useLoad(() => returnFlowApi.list(), []);
  const [open, setOpen] = useState<{ flow: ReturnFlow; deliveries: Delivery[] } | null>(null);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [columns, setColumns] = useState<Column[]>([]);
  const [modes, setModes] = useState<Record<string, GrantMode>>({});
  const [form] = Form.useForm<{ dataset: string; regionColumn: string; regionKind: 'code' | 'name'; impactAssessment?: string }>();

  const load = () => void reload();

  const show = async (id: string) => {
    try {
      setOpen(await returnFlowApi.get(id));
    } catch (e) {
      void message.error((e as Error).message);
    }
  };

  const act = async (work: () => Promise<unknown>, id?: string) => {
    try {
      await work();
      void message.success(t('duties.done'));
      load();
      if (id && open?.flow.id === id) await show(id);
    } catch (e) {
      void message.error((e as Error).message);
    }
  };

  const loadColumns = async () => {
    const code = form.getFieldValue('dataset') as string | undefined;
    if (!code) return;
    try {
      const cols = await getColumns(code);
      setColumns(cols);
      setModes(Object.fromEntries(cols.map((c) => [c.name, 'masked' as GrantMode])));
    } catch (e) {
      void message.error((e as Error).message);
    }
  };

  const submit = async () => {
    const v = await form.validateFields();
    const chosen = columns.map((c) => ({ name: c.name, mode: c.name === v.regionColumn ? 'clear' : (modes[c.name] ?? 'hidden') }));
    await act(() =>
      returnFlowApi.propose({
        dataset: v.dataset,
        regionColumn: v.regionColumn,
        regionKind: v.regionKind,
        columns: chosen,
        ...(v.impactAssessment ? { impactAssessment: v.impactAssessment } : {}),
      }),
    );
  };

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={3}>{t('duties.rf.title')}</Typography.Title>
      <Alert type="info" showIcon message={t('duties.rf.hint')} />
      {has('data_officer') && (
        <Card title={t('duties.rf.setup')}>
          <Form form={form} layout="vertical" initialValues={{ regionKind: 'code' }} data-testid="return-flow-form">
            <Space wrap align="end">
              <Form.Item name="dataset" label={t('duties.rf.dataset')} rules={[{ required: true }]}>
                <Input style={{ width: 180 }} onBlur={() => void loadColumns()} data-testid="rf-dataset" />
              </Form.Item>
              <Form.Item name="regionColumn" label={t('duties.rf.regionColumn')} rules={[{ required: true }]}>
                <Select showSearch style={{ width: 180 }} options={columns.map((c) => ({ value: c.name, label: c.name }))} data-testid="rf-region-column" />
              </Form.Item>
              <Form.Item name="regionKind" label={t('duties.rf.regionKind')}>
                <Select
                  style={{ width: 220 }}
                  options={[
                    { value: 'code', label: t('duties.rf.kind.code') },
                    { value: 'name', label: t('duties.rf.kind.name') },
                  ]}
                />
              </Form.Item>
            </Space>
            {columns.length > 0 && (
              <Form.Item label={t('duties.rf.columns')}>
                <Table<Column>
                  size="small"
                  rowKey="name"
                  pagination={false}
                  dataSource={columns}
                  columns={[
                    { title: t('duties.obj.column'), dataIndex: 'name' },
                    {
                      title: t('duties.rf.columns'),
                      render: (_, c) => (
                        <Select<GrantMode>
                          style={{ width: 160 }}
                          value={modes[c.name]}
                          onChange={(m) => setModes({ ...modes, [c.name]: m })}
                          options={GRANT_MODES.filter((m) => m !== 'redacted' || c.dataType === 'text').map((m) => ({
                            value: m,
                            label: t(`share.mode.${m}` as MessageKey),
                          }))}
                        />
                      ),
                    },
                  ]}
                />
              </Form.Item>
            )}
            <Form.Item name="impactAssessment" label={t('duties.rf.impact')}>
              <Input.TextArea rows={2} />
            </Form.Item>
            <Button type="primary" disabled={columns.length === 0} onClick={() => void submit()} data-testid="rf-submit">
              {t('duties.rf.submit')}
            </Button>
          </Form>
        </Card>
      )}
      {error && <Alert type="error" showIcon message={error} />}
      <Table<ReturnFlow>
        rowKey="id"
        dataSource={flows}
        locale={{ emptyText: t('duties.rf.empty') }}
        data-testid="return-flows"
        columns={[
          { title: t('duties.rf.dataset'), render: (_, f) => `${f.dataset.name}${paren(f.dataset.code)}` },
          { title: t('duties.rf.regionColumn'), render: (_, f) => `${f.regionColumn} · ${t(`duties.rf.kind.${f.regionKind}`)}` },
          { title: t('duties.rf.columns'), render: (_, f) => f.columns.map((c) => `${c.name}${colon}${t(`share.mode.${c.mode}` as MessageKey)}`).join(sep) },
          {
            title: t('duties.rf.state'),
            render: (_, f) => (
              <Space direction="vertical" size={0}>
                <Tag color={STATE_COLORS[f.state]} data-testid={`rf-state-${f.id}`}>
                  {t(`duties.rf.state.${f.state}`)}
                </Tag>
                {f.pauseReason && <Typography.Text type="secondary">{f.pauseReason}</Typography.Text>}
                {f.state === 'rejected' && f.decisionNote && <Typography.Text type="danger">{f.decisionNote}</Typography.Text>}
              </Space>
            ),
          },
          {
            title: '',
            render: (_, f) => (
              <Space wrap>
                <Button size="small" onClick={() => void show(f.id)} data-testid={`rf-view-${f.id}`}>
                  {t('duties.rf.view')}
                </Button>
                {has('secadmin') && f.state === 'proposed' && (
                  <>
                    <Button size="small" type="primary" onClick={() => void act(() => returnFlowApi.approve(f.id), f.id)} data-testid={`rf-approve-${f.id}`}>
                      {t('duties.rf.approve')}
                    </Button>
                    <Button size="small" onClick={() => setAsk({ title: t('duties.rf.reject'), run: (r) => returnFlowApi.reject(f.id, r) })}>
                      {t('duties.rf.reject')}
                    </Button>
                  </>
                )}
                {f.state === 'active' && (
                  <Button
                    size="small"
                    danger
                    onClick={() => setAsk({ title: t('duties.rf.pause'), run: (r) => returnFlowApi.pause(f.id, r) })}
                    data-testid={`rf-pause-${f.id}`}
                  >
                    {t('duties.rf.pause')}
                  </Button>
                )}
                {f.state === 'paused' && (
                  <Button size="small" onClick={() => void act(() => returnFlowApi.resume(f.id), f.id)} data-testid={`rf-resume-${f.id}`}>
                    {t('duties.rf.resume')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      {open && (
        <Card title={`${t('duties.rf.deliveries')}${colon}${open.flow.dataset.name}`} data-testid="rf-deliveries">
          <Table<Delivery>
            rowKey="orgId"
            size="small"
            pagination={false}
            dataSource={open.deliveries}
            columns={[
              { title: t('duties.rf.city'), render: (_, d) => d.cityName ?? d.cityCode },
              { title: t('duties.rf.org'), dataIndex: 'orgName' },
              { title: t('duties.rf.region'), render: (_, d) => `${d.regionName ?? ''} ${d.regionCode}` },
              { title: t('duties.rf.grant'), render: (_, d) => <Tag color={GRANT_COLORS[d.grantState]}>{t(`duties.rf.grant.${d.grantState}`)}</Tag> },
              { title: t('duties.rf.grantedAt'), render: (_, d) => (d.grantedAt ? time(d.grantedAt) : '—') },
              { title: t('duties.rf.rows'), render: (_, d) => (d.rowFilter ? <Typography.Text code>{d.rowFilter}</Typography.Text> : '—') },
              { title: t('duties.rf.reads'), render: (_, d) => `${d.responses} / ${d.rows}` },
              { title: t('duties.rf.lastRead'), render: (_, d) => (d.lastReadAt ? time(d.lastReadAt) : '—') },
            ]}
          />
        </Card>
      )}
      <ReasonPrompt ask={ask} placeholder={t('duties.rf.reason')} onClose={() => setAsk(null)} act={act} />
    </Space>
  );
}
