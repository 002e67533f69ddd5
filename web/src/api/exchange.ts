/**
 * Calls and shapes of database exchange: data sources and bindings (库表汇聚, exchange.routes.ts),
 * push targets and subscriptions (库表推送, push.routes.ts).
 */
import { DELETE, GET, PATCH, POST, PUT, type BodyOf, type ResponseOf } from './client.ts';

export type Source = ResponseOf<'/api/v1/exchange/sources', 'get'>[number];
export type SourceInput = BodyOf<'/api/v1/exchange/sources', 'post'>;
export type SourcePatch = BodyOf<'/api/v1/exchange/sources/{id}', 'patch'>;
export type SourceTest = ResponseOf<'/api/v1/exchange/sources/{id}/test', 'post'>;
export type SourceTable = ResponseOf<'/api/v1/exchange/sources/{id}/tables', 'get'>[number];
export type Preview = ResponseOf<'/api/v1/exchange/sources/{id}/preview', 'get'>;
export type Binding = ResponseOf<'/api/v1/exchange/bindings', 'get'>[number];
export type BindingInput = BodyOf<'/api/v1/datasets/{code}/binding', 'put'>;
export type Run = ResponseOf<'/api/v1/datasets/{code}/binding/runs', 'get'>[number];
export type Lag = ResponseOf<'/api/v1/datasets/{code}/binding/lag', 'get'>;

export const sourcesApi = {
  list: () => GET('/api/v1/exchange/sources'),
  add: (body: SourceInput) => POST('/api/v1/exchange/sources', { body }),
  update: (id: string, body: SourcePatch) => PATCH('/api/v1/exchange/sources/{id}', { path: { id }, body }),
  setState: (id: string, state: 'active' | 'disabled') => POST('/api/v1/exchange/sources/{id}/state', { path: { id }, body: { state } }),
  test: (id: string) => POST('/api/v1/exchange/sources/{id}/test', { path: { id } }),
  tables: (id: string) => GET('/api/v1/exchange/sources/{id}/tables', { path: { id } }),
  preview: (id: string, schema: string, table: string) => GET('/api/v1/exchange/sources/{id}/preview', { path: { id }, query: { schema, table, limit: 20 } }),
  bindings: () => GET('/api/v1/exchange/bindings'),
  bind: (code: string, body: BindingInput) => PUT('/api/v1/datasets/{code}/binding', { path: { code }, body }),
  unbind: (code: string) => DELETE('/api/v1/datasets/{code}/binding', { path: { code } }),
  sync: (code: string) => POST('/api/v1/datasets/{code}/sync', { path: { code } }),
  runs: (code: string) => GET('/api/v1/datasets/{code}/binding/runs', { path: { code }, query: { limit: 50 } }),
  lag: (code: string) => GET('/api/v1/datasets/{code}/binding/lag', { path: { code } }),
};

export type Target = ResponseOf<'/api/v1/exchange/targets', 'get'>[number];
export type TargetInput = BodyOf<'/api/v1/exchange/targets', 'post'>;
export type TargetTest = ResponseOf<'/api/v1/exchange/targets/{id}/test', 'post'>;
export type Subscription = ResponseOf<'/api/v1/exchange/subscriptions', 'get'>[number];
export type SubscriptionInput = BodyOf<'/api/v1/exchange/subscriptions', 'post'>;
export type Delivery = ResponseOf<'/api/v1/exchange/subscriptions/{id}/deliveries', 'get'>[number];

export const exchangeApi = {
  targets: () => GET('/api/v1/exchange/targets'),
  addTarget: (body: TargetInput) => POST('/api/v1/exchange/targets', { body }),
  testTarget: (id: string) => POST('/api/v1/exchange/targets/{id}/test', { path: { id } }),
  subscriptions: () => GET('/api/v1/exchange/subscriptions'),
  subscribe: (body: SubscriptionInput) => POST('/api/v1/exchange/subscriptions', { body }),
  setState: (id: string, state: 'active' | 'paused') => POST('/api/v1/exchange/subscriptions/{id}/state', { path: { id }, body: { state } }),
  deliver: (id: string) => POST('/api/v1/exchange/subscriptions/{id}/deliver', { path: { id } }),
  deliveries: (id: string) => GET('/api/v1/exchange/subscriptions/{id}/deliveries', { path: { id } }),
  remove: (id: string) => DELETE('/api/v1/exchange/subscriptions/{id}', { path: { id } }),
};
