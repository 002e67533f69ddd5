import { Alert, Button, Card, Form, Space, Steps } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { createDataset, type DatasetInput } from '../../api/catalog.ts';
import { useAuth } from '../../auth.tsx';
import { useI18n } from '../../i18n.tsx';
import { cleanInput, DATASET_DEFAULTS, DatasetForm } from '../catalog/DatasetForm.tsx';

/** Data officers register a dataset (a draft in the catalogue), then go on to upload its first version. */
export function RegisterDatasetPage() {
  const { t } = useI18n();
  const { me } = useAuth();
  const navigate = useNavigate();
  const [form] = Form.useForm<DatasetInput>();
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);

  async function register(values: DatasetInput) {
    setSaving(true);
    setError(undefined);
    try {
      const d = await createDataset(cleanInput(values));
      navigate(`/ingest?dataset=${d.code}&registered=1`);
    } catch (e) {
      setError((e as Error).message);
      setSaving(false);
    }
  }

  return (
    <Space direction="vertical" size={16} style={{ width: '100%', maxWidth: 1040 }}>
      <Steps current={0} items={[{ title: t('ingest.step.register') }, { title: t('ingest.step.upload') }, { title: t('ingest.step.result') }]} />
      <Card title={t('ingest.registerTitle')}>
        <Alert type="info" showIcon message={t('ingest.registerHint')} style={{ marginBottom: 16 }} />
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="register-error" />}
        <DatasetForm form={form} initial={{ ...DATASET_DEFAULTS, contact: { name: me?.displayName } }} onFinish={(v) => void register(v)} />
        <Space>
          <Button type="primary" loading={saving} onClick={() => form.submit()} data-testid="register-submit">
            {t('ingest.registerSubmit')}
          </Button>
          <Button onClick={() => navigate(-1)}>{t('common.cancel')}</Button>
        </Space>
      </Card>
    </Space>
  );
}
