import { Radio, Select, Space, Table, Tag, Typography } from 'antd';
import type { TypeId } from '../../api/classify.ts';
import { GRANT_MODES, REDACT_STYLES, type ColumnDetail, type Generalize, type GrantMode, type RedactStyle, type RequestDetail } from '../../api/share.ts';
import { useI18n } from '../../i18n.tsx';
import { GradeTag } from '../catalog/labels.tsx';
import { useTypeName } from '../classify/common.tsx';

/** Modes a response field of an interface can be granted in (the server refuses the others). */
const SERVICE_FIELD_MODES: ReadonlySet<GrantMode> = new Set<GrantMode>(['clear', 'masked', 'pseudonym', 'redacted', 'hidden']);
const DATE_TYPES = new Set(['date_of_birth', 'date', 'timestamp']);

/** How the approver grants one column: the mode, and how to generalise or redact where the mode needs it. */
export interface ColumnChoice {
  mode: GrantMode;
  generalize?: Generalize;
  redact?: RedactStyle;
}

/** The modes a column of this request may be granted in: redaction for text, clear or hidden for telemetry points, the interface's modes for its fields. */
function modesFor(c: ColumnDetail, detail: RequestDetail): GrantMode[] {
  return GRANT_MODES.filter(
    (m) =>
      (m !== 'redacted' || c.dataType === 'text') && (!detail.series || m === 'clear' || m === 'hidden') && (!detail.operations || SERVICE_FIELD_MODES.has(m)),
  );
}

/** The requested columns with their type and grade, and the approver's choice of mode for each. */
export function ColumnModes({
  detail,
  choices,
  onChoice,
}: {
  detail: RequestDetail;
  choices: Record<string, ColumnChoice>;
  onChoice(name: string, patch: Partial<ColumnChoice>): void;
}) {
  const { t } = useI18n();
  const typeName = useTypeName();
  return (
    <Table<ColumnDetail>
      rowKey="name"
      size="small"
      pagination={false}
      dataSource={detail.columnDetails}
      columns={[
        { title: t('share.col.column'), dataIndex: 'name' },
        { title: t('share.col.type'), dataIndex: 'type', render: (v: string | null) => (v ? typeName(v as TypeId) : '—') },
        { title: t('share.col.grade'), dataIndex: 'grade', render: (g: number | null) => <GradeTag grade={g} short /> },
        {
          title: t('share.col.mode'),
          render: (_, c) => (
            <Space wrap>
              <Radio.Group
                size="small"
                optionType="button"
                value={choices[c.name]?.mode}
                onChange={(e) => onChoice(c.name, { mode: e.target.value as GrantMode })}
                data-testid={`mode-${c.name}`}
                options={modesFor(c, detail).map((m) => ({
                  value: m,
                  label: t(`share.mode.${m}`),
                  disabled: m === 'verify' && c.encrypted && !c.blindIndex,
                }))}
              />
              {choices[c.name]?.mode === 'redacted' && (
                <Select
                  size="small"
                  style={{ width: 190 }}
                  value={choices[c.name]?.redact ?? 'masked'}
                  onChange={(v) => onChoice(c.name, { redact: v })}
                  options={REDACT_STYLES.map((v) => ({ value: v, label: t(`share.redact.${v}`) }))}
                  data-testid={`redact-${c.name}`}
                />
              )}
              {c.freeText && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('share.redactHint')}
                </Typography.Text>
              )}
              {choices[c.name]?.mode === 'generalized' && c.type === 'address' && (
                <Select
                  size="small"
                  style={{ width: 120 }}
                  value={choices[c.name]?.generalize?.address ?? 'district'}
                  onChange={(v) => onChoice(c.name, { generalize: { address: v } })}
                  options={(['district', 'city', 'province'] as const).map((v) => ({ value: v, label: t(`share.gen.address.${v}`) }))}
                  data-testid={`gen-${c.name}`}
                />
              )}
              {choices[c.name]?.mode === 'generalized' && c.type !== null && DATE_TYPES.has(c.type) && (
                <Select
                  size="small"
                  style={{ width: 120 }}
                  value={choices[c.name]?.generalize?.date ?? 'year'}
                  onChange={(v) => onChoice(c.name, { generalize: { date: v } })}
                  options={(['year', 'month'] as const).map((v) => ({ value: v, label: t(`share.gen.date.${v}`) }))}
                />
              )}
              {(c.grade ?? 0) >= 4 && choices[c.name]?.mode === 'clear' && <Tag color="red">{t('share.clear4')}</Tag>}
            </Space>
          ),
        },
      ]}
    />
  );
}
