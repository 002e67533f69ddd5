/** Typed client of the security operations API (secadmin; see src/modules/secops/secops.routes.ts). */
import { api } from './client.ts';

export type Severity = 'general' | 'significant' | 'major' | 'critical';
export const SEVERITIES: Severity[] = ['general', 'significant', 'major', 'critical'];
export const SEVERITY_COLORS: Record<Severity, string> = { general: 'blue', significant: 'orange', major: 'red', critical: 'magenta' };
export type IncidentState = 'discovered' | 'analysing' | 'handling' | 'recovering' | 'closed';
export const INCIDENT_STATES: IncidentState[] = ['discovered', 'analysing', 'handling', 'recovering', 'closed'];
export type ContainmentKind = 'throttle_key' | 'suspend_key' | 'suspend_grant' | 'freeze_dataset' | 'lock_account';

export interface Text {
  zh: string;
  en: string;
}

export interface Alert {
  id: string;
  detector: string;
  subject: string;
  severity: Severity;
  state: 'open' | 'acknowledged' | 'closed';
  title: Text;
  summary: Text;
  facts: Record<string, unknown>;
  evidence: number[];
  hits: number;
  dataset: string | null;
  orgId: string | null;
  incidentId: string | null;
  firstSeen: string;
  lastSeen: string;
  updatedAt: string;
}

export interface Containment {
  id: string;
  kind: ContainmentKind;
  targetId: string;
  targetLabel: string | null;
  alertId: string | null;
  reason: Text;
  automatic: boolean;
  createdAt: string;
  until: string | null;
  liftedAt: string | null;
  liftReason: string | null;
  active: boolean;
}

export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  state: IncidentState;
  ownerId: string | null;
  ownerName: string | null;
  description: string;
  summary: string;
  openedAt: string;
  closedAt: string | null;
  firstReportDue: string | null;
  firstReportedAt: string | null;
  finalReportDue: string | null;
  finalReportedAt: string | null;
}

export interface Clock {
  due: string;
  reportedAt: string | null;
  remainingMs: number | null;
  overdue: boolean;
}

export interface IncidentDetail {
  incident: Incident;
  clocks: { first: Clock | null; final: Clock | null };
  timeline: { id: number; at: string; actorName: string | null; kind: string; text: string; details: Record<string, unknown> }[];
  alerts: Alert[];
}

export interface Dashboard {
  alerts: { severity: Severity; state: string; n: number }[];
  incidents: { state: IncidentState; n: number }[];
  hits: { hour: string; detector: string; n: number }[];
  consumers: { subject: string; orgName: string | null; keyName: string | null; sensitiveRows: number; rows: number }[];
  assets: { orgName: string; grade: number | null; n: number }[];
  live: Alert[];
}

export interface Delivery {
  id: string;
  alertId: string | null;
  channel: 'webhook' | 'email';
  target: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export type Settings = Record<string, unknown> & {
  intervalMs: number;
  webhooks: { url: string; minSeverity: Severity; hasSecret: boolean }[];
  email: { to: string[]; minSeverity: Severity };
  reporting: { firstReportHours: number; finalReportDays: number; warnBeforeMinutes: number };
  detectors: Record<string, Record<string, unknown>>;
};

export const secopsApi = {
  dashboard: () => api<Dashboard>('GET', '/api/v1/secops/dashboard'),
  alerts: (query = '') => api<{ items: Alert[] }>('GET', `/api/v1/secops/alerts${query}`).then((r) => r.items),
  setAlert: (id: string, action: 'ack' | 'close') => api<Alert>('POST', `/api/v1/secops/alerts/${id}/${action}`),
  containments: (active: boolean) => api<{ items: Containment[] }>('GET', `/api/v1/secops/containments${active ? '?active=true' : ''}`).then((r) => r.items),
  lift: (id: string, reason: string) => api<Containment>('POST', `/api/v1/secops/containments/${id}/lift`, { reason }),
  deliveries: (alertId: string) => api<{ items: Delivery[] }>('GET', `/api/v1/secops/deliveries?alert=${alertId}`).then((r) => r.items),
  incidents: () => api<{ items: Incident[] }>('GET', '/api/v1/secops/incidents').then((r) => r.items),
  incident: (id: string) => api<IncidentDetail>('GET', `/api/v1/secops/incidents/${id}`),
  openIncident: (body: { title: string; severity: Severity; description: string; alertIds: string[] }) => api<IncidentDetail>('POST', '/api/v1/secops/incidents', body),
  transition: (id: string, body: { state: IncidentState; note: string; summary?: string }) => api<IncidentDetail>('POST', `/api/v1/secops/incidents/${id}/transition`, body),
  addAction: (id: string, text: string) => api<IncidentDetail>('POST', `/api/v1/secops/incidents/${id}/actions`, { kind: 'action', text }),
  reported: (id: string, kind: 'first' | 'final', note: string) => api<IncidentDetail>('POST', `/api/v1/secops/incidents/${id}/reports`, { kind, note }),
  settings: () => api<Settings>('GET', '/api/v1/secops/settings'),
  saveSettings: (body: unknown) => api<Settings>('PUT', '/api/v1/secops/settings', body),
  reportUrl: (id: string, format: 'md' | 'html') => `/api/v1/secops/incidents/${id}/report?format=${format}`,
};
