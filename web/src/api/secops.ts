/** Calls and shapes of the security operations API (secadmin; see src/modules/secops/secops.routes.ts). */
import type { SecopsSettings } from '../../../src/modules/secops/secops.settings.ts';
import { allOf, GET, POST, PUT, urlOf, type BodyOf, type QueryOf, type ResponseOf } from './client.ts';

export type Dashboard = ResponseOf<'/api/v1/secops/dashboard', 'get'>;
export type Alert = ResponseOf<'/api/v1/secops/alerts/{id}', 'get'>;
export type Containment = ResponseOf<'/api/v1/secops/containments', 'get'>['items'][number];
export type Delivery = ResponseOf<'/api/v1/secops/deliveries', 'get'>['items'][number];
export type IncidentDetail = ResponseOf<'/api/v1/secops/incidents/{id}', 'get'>;
export type Incident = IncidentDetail['incident'];
export type Clock = NonNullable<IncidentDetail['clocks']['first']>;
/** A text the server gives in both languages. */
export type Text = Alert['title'];

export type Severity = Alert['severity'];
export const SEVERITIES = allOf<Severity>()(['general', 'significant', 'major', 'critical']);
export const SEVERITY_COLORS: Record<Severity, string> = { general: 'blue', significant: 'orange', major: 'red', critical: 'magenta' };
export type IncidentState = Incident['state'];
export const INCIDENT_STATES = allOf<IncidentState>()(['discovered', 'analysing', 'handling', 'recovering', 'closed']);
export type ContainmentKind = Containment['kind'];

/**
 * The settings as the route answers them: the server's settings type (src/modules/secops/
 * secops.settings.ts, a type-only import) with each webhook's secret replaced by whether it has one
 * (settingsOut in secops.routes.ts). The route declares its answer as an open record.
 */
export type Settings = Omit<SecopsSettings, 'webhooks'> & {
  webhooks: (Pick<SecopsSettings['webhooks'][number], 'url' | 'minSeverity'> & { hasSecret: boolean })[];
};

export type BurstOutcome = ResponseOf<'/api/v1/demo/burst', 'post'>;

export const secopsApi = {
  /** The demo world's replay of journey step 6 (offered only when the demo world is loaded). */
  demoBurstAvailable: () => GET('/api/v1/demo/burst').then((r) => r.available),
  demoBurst: () => POST('/api/v1/demo/burst'),
  settingsSchema: () => GET('/api/v1/secops/settings/schema'),
  dashboard: () => GET('/api/v1/secops/dashboard'),
  alerts: (query: QueryOf<'/api/v1/secops/alerts', 'get'> = {}) => GET('/api/v1/secops/alerts', { query }).then((r) => r.items),
  setAlert: (id: string, action: 'ack' | 'close') =>
    POST(action === 'ack' ? '/api/v1/secops/alerts/{id}/ack' : '/api/v1/secops/alerts/{id}/close', { path: { id } }),
  containments: (active: boolean) => GET('/api/v1/secops/containments', { query: active ? { active: 'true' } : {} }).then((r) => r.items),
  contain: (body: BodyOf<'/api/v1/secops/containments', 'post'>) => POST('/api/v1/secops/containments', { body }),
  lift: (id: string, reason: string) => POST('/api/v1/secops/containments/{id}/lift', { path: { id }, body: { reason } }),
  deliveries: (alertId: string) => GET('/api/v1/secops/deliveries', { query: { alert: alertId } }).then((r) => r.items),
  incidents: () => GET('/api/v1/secops/incidents').then((r) => r.items),
  incident: (id: string) => GET('/api/v1/secops/incidents/{id}', { path: { id } }),
  openIncident: (body: BodyOf<'/api/v1/secops/incidents', 'post'>) => POST('/api/v1/secops/incidents', { body }),
  transition: (id: string, body: BodyOf<'/api/v1/secops/incidents/{id}/transition', 'post'>) =>
    POST('/api/v1/secops/incidents/{id}/transition', { path: { id }, body }),
  addAction: (id: string, text: string) => POST('/api/v1/secops/incidents/{id}/actions', { path: { id }, body: { kind: 'action', text } }),
  reported: (id: string, kind: 'first' | 'final', note: string) => POST('/api/v1/secops/incidents/{id}/reports', { path: { id }, body: { kind, note } }),
  settings: () => GET('/api/v1/secops/settings') as Promise<Settings>,
  saveSettings: (body: BodyOf<'/api/v1/secops/settings', 'put'>) => PUT('/api/v1/secops/settings', { body }) as Promise<Settings>,
  reportUrl: (id: string, format: 'md' | 'html') => urlOf('/api/v1/secops/incidents/{id}/report', { path: { id }, query: { format } }),
};
