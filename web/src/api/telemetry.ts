/** Requests and types of the telemetry console (devices, points, quality, ingestion status). */
import { api } from './client.ts';

export type Resolution = 'raw' | '1m' | '1h';
export const RESOLUTIONS: Resolution[] = ['raw', '1m', '1h'];
export const QUALITY_KINDS = ['gap', 'out_of_range', 'stuck', 'spike', 'future_timestamp', 'clock_skew', 'unit_mismatch', 'unknown_point'] as const;
export type QualityKind = (typeof QUALITY_KINDS)[number];

export interface TelemetrySettings {
  enterpriseCode: string;
  autoRegister: boolean;
}

export interface Device {
  id: string;
  code: string;
  name: string;
  plant: string;
  plantName: string;
  line: string;
  lineName: string;
  state: 'active' | 'disabled';
  maxPointsPerSecond: number;
  hasToken: boolean;
  lastSeenAt: string | null;
  username: string;
  topic: string;
}

export interface Point {
  id: number;
  device: string;
  code: string;
  name: string;
  unit: string;
  dataType: 'float' | 'integer' | 'boolean';
  min: number | null;
  max: number | null;
  samplingMs: number | null;
  level: number;
  grade: number;
  autoRegistered: boolean;
}

export interface DevicePoint extends Point {
  lastTs: string | null;
  lastValue: number | null;
  openEvents: string[];
}

export interface QualityEvent {
  id: string;
  kind: QualityKind;
  device: string;
  line: string;
  point: string | null;
  startedAt: string;
  endedAt: string | null;
  samples: number;
  details: Record<string, unknown>;
}

export interface Quality {
  since: string;
  points: { pointId: number; samples: number; bad: number; openEvents: number; score: number }[];
  devices: { code: string; name: string; line: string; score: number | null; openEvents: number }[];
  lines: { line: string; lineName: string; plant: string; score: number | null }[];
  counts: { kind: QualityKind; hour: string; n: number }[];
}

export interface Status {
  pointsPerSecond: number;
  lagMsMax: number | null;
  perMinute: { minute: string; points: number; duplicates: number; lagMsMax: number }[];
  rejected: { device: string | null; reason: string; count: number; lastAt: string; lastDetail: string }[];
  writer: { buffered: number; capacity: number; batches: number; written: number; duplicates: number; overloaded: number; lastBatchMs: number };
}

const seg = encodeURIComponent;

export const telemetryApi = {
  registry: () => api<{ settings: TelemetrySettings; devices: Device[]; points: Point[] }>('GET', '/api/v1/telemetry/registry'),
  saveSettings: (s: Partial<TelemetrySettings>) => api<TelemetrySettings>('PUT', '/api/v1/telemetry/settings', s),
  device: (code: string) => api<{ device: Device; points: DevicePoint[] }>('GET', `/api/v1/telemetry/devices/${seg(code)}`),
  issueToken: (code: string) => api<{ token: string; username: string; topic: string }>('POST', `/api/v1/telemetry/devices/${seg(code)}/token`),
  samples: (device: string, point: string, since: number, step: Resolution = 'raw') =>
    api<{ items: { ts: string; value: number }[] }>('GET', `/api/v1/telemetry/devices/${seg(device)}/points/${seg(point)}/samples?since=${since}&step=${step}`).then((r) => r.items),
  quality: (hours = 24) => api<Quality>('GET', `/api/v1/telemetry/quality?hours=${hours}`),
  events: (filter: { device?: string; kind?: string; open?: boolean } = {}) => {
    const q = new URLSearchParams();
    if (filter.device) q.set('device', filter.device);
    if (filter.kind) q.set('kind', filter.kind);
    if (filter.open !== undefined) q.set('open', String(filter.open));
    return api<{ items: QualityEvent[] }>('GET', `/api/v1/telemetry/quality/events?${q}`).then((r) => r.items);
  },
  unknown: () => api<{ items: { device: string; point: string; unit: string; samples: number; firstTs: string; lastTs: string }[] }>('GET', '/api/v1/telemetry/unknown-points').then((r) => r.items),
  status: () => api<Status>('GET', '/api/v1/telemetry/status'),
  summary: () => api<{ items: { enterprise: string; devices: number; liveDevices: number; pointsLastMinute: number; openEvents: number }[] }>('GET', '/api/v1/telemetry/summary').then((r) => r.items),
  /** Uploads a CSV/XLSX registry sheet (multipart). */
  async importSheet(file: File): Promise<{ plants: number; lines: number; devices: number; points: number; updated: number }> {
    const body = new FormData();
    body.append('file', file);
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('pdx_csrf='))?.slice(9);
    const res = await fetch('/api/v1/telemetry/registry/import', { method: 'POST', body, credentials: 'same-origin', headers: csrf ? { 'x-csrf-token': decodeURIComponent(csrf) } : {} });
    const data = (await res.json()) as { error?: { message: string } } & { plants: number; lines: number; devices: number; points: number; updated: number };
    if (!res.ok) throw new Error(data.error?.message ?? res.statusText);
    return data;
  },
};
