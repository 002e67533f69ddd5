import { CheckCircleFilled, CloseCircleFilled, DownloadOutlined, MinusCircleFilled } from '@ant-design/icons';
import { Alert, Button, Collapse, Descriptions, Divider, Drawer, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { getRecord, inclusionProof, publicKey, type InclusionProof, type PublicKey } from '../../api/audit.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { ActionText, ActorText, Hex, ResultTag, useOrgs } from './common.tsx';
import { filterNodeText, isFilterNode } from '../sharing/common.tsx';
import { checkProof, type Check, type ProofCheck } from './proof.ts';

let pinnedKey: Promise<PublicKey | undefined> | undefined;
/** The platform's public key, fetched once per console session. */
function platformKey(): Promise<PublicKey | undefined> {
  pinnedKey ??= publicKey().catch(() => undefined);
  return pinnedKey;
}

function CheckLine({ check, label }: { check: Check; label: MessageKey }) {
  const { t } = useI18n();
  const icon =
    check === 'ok' ? (
      <CheckCircleFilled style={{ color: '#52c41a' }} />
    ) : check === 'bad' ? (
      <CloseCircleFilled style={{ color: '#ff4d4f' }} />
    ) : (
      <MinusCircleFilled style={{ color: '#bfbfbf' }} />
    );
  return (
    <div data-testid={`check-${label}`} data-check={check}>
      <Space>
        {icon}
        <span>{t(label)}</span>
        <Typography.Text type={check === 'bad' ? 'danger' : 'secondary'}>{t(`audit.check.${check}`)}</Typography.Text>
      </Space>
    </div>
  );
}

/** One line over the three checks: verified, failed (evidence altered), or partly checkable here. */
function ProofVerdict({ checks }: { checks: ProofCheck }) {
  const { t } = useI18n();
  const all = [checks.recordHash, checks.inclusion, checks.signature];
  const verdict = all.includes('bad') ? 'failed' : all.every((c) => c === 'ok') ? 'verified' : 'partial';
  const type = verdict === 'failed' ? 'error' : verdict === 'verified' ? 'success' : 'info';
  return <Alert type={type} showIcon title={t(`audit.proof.${verdict}`)} data-testid="proof-verdict" />;
}

/** Saves the proof as a file the verifier script of docs/audit-proofs.md §6 accepts. */
function downloadProof(proof: InclusionProof) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(proof, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `pdx-audit-proof-${proof.seq}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The details of a record as labelled fields: values as text, lists joined, nested objects as "name: value". */
function DetailsList({ details }: { details: Record<string, unknown> }) {
  const i18n = useI18n();
  const { label, colon, sep, semicolon, num } = i18n;
  const show = (v: unknown): string => {
    if (v === null || v === undefined) return '—';
    // A row filter (data reads record the grant's and the request's) in words, as the sharing pages say it.
    if (isFilterNode(v)) return filterNodeText(i18n, v);
    if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' && 'name' in x ? String((x as { name: unknown }).name) : show(x))).join(sep);
    if (typeof v === 'object')
      return Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${label('audit.detail', k)}${colon}${show(x)}`)
        .join(semicolon);
    if (typeof v === 'number') return num(v);
    return String(v);
  };
  // Ids (grant, organisation, alert …) stay in the technical details below.
  const entries = Object.entries(details).filter(([, v]) => !(typeof v === 'string' && UUID.test(v)));
  if (!entries.length) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <Descriptions
      size="small"
      column={1}
      bordered
      data-testid="record-details-list"
      items={entries.map(([k, v]) => ({ key: k, label: label('audit.detail', k), children: show(v) }))}
    />
  );
}

/** The drawer of one audit record; its content starts afresh for each record opened. */
export function RecordDrawer({ seq, onClose }: { seq: number | undefined; onClose(): void }) {
  const { t } = useI18n();
  const { orgName } = useOrgs();
  return (
    <Drawer open={seq !== undefined} onClose={onClose} size={760} title={`${t('audit.record')} #${seq ?? ''}`} destroyOnHidden data-testid="record-drawer">
      {seq !== undefined && <RecordView key={seq} seq={seq} orgName={orgName} />}
    </Drawer>
  );
}

/** One record with every field, its chain links and its inclusion proof checked in the browser; without a proof, the bare record. */
function RecordView({ seq, orgName }: { seq: number; orgName(id: string | null): string }) {
  const { t, label, time, paren } = useI18n();
  const { data: proof, error: proofError } = useLoad(() => inclusionProof(seq), [seq]);
  const { data: checks, error: checkError } = useLoad(async () => checkProof(proof!, await platformKey()), [proof], { when: !!proof });
  const { data: bare } = useLoad(() => getRecord(seq).catch(() => undefined), [seq], { when: !!proofError });
  const record = proof?.record ?? bare;
  const error = proofError ?? checkError;

  const text = (v: string | null) => v ?? <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <>
      {!record && !error && <Spin />}
      {error && <Alert type="warning" showIcon title={error} style={{ marginBottom: 16 }} />}
      {record && (
        <>
          <Descriptions
            size="small"
            bordered
            column={2}
            items={[
              { key: 'seq', label: t('audit.col.seq'), children: record.seq },
              { key: 'time', label: t('audit.col.time'), children: time(record.time) },
              { key: 'action', label: t('audit.col.action'), span: 2, children: <ActionText action={record.action} /> },
              { key: 'result', label: t('audit.col.result'), children: <ResultTag result={record.result} /> },
              { key: 'actor', label: t('audit.col.actor'), children: <ActorText username={record.actorUsername} apiKeyId={record.actorApiKeyId} /> },
              { key: 'org', label: t('audit.col.org'), children: orgName(record.actorOrgId) },
              {
                key: 'roles',
                label: t('audit.field.roles'),
                children: record.actorRoles.length ? record.actorRoles.map((r) => <Tag key={r}>{label('role', r)}</Tag>) : text(null),
              },
              {
                key: 'target',
                label: t('audit.field.target'),
                span: 2,
                children: record.targetType ? (
                  <Tooltip title={record.targetId ? `${record.targetType} ${record.targetId}` : record.targetType}>
                    <span>{record.targetLabel ?? label('audit.targetType', record.targetType)}</span>
                  </Tooltip>
                ) : (
                  text(null)
                ),
              },
              { key: 'dataset', label: t('audit.col.dataset'), children: text(record.dataset) },
              { key: 'ip', label: t('audit.col.ip'), children: text(record.clientIp) },
            ]}
          />
          <Divider titlePlacement="start">{t('audit.field.details')}</Divider>
          <DetailsList details={record.details} />
          <Collapse
            size="small"
            style={{ marginTop: 12 }}
            items={[
              {
                key: 'raw',
                label: t('audit.advanced'),
                forceRender: true,
                children: (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    <Descriptions
                      size="small"
                      column={1}
                      items={[
                        { key: 'userId', label: t('audit.field.userId'), children: text(record.actorUserId) },
                        { key: 'apiKey', label: t('audit.field.apiKeyId'), children: text(record.actorApiKeyId) },
                        { key: 'target', label: t('audit.field.targetId'), children: text(record.targetId) },
                        { key: 'request', label: t('audit.col.request'), children: text(record.requestId) },
                      ]}
                    />
                    <pre
                      data-testid="record-details"
                      style={{ background: '#fafafa', border: '1px solid #f0f0f0', padding: 12, margin: 0, maxHeight: 260, overflow: 'auto', fontSize: 12 }}
                    >
                      {JSON.stringify(record.details, null, 2)}
                    </pre>
                  </Space>
                ),
              },
            ]}
          />
          <Divider titlePlacement="start">{t('audit.field.chain')}</Divider>
          <Descriptions
            size="small"
            column={1}
            items={[
              { key: 'prev', label: t('audit.field.prevHash'), children: <Hex value={record.prevHash} /> },
              { key: 'hash', label: t('audit.field.hash'), children: <Hex value={record.hash} testId="record-hash" /> },
            ]}
          />
        </>
      )}
      {proof && (
        <>
          <Divider titlePlacement="start">{t('audit.proof.title')}</Divider>
          <Space orientation="vertical" style={{ width: '100%' }} data-testid="proof-checks">
            {checks ? (
              <>
                <ProofVerdict checks={checks} />
                <CheckLine check={checks.recordHash} label="audit.check.recordHash" />
                <CheckLine check={checks.inclusion} label="audit.check.inclusion" />
                <CheckLine check={checks.signature} label="audit.check.signature" />
              </>
            ) : (
              <Spin size="small" />
            )}
            <Descriptions
              size="small"
              column={2}
              items={[
                { key: 'leaf', label: t('audit.proof.leafIndex'), children: proof.leafIndex },
                { key: 'size', label: t('audit.head.treeSize'), children: proof.head.treeSize },
                { key: 'time', label: t('audit.head.time'), children: time(proof.head.timestamp) },
                { key: 'alg', label: t('audit.head.hashAlg'), children: proof.head.hashAlg.toUpperCase() },
                { key: 'root', label: t('audit.head.root'), span: 2, children: <Hex value={proof.head.rootHash} /> },
                { key: 'key', label: t('audit.head.keyId'), span: 2, children: <Hex value={proof.head.keyId} /> },
                { key: 'sig', label: t('audit.proof.signature'), span: 2, children: <Hex value={proof.head.signature} shown={24} /> },
                {
                  key: 'path',
                  label: `${t('audit.proof.path')}${paren(proof.auditPath.length)}`,
                  span: 2,
                  children: (
                    <Space orientation="vertical" size={0}>
                      {proof.auditPath.map((h, i) => (
                        <Hex key={i} value={h} shown={32} />
                      ))}
                    </Space>
                  ),
                },
              ]}
            />
            <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
              {t('audit.proof.offline')}
            </Typography.Paragraph>
            <Button icon={<DownloadOutlined />} onClick={() => downloadProof(proof)} data-testid="download-proof">
              {t('audit.proof.download')}
            </Button>
          </Space>
        </>
      )}
    </>
  );
}
