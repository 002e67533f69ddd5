/**
 * 数据异议与纠错: objections raised by the caller's organisation, to be answered by it, or (the
 * authority) all; raise one, answer, escalate, decide.
 */
import { PaperClipOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, InputNumber, Space, Table, Tag, Typography, Upload } from 'antd';
import { useState } from 'react';
import { dutiesApi, type AttachmentInput, type Objection } from '../../api/duties.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { ReasonPrompt, type Ask } from './ReasonPrompt.tsx';

const MAX_FILE_BYTES = 2 * 1024 * 1024;
const FILE_TYPES: Record<string, AttachmentInput['contentType']> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  txt: 'text/plain',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A chosen file as the objections API takes it: its kind from the name, its bytes in base64. */
async function attachmentOf(file: File): Promise<AttachmentInput> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
  return { name: file.name, contentType: FILE_TYPES[ext] ?? 'application/pdf', content: btoa(binary) };
}

const STATE_COLORS: Record<Objection['state'], string> = { open: 'orange', accepted: 'green', rejected: 'default', escalated: 'red', dismissed: 'default' };

export function ObjectionsPage() {
  const { t, time, paren, colon } = useI18n();
  const { me, has } = useAuth();
  const { message } = App.useApp();
  const { data: items = [], error, reload } = useLoad(() => dutiesApi.objections(), []);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [form] = Form.useForm<{ dataset: string; row: number; column: string; proposed: string; evidence: string }>();

  const load = () => void reload();

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      void message.success(t('duties.done'));
      load();
    } catch (e) {
      void message.error((e as Error).message);
    }
  };

  const raise = async () => {
    const v = await form.validateFields();
    const big = files.find((f) => f.size > MAX_FILE_BYTES);
    if (big) return void message.error(t('duties.obj.attachTooLarge', { name: big.name }));
    const attachments = await Promise.all(files.map(attachmentOf));
    await act(() =>
      dutiesApi.raise({
        dataset: v.dataset,
        cells: [{ row: v.row, column: v.column, proposed: v.proposed ?? null }],
        evidence: v.evidence,
        ...(attachments.length ? { attachments } : {}),
      }),
    );
    form.resetFields();
    setFiles([]);
  };

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={3}>{t('duties.obj.title')}</Typography.Title>
      <Alert type="info" showIcon message={t('duties.obj.hint')} />
      {(has('consumer') || has('data_officer')) && (
        <Card title={t('duties.obj.raise')}>
          <Form form={form} layout="inline" data-testid="raise-form">
            <Form.Item name="dataset" label={t('duties.obj.dataset')} rules={[{ required: true }]}>
              <Input style={{ width: 140 }} />
            </Form.Item>
            <Form.Item name="row" label={t('duties.obj.row')} rules={[{ required: true }]}>
              <InputNumber min={1} />
            </Form.Item>
            <Form.Item name="column" label={t('duties.obj.column')} rules={[{ required: true }]}>
              <Input style={{ width: 120 }} />
            </Form.Item>
            <Form.Item name="proposed" label={t('duties.obj.proposed')}>
              <Input style={{ width: 160 }} />
            </Form.Item>
            <Form.Item name="evidence" label={t('duties.obj.evidence')} rules={[{ required: true, min: 2 }]}>
              <Input style={{ width: 240 }} />
            </Form.Item>
            <Form.Item label={t('duties.obj.attachments')} tooltip={t('duties.obj.attachHint')}>
              <span data-testid="raise-files">
                <Upload
                  multiple
                  maxCount={3}
                  accept={Object.keys(FILE_TYPES)
                    .map((e) => `.${e}`)
                    .join(',')}
                  fileList={files.map((f, i) => ({ uid: String(i), name: f.name, status: 'done' as const }))}
                  beforeUpload={(file) => {
                    setFiles((now) => [...now, file].slice(0, 3));
                    return false;
                  }}
                  onRemove={(f) => setFiles((now) => now.filter((_, i) => String(i) !== f.uid))}
                >
                  <Button icon={<PaperClipOutlined />}>{t('duties.obj.attach')}</Button>
                </Upload>
              </span>
            </Form.Item>
            <Button type="primary" onClick={() => void raise()} data-testid="raise">
              {t('duties.obj.raise')}
            </Button>
          </Form>
        </Card>
      )}
      {error && <Alert type="error" showIcon message={error} />}
      <Table<Objection>
        rowKey="id"
        dataSource={items}
        locale={{ emptyText: t('duties.obj.empty') }}
        data-testid="objections"
        columns={[
          { title: t('duties.obj.dataset'), render: (_, o) => `${o.dataset.name}${paren(o.dataset.code)}` },
          {
            title: t('duties.obj.cells'),
            render: (_, o) => (
              <Space direction="vertical" size={0}>
                {o.cells.map((c) => (
                  <span key={`${c.row}-${c.column}`}>
                    #{c.row} {c.column} → <Typography.Text code>{c.proposed ?? '∅'}</Typography.Text>
                  </span>
                ))}
                <Typography.Text type="secondary">{o.evidence}</Typography.Text>
                {o.attachments.map((a) => (
                  <a key={a.seq} href={dutiesApi.attachmentUrl(o.id, a.seq)} download={a.name} data-testid={`attachment-${o.id}-${a.seq}`}>
                    <PaperClipOutlined /> {a.name} ({Math.max(1, Math.round(a.size / 1024))} KB)
                  </a>
                ))}
              </Space>
            ),
          },
          {
            title: t('duties.obj.state'),
            render: (_, o) => (
              <Space size={4} wrap>
                <Tag color={STATE_COLORS[o.state]} data-testid={`objection-state-${o.id}`}>
                  {t(`duties.obj.state.${o.state}` as MessageKey)}
                </Tag>
                {o.overdue && <Tag color="red">{t('duties.obj.overdue')}</Tag>}
                {o.correctionVersion !== null && <Tag>{t('duties.obj.version', { n: o.correctionVersion })}</Tag>}
              </Space>
            ),
          },
          { title: t('duties.obj.due'), render: (_, o) => time(o.dueAt) },
          {
            title: t('duties.obj.answer'),
            render: (_, o) => (
              <Space direction="vertical" size={0}>
                {o.answer && <span>{o.answer}</span>}
                {o.changes?.map((c) => (
                  <span key={`${c.row}-${c.column}`}>
                    #{c.row} {c.column}
                    {colon}
                    {c.encrypted ? '***' : `${c.before ?? '∅'} → ${c.after ?? '∅'}`}
                  </span>
                ))}
                {o.escalationReason && <Typography.Text type="danger">{o.escalationReason}</Typography.Text>}
                {o.decisionNote && <Typography.Text type="secondary">{o.decisionNote}</Typography.Text>}
              </Space>
            ),
          },
          {
            title: '',
            render: (_, o) => {
              const provider = me?.orgId === o.providerOrgId && has('data_officer');
              const objector = me?.orgId === o.raisedOrgId;
              return (
                <Space wrap>
                  {provider && o.state === 'open' && (
                    <>
                      <Button size="small" type="primary" onClick={() => void act(() => dutiesApi.accept(o.id))} data-testid={`accept-${o.id}`}>
                        {t('duties.obj.accept')}
                      </Button>
                      <Button size="small" onClick={() => setAsk({ title: t('duties.obj.reject'), run: (r) => dutiesApi.reject(o.id, r) })}>
                        {t('duties.obj.reject')}
                      </Button>
                    </>
                  )}
                  {objector && (o.state === 'rejected' || o.overdue) && (
                    <Button size="small" danger onClick={() => setAsk({ title: t('duties.obj.escalate'), run: (r) => dutiesApi.escalate(o.id, r) })}>
                      {t('duties.obj.escalate')}
                    </Button>
                  )}
                  {has('secadmin') && o.state === 'escalated' && (
                    <>
                      <Button
                        size="small"
                        type="primary"
                        onClick={() => setAsk({ title: t('duties.obj.uphold'), run: (r) => dutiesApi.decide(o.id, true, r) })}
                      >
                        {t('duties.obj.uphold')}
                      </Button>
                      <Button size="small" onClick={() => setAsk({ title: t('duties.obj.dismiss'), run: (r) => dutiesApi.decide(o.id, false, r) })}>
                        {t('duties.obj.dismiss')}
                      </Button>
                    </>
                  )}
                </Space>
              );
            },
          },
        ]}
      />
      <ReasonPrompt ask={ask} placeholder={t('duties.obj.reason')} onClose={() => setAsk(null)} act={act} />
    </Space>
  );
}
