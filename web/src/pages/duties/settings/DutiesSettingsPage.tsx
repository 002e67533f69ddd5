/**
 * 时限与工作日历 (the security administrator's): the time limits in working days by share type and
 * stage, the longest extension, the reminder lead, and the calendar changes over the official table
 * (GET/PUT /api/v1/duties/settings). Bounds and defaults come from the settings' JSON Schema; a change
 * is confirmed with the list of what it changes; a field the server refuses shows its message.
 */
import { Alert, App as AntApp, Button, Col, Form, Row, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError } from '../../../api/client.ts';
import { dutiesSettingsApi, type DutiesSettings, type FieldIssue } from '../../../api/duties.ts';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { CalendarSection } from './CalendarSection.tsx';
import { ChangeList } from './ChangeList.tsx';
import { LimitsSection } from './LimitsSection.tsx';
import { changesOf, fieldErrors, fromValues, toValues, type Values } from './model.ts';
import { YearDays } from './YearDays.tsx';

export function DutiesSettingsPage() {
  const { t } = useI18n();
  const { message, modal } = AntApp.useApp();
  const { data: settings, error, set: setSettings } = useLoad(() => dutiesSettingsApi.get(), []);
  const { data: schema, error: schemaError } = useLoad(() => dutiesSettingsApi.schema(), []);
  const [form] = Form.useForm<Values>();
  const [refused, setRefused] = useState<string>();
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (settings) form.setFieldsValue(toValues(settings));
  }, [form, settings]);

  const save = async (next: DutiesSettings) => {
    try {
      setSettings(await dutiesSettingsApi.save(next));
      setRefused(undefined);
      setVersion((v) => v + 1);
      message.success(t('dset.saved'));
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'invalid_settings') {
        message.error((e as Error).message);
        return;
      }
      // Each wrong field shows the server's message beside it; the first is said at the top as well.
      const issues = (e.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
      // The server names fields by path at run time; the form's own paths are typed, so the list is cast.
      form.setFields(fieldErrors(issues) as Parameters<typeof form.setFields>[0]);
      setRefused(t('dset.refused', { message: e.message }));
    }
  };

  const confirm = (values: Values) => {
    if (!settings) return;
    const next = fromValues(settings, values);
    const changes = changesOf(settings, next);
    if (changes.length === 0) {
      message.info(t('dset.confirm.none'));
      return;
    }
    modal.confirm({
      title: t('dset.confirm.title'),
      content: (
        <>
          <ChangeList changes={changes} />
          <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
            {t('dset.frozen')}
          </Typography.Paragraph>
        </>
      ),
      okText: t('dset.save'),
      width: 520,
      onOk: () => save(next),
    });
  };

  const failed = error ?? schemaError;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t('dset.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t('dset.hint')} {t('dset.frozen')}
      </Typography.Paragraph>
      {failed && <Alert type="error" showIcon message={failed} />}
      {settings && schema && (
        <Form form={form} layout="vertical" onFinish={confirm} scrollToFirstError data-testid="dset-form">
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            <LimitsSection schema={schema} />
            <Row gutter={[16, 16]}>
              <Col xs={24} xl={14}>
                <CalendarSection />
              </Col>
              <Col xs={24} xl={10}>
                <YearDays version={version} />
              </Col>
            </Row>
            {refused && <Alert type="error" showIcon message={refused} data-testid="dset-refused" />}
            <Button type="primary" htmlType="submit" data-testid="dset-save">
              {t('dset.save')}
            </Button>
          </Space>
        </Form>
      )}
    </Space>
  );
}
