import { LockOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Input, Radio, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { classifyApi, TYPE_IDS, typeId, type ColumnDecision, type Grade, type ReviewColumn, type ReviewView, type TypeId } from '../../api/classify.ts';
import { useAuth } from '../../auth.tsx';
import { useI18n } from '../../i18n.tsx';
import { GradeTag, LevelTag, percent, StateTag, useTypeName } from './common.tsx';

type Draft = Record<string, { type: TypeId | null; grade: Grade; reason: string }>;

const isOverride = (c: ReviewColumn, d: Draft[string] | undefined) => !!d && (d.type !== c.detectedType || d.grade !== c.detected.grade);

function draftOf(view: ReviewView): Draft {
  return Object.fromEntries(
    view.columns.map((c) => [c.name, { type: typeId(c.effectiveType), grade: c.effectiveGrade, reason: c.review?.override ? c.review.reason : '' }]),
  );
}

/**
 * The officer's review of one dataset: per column the detected type with its evidence and masked
 * examples, and a decision (type and grade; a reason when it differs from the detection).
 */
export function ReviewPage() {
  const { code = '' } = useParams();
  const { t, time } = useI18n();
  const { has } = useAuth();
  const { message } = App.useApp();
  const typeName = useTypeName();
  const [view, setView] = useState<ReviewView>();
  const [draft, setDraft] = useState<Draft>({});
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const officer = has('data_officer');

  const load = useCallback(async () => {
    try {
      const v = await classifyApi.view(code);
      setView(v);
      setDraft(draftOf(v));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [code]);
  useEffect(() => {
    void load();
  }, [load]);

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!view) return <Spin />;

  const set = (name: string, patch: Partial<Draft[string]>) => setDraft((d) => ({ ...d, [name]: { ...d[name]!, ...patch } }));

  async function confirm() {
    const missing = view!.columns.filter((c) => isOverride(c, draft[c.name]) && draft[c.name]!.reason.trim().length < 2).map((c) => c.name);
    if (missing.length) {
      message.error(`${t('cls.reasonRequired')}${missing.join(', ')}`);
      return;
    }
    setSaving(true);
    try {
      const columns: ColumnDecision[] = view!.columns.map((c) => {
        const d = draft[c.name]!;
        return { name: c.name, type: d.type, grade: d.grade, ...(isOverride(c, d) ? { reason: d.reason.trim() } : {}) };
      });
      const next = await classifyApi.review(code, { version: view!.currentVersion, columns });
      setView(next);
      setDraft(draftOf(next));
      message.destroy();
      message.success(t('cls.confirmed'));
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setSaving(false);
    }
  }

  const p = view.protection;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Link to="/classify">← {t('cls.back')}</Link>
      <Card title={<span data-testid="review-title">{view.name}</span>} extra={<Typography.Text type="secondary">{view.code}</Typography.Text>}>
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 4 }}>
          <Descriptions.Item label={t('cls.col.provider')}>{view.providerName}</Descriptions.Item>
          <Descriptions.Item label={t('cls.col.version')}>v{view.currentVersion}</Descriptions.Item>
          <Descriptions.Item label={t('cls.rows')}>{view.important.rows.toLocaleString()}</Descriptions.Item>
          <Descriptions.Item label={t('cls.col.state')}>
            <StateTag state={view.state} />
            {view.confirmation && (
              <Typography.Text type="secondary">
                {view.confirmation.by} · {time(view.confirmation.at)}
              </Typography.Text>
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t('cls.detectedGrade')}>
            <GradeTag grade={view.detectedGrade} />
          </Descriptions.Item>
          <Descriptions.Item label={t('cls.effectiveGrade')}>
            <GradeTag grade={view.effectiveGrade} testId="effective-grade" />
          </Descriptions.Item>
          <Descriptions.Item label={t('cls.col.level')}>
            <LevelTag level={view.level} candidate={view.important.candidate && !view.important.decision} />
          </Descriptions.Item>
          <Descriptions.Item label={t('cls.protection')}>
            <GradeTag grade={p.grade} />
            {p.encryptAtRest && <Tag>{t('cls.protection.encrypt')}</Tag>}
            <Tag>{t(p.defaultShare === 'masked' ? 'cls.protection.masked' : 'cls.protection.clear')}</Tag>
          </Descriptions.Item>
        </Descriptions>
      </Card>
      {view.state === 'unreviewed' && <Alert type="warning" showIcon message={t('cls.unreviewedHint')} />}
      {view.state === 'changed' && <Alert type="warning" showIcon message={`${t('cls.changedHint')}${view.flaggedColumns.join(', ')}`} />}
      {view.notice && <Alert type="error" showIcon message={view.notice} data-testid="replace-notice" />}
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
                    onChange={(v) => set(c.name, { type: v === 'none' ? null : v })}
                    options={[{ value: 'none', label: t('cls.noType') }, ...TYPE_IDS.map((id) => ({ value: id, label: typeName(id) }))]}
                    data-testid={`type-${c.name}`}
                  />
                  <Radio.Group
                    size="small"
                    optionType="button"
                    buttonStyle="solid"
                    disabled={!officer}
                    value={d.grade}
                    onChange={(e) => set(c.name, { grade: e.target.value as Grade })}
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
                  onChange={(e) => set(c.name, { reason: e.target.value })}
                  data-testid={`reason-${c.name}`}
                />
              );
            },
          },
        ]}
      />
      {officer && (
        <Button type="primary" loading={saving} onClick={() => void confirm()} data-testid="confirm-review">
          {t('cls.confirm')}
        </Button>
      )}
    </Space>
  );
}
