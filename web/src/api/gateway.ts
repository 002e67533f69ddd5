/** Calls and shapes of the interface-sharing console (接口服务, /api/v1/gateway/*). */
import { GET, POST, PUT, type BodyOf, type QueryOf, type ResponseOf } from './client.ts';

export type ServiceView = ResponseOf<'/api/v1/gateway/services/{code}', 'get'>;
export type Operation = ServiceView['operations'][number];
export type Parameter = Operation['parameters'][number];
export type Method = Operation['method'];
export type RegisterInput = BodyOf<'/api/v1/gateway/services', 'post'>;
export type UpdateInput = BodyOf<'/api/v1/gateway/services/{code}', 'put'>;
export type CallStats = ResponseOf<'/api/v1/gateway/stats', 'get'>;
export type CallStatsItem = CallStats['items'][number];
export type StatsQuery = QueryOf<'/api/v1/gateway/stats', 'get'>;
/** The upstream credential pdx adds to each call (header and secret), or null to remove it. */
export type Credential = BodyOf<'/api/v1/gateway/services/{code}/credential', 'put'>['auth'];
export type ImportedOperation = ResponseOf<'/api/v1/gateway/openapi/preview', 'post'>['operations'][number];

export const gatewayApi = {
  list: () => GET('/api/v1/gateway/services').then((r) => r.items),
  get: (code: string) => GET('/api/v1/gateway/services/{code}', { path: { code } }),
  register: (input: RegisterInput) => POST('/api/v1/gateway/services', { body: input }),
  update: (code: string, input: UpdateInput) => PUT('/api/v1/gateway/services/{code}', { path: { code }, body: input }),
  preview: (openapi: string) => POST('/api/v1/gateway/openapi/preview', { body: { openapi } }),
  setCredential: (code: string, auth: Credential) => PUT('/api/v1/gateway/services/{code}/credential', { path: { code }, body: { auth } }),
  stats: (query: StatsQuery) => GET('/api/v1/gateway/stats', { query }),
  publish: (code: string) => POST('/api/v1/datasets/{code}/publish', { path: { code } }),
};
