/** Calls and shapes of /api/v1/duties/* and the clocks on share requests (issue 20). */
import { GET, POST, PUT, urlOf, type BodyOf, type QueryOf, type ResponseOf } from './client.ts';

export type RequestClock = Exclude<ResponseOf<'/api/v1/duties/requests/{id}/clock', 'get'>, void>;
export type StageClock = RequestClock['stages'][number];
export type ClockState = StageClock['state'];
export type Objection = ResponseOf<'/api/v1/duties/objections/{id}', 'get'>;
export type ObjectionState = Objection['state'];
export type ObjectionCell = Objection['cells'][number];
export type ObjectionInput = BodyOf<'/api/v1/duties/objections', 'post'>;

export type ReturnFlow = ResponseOf<'/api/v1/duties/return-flows/{id}', 'get'>['flow'];
export type Delivery = ResponseOf<'/api/v1/duties/return-flows/{id}', 'get'>['deliveries'][number];
export type ReturnFlowInput = BodyOf<'/api/v1/duties/return-flows', 'post'>;
export type Demand = ResponseOf<'/api/v1/duties/demands/{id}', 'get'>;
export type DemandInput = BodyOf<'/api/v1/duties/demands', 'post'>;
export type DemandAnswer = BodyOf<'/api/v1/duties/demands/{id}/answer', 'post'>;

export const returnFlowApi = {
  list: () => GET('/api/v1/duties/return-flows').then((r) => r.items),
  get: (id: string) => GET('/api/v1/duties/return-flows/{id}', { path: { id } }),
  propose: (body: ReturnFlowInput) => POST('/api/v1/duties/return-flows', { body }),
  approve: (id: string, note?: string) => POST('/api/v1/duties/return-flows/{id}/approve', { path: { id }, body: note ? { note } : {} }),
  reject: (id: string, reason: string) => POST('/api/v1/duties/return-flows/{id}/reject', { path: { id }, body: { reason } }),
  pause: (id: string, reason: string) => POST('/api/v1/duties/return-flows/{id}/pause', { path: { id }, body: { reason } }),
  resume: (id: string) => POST('/api/v1/duties/return-flows/{id}/resume', { path: { id } }),
};

export const demandApi = {
  list: () => GET('/api/v1/duties/demands').then((r) => r.items),
  publish: (body: DemandInput) => POST('/api/v1/duties/demands', { body }),
  assign: (id: string, orgId: string, note?: string) =>
    POST('/api/v1/duties/demands/{id}/assign', { path: { id }, body: { orgId, ...(note ? { note } : {}) } }),
  answer: (id: string, body: DemandAnswer) => POST('/api/v1/duties/demands/{id}/answer', { path: { id }, body }),
  accept: (id: string) => POST('/api/v1/duties/demands/{id}/accept', { path: { id }, body: {} }),
  reopen: (id: string, reason: string) => POST('/api/v1/duties/demands/{id}/reopen', { path: { id }, body: { reason } }),
};

export type AttachmentInput = NonNullable<ObjectionInput['attachments']>[number];
export type Flagged = ResponseOf<'/api/v1/duties/flagged/{code}', 'get'>;

export const dutiesApi = {
  flagged: (code: string) => GET('/api/v1/duties/flagged/{code}', { path: { code } }),
  attachmentUrl: (objectionId: string, seq: number) => urlOf('/api/v1/duties/objections/{id}/attachments/{seq}', { path: { id: objectionId, seq } }),
  extend: (requestId: string, days: number, reason: string) => POST('/api/v1/duties/requests/{id}/extend', { path: { id: requestId }, body: { days, reason } }),
  objections: () => GET('/api/v1/duties/objections').then((r) => r.items),
  raise: (input: ObjectionInput) => POST('/api/v1/duties/objections', { body: input }),
  accept: (objectionId: string, note?: string) => POST('/api/v1/duties/objections/{id}/accept', { path: { id: objectionId }, body: note ? { note } : {} }),
  reject: (objectionId: string, reason: string) => POST('/api/v1/duties/objections/{id}/reject', { path: { id: objectionId }, body: { reason } }),
  escalate: (objectionId: string, reason: string) => POST('/api/v1/duties/objections/{id}/escalate', { path: { id: objectionId }, body: { reason } }),
  decide: (objectionId: string, uphold: boolean, note: string) =>
    POST('/api/v1/duties/objections/{id}/decide', { path: { id: objectionId }, body: { uphold, note } }),
};

export type Ratings = ResponseOf<'/api/v1/duties/ratings/{code}', 'get'>;
export type RatingInput = BodyOf<'/api/v1/duties/ratings/{code}', 'put'>;
export type Scores = ResponseOf<'/api/v1/duties/scores', 'get'>;
export type DepartmentScore = Scores['items'][number];
export type Usage = ResponseOf<'/api/v1/duties/usage', 'get'>;
export type UsageRange = QueryOf<'/api/v1/duties/usage', 'get'>;

/** 共享评价: ratings of a dataset, the department scores, usage statistics and their exports. */
export const evaluationApi = {
  ratings: (code: string) => GET('/api/v1/duties/ratings/{code}', { path: { code } }),
  rate: (code: string, body: RatingInput) => PUT('/api/v1/duties/ratings/{code}', { path: { code }, body }),
  scores: () => GET('/api/v1/duties/scores'),
  scoresXlsx: () => urlOf('/api/v1/duties/scores.xlsx'),
  usage: (query: UsageRange) => GET('/api/v1/duties/usage', { query }),
  usageXlsx: (query: UsageRange) => urlOf('/api/v1/duties/usage.xlsx', { query }),
};

export type DutiesSettings = ResponseOf<'/api/v1/duties/settings', 'get'>;
export type DutyLimits = DutiesSettings['limits'];
export type CalendarOverride = DutiesSettings['calendar'][number];
export type CalendarDay = ResponseOf<'/api/v1/duties/calendar', 'get'>['days'][number];
export type DepartmentCount = ResponseOf<'/api/v1/duties/departments', 'get'>['items'][number];
/** One field the server refused in a settings body (`details.issues` of `invalid_settings`): dotted path and what is wrong. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** 时限与日历 (the secadmin's) and the counts per department (部门履职统计). */
export const dutiesSettingsApi = {
  get: () => GET('/api/v1/duties/settings'),
  /** JSON Schema of the settings: each limit's bounds and default. */
  schema: () => GET('/api/v1/duties/settings/schema'),
  // The route takes the body as it is and validates it itself, to name every wrong field (its body type is unknown).
  save: (body: DutiesSettings) => PUT('/api/v1/duties/settings', { body }),
  calendar: (year: number) => GET('/api/v1/duties/calendar', { query: { year } }),
  departments: () => GET('/api/v1/duties/departments').then((r) => r.items),
};
