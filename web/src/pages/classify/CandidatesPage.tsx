import { Alert, App, Button, Card, Empty, Form, Input, InputNumber, Modal, Radio, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { classifyApi, TYPE_IDS, type Candidate, type Level, type Policy } from '../../api/classify.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { LevelTag, useTypeName } from './common.tsx';

/** The engine writes reasons as "中文 / English": show the console language's half. */
function inLanguage(reason: string, lang: 'zh' | 'en'): string {
  const parts = reason.split(' / ');
  return parts.length === 2 ? parts[lang === 'zh' ? 0 : 1]! : reason;
}

/** The secadmin's 重要数据 queue: candidates with their reasons, decided with a reason. */
export function CandidatesPanel() {
  const { t, time, lang, num } = useI18n();
  const { message } = App.useApp();
  const [all, setAll] = useState(false);
  const { data: items, reload } = useLoad(async () => (await classifyApi.candidates(all)).items, [all]);
  const [deciding, setDeciding] = useState<Candidate>();
  const [form] = Form.useForm<{ level: Level; reason: string }>();

  async function decide(values: { level: Level; reason: string }) {
    try {
      await classifyApi.decide(deciding!.code, values);
      setDeciding(undefined);
      form.resetFields();
      await reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Switch checked={all} onChange={setAll} data-testid="show-decided" />
        {t('cls.showAll')}
      </Space>
      <Table<Candidate>
        rowKey="code"
        loading={!items}
        dataSource={items}
        locale={{ emptyText: <Empty description={t('cls.noCandidates')} /> }}
        columns={[
          {
            title: t('cls.col.dataset'),
            width: 220,
            render: (_, c) => (
              <>
                <Link to={`/classify/${c.code}`}>{c.name}</Link>
                <br />
                <Typography.Text type="secondary">{c.code}</Typography.Text>
              </>
            ),
          },
          { title: t('cls.col.provider'), dataIndex: 'providerName', width: 150 },
          {
            title: t('cls.persons'),
            width: 120,
            render: (_, c) =>
              c.important.persons ? (
                <>
                  {num(c.important.persons.count)}
                  {!c.important.persons.exact && <Typography.Text type="secondary"> ({t('cls.estimated')})</Typography.Text>}
                </>
              ) : (
                '—'
              ),
          },
          {
            title: t('cls.reasons'),
            render: (_, c) => (
              <ul style={{ margin: 0, paddingLeft: 18 }} data-testid={`reasons-${c.code}`}>
                {c.important.reasons.map((r) => (
                  <li key={r}>{inLanguage(r, lang)}</li>
                ))}
              </ul>
            ),
          },
          {
            title: t('cls.decided'),
            width: 240,
            render: (_, c) =>
              c.important.decision ? (
                <Space direction="vertical" size={0}>
                  <LevelTag level={c.important.decision.level} />
                  <Typography.Text type="secondary">{c.important.decision.reason}</Typography.Text>
                  <Typography.Text type="secondary">
                    {c.important.decision.decidedBy} · {time(c.important.decision.decidedAt)}
                  </Typography.Text>
                </Space>
              ) : (
                <Tag color="purple">{t('cls.candidate')}</Tag>
              ),
          },
          {
            title: t('common.actions'),
            width: 90,
            render: (_, c) => (
              <Button type="link" onClick={() => setDeciding(c)} data-testid={`decide-${c.code}`}>
                {t('cls.decide')}
              </Button>
            ),
          },
        ]}
      />
      <Modal
        open={!!deciding}
        title={`${t('cls.decideTitle')} · ${deciding?.name ?? ''}`}
        okText={t('common.ok')}
        cancelText={t('common.cancel')}
        onCancel={() => setDeciding(undefined)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={(v) => void decide(v)} initialValues={{ level: 'important' }}>
          <Form.Item name="level" label={t('cls.decideLevel')} rules={[{ required: true }]}>
            <Radio.Group>
              <Radio value="important">{t('cls.level.important')}</Radio>
              <Radio value="core">{t('cls.level.core')}</Radio>
              <Radio value="general">{t('cls.decideGeneral')}</Radio>
            </Radio.Group>
          </Form.Item>
          <Form.Item name="reason" label={t('cls.decideReason')} rules={[{ required: true, whitespace: true, min: 2 }]}>
            <Input.TextArea rows={3} maxLength={2000} data-testid="decision-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

/** The secadmin's classification policy: 重要数据 threshold and extra rules. */
export function PolicyPanel() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const typeName = useTypeName();
  const { data: policy, error, set: setPolicy } = useLoad(() => classifyApi.policy(), []);
  const [form] = Form.useForm<Policy>();
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!policy) return null;

  async function save(values: Policy) {
    try {
      const rules = (values.extraRules ?? []).map((r) =>
        Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))),
      ) as Policy['extraRules'];
      const saved = await classifyApi.savePolicy({ ...policy!, ...values, extraRules: rules });
      setPolicy(saved);
      message.success(t('cls.policy.saved'));
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  return (
    <Card>
      <Form form={form} layout="vertical" initialValues={policy} onFinish={(v) => void save(v)} style={{ maxWidth: 900 }}>
        <Form.Item name="importantPersonThreshold" label={t('cls.policy.threshold')} extra={t('cls.policy.thresholdHelp')} rules={[{ required: true }]}>
          <InputNumber min={1} step={1} precision={0} style={{ width: 220 }} data-testid="policy-threshold" />
        </Form.Item>
        <Form.Item name="defaultGrade" label={t('cls.policy.defaultGrade')}>
          <Radio.Group optionType="button" options={([1, 2, 3, 4] as const).map((g) => ({ value: g, label: t(`cls.grade.${g}`) }))} />
        </Form.Item>
        <Form.Item name="encryptFromGrade" label={t('cls.policy.encryptFrom')} extra={t('cls.policy.encryptFromHelp')}>
          <Radio.Group
            optionType="button"
            data-testid="policy-encrypt-from"
            options={([4, 3] as const).map((g) => ({ value: g, label: t(`cls.policy.encryptFrom${g}`) }))}
          />
        </Form.Item>
        <Typography.Title level={5}>{t('cls.policy.rules')}</Typography.Title>
        <Form.List name="extraRules">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Space key={field.key} align="start" wrap style={{ marginBottom: 8 }}>
                  <Form.Item name={[field.name, 'id']} rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{1,40}$/ }]}>
                    <Input placeholder={t('cls.policy.ruleId')} style={{ width: 120 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'description']} rules={[{ required: true }]}>
                    <Input placeholder={t('cls.policy.ruleDescription')} style={{ width: 180 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'headerPattern']}>
                    <Input placeholder={t('cls.policy.headerPattern')} style={{ width: 160 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'types']}>
                    <Select
                      mode="multiple"
                      placeholder={t('cls.policy.types')}
                      style={{ width: 200 }}
                      options={TYPE_IDS.map((id) => ({ value: id, label: typeName(id) }))}
                    />
                  </Form.Item>
                  <Form.Item name={[field.name, 'minRows']}>
                    <InputNumber min={0} precision={0} placeholder={t('cls.policy.minRows')} style={{ width: 120 }} />
                  </Form.Item>
                  <Button onClick={() => remove(field.name)}>{t('cls.policy.remove')}</Button>
                </Space>
              ))}
              <Button type="dashed" onClick={() => add({})} style={{ marginBottom: 16 }}>
                {t('cls.policy.addRule')}
              </Button>
            </>
          )}
        </Form.List>
        <Form.Item>
          <Button type="primary" htmlType="submit" data-testid="policy-save">
            {t('common.save')}
          </Button>
        </Form.Item>
      </Form>
    </Card>
  );
}
