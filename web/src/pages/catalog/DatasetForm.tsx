/** The catalogue fields of a dataset (standards.md §4), for registering and editing it. */
import { AutoComplete, Checkbox, Col, Form, Input, Radio, Row, Select, type FormInstance } from 'antd';
import { SHARE_METHODS, SHARE_TYPES, UPDATE_CYCLES, type DatasetInput } from '../../api/catalog.ts';
import { CATALOG_DEFAULTS } from '../../../../src/modules/catalog/defaults.ts';
import { useI18n } from '../../i18n.tsx';

const DOMAINS = [
  '公共安全',
  '民政',
  '卫生健康',
  '人力资源社会保障',
  '市场监管',
  '自然资源',
  '交通运输',
  '生态环境',
  '住房城乡建设',
  '教育',
  '税务',
  '农业农村',
];
const FORMATS = ['库表', '电子表格', '文本', 'XML', 'JSON', '图片', '音视频'];

export const DATASET_DEFAULTS: DatasetInput = { name: '', ...CATALOG_DEFAULTS };

export function DatasetForm({ form, initial, onFinish }: { form: FormInstance<DatasetInput>; initial: DatasetInput; onFinish(values: DatasetInput): void }) {
  const { t } = useI18n();
  const shareType = Form.useWatch('share_type', form);
  return (
    <Form<DatasetInput> form={form} layout="vertical" initialValues={initial} onFinish={onFinish} data-testid="dataset-form" scrollToFirstError>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item name="name" label={t('cat.f.name')} rules={[{ required: true, min: 2, max: 200 }]}>
            <Input placeholder={t('cat.ph.name')} />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="domain" label={t('cat.f.domain')}>
            <AutoComplete options={DOMAINS.map((value) => ({ value }))} placeholder={t('cat.ph.domain')} filterOption />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name="summary" label={t('cat.f.summary')} rules={[{ max: 4000 }]}>
        <Input.TextArea rows={3} placeholder={t('cat.ph.summary')} />
      </Form.Item>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item name="category" label={t('cat.f.category')} tooltip={t('cat.tip.category')}>
            <Input placeholder={t('cat.ph.category')} />
          </Form.Item>
        </Col>
        <Col xs={24} md={6}>
          <Form.Item name="format" label={t('cat.f.format')}>
            <AutoComplete options={FORMATS.map((value) => ({ value }))} />
          </Form.Item>
        </Col>
        <Col xs={24} md={6}>
          <Form.Item name="update_cycle" label={t('cat.f.updateCycle')}>
            <Select options={UPDATE_CYCLES.map((c) => ({ value: c, label: t(`cat.cycle.${c}`) }))} />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item name="share_type" label={t('cat.f.shareType')} tooltip={t('cat.tip.shareType')}>
            <Radio.Group optionType="button" options={SHARE_TYPES.map((s) => ({ value: s, label: t(`cat.share.${s}`) }))} />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="share_methods" label={t('cat.f.shareMethods')} rules={[{ required: true, type: 'array', min: 1 }]}>
            <Checkbox.Group options={SHARE_METHODS.map((m) => ({ value: m, label: t(`cat.method.${m}`) }))} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item
        name="share_conditions"
        label={t('cat.f.shareConditions')}
        rules={[
          { required: shareType === 'conditional' || shareType === 'none', message: t(shareType === 'none' ? 'cat.need.legalBasis' : 'cat.need.conditions') },
          { max: 2000 },
        ]}
      >
        <Input.TextArea rows={2} placeholder={t(shareType === 'none' ? 'cat.ph.legalBasis' : 'cat.ph.conditions')} />
      </Form.Item>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item name="open_type" label={t('cat.f.openType')}>
            <Radio.Group optionType="button" options={SHARE_TYPES.map((s) => ({ value: s, label: t(`cat.open.${s}`) }))} />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="on_invalid" label={t('cat.f.onInvalid')} tooltip={t('cat.tip.onInvalid')}>
            <Radio.Group
              options={[
                { value: 'reject', label: t('cat.onInvalid.reject') },
                { value: 'quarantine', label: t('cat.onInvalid.quarantine') },
              ]}
            />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item
            name="related_codes"
            label={t('cat.f.relatedCodes')}
            rules={[{ type: 'array', defaultField: { pattern: /^\d{6}-\d{6}$/, message: t('cat.need.code') } }]}
          >
            <Select mode="tags" tokenSeparators={[',', ',', ' ']} placeholder="210000-000001" open={false} suffixIcon={null} />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="tags" label={t('cat.f.tags')}>
            <Select mode="tags" tokenSeparators={[',', ',']} open={false} suffixIcon={null} />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={16}>
        <Col xs={24} md={8}>
          <Form.Item name={['contact', 'name']} label={t('cat.f.contactName')}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={24} md={8}>
          <Form.Item name={['contact', 'phone']} label={t('cat.f.contactPhone')}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={24} md={8}>
          <Form.Item name={['contact', 'email']} label={t('cat.f.contactEmail')} rules={[{ type: 'email' }]}>
            <Input />
          </Form.Item>
        </Col>
      </Row>
    </Form>
  );
}

/** Drops empty contact fields, which the API would keep as empty strings. */
export function cleanInput(values: DatasetInput): DatasetInput {
  const contact = Object.fromEntries(
    Object.entries(values.contact ?? {}).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
  ) as DatasetInput['contact'];
  return {
    ...DATASET_DEFAULTS,
    ...values,
    summary: values.summary ?? '',
    domain: values.domain ?? '',
    category: values.category ?? '',
    share_conditions: values.share_conditions ?? '',
    contact,
  };
}
