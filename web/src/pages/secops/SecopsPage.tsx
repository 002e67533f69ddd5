import {
  Alert as Notice,
  App as AntApp,
  Button,
  Card,
  Collapse,
  Descriptions,
  Drawer,
  Input,
  Popconfirm,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  Timeline,
  Tooltip,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError } from '../../api/client.ts';
import { DemoBurstButton } from './DemoBurst.tsx';
import { INCIDENT_STATES, secopsApi, type Alert, type Clock, type Containment, type Delivery, type Incident, type IncidentDetail } from '../../api/secops.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { DashboardTab } from './DashboardTab.tsx';
import { SettingsTab } from './SettingsTab.tsx';
import { SignOnPolicyTab } from './SignOnPolicyTab.tsx';
import { detectorLabel, duration, SeverityTag, useLiveAlerts, useText } from './common.tsx';
import { factValue, ID_FACTS } from './facts.ts';

/** 安全运营 console of the security administrator: dashboard, alerts, incidents, containment, settings. */
export function SecopsPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const [alert, setAlert] = useState<Alert>();
  const [incidentId, setIncidentId] = useState<string>();
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const [liveLength, setLiveLength] = useState(0);
  // The dashboard again after every change (an action here, or a live alert).
  const { data: dashboard, error } = useLoad(() => secopsApi.dashboard(), [version, liveLength]);
  const { alerts: live, connected } = useLiveAlerts(dashboard?.live);
  useEffect(() => setLiveLength(live.length), [live.length]);
  const tab = params.get('tab') ?? 'dashboard';

  useEffect(() => {
    const id = params.get('alert');
    if (id)
      secopsApi.alerts().then(
        (items) => setAlert(items.find((a) => a.id === id)),
        () => undefined,
      );
  }, [params]);

  return (
    <Card title={t('nav.secops')} extra={<DemoBurstButton onDone={refresh} />}>
      {error && <Notice type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams({ tab: key })}
        items={[
          {
            key: 'dashboard',
            label: t('secops.tab.dashboard'),
            children: dashboard ? <DashboardTab data={dashboard} live={live} connected={connected} onOpenAlert={setAlert} /> : null,
          },
          { key: 'alerts', label: t('secops.tab.alerts'), children: <AlertsTab version={version + live.length} onOpen={setAlert} /> },
          { key: 'incidents', label: t('secops.tab.incidents'), children: <IncidentsTab version={version + live.length} onOpen={setIncidentId} /> },
          { key: 'containments', label: t('secops.tab.containments'), children: <ContainmentsTab version={version + live.length} onChange={refresh} /> },
          { key: 'settings', label: t('secops.tab.settings'), children: <SettingsTab /> },
          { key: 'signon', label: t('so.policy.title'), children: <SignOnPolicyTab /> },
        ]}
      />
      <AlertDrawer
        alert={alert}
        onClose={() => {
          setAlert(undefined);
          if (params.get('alert')) setParams({ tab });
        }}
        onChanged={(a) => {
          setAlert(a);
          refresh();
        }}
        onIncident={(id) => {
          setAlert(undefined);
          setIncidentId(id);
        }}
      />
      <IncidentDrawer id={incidentId} onClose={() => setIncidentId(undefined)} onChanged={refresh} />
    </Card>
  );
}

function AlertsTab({ version, onOpen }: { version: number; onOpen(a: Alert): void }) {
  const { t, label, time } = useI18n();
  const text = useText();
  const [state, setState] = useState<Alert['state']>();
  const { data: items = [] } = useLoad(() => secopsApi.alerts({ state }), [version, state]);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Select
        allowClear
        placeholder={t('secops.col.state')}
        style={{ width: 160 }}
        value={state}
        onChange={setState}
        options={(['open', 'acknowledged', 'closed'] as const).map((s) => ({ value: s, label: t(`secops.alertState.${s}`) }))}
      />
      <Table<Alert>
        rowKey="id"
        size="small"
        dataSource={items}
        data-testid="alerts-table"
        onRow={(a) => ({ onClick: () => onOpen(a), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('secops.col.severity'), dataIndex: 'severity', width: 90, render: (s) => <SeverityTag severity={s} /> },
          { title: t('secops.col.title'), render: (_, a) => <Typography.Text strong>{text(a.title)}</Typography.Text> },
          { title: t('secops.col.detector'), dataIndex: 'detector', width: 140, render: (d) => detectorLabel(label, d) },
          { title: t('secops.col.hits'), dataIndex: 'hits', width: 70 },
          { title: t('secops.col.state'), dataIndex: 'state', width: 90, render: (_, a) => t(`secops.alertState.${a.state}`) },
          { title: t('secops.col.lastSeen'), dataIndex: 'lastSeen', width: 170, render: (v) => time(v) },
        ]}
      />
    </Space>
  );
}

function AlertDrawer({ alert, onClose, onChanged, onIncident }: { alert?: Alert; onClose(): void; onChanged(a: Alert): void; onIncident(id: string): void }) {
  const { t, label, time, colon } = useI18n();
  const text = useText();
  const { message } = AntApp.useApp();
  const { data: deliveries = [] } = useLoad(() => secopsApi.deliveries(alert!.id), [alert], { when: Boolean(alert) });
  const act = (p: Promise<Alert>) => p.then(onChanged, (e: ApiError) => message.error(e.message));
  const keyId = alert ? alertKeyId(alert) : undefined;
  const grantId = typeof alert?.facts.grantId === 'string' ? alert.facts.grantId : undefined;
  /** Suspends the key or grant by hand, linked to this alert (the containment tab lifts it). */
  const suspend = (kind: 'suspend_key' | 'suspend_grant', targetId: string) =>
    secopsApi
      .contain({
        kind,
        targetId,
        reason: `${t(kind === 'suspend_key' ? 'secops.suspendKey' : 'secops.suspendGrant')}${colon}${text(alert!.title)}`,
        alertId: alert!.id,
      })
      .then(
        () => message.success(t('secops.suspended', { what: t(kind === 'suspend_key' ? 'secops.suspendKey' : 'secops.suspendGrant') })),
        (e: ApiError) => message.error(e.message),
      );
  return (
    <Drawer
      width={640}
      open={Boolean(alert)}
      onClose={onClose}
      title={
        alert ? (
          <Space>
            <SeverityTag severity={alert.severity} />
            {text(alert.title)}
          </Space>
        ) : null
      }
    >
      {alert && (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Typography.Paragraph data-testid="alert-summary">{text(alert.summary)}</Typography.Paragraph>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('secops.col.detector')}>{detectorLabel(label, alert.detector)}</Descriptions.Item>
            {alert.names.actor && (
              <Descriptions.Item label={t('secops.col.subject')}>
                <SubjectName alert={alert} />
              </Descriptions.Item>
            )}
            {alert.names.org && <Descriptions.Item label={t('secops.col.org')}>{alert.names.org}</Descriptions.Item>}
            {alert.dataset && (
              <Descriptions.Item label={t('secops.col.dataset')}>
                <Link to={`/catalog/${alert.dataset}`}>{alert.names.dataset ?? alert.dataset}</Link>
              </Descriptions.Item>
            )}
            <Descriptions.Item label={t('secops.col.hits')}>{alert.hits}</Descriptions.Item>
            <Descriptions.Item label={t('secops.col.lastSeen')}>
              {time(alert.firstSeen)} → {time(alert.lastSeen)}
            </Descriptions.Item>
            <Descriptions.Item label={t('secops.col.evidence')}>
              {alert.evidence.map((s) => (
                <Tag key={s}>#{s}</Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t('secops.facts')}>
              <FactsList facts={alert.facts} />
              {grantId && <Link to={`/sharing/grants/${grantId}`}>{t('secops.viewGrant')}</Link>}
            </Descriptions.Item>
          </Descriptions>
          <Space wrap>
            {alert.state === 'open' && <Button onClick={() => act(secopsApi.setAlert(alert.id, 'ack'))}>{t('secops.ack')}</Button>}
            {keyId && (
              <Popconfirm title={t('secops.suspendConfirm', { what: t('secops.suspendKey') })} onConfirm={() => suspend('suspend_key', keyId)}>
                <Button danger>{t('secops.suspendKey')}</Button>
              </Popconfirm>
            )}
            {grantId && (
              <Popconfirm title={t('secops.suspendConfirm', { what: t('secops.suspendGrant') })} onConfirm={() => suspend('suspend_grant', grantId)}>
                <Button danger>{t('secops.suspendGrant')}</Button>
              </Popconfirm>
            )}
            {alert.state !== 'closed' && <Button onClick={() => act(secopsApi.setAlert(alert.id, 'close'))}>{t('secops.closeAlert')}</Button>}
            {alert.incidentId ? (
              <Button type="primary" onClick={() => onIncident(alert.incidentId!)}>
                {t('secops.viewIncident')}
              </Button>
            ) : (
              <Button
                type="primary"
                onClick={() =>
                  secopsApi.openIncident({ title: text(alert.title), severity: alert.severity, description: text(alert.summary), alertIds: [alert.id] }).then(
                    (d) => onIncident(d.incident.id),
                    (e: ApiError) => message.error(e.message),
                  )
                }
              >
                {t('secops.openIncident')}
              </Button>
            )}
          </Space>
          {deliveries.length > 0 && (
            <Table<Delivery>
              size="small"
              rowKey="id"
              pagination={false}
              title={() => t('secops.deliveries')}
              dataSource={deliveries}
              columns={[
                { title: t('secops.col.channel'), dataIndex: 'channel', width: 80, render: (c: Delivery['channel']) => t(`secops.channel.${c}`) },
                { title: t('secops.col.target'), dataIndex: 'target' },
                {
                  title: t('secops.col.state'),
                  dataIndex: 'state',
                  width: 80,
                  render: (s: Delivery['state']) => <Tag color={s === 'sent' ? 'green' : s === 'failed' ? 'red' : 'default'}>{t(`secops.delivery.${s}`)}</Tag>,
                },
                { title: t('secops.col.attempts'), dataIndex: 'attempts', width: 70 },
              ]}
            />
          )}
          <Collapse
            size="small"
            items={[
              {
                key: 'raw',
                label: t('secops.advanced'),
                children: (
                  <pre style={{ margin: 0, whiteSpace: 'pre-wrap', fontSize: 12 }} data-testid="alert-raw">
                    {JSON.stringify({ detector: alert.detector, subject: alert.subject, facts: alert.facts }, null, 2)}
                  </pre>
                ),
              },
            ]}
          />
        </Space>
      )}
    </Drawer>
  );
}

/** The API key of an alert: its facts, else its subject (`key:<id>`). */
function alertKeyId(alert: Alert): string | undefined {
  if (typeof alert.facts.apiKeyId === 'string') return alert.facts.apiKeyId;
  return alert.subject.startsWith('key:') ? alert.subject.slice(4) : undefined;
}

/** "朝阳市民政局的密钥「低保核验」" with the id in a tooltip. */
function SubjectName({ alert }: { alert: Alert }) {
  const { t } = useI18n();
  const { actor, actorKind, org } = alert.names;
  const name =
    actorKind === 'key'
      ? t('secops.subjectKey', { org: org ?? '', name: actor ?? '' })
      : org
        ? t('secops.subjectUser', { org, name: actor ?? '' })
        : (actor ?? '');
  return (
    <Tooltip title={alert.subject}>
      <span>{name}</span>
    </Tooltip>
  );
}

/** What a detector saw, as labelled fields in the console language (raw JSON only in the technical details). */
export function FactsList({ facts }: { facts: Record<string, unknown> }) {
  const i18n = useI18n();
  const { label } = i18n;
  const entries = Object.entries(facts).filter(([k, v]) => !ID_FACTS.has(k) && v !== null && v !== undefined && v !== '');
  return (
    <Descriptions column={1} size="small" data-testid="alert-facts">
      {entries.map(([k, v]) => (
        <Descriptions.Item key={k} label={label('secops.fact', k)}>
          {factValue(k, v, i18n)}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}

function ClockLine({ clock }: { clock: Clock | null }) {
  const { t, time, lang } = useI18n();
  if (!clock) return <Typography.Text type="secondary">{t('secops.notApplicable')}</Typography.Text>;
  if (clock.reportedAt) return <Tag color="green">{t('secops.reportedAt', { time: time(clock.reportedAt) })}</Tag>;
  const left = clock.remainingMs ?? 0;
  return (
    <Space>
      <Typography.Text>{time(clock.due)}</Typography.Text>
      <Tag color={clock.overdue ? 'red' : left < 3_600_000 ? 'orange' : 'blue'} data-testid="clock-remaining">
        {t(clock.overdue ? 'secops.overdue' : 'secops.remaining', { time: duration(left, lang) })}
      </Tag>
    </Space>
  );
}

function IncidentsTab({ version, onOpen }: { version: number; onOpen(id: string): void }) {
  const { t, time } = useI18n();
  const text = useText();
  const { data: items = [] } = useLoad(() => secopsApi.incidents(), [version]);
  return (
    <Table<Incident>
      rowKey="id"
      size="small"
      dataSource={items}
      data-testid="incidents-table"
      onRow={(i) => ({ onClick: () => onOpen(i.id), style: { cursor: 'pointer' } })}
      columns={[
        { title: t('secops.col.severity'), dataIndex: 'severity', width: 90, render: (s) => <SeverityTag severity={s} /> },
        { title: t('secops.col.title'), dataIndex: 'title', render: (_, i) => (i.titleMessage ? text(i.titleMessage) : i.title) },
        { title: t('secops.col.state'), dataIndex: 'state', width: 80, render: (_, i) => <Tag>{t(`secops.state.${i.state}`)}</Tag> },
        { title: t('secops.col.owner'), dataIndex: 'ownerName', width: 110 },
        { title: t('secops.col.opened'), dataIndex: 'openedAt', width: 170, render: (v) => time(v) },
        {
          title: t('secops.col.clock'),
          width: 260,
          render: (_, i) =>
            i.firstReportDue ? (
              <ClockLine
                clock={{
                  due: i.firstReportDue,
                  reportedAt: i.firstReportedAt,
                  remainingMs: Date.parse(i.firstReportDue) - Date.now(),
                  overdue: !i.firstReportedAt && Date.parse(i.firstReportDue) < Date.now(),
                }}
              />
            ) : (
              <ClockLine clock={null} />
            ),
        },
      ]}
    />
  );
}

function IncidentDrawer({ id, onClose, onChanged }: { id?: string; onClose(): void; onChanged(): void }) {
  const { t, label, time, paren } = useI18n();
  const text = useText();
  const { message } = AntApp.useApp();
  const [detail, setDetail] = useState<IncidentDetail>();
  const [note, setNote] = useState('');
  const [summary, setSummary] = useState('');
  const [action, setAction] = useState('');
  useEffect(() => {
    setDetail(undefined);
    if (id)
      secopsApi.incident(id).then(
        (d) => {
          setDetail(d);
          setSummary(d.incident.summary);
        },
        () => undefined,
      );
  }, [id]);
  const run = (p: Promise<IncidentDetail>) =>
    p.then(
      (d) => {
        setDetail(d);
        setNote('');
        setAction('');
        onChanged();
      },
      (e: ApiError) => message.error(e.message),
    );
  const i = detail?.incident;
  const next = i ? INCIDENT_STATES[INCIDENT_STATES.indexOf(i.state) + 1] : undefined;
  return (
    <Drawer
      width={720}
      open={Boolean(id)}
      onClose={onClose}
      title={
        i ? (
          <Space>
            <SeverityTag severity={i.severity} />
            {i.titleMessage ? text(i.titleMessage) : i.title}
          </Space>
        ) : null
      }
    >
      {detail && i && (
        <Space direction="vertical" style={{ width: '100%' }} size="middle">
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('secops.col.state')}>
              <Space>
                {INCIDENT_STATES.map((s) => (
                  <Tag key={s} color={s === i.state ? 'processing' : INCIDENT_STATES.indexOf(s) < INCIDENT_STATES.indexOf(i.state) ? 'success' : 'default'}>
                    {t(`secops.state.${s}`)}
                  </Tag>
                ))}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t('secops.col.owner')}>{i.ownerName ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('secops.col.opened')}>{time(i.openedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('secops.firstReport')}>
              <Space>
                <ClockLine clock={detail.clocks.first} />
                {detail.clocks.first && !detail.clocks.first.reportedAt && (
                  <Button size="small" onClick={() => run(secopsApi.reported(i.id, 'first', note))}>
                    {t('secops.markReported')}
                  </Button>
                )}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t('secops.finalReport')}>
              <Space>
                <ClockLine clock={detail.clocks.final} />
                {detail.clocks.final && !detail.clocks.final.reportedAt && (
                  <Button size="small" onClick={() => run(secopsApi.reported(i.id, 'final', note))}>
                    {t('secops.markReported')}
                  </Button>
                )}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t('secops.description')}>
              <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{i.description || '—'}</Typography.Paragraph>
            </Descriptions.Item>
          </Descriptions>
          {next && (
            <Card size="small">
              <Space direction="vertical" style={{ width: '100%' }}>
                <Input.TextArea rows={2} placeholder={t('secops.note')} value={note} onChange={(e) => setNote(e.target.value)} />
                {next === 'closed' && (
                  <Input.TextArea
                    rows={3}
                    placeholder={t('secops.summary')}
                    value={summary}
                    onChange={(e) => setSummary(e.target.value)}
                    data-testid="incident-summary"
                  />
                )}
                <Button type="primary" onClick={() => run(secopsApi.transition(i.id, { state: next, note, ...(next === 'closed' ? { summary } : {}) }))}>
                  {t('secops.nextStage', { stage: t(`secops.state.${next}`) })}
                </Button>
              </Space>
            </Card>
          )}
          <Space.Compact style={{ width: '100%' }}>
            <Input placeholder={t('secops.addAction')} value={action} onChange={(e) => setAction(e.target.value)} />
            <Button disabled={!action.trim()} onClick={() => run(secopsApi.addAction(i.id, action))}>
              {t('secops.addAction')}
            </Button>
          </Space.Compact>
          <Space>
            <Button href={secopsApi.reportUrl(i.id, 'md')}>
              {t('secops.export')}
              {paren('Markdown')}
            </Button>
            <Button href={secopsApi.reportUrl(i.id, 'html')} target="_blank">
              {t('secops.export')}
              {paren('HTML')}
            </Button>
          </Space>
          <Typography.Title level={5}>{t('secops.incidentAlerts')}</Typography.Title>
          {detail.alerts.map((a) => (
            <div key={a.id}>
              <SeverityTag severity={a.severity} /> {text(a.title)} ×{a.hits} · {a.evidence.map((s) => `#${s}`).join(' ')}
            </div>
          ))}
          <Typography.Title level={5}>{t('secops.timeline')}</Typography.Title>
          <Timeline
            items={detail.timeline.map((e) => ({
              children: (
                <span>
                  <Typography.Text type="secondary">{time(e.at)}</Typography.Text> <Tag>{label('secops.event', e.kind)}</Tag>{' '}
                  {e.actorName === 'pdx' ? t('secops.system') : e.actorName}{' '}
                  {e.kind === 'state' && typeof e.details.to === 'string'
                    ? `${label('secops.state', String(e.details.from))} → ${label('secops.state', e.details.to)} `
                    : ''}
                  {/* The platform's own entries in the console language; a person's note, and rows stored before codes, as written. */}
                  {e.message ? text(e.message) : e.text}
                </span>
              ),
            }))}
          />
        </Space>
      )}
    </Drawer>
  );
}

function ContainmentsTab({ version, onChange }: { version: number; onChange(): void }) {
  const { t, time } = useI18n();
  const text = useText();
  const { message } = AntApp.useApp();
  const [activeOnly, setActiveOnly] = useState(true);
  const [reason, setReason] = useState('');
  const { data: items = [] } = useLoad(() => secopsApi.containments(activeOnly), [version, activeOnly]);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space>
        <Switch checked={activeOnly} onChange={setActiveOnly} /> {t('secops.activeOnly')}
      </Space>
      <Table<Containment>
        rowKey="id"
        size="small"
        dataSource={items}
        data-testid="containments-table"
        columns={[
          { title: t('secops.col.kind'), dataIndex: 'kind', width: 110, render: (_, c) => <Tag color="volcano">{t(`secops.kind.${c.kind}`)}</Tag> },
          { title: t('secops.col.target'), render: (_, c) => c.targetLabel ?? c.targetId },
          { title: t('secops.col.reason'), render: (_, c) => text(c.reason) },
          { title: t('secops.col.origin'), dataIndex: 'automatic', width: 90, render: (a) => (a ? t('secops.auto') : t('secops.manual')) },
          { title: t('secops.col.created'), dataIndex: 'createdAt', width: 170, render: (v) => time(v) },
          { title: t('secops.col.until'), dataIndex: 'until', width: 170, render: (v) => (v ? time(v) : '—') },
          {
            title: t('secops.col.actions'),
            width: 100,
            render: (_, c) =>
              c.active ? (
                <Popconfirm
                  title={<Input placeholder={t('secops.liftReason')} value={reason} onChange={(e) => setReason(e.target.value)} />}
                  okButtonProps={{ disabled: !reason.trim() }}
                  onConfirm={() =>
                    secopsApi.lift(c.id, reason).then(
                      () => {
                        setReason('');
                        onChange();
                      },
                      (e: ApiError) => message.error(e.message),
                    )
                  }
                >
                  <Button size="small">{t('secops.lift')}</Button>
                </Popconfirm>
              ) : (
                <Tag>{t('secops.lifted')}</Tag>
              ),
          },
        ]}
      />
    </Space>
  );
}
