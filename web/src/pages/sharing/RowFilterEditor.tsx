import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, Select, Space, Tooltip, Typography } from 'antd';
import { FILTER_OPERATORS, type FilterCondition } from '../../api/share.ts';
import { useI18n } from '../../i18n.tsx';
import { rowFilterText } from './common.tsx';

interface Props {
  /** Column names a condition may test. */
  names: string[];
  conditions: FilterCondition[];
  onConditions(update: (prev: FilterCondition[]) => FilterCondition[]): void;
  /** The filter as text, once the approver chose to edit it so (undefined: the condition builder). */
  rawFilter: string | undefined;
  onRawFilter(text: string): void;
  /** The filter as it reads now, shown under the field. */
  shown: string;
}

/** The approver's row filter: conditions picked from the columns, or the filter typed as text. */
export function RowFilterEditor({ names, conditions, onConditions, rawFilter, onRawFilter, shown }: Props) {
  const i18n = useI18n();
  const { t } = i18n;
  const setCondition = (i: number, patch: Partial<FilterCondition>) => onConditions((prev) => prev.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  return (
    <Form.Item
      label={t('share.f.rowFilter')}
      extra={
        <span>
          {t('share.rowFilterHint')}{' '}
          <Tooltip title={shown || undefined}>
            <Typography.Text strong data-testid="filter-text">
              {shown ? (rowFilterText(i18n, shown) ?? shown) : '—'}
            </Typography.Text>
          </Tooltip>
        </span>
      }
    >
      {rawFilter === undefined ? (
        <Space direction="vertical" style={{ width: '100%' }}>
          {conditions.map((c, i) => (
            <Space key={i} wrap data-testid={`condition-${i}`}>
              <Select
                showSearch
                style={{ width: 180 }}
                placeholder={t('share.col.column')}
                value={c.column || undefined}
                onChange={(v: string) => setCondition(i, { column: v })}
                options={names.map((n) => ({ value: n, label: n }))}
                data-testid={`filter-column-${i}`}
              />
              <Select
                style={{ width: 140 }}
                value={c.op}
                onChange={(v) => setCondition(i, { op: v })}
                options={FILTER_OPERATORS.map((op) => ({ value: op, label: t(`share.op.${op}`) }))}
                data-testid={`filter-op-${i}`}
              />
              {c.op !== 'is' && (
                <Input
                  style={{ width: 220 }}
                  value={c.value}
                  placeholder={c.op === 'in' ? '朝阳市,锦州市' : t('share.filterValue')}
                  onChange={(e) => setCondition(i, { value: e.target.value })}
                  data-testid={`filter-value-${i}`}
                />
              )}
              <Button
                icon={<DeleteOutlined />}
                onClick={() => onConditions((prev) => prev.filter((_, j) => j !== i))}
                aria-label={t('share.removeCondition')}
              />
            </Space>
          ))}
          <Space>
            <Button icon={<PlusOutlined />} onClick={() => onConditions((prev) => [...prev, { column: '', op: 'eq', value: '' }])} data-testid="add-condition">
              {t('share.addCondition')}
            </Button>
            <Button type="link" onClick={() => onRawFilter(shown)}>
              {t('share.editAsText')}
            </Button>
          </Space>
        </Space>
      ) : (
        <Input value={rawFilter} onChange={(e) => onRawFilter(e.target.value)} placeholder="户籍地=eq.朝阳市&人口数=gte.2" data-testid="filter-raw" />
      )}
    </Form.Item>
  );
}
