/** Calls and shapes of push targets and subscriptions (库表推送, src/modules/exchange/push.routes.ts). */
import { DELETE, GET, POST, type BodyOf, type ResponseOf } from './client.ts';

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
