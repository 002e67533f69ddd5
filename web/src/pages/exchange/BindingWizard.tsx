import { Alert, App, Button, Checkbox, Drawer, Form, Input, InputNumber, Radio, Select, Space, Steps, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { searchDatasets } from '../../api/catalog.ts';
import { sourcesApi, type BindingInput, type Preview, type Source } from '../../api/exchange.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { useTypeLabel } from '../catalog/labels.tsx';

const GRADE_COLOR = ['default', 'green', 'blue', 'orange', 'red'] as const;

/** Source types a soft-delete column may have (the server checks the same): boolean, or a date/time. */
const SOFT_DELETE_TYPE = /^(boolean|bool|tinyint\(1\)|bit\(1\)|date|datetime|timestamp)\b/i;

interface Mapped {
  source: string;
  name: string;
  include: boolean;
}

interface Settings {
  mode: 'replace' | 'incremental' | 'cdc';
  cursorColumn?: string;
  keyColumn?: string;
  softDeleteColumn?: string;
  schedule: 'none' | 'interval' | 'cron';
  intervalMinutes?: number;
  cron?: string;
}

/**
 * 绑定库表: pick the dataset and the source table (schemas → tables → columns), see its first rows
 * classified as an upload would be (types, grades, encryption), map the columns, choose mode and
 * schedule, bind, and optionally run it now.
 */
export function BindingWizard(props: { sources: Source[]; sourceId?: string | undefined; dataset?: string | undefined; onClose: (changed: boolean) => void }) {
  const { t, paren } = useI18n();
  const typeLabel = useTypeLabel();
  const { message } = App.useApp();
  const { me } = useAuth();
  const [step, setStep] = useState(0);
  const [dataset, setDataset] = useState<string | undefined>(props.dataset);
  const [sourceId, setSourceId] = useState<string | undefined>(props.sourceId ?? (props.sources.length === 1 ? props.sources[0]!.id : undefined));
  const [schema, setSchema] = useState<string>();
  const [table, setTable] = useState<string>();
  const [mapping, setMapping] = useState<Mapped[]>([]);
  const [bound, setBound] = useState(false);
  const [continuous, setContinuous] = useState(false);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<Settings>();

  const datasets = useLoad(async () => (await searchDatasets({ org: me!.orgId!, pageSize: 200 })).items, [me?.orgId], { when: !!me?.orgId });
  const tables = useLoad(() => sourcesApi.tables(sourceId!), [sourceId], { when: !!sourceId });
  const preview = useLoad(
    async (): Promise<Preview> => {
      const p = await sourcesApi.preview(sourceId!, schema!, table!);
      setMapping(p.columns.map((c) => ({ source: c.name, name: c.name, include: true })));
      return p;
    },
    [sourceId, schema, table],
    { when: !!(sourceId && schema && table) },
  );

  const schemas = [...new Set((tables.data ?? []).map((x) => x.schema))];
  const included = mapping.filter((m) => m.include);
  const columnNames = mapping.map((m) => ({ value: m.source, label: m.source }));
  const fail = (e: unknown) => message.error((e as Error).message);

  async function bind(values: Settings) {
    setSaving(true);
    try {
      const body: BindingInput = {
        sourceId: sourceId!,
        schema: schema!,
        table: table!,
        columns: included.map(({ source, name }) => ({ source, name })),
        mode: values.mode,
        ...(values.mode === 'incremental' && values.cursorColumn ? { cursorColumn: values.cursorColumn } : {}),
        ...(values.mode !== 'replace' && values.keyColumn ? { keyColumn: values.keyColumn } : {}),
        ...(values.mode === 'incremental' && values.keyColumn && values.softDeleteColumn ? { softDeleteColumn: values.softDeleteColumn } : {}),
        ...(values.mode !== 'cdc' && values.schedule === 'interval' && values.intervalMinutes ? { intervalMinutes: values.intervalMinutes } : {}),
        ...(values.mode !== 'cdc' && values.schedule === 'cron' && values.cron ? { cron: values.cron } : {}),
      };
      await sourcesApi.bind(dataset!, body);
      setBound(true);
      setContinuous(values.mode === 'cdc');
      setStep(3);
    } catch (e) {
      fail(e);
    } finally {
      setSaving(false);
    }
  }

  async function runNow() {
    try {
      await sourcesApi.sync(dataset!);
      message.info(t('sources.syncQueued'));
      props.onClose(true);
    } catch (e) {
      fail(e);
    }
  }

  const canPreview = !!(dataset && sourceId && schema && table);

  return (
    <Drawer
      open
      width={Math.min(980, window.innerWidth)}
      title={t('sources.wizard')}
      onClose={() => props.onClose(bound)}
      destroyOnHidden
      data-testid="binding-wizard"
    >
      <Steps
        size="small"
        current={step}
        style={{ marginBottom: 16 }}
        items={[
          { title: t('sources.step.table') },
          { title: t('sources.step.preview') },
          { title: t('sources.step.schedule') },
          { title: t('sources.step.done') },
        ]}
      />
      {step === 0 && (
        <Form layout="vertical">
          <Form.Item label={t('sources.dataset')} required extra={t('sources.datasetHint')}>
            <Select
              showSearch
              optionFilterProp="label"
              value={dataset}
              onChange={setDataset}
              loading={datasets.loading}
              data-testid="wizard-dataset"
              options={(datasets.data ?? []).map((d) => ({ value: d.code, label: `${d.name}${paren(d.code)}` }))}
            />
          </Form.Item>
          <Form.Item label={t('sources.source')} required>
            <Select
              value={sourceId}
              onChange={(v: string) => {
                setSourceId(v);
                setSchema(undefined);
                setTable(undefined);
              }}
              showSearch
              optionFilterProp="label"
              data-testid="wizard-source"
              options={props.sources.map((s) => ({ value: s.id, label: s.name }))}
            />
          </Form.Item>
          {tables.error && <Alert type="error" showIcon message={tables.error} style={{ marginBottom: 12 }} />}
          <Space wrap>
            <Form.Item label={t('sources.schemaName')} required>
              <Select
                style={{ minWidth: 180 }}
                value={schema}
                loading={tables.loading && !!sourceId}
                onChange={(v: string) => {
                  setSchema(v);
                  setTable(undefined);
                }}
                showSearch
                optionFilterProp="label"
                data-testid="wizard-schema"
                options={schemas.map((s) => ({ value: s, label: s }))}
              />
            </Form.Item>
            <Form.Item label={t('sources.table')} required>
              <Select
                style={{ minWidth: 240 }}
                value={table}
                onChange={setTable}
                showSearch
                optionFilterProp="label"
                data-testid="wizard-table"
                options={(tables.data ?? [])
                  .filter((x) => x.schema === schema)
                  .map((x) => ({ value: x.table, label: `${x.table}${x.kind === 'view' ? paren(t('sources.view')) : ''}` }))}
              />
            </Form.Item>
          </Space>
          <div>
            <Button type="primary" disabled={!canPreview} onClick={() => setStep(1)} data-testid="wizard-next">
              {t('sources.next')}
            </Button>
          </div>
        </Form>
      )}

      {step === 1 && (
        <Space direction="vertical" style={{ width: '100%' }}>
          {preview.error && <Alert type="error" showIcon message={preview.error} />}
          {preview.data && (
            <Alert
              type={preview.data.grade >= 3 ? 'warning' : 'info'}
              showIcon
              message={t('sources.previewGrade', { grade: preview.data.grade })}
              description={preview.data.columns.some((c) => c.encrypted) ? t('sources.previewEncrypted') : undefined}
            />
          )}
          <Typography.Text strong>{t('sources.mapping')}</Typography.Text>
          <Table
            rowKey="name"
            size="small"
            pagination={false}
            loading={preview.loading}
            scroll={{ x: 'max-content' }}
            data-testid="wizard-columns"
            dataSource={preview.data?.columns ?? []}
            columns={[
              {
                title: t('sources.load'),
                render: (_, c, i) => (
                  <Checkbox
                    checked={mapping[i]?.include ?? true}
                    onChange={(e) => setMapping((m) => m.map((x, j) => (j === i ? { ...x, include: e.target.checked } : x)))}
                  />
                ),
              },
              {
                title: t('sources.sourceColumn'),
                dataIndex: 'name',
                render: (n: string, c) => (
                  <Space direction="vertical" size={0}>
                    <Typography.Text code>{n}</Typography.Text>
                    <Typography.Text type="secondary">{c.sourceType}</Typography.Text>
                  </Space>
                ),
              },
              {
                title: t('sources.asItem'),
                render: (_, c, i) => (
                  <Input
                    size="small"
                    style={{ width: 140 }}
                    value={mapping[i]?.name}
                    onChange={(e) => setMapping((m) => m.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))}
                  />
                ),
              },
              { title: t('sources.detectedType'), dataIndex: 'dataType', render: (v: string) => t(`dtype.${v}` as MessageKey) },
              {
                title: t('sources.recognised'),
                dataIndex: 'types',
                render: (types: string[]) =>
                  types.map((x) => (
                    <Tooltip key={x} title={x}>
                      <Tag>{typeLabel(x)}</Tag>
                    </Tooltip>
                  )),
              },
              {
                title: t('sources.grade'),
                dataIndex: 'grade',
                render: (g: number, c) => (
                  <Space size={4}>
                    <Tag color={GRADE_COLOR[g] ?? 'default'}>{t('sources.gradeN', { n: g })}</Tag>
                    {c.encrypted && <Tag color="red">{t('sources.encrypted')}</Tag>}
                  </Space>
                ),
              },
            ]}
          />
          <Typography.Text strong>{t('sources.firstRows')}</Typography.Text>
          <Table
            rowKey={(_, i) => String(i)}
            size="small"
            pagination={false}
            scroll={{ x: 'max-content' }}
            data-testid="wizard-rows"
            dataSource={(preview.data?.rows ?? []).map((r) => Object.fromEntries(r.map((v, i) => [String(i), v])))}
            columns={(preview.data?.columns ?? []).map((c, i) => ({
              title: c.name,
              dataIndex: String(i),
              render: (v: string | null) => v ?? <Typography.Text type="secondary">NULL</Typography.Text>,
            }))}
          />
          <Space>
            <Button onClick={() => setStep(0)}>{t('sources.back')}</Button>
            <Button
              type="primary"
              disabled={!preview.data || included.length === 0 || included.some((m) => !m.name.trim())}
              onClick={() => setStep(2)}
              data-testid="wizard-next"
            >
              {t('sources.next')}
            </Button>
          </Space>
        </Space>
      )}

      {step === 2 && (
        <Form form={form} layout="vertical" onFinish={bind} initialValues={{ mode: 'replace', schedule: 'none', intervalMinutes: 60, cron: '0 2 * * *' }}>
          <Form.Item name="mode" label={t('sources.mode')} extra={t('sources.modeHint')}>
            <Radio.Group
              data-testid="wizard-mode"
              options={[
                { value: 'replace', label: t('sources.mode.replace') },
                { value: 'incremental', label: t('sources.mode.incremental') },
                // CDC: PostgreSQL sources only (logical replication).
                ...(props.sources.find((x) => x.id === sourceId)?.kind === 'postgresql' ? [{ value: 'cdc', label: t('sources.mode.cdc') }] : []),
              ]}
            />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.mode !== b.mode}>
            {({ getFieldValue }) =>
              getFieldValue('mode') === 'cdc' && (
                <Form.Item name="keyColumn" label={t('sources.key')} rules={[{ required: true }]} extra={t('sources.cdcHint')}>
                  <Select
                    style={{ minWidth: 180 }}
                    showSearch
                    options={included.map((m) => ({ value: m.source, label: m.source }))}
                    data-testid="wizard-cdc-key"
                  />
                </Form.Item>
              )
            }
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.mode !== b.mode || a.keyColumn !== b.keyColumn}>
            {({ getFieldValue }) =>
              getFieldValue('mode') === 'incremental' && (
                <Space wrap>
                  <Form.Item name="cursorColumn" label={t('sources.cursor')} rules={[{ required: true }]} extra={t('sources.cursorHint')}>
                    <Select style={{ minWidth: 180 }} options={columnNames} showSearch data-testid="wizard-cursor" />
                  </Form.Item>
                  <Form.Item name="keyColumn" label={t('sources.key')} extra={t('sources.keyHint')}>
                    <Select
                      style={{ minWidth: 180 }}
                      allowClear
                      showSearch
                      options={included.map((m) => ({ value: m.source, label: m.source }))}
                      data-testid="wizard-key"
                    />
                  </Form.Item>
                  <Form.Item name="softDeleteColumn" label={t('sources.softDelete')} extra={t('sources.softDeleteHint')}>
                    <Select
                      style={{ minWidth: 180 }}
                      allowClear
                      disabled={!getFieldValue('keyColumn')}
                      placeholder={getFieldValue('keyColumn') ? undefined : t('sources.softDeleteNeedsKey')}
                      data-testid="wizard-soft-delete"
                      options={(preview.data?.columns ?? [])
                        .filter((c) => SOFT_DELETE_TYPE.test(c.sourceType))
                        .map((c) => ({ value: c.name, label: `${c.name}${paren(c.sourceType)}` }))}
                    />
                  </Form.Item>
                </Space>
              )
            }
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.mode !== b.mode}>
            {({ getFieldValue }) =>
              getFieldValue('mode') !== 'cdc' && (
                <Form.Item name="schedule" label={t('sources.schedule')}>
                  <Radio.Group
                    data-testid="wizard-schedule"
                    options={[
                      { value: 'none', label: t('sources.onRequest') },
                      { value: 'interval', label: t('sources.byInterval') },
                      { value: 'cron', label: t('sources.byCron') },
                    ]}
                  />
                </Form.Item>
              )
            }
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.schedule !== b.schedule || a.mode !== b.mode}>
            {({ getFieldValue }) =>
              getFieldValue('mode') !== 'cdc' &&
              ((getFieldValue('schedule') === 'interval' && (
                <Form.Item name="intervalMinutes" label={t('sources.interval')} rules={[{ required: true }]}>
                  <InputNumber min={1} max={525600} addonAfter={t('sources.minutes')} />
                </Form.Item>
              )) ||
                (getFieldValue('schedule') === 'cron' && (
                  <Form.Item name="cron" label={t('sources.cron')} rules={[{ required: true }]} extra={t('sources.cronHint')}>
                    <Input style={{ maxWidth: 240 }} data-testid="wizard-cron" />
                  </Form.Item>
                )))
            }
          </Form.Item>
          <Space>
            <Button onClick={() => setStep(1)}>{t('sources.back')}</Button>
            <Button type="primary" htmlType="submit" loading={saving} data-testid="wizard-bind">
              {t('sources.doBind')}
            </Button>
          </Space>
        </Form>
      )}

      {step === 3 && (
        <Space direction="vertical">
          <Alert
            type="success"
            showIcon
            message={t('sources.bound', { dataset: (datasets.data ?? []).find((d) => d.code === dataset)?.name ?? dataset ?? '', table: `${schema}.${table}` })}
          />
          {continuous && <Alert type="info" showIcon message={t('sources.cdcStarted')} />}
          <Space>
            {!continuous && (
              <Button type="primary" onClick={() => void runNow()} data-testid="wizard-run">
                {t('sources.runNow')}
              </Button>
            )}
            <Button onClick={() => props.onClose(true)}>{t('common.close')}</Button>
          </Space>
        </Space>
      )}
    </Drawer>
  );
}
