/** The time-limit clock of a share request (政务数据共享条例): a tag for lists, a card for the request page. */
import { Alert, App, Button, Card, Descriptions, Form, Input, InputNumber, Modal, Space, Tag, Tooltip } from 'antd';
import { useState } from 'react';
import { dutiesApi, type RequestClock, type StageClock } from '../../api/duties.ts';
import { chinaDate, useI18n, type MessageKey } from '../../i18n.tsx';

const COLORS: Record<StageClock['state'], string> = { running: 'blue', due_soon: 'orange', overdue: 'red', met: 'green', late: 'volcano' };

/** The last day (China time) before a deadline given as the midnight that ends it. */
export const lastDay = (iso: string) => chinaDate(new Date(iso).getTime() - 1);
const day = lastDay;

export function ClockTag({ clock, testId }: { clock: RequestClock | null; testId?: string }) {
  const { t } = useI18n();
  const s = clock?.current ?? clock?.stages.at(-1);
  if (!clock || !s) return null;
  const n = String(Math.abs(s.remainingWorkingDays ?? 0));
  return (
    <Tooltip title={`${t(`duties.stage.${s.stage}` as MessageKey)} · ${t('duties.clock.due')} ${day(s.dueAt)}`}>
      <Tag color={COLORS[s.state]} data-testid={testId ?? 'clock'} data-state={s.state}>
        {t(`duties.clock.${s.state}` as MessageKey).replace('{n}', n)}
      </Tag>
    </Tooltip>
  );
}

export function ClockCard({
  requestId,
  clock,
  canExtend,
  onChange,
}: {
  requestId: string;
  clock: RequestClock | null;
  canExtend: boolean;
  onChange: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ days: number; reason: string }>();
  if (!clock) return null;
  const submit = async () => {
    const v = await form.validateFields();
    try {
      await dutiesApi.extend(requestId, v.days, v.reason);
      setOpen(false);
      onChange();
    } catch (e) {
      void message.error((e as Error).message);
    }
  };
  return (
    <Card title={t('duties.clock.title')} data-testid="clock-card" extra={<ClockTag clock={clock} testId="clock-current" />}>
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('duties.basis')}>{t(`duties.basis.${clock.basis}` as MessageKey)}</Descriptions.Item>
        {clock.stages.map((s) => (
          <Descriptions.Item key={s.stage} label={t(`duties.stage.${s.stage}` as MessageKey)}>
            <Space wrap>
              <span>{t('duties.clock.limit', { n: s.limitDays })}</span>
              <span>
                {t('duties.clock.due')} {day(s.dueAt)}
              </span>
              <Tag color={COLORS[s.state]} data-testid={`clock-${s.stage}`}>
                {t(`duties.clock.${s.state}` as MessageKey).replace('{n}', String(Math.abs(s.remainingWorkingDays ?? 0)))}
              </Tag>
              {s.escalatedAt && <Tag color="red">{t('duties.clock.escalated')}</Tag>}
            </Space>
          </Descriptions.Item>
        ))}
      </Descriptions>
      {clock.extension && (
        <Alert style={{ marginTop: 12 }} type="info" showIcon message={t('duties.extended', { n: clock.extension.days, reason: clock.extension.reason })} />
      )}
      {canExtend && !clock.extension && clock.current?.stage === 'provider' && (
        <Button style={{ marginTop: 12 }} onClick={() => setOpen(true)} data-testid="extend">
          {t('duties.extend')}
        </Button>
      )}
      <Modal open={open} title={t('duties.extend')} onOk={() => void submit()} onCancel={() => setOpen(false)}>
        <Form form={form} layout="vertical" initialValues={{ days: Math.min(5, clock.maxExtension) }}>
          <Form.Item name="days" label={t('duties.extend.days')} rules={[{ required: true }]}>
            <InputNumber min={1} max={clock.maxExtension} data-testid="extend-days" />
          </Form.Item>
          <Form.Item name="reason" label={t('duties.extend.reason')} rules={[{ required: true, min: 2 }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
