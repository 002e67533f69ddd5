/** The calendar changes of the settings form: one row per date (holiday or make-up working day, with a name), added and removed. */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Form, Input, Select, Space, Typography } from 'antd';
import { useI18n } from '../../../i18n.tsx';
import type { DayRow } from './model.ts';

export function CalendarSection() {
  const { t } = useI18n();
  const kinds = (['holiday', 'workday'] as const).map((k) => ({ value: k, label: t(`dset.cal.kind.${k}`) }));
  const fresh: DayRow = { date: null, kind: 'holiday', name: '' };
  return (
    <Card size="small" title={t('dset.cal.title')} style={{ height: '100%' }} data-testid="dset-calendar">
      <Typography.Paragraph type="secondary">{t('dset.cal.help')}</Typography.Paragraph>
      <Form.List name="calendar">
        {(fields, { add, remove }) => (
          <>
            {fields.length === 0 && (
              <Typography.Paragraph type="secondary" data-testid="dset-cal-empty">
                {t('dset.cal.empty')}
              </Typography.Paragraph>
            )}
            {fields.map((f, i) => (
              // The number is the one the server's messages count by ("与第 1 项日期相同").
              <Space key={f.key} align="start" wrap size={8} data-testid={`dset-cal-row-${i}`}>
                <Typography.Text type="secondary" style={{ display: 'inline-block', width: 20, lineHeight: '32px' }}>
                  {i + 1}
                </Typography.Text>
                <Form.Item name={[f.name, 'date']} rules={[{ required: true, message: t('dset.cal.dateRequired') }]} style={{ marginBottom: 12 }}>
                  <DatePicker placeholder={t('dset.cal.date')} style={{ width: 150 }} data-testid={`dset-cal-date-${i}`} />
                </Form.Item>
                <Form.Item name={[f.name, 'kind']} style={{ marginBottom: 12 }}>
                  <Select options={kinds} style={{ width: 130 }} aria-label={t('dset.cal.kind')} data-testid={`dset-cal-kind-${i}`} />
                </Form.Item>
                <Form.Item
                  name={[f.name, 'name']}
                  rules={[{ required: true, whitespace: true, message: t('dset.cal.nameRequired') }]}
                  style={{ marginBottom: 12 }}
                >
                  <Input
                    placeholder={t('dset.cal.namePlaceholder')}
                    maxLength={50}
                    style={{ width: 160 }}
                    aria-label={t('dset.cal.name')}
                    data-testid={`dset-cal-name-${i}`}
                  />
                </Form.Item>
                <Button
                  icon={<DeleteOutlined />}
                  onClick={() => remove(f.name)}
                  aria-label={t('dset.cal.remove')}
                  title={t('dset.cal.remove')}
                  data-testid={`dset-cal-remove-${i}`}
                />
              </Space>
            ))}
            <div>
              <Button icon={<PlusOutlined />} onClick={() => add(fresh)} data-testid="dset-cal-add">
                {t('dset.cal.add')}
              </Button>
            </div>
          </>
        )}
      </Form.List>
    </Card>
  );
}
