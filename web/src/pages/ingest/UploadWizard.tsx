import { InboxOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  DatePicker,
  Descriptions,
  Empty,
  Form,
  Input,
  Progress,
  Radio,
  Row,
  Select,
  Space,
  Spin,
  Steps,
  Typography,
  Upload,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../../api/client.ts';
import { ingestResultOf, jobEnded, searchDatasets, uploadVersion } from '../../api/catalog.ts';
import { useAuth } from '../../auth.tsx';
import { useJob } from '../../hooks/useJob.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { bytes, count, StatusTag, useErrorText } from '../catalog/labels.tsx';
import { LoadFailed } from './LoadFailed.tsx';
import { LoadProgress } from './LoadProgress.tsx';
import { UploadResult } from './UploadResult.tsx';

const ACCEPT = '.csv,.tsv,.txt,.json,.ndjson,.jsonl,.xlsx';
const POLL_MS = 500;

interface Options {
  mode: 'append' | 'replace';
  encoding: '' | 'utf-8' | 'gbk' | 'gb18030';
  sheet: string;
  /** The day the file's data was extracted (数据截至), if not today. */
  asOf?: Dayjs | null;
}

type Stage = { step: 'choose' } | { step: 'uploading'; sent: number; total: number } | { step: 'loading'; jobId: string } | { step: 'failed'; message: string };

/** Upload wizard: dataset, file and options; upload progress; load progress polled from the job; result. */
export function UploadWizardPage() {
  const { t, paren } = useI18n();
  const { me } = useAuth();
  const navigate = useNavigate();
  const errorText = useErrorText();
  const [params] = useSearchParams();
  const [code, setCode] = useState<string | undefined>(params.get('dataset') ?? undefined);
  const [file, setFile] = useState<File>();
  const [stage, setStage] = useState<Stage>({ step: 'choose' });
  const [form] = Form.useForm<Options>();
  const abort = useRef<() => void>(undefined);

  const orgId = me?.orgId;
  // The load's progress, asked for every 500 ms until the job ends.
  const jobId = stage.step === 'loading' ? stage.jobId : undefined;
  const { data: job, error: pollError } = useJob(jobId, POLL_MS);

  const jobDone = job?.state === 'succeeded';
  // The organisation's datasets; loaded again once a load finished, for the new version and row count.
  const { data: datasets, error: listError } = useLoad(async () => (await searchDatasets({ org: orgId!, pageSize: 200 })).items, [orgId, jobDone], {
    when: !!orgId,
  });

  // Bring the progress, then the result, into view.
  const below = useRef<HTMLDivElement>(null);
  const view = stage.step === 'loading' ? (job?.state ?? 'queued') : stage.step;
  useEffect(() => {
    if (view !== 'choose') below.current?.scrollIntoView({ behavior: 'smooth', block: 'end' });
  }, [view]);

  useEffect(() => () => abort.current?.(), []);

  const dataset = datasets?.find((d) => d.code === code);
  const isXlsx = !!file && /\.xlsx$/i.test(file.name);
  const result = job ? ingestResultOf(job) : null;
  const finished = job && jobEnded(job);

  function start(options: Options) {
    if (!code || !file) return;
    setStage({ step: 'uploading', sent: 0, total: file.size });
    const upload = uploadVersion(code, file, {
      mode: options.mode,
      ...(options.encoding ? { encoding: options.encoding } : {}),
      ...(isXlsx && options.sheet ? { sheet: options.sheet } : {}),
      // The start of that day in China: the upkeep compares it with the 更新周期's periods there.
      ...(options.asOf ? { asOf: `${options.asOf.format('YYYY-MM-DD')}T00:00:00+08:00` } : {}),
      onProgress: (sent, total) => setStage({ step: 'uploading', sent, total }),
    });
    abort.current = upload.abort;
    upload.done
      .then((id) => setStage({ step: 'loading', jobId: id }))
      .catch((e: Error) => setStage({ step: 'failed', message: e instanceof ApiError ? errorText({ message: e.message, details: e.details }) : e.message }))
      .finally(() => (abort.current = undefined));
  }

  function reset() {
    setFile(undefined);
    setStage({ step: 'choose' });
  }

  const current = stage.step === 'choose' ? (code ? 1 : 0) : finished || stage.step === 'failed' ? 3 : 2;
  const busy = stage.step === 'uploading' || (stage.step === 'loading' && !finished);

  return (
    <Space direction="vertical" size={16} style={{ width: '100%', maxWidth: 1040 }}>
      <Steps
        current={current}
        items={[{ title: t('ingest.step.dataset') }, { title: t('ingest.step.file') }, { title: t('ingest.step.load') }, { title: t('ingest.step.result') }]}
      />
      {params.get('registered') && dataset && stage.step === 'choose' && (
        <Alert type="success" showIcon message={t('ingest.registered', { name: dataset.name, code: dataset.code })} />
      )}

      <Card title={t('ingest.title')} hidden={job?.state === 'succeeded'} data-testid="upload-form">
        {listError && <Alert type="error" showIcon message={listError} style={{ marginBottom: 16 }} />}
        <Form<Options> form={form} layout="vertical" initialValues={{ mode: 'replace', encoding: '', sheet: '' }} onFinish={start} disabled={busy}>
          <Form.Item label={t('ingest.dataset')} required>
            <Space.Compact style={{ width: '100%' }}>
              {/* The select takes what the button leaves (a full-width select pushed the button off a phone's screen). */}
              <Select
                style={{ flex: 1, minWidth: 0 }}
                showSearch
                loading={!datasets && !listError}
                value={code}
                onChange={(v: string) => setCode(v)}
                placeholder={t('ingest.chooseDataset')}
                optionFilterProp="label"
                notFoundContent={datasets ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('ingest.noDatasets')} /> : <Spin size="small" />}
                options={(datasets ?? []).map((d) => ({ value: d.code, label: `${d.name}${paren(d.code)}` }))}
                data-testid="dataset-select"
              />
              <Button icon={<PlusOutlined />} onClick={() => navigate('/ingest/new')} data-testid="register-new">
                {t('ingest.registerNew')}
              </Button>
            </Space.Compact>
          </Form.Item>
          {dataset && (
            <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }}>
              <Descriptions.Item label={t('cat.f.status')}>
                <StatusTag value={dataset.status} />
              </Descriptions.Item>
              <Descriptions.Item label={t('cat.f.version')}>
                {dataset.currentVersion ? `v${dataset.currentVersion}` : t('ingest.firstVersion')}
              </Descriptions.Item>
              <Descriptions.Item label={t('cat.f.rows')}>{count(dataset.rowCount)}</Descriptions.Item>
            </Descriptions>
          )}
          <Form.Item label={t('ingest.file')} required extra={t('ingest.formats')}>
            <Upload.Dragger
              accept={ACCEPT}
              multiple={false}
              showUploadList={false}
              beforeUpload={(f) => {
                setFile(f);
                if (stage.step !== 'choose') setStage({ step: 'choose' });
                return false;
              }}
              data-testid="file-drop"
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              {file ? (
                <p className="ant-upload-text" data-testid="chosen-file">
                  {file.name} · {bytes(file.size)}
                </p>
              ) : (
                <p className="ant-upload-text">{t('ingest.drop')}</p>
              )}
              <p className="ant-upload-hint">{t('ingest.dropHint')}</p>
            </Upload.Dragger>
          </Form.Item>
          <Row gutter={16}>
            <Col xs={24} md={10}>
              <Form.Item name="mode" label={t('ingest.mode')} tooltip={t('ingest.modeHint')}>
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'replace', label: t('ingest.mode.replace') },
                    { value: 'append', label: t('ingest.mode.append') },
                  ]}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={7}>
              <Form.Item name="encoding" label={t('ingest.encoding')}>
                <Select
                  options={[
                    { value: '', label: t('ingest.encoding.auto') },
                    { value: 'utf-8', label: 'UTF-8' },
                    { value: 'gbk', label: 'GBK' },
                    { value: 'gb18030', label: 'GB18030' },
                  ]}
                />
              </Form.Item>
            </Col>
            {isXlsx && (
              <Col xs={24} md={7}>
                <Form.Item name="sheet" label={t('ingest.sheet')}>
                  <Input placeholder={t('ingest.sheetHint')} />
                </Form.Item>
              </Col>
            )}
            <Col xs={24} md={7}>
              <Form.Item name="asOf" label={t('ingest.asOf')} tooltip={t('ingest.asOfHint')}>
                <DatePicker style={{ width: '100%' }} disabledDate={(d) => d.isAfter(dayjs(), 'day')} data-testid="as-of" />
              </Form.Item>
            </Col>
          </Row>
          <Space>
            <Button type="primary" htmlType="submit" disabled={!code || !file || busy} loading={busy} data-testid="start-upload">
              {t('ingest.start')}
            </Button>
            {stage.step === 'uploading' && <Button onClick={() => abort.current?.()}>{t('ingest.cancel')}</Button>}
          </Space>
        </Form>
      </Card>

      <div ref={below} style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
        {stage.step === 'uploading' && (
          <Card title={t('ingest.uploading')} data-testid="upload-progress">
            <Progress percent={stage.total ? Math.floor((stage.sent / stage.total) * 100) : 0} status="active" />
            <Typography.Text type="secondary">
              {bytes(stage.sent)} / {bytes(stage.total)}
            </Typography.Text>
          </Card>
        )}

        {stage.step === 'loading' && !finished && <LoadProgress job={job} />}
        {stage.step === 'loading' && !finished && pollError && <Alert type="warning" showIcon message={pollError} data-testid="poll-error" />}

        {job?.state === 'succeeded' && code && <UploadResult code={code} result={result} onAgain={reset} />}

        {(job?.state === 'failed' || job?.state === 'cancelled' || stage.step === 'failed') && (
          <LoadFailed
            reason={stage.step === 'failed' ? stage.message : job?.error ? errorText(job.error) : t('ingest.cancelled')}
            code={code}
            onAgain={reset}
          />
        )}
      </div>
    </Space>
  );
}
