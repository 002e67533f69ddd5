import { ArrowLeftOutlined, CloudUploadOutlined, EditOutlined, RollbackOutlined, SendOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Form, Modal, Result, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import {
  getColumns,
  getDataset,
  getVersions,
  publishDataset,
  toInput,
  updateDataset,
  withdrawDataset,
  type Column,
  type Dataset,
  type DatasetInput,
  type Version,
} from '../../api/catalog.ts';
import { ApiError } from '../../api/client.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { ColumnEditor } from './ColumnEditor.tsx';
import { cleanInput, DatasetForm } from './DatasetForm.tsx';
import { count, GradeTag, OpenTag, ShareTag, StatusTag } from './labels.tsx';
import { ColumnsTable, VersionsTable } from './DatasetTables.tsx';
import { DataPreview } from './DataPreview.tsx';
import { DatasetBinding } from '../exchange/DatasetBinding.tsx';
import { QualityReportView } from './QualityReport.tsx';
import { RatingsCard } from '../duties/RatingsCard.tsx';
import { FlaggedRows } from '../duties/FlaggedRows.tsx';
import { UpkeepLine } from '../duties/Upkeep.tsx';
import { DatasetGrantsCard } from '../sharing/GrantUsage.tsx';

/** What the page shows of one entry, loaded together. */
interface Entry {
  dataset: Dataset;
  columns: Column[];
  versions: Version[];
}

/** A catalogue entry: metadata, 信息项, versions; for the provider's officers also quality and management. */
export function DatasetPage() {
  const { code = '' } = useParams();
  const { t, label, time, date, paren, sep } = useI18n();
  const { me, has } = useAuth();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const [actionError, setActionError] = useState<ApiError | Error>();
  const [editing, setEditing] = useState(false);
  const [editError, setEditError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [column, setColumn] = useState<Column>();
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<DatasetInput>();

  // null: no such entry (or not visible to the caller), shown as 404; other failures as such.
  const loaded = useLoad(async (): Promise<Entry | null> => {
    try {
      const [dataset, columns, versions] = await Promise.all([getDataset(code), getColumns(code), getVersions(code)]);
      return { dataset, columns, versions };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }, [code]);
  const entry = loaded.data;
  // An action's answer replaces that part of the entry; the rest stays as loaded.
  const setDataset = (dataset: Dataset) => entry && loaded.set({ ...entry, dataset });
  const setColumns = (columns: Column[]) => entry && loaded.set({ ...entry, columns });

  if (entry === null || (loaded.error && !entry)) {
    const missing = entry === null;
    return (
      <Result
        status={missing ? '404' : 'error'}
        title={missing ? t('cat.notFound') : t('cat.loadFailed')}
        subTitle={missing ? undefined : loaded.error}
        extra={<Button onClick={() => navigate('/catalog')}>{t('cat.back')}</Button>}
      />
    );
  }
  // A change of `code` keeps the last entry while the next loads: show the spinner, not the old entry.
  if (!entry || (loaded.loading && entry.dataset.code !== code)) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;

  const { dataset, columns, versions } = entry;
  const d = dataset;
  const owner = !!me && me.orgId === d.providerOrgId;
  const officer = owner && has('data_officer');
  const telemetry = d.resourceKind === 'telemetry';
  const seesQuality = (owner && has('data_officer')) || has('secadmin');

  async function act(run: () => Promise<Dataset>, done: MessageKey) {
    setBusy(true);
    setActionError(undefined);
    try {
      setDataset(await run());
      message.success(t(done));
    } catch (e) {
      setActionError(e as Error);
    } finally {
      setBusy(false);
    }
  }

  async function saveMetadata(values: DatasetInput) {
    setSaving(true);
    setEditError(undefined);
    try {
      setDataset(await updateDataset(code, cleanInput(values)));
      setEditing(false);
      message.success(t('cat.saved'));
    } catch (e) {
      setEditError((e as Error).message);
    } finally {
      setSaving(false);
    }
  }

  const dash = <Typography.Text type="secondary">—</Typography.Text>;
  const text = (v: string) => (v ? v : dash);
  const contact = [d.contact.name, d.contact.phone, d.contact.email].filter(Boolean).join(' · ');

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Link to="/catalog">
        <ArrowLeftOutlined /> {t('cat.back')}
      </Link>
      <Card>
        <div style={{ display: 'flex', flexWrap: 'wrap', gap: 16, alignItems: 'flex-start', justifyContent: 'space-between' }}>
          <Space direction="vertical" size={4} style={{ minWidth: 0 }}>
            <Space wrap align="center">
              <Typography.Title level={3} style={{ margin: 0 }} data-testid="dataset-name">
                {d.name}
              </Typography.Title>
              <StatusTag value={d.status} />
              <GradeTag grade={d.grade} important={d.importantCandidate} />
              {telemetry && (
                <Tag color="geekblue" data-testid="telemetry-kind">
                  {t('tel.kindTag')}
                </Tag>
              )}
            </Space>
            <Typography.Text type="secondary">
              {t('cat.f.code')} {d.code} · {d.providerName} · {t('cat.f.rows')} {count(d.rowCount)} · {t('cat.f.version')}{' '}
              {d.currentVersion ? `v${d.currentVersion}` : '—'}
            </Typography.Text>
            <UpkeepLine dataset={d} />
          </Space>
          {officer && (
            <Space wrap>
              <Button icon={<EditOutlined />} onClick={() => (setEditError(undefined), setEditing(true))} data-testid="edit-metadata">
                {t('cat.edit')}
              </Button>
              {!telemetry && (
                <Button icon={<CloudUploadOutlined />} onClick={() => navigate(`/ingest?dataset=${d.code}`)} data-testid="upload-version">
                  {t('cat.uploadVersion')}
                </Button>
              )}
              {d.status === 'published' ? (
                <Button
                  danger
                  icon={<RollbackOutlined />}
                  loading={busy}
                  onClick={() =>
                    modal.confirm({
                      title: t('cat.withdrawConfirm'),
                      okText: t('common.ok'),
                      cancelText: t('common.cancel'),
                      onOk: () => act(() => withdrawDataset(code), 'cat.withdrawn'),
                    })
                  }
                  data-testid="withdraw"
                >
                  {t('cat.withdraw')}
                </Button>
              ) : (
                <Button
                  type="primary"
                  icon={<SendOutlined />}
                  loading={busy}
                  disabled={d.currentVersion === 0 && !telemetry}
                  onClick={() =>
                    modal.confirm({
                      title: t('cat.publishConfirm', { name: d.name }),
                      content: (
                        <Descriptions size="small" column={1} style={{ marginTop: 12 }} data-testid="publish-summary">
                          <Descriptions.Item label={t('cat.f.shareType')}>
                            <ShareTag value={d.shareType} />
                          </Descriptions.Item>
                          <Descriptions.Item label={t('cat.f.grade')}>
                            <GradeTag grade={d.grade} important={d.importantCandidate} />
                          </Descriptions.Item>
                          {!telemetry && (
                            <Descriptions.Item label={t('cat.f.version')}>{`v${d.currentVersion} · ${count(d.rowCount)} ${t('cat.f.rows')}`}</Descriptions.Item>
                          )}
                          <Descriptions.Item label={t('cat.publishEffect')}>
                            {t(d.shareType === 'none' ? 'cat.publishEffectNone' : 'cat.publishEffectShared')}
                          </Descriptions.Item>
                        </Descriptions>
                      ),
                      okText: t('cat.publish'),
                      cancelText: t('common.cancel'),
                      onOk: () => act(() => publishDataset(code), 'cat.published'),
                    })
                  }
                  data-testid="publish"
                >
                  {t('cat.publish')}
                </Button>
              )}
            </Space>
          )}
          {!owner && d.status === 'published' && d.shareType !== 'none' && has('consumer', 'data_officer') && (
            <Button type="primary" onClick={() => navigate(`/sharing/request/${encodeURIComponent(d.code)}`)} data-testid="request-access">
              {t('share.requestTitle')}
            </Button>
          )}
        </div>
        {officer && d.currentVersion === 0 && !telemetry && <Alert style={{ marginTop: 16 }} type="info" showIcon message={t('cat.needData')} />}
        {telemetry && <Alert style={{ marginTop: 16 }} type="info" showIcon message={t('tel.seriesHint', { code: d.code })} data-testid="telemetry-hint" />}
        {actionError && (
          <Alert
            style={{ marginTop: 16 }}
            type="error"
            showIcon
            message={actionError.message}
            closable
            onClose={() => setActionError(undefined)}
            data-testid="action-error"
            action={
              actionError instanceof ApiError && actionError.code === 'classification_review_required' ? (
                <Button size="small" onClick={() => navigate(`/classify/${d.code}`)} data-testid="go-review">
                  {t('cat.reviewFirst')}
                </Button>
              ) : undefined
            }
          />
        )}
      </Card>

      <Card title={t('cat.metadata')}>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="metadata" styles={{ label: { width: 140, whiteSpace: 'nowrap' } }}>
          <Descriptions.Item label={t('cat.f.name')}>{d.name}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.code')}>{d.code}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.provider')}>{d.providerName}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.domain')}>{text(d.domain)}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.summary')} span={2}>
            {text(d.summary)}
          </Descriptions.Item>
          <Descriptions.Item label={t('cat.f.category')}>{text(d.category)}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.format')}>{text(d.format)}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.shareType')}>
            <ShareTag value={d.shareType} />
          </Descriptions.Item>
          <Descriptions.Item label={t('cat.f.shareMethods')}>{d.shareMethods.map((m) => t(`cat.method.${m}`)).join(sep)}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.shareConditions')} span={2}>
            {text(d.shareConditions)}
          </Descriptions.Item>
          <Descriptions.Item label={t('cat.f.openType')}>
            <OpenTag value={d.openType} />
          </Descriptions.Item>
          <Descriptions.Item label={t('cat.f.updateCycle')}>{label('cat.cycle', d.updateCycle)}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.publishDate')}>{d.publishDate ? date(d.publishDate) : dash}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.updatedAt')}>{time(d.updatedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('cat.f.relatedCodes')}>
            {d.relatedCodes.length
              ? d.relatedCodes.map((c) => (
                  <Link key={c} to={`/catalog/${c}`} style={{ marginRight: 8 }}>
                    {c}
                  </Link>
                ))
              : dash}
          </Descriptions.Item>
          <Descriptions.Item label={t('cat.f.contact')}>{contact || dash}</Descriptions.Item>
          {d.tags.length > 0 && (
            <Descriptions.Item label={t('cat.f.tags')} span={2}>
              {d.tags.map((x) => (
                <Tag key={x}>{x}</Tag>
              ))}
            </Descriptions.Item>
          )}
          {officer && <Descriptions.Item label={t('cat.f.onInvalid')}>{t(`cat.onInvalid.${d.onInvalid}`)}</Descriptions.Item>}
        </Descriptions>
      </Card>

      {d.status === 'published' && <FlaggedRows code={d.code} />}
      {d.status === 'published' && <RatingsCard code={d.code} providerOrgId={d.providerOrgId} />}
      {(officer || has('secadmin')) && <DatasetGrantsCard code={d.code} />}
      {officer && d.resourceKind === 'table' && <DatasetBinding code={d.code} />}

      <Card>
        <Tabs
          items={[
            {
              key: 'columns',
              label: `${t('cat.columns')}${paren(columns.length)}`,
              children: <ColumnsTable columns={columns} onEdit={officer ? setColumn : undefined} />,
            },
            {
              key: 'versions',
              label: `${t('cat.versions')}${paren(versions.length)}`,
              children: <VersionsTable versions={versions} />,
            },
            ...(seesQuality && d.currentVersion > 0
              ? [
                  {
                    key: 'preview',
                    label: t('cat.preview'),
                    children: <DataPreview code={code} version={d.currentVersion} />,
                  },
                ]
              : []),
            ...(seesQuality
              ? [
                  {
                    key: 'quality',
                    label: t('cat.quality'),
                    children: <QualityReportView key={versions.map((v) => v.version).join(',')} code={code} versions={versions} />,
                  },
                ]
              : []),
          ]}
        />
      </Card>

      <Modal
        open={editing}
        title={t('cat.edit')}
        width={860}
        onCancel={() => setEditing(false)}
        onOk={() => form.submit()}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        confirmLoading={saving}
        destroyOnHidden
      >
        {editError && <Alert type="error" showIcon message={editError} style={{ marginBottom: 16 }} data-testid="edit-error" />}
        <DatasetForm form={form} initial={toInput(d)} onFinish={(v) => void saveMetadata(v)} />
      </Modal>
      {column && (
        <ColumnEditor
          code={code}
          column={column}
          onClose={() => setColumn(undefined)}
          onSaved={(c) => {
            setColumns(c);
            setColumn(undefined);
            message.success(t('cat.saved'));
          }}
        />
      )}
    </Space>
  );
}
