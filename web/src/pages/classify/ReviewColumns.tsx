import { LockOutlined } from '@ant-design/icons';
import { Input, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import { TYPE_IDS, type Grade, type ReviewColumn, type ReviewView, type TypeId } from '../../api/classify.ts';
import { useI18n } from '../../i18n.tsx';
import { GradeTag, percent, useTypeName } from './common.tsx';

/** The officer's decision per column, as edited before confirming. */
export type Draft = Record<string, { type: TypeId | null; grade: Grade; reason: string }>;

/** A decision that differs from the detection (it needs a reason). */
export const isOverride = (c: ReviewColumn, d: Draft[string] | undefined) => !!d && (d.type !== c.detectedType || d.grade !== c.detected.grade);

interface Props {
  view: ReviewView;
  draft: Draft;
  /** Only a data officer decides; others see the detection and the decisions read-only. */
  officer: boolean;
  onChange(name: string, patch: Partial<Draft[string]>): void;
}

/** The review table: per column the detected type with its evidence and masked examples, and the decision (type, grade, reason). */
export function ReviewColumns({ view, draft, officer, onChange }: Props) {
  const { t } = useI18n();
  const typeName = useTypeName();
  return (
    <Table<ReviewColumn>
      rowKey="name"
      size="small"
      pagination={false}
      dataSource={view.columns}
      scroll={{ x: 1100 }}
      rowClassName={(c) => (isOverride(c, draft[c.name]) ? 'pdx-overridden' : '')}
      columns={[
        {
          title: t('cls.col.column'),
          dataIndex: 'name',
          width: 120,
          render: (name: string, c) => (
            <Space direction="vertical" size={2}>
              <Typography.Text strong>{name}</Typography.Text>
              <Space size={2} wrap>
                {c.encrypted && (
                  <Tag icon={<LockOutlined />} color="geekblue">
                    {t('cls.encrypted')}
                  </Tag>
                )}
                {c.detected.sensitive && <Tag color="red">{t('cls.sensitive')}</Tag>}
                {c.changed && <Tag color="volcano">{t('cls.changed')}</Tag>}
              </Space>
            </Space>
          ),
        },
        {
          title: t('cls.col.detected'),
          width: 130,
          render: (_, c) =>
            c.detected.text ? (
              <Space direction="vertical" size={0} data-testid={`text-${c.name}`}>
                <Tag color="purple">{t('cls.freeText')}</Tag>
                {c.detected.text.spans.map((s, i) => (
                  <Typography.Text key={s.type} strong={i === 0} type={i === 0 ? undefined : 'secondary'}>
                    {typeName(s.type)} ×{s.count}
                  </Typography.Text>
                ))}
                {c.detected.category && <Typography.Text type="secondary">{c.detected.category}</Typography.Text>}
              </Space>
            ) : c.detected.types.length ? (
              <Space direction="vertical" size={0}>
                {c.detected.types.map((d, i) => (
                  <Typography.Text key={d.type} strong={i === 0} type={i === 0 ? undefined : 'secondary'}>
                    {typeName(d.type)}
                  </Typography.Text>
                ))}
                {c.detected.category && <Typography.Text type="secondary">{c.detected.category}</Typography.Text>}
              </Space>
            ) : (
              <Typography.Text type="secondary">{t('cls.none')}</Typography.Text>
            ),
        },
        {
          title: t('cls.col.evidence'),
          width: 130,
          render: (_, c) => {
            const top = c.detected.types[0];
            if (c.detected.text) {
              return (
                <Typography.Text style={{ fontSize: 12 }} data-testid={`evidence-${c.name}`}>
                  {t('cls.textScanned', { n: c.detected.text.scanned })}
                </Typography.Text>
              );
            }
            if (!top) return <Typography.Text type="secondary">—</Typography.Text>;
            return (
              <Space direction="vertical" size={0} style={{ fontSize: 12 }} data-testid={`evidence-${c.name}`}>
                <span>
                  {t('cls.matched')} {percent(top.matched)}
                </span>
                <span>
                  {t('cls.checksumFailed')} {percent(top.checksumFailed)}
                </span>
                <span>
                  {t('cls.confidence')} {top.confidence.toFixed(2)}
                </span>
              </Space>
            );
          },
        },
        {
          title: t('cls.col.examples'),
          width: 180,
          render: (_, c) => (
            <Space direction="vertical" size={0} data-testid={`examples-${c.name}`}>
              {c.examples.map((e, i) => (
                <Typography.Text key={i} code style={{ fontSize: 12 }}>
                  {e}
                </Typography.Text>
              ))}
            </Space>
          ),
        },
        {
          title: t('cls.col.detectedGrade'),
          width: 80,
          render: (_, c) => <GradeTag grade={c.detected.grade} />,
        },
        {
          title: t('cls.col.decision'),
          width: 300,
          render: (_, c) => {
            const d = draft[c.name]!;
            return (
              <Space direction="vertical" size={4}>
                <Select<TypeId | 'none'>
                  size="small"
                  style={{ width: 196 }}
                  disabled={!officer}
                  value={d.type ?? 'none'}
                  onChange={(v) => onChange(c.name, { type: v === 'none' ? null : v })}
                  options={[{ value: 'none', label: t('cls.noType') }, ...TYPE_IDS.map((id) => ({ value: id, label: typeName(id) }))]}
                  data-testid={`type-${c.name}`}
                />
                <Radio.Group
                  size="small"
                  optionType="button"
                  buttonStyle="solid"
                  disabled={!officer}
                  value={d.grade}
                  onChange={(e) => onChange(c.name, { grade: e.target.value as Grade })}
                  options={([1, 2, 3, 4] as const).map((g) => ({ value: g, label: t(`cls.grade.${g}`) }))}
                  data-testid={`grade-${c.name}`}
                />
                {isOverride(c, d) && <Tag color="purple">{t('cls.overridden')}</Tag>}
              </Space>
            );
          },
        },
        {
          title: t('cls.col.reason'),
          width: 220,
          render: (_, c) => {
            const d = draft[c.name]!;
            const needed = isOverride(c, d);
            return (
              <Input.TextArea
                autoSize={{ minRows: 1, maxRows: 3 }}
                disabled={!officer || !needed}
                status={needed && d.reason.trim().length < 2 ? 'error' : undefined}
                placeholder={needed ? t('cls.reasonPlaceholder') : ''}
                value={needed ? d.reason : ''}
                onChange={(e) => onChange(c.name, { reason: e.target.value })}
                data-testid={`reason-${c.name}`}
              />
            );
          },
        },
      ]}
    />
  );
}
