import { Alert, App, Button, Form, Input, Modal, Select, Space, Table, Tag, Tooltip, type ButtonProps } from 'antd';
import { useMemo, useState } from 'react';
import { identityApi, type Org } from '../../api/identity.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

type OrgNode = Org & { children?: OrgNode[] };

function tree(orgs: Org[]): OrgNode[] {
  const byParent = new Map<string | null, Org[]>();
  for (const o of orgs) byParent.set(o.parentId, [...(byParent.get(o.parentId) ?? []), o]);
  const build = (parent: string | null): OrgNode[] =>
    (byParent.get(parent) ?? []).map((o) => {
      const children = build(o.id);
      return children.length ? { ...o, children } : o;
    });
  return build(null);
}

/** sysadmin: the organisation tree 省 → 市 → 县/区 with departments under each level. */
export function OrgsPage() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  /** The organisation being edited; undefined while a new one is entered. */
  const [editing, setEditing] = useState<Org>();
  const [error, setError] = useState<string>();
  const [form] = Form.useForm();
  /** The organisation being disabled, while its reason is asked. */
  const [disabling, setDisabling] = useState<Org>();
  const [reason, setReason] = useState('');
  const { message, modal } = App.useApp();
  const { data: orgs, loading, error: loadError, reload } = useLoad(() => identityApi.orgs(), []);
  const data = useMemo(() => tree(orgs ?? []), [orgs]);

  function openForm(org?: Org) {
    form.resetFields();
    if (org)
      form.setFieldsValue({
        name: org.name,
        type: org.type,
        level: org.level,
        parentId: org.parentId ?? undefined,
        regionCode: org.regionCode,
        uscc: org.uscc ?? '',
      });
    setEditing(org);
    setError(undefined);
    setOpen(true);
  }

  async function setDisabled(org: Org, disabled: boolean, why?: string) {
    try {
      await identityApi.setOrgDisabled(org.id, { disabled, ...(why ? { reason: why } : {}) });
      void message.success(t(disabled ? 'orgs.disabledDone' : 'orgs.enabledDone', { name: org.name }));
      setDisabling(undefined);
      setReason('');
      await reload();
    } catch (e) {
      void message.error((e as Error).message);
    }
  }

  function confirmEnable(org: Org) {
    modal.confirm({
      title: t('orgs.enableTitle', { name: org.name }),
      content: t('orgs.enableBody'),
      okText: t('orgs.enable'),
      onOk: () => setDisabled(org, false),
    });
  }

  async function save(values: Omit<Org, 'id' | 'disabledAt' | 'disabledReason'>) {
    setError(undefined);
    try {
      const body = { ...values, uscc: values.uscc || null, parentId: values.parentId ?? null };
      if (editing) await identityApi.updateOrg(editing.id, body);
      else await identityApi.createOrg(body);
      setOpen(false);
      await reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => openForm()}>
          {t('orgs.new')}
        </Button>
      </Space>
      {loadError && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={loadError} />}
      <Table<OrgNode>
        // Mounted again once the tree arrives: defaultExpandAllRows only expands the rows of the first render.
        key={orgs ? 'loaded' : 'loading'}
        rowKey="id"
        loading={loading && !orgs}
        dataSource={data}
        pagination={false}
        expandable={{ defaultExpandAllRows: true }}
        columns={[
          { title: t('orgs.name'), dataIndex: 'name' },
          { title: t('orgs.type'), dataIndex: 'type', render: (v: Org['type']) => <Tag>{t(`orgs.type.${v}`)}</Tag> },
          { title: t('orgs.level'), dataIndex: 'level', render: (v: Org['level']) => t(`orgs.level.${v}`) },
          { title: t('orgs.region'), dataIndex: 'regionCode' },
          { title: t('orgs.uscc'), dataIndex: 'uscc', render: (v: string | null) => v ?? '—' },
          {
            title: t('orgs.state'),
            key: 'state',
            render: (_, org) =>
              org.disabledAt ? (
                <Tooltip title={org.disabledReason}>
                  <Tag color="red" data-testid={`org-state-${org.name}`}>
                    {t('orgs.disabled')}
                  </Tag>
                </Tooltip>
              ) : (
                <Tag color="green" data-testid={`org-state-${org.name}`}>
                  {t('orgs.inService')}
                </Tag>
              ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 140,
            render: (_, org) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => openForm(org)} data-testid={`org-edit-${org.regionCode}-${org.name}`}>
                  {t('orgs.edit')}
                </Button>
                {org.type !== 'authority' &&
                  (org.disabledAt ? (
                    <Button type="link" size="small" onClick={() => confirmEnable(org)} data-testid={`org-enable-${org.name}`}>
                      {t('orgs.enable')}
                    </Button>
                  ) : (
                    <Button type="link" size="small" danger onClick={() => setDisabling(org)} data-testid={`org-disable-${org.name}`}>
                      {t('orgs.disable')}
                    </Button>
                  ))}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={disabling !== undefined}
        title={disabling ? t('orgs.disableTitle', { name: disabling.name }) : ''}
        okText={t('orgs.disable')}
        okButtonProps={{ danger: true, disabled: !reason.trim(), 'data-testid': 'org-disable-confirm' } as ButtonProps}
        onCancel={() => setDisabling(undefined)}
        onOk={() => disabling && setDisabled(disabling, true, reason.trim())}
        destroyOnHidden
      >
        <Alert type="warning" showIcon message={t('orgs.disableBody')} style={{ marginBottom: 12 }} />
        <Input.TextArea
          rows={3}
          placeholder={t('orgs.disableReason')}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid="org-disable-reason"
        />
      </Modal>
      <Modal
        open={open}
        title={editing ? t('orgs.editTitle', { name: editing.name }) : t('orgs.new')}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        okText={editing ? t('common.save') : t('common.create')}
        destroyOnHidden
      >
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="org-error" />}
        <Form form={form} layout="vertical" onFinish={save} initialValues={{ type: 'department', level: 'city' }}>
          <Form.Item name="name" label={t('orgs.name')} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="type" label={t('orgs.type')} rules={[{ required: true }]}>
            <Select options={(['authority', 'government', 'department', 'enterprise'] as const).map((v) => ({ value: v, label: t(`orgs.type.${v}`) }))} />
          </Form.Item>
          <Form.Item name="level" label={t('orgs.level')} rules={[{ required: true }]}>
            <Select options={(['province', 'city', 'county'] as const).map((v) => ({ value: v, label: t(`orgs.level.${v}`) }))} />
          </Form.Item>
          <Form.Item name="parentId" label={t('orgs.parent')}>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              options={(orgs ?? []).filter((o) => o.id !== editing?.id).map((o) => ({ value: o.id, label: o.name }))}
            />
          </Form.Item>
          <Form.Item name="regionCode" label={t('orgs.region')} rules={[{ required: true }]}>
            <Input placeholder="211300" />
          </Form.Item>
          <Form.Item name="uscc" label={t('orgs.uscc')}>
            <Input placeholder="91350100M000100Y43" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
