import { Alert, App as AntApp, Button, Card, Col, Form, Input, InputNumber, Row, Select, Space, Switch, Typography } from 'antd';
import { useEffect, type ReactNode } from 'react';
import { secopsApi, SEVERITIES, type Settings, type Severity } from '../../api/secops.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';

/**
 * 监测设置: one form per detector, with labels, units, limits and defaults. Limits and defaults come
 * from the server's JSON Schema of the settings (GET /api/v1/secops/settings/schema), so the form
 * and the server's validation cannot drift apart; labels and units are the console's.
 */
type Detectors = Settings['detectors'];
type Unit = 'times' | 'minutes' | 'hours' | 'rows' | 'ratio' | 'accounts' | 'hourOfDay';
type FieldKind = Unit | 'severity' | 'action' | 'switch';
/** Every field of every detector (the compiler checks the list against the server's settings type). */
const DETECTOR_FIELDS: { [D in keyof Detectors]: { [F in Exclude<keyof Detectors[D], 'enabled'>]-?: FieldKind } } = {
  volume: { ratio: 'ratio', highRatio: 'ratio', baselineHours: 'hours', minBaselineHours: 'hours', minRows: 'rows', action: 'action' },
  sensitiveBulk: { rows: 'rows', action: 'action' },
  outsideHours: { checkTimeOfDay: 'switch', from: 'hourOfDay', to: 'hourOfDay', action: 'action' },
  bruteForce: { failures: 'times', windowMinutes: 'minutes', sprayAccounts: 'accounts', lockAccount: 'switch', lockMinutes: 'minutes' },
  denials: { count: 'times', windowMinutes: 'minutes' },
  ipRange: { severity: 'severity', action: 'action' },
  revokedKey: { severity: 'severity' },
  quota: { count: 'times', windowMinutes: 'minutes', action: 'action', throttleMinutes: 'minutes' },
  newSensitiveColumn: { freezeSharing: 'switch' },
  adminChange: { severity: 'severity' },
  auditChain: { everyMinutes: 'minutes' },
  telemetryFlood: { severity: 'severity' },
  requestOverdue: { severity: 'severity' },
  syncFailures: { count: 'times', severity: 'severity' },
};
const DETECTORS = Object.keys(DETECTOR_FIELDS) as (keyof Detectors)[];

/** The part of a JSON Schema the form reads. */
interface Prop {
  type?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  properties?: Record<string, Prop>;
}
const at = (schema: Prop | undefined, ...path: string[]): Prop | undefined => path.reduce<Prop | undefined>((p, k) => p?.properties?.[k], schema);

/** Form values: the settings with durations the server keeps in ms shown in seconds. */
type Values = Omit<Settings, 'webhooks' | 'intervalMs' | 'delivery' | 'email'> & {
  intervalS: number;
  delivery: { maxAttempts: number; retryBaseS: number; timeoutS: number };
  webhooks: { url: string; minSeverity: Severity; secret?: string }[];
  email: Settings['email'];
};

export function SettingsTab() {
  const { t, num } = useI18n();
  const { message } = AntApp.useApp();
  const { data: settings, error, set: setSettings } = useLoad(() => secopsApi.settings(), []);
  const { data: schema } = useLoad(async () => (await secopsApi.settingsSchema()) as Prop, []);
  const [form] = Form.useForm<Values>();
  useEffect(() => {
    if (!settings) return;
    const { intervalMs, delivery, webhooks, ...rest } = settings;
    form.setFieldsValue({
      ...rest,
      intervalS: intervalMs / 1000,
      delivery: { maxAttempts: delivery.maxAttempts, retryBaseS: delivery.retryBaseMs / 1000, timeoutS: delivery.timeoutMs / 1000 },
      webhooks: webhooks.map((w) => ({ url: w.url, minSeverity: w.minSeverity, secret: '' })),
    });
  }, [form, settings]);
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!settings || !schema) return null;

  const severityOptions = SEVERITIES.map((s) => ({ value: s, label: t(`secops.sev.${s}`) }));
  const save = async (v: Values) => {
    const { intervalS, delivery, webhooks, ...rest } = v;
    try {
      const saved = await secopsApi.saveSettings({
        ...settings,
        ...rest,
        intervalMs: Math.round(intervalS * 1000),
        delivery: { maxAttempts: delivery.maxAttempts, retryBaseMs: Math.round(delivery.retryBaseS * 1000), timeoutMs: Math.round(delivery.timeoutS * 1000) },
        webhooks: (webhooks ?? []).map((w) => ({ url: w.url, minSeverity: w.minSeverity, ...(w.secret ? { secret: w.secret } : {}) })),
      });
      setSettings(saved);
      message.success(t('secops.settings.saved'));
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  /** A number with its unit, limits and default from the schema; `scale` shows ms as seconds. */
  const number = (name: (string | number)[], label: string, unit: Unit | 'seconds' | 'days', prop: Prop | undefined, scale = 1) => {
    const unitText = t(`sset.unit.${unit}`);
    const min = prop?.minimum === undefined ? undefined : prop.minimum / scale;
    const max = prop?.maximum === undefined || prop.maximum > 1e12 ? undefined : prop.maximum / scale;
    const def = typeof prop?.default === 'number' ? prop.default / scale : undefined;
    return (
      <Form.Item
        key={name.join('.')}
        name={name}
        label={label}
        extra={def === undefined ? undefined : t('sset.default', { value: `${num(def)} ${unitText}` })}
        rules={[{ required: true, type: 'number', min, max }]}
      >
        <InputNumber
          min={min}
          max={max}
          step={prop?.type === 'integer' && scale === 1 ? 1 : undefined}
          suffix={unitText}
          style={{ width: 180 }}
          data-testid={`sset-${name.join('-')}`}
        />
      </Form.Item>
    );
  };
  const choice = (name: (string | number)[], label: string, options: { value: string; label: string }[], def: unknown) => (
    <Form.Item
      key={name.join('.')}
      name={name}
      label={label}
      extra={def === undefined ? undefined : t('sset.default', { value: options.find((o) => o.value === def)?.label ?? String(def) })}
    >
      <Select options={options} style={{ width: 200 }} />
    </Form.Item>
  );
  const toggle = (name: (string | number)[], label: string, def: unknown) => (
    <Form.Item
      key={name.join('.')}
      name={name}
      label={label}
      valuePropName="checked"
      extra={typeof def === 'boolean' ? t('sset.default', { value: t(def ? 'sset.yes' : 'sset.no') }) : undefined}
    >
      <Switch />
    </Form.Item>
  );
  const actionOptions = (values: string[] | undefined) =>
    (values ?? []).map((a) => ({
      value: a,
      label: a === 'none' ? t('sset.noAction') : t(`secops.kind.${a as 'throttle_key' | 'suspend_key' | 'suspend_grant'}`),
    }));

  const detectorCard = (d: keyof Detectors) => {
    const props = at(schema, 'detectors', d);
    const fields = DETECTOR_FIELDS[d] as Record<string, FieldKind>;
    const label = (f: string) => t(`sset.f.${d}.${f}` as MessageKey);
    const item = (f: string): ReactNode => {
      const kind = fields[f]!;
      const prop = props?.properties?.[f];
      const name = ['detectors', d, f];
      if (kind === 'switch') return toggle(name, label(f), prop?.default);
      if (kind === 'severity') return choice(name, label(f), severityOptions, prop?.default);
      if (kind === 'action') return choice(name, label(f), actionOptions(prop?.enum), prop?.default);
      return number(name, label(f), kind, prop);
    };
    const canDisable = Boolean(props?.properties?.enabled);
    return (
      <Col key={d} xs={24} lg={12}>
        <Card
          size="small"
          title={t(`secops.det.${d}` as MessageKey)}
          extra={
            canDisable ? (
              <Form.Item name={['detectors', d, 'enabled']} valuePropName="checked" noStyle>
                <Switch
                  checkedChildren={t('sset.enabled')}
                  aria-label={`${t(`secops.det.${d}` as MessageKey)} ${t('sset.enabled')}`}
                  data-testid={`sset-${d}-enabled`}
                />
              </Form.Item>
            ) : undefined
          }
          style={{ height: '100%' }}
          data-testid={`sset-card-${d}`}
        >
          <Typography.Paragraph type="secondary">{t(`sset.det.${d}` as MessageKey)}</Typography.Paragraph>
          <Space wrap size="middle" align="start">
            {Object.keys(fields).map(item)}
          </Space>
        </Card>
      </Col>
    );
  };

  const autoIncident = at(schema, 'autoIncidentSeverity');
  return (
    <Form form={form} layout="vertical" onFinish={save} scrollToFirstError>
      <Card size="small" title={t('sset.general')} style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">{t('sset.general.help')}</Typography.Paragraph>
        <Space wrap size="middle" align="start">
          {number(['intervalS'], t('sset.interval'), 'seconds', at(schema, 'intervalMs'), 1000)}
          {number(['dedupeMinutes'], t('sset.dedupe'), 'minutes', at(schema, 'dedupeMinutes'))}
          {number(['nightHours', 'from'], t('sset.nightFrom'), 'hourOfDay', {
            ...at(schema, 'nightHours', 'from'),
            default: (at(schema, 'nightHours')?.default as { from?: number } | undefined)?.from,
          })}
          {number(['nightHours', 'to'], t('sset.nightTo'), 'hourOfDay', {
            ...at(schema, 'nightHours', 'to'),
            default: (at(schema, 'nightHours')?.default as { to?: number } | undefined)?.to,
          })}
          {choice(['autoIncidentSeverity'], t('sset.autoIncident'), [...severityOptions, { value: 'none', label: t('sset.never') }], autoIncident?.default)}
          {number(['reporting', 'firstReportHours'], t('sset.firstReport'), 'hours', at(schema, 'reporting', 'firstReportHours'))}
          {number(['reporting', 'finalReportDays'], t('sset.finalReport'), 'days', at(schema, 'reporting', 'finalReportDays'))}
          {number(['reporting', 'warnBeforeMinutes'], t('sset.warnBefore'), 'minutes', at(schema, 'reporting', 'warnBeforeMinutes'))}
        </Space>
      </Card>
      <Row gutter={[16, 16]}>{DETECTORS.map(detectorCard)}</Row>
      <Card size="small" title={t('sset.delivery')} style={{ marginTop: 16 }}>
        <Typography.Title level={5}>{t('secops.settings.webhooks')}</Typography.Title>
        <Form.List name="webhooks">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="baseline" wrap>
                  <Form.Item name={[f.name, 'url']} rules={[{ required: true, type: 'url' }]}>
                    <Input placeholder="https://soc.example.gov.cn/hooks/pdx" style={{ width: 320 }} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'secret']}>
                    <Input.Password placeholder={t('secops.settings.secret')} style={{ width: 240 }} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'minSeverity']} initialValue="general">
                    <Select options={severityOptions} style={{ width: 110 }} />
                  </Form.Item>
                  <Button onClick={() => remove(f.name)}>−</Button>
                </Space>
              ))}
              <Button onClick={() => add({ minSeverity: 'significant' })}>+ Webhook</Button>
            </>
          )}
        </Form.List>
        <Space wrap size="middle" align="start" style={{ marginTop: 16 }}>
          <Form.Item name={['email', 'to']} label={t('secops.settings.email')}>
            <Select mode="tags" style={{ width: 420, maxWidth: '80vw' }} tokenSeparators={[',', ' ']} />
          </Form.Item>
          {choice(['email', 'minSeverity'], t('secops.settings.minSeverity'), severityOptions, at(schema, 'email', 'minSeverity')?.default)}
          {number(['delivery', 'maxAttempts'], t('sset.maxAttempts'), 'times', at(schema, 'delivery', 'maxAttempts'))}
          {number(['delivery', 'retryBaseS'], t('sset.retryBase'), 'seconds', at(schema, 'delivery', 'retryBaseMs'), 1000)}
          {number(['delivery', 'timeoutS'], t('sset.timeout'), 'seconds', at(schema, 'delivery', 'timeoutMs'), 1000)}
        </Space>
      </Card>
      <Button type="primary" htmlType="submit" style={{ marginTop: 16 }} data-testid="sset-save">
        {t('secops.settings.save')}
      </Button>
    </Form>
  );
}
