import { CheckCircleFilled, CloseCircleFilled, DownloadOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Descriptions, Row, Space, Spin, Statistic, Typography } from 'antd';
import { useState } from 'react';
import { latestHead, verifyChain, WITNESS_URL, type SignedHead, type VerifyReport } from '../../api/audit.ts';
import { ApiError } from '../../api/client.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { Hex } from './common.tsx';

interface Status {
  report: VerifyReport;
  head: SignedHead | null;
  at: Date;
}

// Verification reads the whole log: once per console session, again only on request.
let lastStatus: Status | undefined;

async function verify(): Promise<Status> {
  const report = await verifyChain();
  const head = await latestHead().catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e)));
  lastStatus = { report, head, at: new Date() };
  return lastStatus;
}

/** Chain status: the whole log recomputed by the server (GET /audit/verify) and the latest signed head. */
export function ChainStatus() {
  const { t, time, num } = useI18n();
  // This session's verification, if one ran already: then only the button verifies again.
  const [earlier] = useState(() => lastStatus);
  const { data: status = earlier, loading: busy, error, reload } = useLoad(verify, [], { when: !earlier });

  const report = status?.report;
  const head = status?.head;

  const ok = report?.ok;
  return (
    <Card
      size="small"
      title={t('audit.chain.title')}
      extra={
        <Space wrap>
          {status && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('audit.chain.checkedAt')} {time(status.at)}
            </Typography.Text>
          )}
          <Button size="small" icon={<ReloadOutlined />} onClick={() => void reload()} loading={busy} data-testid="chain-reverify">
            {t('audit.chain.reverify')}
          </Button>
          <Button size="small" icon={<DownloadOutlined />} href={WITNESS_URL} title={t('audit.chain.witnessHint')} data-testid="chain-witness">
            {t('audit.chain.witness')}
          </Button>
        </Space>
      }
      style={{ marginBottom: 16 }}
      data-testid="chain-status"
    >
      {error && <Alert type="error" showIcon title={error} />}
      {!report && !error && <Spin />}
      {report && (
        <Row gutter={24} align="top">
          <Col flex="260px">
            <Space align="start">
              {ok ? <CheckCircleFilled style={{ color: '#52c41a', fontSize: 28 }} /> : <CloseCircleFilled style={{ color: '#ff4d4f', fontSize: 28 }} />}
              <div>
                <Typography.Text strong style={{ fontSize: 16 }} data-testid="chain-verdict">
                  {ok ? t('audit.chain.ok') : t('audit.chain.broken')}
                </Typography.Text>
                <br />
                <Typography.Text type="secondary">{ok ? t('audit.chain.okHint') : t('audit.chain.brokenHint')}</Typography.Text>
              </div>
            </Space>
          </Col>
          <Col flex="120px">
            <Statistic formatter={(v) => num(Number(v))} title={t('audit.chain.checked')} value={report.checked} />
          </Col>
          <Col flex="120px">
            <Statistic formatter={(v) => num(Number(v))} title={t('audit.chain.checkpoints')} value={report.checkpoints} />
          </Col>
          {!ok && (
            <Col flex="auto">
              <Descriptions size="small" column={1}>
                {report.firstBadSeq !== undefined && <Descriptions.Item label={t('audit.chain.firstBad')}>{report.firstBadSeq}</Descriptions.Item>}
                {report.missingHead !== undefined && <Descriptions.Item label={t('audit.chain.missingHead')}>{report.missingHead}</Descriptions.Item>}
                {report.badCheckpoint !== undefined && <Descriptions.Item label={t('audit.chain.badCheckpoint')}>{report.badCheckpoint}</Descriptions.Item>}
                {report.reason && <Descriptions.Item label={t('audit.chain.reason')}>{report.reason}</Descriptions.Item>}
              </Descriptions>
            </Col>
          )}
          <Col flex="1 1 420px">
            {head === null && <Typography.Text type="secondary">{t('audit.head.none')}</Typography.Text>}
            {head && (
              <Descriptions
                size="small"
                column={{ xs: 1, sm: 2 }}
                title={<Typography.Text type="secondary">{t('audit.head.title')}</Typography.Text>}
                items={[
                  { key: 'size', label: t('audit.head.treeSize'), children: <span data-testid="head-tree-size">{head.treeSize}</span> },
                  { key: 'time', label: t('audit.head.time'), children: time(head.timestamp) },
                  { key: 'root', label: t('audit.head.root'), span: 2, children: <Hex value={head.rootHash} /> },
                  { key: 'key', label: t('audit.head.keyId'), children: <Hex value={head.keyId} shown={16} /> },
                  { key: 'alg', label: t('audit.head.hashAlg'), children: head.hashAlg.toUpperCase() },
                ]}
              />
            )}
          </Col>
        </Row>
      )}
    </Card>
  );
}
