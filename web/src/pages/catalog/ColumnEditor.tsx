/** The data officer confirms or changes one 信息项: label, type, description, validation rules. */
import { Alert, Checkbox, Col, Form, Input, InputNumber, Modal, Row, Select } from 'antd';
import { useState } from 'react';
import { DATA_TYPES, putColumns, type Column, type ColumnChange, type DataType } from '../../api/catalog.ts';
import { useI18n } from '../../i18n.tsx';

interface Values {
  label: string;
  dataType: DataType;
  description: string;
  required: boolean;
  unique: boolean;
  pattern?: string;
  min?: number | null;
  max?: number | null;
  enum?: string[];
}

export function ColumnEditor({ code, column, onClose, onSaved }: { code: string; column: Column; onClose(): void; onSaved(columns: Column[]): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const r = column.rules;

  async function save(values: Values) {
    setSaving(true);
    setError(undefined);
    const rules: ColumnChange['rules'] = {
      ...(r.identifier ? { identifier: r.identifier } : {}),
      ...(values.required ? { required: true } : {}),
      ...(values.unique ? { unique: true } : {}),
      ...(values.pattern ? { pattern: values.pattern } : {}),
      ...(typeof values.min === 'number' ? { min: values.min } : {}),
      ...(typeof values.max === 'number' ? { max: values.max } : {}),
      ...(values.enum?.length ? { enum: values.enum } : {}),
    };
    try {
      onSaved(await putColumns(code, [{ name: column.name, label: values.label, dataType: values.dataType, description: values.description ?? '', rules }]));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Modal
      open
      title={`${t('cat.col.edit')} · ${column.name}`}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      confirmLoading={saving}
      width={640}
      destroyOnHidden
    >
      {column.encrypted && <Alert type="info" showIcon message={t('cat.col.encryptedText')} style={{ marginBottom: 16 }} />}
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="column-error" />}
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{
          label: column.label,
          dataType: column.dataType,
          description: column.description,
          required: !!r.required,
          unique: !!r.unique,
          pattern: r.pattern,
          min: r.min,
          max: r.max,
          enum: r.enum ?? [],
        }}
      >
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="label" label={t('cat.col.label')} rules={[{ max: 200 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="dataType" label={t('cat.col.dataType')}>
              <Select disabled={column.encrypted} options={DATA_TYPES.map((d) => ({ value: d, label: t(`dtype.${d}`) }))} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="description" label={t('cat.col.description')} rules={[{ max: 2000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="required" valuePropName="checked" style={{ marginBottom: 8 }}>
              <Checkbox>{t('cat.col.required')}</Checkbox>
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="unique" valuePropName="checked" style={{ marginBottom: 8 }}>
              <Checkbox>{t('cat.col.unique')}</Checkbox>
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="pattern" label={t('cat.col.pattern')} rules={[{ max: 500 }]}>
          <Input placeholder="^[0-9]{6}$" style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="min" label={t('cat.col.min')}>
              <InputNumber style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="max" label={t('cat.col.max')}>
              <InputNumber style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="enum" label={t('cat.col.enum')}>
          <Select mode="tags" tokenSeparators={[',', ',']} open={false} suffixIcon={null} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
