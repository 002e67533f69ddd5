import { ThunderboltOutlined } from '@ant-design/icons';
import { App as AntApp, Button, Popconfirm, Typography } from 'antd';
import { useState } from 'react';
import type { ApiError } from '../../api/client.ts';
import { secopsApi, type BurstOutcome } from '../../api/secops.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

/**
 * 演示:重放夜间突发访问 — journey step 6 on the demo world, for the secadmin, shown only when the demo
 * world is loaded. The alert then arrives live in the page; the dialog says what happened in sentences.
 */
export function DemoBurstButton({ onDone }: { onDone: () => void }) {
  const { t, lang, time, paren, sep, num } = useI18n();
  const { message, modal } = AntApp.useApp();
  // Offered only when the server says the demo world is loaded (an error means not).
  const { data: available = false } = useLoad(() => secopsApi.demoBurstAvailable(), []);
  const [running, setRunning] = useState(false);
  if (!available) return null;

  function sentences(o: BurstOutcome): string[] {
    const n = num;
    return [
      t('secops.demo.reads', { consumer: o.consumer, key: o.keyName, at: o.burstAt, dataset: o.dataset, rows: n(o.burstRows), base: n(o.baselineRowsPerHour) }),
      ...(o.burstRefused ? [t('secops.demo.refused')] : []),
      o.alert ? t('secops.demo.alert', { severity: t(`secops.sev.${o.alert.severity}`), title: o.alert.title[lang] }) : t('secops.demo.noAlert'),
      t('secops.demo.keyState', { state: t(`secops.demo.key.${o.keyState}`) }),
      ...(o.incident
        ? [
            t('secops.demo.incident', {
              title: o.alert && o.incident.title === o.alert.title.zh ? o.alert.title[lang] : o.incident.title,
              due: o.incident.firstDue ? time(o.incident.firstDue) : '—',
            }),
          ]
        : []),
      ...(o.notified.length ? [t('secops.demo.notified', { who: o.notified.map((x) => `${x.username}${paren(x.org)}`).join(sep) })] : []),
    ];
  }

  async function run() {
    setRunning(true);
    try {
      const outcome = await secopsApi.demoBurst();
      modal.info({
        title: t('secops.demo.title'),
        width: 560,
        content: (
          <div data-testid="demo-burst-result">
            {sentences(outcome).map((line) => (
              <Typography.Paragraph key={line}>{line}</Typography.Paragraph>
            ))}
          </div>
        ),
      });
      onDone();
    } catch (e) {
      void message.error((e as ApiError).message);
    } finally {
      setRunning(false);
    }
  }

  return (
    <Popconfirm
      title={t('secops.demo.button')}
      description={<div style={{ maxWidth: 360 }}>{t('secops.demo.confirm')}</div>}
      okText={t('secops.demo.run')}
      onConfirm={() => void run()}
    >
      <Button icon={<ThunderboltOutlined />} loading={running} data-testid="demo-burst">
        {t('secops.demo.button')}
      </Button>
    </Popconfirm>
  );
}
