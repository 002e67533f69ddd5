/** Calls and shapes of the telemetry console (devices, points, quality, ingestion status; src/modules/telemetry). */
import { QUALITY_KINDS as ENGINE_QUALITY_KINDS } from '../../../src/modules/telemetry/quality.ts';
import { allOf, GET, POST, PUT, upload, type BodyOf, type QueryOf, type ResponseOf } from './client.ts';

export type Registry = ResponseOf<'/api/v1/telemetry/registry', 'get'>;
export type TelemetrySettings = Registry['settings'];
export type Device = Registry['devices'][number];
export type Point = Registry['points'][number];
export type DevicePoint = ResponseOf<'/api/v1/telemetry/devices/{code}', 'get'>['points'][number];
export type Quality = ResponseOf<'/api/v1/telemetry/quality', 'get'>;
export type QualityEvent = ResponseOf<'/api/v1/telemetry/quality/events', 'get'>['items'][number];
export type Status = ResponseOf<'/api/v1/telemetry/status', 'get'>;
export type DeviceToken = ResponseOf<'/api/v1/telemetry/devices/{code}/token', 'post'>;

type EventQuery = QueryOf<'/api/v1/telemetry/quality/events', 'get'>;
export type QualityKind = NonNullable<EventQuery['kind']>;
/** Every quality check, in the order the console lists them: the telemetry module's own list (no copy). */
export const QUALITY_KINDS: readonly QualityKind[] = ENGINE_QUALITY_KINDS;
export type Resolution = NonNullable<QueryOf<'/api/v1/telemetry/devices/{code}/points/{point}/samples', 'get'>['step']>;
export const RESOLUTIONS = allOf<Resolution>()(['raw', '1m', '1h']);

export const telemetryApi = {
  registry: () => GET('/api/v1/telemetry/registry'),
  saveSettings: (s: BodyOf<'/api/v1/telemetry/settings', 'put'>) => PUT('/api/v1/telemetry/settings', { body: s }),
  device: (code: string) => GET('/api/v1/telemetry/devices/{code}', { path: { code } }),
  issueToken: (code: string) => POST('/api/v1/telemetry/devices/{code}/token', { path: { code } }),
  samples: (device: string, point: string, since: number, step: Resolution = 'raw') =>
    GET('/api/v1/telemetry/devices/{code}/points/{point}/samples', { path: { code: device, point }, query: { since, step } }).then((r) => r.items),
  quality: (hours = 24) => GET('/api/v1/telemetry/quality', { query: { hours } }),
  events: (filter: { device?: string; kind?: QualityKind; open?: boolean } = {}) =>
    GET('/api/v1/telemetry/quality/events', {
      query: { device: filter.device, kind: filter.kind, open: filter.open === undefined ? undefined : filter.open ? 'true' : 'false' },
    }).then((r) => r.items),
  unknown: () => GET('/api/v1/telemetry/unknown-points').then((r) => r.items),
  status: () => GET('/api/v1/telemetry/status'),
  summary: () => GET('/api/v1/telemetry/summary').then((r) => r.items),
  /** Uploads a CSV/XLSX registry sheet (multipart). */
  importSheet(file: File) {
    const body = new FormData();
    body.append('file', file);
    return upload('/api/v1/telemetry/registry/import', {}, body).done;
  },
};
