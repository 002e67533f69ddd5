/**
 * Calls and shapes of the open-data API (src/modules/open/*.routes.ts): the portal and open API,
 * society users' accounts (their own session and CSRF cookie, hence `portal`), and the officers'
 * management side. Shapes are the routes' own (schema.d.ts).
 */
import { allOf, GET, POST, PUT, DELETE, portal, urlOf, type BodyOf, type QueryOf, type ResponseOf } from './client.ts';

export type Home = ResponseOf<'/api/v1/open/home', 'get'>;
export type SearchQuery = QueryOf<'/api/v1/open/datasets', 'get'>;
export type SearchResult = ResponseOf<'/api/v1/open/datasets', 'get'>;
export type DatasetSummary = SearchResult['items'][number];
export type OpenType = DatasetSummary['openType'];
export type DatasetPage = ResponseOf<'/api/v1/open/datasets/{code}', 'get'>;
export type Preview = ResponseOf<'/api/v1/open/datasets/{code}/preview', 'get'>;
export type Cell = Preview['rows'][number][string];
export type Department = ResponseOf<'/api/v1/open/departments', 'get'>['items'][number];
export type Demand = ResponseOf<'/api/v1/open/demands', 'get'>['items'][number];
export type Showcase = ResponseOf<'/api/v1/open/account/showcases', 'get'>['items'][number];
export type DemandInput = BodyOf<'/api/v1/open/demands', 'post'>;
export type ShowcaseInput = BodyOf<'/api/v1/open/showcases', 'post'>;
export type SocietyUser = ResponseOf<'/api/v1/open/account/me', 'get'>;
export type OpenKey = ResponseOf<'/api/v1/open/account/keys', 'get'>['items'][number];
export type Application = ResponseOf<'/api/v1/open/manage/applications', 'get'>['items'][number];
/** Where a mail went: sent, or (no SMTP server configured) written to the server's log. */
export type MailNotice = ResponseOf<'/api/v1/open/account/register', 'post'>;
export type DownloadFormat = QueryOf<'/api/v1/open/datasets/{code}/download', 'get'>['format'];

export type Release = ResponseOf<'/api/v1/open/manage/releases', 'get'>['items'][number];
export type ReleaseDetail = ResponseOf<'/api/v1/open/manage/releases/{id}', 'get'>;
export type Report = NonNullable<Release['report']>;
export type NodeResult = Report['result'];
export type Thresholds = Release['thresholds'];
export type PlanColumn = Release['columns'][number];
export type HierarchyKind = PlanColumn['hierarchy'];
export const HIERARCHY_KINDS = allOf<HierarchyKind>()(['date', 'age', 'number', 'region', 'prefix', 'category']);
export type ColumnRole = PlanColumn['role'];
export const COLUMN_ROLES = allOf<ColumnRole>()(['direct', 'quasi', 'sensitive', 'insensitive', 'excluded']);
export type Comment = ResponseOf<'/api/v1/open/manage/comments', 'get'>['items'][number];
export type OpenSettings = ResponseOf<'/api/v1/open/manage/settings', 'get'>;

/** The portal, the open API and society accounts. */
export const portalApi = {
  home: () => GET('/api/v1/open/home'),
  search: (query: SearchQuery) => GET('/api/v1/open/datasets', { query }),
  dataset: (code: string) => GET('/api/v1/open/datasets/{code}', { path: { code } }),
  preview: (code: string) => GET('/api/v1/open/datasets/{code}/preview', { path: { code } }),
  downloadUrl: (code: string, format: DownloadFormat) => urlOf('/api/v1/open/datasets/{code}/download', { path: { code }, query: { format } }),
  departments: () => GET('/api/v1/open/departments'),
  department: (id: string) => GET('/api/v1/open/departments/{id}', { path: { id } }),
  demands: () => GET('/api/v1/open/demands'),
  demandDepartments: () => GET('/api/v1/open/demand-departments'),
  showcases: () => GET('/api/v1/open/showcases'),

  apply: (code: string, body: BodyOf<'/api/v1/open/datasets/{code}/applications', 'post'>) =>
    portal.POST('/api/v1/open/datasets/{code}/applications', { path: { code }, body }),
  comment: (code: string, body: BodyOf<'/api/v1/open/datasets/{code}/comments', 'post'>) =>
    portal.POST('/api/v1/open/datasets/{code}/comments', { path: { code }, body }),
  demand: (body: DemandInput) => portal.POST('/api/v1/open/demands', { body }),
  showcase: (body: ShowcaseInput) => portal.POST('/api/v1/open/showcases', { body }),

  register: (body: BodyOf<'/api/v1/open/account/register', 'post'>) => portal.POST('/api/v1/open/account/register', { body }),
  verify: (token: string) => portal.POST('/api/v1/open/account/verify', { body: { token } }),
  login: (email: string, password: string) => portal.POST('/api/v1/open/account/login', { body: { email, password } }),
  logout: () => portal.POST('/api/v1/open/account/logout'),
  me: () => portal.GET('/api/v1/open/account/me'),
  requestReset: (email: string) => portal.POST('/api/v1/open/account/reset-request', { body: { email } }),
  reset: (token: string, password: string) => portal.POST('/api/v1/open/account/reset', { body: { token, password } }),
  keys: () => portal.GET('/api/v1/open/account/keys'),
  createKey: (name: string) => portal.POST('/api/v1/open/account/keys', { body: { name } }),
  revokeKey: (id: string) => portal.POST('/api/v1/open/account/keys/{id}/revoke', { path: { id } }),
  myApplications: () => portal.GET('/api/v1/open/account/applications'),
  myDemands: () => portal.GET('/api/v1/open/account/demands'),
  myShowcases: () => portal.GET('/api/v1/open/account/showcases'),
};

// ---- the officers' side ------------------------------------------------------------------------

export const manageApi = {
  candidates: () => GET('/api/v1/open/manage/candidates'),
  releases: () => GET('/api/v1/open/manage/releases'),
  create: (dataset: string) => POST('/api/v1/open/manage/releases', { body: { dataset } }),
  release: (id: string) => GET('/api/v1/open/manage/releases/{id}', { path: { id } }),
  update: (id: string, body: BodyOf<'/api/v1/open/manage/releases/{id}', 'put'>) => PUT('/api/v1/open/manage/releases/{id}', { path: { id }, body }),
  check: (id: string) => POST('/api/v1/open/manage/releases/{id}/check', { path: { id } }),
  publish: (id: string) => POST('/api/v1/open/manage/releases/{id}/publish', { path: { id } }),
  withdraw: (id: string, reason: string) => POST('/api/v1/open/manage/releases/{id}/withdraw', { path: { id }, body: { reason } }),
  discard: (id: string) => DELETE('/api/v1/open/manage/releases/{id}', { path: { id } }),
  reportUrl: (id: string) => urlOf('/api/v1/open/manage/releases/{id}/report', { path: { id } }),
  applications: () => GET('/api/v1/open/manage/applications'),
  decide: (id: string, body: BodyOf<'/api/v1/open/manage/applications/{id}/decide', 'post'>) =>
    POST('/api/v1/open/manage/applications/{id}/decide', { path: { id }, body }),
  comments: () => GET('/api/v1/open/manage/comments'),
  moderate: (id: string, approve: boolean) => POST('/api/v1/open/manage/comments/{id}/moderate', { path: { id }, body: { approve } }),
  demands: () => GET('/api/v1/open/manage/demands'),
  answer: (id: string, body: BodyOf<'/api/v1/open/manage/demands/{id}/answer', 'post'>) =>
    POST('/api/v1/open/manage/demands/{id}/answer', { path: { id }, body }),
  showcases: () => GET('/api/v1/open/manage/showcases'),
  review: (id: string, body: BodyOf<'/api/v1/open/manage/showcases/{id}/review', 'post'>) =>
    POST('/api/v1/open/manage/showcases/{id}/review', { path: { id }, body }),
  settings: () => GET('/api/v1/open/manage/settings'),
  saveSettings: (body: BodyOf<'/api/v1/open/manage/settings', 'put'>) => PUT('/api/v1/open/manage/settings', { body }),
};
