import { Tag } from 'antd';
import { useEffect, useState } from 'react';
import { SEVERITY_COLORS, type Alert, type Severity, type Text } from '../../api/secops.ts';
import { useI18n } from '../../i18n.tsx';

export function SeverityTag({ severity }: { severity: Severity }) {
  const { t } = useI18n();
  return (
    <Tag color={SEVERITY_COLORS[severity]} data-testid={`severity-${severity}`}>
      {t(`secops.sev.${severity}`)}
    </Tag>
  );
}

/** A bilingual server text in the console language. */
export function useText() {
  const { lang } = useI18n();
  return (text: Text) => text[lang];
}

/** A detector's name (`label` of useI18n); the settings may name detectors the console has no label for. */
export function detectorLabel(label: (prefix: string, code: string) => string, detector: string): string {
  return label('secops.det', detector);
}

/** "3 h 12 min" / "3小时12分". */
export function duration(ms: number, lang: 'zh' | 'en'): string {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (lang === 'zh') return `${d ? `${d}天` : ''}${h ? `${h}小时` : ''}${m}分钟`;
  return `${d ? `${d} d ` : ''}${h ? `${h} h ` : ''}${m} min`;
}

/**
 * Alerts as they happen: the server-sent event stream of the secops API (it polls the database, so
 * alerts raised by any pdx process arrive), merged by id, newest change first.
 */
export function useLiveAlerts(initial: Alert[] | undefined): { alerts: Alert[]; connected: boolean } {
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (initial) setAlerts(initial);
  }, [initial]);
  useEffect(() => {
    const source = new EventSource('/api/v1/secops/alerts/stream');
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener('alert', (event) => {
      const alert = JSON.parse((event as MessageEvent<string>).data) as Alert;
      setAlerts((current) => [alert, ...current.filter((a) => a.id !== alert.id)].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, 50));
    });
    return () => source.close();
  }, []);
  return { alerts, connected };
}
