/** Calls and shapes of accounts, organisations, API keys and 三员 changes (src/modules/identity/identity.routes.ts). */
import { DELETE, GET, PATCH, POST, PUT, type BodyOf, type ResponseOf } from './client.ts';

export type Me = ResponseOf<'/api/v1/auth/me', 'get'>;
export type Role = Me['roles'][number];
export type Org = ResponseOf<'/api/v1/orgs', 'get'>['items'][number];
export type User = ResponseOf<'/api/v1/users', 'get'>['items'][number];
export type ApiKey = ResponseOf<'/api/v1/api-keys', 'get'>['items'][number];
/** A change to an administrator account (三员) waiting for, or decided by, a second administrator. */
export type AdminChange = ResponseOf<'/api/v1/admin-changes', 'get'>['items'][number];
/** What creating, editing or resetting an administrator account answers: the change is held (202). */
export type HeldChange = Extract<ResponseOf<'/api/v1/users', 'post'>, { change: unknown }>;

/** A change to an administrator account is held for approval (202) rather than made. */
export const isHeld = (r: object): r is HeldChange => 'change' in r;

export const identityApi = {
  me: () => GET('/api/v1/auth/me'),
  login: (username: string, password: string) => POST('/api/v1/auth/login', { body: { username, password } }),
  secondFactor: (ticket: string, code: string) => POST('/api/v1/auth/second-factor', { body: { ticket, code } }),
  signInOptions: () => GET('/api/v1/auth/options'),
  logout: () => POST('/api/v1/auth/logout'),
  changePassword: (body: BodyOf<'/api/v1/auth/password', 'post'>) => POST('/api/v1/auth/password', { body }),
  orgs: () => GET('/api/v1/orgs').then((r) => r.items),
  createOrg: (body: BodyOf<'/api/v1/orgs', 'post'>) => POST('/api/v1/orgs', { body }),
  updateOrg: (id: string, body: BodyOf<'/api/v1/orgs/{id}', 'put'>) => PUT('/api/v1/orgs/{id}', { path: { id }, body }),
  setOrgDisabled: (id: string, body: BodyOf<'/api/v1/orgs/{id}/state', 'post'>) => POST('/api/v1/orgs/{id}/state', { path: { id }, body }),
  users: () => GET('/api/v1/users').then((r) => r.items),
  createUser: (body: BodyOf<'/api/v1/users', 'post'>) => POST('/api/v1/users', { body }),
  updateUser: (id: string, body: BodyOf<'/api/v1/users/{id}', 'patch'>) => PATCH('/api/v1/users/{id}', { path: { id }, body }),
  resetPassword: (id: string) => POST('/api/v1/users/{id}/reset-password', { path: { id } }),
  unlock: (id: string) => POST('/api/v1/users/{id}/unlock', { path: { id } }),
  approveUser: (id: string) => POST('/api/v1/users/{id}/approve', { path: { id } }),
  signOnPolicy: () => GET('/api/v1/auth/sign-on-policy'),
  setSignOnPolicy: (body: BodyOf<'/api/v1/auth/sign-on-policy', 'put'>) => PUT('/api/v1/auth/sign-on-policy', { body }),
  resetSecondFactor: (id: string) => POST('/api/v1/users/{id}/reset-second-factor', { path: { id } }),
  adminChanges: () => GET('/api/v1/admin-changes').then((r) => r.items),
  approveChange: (id: string) => POST('/api/v1/admin-changes/{id}/approve', { path: { id } }),
  rejectChange: (id: string, reason: string) => POST('/api/v1/admin-changes/{id}/reject', { path: { id }, body: { reason } }),
  withdrawChange: (id: string) => POST('/api/v1/admin-changes/{id}/withdraw', { path: { id } }),
  apiKeys: () => GET('/api/v1/api-keys').then((r) => r.items),
  createApiKey: (body: BodyOf<'/api/v1/api-keys', 'post'>) => POST('/api/v1/api-keys', { body }),
  revokeApiKey: (id: string) => DELETE('/api/v1/api-keys/{id}', { path: { id } }),
};
