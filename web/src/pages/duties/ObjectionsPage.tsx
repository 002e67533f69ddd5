/**
 * 数据异议与纠错: objections raised by the caller's organisation, to be answered by it, or (the
 * authority) all; raise one, answer, escalate, decide.
 */
import { Alert, App, Button, Card, Form, Input, InputNumber, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { dutiesApi, type Objection } from '../../api/duties.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { ReasonPrompt, type Ask } from './ReasonPrompt.tsx';

const STATE_COLORS: Record<Objection['state'], string> = { open: 'orange', accepted: 'green', rejected: 'default', escalated: 'red', dismissed: 'default' };


export function ObjectionsPage() {
  const { t, time, paren } = useI18n();
  const { me, has } = useAuth();
  const { message } = App.useApp();
  const { data: items = [], error, reload } = useLoad(() => dutiesApi.objections(), []);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [form] = Form.useForm<{ dataset: string; row: number; column: string; proposed: string; evidence: string }>();

  const load = () => void reload();

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      void message.success(t('duties.done'));
      load();
    } catch (e) {
      void message.error((e as Error).message);
    }
  };

  const raise = async () => {
    const v = await form.validateFields();
    await act(() => dutiesApi.raise({ dataset: v.dataset, cells: [{ row: v.row, column: v.column, proposed: v.proposed ?? null }], evidence: v.evidence }));
    form.resetFields();
  };

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={3}>{t('duties.obj.title')}</Typography.Title>
      <Alert type="info" showIcon message={t('duties.obj.hint')} />
      {(has('consumer') || has('data_officer')) && (
        <Card title={t('duties.obj.raise')}>
          <Form form={form} layout="inline" data-testid="raise-form">
            <Form.Item name="dataset" label={t('duties.obj.dataset')} rules={[{ required: true }]}>
              <Input style={{ width: 140 }} />
            </Form.Item>
            <Form.Item name="row" label={t('duties.obj.row')} rules={[{ required: true }]}>
              <InputNumber min={1} />
            </Form.Item>
            <Form.Item name="column" label={t('duties.obj.column')} rules={[{ required: true }]}>
              <Input style={{ width: 120 }} />
            </Form.Item>
            <Form.Item name="proposed" label={t('duties.obj.proposed')}>
              <Input style={{ width: 160 }} />
            </Form.Item>
            <Form.Item name="evidence" label={t('duties.obj.evidence')} rules={[{ required: true, min: 2 }]}>
              <Input style={{ width: 240 }} />
            </Form.Item>
            <Button type="primary" onClick={() => void raise()} data-testid="raise">
              {t('duties.obj.raise')}
            </Button>
          </Form>
        </Card>
      )}
      {error && <Alert type="error" showIcon message={error} />}
      <Table<Objection>
        rowKey="id"
        dataSource={items}
        locale={{ emptyText: t('duties.obj.empty') }}
        data-testid="objections"
        columns={[
          { title: t('duties.obj.dataset'), render: (_, o) => `${o.dataset.name}${paren(o.dataset.code)}` },
          {
            title: t('duties.obj.cells'),
            render: (_, o) => (
              <Space direction="vertical" size={0}>
                {o.cells.map((c) => (
                  <span key={`${c.row}-${c.column}`}>
                    #{c.row} {c.column} → <Typography.Text code>{c.proposed ?? '∅'}</Typography.Text>
                  </span>
                ))}
                <Typography.Text type="secondary">{o.evidence}</Typography.Text>
              </Space>
            ),
          },
          {
            title: t('duties.obj.state'),
            render: (_, o) => (
              <Space size={4} wrap>
                <Tag color={STATE_COLORS[o.state]} data-testid={`objection-state-${o.id}`}>
                  {t(`duties.obj.state.${o.state}` as MessageKey)}
                </Tag>
                {o.overdue && <Tag color="red">{t('duties.obj.overdue')}</Tag>}
                {o.correctionVersion !== null && <Tag>{t('duties.obj.version', { n: o.correctionVersion })}</Tag>}
              </Space>
            ),
          },
          { title: t('duties.obj.due'), render: (_, o) => time(o.dueAt) },
          {
            title: t('duties.obj.answer'),
            render: (_, o) => (
              <Space direction="vertical" size={0}>
                {o.answer && <span>{o.answer}</span>}
                {o.changes?.map((c) => (
                  <span key={`${c.row}-${c.column}`}>
                    #{c.row} {c.column}: {c.encrypted ? '***' : `${c.before ?? '∅'} → ${c.after ?? '∅'}`}
                  </span>
                ))}
                {o.escalationReason && <Typography.Text type="danger">{o.escalationReason}</Typography.Text>}
                {o.decisionNote && <Typography.Text type="secondary">{o.decisionNote}</Typography.Text>}
              </Space>
            ),
          },
          {
            title: '',
            render: (_, o) => {
              const provider = me?.orgId === o.providerOrgId && has('data_officer');
              const objector = me?.orgId === o.raisedOrgId;
              return (
                <Space wrap>
                  {provider && o.state === 'open' && (
                    <>
                      <Button size="small" type="primary" onClick={() => void act(() => dutiesApi.accept(o.id))} data-testid={`accept-${o.id}`}>
                        {t('duties.obj.accept')}
                      </Button>
                      <Button size="small" onClick={() => setAsk({ title: t('duties.obj.reject'), run: (r) => dutiesApi.reject(o.id, r) })}>
                        {t('duties.obj.reject')}
                      </Button>
                    </>
                  )}
                  {objector && (o.state === 'rejected' || o.overdue) && (
                    <Button size="small" danger onClick={() => setAsk({ title: t('duties.obj.escalate'), run: (r) => dutiesApi.escalate(o.id, r) })}>
                      {t('duties.obj.escalate')}
                    </Button>
                  )}
                  {has('secadmin') && o.state === 'escalated' && (
                    <>
                      <Button size="small" type="primary" onClick={() => setAsk({ title: t('duties.obj.uphold'), run: (r) => dutiesApi.decide(o.id, true, r) })}>
                        {t('duties.obj.uphold')}
                      </Button>
                      <Button size="small" onClick={() => setAsk({ title: t('duties.obj.dismiss'), run: (r) => dutiesApi.decide(o.id, false, r) })}>
                        {t('duties.obj.dismiss')}
                      </Button>
                    </>
                  )}
                </Space>
              );
            },
          },
        ]}
      />
      <ReasonPrompt ask={ask} placeholder={t('duties.obj.reason')} onClose={() => setAsk(null)} act={act} />
    </Space>
  );
}
