/**
 * 供需对接: the list of data needs and answers for the government side; publish a need, assign it
 * (the authority), answer it (the assigned department), accept or reopen (the need's organisation).
 */
import { Alert, App, Button, Card, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { demandApi, type Demand, type DemandAnswer } from '../../api/duties.ts';
import { identityApi } from '../../api/identity.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

const STATE_COLORS: Record<Demand['state'], string> = { open: 'orange', assigned: 'blue', answered: 'purple', accepted: 'green' };

type Dialog = { kind: 'assign'; demand: Demand } | { kind: 'answer'; demand: Demand } | { kind: 'reopen'; demand: Demand };

export function DemandsPage() {
  const { t, time, date, colon, paren, sep } = useI18n();
  const { me, has } = useAuth();
  const { message } = App.useApp();
  const { data: items = [], error, reload } = useLoad(() => demandApi.list(), []);
  const { data: orgs = [] } = useLoad(async () => (await identityApi.orgs()).filter((o) => o.type !== 'enterprise'), []);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [publish] = Form.useForm<{ title: string; description: string; fields?: string; purpose: string; suggestedOrgId?: string }>();
  const [step] = Form.useForm<{ orgId?: string; kind?: DemandAnswer['kind']; dataset?: string; text?: string }>();

  const load = () => void reload();
  const orgOptions = orgs.map((o) => ({ value: o.id, label: o.name }));

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      void message.success(t('duties.done'));
      load();
      return true;
    } catch (e) {
      void message.error((e as Error).message);
      return false;
    }
  };

  const submitPublish = async () => {
    const v = await publish.validateFields();
    const fields = (v.fields ?? '').split(/[,,、\s]+/).filter(Boolean);
    if (
      await act(() =>
        demandApi.publish({
          title: v.title,
          description: v.description,
          purpose: v.purpose,
          fields,
          ...(v.suggestedOrgId ? { suggestedOrgId: v.suggestedOrgId } : {}),
        }),
      )
    )
      publish.resetFields();
  };

  const submitStep = async () => {
    if (!dialog) return;
    const v = await step.validateFields();
    const id = dialog.demand.id;
    const work =
      dialog.kind === 'assign'
        ? () => demandApi.assign(id, v.orgId!, v.text)
        : dialog.kind === 'answer'
          ? () => demandApi.answer(id, { kind: v.kind!, ...(v.dataset ? { dataset: v.dataset } : {}), ...(v.text ? { text: v.text } : {}) })
          : () => demandApi.reopen(id, v.text ?? '');
    if (await act(work)) {
      setDialog(null);
      step.resetFields();
    }
  };

  const answerKind = Form.useWatch('kind', step);

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={3}>{t('duties.dm.title')}</Typography.Title>
      <Alert type="info" showIcon message={t('duties.dm.hint')} />
      {(has('consumer') || has('data_officer')) && (
        <Card title={t('duties.dm.publish')}>
          <Form form={publish} layout="vertical" data-testid="demand-form">
            <Space wrap align="start">
              <Form.Item name="title" label={t('duties.dm.name')} rules={[{ required: true, min: 2 }]}>
                <Input style={{ width: 240 }} data-testid="dm-title" />
              </Form.Item>
              <Form.Item name="purpose" label={t('duties.dm.purpose')} rules={[{ required: true, min: 2 }]}>
                <Input style={{ width: 200 }} data-testid="dm-purpose" />
              </Form.Item>
              <Form.Item name="fields" label={t('duties.dm.fields')}>
                <Input style={{ width: 240 }} data-testid="dm-fields" />
              </Form.Item>
              <Form.Item name="suggestedOrgId" label={t('duties.dm.suggested')}>
                <Select allowClear showSearch optionFilterProp="label" style={{ width: 200 }} options={orgOptions} />
              </Form.Item>
            </Space>
            <Form.Item name="description" label={t('duties.dm.description')} rules={[{ required: true, min: 2 }]}>
              <Input.TextArea rows={2} data-testid="dm-description" />
            </Form.Item>
            <Button type="primary" onClick={() => void submitPublish()} data-testid="dm-publish">
              {t('duties.dm.publish')}
            </Button>
          </Form>
        </Card>
      )}
      {error && <Alert type="error" showIcon message={error} />}
      <Table<Demand>
        rowKey="id"
        dataSource={items}
        locale={{ emptyText: t('duties.dm.empty') }}
        data-testid="demands"
        expandable={{
          expandedRowRender: (m) => (
            <Space direction="vertical" size={2}>
              <span>{m.description}</span>
              {m.history.map((h, i) => (
                <Typography.Text key={i} type="secondary">
                  {time(h.at)} · {t(`duties.dm.step.${h.step}`)}
                  {h.answer ? ` · ${t(`duties.dm.kind.${h.answer.kind}`)}${h.answer.dataset ? ` ${h.answer.dataset}` : ''}` : ''}
                  {h.note ? ` · ${h.note}` : ''}
                </Typography.Text>
              ))}
            </Space>
          ),
        }}
        columns={[
          { title: t('duties.dm.name'), render: (_, m) => <strong>{m.title}</strong> },
          { title: t('duties.dm.fieldsCol'), render: (_, m) => m.fields.join(sep) },
          { title: t('duties.dm.raisedBy'), render: (_, m) => m.raisedOrg.name },
          { title: t('duties.dm.assigned'), render: (_, m) => m.assignedOrg?.name ?? (m.suggestedOrg ? paren(m.suggestedOrg.name).trim() : '—') },
          {
            title: t('duties.dm.state'),
            render: (_, m) => (
              <Space size={4} wrap>
                <Tag color={STATE_COLORS[m.state]} data-testid={`dm-state-${m.id}`}>
                  {t(`duties.dm.state.${m.state}`)}
                </Tag>
                {m.overdue && <Tag color="red">{t('duties.dm.overdue')}</Tag>}
                {m.reopened > 0 && <Tag>{t('duties.dm.reopened', { n: m.reopened })}</Tag>}
              </Space>
            ),
          },
          { title: t('duties.dm.due'), render: (_, m) => (m.dueAt ? date(m.dueAt) : '—') },
          {
            title: t('duties.dm.answer'),
            render: (_, m) =>
              m.answer ? (
                <Space direction="vertical" size={0}>
                  <span>
                    {t(`duties.dm.kind.${m.answer.kind}`)}
                    {m.answer.dataset ? `${colon}${m.answer.dataset.name}${paren(m.answer.dataset.code)}` : ''}
                  </span>
                  {m.answer.text && <Typography.Text type="secondary">{m.answer.text}</Typography.Text>}
                </Space>
              ) : (
                '—'
              ),
          },
          {
            title: '',
            render: (_, m) => {
              const owner = me?.orgId === m.raisedOrg.id;
              const assignee = me?.orgId === m.assignedOrg?.id && has('data_officer');
              return (
                <Space wrap>
                  {(has('secadmin') || has('data_officer')) && (m.state === 'open' || m.state === 'assigned') && (
                    <Button size="small" onClick={() => setDialog({ kind: 'assign', demand: m })} data-testid={`dm-assign-${m.id}`}>
                      {t('duties.dm.assign')}
                    </Button>
                  )}
                  {assignee && m.state === 'assigned' && (
                    <Button size="small" type="primary" onClick={() => setDialog({ kind: 'answer', demand: m })} data-testid={`dm-answer-${m.id}`}>
                      {t('duties.dm.reply')}
                    </Button>
                  )}
                  {owner && m.state === 'answered' && (
                    <>
                      <Button size="small" type="primary" onClick={() => void act(() => demandApi.accept(m.id))} data-testid={`dm-accept-${m.id}`}>
                        {t('duties.dm.accept')}
                      </Button>
                      <Button size="small" onClick={() => setDialog({ kind: 'reopen', demand: m })}>
                        {t('duties.dm.reopen')}
                      </Button>
                    </>
                  )}
                </Space>
              );
            },
          },
        ]}
      />
      <Modal
        open={dialog !== null}
        title={
          dialog
            ? `${t(dialog.kind === 'assign' ? 'duties.dm.assign' : dialog.kind === 'answer' ? 'duties.dm.reply' : 'duties.dm.reopen')}${colon}${dialog.demand.title}`
            : ''
        }
        onCancel={() => setDialog(null)}
        onOk={() => void submitStep()}
      >
        <Form form={step} layout="vertical" data-testid="dm-step-form">
          {dialog?.kind === 'assign' && (
            <Form.Item name="orgId" label={t('duties.dm.assigned')} rules={[{ required: true }]} initialValue={dialog.demand.suggestedOrg?.id}>
              <Select showSearch optionFilterProp="label" options={orgOptions} data-testid="dm-assign-org" />
            </Form.Item>
          )}
          {dialog?.kind === 'answer' && (
            <Form.Item name="kind" label={t('duties.dm.answer')} rules={[{ required: true }]} initialValue="linked">
              <Select
                options={(['linked', 'registered', 'declined'] as const).map((k) => ({ value: k, label: t(`duties.dm.kind.${k}`) }))}
                data-testid="dm-answer-kind"
              />
            </Form.Item>
          )}
          {dialog?.kind === 'answer' && answerKind !== 'declined' && (
            <Form.Item name="dataset" label={t('duties.dm.dataset')} rules={[{ required: true }]}>
              <Input data-testid="dm-answer-dataset" />
            </Form.Item>
          )}
          <Form.Item name="text" label={t('duties.dm.text')} rules={dialog?.kind === 'reopen' || answerKind === 'declined' ? [{ required: true, min: 2 }] : []}>
            <Input.TextArea rows={2} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
