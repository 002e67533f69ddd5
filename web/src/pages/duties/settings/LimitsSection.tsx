/** The time limits of the settings form: three cards of working-day fields, each with its bounds, default and whether it is the default. */
import { Card, Col, Form, InputNumber, Row, Space, Tag, Typography } from 'antd';
import { useI18n } from '../../../i18n.tsx';
import { boundsOf, LIMIT_PATHS, LIMIT_SECTIONS, limitName, type Bounds, type LimitPath, type Section } from './model.ts';

/** "N 个工作日" / "N working days" (one working day in English). */
export function useDays(): (n: number) => string {
  const { t, num } = useI18n();
  return (n) => t(n === 1 ? 'dset.oneDay' : 'dset.days', { n: num(n) });
}

/** One limit in working days; a security limit per share type may be left empty (the general one applies). */
function LimitField({ path, bounds }: { path: LimitPath; bounds: Bounds }) {
  const { t, num, semicolon } = useI18n();
  const days = useDays();
  const form = Form.useFormInstance();
  const name = limitName(path);
  const value = Form.useWatch(name, form) as number | null | undefined;
  const general = Form.useWatch(['limits', 'security'], form) as number | null | undefined;
  const optional = bounds.def === null;
  const fallback = general == null ? '' : days(general);
  const isDefault = (value ?? null) === bounds.def;
  const testId = `dset-${name.join('-')}`;
  const label = (
    <Space size={6}>
      {t(`dset.f.${path}`)}
      <Tag color={isDefault ? 'default' : 'blue'} style={{ marginInlineEnd: 0 }} data-testid={`${testId}-state`}>
        {t(isDefault ? 'dset.isDefault' : 'dset.changed')}
      </Tag>
    </Space>
  );
  const extra = [
    t('dset.default', { value: optional ? t('dset.sameAsSecurity', { value: fallback }) : days(bounds.def!) }),
    path === 'remindBefore' ? t('dset.remindHelp') : '',
  ];
  return (
    <Form.Item
      name={name}
      label={label}
      extra={extra.filter(Boolean).join(semicolon)}
      rules={optional ? [] : [{ required: true }]}
      style={{ marginBottom: 12 }}
    >
      <InputNumber
        min={bounds.min}
        max={bounds.max}
        precision={0}
        suffix={t('dset.unit')}
        placeholder={optional && general != null ? num(general) : undefined}
        style={{ width: 200 }}
        data-testid={testId}
      />
    </Form.Item>
  );
}

const SECTIONS: {
  key: Section;
  title: 'dset.sec.requests' | 'dset.sec.security' | 'dset.sec.other';
  help?: 'dset.sec.requests.help' | 'dset.sec.security.help';
}[] = [
  { key: 'requests', title: 'dset.sec.requests', help: 'dset.sec.requests.help' },
  { key: 'security', title: 'dset.sec.security', help: 'dset.sec.security.help' },
  { key: 'other', title: 'dset.sec.other' },
];

export function LimitsSection({ schema }: { schema: Record<string, unknown> }) {
  const { t } = useI18n();
  return (
    <Row gutter={[16, 16]}>
      {SECTIONS.map((s) => (
        <Col key={s.key} xs={24} xl={8}>
          <Card size="small" title={t(s.title)} style={{ height: '100%' }} data-testid={`dset-section-${s.key}`}>
            {s.help && <Typography.Paragraph type="secondary">{t(s.help)}</Typography.Paragraph>}
            {LIMIT_PATHS.filter((p) => LIMIT_SECTIONS[p] === s.key).map((p) => (
              <LimitField key={p} path={p} bounds={boundsOf(schema, p)} />
            ))}
          </Card>
        </Col>
      ))}
    </Row>
  );
}
