import { App, Alert, Button, Card, DatePicker, Form, Input, InputNumber, Modal, Radio, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { manageApi, type Application, type Demand, type OpenSettings } from '../../../api/open.ts';
import { useAuth } from '../../../auth.tsx';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { FeedbackStateTag } from '../portal/common.tsx';

const APP_COLORS: Record<Application['state'], string> = { submitted: 'processing', approved: 'success', rejected: 'error', expired: 'default' };

function Decide({ application, onDone }: { application: Application; onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [approve, setApprove] = useState(true);
  const [form] = Form.useForm();
  const submit = async () => {
    const v = (await form.validateFields()) as { until?: Dayjs; conditions?: string; reason?: string };
    try {
      await manageApi.decide(
        application.id,
        approve ? { approve: true, until: v.until!.format('YYYY-MM-DD'), conditions: v.conditions! } : { approve: false, reason: v.reason! },
      );
      setOpen(false);
      onDone();
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  return (
    <>
      <Button size="small" type="primary" onClick={() => setOpen(true)} data-testid={`decide-${application.dataset.code}`}>
        {t('oa.app.approve')} / {t('oa.app.reject')}
      </Button>
      <Modal
        open={open}
        title={`${application.dataset.name} · ${application.applicant.name}`}
        onCancel={() => setOpen(false)}
        onOk={() => void submit()}
        okButtonProps={{ 'data-testid': 'decide-submit' }}
      >
        <Form form={form} layout="vertical">
          <Radio.Group value={approve} onChange={(e) => setApprove(e.target.value)} style={{ marginBottom: 12 }}>
            <Radio value={true} data-testid="decide-approve">
              {t('oa.app.approve')}
            </Radio>
            <Radio value={false} data-testid="decide-reject">
              {t('oa.app.reject')}
            </Radio>
          </Radio.Group>
          {approve ? (
            <>
              <Form.Item name="until" label={t('oa.app.until')} rules={[{ required: true }]}>
                <DatePicker data-testid="decide-until" />
              </Form.Item>
              <Form.Item name="conditions" label={t('oa.app.conditions')} rules={[{ required: true }]}>
                <Input.TextArea rows={3} data-testid="decide-conditions" />
              </Form.Item>
            </>
          ) : (
            <Form.Item name="reason" label={t('oa.app.reason')} rules={[{ required: true, min: 2 }]}>
              <Input.TextArea rows={3} />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </>
  );
}

/** Applications to the department, waiting ones first, with the answer due date. */
export function ApplicationsTab() {
  const { t, time } = useI18n();
  const { has } = useAuth();
  const { data: items, reload } = useLoad(async () => (await manageApi.applications()).items, []);
  const load = () => void reload();
  return (
    <Table<Application>
      size="small"
      rowKey="id"
      loading={!items}
      dataSource={items}
      scroll={{ x: true }}
      locale={{ emptyText: t('oa.app.none') }}
      columns={[
        { title: t('oa.col.dataset'), render: (_, a) => a.dataset.name },
        {
          title: t('oa.app.applicant'),
          render: (_, a) => (
            <>
              {a.applicant.name} {a.applicant.organization && <Typography.Text type="secondary">{a.applicant.organization}</Typography.Text>}
              <br />
              <Typography.Text type="secondary">{[a.email, a.applicant.phone, a.applicant.uscc].filter(Boolean).join(' · ')}</Typography.Text>
            </>
          ),
        },
        {
          title: t('oa.app.purpose'),
          render: (_, a) => (
            <>
              {a.purpose}
              <br />
              <Typography.Text type="secondary">{a.intendedUse}</Typography.Text>
            </>
          ),
        },
        {
          title: t('oa.app.due'),
          render: (_, a) => (
            <Space size={4}>
              {time(a.dueAt)}
              {a.overdue && <Tag color="red">{t('oa.app.overdue')}</Tag>}
            </Space>
          ),
        },
        { title: t('oa.col.state'), render: (_, a) => <Tag color={APP_COLORS[a.state]}>{t(`op.app.${a.state}`)}</Tag> },
        {
          title: t('oa.col.actions'),
          render: (_, a) =>
            a.state === 'submitted' && has('data_officer') ? (
              <Decide application={a} onDone={load} />
            ) : a.terms ? (
              `${a.terms.until} · ${a.terms.conditions}`
            ) : (
              a.reason
            ),
        },
      ]}
    />
  );
}

/** Comments, data requests and showcase entries of the department, to moderate or answer. */
export function FeedbackTab() {
  const { t, time, sep } = useI18n();
  const { has } = useAuth();
  const { message } = App.useApp();
  const officer = has('data_officer');
  const feedback = useLoad(async () => {
    const [c, d, s] = await Promise.all([manageApi.comments(), manageApi.demands(), manageApi.showcases()]);
    return { comments: c.items, demands: d.items, showcases: s.items };
  }, []);
  const { comments = [], demands = [], showcases = [] } = feedback.data ?? {};
  const [answering, setAnswering] = useState<Demand>();
  const [answer, setAnswer] = useState('');
  const load = () => void feedback.reload();
  const act = (p: Promise<unknown>) => p.then(load, (e: Error) => message.error(e.message));
  const decide = (pending: boolean, onApprove: () => Promise<unknown>, onReject: () => Promise<unknown>) =>
    pending && officer ? (
      <Space>
        <Button size="small" onClick={() => void act(onApprove())}>
          {t('oa.fb.approve')}
        </Button>
        <Button size="small" danger onClick={() => void act(onReject())}>
          {t('oa.fb.reject')}
        </Button>
      </Space>
    ) : null;
  return (
    <>
      {feedback.error && <Alert type="error" showIcon message={feedback.error} />}
      <Tabs
        items={[
          {
            key: 'comments',
            label: t('oa.fb.comments'),
            children: (
              <Table
                size="small"
                rowKey="id"
                pagination={false}
                dataSource={comments}
                columns={[
                  { title: t('oa.col.dataset'), dataIndex: 'dataset' },
                  { title: '★', dataIndex: 'rating' },
                  { title: t('op.comment.body'), render: (_, c) => <Typography.Text style={{ whiteSpace: 'pre-wrap' }}>{c.body}</Typography.Text> },
                  {
                    title: t('oa.app.applicant'),
                    render: (_, c) => (
                      <>
                        {c.author}
                        <br />
                        <Typography.Text type="secondary">{time(c.createdAt)}</Typography.Text>
                      </>
                    ),
                  },
                  { title: t('oa.col.state'), render: (_, c) => <FeedbackStateTag state={c.state} /> },
                  {
                    title: t('oa.col.actions'),
                    render: (_, c) =>
                      decide(
                        c.state === 'pending',
                        () => manageApi.moderate(c.id, true),
                        () => manageApi.moderate(c.id, false),
                      ),
                  },
                ]}
              />
            ),
          },
          {
            key: 'demands',
            label: t('oa.fb.demands'),
            children: (
              <Table
                size="small"
                rowKey="id"
                pagination={false}
                dataSource={demands}
                columns={[
                  {
                    title: t('op.demand.subject'),
                    render: (_, d) => (
                      <>
                        {d.title}
                        <br />
                        <Typography.Text type="secondary" style={{ whiteSpace: 'pre-wrap' }}>
                          {d.body}
                        </Typography.Text>
                      </>
                    ),
                  },
                  {
                    title: t('oa.app.applicant'),
                    render: (_, d) => (
                      <>
                        {d.author}
                        <br />
                        <Typography.Text type="secondary">{time(d.createdAt)}</Typography.Text>
                      </>
                    ),
                  },
                  { title: t('oa.col.state'), render: (_, d) => <FeedbackStateTag state={d.state} /> },
                  { title: t('op.demand.answer'), dataIndex: 'answer' },
                  {
                    title: t('oa.col.actions'),
                    render: (_, d) =>
                      d.state === 'submitted' && officer ? (
                        <Button
                          size="small"
                          onClick={() => {
                            setAnswering(d);
                            setAnswer('');
                          }}
                        >
                          {t('oa.fb.answer')}
                        </Button>
                      ) : null,
                  },
                ]}
              />
            ),
          },
          {
            key: 'showcases',
            label: t('oa.fb.showcases'),
            children: (
              <Table
                size="small"
                rowKey="id"
                pagination={false}
                dataSource={showcases}
                columns={[
                  {
                    title: t('op.show.name'),
                    render: (_, s) => (
                      <>
                        {s.title}
                        <br />
                        <Typography.Text type="secondary">{s.description}</Typography.Text>
                      </>
                    ),
                  },
                  { title: t('op.show.url'), dataIndex: 'url', render: (u: string | null) => u ?? '—' },
                  { title: t('op.show.datasets'), dataIndex: 'datasets', render: (d: string[]) => d.join(sep) },
                  { title: t('oa.col.state'), render: (_, s) => <FeedbackStateTag state={s.state} /> },
                  {
                    title: t('oa.col.actions'),
                    render: (_, s) =>
                      decide(
                        s.state === 'pending',
                        () => manageApi.review(s.id, { approve: true }),
                        () => manageApi.review(s.id, { approve: false }),
                      ),
                  },
                ]}
              />
            ),
          },
        ]}
      />
      <Modal
        open={!!answering}
        title={answering?.title}
        onCancel={() => setAnswering(undefined)}
        footer={[
          <Button
            key="reject"
            danger
            disabled={answer.trim().length < 2}
            onClick={() => void act(manageApi.answer(answering!.id, { answer, reject: true })).then(() => setAnswering(undefined))}
          >
            {t('oa.fb.reject')}
          </Button>,
          <Button
            key="answer"
            type="primary"
            disabled={answer.trim().length < 2}
            onClick={() => void act(manageApi.answer(answering!.id, { answer })).then(() => setAnswering(undefined))}
          >
            {t('oa.fb.answer')}
          </Button>,
        ]}
      >
        <Input.TextArea rows={4} placeholder={t('oa.fb.answerText')} value={answer} onChange={(e) => setAnswer(e.target.value)} />
      </Modal>
    </>
  );
}

/** The thresholds of the check and the application time limit; only the secadmin changes them. */
export function SettingsTab() {
  const { t } = useI18n();
  const { has } = useAuth();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [settings, setSettings] = useState<OpenSettings>();
  useEffect(() => {
    void manageApi.settings().then((s) => {
      setSettings(s);
      form.setFieldsValue({ ...s, maxSuppression: s.maxSuppression * 100 });
    });
  }, [form]);
  const secadmin = has('secadmin');
  return (
    <Card size="small" style={{ maxWidth: 520 }}>
      {!secadmin && <Alert type="info" showIcon message={t('oa.set.secadminOnly')} style={{ marginBottom: 12 }} />}
      <Form
        form={form}
        layout="vertical"
        disabled={!secadmin || !settings}
        onFinish={(v: OpenSettings) =>
          manageApi.saveSettings({ ...v, maxSuppression: v.maxSuppression / 100 }).then(
            (s) => {
              setSettings(s);
              message.success(t('oa.set.saved'));
            },
            (e: Error) => message.error(e.message),
          )
        }
      >
        <Form.Item name="k" label={t('oa.set.k')} rules={[{ required: true }]}>
          <InputNumber min={2} max={1000} data-testid="setting-k" />
        </Form.Item>
        <Form.Item name="l" label={t('oa.set.l')} rules={[{ required: true }]}>
          <InputNumber min={1} max={100} />
        </Form.Item>
        <Form.Item name="maxSuppression" label={t('oa.set.maxSuppression')} rules={[{ required: true }]}>
          <InputNumber min={0} max={50} step={0.5} />
        </Form.Item>
        <Form.Item name="applicationDays" label={t('oa.set.applicationDays')} rules={[{ required: true }]}>
          <InputNumber min={1} max={60} />
        </Form.Item>
        {secadmin && (
          <Button type="primary" htmlType="submit" data-testid="save-settings">
            {t('oa.set.save')}
          </Button>
        )}
      </Form>
    </Card>
  );
}
