import { Alert, App, Button, Card, Form, Input, List, Select, Skeleton, Space, Typography } from 'antd';
import { useState } from 'react';
import { portalApi, type DemandInput, type ShowcaseInput } from '../../../api/open.ts';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { useSociety } from './common.tsx';

/** A form shown to verified society users; a hint to sign in otherwise. */
function MemberForm({
  title,
  onSubmit,
  done,
  children,
}: {
  title: string;
  onSubmit: (values: never) => Promise<unknown>;
  done: string;
  children: React.ReactNode;
}) {
  const { t } = useI18n();
  const { me } = useSociety();
  const { message } = App.useApp();
  const [sent, setSent] = useState(false);
  if (!me?.verified) return <Typography.Text type="secondary">{t('op.apply.signIn')}</Typography.Text>;
  if (sent) return <Alert type="success" showIcon message={done} />;
  return (
    <Card size="small" title={title}>
      <Form
        layout="vertical"
        onFinish={(v) =>
          onSubmit(v as never).then(
            () => setSent(true),
            (e: Error) => message.error(e.message),
          )
        }
      >
        {children}
        <Button type="primary" htmlType="submit">
          {t('op.acct.submit')}
        </Button>
      </Form>
    </Card>
  );
}

/** 数据需求: answered requests, shown publicly, and the form to ask a department. */
export function DemandsPage() {
  const { t, time } = useI18n();
  const { data: items, error } = useLoad(async () => (await portalApi.demands()).items, []);
  const { data: orgs = [] } = useLoad(async () => (await portalApi.demandDepartments()).items, []);
  const name = (id: string) => orgs.find((o) => o.id === id)?.name ?? '';
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card title={t('op.nav.demands')} size="small">
        <Typography.Paragraph type="secondary">{t('op.demand.intro')}</Typography.Paragraph>
        {error ? (
          <Alert type="error" showIcon message={error} />
        ) : !items ? (
          <Skeleton active />
        ) : (
          <List
            locale={{ emptyText: t('op.demand.none') }}
            dataSource={items}
            renderItem={(d) => (
              <List.Item>
                <List.Item.Meta
                  title={`${d.title} · ${name(d.orgId)}`}
                  description={
                    <Space direction="vertical" size={2}>
                      <Typography.Text style={{ whiteSpace: 'pre-wrap' }}>{d.body}</Typography.Text>
                      <Typography.Text type="secondary">
                        {d.author} · {time(d.createdAt)}
                      </Typography.Text>
                      {d.answer && (
                        <Alert
                          type="info"
                          message={`${t('op.demand.answer')}(${d.answeredAt ? time(d.answeredAt) : ''})`}
                          description={<span style={{ whiteSpace: 'pre-wrap' }}>{d.answer}</span>}
                        />
                      )}
                    </Space>
                  }
                />
              </List.Item>
            )}
          />
        )}
      </Card>
      <MemberForm title={t('op.demand.new')} done={t('op.demand.submitted')} onSubmit={(v: DemandInput) => portalApi.demand(v)}>
        <Form.Item name="orgId" label={t('op.demand.org')} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" options={orgs.map((o) => ({ value: o.id, label: o.name }))} />
        </Form.Item>
        <Form.Item name="title" label={t('op.demand.subject')} rules={[{ required: true, min: 2 }]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="body" label={t('op.demand.body')} rules={[{ required: true, min: 2 }]}>
          <Input.TextArea rows={4} maxLength={4000} />
        </Form.Item>
      </MemberForm>
    </Space>
  );
}

/** 应用展示: applications built on open data, after review, and the form to submit one. */
export function ShowcasesPage() {
  const { t, time, sep } = useI18n();
  const { data: items, error } = useLoad(async () => (await portalApi.showcases()).items, []);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card title={t('op.nav.showcases')} size="small">
        <Typography.Paragraph type="secondary">{t('op.show.intro')}</Typography.Paragraph>
        {error ? (
          <Alert type="error" showIcon message={error} />
        ) : !items ? (
          <Skeleton active />
        ) : (
          <List
            locale={{ emptyText: t('op.show.none') }}
            dataSource={items}
            renderItem={(s) => (
              <List.Item
                extra={
                  s.url ? (
                    <a href={s.url} target="_blank" rel="noreferrer noopener">
                      {t('op.show.visit')}
                    </a>
                  ) : null
                }
              >
                <List.Item.Meta
                  title={s.title}
                  description={
                    <Space direction="vertical" size={2}>
                      <Typography.Text style={{ whiteSpace: 'pre-wrap' }}>{s.description}</Typography.Text>
                      <Typography.Text type="secondary">
                        {s.author} · {s.datasets.join(sep)} · {time(s.createdAt)}
                      </Typography.Text>
                    </Space>
                  }
                />
              </List.Item>
            )}
          />
        )}
      </Card>
      <MemberForm
        title={t('op.show.new')}
        done={t('op.show.submitted')}
        onSubmit={(v: Omit<ShowcaseInput, 'datasets'> & { datasets: string }) =>
          portalApi.showcase({
            title: v.title,
            description: v.description,
            ...(v.url ? { url: v.url } : {}),
            datasets: v.datasets.split(/[\s,，、]+/).filter(Boolean),
          })
        }
      >
        <Form.Item name="title" label={t('op.show.name')} rules={[{ required: true, min: 2 }]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="description" label={t('op.show.description')} rules={[{ required: true, min: 2 }]}>
          <Input.TextArea rows={3} maxLength={4000} />
        </Form.Item>
        <Form.Item name="url" label={t('op.show.url')} rules={[{ type: 'url' }]}>
          <Input />
        </Form.Item>
        <Form.Item name="datasets" label={t('op.show.datasets')} rules={[{ required: true }]}>
          <Input placeholder="210700-000005" />
        </Form.Item>
      </MemberForm>
    </Space>
  );
}
