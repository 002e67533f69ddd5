import { ArrowLeftOutlined, DownloadOutlined, KeyOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Descriptions, Input, Modal, Radio, Result, Space, Spin, Table, Tabs, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { shareApi, type Grant } from '../../api/share.ts';
import { identityApi, type ApiKey } from '../../api/identity.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { endDateOf, GrantStateTag, ModeTag, readAbout, RowFilter } from './common.tsx';
import { useUsageText } from './GrantUsage.tsx';

const READABLE = new Set(['clear', 'masked', 'pseudonym', 'generalized']);

/** Single-quotes a word for a POSIX shell. */
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Example calls of a grant: curl for JSON, NDJSON, CSV, the 核验 call and the access view. */
export function exampleCalls(origin: string, grant: Grant, withGrantId: boolean): { key: string; command: string }[] {
  const base = `${origin}/api/v1/datasets/${encodeURIComponent(grant.dataset.code)}`;
  const select = grant.columns.filter((c) => READABLE.has(c.mode)).map((c) => c.name);
  const verify = grant.columns.filter((c) => c.mode === 'verify').map((c) => c.name);
  const auth = `-H 'Authorization: Bearer <your key>'`;
  const grantParam = withGrantId ? ` \\\n  --data-urlencode ${sh(`grant=${grant.id}`)}` : '';
  const records = (accept?: string) =>
    `curl -sG ${base}/records \\\n  ${auth}${accept ? ` \\\n  -H 'Accept: ${accept}'` : ''} \\\n  --data-urlencode ${sh(`select=${select.join(',')}`)} \\\n  --data-urlencode 'limit=10'${grantParam}`;
  const calls = [];
  if (select.length) {
    calls.push({ key: 'json', command: records() });
    calls.push({ key: 'ndjson', command: records('application/x-ndjson') });
    calls.push({ key: 'csv', command: records('text/csv') });
    calls.push({ key: 'next', command: `${records()} \\\n  --data-urlencode 'after=<next>'` });
  }
  if (verify.length) {
    const match = Object.fromEntries(verify.map((n) => [n, '…']));
    const body = JSON.stringify(withGrantId ? { match, grant: grant.id } : { match });
    calls.push({ key: 'verify', command: `curl -s -X POST ${base}/verify \\\n  ${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d ${sh(body)}` });
  }
  calls.push({ key: 'access', command: `curl -s ${base}/access${withGrantId ? `?grant=${grant.id}` : ''} \\\n  ${auth}` });
  return calls;
}

/** A file of the granted records (export job), with its expiring download link. */
function ExportCard({ grant, withGrantId }: { grant: Grant; withGrantId: boolean }) {
  const { t, time } = useI18n();
  const [format, setFormat] = useState<'csv' | 'ndjson'>('csv');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<{ url: string; rows: number | null; expiresAt: string }>();
  async function run() {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const select = grant.columns.filter((c) => READABLE.has(c.mode)).map((c) => c.name);
      const query = new URLSearchParams({ select: select.join(','), ...(withGrantId ? { grant: grant.id } : {}) }).toString();
      const created = await shareApi.exportRecords(grant.dataset.code, format, query);
      for (;;) {
        const state = await shareApi.exportState(created.id);
        if (state.state === 'ready') {
          setDone({ url: created.downloadUrl, rows: state.rowCount, expiresAt: state.expiresAt });
          break;
        }
        if (state.state === 'failed') throw new Error(t('share.exportFailed'));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title={t('share.exportTitle')}>
      <Typography.Paragraph type="secondary">{t('share.exportHint')}</Typography.Paragraph>
      <Space wrap>
        <Radio.Group
          optionType="button"
          value={format}
          onChange={(e) => setFormat(e.target.value as 'csv' | 'ndjson')}
          options={[
            { value: 'csv', label: 'CSV' },
            { value: 'ndjson', label: 'NDJSON' },
          ]}
        />
        <Button type="primary" icon={<DownloadOutlined />} loading={busy} onClick={() => void run()} data-testid="export">
          {t('share.exportRun')}
        </Button>
      </Space>
      {error && <Alert style={{ marginTop: 12 }} type="error" showIcon message={error} />}
      {done && (
        <Alert
          style={{ marginTop: 12 }}
          type="success"
          showIcon
          data-testid="export-ready"
          message={t('share.exportReady', { rows: done.rows ?? 0, time: time(done.expiresAt) })}
          action={
            <Button size="small" href={done.url} icon={<DownloadOutlined />} data-testid="export-download">
              {t('share.exportDownload')}
            </Button>
          }
        />
      )}
    </Card>
  );
}

/** The consumer organisation's API keys (prefixes only), with a link to manage them. */
function KeysCard() {
  const { t, time } = useI18n();
  const navigate = useNavigate();
  const { data: keys } = useLoad(
    () =>
      identityApi.apiKeys().then(
        (items) => items.filter((k) => k.state === 'active'),
        () => [],
      ),
    [],
  );
  return (
    <Card
      title={t('share.keysTitle')}
      extra={
        <Button icon={<KeyOutlined />} onClick={() => navigate('/api-keys')} data-testid="manage-keys">
          {t('share.manageKeys')}
        </Button>
      }
    >
      {keys && keys.length === 0 ? (
        <Alert
          type="warning"
          showIcon
          message={t('share.noKeys')}
          action={
            <Button size="small" type="primary" onClick={() => navigate('/api-keys')}>
              {t('keys.new')}
            </Button>
          }
          data-testid="no-keys"
        />
      ) : (
        <Table<ApiKey>
          rowKey="id"
          size="small"
          pagination={false}
          loading={!keys}
          dataSource={keys}
          columns={[
            { title: t('keys.name'), dataIndex: 'name' },
            { title: t('keys.prefix'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>pdx_{p}_…</Typography.Text> },
            { title: t('keys.expires'), dataIndex: 'expiresAt', render: (v: string | null) => (v ? time(v) : t('keys.never')) },
            { title: t('keys.lastUsed'), dataIndex: 'lastUsedAt', render: (v: string | null) => (v ? time(v) : t('common.never')) },
          ]}
        />
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
        {t('share.keyOnce')}
      </Typography.Paragraph>
    </Card>
  );
}

/** A grant and how many active grants its consumer holds on the same dataset (then calls must name the grant). */
async function grantWithSiblings(id: string): Promise<{ grant: Grant; siblings: number }> {
  const grant = await shareApi.grant(id);
  const same = await shareApi.grants(grant.dataset.code).catch(() => []);
  return { grant, siblings: same.filter((x) => x.state === 'active' && x.consumerOrgId === grant.consumerOrgId).length };
}

/** /sharing/grants/:id — what a grant allows, how to call it (consumer), revocation (provider, secadmin). */
export function GrantPage() {
  const { id = '' } = useParams();
  const { t, time } = useI18n();
  const { me, has } = useAuth();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { data, error, reload } = useLoad(() => grantWithSiblings(id), [id]);
  const [revoking, setRevoking] = useState(false);
  const [reason, setReason] = useState('');
  const usage = useUsageText();
  const [renewing, setRenewing] = useState(false);
  const [renewEnd, setRenewEnd] = useState<Dayjs | null>(null);
  const [renewPurpose, setRenewPurpose] = useState('');
  useEffect(() => void readAbout('grantId', id), [id]);

  if (error)
    return (
      <Result status="error" title={t('share.loadFailed')} subTitle={error} extra={<Button onClick={() => navigate('/sharing')}>{t('share.back')}</Button>} />
    );
  if (!data) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  const { grant: g, siblings } = data;
  const consumerSide = me?.orgId === g.consumerOrgId;
  const canRevoke = g.state === 'active' && ((me?.orgId === g.providerOrgId && has('data_officer')) || has('secadmin'));
  const calls = exampleCalls(window.location.origin, g, siblings > 1);
  // The holder renews a grant made by a request while it is active or recently ended (the server has the last word).
  const canRenew =
    consumerSide && has('consumer', 'data_officer') && g.state !== 'revoked' && !!g.requestId && !g.automatic && !g.returnFlowId && !g.supersededBy;
  const oldEnd = endDateOf(g.expiresAt);

  function openRenew() {
    setRenewEnd(dayjs(oldEnd ?? undefined).add(1, 'year'));
    setRenewPurpose(g.purpose);
    setRenewing(true);
  }

  async function renew() {
    if (!renewEnd) return;
    try {
      const made = await shareApi.renew(g.id, {
        endDate: renewEnd.format('YYYY-MM-DD'),
        ...(renewPurpose.trim() && renewPurpose.trim() !== g.purpose ? { purpose: renewPurpose.trim() } : {}),
      });
      setRenewing(false);
      message.success(t('share.renewDone'));
      navigate(`/sharing/requests/${made.id}`);
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  async function revoke() {
    try {
      await shareApi.revoke(g.id, reason);
      setRevoking(false);
      message.success(t('share.revoked'));
      await reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Link to={consumerSide ? '/sharing?tab=grants' : '/sharing'}>
        <ArrowLeftOutlined /> {t('share.back')}
      </Link>
      <Card
        extra={
          <Space wrap>
            {canRenew && (
              <Button type="primary" onClick={openRenew} data-testid="renew">
                {t('share.renew')}
              </Button>
            )}
            {canRevoke && (
              <Button danger onClick={() => setRevoking(true)} data-testid="revoke">
                {t('share.revoke')}
              </Button>
            )}
          </Space>
        }
        title={
          <Space wrap>
            <span data-testid="grant-dataset">{g.dataset.name}</span>
            <GrantStateTag state={g.state} supersededBy={g.supersededBy} />
            {g.automatic && <Tag>{t('share.automatic')}</Tag>}
          </Space>
        }
      >
        {g.state === 'revoked' && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={t('share.revokedBecause')} description={g.revokeReason} />}
        {g.supersededBy && (
          <Alert
            style={{ marginBottom: 16 }}
            type="info"
            showIcon
            message={t('share.renewedBy')}
            data-testid="renewed-by"
            action={
              <Button size="small" onClick={() => navigate(`/sharing/grants/${g.supersededBy}`)}>
                {t('share.viewNewGrant')}
              </Button>
            }
          />
        )}
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="grant-facts" styles={{ label: { width: 150, whiteSpace: 'nowrap' } }}>
          <Descriptions.Item label={t('share.col.dataset')}>
            <Link to={`/catalog/${encodeURIComponent(g.dataset.code)}`}>{g.dataset.code}</Link>
          </Descriptions.Item>
          <Descriptions.Item label={t('share.col.consumer')}>{g.consumerName}</Descriptions.Item>
          <Descriptions.Item label={t('share.col.granted')} span={2}>
            <Space size={[12, 4]} wrap>
              {g.columns.map((c) => (
                <span key={c.name} data-testid={`grant-col-${c.name}`}>
                  {c.name} <ModeTag mode={c.mode} />
                </span>
              ))}
            </Space>
          </Descriptions.Item>
          <Descriptions.Item label={t('share.col.rowFilter')} span={2}>
            <RowFilter filter={g.rowFilter} testId="grant-filter" />
          </Descriptions.Item>
          <Descriptions.Item label={t('share.col.endDate')}>{endDateOf(g.expiresAt) ?? t('share.noEnd')}</Descriptions.Item>
          <Descriptions.Item label={t('share.grantedAt')}>{time(g.createdAt)}</Descriptions.Item>
          <Descriptions.Item label={t('share.usage.calls')}>
            <span data-testid="grant-usage-calls">{usage.calls(g)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('share.usage.rows')}>
            <span data-testid="grant-usage-rows">{usage.rows(g)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('share.usage.last')} span={2}>
            {usage.last(g)}
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.rowsPerDay')}>{g.rowsPerDay ?? t('share.unlimited')}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.requestsPerMinute')}>{g.requestsPerMinute ?? t('share.unlimited')}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.ipRanges')} span={2}>
            {g.ipRanges.length ? g.ipRanges.join(', ') : t('share.anyIp')}
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.purpose')} span={2}>
            {g.purpose}
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.legalBasis')} span={2}>
            {g.legalBasis}
          </Descriptions.Item>
          {g.renewsGrantId && (
            <Descriptions.Item label={t('share.renewalOfGrant')} span={2}>
              <Link to={`/sharing/grants/${g.renewsGrantId}`} data-testid="renews-grant">
                {t('share.viewOldGrant')}
              </Link>
            </Descriptions.Item>
          )}
          {g.requestId && (
            <Descriptions.Item label={t('share.request')} span={2}>
              <Link to={`/sharing/requests/${g.requestId}`}>{t('share.viewRequest')}</Link> ·{' '}
              <Link to={`/sharing/requests/${g.requestId}/print`} data-testid="grant-print-form">
                {t('share.printForm')}
              </Link>
            </Descriptions.Item>
          )}
        </Descriptions>
      </Card>

      {consumerSide && g.state === 'active' && (
        <>
          <Card title={t('share.examplesTitle')} data-testid="examples">
            <Typography.Paragraph type="secondary">{t('share.examplesHint')}</Typography.Paragraph>
            <Tabs
              items={calls.map((c) => ({
                key: c.key,
                label: t(`share.example.${c.key}` as Parameters<typeof t>[0]),
                children: (
                  <div style={{ position: 'relative' }}>
                    <pre
                      style={{
                        margin: 0,
                        padding: '12px 40px 12px 12px',
                        background: '#f6f8fa',
                        border: '1px solid #eaeef2',
                        borderRadius: 6,
                        whiteSpace: 'pre-wrap',
                        wordBreak: 'break-all',
                      }}
                      data-testid={`example-${c.key}`}
                    >
                      {c.command}
                    </pre>
                    <Typography.Text copyable={{ text: c.command }} style={{ position: 'absolute', top: 10, right: 12 }} />
                  </div>
                ),
              }))}
            />
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
              {t('share.examplesModes')}
            </Typography.Paragraph>
          </Card>
          <KeysCard />
          {g.columns.some((c) => READABLE.has(c.mode)) && <ExportCard grant={g} withGrantId={siblings > 1} />}
        </>
      )}

      <Modal
        open={renewing}
        title={t('share.renew')}
        onCancel={() => setRenewing(false)}
        onOk={() => void renew()}
        okButtonProps={{ disabled: !renewEnd || renewPurpose.trim().length < 2, 'data-testid': 'renew-ok' }}
        okText={t('share.renewSubmit')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">{t('share.renewHint')}</Typography.Paragraph>
        <Space direction="vertical" style={{ width: '100%' }}>
          <Typography.Text>{t('share.renewEndDate')}</Typography.Text>
          <DatePicker
            value={renewEnd}
            onChange={setRenewEnd}
            allowClear={false}
            disabledDate={(d) =>
              d.isBefore(
                dayjs(oldEnd ?? undefined)
                  .add(1, 'day')
                  .startOf('day'),
              ) || d.isBefore(dayjs().startOf('day'))
            }
            data-testid="renew-end"
          />
          <Typography.Text>{t('share.renewPurpose')}</Typography.Text>
          <Input.TextArea rows={2} value={renewPurpose} maxLength={2000} onChange={(e) => setRenewPurpose(e.target.value)} data-testid="renew-purpose" />
        </Space>
      </Modal>
      <Modal
        open={revoking}
        title={t('share.revoke')}
        onCancel={() => setRevoking(false)}
        onOk={() => void revoke()}
        okButtonProps={{ danger: true, disabled: reason.trim().length < 2 }}
        okText={t('share.revoke')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Typography.Paragraph>{t('share.revokeConfirm')}</Typography.Paragraph>
        <Input.TextArea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('share.revokeReason')} data-testid="revoke-reason" />
      </Modal>
    </Space>
  );
}
