/** Calls and shapes of /api/v1/duties/* and the clocks on share requests (issue 20). */
import { GET, POST, type ResponseOf } from './client.ts';

export type RequestClock = Exclude<ResponseOf<'/api/v1/duties/requests/{id}/clock', 'get'>, void>;
export type StageClock = RequestClock['stages'][number];
export type ClockState = StageClock['state'];
export type Objection = ResponseOf<'/api/v1/duties/objections/{id}', 'get'>;
export type ObjectionState = Objection['state'];
export type ObjectionCell = Objection['cells'][number];

export const dutiesApi = {
  extend: (requestId: string, days: number, reason: string) => POST('/api/v1/duties/requests/{id}/extend', { path: { id: requestId }, body: { days, reason } }),
  objections: () => GET('/api/v1/duties/objections').then((r) => r.items),
  raise: (input: { dataset: string; cells: ObjectionCell[]; evidence: string }) => POST('/api/v1/duties/objections', { body: input }),
  accept: (objectionId: string, note?: string) => POST('/api/v1/duties/objections/{id}/accept', { path: { id: objectionId }, body: note ? { note } : {} }),
  reject: (objectionId: string, reason: string) => POST('/api/v1/duties/objections/{id}/reject', { path: { id: objectionId }, body: { reason } }),
  escalate: (objectionId: string, reason: string) => POST('/api/v1/duties/objections/{id}/escalate', { path: { id: objectionId }, body: { reason } }),
  decide: (objectionId: string, uphold: boolean, note: string) => POST('/api/v1/duties/objections/{id}/decide', { path: { id: objectionId }, body: { uphold, note } }),
};
